#include "store/mbox.h"

#include <gtest/gtest.h>

namespace pushmail::store {
namespace {

TEST(Mbox, RoundTripKeepsExactBytes) {
  const std::string messages[] = {
      "Return-Path: <a@x>\r\nSubject: one\r\n\r\nFrom here\r\n>From there\r\n>>From "
      "x\r\n>>From\r\nok\r\n",
      "Subject: two\r\n\r\n\r\n\r\n",
      "Subject: three\r\n\r\nFrom \r\n",
  };
  std::string file;
  for (const auto& m : messages) file += MboxrdEntry(EnvelopeSender(m), 1795413496, m);
  EXPECT_NE(file.find("\n>From here"), std::string::npos);
  EXPECT_NE(file.find("\n>>From there"), std::string::npos);
  EXPECT_NE(file.find("\n>>>From x\r"), std::string::npos);
  EXPECT_NE(file.find("\n>>From\r"), std::string::npos);  // no space: not a From line
  MboxReader reader(file);
  for (const auto& m : messages) {
    auto read = reader.Next();
    ASSERT_TRUE(read.has_value());
    EXPECT_EQ(read->bytes, m);
    EXPECT_EQ(read->when, 1795413496);
  }
  EXPECT_FALSE(reader.Next().has_value());
}

TEST(Mbox, SenderFromReturnPath) {
  EXPECT_EQ(EnvelopeSender("Return-Path: <bob@example.test>\r\n\r\nx"), "bob@example.test");
  EXPECT_EQ(EnvelopeSender("Return-Path: <>\r\n\r\nx"), "MAILER-DAEMON");
  EXPECT_EQ(EnvelopeSender("Subject: x\r\n\r\nReturn-Path: <no@x>\r\n"), "MAILER-DAEMON");
}

TEST(Mbox, ReadsPlainLfMboxAndNormalisesLineEnds) {
  std::string file =
      "junk before\nFrom alice@x Mon Nov 23 05:58:16 2026\nSubject: a\n\nhi\n\n"
      "From bob@x Tue Nov 24 05:58:16 2026\nSubject: b\n\nyo\n";
  MboxReader reader(file);
  auto a = reader.Next();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->sender, "alice@x");
  EXPECT_EQ(a->bytes, "Subject: a\r\n\r\nhi\r\n");
  auto b = reader.Next();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->bytes, "Subject: b\r\n\r\nyo");  // the last entry's separator may be missing
  EXPECT_FALSE(reader.Next());
}

}  // namespace
}  // namespace pushmail::store
