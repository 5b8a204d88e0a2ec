#include "base/clock.h"

#include <gtest/gtest.h>

#include <ctime>

namespace pushmail {
namespace {

TEST(Clock, UnixNowIsTime) {
  int64_t before = static_cast<int64_t>(std::time(nullptr));
  int64_t now = UnixNow();
  int64_t after = static_cast<int64_t>(std::time(nullptr));
  EXPECT_GE(now, before);
  EXPECT_LE(now, after);
}

TEST(Clock, Rfc5322Date) {
  struct Case {
    int64_t unix_seconds;
    const char* text;
  };
  const Case cases[] = {
      {0, "Thu, 01 Jan 1970 00:00:00 +0000"},
      {1795413496, "Mon, 23 Nov 2026 05:58:16 +0000"},
      {951782400, "Tue, 29 Feb 2000 00:00:00 +0000"},
  };
  for (const auto& c : cases) EXPECT_EQ(Rfc5322Date(c.unix_seconds), c.text) << c.unix_seconds;
}

}  // namespace
}  // namespace pushmail
