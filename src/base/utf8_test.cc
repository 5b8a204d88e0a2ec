#include "base/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace pushmail {
namespace {

TEST(Utf8, Valid) {
  struct Case {
    std::string_view text;
    bool valid;
  };
  const Case cases[] = {
      {"", true},
      {"abc", true},
      {"\xc3\xa9", true},
      {"\xe2\x82\xac", true},
      {"\xf0\x9f\x98\x80", true},
      {"\xf4\x8f\xbf\xbf", true},  // U+10FFFF
      {"\xed\x9f\xbf", true},      // U+D7FF, below the surrogates
      {"\xee\x80\x80", true},      // U+E000, above them
      {"\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa7", true},
      {std::string_view("\0", 1), true},
      {"\xc3", false},              // truncated
      {"\xe2\x82", false},          // truncated
      {"\xf0\x9f\x98", false},      // truncated
      {"\xc0\xaf", false},          // overlong "/"
      {"\xc1\xbf", false},          // overlong
      {"\xe0\x80\xaf", false},      // overlong
      {"\xe0\x9f\xbf", false},      // overlong (U+07FF in three octets)
      {"\xf0\x8f\xbf\xbf", false},  // overlong (U+FFFF in four octets)
      {"\xed\xa0\x80", false},      // surrogate U+D800
      {"\xed\xbf\xbf", false},      // surrogate U+DFFF
      {"\xf4\x90\x80\x80", false},  // above U+10FFFF
      {"\xf5\x80\x80\x80", false},
      {"\xff", false},
      {"\x80", false},    // a continuation octet alone
      {"a\xc3(", false},  // lead octet, then no continuation
      {"\xe2\x28\xa1", false},
  };
  for (const auto& c : cases)
    EXPECT_EQ(ValidUtf8(c.text), c.valid) << testing::PrintToString(c.text);
}

TEST(Utf8, DecodeAdvancesPastOneSequence) {
  std::string_view s = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
  size_t pos = 0;
  EXPECT_EQ(DecodeUtf8(s, pos), 'a');
  EXPECT_EQ(pos, 1u);
  EXPECT_EQ(DecodeUtf8(s, pos), 0xE9);
  EXPECT_EQ(pos, 3u);
  EXPECT_EQ(DecodeUtf8(s, pos), 0x20AC);
  EXPECT_EQ(pos, 6u);
  EXPECT_EQ(DecodeUtf8(s, pos), 0x1F600);
  EXPECT_EQ(pos, s.size());
}

TEST(Utf8, DecodeLeavesPositionOnError) {
  std::string_view s = "x\xe2\x82";
  size_t pos = 1;
  EXPECT_EQ(DecodeUtf8(s, pos), -1);
  EXPECT_EQ(pos, 1u);
}

TEST(Utf8, AppendThenDecode) {
  for (uint32_t cp : {0x0u, 0x7Fu, 0x80u, 0x7FFu, 0x800u, 0xFFFFu, 0x10000u, 0x10FFFFu}) {
    std::string s;
    AppendUtf8(s, cp);
    size_t pos = 0;
    EXPECT_EQ(DecodeUtf8(s, pos), static_cast<int32_t>(cp)) << cp;
    EXPECT_EQ(pos, s.size());
  }
}

}  // namespace
}  // namespace pushmail
