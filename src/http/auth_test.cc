// The Authorization header: a table of good and bad credentials.
#include "http/auth.h"

#include <gtest/gtest.h>

#include "base/base64.h"

namespace pushmail::http {
namespace {

using Scheme = Authorization::Scheme;

TEST(Authorization, ParsesBasicAndBearer) {
  auto a = ParseAuthorization("Basic " + EncodeBase64("alice@example.test:pa:ss"));
  EXPECT_EQ(a.scheme, Scheme::kBasic);
  EXPECT_EQ(a.user, "alice@example.test");
  EXPECT_EQ(a.password, "pa:ss");
  a = ParseAuthorization("basic   " + EncodeBase64("u:p"));
  EXPECT_EQ(a.scheme, Scheme::kBasic);
  a = ParseAuthorization("Bearer abc.def");
  EXPECT_EQ(a.scheme, Scheme::kBearer);
  EXPECT_EQ(a.token, "abc.def");
  EXPECT_EQ(ParseAuthorization("").scheme, Scheme::kNone);
}

TEST(Authorization, RefusesMalformedCredentials) {
  for (const std::string& bad :
       {std::string("Basic"), std::string("Basic "), std::string("Basic !!!!"),
        "Basic " + EncodeBase64("nocolon"), "Basic " + EncodeBase64(":password"),
        "Basic " + EncodeBase64("user:"), std::string("Digest abc"),
        "Basic " + EncodeBase64("u:p") + "=", std::string("Bearer"),
        "Basic " + std::string(5000, 'A')}) {
    EXPECT_EQ(ParseAuthorization(bad).scheme, Scheme::kMalformed) << bad;
  }
}

}  // namespace
}  // namespace pushmail::http
