#include "bridge/response.h"

#include <gtest/gtest.h>

#include "bridge/quote.h"
#include "bridge/url.h"

namespace pushmail::bridge {
namespace {

imap::Limits TestLimits() { return UpstreamLimits(1024); }

TEST(ResponseTest, TaggedStatusWithCode) {
  auto r = ParseResponse("b7 OK [READ-WRITE] Select completed (0.001 + 0.000 secs).", TestLimits());
  ASSERT_TRUE(r) << r.error().text;
  EXPECT_EQ(r->kind, Response::Kind::kTagged);
  EXPECT_EQ(r->tag, "b7");
  EXPECT_EQ(r->status, "OK");
  EXPECT_EQ(r->code, "READ-WRITE");
  EXPECT_EQ(r->text, "Select completed (0.001 + 0.000 secs).");
}

TEST(ResponseTest, UntaggedStatusTextNeedNotTokenize) {
  auto r =
      ParseResponse("* OK [CAPABILITY IMAP4rev1 IDLE] Dovecot ready, \"isn't it (", TestLimits());
  ASSERT_TRUE(r) << r.error().text;
  EXPECT_EQ(r->kind, Response::Kind::kUntagged);
  EXPECT_EQ(r->status, "OK");
  EXPECT_EQ(r->code, "CAPABILITY IMAP4rev1 IDLE");
}

TEST(ResponseTest, NumberedData) {
  auto r = ParseResponse("* 23 exists", TestLimits());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->number, 23u);
  EXPECT_EQ(r->name, "EXISTS");
  EXPECT_TRUE(r->data.empty());
}

TEST(ResponseTest, FetchWithLiteral) {
  std::string text =
      "* 1 FETCH (UID 5 FLAGS (\\Seen $Label) INTERNALDATE \"17-Jul-1996 02:44:25 "
      "-0700\" BODY[] {5}\r\nab\r\nc)";
  auto r = ParseResponse(text, TestLimits());
  ASSERT_TRUE(r) << r.error().text;
  EXPECT_EQ(r->name, "FETCH");
  ASSERT_EQ(r->data.size(), 1u);
  const auto& items = r->data[0].children;
  ASSERT_NE(FindItem(items, "uid"), nullptr);
  EXPECT_EQ(Number(*FindItem(items, "UID")), 5u);
  EXPECT_EQ(FindItem(items, "FLAGS")->children.size(), 2u);
  EXPECT_EQ(FindItem(items, "BODY[]")->text(), "ab\r\nc");
  EXPECT_EQ(FindItem(items, "INTERNALDATE")->text(), "17-Jul-1996 02:44:25 -0700");
  EXPECT_EQ(FindItem(items, "RFC822"), nullptr);
}

TEST(ResponseTest, ListAndStatusAndContinuation) {
  auto list = ParseResponse("* LIST (\\HasNoChildren \\Sent) \"/\" \"Sent Items\"", TestLimits());
  ASSERT_TRUE(list);
  ASSERT_EQ(list->data.size(), 3u);
  EXPECT_EQ(list->data[2].text(), "Sent Items");
  auto status = ParseResponse("* STATUS INBOX (MESSAGES 2 UIDNEXT 9)", TestLimits());
  ASSERT_TRUE(status);
  EXPECT_EQ(Number(*FindItem(status->data[1].children, "UIDNEXT")), 9u);
  // NOTIFY's MailboxName event for a rename (RFC 5465 5.4): the old name in extended data.
  auto renamed = ParseResponse("* LIST () \".\" Work (\"OLDNAME\" (Projects))", TestLimits());
  ASSERT_TRUE(renamed) << renamed.error().text;
  ASSERT_EQ(renamed->data.size(), 4u);
  ASSERT_EQ(renamed->data[3].children.size(), 2u);
  EXPECT_EQ(renamed->data[3].children[0].text(), "OLDNAME");
  EXPECT_EQ(renamed->data[3].children[1].children[0].text(), "Projects");
  auto idling = ParseResponse("+ idling", TestLimits());
  ASSERT_TRUE(idling);
  EXPECT_EQ(idling->kind, Response::Kind::kContinuation);
  EXPECT_EQ(idling->text, "idling");
}

// Bad input: each is refused with an error, never a crash or a half-filled response.
TEST(ResponseTest, BadInputs) {
  const char* kBad[] = {
      "",                                // empty
      "*",                               // no name
      "b1",                              // tag alone
      "b1 MAYBE done",                   // tagged, not OK/NO/BAD
      "* 99999999999 EXISTS",            // number over 2^32-1
      "* 12",                            // number without a name
      "* 12x EXISTS",                    // not a number
      "* OK [UIDVALIDITY 3 no bracket",  // code without ]
      "* OK text with \x01 control",     // control character in text
      "* 1 FETCH (UID 5",                // unbalanced parenthesis
      "* 1 FETCH (BODY[] {10}\r\nab)",   // literal longer than the text
      "* 1 FETCH (BODY[] {5x}\r\nabcde)",
      "* LIST (\\Noselect) \"/\" \"unterminated",
      "* LIST () \".\" Work (\"OLDNAME\" (Projects)",  // extended data not closed
      "* LIST () \".\" Work (\"OLDNAME\" {3}\r\nab)",  // literal longer than the text
      "* SEARCH 1 \x7f 2",
      "(b1) OK done",
      "\"b1\" OK done",
  };
  for (const char* bad : kBad) {
    EXPECT_FALSE(ParseResponse(bad, TestLimits())) << bad;
  }
}

TEST(ResponseTest, DepthAndTokenLimits) {
  imap::Limits limits = TestLimits();
  std::string deep =
      "* X " + std::string(limits.max_depth + 1, '(') + std::string(limits.max_depth + 1, ')');
  EXPECT_FALSE(ParseResponse(deep, limits));
  limits.max_tokens = 10;
  EXPECT_FALSE(ParseResponse("* SEARCH 1 2 3 4 5 6 7 8 9 10 11 12", limits));
  limits.max_command = 8;
  EXPECT_FALSE(ParseResponse("* SEARCH 1 2 3", limits));
}

TEST(ResponseTest, UidCodes) {
  auto append = ParseUidCode("APPENDUID 38505 3955", TestLimits());
  ASSERT_TRUE(append) << append.error().text;
  EXPECT_EQ(append->uidvalidity, 38505u);
  EXPECT_TRUE(append->source.empty());
  EXPECT_EQ(append->destination, std::vector<uint32_t>{3955});
  auto copy = ParseUidCode("copyuid 38505 304,319:320 3956:3958", TestLimits());
  ASSERT_TRUE(copy) << copy.error().text;
  EXPECT_EQ(copy->source, (std::vector<uint32_t>{304, 319, 320}));
  EXPECT_EQ(copy->destination, (std::vector<uint32_t>{3956, 3957, 3958}));
  auto reversed = ParseUidCode("COPYUID 1 3:2 5,4", TestLimits());
  ASSERT_TRUE(reversed);
  EXPECT_EQ(reversed->source, (std::vector<uint32_t>{2, 3}));
  EXPECT_EQ(reversed->destination, (std::vector<uint32_t>{5, 4}));
}

// Bad response codes: each is refused, never half-read.
TEST(ResponseTest, BadUidCodes) {
  const char* kBad[] = {
      "",                                     // empty
      "UIDVALIDITY 3",                        // another code
      "APPENDUID",                            // no UIDVALIDITY
      "APPENDUID 0 1",                        // UIDVALIDITY 0
      "APPENDUID 4294967296 1",               // over 2^32-1
      "APPENDUID 12x 1",                      // not a number
      "APPENDUID 1",                          // no set
      "APPENDUID 1 *",                        // "*"
      "APPENDUID 1 5:*",                      // "*" in a range
      "APPENDUID 1 0",                        // UID 0
      "APPENDUID 1 1,,2",                     // bad set
      "APPENDUID 1 1 2",                      // text after the set
      "COPYUID 1 1:3 4:5",                    // sets of different sizes
      "COPYUID 1 1",                          // no destination set
      "COPYUID 1 1:4294967295 1:4294967295",  // more UIDs than the limit
      "APPENDUID 1 $",                        // a saved result
  };
  for (const char* bad : kBad) {
    EXPECT_FALSE(ParseUidCode(bad, TestLimits())) << bad;
  }
}

TEST(QuoteTest, QuotedOrLiteral) {
  EXPECT_EQ(Quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(Quote("caf\xc3\xa9"), "{5+}\r\ncaf\xc3\xa9");
  EXPECT_FALSE(IsQuotable("a\r\nb"));
}

TEST(UpstreamUrlTest, GoodAndBad) {
  auto plain = ParseUpstreamUrl("imap://127.0.0.1:143");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->host, "127.0.0.1");
  EXPECT_EQ(plain->port, 143);
  EXPECT_FALSE(plain->tls);
  auto tls = ParseUpstreamUrl("imaps://[::1]:993/");
  ASSERT_TRUE(tls);
  EXPECT_EQ(tls->host, "::1");
  EXPECT_TRUE(tls->tls);
  for (const char* bad : {"http://x:1", "imap://x", "imap://:1", "imap://x:0", "imap://x:65536",
                          "imap://x:1a", "imap://u@x:1", "imap:///:1"}) {
    EXPECT_FALSE(ParseUpstreamUrl(bad)) << bad;
  }
}

}  // namespace
}  // namespace pushmail::bridge
