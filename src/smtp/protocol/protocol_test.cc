#include "smtp/protocol/protocol.h"

#include <gtest/gtest.h>

namespace pushmail::smtp {
namespace {

struct Bad {
  std::string input;
  int code;
  const char* enhanced;
};

// `n` DNS labels of 63 octets, each followed by a dot.
std::string Labels(int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += std::string(63, 'b') + ".";
  return out;
}

template <class T>
void ExpectRefused(const Parsed<T>& parsed, const Bad& c) {
  ASSERT_FALSE(parsed) << "accepted: " << c.input;
  EXPECT_EQ(parsed.error().code, c.code) << c.input;
  EXPECT_EQ(parsed.error().enhanced, c.enhanced) << c.input;
}

TEST(Reply, Formats) {
  EXPECT_EQ(Reply::Make(250, "2.0.0", "Ok").Format(), "250 2.0.0 Ok\r\n");
  EXPECT_EQ(Reply::Make(220, "", "hi").Format(), "220 hi\r\n");
  EXPECT_EQ((Reply{250, "", {"a", "b", "c"}}).Format(), "250-a\r\n250-b\r\n250 c\r\n");
  EXPECT_EQ(Reply::Make(334, "", "").Format(), "334 \r\n");
  EXPECT_EQ((Reply{421, "4.3.2", {}}).Format(), "421 4.3.2\r\n");
}

TEST(ParseCommand, VerbsAreCaseInsensitive) {
  auto c = ParseCommand("mAiL FROM:<a@b>");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->verb, Verb::kMail);
  EXPECT_EQ(c->argument, "FROM:<a@b>");
  EXPECT_EQ(ParseCommand("starttls")->verb, Verb::kStartTls);
  EXPECT_EQ(ParseCommand("QUIT")->argument, "");
  EXPECT_EQ(ParseCommand("MAILX FROM:<a@b>")->verb, Verb::kUnknown);
  EXPECT_EQ(ParseCommand("XYZZY")->verb, Verb::kUnknown);
}

TEST(ParseCommand, BadLines) {
  const Bad cases[] = {
      {"", 500, "5.5.2"},         {std::string("NOOP\0", 5), 500, "5.5.2"},
      {"NO\rOP", 500, "5.5.2"},   {"NOOP \x01", 500, "5.5.2"},
      {"NOOP\x7f", 500, "5.5.2"}, {"\x1b[31mNOOP", 500, "5.5.2"},
  };
  for (const auto& c : cases) ExpectRefused(ParseCommand(c.input), c);
}

TEST(ParseMailFrom, Good) {
  auto m = ParseMailFrom("FROM:<alice@example.org> SIZE=1000 BODY=8BITMIME");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->path.local, "alice");
  EXPECT_EQ(m->path.domain, "example.org");
  EXPECT_EQ(m->size, 1000u);
  EXPECT_EQ(m->body, BodyType::k8BitMime);
  EXPECT_TRUE(ParseMailFrom("FROM:<>")->path.IsNull());
  EXPECT_TRUE(ParseMailFrom("from: <a@b.c>"));  // a space after the colon is tolerated
  EXPECT_EQ(ParseMailFrom("FROM:<@relay.example,@b.example:x@y.example>")->path.ToString(),
            "x@y.example");
  auto quoted = ParseMailFrom(R"(FROM:<"john \"j\" doe"@example.org>)");
  ASSERT_TRUE(quoted);
  EXPECT_EQ(quoted->path.local, "john \"j\" doe");
  EXPECT_EQ(quoted->path.ToString(), R"("john \"j\" doe"@example.org)");
  EXPECT_TRUE(ParseMailFrom("FROM:<a@[127.0.0.1]>"));
  EXPECT_TRUE(ParseMailFrom("FROM:<a@[IPv6:::1]>"));
  auto utf8 = ParseMailFrom("FROM:<jörg@bücher.example> SMTPUTF8");
  ASSERT_TRUE(utf8);
  EXPECT_TRUE(utf8->smtputf8);
  EXPECT_TRUE(utf8->path.IsUtf8());
  EXPECT_EQ(ParseMailFrom("FROM:<a@b.c> BODY=BINARYMIME")->body, BodyType::kBinaryMime);
  EXPECT_TRUE(ParseMailFrom("FROM:<a@b.c> AUTH=<>"));
  EXPECT_EQ(ParseMailFrom("FROM:<a@b.c> SIZE=18446744073709551615")->size, UINT64_MAX);
}

