// Tests of the small codecs: sequence sets, mailbox names, dates and response primitives.
#include "imap/protocol/format.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "imap/protocol/datetime.h"
#include "imap/protocol/mailbox.h"
#include "imap/protocol/parser.h"
#include "imap/protocol/sequence.h"

namespace pushmail::imap {
namespace {

using namespace std::string_literals;

TEST(SequenceSet, ParseAndFormat) {
  const char* good[] = {"1", "*", "1:*", "*:4", "1,3:5,7", "4294967295", "2:1", "$"};
  for (const char* text : good) {
    auto set = ParseSequenceSet(text, Limits{});
    ASSERT_TRUE(set) << text;
    EXPECT_EQ(FormatSequenceSet(*set), text);
  }
  const char* bad[] = {"",      "0", "0:1", "01", "1:",         ",1",  "1,", "1,,2",
                       "1:2:3", "a", "-1",  "1 ", "4294967296", "$,1", "$$", "1:$"};
  for (const char* text : bad) EXPECT_FALSE(ParseSequenceSet(text, Limits{})) << text;
  EXPECT_FALSE(ParseSequenceSet("$", Limits{}, false));
  Limits small;
  small.max_ranges = 3;
  EXPECT_TRUE(ParseSequenceSet("1,2,3:4", small));
  EXPECT_FALSE(ParseSequenceSet("1,2,3,4", small));
}

TEST(SequenceSet, Contains) {
  auto set = *ParseSequenceSet("2,4:6,10:*", Limits{});
  const std::pair<uint32_t, bool> in_20[] = {{1, false}, {2, true},  {3, false},
                                             {4, true},  {6, true},  {7, false},
                                             {10, true}, {20, true}, {21, false}};
  for (auto [n, in] : in_20) EXPECT_EQ(set.Contains(n, 20), in) << n;
  auto past = *ParseSequenceSet("559:*", Limits{});
  EXPECT_TRUE(past.Contains(500, 500));  // RFC 9051 6.4.8
  EXPECT_FALSE(past.Contains(499, 500));
  auto star = *ParseSequenceSet("*", Limits{});
  EXPECT_FALSE(star.Contains(1, 0));
  EXPECT_TRUE(star.Contains(7, 7));
}

TEST(SequenceSet, ExpandAndNormalize) {
  std::vector<uint32_t> uids = {3, 5, 9, 12, 40};
  auto set = *ParseSequenceSet("1:5,12,30:*,9:9", Limits{});
  EXPECT_EQ(set.Expand(uids), (std::vector<uint32_t>{3, 5, 9, 12, 40}));
  EXPECT_EQ(ParseSequenceSet("100:*", Limits{})->Expand(uids), (std::vector<uint32_t>{40}));
  EXPECT_EQ(ParseSequenceSet("6:8", Limits{})->Expand(uids), (std::vector<uint32_t>{}));
  EXPECT_EQ(ParseSequenceSet("*", Limits{})->Expand({}), (std::vector<uint32_t>{}));
  auto n = ParseSequenceSet("7:5,1,2,100,*", Limits{})->Normalize(10);
  EXPECT_EQ(n, (std::vector<SeqRange>{{1, 2}, {5, 7}, {10, 10}}));
  EXPECT_TRUE(ParseSequenceSet("1:*", Limits{})->Normalize(0).empty());
}

TEST(SequenceSet, FormatSortedUids) {
  const std::pair<std::vector<uint32_t>, std::string> cases[] = {
      {{}, ""},
      {{1}, "1"},
      {{1, 2, 3, 5, 7, 8, 9}, "1:3,5,7:9"},
      {{4294967294, 4294967295}, "4294967294:4294967295"},
  };
  for (const auto& [uids, text] : cases) EXPECT_EQ(FormatSequenceSet(uids), text);
}

TEST(Mutf7, RoundTrips) {
  const std::pair<std::string, std::string> cases[] = {
      {"INBOX", "INBOX"},
      {"&", "&-"},
      {"a&b", "a&-b"},
      {"Entw\xc3\xbcrfe", "Entw&APw-rfe"},
      {"\xe5\x8f\xb0\xe5\x8c\x97", "&U,BTFw-"},  // RFC 3501 5.1.3 example
      {"~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
       "~peter/mail/&U,BTFw-/&ZeVnLIqe-"},
      {"\xf0\x9f\x98\x80", "&2D3eAA-"},  // U+1F600, a surrogate pair
      {"\xc3\xa9\xc3\xa9\xc3\xa9", "&AOkA6QDp-"},
      {"a\x7f"
       "b",
       "a&AH8-b"},
  };
  for (const auto& [utf8, mutf7] : cases) {
    EXPECT_EQ(EncodeMutf7(utf8), mutf7) << utf8;
    auto decoded = DecodeMutf7(mutf7);
    ASSERT_TRUE(decoded) << mutf7;
    EXPECT_EQ(*decoded, utf8) << mutf7;
  }
}

TEST(Mutf7, Invalid) {
  const char* cases[] = {
      "&",           // unterminated
      "&AOk",        // unterminated
      "&AO-",        // 12 bits: not a whole unit
      "&AOkA-",      // 24 bits: padding bits left
      "&AOl-",       // padding bits not zero
      "&AGE-",       // encodes "a", which must be plain
      "&ACY-",       // encodes "&", which must be "&-"
      "&AOk-&AOk-",  // two runs side by side
      "&2D0-",       // lone high surrogate
      "&3gA-",       // lone low surrogate
      "&AOk/-",      // "/" is not modified base64
      "a\xc3\xa9",   // 8-bit
      "a\tb",        // control
      "&*-",
  };
  for (const char* c : cases) EXPECT_FALSE(DecodeMutf7(c)) << c;
}

TEST(MailboxName, DecodeAndEncode) {
  EXPECT_EQ(*DecodeMailboxName("inbox", false), "INBOX");
  EXPECT_EQ(*DecodeMailboxName("InBox/Sub", true), "INBOX/Sub");
  EXPECT_EQ(*DecodeMailboxName("INBOXES", false), "INBOXES");
  EXPECT_EQ(*DecodeMailboxName("&AOk-t&AOk-", false), "\xc3\xa9t\xc3\xa9");
  EXPECT_EQ(*DecodeMailboxName("&AOk-", true), "&AOk-");
  EXPECT_FALSE(DecodeMailboxName("\xc3\xa9", false));
  EXPECT_FALSE(DecodeMailboxName("a\rb", true));
  EXPECT_FALSE(DecodeMailboxName("\xc3", true));
  EXPECT_FALSE(DecodeMailboxName("a&AAk-b", false));
  EXPECT_FALSE(DecodeMailboxName("a&AH8-b", false));
  EXPECT_EQ(EncodeMailboxName("\xc3\xa9", false), "&AOk-");
  EXPECT_EQ(EncodeMailboxName("\xc3\xa9", true), "\xc3\xa9");
  EXPECT_TRUE(IsCreatableMailboxName("a/b"));
  for (const char* bad : {"", "/a", "a/", "a//b", "a*", "%"}) {
    EXPECT_FALSE(IsCreatableMailboxName(bad)) << bad;
  }
}

TEST(MailboxName, ListPatterns) {
  struct {
    const char* pattern;
    const char* name;
    bool match;
  } cases[] = {
      {"*", "INBOX", true},
      {"*", "a/b/c", true},
      {"%", "a", true},
      {"%", "a/b", false},
      {"a/%", "a/b", true},
      {"a/%", "a/b/c", false},
      {"a/*", "a/b/c", true},
      {"a*", "a", true},
      {"a%b", "a/b", false},
      {"a%b", "axxb", true},
      {"INBOX", "INBOX", true},
      {"INBOX", "INBOXES", false},
      {"", "", true},
      {"", "a", false},
      {"%/%", "a/b", true},
      {"*b", "a/b", true},
      {"**%%*", "x/y", true},
      {"%%", "x/y", false},
      {"a*b*c", "a/x/b/y/c", true},
      {"a*b*c", "a/x/c/y/b", false},
      {"Entw\xc3\xbc%", "Entw\xc3\xbcrfe", true},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(MatchesListPattern(c.pattern, c.name), c.match) << c.pattern << " " << c.name;
  }
  // A long hostile pattern is refused at once.
  std::string hostile;
  for (int i = 0; i < 30000; ++i) hostile += "a*";
  EXPECT_FALSE(MatchesListPattern(hostile, "aaaa"));
}

TEST(Dates, Parse) {
  EXPECT_EQ(*ParseDate("1-Feb-1994"), (Date{1994, 2, 1}));
  EXPECT_EQ(*ParseDate("29-feb-2024"), (Date{2024, 2, 29}));
  for (const char* bad : {"", "1-Feb-94", "0-Feb-1994", "30-Feb-2024", "1-Fbr-1994", "1 Feb 1994",
                          "1-Feb-1994 ", "111-Feb-1994", "1-Feb-0000", "x-Feb-1994"}) {
    EXPECT_FALSE(ParseDate(bad)) << bad;
  }
  auto t = ParseDateTime("17-Jul-1996 02:44:25 -0700");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->unix_seconds, 837596665);
  EXPECT_EQ(t->offset_minutes, -420);
  EXPECT_EQ(ParseDateTime(" 7-Jul-1996 02:44:25 +0000")->unix_seconds, 836707465);
  EXPECT_EQ(ParseDateTime("07-Jul-1996 02:44:25 +0000")->unix_seconds, 836707465);
  for (const char* bad :
       {"", "17-Jul-1996", "17-Jul-1996 02:44:25", "17-Jul-1996 02:44 -0700",
        "17-Jul-1996 2:44:25 -0700", "17-Jul-1996 02:44:25 -07:00", "17-Jul-1996 02:44:25 -2400",
        "17-Jul-1996 02:60:25 -0700", "17-Jul-1996 02:44:25 -0760", "17-Jul-1996 02:44:25  -0700",
        "17-Jul-1996 02:44:25 -0700 ", "  7-Jul-1996 02:44:25 +0000"}) {
    EXPECT_FALSE(ParseDateTime(bad)) << bad;
  }
}

TEST(Dates, Format) {
  EXPECT_EQ(FormatDateTime(DateTime{837596665, -420}), "\"17-Jul-1996 02:44:25 -0700\"");
  EXPECT_EQ(FormatDateTime(DateTime{836707465, 0}), "\"07-Jul-1996 02:44:25 +0000\"");
  EXPECT_EQ(FormatDateTime(DateTime{0, 330}), "\"01-Jan-1970 05:30:00 +0530\"");
  EXPECT_EQ(FormatDateTime(DateTime{-1, 0}), "\"31-Dec-1969 23:59:59 +0000\"");
  EXPECT_EQ(FormatRfc5322Date(DateTime{837596665, -420}), "Wed, 17 Jul 1996 02:44:25 -0700");
  EXPECT_EQ(FormatRfc5322Date(DateTime{0, 0}), "Thu, 1 Jan 1970 00:00:00 +0000");
  EXPECT_EQ(FormatDate(Date{1994, 2, 1}), "1-Feb-1994");
  EXPECT_EQ(FormatDate(Date{997, 2, 7}), "7-Feb-0997");  // date-year is 4DIGIT
  EXPECT_EQ(Date::FromUnix(837596665, -420), (Date{1996, 7, 17}));
  EXPECT_EQ(Date::FromUnix(837596665), (Date{1996, 7, 17}));
  EXPECT_EQ((Date{1970, 1, 2}).DaysSinceEpoch(), 1);
  // What FormatDateTime writes reads back.
  for (int64_t t : {0LL, 837596665LL, 1700000000LL, 4102444799LL}) {
    std::string s = FormatDateTime(DateTime{t, -90});
    auto back = ParseDateTime(s.substr(1, s.size() - 2));
    ASSERT_TRUE(back) << s;
    EXPECT_EQ(*back, (DateTime{t, -90}));
  }
}

TEST(Format, Strings) {
  struct {
    std::string in;
    bool utf8;
    std::string astring, string;
  } cases[] = {
      {"INBOX", false, "INBOX", "\"INBOX\""},
      {"a]b", false, "a]b", "\"a]b\""},
      {"", false, "\"\"", "\"\""},
      {"NIL", false, "\"NIL\"", "\"NIL\""},
      {"nil", false, "\"nil\"", "\"nil\""},
      {"a b", false, "\"a b\"", "\"a b\""},
      {"a\"b\\c", false, "\"a\\\"b\\\\c\"", "\"a\\\"b\\\\c\""},
      {"a*", false, "\"a*\"", "\"a*\""},
      {"(x)", false, "\"(x)\"", "\"(x)\""},
      {"{5}", false, "\"{5}\"", "\"{5}\""},
      {"\xc3\xa9", false, "{2}\r\n\xc3\xa9", "{2}\r\n\xc3\xa9"},
      {"\xc3\xa9", true, "\"\xc3\xa9\"", "\"\xc3\xa9\""},
      {"\xff", true, "{1}\r\n\xff", "{1}\r\n\xff"},
      {"a\r\nb", true, "{4}\r\na\r\nb", "{4}\r\na\r\nb"},
      {"a\0b"s, false, "{3}\r\na\0b"s, "{3}\r\na\0b"s},
      {std::string(1025, 'x'), false, "{1025}\r\n" + std::string(1025, 'x'),
       "{1025}\r\n" + std::string(1025, 'x')},
  };
  for (const auto& c : cases) {
    std::string a, s;
    AppendAstring(a, c.in, c.utf8);
    AppendString(s, c.in, c.utf8);
    EXPECT_EQ(a, c.astring) << c.in;
    EXPECT_EQ(s, c.string) << c.in;
    // Whatever is written reads back as the same string (a NUL cannot be sent in a string).
    if (c.in.find('\0') != std::string::npos) continue;
    auto tokens = Tokenize(a, Limits{});
    ASSERT_TRUE(tokens) << c.in;
    ASSERT_EQ(tokens->size(), 1u);
    EXPECT_EQ((*tokens)[0].text(), c.in);
  }
  std::string n;
  AppendNString(n, std::nullopt, false);
  n += ' ';
  AppendNString(n, "x", false);
  EXPECT_EQ(n, "NIL \"x\"");
  std::string m;
  AppendMailbox(m, "Entw\xc3\xbcrfe", false);
  m += ' ';
  AppendMailbox(m, "INBOX", false);
  m += ' ';
  AppendMailbox(m, "a b", true);
  EXPECT_EQ(m, "Entw&APw-rfe INBOX \"a b\"");
  EXPECT_TRUE(IsAtom("abc"));
  EXPECT_FALSE(IsAtom("a]"));
}

TEST(Format, FlagsAndStatus) {
  std::string f;
  std::vector<std::string> flags = {"\\Seen", "$Forwarded"};
  AppendFlagList(f, flags);
  EXPECT_EQ(f, "(\\Seen $Forwarded)");
  f.clear();
  AppendFlagList(f, {});
  EXPECT_EQ(f, "()");
  EXPECT_EQ(FormatStatus("a1", Condition::kOk, "READ-WRITE", "SELECT completed"),
            "a1 OK [READ-WRITE] SELECT completed\r\n");
  EXPECT_EQ(FormatStatus("", Condition::kBye, "", "bye\r\n"), "* BYE bye  \r\n");
  EXPECT_EQ(FormatStatus("*", Condition::kOk, "", ""), "* OK Completed\r\n");
}

}  // namespace
}  // namespace pushmail::imap
