#pragma once
// The Authorization header (RFC 9110 11.6.2). Pure.

#include <string>
#include <string_view>

namespace pushmail::http {

struct Authorization {
  enum class Scheme {
    kNone,       // no header
    kBasic,      // user and password are set (RFC 7617)
    kBearer,     // token is set (RFC 6750): one that /jmap/login issued, or nothing valid
    kMalformed,  // a known scheme with bad credentials, or an unknown scheme
  };
  Scheme scheme = Scheme::kNone;
  std::string user, password, token;
};

Authorization ParseAuthorization(std::string_view header);

// The challenge sent with 401.
inline constexpr std::string_view kChallenge = "Basic realm=\"pushmail\", charset=\"UTF-8\"";
inline constexpr std::string_view kBearerChallenge = "Bearer realm=\"pushmail\"";
// The answer to a token that is wrong or expired (RFC 6750 3.1), alone: a browser answers a
// Basic challenge with its own login dialog, which a page that sent a token cannot handle.
inline constexpr std::string_view kBearerInvalidToken =
    "Bearer realm=\"pushmail\", error=\"invalid_token\"";

}  // namespace pushmail::http