TEST(ParseMailFrom, Bad) {
  const Bad cases[] = {
      {"", 501, "5.5.4"},
      {"TO:<a@b.c>", 501, "5.5.4"},
      {"FROM<a@b.c>", 501, "5.5.4"},
      {"FROM:a@b.c", 501, "5.5.4"},
      {"FROM:<a@b.c", 501, "5.5.4"},
      {"FROM:<no-at-sign>", 501, "5.1.7"},
      {"FROM:<@b.c>", 501, "5.1.7"},
      {"FROM:<a@>", 501, "5.1.7"},
      {"FROM:<a..b@c.d>", 501, "5.1.7"},
      {"FROM:<.a@c.d>", 501, "5.1.7"},
      {"FROM:<a b@c.d>", 501, "5.1.7"},
      {"FROM:<a@-bad.example>", 501, "5.1.7"},
      {"FROM:<a@bad..example>", 501, "5.1.7"},
      {"FROM:<a@exa_mple.org>", 501, "5.1.7"},
      {"FROM:<a@[300.1.1.1]>", 501, "5.1.7"},
      {"FROM:<a@[1.2.3]>", 501, "5.1.7"},
      {"FROM:<\"unterminated@b.c>", 501, "5.5.4"},
      {"FROM:<" + std::string(65, 'a') + "@b.c>", 501, "5.1.7"},
      {"FROM:<a@" + std::string(64, 'b') + ".c>", 501, "5.1.7"},
      {"FROM:<a@" + std::string(250, 'b') + ">", 501, "5.1.7"},  // label over 63
      {"FROM:<a@" + Labels(4) + "c>", 501, "5.1.7"},             // path over 256
      {"FROM:<a@b.c> SIZE=", 501, "5.5.4"},
      {"FROM:<a@b.c> SIZE=12x", 501, "5.5.4"},
      {"FROM:<a@b.c> SIZE=-1", 501, "5.5.4"},
      {"FROM:<a@b.c> SIZE=99999999999999999999999", 501, "5.5.4"},
      {"FROM:<a@b.c> BODY=9BIT", 501, "5.5.4"},
      {"FROM:<a@b.c> NOTIFY=NEVER", 555, "5.5.4"},
      {"FROM:<a@b.c> SMTPUTF8=yes", 555, "5.5.4"},
      {"FROM:<a@b.c>junk", 501, "5.5.4"},
      {"FROM:<jörg@example.org>", 553, "5.6.7"},
      {"FROM:<postmaster>", 501, "5.1.7"},
  };
  for (const auto& c : cases) ExpectRefused(ParseMailFrom(c.input), c);
}

TEST(ParseRcptTo, GoodAndBad) {
  EXPECT_EQ(ParseRcptTo("TO:<Bob@Example.ORG>", false)->path.ToString(), "Bob@Example.ORG");
  auto pm = ParseRcptTo("TO:<Postmaster>", false);
  ASSERT_TRUE(pm);
  EXPECT_EQ(pm->path.local, "postmaster");
  EXPECT_EQ(pm->path.domain, "");
  EXPECT_TRUE(ParseRcptTo("TO:<jürgen@example.test>", true));
  const Bad cases[] = {
      {"TO:<>", 501, "5.1.3"},
      {"TO:<a>", 501, "5.1.3"},
      {"FROM:<a@b.c>", 501, "5.5.4"},
      {"TO:<a@b.c> NOTIFY=SUCCESS", 555, "5.5.4"},
      {"TO:<jürgen@example.test>", 553, "5.6.7"},
      {"TO:<a@b.c", 501, "5.5.4"},
      {"TO:<a@" + Labels(4) + "c>", 501, "5.1.3"},
  };
  for (const auto& c : cases) ExpectRefused(ParseRcptTo(c.input, false), c);
}

TEST(ParseHelo, GoodAndBad) {
  EXPECT_EQ(*ParseHelo("client.example.org"), "client.example.org");
  EXPECT_EQ(*ParseHelo("[127.0.0.1]"), "[127.0.0.1]");
  EXPECT_EQ(*ParseHelo("my_laptop extra words"), "my_laptop");
  const Bad cases[] = {
      {"", 501, "5.5.4"},
      {std::string(256, 'a'), 501, "5.5.4"},
      {"<evil>", 501, "5.5.4"},
      {"a(b)", 501, "5.5.4"},
  };
  for (const auto& c : cases) ExpectRefused(ParseHelo(c.input), c);
}

