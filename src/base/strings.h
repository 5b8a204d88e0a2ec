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

// Appends each octet of `bytes` as two lower-case hex digits.
inline void AppendHex(std::string& out, std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (char b : bytes) {
    auto octet = static_cast<unsigned char>(b);
    out += kHex[octet >> 4];
    out += kHex[octet & 15];
  }
}

}  // namespace pushmail
