#include "http/auth.h"

#include <boost/beast/core/string.hpp>

#include "base/base64.h"
#include "base/strings.h"

namespace pushmail::http {

Authorization ParseAuthorization(std::string_view header) {
  Authorization out;
  if (header.empty()) return out;
  out.scheme = Authorization::Scheme::kMalformed;
  size_t space = header.find(' ');
  if (space == std::string_view::npos) return out;
  std::string_view scheme = header.substr(0, space);
  std::string_view credentials = header.substr(space + 1);
  while (!credentials.empty() && credentials.front() == ' ') credentials.remove_prefix(1);
  if (credentials.empty() || credentials.size() > 4096) return out;
  if (EqualsIgnoreCase(scheme, "Bearer")) {
    out.scheme = Authorization::Scheme::kBearer;
    out.token = std::string(credentials);
    return out;
  }
  if (!EqualsIgnoreCase(scheme, "Basic")) return out;
  auto decoded = DecodeBase64(credentials);
  if (!decoded) return out;
  size_t colon = decoded->find(':');
  if (colon == 0 || colon == std::string::npos) return out;
  out.user = decoded->substr(0, colon);
  out.password = decoded->substr(colon + 1);
  if (out.password.empty()) return out;
  out.scheme = Authorization::Scheme::kBasic;
  return out;
}

}  // namespace pushmail::http