TEST(ParseBdat, GoodAndBad) {
  EXPECT_EQ(ParseBdat("0 LAST")->size, 0u);
  EXPECT_TRUE(ParseBdat("100 last")->last);
  EXPECT_FALSE(ParseBdat("100")->last);
  const Bad cases[] = {
      {"", 501, "5.5.4"},
      {"LAST", 501, "5.5.4"},
      {"-1", 501, "5.5.4"},
      {"12x", 501, "5.5.4"},
      {"100 FIRST", 501, "5.5.4"},
      {"100 LAST now", 501, "5.5.4"},
      {"99999999999999999999999", 501, "5.5.4"},
  };
  for (const auto& c : cases) ExpectRefused(ParseBdat(c.input), c);
}

TEST(ParseAuth, GoodAndBad) {
  auto a = ParseAuth("plain AHVAZXhhbXBsZQBwdw==");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->mechanism, "PLAIN");
  EXPECT_EQ(a->initial_response, "AHVAZXhhbXBsZQBwdw==");
  EXPECT_FALSE(ParseAuth("LOGIN")->initial_response);
  const Bad cases[] = {
      {"", 501, "5.5.4"},      {"PL AIN x y", 501, "5.5.4"},         {"PLAIN ", 501, "5.5.4"},
      {"P!AIN", 501, "5.5.4"}, {std::string(30, 'X'), 501, "5.5.4"},
  };
  for (const auto& c : cases) ExpectRefused(ParseAuth(c.input), c);
}

TEST(DecodePlain, GoodAndBad) {
  auto c = DecodePlain("AHVzZXIAcGFzcw==");  // "\0user\0pass"
  ASSERT_TRUE(c);
  EXPECT_EQ(c->authzid, "");
  EXPECT_EQ(c->authcid, "user");
  EXPECT_EQ(c->password, "pass");
  EXPECT_EQ(DecodePlain("YWRtaW4AdXNlcgBwYXNz")->authzid, "admin");  // "admin\0user\0pass"
  const Bad cases[] = {
      {"!!!!", 501, "5.5.2"},
      {"AHVzZXIAcGFzcw", 501, "5.5.2"},    // missing padding
      {"dXNlcnBhc3M=", 501, "5.5.2"},      // "userpass": no NULs
      {"AABwYXNz", 501, "5.5.2"},          // "\0\0pass": empty authcid
      {"AHUAcABleHRyYQB4", 501, "5.5.2"},  // three NULs
      {"", 501, "5.5.2"},
  };
  for (const auto& bad : cases) ExpectRefused(DecodePlain(bad.input), bad);
}

TEST(LineSplitter, SplitsAcrossCalls) {
  LineSplitter s(20);
  std::string buf = "NOOP\r\nQU";
  auto r = s.Next(buf);
  ASSERT_EQ(r.status, LineSplitter::Status::kLine);
  EXPECT_EQ(r.line, "NOOP");
  buf.erase(0, r.consumed);
  EXPECT_EQ(s.Next(buf).status, LineSplitter::Status::kNeedMore);
  buf += "IT\n";
  r = s.Next(buf);
  ASSERT_EQ(r.status, LineSplitter::Status::kLine);
  EXPECT_EQ(r.line, "QUIT");  // a bare LF ends a command line too
}

TEST(LineSplitter, LongLinesAreSkippedAndReportedOnce) {
  LineSplitter s(10);
  auto r = s.Next("0123456789abc\r\nNOOP\r\n");
  EXPECT_EQ(r.status, LineSplitter::Status::kTooLong);
  EXPECT_EQ(r.consumed, 15u);
  // A long line that arrives in pieces.
  LineSplitter t(10);
  std::vector<LineSplitter::Status> seen;
  for (std::string piece : {"0123456789", "0123456789", "0123", "\r\nNOOP\r\n"}) {
    std::string_view rest = piece;
    for (;;) {
      auto x = t.Next(rest);
      rest.remove_prefix(x.consumed);
      if (x.status == LineSplitter::Status::kNeedMore) break;
      seen.push_back(x.status);
      if (rest.empty()) break;
    }
  }
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], LineSplitter::Status::kTooLong);
  EXPECT_EQ(seen[1], LineSplitter::Status::kLine);
  // Exactly at the limit (line ending included) is fine.
  LineSplitter u(6);
  EXPECT_EQ(u.Next("NOOP\r\n").status, LineSplitter::Status::kLine);
  EXPECT_EQ(u.Next("NOOPS\r\n").status, LineSplitter::Status::kTooLong);
}

