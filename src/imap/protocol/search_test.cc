#include "imap/protocol/search.h"

#include <gtest/gtest.h>

#include <string>

namespace pushmail::imap {
namespace {

using Kind = SearchKey::Kind;

// A compact picture of a search tree.
std::string Dump(const SearchKey& k) {
  auto children = [&k]() {
    std::string out;
    for (const SearchKey& c : k.children) out += (out.empty() ? "" : " ") + Dump(c);
    return out;
  };
  switch (k.kind) {
    case Kind::kAll:
      return "ALL";
    case Kind::kAnd:
      return "AND(" + children() + ")";
    case Kind::kOr:
      return "OR(" + children() + ")";
    case Kind::kNot:
      return "NOT(" + children() + ")";
    case Kind::kSequenceSet:
      return "SEQ(" + FormatSequenceSet(k.set) + ")";
    case Kind::kUid:
      return "UID(" + FormatSequenceSet(k.set) + ")";
    case Kind::kFlag:
      return "FLAG(" + k.text + ")";
    case Kind::kNoFlag:
      return "NOFLAG(" + k.text + ")";
    case Kind::kRecent:
      return "RECENT";
    case Kind::kHeader:
      return "HEADER(" + k.field + "," + k.text + ")";
    case Kind::kBody:
      return "BODY(" + k.text + ")";
    case Kind::kText:
      return "TEXT(" + k.text + ")";
    case Kind::kBefore:
      return "BEFORE(" + FormatDate(k.date) + ")";
    case Kind::kOn:
      return "ON(" + FormatDate(k.date) + ")";
    case Kind::kSince:
      return "SINCE(" + FormatDate(k.date) + ")";
    case Kind::kSentBefore:
      return "SENTBEFORE(" + FormatDate(k.date) + ")";
    case Kind::kSentOn:
      return "SENTON(" + FormatDate(k.date) + ")";
    case Kind::kSentSince:
      return "SENTSINCE(" + FormatDate(k.date) + ")";
    case Kind::kLarger:
      return "LARGER(" + std::to_string(k.number) + ")";
    case Kind::kSmaller:
      return "SMALLER(" + std::to_string(k.number) + ")";
    case Kind::kModSeq:
      return "MODSEQ(" + k.text + "," + k.field + "," + std::to_string(k.number) + ")";
    case Kind::kEmailId:
      return "EMAILID(" + k.text + ")";
    case Kind::kThreadId:
      return "THREADID(" + k.text + ")";
    case Kind::kOlder:
      return "OLDER(" + std::to_string(k.number) + ")";
    case Kind::kYounger:
      return "YOUNGER(" + std::to_string(k.number) + ")";
  }
  return "?";
}

Parsed<Search> SearchFor(const std::string& program, const Limits& limits = Limits{}) {
  auto tokens = Tokenize(program, limits);
  if (!tokens) return std::move(tokens.error());
  return ParseSearch(*tokens, limits);
}

TEST(ParseSearch, Good) {
  const std::pair<std::string, std::string> cases[] = {
      {"ALL", "ALL"},
      {"all", "ALL"},
      {"ANSWERED DELETED DRAFT FLAGGED SEEN",
       "AND(FLAG(\\Answered) FLAG(\\Deleted) FLAG(\\Draft) FLAG(\\Flagged) FLAG(\\Seen))"},
      {"UNANSWERED UNDELETED UNDRAFT UNFLAGGED UNSEEN",
       "AND(NOFLAG(\\Answered) NOFLAG(\\Deleted) NOFLAG(\\Draft) NOFLAG(\\Flagged) "
       "NOFLAG(\\Seen))"},
      {"KEYWORD $Junk UNKEYWORD foo", "AND(FLAG($Junk) NOFLAG(foo))"},
      {"NEW", "AND(RECENT NOFLAG(\\Seen))"},
      {"OLD", "NOT(RECENT)"},
      {"RECENT", "RECENT"},
      {"BCC a CC b FROM \"c d\" SUBJECT {1}\r\ne TO f",
       "AND(HEADER(Bcc,a) HEADER(Cc,b) HEADER(From,c d) HEADER(Subject,e) HEADER(To,f))"},
      {"HEADER X-Spam \"\"", "HEADER(X-Spam,)"},
      {"BODY x TEXT \"caf\xc3\xa9\"", "AND(BODY(x) TEXT(caf\xc3\xa9))"},
      {"BEFORE 1-Feb-1994 ON \"01-feb-1994\" SINCE 29-Feb-2024",
       "AND(BEFORE(1-Feb-1994) ON(1-Feb-1994) SINCE(29-Feb-2024))"},
      {"SENTBEFORE 1-Jan-2000 SENTON 2-Jan-2000 SENTSINCE 3-Jan-2000",
       "AND(SENTBEFORE(1-Jan-2000) SENTON(2-Jan-2000) SENTSINCE(3-Jan-2000))"},
      {"LARGER 100 SMALLER 9223372036854775807", "AND(LARGER(100) SMALLER(9223372036854775807))"},
      {"1:3,5 UID 10:* $", "AND(SEQ(1:3,5) UID(10:*) SEQ($))"},
      {"UID $", "UID($)"},
      {"NOT DELETED", "NOT(FLAG(\\Deleted))"},
      {"OR SEEN FLAGGED", "OR(FLAG(\\Seen) FLAG(\\Flagged))"},
      {"OR (SEEN FLAGGED) NOT (ANSWERED)",
       "OR(AND(FLAG(\\Seen) FLAG(\\Flagged)) NOT(FLAG(\\Answered)))"},
      {"((ALL))", "ALL"},
      {"MODSEQ 20070101", "MODSEQ(,,20070101)"},
      {"MODSEQ \"/flags/\\\\draft\" all 620162338", "MODSEQ(/flags/\\draft,ALL,620162338)"},
      {"EMAILID M6d99ac3275bb4e THREADID T64b478a75b7ea9",
       "AND(EMAILID(M6d99ac3275bb4e) THREADID(T64b478a75b7ea9))"},
      {"OLDER 3600 YOUNGER 60", "AND(OLDER(3600) YOUNGER(60))"},
  };
  for (const auto& [program, dump] : cases) {
    auto s = SearchFor(program);
    ASSERT_TRUE(s) << program << ": " << s.error().text;
    EXPECT_EQ(Dump(s->key), dump) << program;
    EXPECT_FALSE(s->ret.present);
  }
}

TEST(ParseSearch, ReturnAndCharset) {
  auto s = SearchFor("RETURN () ALL");
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->ret.present && s->ret.all);
  s = SearchFor("RETURN (MIN MAX ALL COUNT SAVE) CHARSET us-ascii SEEN");
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->ret.min && s->ret.max && s->ret.all && s->ret.count && s->ret.save);
  EXPECT_EQ(s->charset, "US-ASCII");
  s = SearchFor("CHARSET \"UTF-8\" SEEN");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->charset, "UTF-8");
}

