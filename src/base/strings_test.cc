#include "base/strings.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace pushmail {
namespace {

TEST(Strings, EqualsIgnoreCase) {
  struct Case {
    std::string_view a, b;
    bool equal;
  };
  const Case cases[] = {
      {"", "", true},
      {"MAIL", "mail", true},
      {"Content-Type", "content-TYPE", true},
      {"abc", "abd", false},
      {"abc", "ab", false},
      {"[", "{", false},                // 0x5B and 0x7B differ by 0x20 but are not letters
      {"@", "`", false},                // nor are 0x40 and 0x60
      {"\xc3\x89", "\xc3\xa9", false},  // no case folding outside ASCII
      {"\xe9", "\xc9", false},          // Latin-1 octets are not letters either
      {std::string_view("a\0b", 3), std::string_view("A\0B", 3), true},
  };
  for (const auto& c : cases) EXPECT_EQ(EqualsIgnoreCase(c.a, c.b), c.equal) << c.a << "|" << c.b;
}

TEST(Strings, StartsWithIgnoreCase) {
  EXPECT_TRUE(StartsWithIgnoreCase("AUTH PLAIN", "auth "));
  EXPECT_TRUE(StartsWithIgnoreCase("x", ""));
  EXPECT_FALSE(StartsWithIgnoreCase("AU", "auth"));
  EXPECT_FALSE(StartsWithIgnoreCase("AUTX", "auth"));
}

TEST(Strings, ContainsIgnoreCase) {
  struct Case {
    std::string_view haystack, needle;
    bool found;
  };
  const Case cases[] = {
      {"Hello World", "WORLD", true},
      {"Hello", "", true},
      {"", "", true},
      {"", "a", false},
      {"Hell", "hello", false},
      {"aaab", "AAB", true},
      {"x\xc3\xa9y", "\xc3\x89", false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ContainsIgnoreCase(c.haystack, c.needle), c.found) << c.haystack << "|" << c.needle;
  }
}

TEST(Strings, AsciiLower) {
  EXPECT_EQ(AsciiLower("MiXeD-123 \xc3\x89"), "mixed-123 \xc3\x89");
  EXPECT_EQ(AsciiLower('Z'), 'z');
  EXPECT_EQ(AsciiLower('['), '[');
}

TEST(Strings, UnescapeJsonPointerToken) {
  struct Case {
    std::string_view token;
    std::optional<std::string> out;
  };
  const Case cases[] = {
      {"", ""},
      {"plain", "plain"},
      {"a~1b", "a/b"},
      {"m~0n", "m~n"},
      {"~01", "~1"},  // ~0 first, so not "/"
      {"~10", "/0"},
      {"~0~1~0", "~/~"},
      {"~", std::nullopt},
      {"a~", std::nullopt},
      {"~2", std::nullopt},
      {"a~1~x", std::nullopt},
  };
  for (const auto& c : cases) EXPECT_EQ(UnescapeJsonPointerToken(c.token), c.out) << c.token;
}

TEST(Strings, AppendHex) {
  std::string out = "x";
  AppendHex(out, std::string_view("\x00\x7f\xff", 3));
  EXPECT_EQ(out, "x007fff");
}

}  // namespace
}  // namespace pushmail
