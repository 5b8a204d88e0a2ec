#pragma once
// Character classes of the IMAP grammar (RFC 9051 9). Private to imap/protocol.

#include <string_view>

#include "base/strings.h"

namespace pushmail::imap::chars {

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }
inline bool IsCtl(char c) {
  auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}
inline bool Is8Bit(char c) { return static_cast<unsigned char>(c) >= 0x80; }

// ATOM-CHAR: any CHAR except atom-specials "(" ")" "{" SP CTL "%" "*" DQUOTE "\" "]".
inline bool IsAtomChar(char c) {
  if (IsCtl(c) || Is8Bit(c)) return false;
  switch (c) {
    case '(':
    case ')':
    case '{':
    case ' ':
    case '%':
    case '*':
    case '"':
    case '\\':
    case ']':
      return false;
    default:
      return true;
  }
}
// ASTRING-CHAR: ATOM-CHAR or "]".
inline bool IsAstringChar(char c) { return IsAtomChar(c) || c == ']'; }
// A tag is 1*<any ASTRING-CHAR except "+">.
inline bool IsTagChar(char c) { return IsAstringChar(c) && c != '+'; }

inline bool IsValidTag(std::string_view tag) {
  if (tag.empty()) return false;
  for (char c : tag) {
    if (!IsTagChar(c)) return false;
  }
  return true;
}

inline char ToUpper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c; }

using pushmail::EqualsIgnoreCase;
using pushmail::StartsWithIgnoreCase;

}  // namespace pushmail::imap::chars
