#include "base/base64.h"

#include <gtest/gtest.h>

#include <vector>

namespace pushmail {
namespace {

TEST(Base64, RoundTrips) {
  for (const std::string& s :
       std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
    EXPECT_EQ(DecodeBase64(EncodeBase64(s)), s);
  }
  EXPECT_EQ(EncodeBase64(std::string("\0user\0pass", 10)), "AHVzZXIAcGFzcw==");
}

TEST(Base64, RefusesMalformed) {
  const char* bad[] = {
      "A",     "AB=",      "A===",     "AB=C", "====", "AB C",
      "AB\nC", "Zm9v!A==", "Zg==Zg==", "Zh==", "Zm9=" /* spare bits set: not canonical */};
  for (const char* text : bad) EXPECT_FALSE(DecodeBase64(text).has_value()) << text;
}

TEST(Base64Url, RoundTripsWithoutPadding) {
  EXPECT_EQ(EncodeBase64Url(std::string("\xfb\xff\xbf", 3)), "-_-_");
  EXPECT_EQ(EncodeBase64Url("ab"), "YWI");
  EXPECT_EQ(DecodeBase64Url("YWI"), "ab");
  EXPECT_EQ(DecodeBase64Url("YWI="), "ab");
  EXPECT_EQ(DecodeBase64Url("-_-_"), std::string("\xfb\xff\xbf", 3));
  const char* bad[] = {"Y", "YW+", "YW/", "YWJ", "Y=I", "YWI===", "YW I"};
  for (const char* text : bad) EXPECT_FALSE(DecodeBase64Url(text).has_value()) << text;
}

}  // namespace
}  // namespace pushmail
