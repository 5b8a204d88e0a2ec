// Small string helpers that protocols need and the standard library lacks. ASCII only: mail
// protocols fold case in ASCII (RFC 5321 2.4, RFC 9051 2.3.1.1), never by locale.
#pragma once

#include <string>
#include <string_view>

namespace pushmail {

inline char AsciiLower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

inline std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

}  // namespace pushmail
