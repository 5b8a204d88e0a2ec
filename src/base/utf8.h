#pragma once
// UTF-8 (RFC 3629): encoding one code point, decoding one, checking a text. Header-only;
// thread-safe.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace pushmail {

// Appends the UTF-8 form of `cp`, which the caller has checked is a Unicode scalar value
// (at most 0x10FFFF, not a surrogate).
inline void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Decodes the UTF-8 sequence at s[pos] and advances `pos` past it. -1, with `pos` unchanged, when
// the octets there are not one well-formed sequence: a stray continuation octet, an overlong
// form, a surrogate, a value above U+10FFFF or a truncated sequence. `pos` < s.size().
inline int32_t DecodeUtf8(std::string_view s, size_t& pos) {
  auto lead = static_cast<unsigned char>(s[pos]);
  if (lead < 0x80) {
    ++pos;
    return lead;
  }
  size_t extra;
  uint32_t cp;
  uint32_t min;
  if (lead >= 0xC2 && lead <= 0xDF) {
    extra = 1, cp = lead & 0x1Fu, min = 0x80;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    extra = 2, cp = lead & 0x0Fu, min = 0x800;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    extra = 3, cp = lead & 0x07u, min = 0x10000;
  } else {
    return -1;
  }
  if (s.size() - pos <= extra) return -1;
  for (size_t i = 1; i <= extra; ++i) {
    auto c = static_cast<unsigned char>(s[pos + i]);
    if ((c & 0xC0) != 0x80) return -1;
    cp = (cp << 6) | (c & 0x3Fu);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
  pos += extra + 1;
  return static_cast<int32_t>(cp);
}

// Whether `text` is well-formed UTF-8 throughout (ASCII is).
inline bool ValidUtf8(std::string_view text) {
  for (size_t pos = 0; pos < text.size();) {
    if (DecodeUtf8(text, pos) < 0) return false;
  }
  return true;
}

}  // namespace pushmail
