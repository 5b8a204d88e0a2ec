#include "base/base64.h"

#include <openssl/evp.h>

#include <algorithm>

namespace pushmail {
namespace {

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

size_t Padding(std::string_view text) {
  return text.ends_with("==") ? 2 : text.ends_with('=') ? 1 : 0;
}

}  // namespace

std::string EncodeBase64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

bool IsCanonicalBase64(std::string_view text) {
  if (text.empty()) return true;
  if (text.size() % 4 != 0) return false;
  size_t padding = Padding(text);
  std::string_view data = text.substr(0, text.size() - padding);
  if (!std::all_of(data.begin(), data.end(), [](char c) { return Base64Value(c) >= 0; })) {
    return false;
  }
  int spare_bits = padding == 0 ? 0 : padding == 1 ? 0x3 : 0xF;
  return (Base64Value(data.back()) & spare_bits) == 0;
}

// EVP_DecodeBlock skips white space and takes "=" anywhere, so the text is checked first.
std::optional<std::string> DecodeBase64(std::string_view text) {
  if (!IsCanonicalBase64(text)) return std::nullopt;
  std::string out(3 * (text.size() / 4), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0 || static_cast<size_t>(n) != out.size()) return std::nullopt;
  out.resize(out.size() - Padding(text));  // EVP_DecodeBlock decodes padding as zero octets
  return out;
}

std::string EncodeBase64Url(std::string_view bytes) {
  std::string out = EncodeBase64(bytes);
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

std::optional<std::string> DecodeBase64Url(std::string_view text) {
  std::string standard(text.substr(0, text.size() - Padding(text)));
  if (standard.size() % 4 == 1) return std::nullopt;
  for (char& c : standard) {
    if (c == '+' || c == '/' || c == '=') return std::nullopt;
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  standard.append((4 - standard.size() % 4) % 4, '=');
  return DecodeBase64(standard);
}

}  // namespace pushmail
