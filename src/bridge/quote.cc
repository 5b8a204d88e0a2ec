#include "bridge/quote.h"

namespace pushmail::bridge {

bool IsQuotable(std::string_view s) {
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u == 0 || u == '\r' || u == '\n' || u >= 0x80) return false;
  }
  return true;
}

std::string Quote(std::string_view s) {
  if (!IsQuotable(s)) return "{" + std::to_string(s.size()) + "+}\r\n" + std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace pushmail::bridge
