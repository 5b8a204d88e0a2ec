#include "imap/protocol/flags.h"

#include <array>
#include <utility>

#include "base/strings.h"

namespace pushmail::imap {
namespace {

constexpr std::array<std::pair<std::string_view, std::string_view>, 5> kSystem = {{
    {"\\Seen", "$seen"},
    {"\\Answered", "$answered"},
    {"\\Flagged", "$flagged"},
    {"\\Draft", "$draft"},
    {"\\Deleted", "$deleted"},
}};

}  // namespace

std::optional<std::string> FlagToKeyword(std::string_view flag) {
  for (const auto& [imap, keyword] : kSystem) {
    if (EqualsIgnoreCase(flag, imap)) return std::string(keyword);
  }
  if (flag.empty() || flag.front() == '\\') return std::nullopt;
  return AsciiLower(flag);
}

std::string KeywordToFlag(std::string_view keyword) {
  for (const auto& [imap, stored] : kSystem) {
    if (keyword == stored) return std::string(imap);
  }
  return std::string(keyword);
}

std::string FormatFlags(const std::vector<std::string>& keywords) {
  std::string out = "(";
  for (const auto& k : keywords) {
    if (out.size() > 1) out += ' ';
    out += KeywordToFlag(k);
  }
  out += ')';
  return out;
}

}  // namespace pushmail::imap
