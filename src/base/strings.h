// Small string helpers that protocols need and the standard library lacks. ASCII only: mail
// protocols fold case in ASCII (RFC 5321 2.4, RFC 9051 2.3.1.1), never by locale.
#pragma once

#include <algorithm>
#include <optional>
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

// Equal when each ASCII letter is taken in either case; other octets must match exactly.
inline bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return AsciiLower(x) == AsciiLower(y);
         });
}

inline bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && EqualsIgnoreCase(s.substr(0, prefix.size()), prefix);
}

// Whether `needle` occurs in `haystack`, ASCII case-insensitively; an empty needle always does.
inline bool ContainsIgnoreCase(std::string_view haystack, std::string_view needle) {
  if (needle.empty()) return true;
  auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                        [](char x, char y) { return AsciiLower(x) == AsciiLower(y); });
  return it != haystack.end();
}

// One JSON Pointer reference token (RFC 6901 4) with "~1" and "~0" undone: "a~1b" -> "a/b".
// nullopt when a "~" is not followed by "0" or "1".
inline std::optional<std::string> UnescapeJsonPointerToken(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (size_t i = 0; i < token.size(); ++i) {
    if (token[i] != '~') {
      out += token[i];
    } else if (i + 1 < token.size() && (token[i + 1] == '0' || token[i + 1] == '1')) {
      out += token[++i] == '0' ? '~' : '/';
    } else {
      return std::nullopt;
    }
  }
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
