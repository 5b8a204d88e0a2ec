#include "imap/server/flags.h"

#include <array>
#include <utility>

namespace pushmail::imap {
namespace {

constexpr std::array<std::pair<std::string_view, std::string_view>, 5> kSystem = {{
    {"\\Seen", "$seen"},
    {"\\Answered", "$answered"},
    {"\\Flagged", "$flagged"},
    {"\\Draft", "$draft"},
    {"\\Deleted", "$deleted"},
}};

bool EqualNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<std::string> FlagToKeyword(std::string_view flag) {
  for (const auto& [imap, keyword] : kSystem) {
    if (EqualNoCase(flag, imap)) return std::string(keyword);
  }
  if (flag.empty() || flag.front() == '\\') return std::nullopt;
  std::string out(flag);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string KeywordToFlag(std::string_view keyword) {
  for (const auto& [imap, stored] : kSystem) {
    if (keyword == stored) return std::string(imap);
  }
  return std::string(keyword);
}

std::string FormatFlags(const store::Keywords& keywords) {
  std::string out = "(";
  for (const auto& k : keywords) {
    if (out.size() > 1) out += ' ';
    out += KeywordToFlag(k);
  }
  out += ')';
  return out;
}

}  // namespace pushmail::imap
