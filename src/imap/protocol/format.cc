#include "imap/protocol/format.h"

#include "base/utf8.h"
#include "imap/protocol/chars.h"
#include "imap/protocol/error.h"
#include "imap/protocol/mailbox.h"

namespace pushmail::imap {
namespace {

bool CanQuote(std::string_view s, bool utf8) {
  if (s.size() > kMaxQuoted) return false;
  bool eight_bit = false;
  for (char c : s) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
    eight_bit |= chars::Is8Bit(c);
  }
  return !eight_bit || (utf8 && ValidUtf8(s));
}

void AppendLiteral(std::string& out, std::string_view s) {
  out += '{';
  out += std::to_string(s.size());
  out += "}\r\n";
  out += s;
}

void AppendOneLine(std::string& out, std::string_view text) {
  for (char c : text) out += (c == '\r' || c == '\n') ? ' ' : c;
}

}  // namespace

bool IsAtom(std::string_view s) {
  if (s.empty() || s.size() > kMaxQuoted || chars::EqualsIgnoreCase(s, "NIL")) return false;
  for (char c : s) {
    if (!chars::IsAtomChar(c)) return false;
  }
  return true;
}

void AppendString(std::string& out, std::string_view s, bool utf8) {
  if (!CanQuote(s, utf8)) return AppendLiteral(out, s);
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

void AppendAstring(std::string& out, std::string_view s, bool utf8) {
  bool atom = !s.empty() && s.size() <= kMaxQuoted && !chars::EqualsIgnoreCase(s, "NIL");
  for (char c : s) atom = atom && chars::IsAstringChar(c);
  if (atom) {
    out += s;
  } else {
    AppendString(out, s, utf8);
  }
}

void AppendNString(std::string& out, std::optional<std::string_view> s, bool utf8) {
  if (s) {
    AppendString(out, *s, utf8);
  } else {
    out += "NIL";
  }
}

void AppendMailbox(std::string& out, std::string_view name, bool utf8) {
  AppendAstring(out, EncodeMailboxName(name, utf8), utf8);
}

void AppendFlagList(std::string& out, std::span<const std::string> flags) {
  out += '(';
  for (size_t i = 0; i < flags.size(); ++i) {
    if (i > 0) out += ' ';
    out += flags[i];
  }
  out += ')';
}

std::string_view ConditionName(Condition condition) {
  switch (condition) {
    case Condition::kOk:
      return "OK";
    case Condition::kNo:
      return "NO";
    case Condition::kBad:
      return "BAD";
    case Condition::kPreauth:
      return "PREAUTH";
    case Condition::kBye:
      return "BYE";
  }
  return "BAD";
}

std::string FormatStatus(std::string_view tag, Condition condition, std::string_view code,
                         std::string_view text) {
  std::string out(tag.empty() ? "*" : tag);
  out += ' ';
  out += ConditionName(condition);
  if (!code.empty()) {
    out += " [";
    AppendOneLine(out, code);
    out += ']';
  }
  out += ' ';
  if (text.empty()) text = condition == Condition::kOk ? "Completed" : "Failed";
  AppendOneLine(out, text);
  out += "\r\n";
  return out;
}

std::string Error::Format() const {
  return FormatStatus(tag, no ? Condition::kNo : Condition::kBad, code, text);
}

}  // namespace pushmail::imap