struct DataCase {
  const char* name;
  std::string input;
  bool ends;
  size_t consumed;      // with ends
  std::string message;  // with ends and no verdict
  int verdict = 0;      // reply code, 0 for none
};

// Feeds `input` to a reader in pieces of `step` octets (0: all at once).
void Feed(DataReader& r, std::string_view input, size_t step, size_t& consumed) {
  consumed = 0;
  while (consumed < input.size() && !r.done()) {
    size_t n = step == 0 ? input.size() - consumed : std::min(step, input.size() - consumed);
    size_t used = r.Consume(input.substr(consumed, n));
    consumed += used;
    if (used < n) break;  // the reader stopped at the end marker
  }
}

TEST(DataReader, OnlyCrlfDotCrlfEndsTheMessage) {
  const DataCase cases[] = {
      {"plain", "a\r\n.\r\n", true, 6, "a\r\n"},
      {"empty message", ".\r\n", true, 3, ""},
      {"pipelined command after", "a\r\n.\r\nQUIT\r\n", true, 6, "a\r\n"},
      {"dot stuffing", "..x\r\n.\r\n", true, 8, ".x\r\n"},
      {"bare LF dot bare LF", "a\n.\n", false, 0, ""},
      {"CRLF dot bare LF", "a\r\n.\n", false, 0, ""},
      {"bare LF dot CRLF", "a\n.\r\n", false, 0, ""},
      {"bare CR dot CRLF", "a\r.\r\n", false, 0, ""},
      {"dot bare CR", "a\r\n.\r", false, 0, ""},
      {"smuggled then real end", "a\n.\nMAIL FROM:<x@y>\r\n.\r\n", true, 24,
       "a\r\n\r\nMAIL FROM:<x@y>\r\n"},
      {"bare LF normalised", "a\nb\r\n.\r\n", true, 8, "a\r\nb\r\n"},
      {"NUL refused", std::string("a\0b\r\n.\r\n", 8), true, 8, "", 554},
      {"line too long", std::string(1200, 'x') + "\r\n.\r\n", true, 1205, "", 552},
      {"line at limit", std::string(998, 'x') + "\r\n.\r\n", true, 1003,
       std::string(998, 'x') + "\r\n"},
      {"too big", std::string(3000, 'y') + "\r\n", false, 0, ""},
  };
  for (const auto& c : cases) {
    for (size_t step : {size_t{0}, size_t{1}, size_t{2}, size_t{7}}) {
      DataReader r(/*max_size=*/2000, /*max_line=*/1000);
      size_t consumed = 0;
      Feed(r, c.input, step, consumed);
      ASSERT_EQ(r.done(), c.ends) << c.name << " step " << step;
      if (!c.ends) continue;
      EXPECT_EQ(consumed, c.consumed) << c.name << " step " << step;
      auto verdict = r.Verdict();
      if (c.verdict) {
        ASSERT_TRUE(verdict) << c.name;
        EXPECT_EQ(verdict->code, c.verdict) << c.name;
      } else {
        EXPECT_FALSE(verdict) << c.name << ": " << verdict->Format();
        EXPECT_EQ(r.message(), c.message) << c.name << " step " << step;
      }
    }
  }
}

TEST(DataReader, OverSizeIsReadToTheEndAndRefused) {
  DataReader r(100, 1000);
  std::string input;
  for (int i = 0; i < 50; ++i) input += "0123456789\r\n";
  input += ".\r\nNOOP\r\n";
  EXPECT_EQ(r.Consume(input), input.size() - 6);
  ASSERT_TRUE(r.done());
  ASSERT_TRUE(r.Verdict());
  EXPECT_EQ(r.Verdict()->code, 552);
  EXPECT_EQ(r.Verdict()->enhanced, "5.3.4");
  EXPECT_LE(r.message().size(), 100u);
}

}  // namespace
}  // namespace pushmail::smtp