TEST(ParseSearch, Bad) {
  const std::pair<std::string, std::string> cases[] = {
      {"", "Missing search key"},
      {"FOO", "Unknown search key"},
      {"\"ALL\"", "Invalid search key"},
      {"FROM", "Missing argument"},
      {"HEADER X", "Missing argument"},
      {"HEADER \"\" x", "Invalid header field name"},
      {"BEFORE 1-Foo-1994", "Invalid date"},
      {"BEFORE 32-Jan-1994", "Invalid date"},
      {"BEFORE 29-Feb-2023", "Invalid date"},
      {"BEFORE 1-Feb-94", "Invalid date"},
      {"BEFORE 1994-02-01", "Invalid date"},
      {"BEFORE 001-Feb-1994", "Invalid date"},
      {"BEFORE (1-Feb-1994)", "Invalid date"},
      {"LARGER x", "Invalid number"},
      {"LARGER -1", "Invalid number"},
      {"LARGER 9223372036854775808", "Invalid number"},
      {"OLDER 0", "Invalid number"},
      {"UID 0", "Invalid sequence set"},
      {"UID \"1\"", "Invalid sequence set"},
      {"0", "Invalid sequence set"},
      {"1,,2", "Invalid sequence set"},
      {"KEYWORD \\Seen", "Invalid keyword"},
      {"KEYWORD a*", "Invalid keyword"},
      {"NOT", "Missing search key"},
      {"OR SEEN", "Missing search key"},
      {"()", "Missing search key"},
      {"MODSEQ", "Missing number"},
      {"MODSEQ \"/flags/x\" 5", "Invalid MODSEQ entry type"},
      {"MODSEQ \"/flags/x\" foo 5", "Invalid MODSEQ entry type"},
      {"EMAILID a.b", "Invalid object id"},
      {"EMAILID \"\"", "Invalid object id"},
      {"FROM \"\xff\"", "not valid UTF-8"},
      {"TEXT \"\xc3\"", "not valid UTF-8"},
      {"RETURN ALL", "RETURN needs a list"},
      {"RETURN (PARTIAL 1:10) ALL", "Unknown SEARCH RETURN option"},
      {"RETURN (ALL)", "Missing search key"},
      {"CHARSET", "Missing argument"},
      {"CHARSET BIG5 ALL", "Unsupported charset"},
  };
  for (const auto& [program, error] : cases) {
    auto s = SearchFor(program);
    ASSERT_FALSE(s) << program;
    EXPECT_NE(s.error().text.find(error), std::string::npos) << program << " -> " << s.error().text;
  }
}

TEST(ParseSearch, NestingAndKeyLimits) {
  Limits limits;
  std::string nots;
  for (int i = 0; i < 31; ++i) nots += "NOT ";
  EXPECT_TRUE(SearchFor(nots + "ALL", limits));
  EXPECT_FALSE(SearchFor(nots + "NOT ALL", limits));
  std::string deep;
  for (int i = 0; i < 10000; ++i) deep += "NOT ";
  auto s = SearchFor(deep + "ALL", limits);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().text, "Search program too deeply nested");
  std::string ors;
  for (int i = 0; i < 40; ++i) ors += "OR SEEN ";
  EXPECT_FALSE(SearchFor(ors + "ALL", limits));
  std::string many;
  for (int i = 0; i < 1000; ++i) many += "SEEN ";
  EXPECT_TRUE(SearchFor(many, limits));
  s = SearchFor(many + "SEEN", limits);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().text, "Too many search keys");
}

}  // namespace
}  // namespace pushmail::imap
