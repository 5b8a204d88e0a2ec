#pragma once
// How the full-text index splits header values into words and binds them to the header's name.
// Header-only and pure: the indexer (mime::ExtractSearchText) and the query compiler
// (store::CompileEmailQuery) must agree on it.

#include <string>
#include <string_view>
#include <vector>

#include "base/strings.h"

namespace pushmail::mime {

inline constexpr size_t kMaxSearchWord = 64;

inline bool IsSearchWordOctet(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

// Runs of letters and digits (any octet >= 0x80 counts as a letter), ASCII lower-cased, each cut
// to kMaxSearchWord octets on a UTF-8 boundary.
inline std::vector<std::string> SearchWords(std::string_view text) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && !IsSearchWordOctet(text[i])) ++i;
    size_t start = i;
    while (i < text.size() && IsSearchWordOctet(text[i])) ++i;
    if (i == start) continue;
    size_t n = i - start;
    if (n > kMaxSearchWord) {
      n = kMaxSearchWord;
      while (n > 0 && (static_cast<unsigned char>(text[start + n]) & 0xC0) == 0x80) --n;
    }
    std::string w(text.substr(start, n));
    for (char& c : w) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    words.push_back(std::move(w));
  }
  return words;
}

// The token that stands for header `name` (any case, trimmed) with `word` ("" for the name
// alone): "h", the name's octets in hex, "x", the word. Only letters and digits, so the index's
// tokenizer keeps it whole.
inline std::string HeaderToken(std::string_view name, std::string_view word) {
  while (!name.empty() && (name.front() == ' ' || name.front() == '\t')) name.remove_prefix(1);
  while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
  std::string token = "h";
  AppendHex(token, AsciiLower(name));
  token += 'x';
  token += word;
  return token;
}

}  // namespace pushmail::mime
