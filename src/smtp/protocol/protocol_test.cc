#include "smtp/protocol/protocol.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace pushmail::smtp {
namespace {

using namespace std::string_literals;  // "...\0..."s keeps embedded NULs

// An input a parser must refuse, and the reply it must give.
struct Bad {
  std::string input;
  int code;
  std::string enhanced;
};

template <class T>
void ExpectRefused(const Parsed<T>& parsed, const Bad& c) {
  ASSERT_FALSE(parsed) << "accepted: " << c.input;
  EXPECT_EQ(parsed.error().code, c.code) << c.input;
  EXPECT_EQ(parsed.error().enhanced, c.enhanced) << c.input;
  EXPECT_TRUE(parsed.error().Format().ends_with("\r\n")) << c.input;
}

// `n` DNS labels of 63 octets joined by dots: 64 * n - 1 octets.
std::string Labels(int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += (i ? "." : "") + std::string(63, 'b');
  return out;
}

// A path of exactly `length` octets, "<" and ">" included.
std::string PathOfLength(size_t length) {
  std::string domain = Labels(3) + "." + std::string(length - 2 - 2 - 192, 'c');
  return "<a@" + domain + ">";
}

TEST(Reply, Formats) {
  struct Case {
    Reply reply;
    std::string wire;
  };
  const Case cases[] = {
      {Reply::Make(250, "2.0.0", "Ok"), "250 2.0.0 Ok\r\n"},
      {Reply::Make(220, "", "hi"), "220 hi\r\n"},
      {Reply{250, "", {"a", "b", "c"}}, "250-a\r\n250-b\r\n250 c\r\n"},
      {Reply{250, "2.0.0", {"a", "b"}}, "250-2.0.0 a\r\n250 2.0.0 b\r\n"},
      {Reply::Make(334, "", ""), "334 \r\n"},  // RFC 4954 4: "334 " then an empty challenge
      {Reply{250, "2.1.0", {""}}, "250 2.1.0\r\n"},
      {Reply{421, "4.3.2", {}}, "421 4.3.2\r\n"},
      {Reply{421, "", {}}, "421\r\n"},
      {Reply::Make(501, "5.5.4", "no\r\n250 injected"), "501 5.5.4 no  250 injected\r\n"},
  };
  for (const auto& c : cases) EXPECT_EQ(c.reply.Format(), c.wire);
  EXPECT_TRUE(Reply::Make(354, "", "go").ok());
  EXPECT_FALSE(Reply::Make(450, "4.2.0", "later").ok());
}

TEST(ParseCommand, Verbs) {
  struct Case {
    std::string line;
    Verb verb;
    std::string argument;
  };
  const Case cases[] = {
      {"HELO x", Verb::kHelo, "x"},
      {"ehlo x.example", Verb::kEhlo, "x.example"},
      {"mAiL FROM:<a@b>", Verb::kMail, "FROM:<a@b>"},
      {"RCPT TO:<a@b>", Verb::kRcpt, "TO:<a@b>"},
      {"DATA", Verb::kData, ""},
      {"bdat 10 last", Verb::kBdat, "10 last"},
      {"RSET", Verb::kRset, ""},
      {"noop", Verb::kNoop, ""},
      {"QUIT ", Verb::kQuit, ""},
      {"VRFY bob", Verb::kVrfy, "bob"},
      {"EXPN list", Verb::kExpn, "list"},
      {"Help", Verb::kHelp, ""},
      {"StartTLS", Verb::kStartTls, ""},
      {"AUTH PLAIN =", Verb::kAuth, "PLAIN ="},
      {"NOOP  two spaces", Verb::kNoop, " two spaces"},
      {"MAILX FROM:<a@b>", Verb::kUnknown, "FROM:<a@b>"},
      {"XYZZY", Verb::kUnknown, ""},
      {"MAIL:FROM", Verb::kUnknown, ""},
      {" NOOP", Verb::kUnknown, "NOOP"},
      {"VRFY jörg", Verb::kVrfy, "jörg"},  // UTF-8 is for the argument parsers to judge
  };
  for (const auto& c : cases) {
    auto command = ParseCommand(c.line);
    ASSERT_TRUE(command) << c.line;
    EXPECT_EQ(command->verb, c.verb) << c.line;
    EXPECT_EQ(command->argument, c.argument) << c.line;
  }
}

TEST(ParseCommand, BadLines) {
  const Bad cases[] = {
      {"", 500, "5.5.2"},
      {"NOOP\0"s, 500, "5.5.2"},
      {"\0NOOP"s, 500, "5.5.2"},
      {"NO\rOP", 500, "5.5.2"},
      {"NOOP\r", 500, "5.5.2"},  // CR CR LF: the splitter drops only
                                 // one
      {"NOOP\n", 500, "5.5.2"},
      {"NOOP \x01", 500, "5.5.2"},
      {"NOOP\tx", 500, "5.5.2"},
      {"NOOP\x7f", 500, "5.5.2"},
      {"\x1b[31mNOOP", 500, "5.5.2"},
  };
  for (const auto& c : cases) ExpectRefused(ParseCommand(c.input), c);
}

TEST(ParseMailFrom, Paths) {
  struct Case {
    std::string argument;
    std::string local;
    std::string domain;
  };
  const Case cases[] = {
      {"FROM:<alice@example.org>", "alice", "example.org"},
      {"from:<Alice@Example.ORG>", "Alice", "Example.ORG"},
      {"FROM: <alice@example.org>", "alice", "example.org"},  // tolerated space
      {"FROM:<>", "", ""},
      {"FROM:<a@localhost>", "a", "localhost"},
      {"FROM:<a.b-c+d@x-1.2y.example>", "a.b-c+d", "x-1.2y.example"},
      {"FROM:<!#$%&'*+-/=?^_`{|}~@b.c>", "!#$%&'*+-/=?^_`{|}~", "b.c"},
      {"FROM:<@relay.example,@b.example:x@y.example>", "x", "y.example"},
      {"FROM:<@relay.example:x@y.example>", "x", "y.example"},
      {R"(FROM:<"john \"j\" doe"@example.org>)", "john \"j\" doe", "example.org"},
      {R"(FROM:<"a b"@c.d>)", "a b", "c.d"},
      {R"(FROM:<"back\\slash"@c.d>)", "back\\slash", "c.d"},
      {R"(FROM:<"\a"@c.d>)", "a", "c.d"},
      {R"(FROM:<"<>@,"@c.d>)", "<>@,", "c.d"},
      {R"(FROM:<""@c.d>)", "", "c.d"},  // Quoted-string = DQUOTE *QcontentSMTP DQUOTE
      {"FROM:<a@[127.0.0.1]>", "a", "[127.0.0.1]"},
      {"FROM:<a@[IPv6:::1]>", "a", "[IPv6:::1]"},
      {"FROM:<a@[IPv6:::]>", "a", "[IPv6:::]"},
      {"FROM:<a@[ipv6:2001:DB8::1]>", "a", "[ipv6:2001:DB8::1]"},
      {"FROM:<a@[IPv6:1:2:3:4:5:6:7:8]>", "a", "[IPv6:1:2:3:4:5:6:7:8]"},
      {"FROM:<a@[IPv6:1:2:3::6:7:8]>", "a", "[IPv6:1:2:3::6:7:8]"},
      {"FROM:<a@[IPv6:::ffff:192.0.2.1]>", "a", "[IPv6:::ffff:192.0.2.1]"},
      {"FROM:<a@[IPv6:1:2:3:4:5:6:1.2.3.4]>", "a", "[IPv6:1:2:3:4:5:6:1.2.3.4]"},
      {"FROM:<" + std::string(64, 'a') + "@b.c>", std::string(64, 'a'), "b.c"},
      {"FROM:<a@" + Labels(2) + ">", "a", Labels(2)},
      {"FROM:" + PathOfLength(256), "a", PathOfLength(256).substr(3, 256 - 4)},
  };
  for (const auto& c : cases) {
    auto m = ParseMailFrom(c.argument);
    ASSERT_TRUE(m) << c.argument << ": " << m.error().Format();
    EXPECT_EQ(m->path.local, c.local) << c.argument;
    EXPECT_EQ(m->path.domain, c.domain) << c.argument;
    EXPECT_FALSE(m->size) << c.argument;
    EXPECT_EQ(m->body, BodyType::k7Bit) << c.argument;
    EXPECT_FALSE(m->smtputf8) << c.argument;
    // What ToString writes reads back as the same address.
    auto again = ParseMailFrom("FROM:<" + m->path.ToString() + ">");
    ASSERT_TRUE(again) << m->path.ToString();
    EXPECT_EQ(again->path.local, c.local) << m->path.ToString();
    EXPECT_EQ(again->path.domain, c.domain) << m->path.ToString();
  }
}

TEST(ParseMailFrom, Parameters) {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  struct Case {
    std::string argument;
    std::optional<uint64_t> size;
    BodyType body;
    bool smtputf8;
  };
  const Case cases[] = {
      {"FROM:<a@b.c> SIZE=1000 BODY=8BITMIME", 1000, BodyType::k8BitMime, false},
      {"FROM:<> SIZE=0", 0, BodyType::k7Bit, false},
      {"FROM:<a@b.c> size=12 body=binarymime", 12, BodyType::kBinaryMime, false},
      {"FROM:<a@b.c> BODY=7bit", std::nullopt, BodyType::k7Bit, false},
      {"FROM:<a@b.c> SIZE=18446744073709551615", kMax, BodyType::k7Bit, false},
      {"FROM:<a@b.c> SIZE=99999999999999999999", kMax, BodyType::k7Bit, false},  // capped
      {"FROM:<a@b.c> SIZE=00000000000000000001", 1, BodyType::k7Bit, false},
      {"FROM:<a@b.c> smtputf8", std::nullopt, BodyType::k7Bit, true},
      {"FROM:<jörg@bücher.example> SMTPUTF8", std::nullopt, BodyType::k7Bit, true},
      {"FROM:<\"jö rg\"@b.c> BODY=8BITMIME SMTPUTF8", std::nullopt, BodyType::k8BitMime, true},
      {"FROM:<a@b.c> AUTH=<>", std::nullopt, BodyType::k7Bit, false},
      {"FROM:<a@b.c> AUTH=alice+40example.org SIZE=5", 5, BodyType::k7Bit, false},
  };
  for (const auto& c : cases) {
    auto m = ParseMailFrom(c.argument);
    ASSERT_TRUE(m) << c.argument << ": " << m.error().Format();
    EXPECT_EQ(m->size, c.size) << c.argument;
    EXPECT_EQ(m->body, c.body) << c.argument;
    EXPECT_EQ(m->smtputf8, c.smtputf8) << c.argument;
    EXPECT_EQ(m->path.IsUtf8(), c.argument.find("ö") != std::string::npos) << c.argument;
  }
}

TEST(ParseMailFrom, Bad) {
  const Bad cases[] = {
      // The command's own syntax.
      {"", 501, "5.5.4"},
      {"TO:<a@b.c>", 501, "5.5.4"},
      {"FROM<a@b.c>", 501, "5.5.4"},
      {"FROM a@b.c", 501, "5.5.4"},
      {"FROM:a@b.c", 501, "5.5.4"},
      {"FROM:a@b.c>", 501, "5.5.4"},
      {"FROM:<a@b.c", 501, "5.5.4"},
      {"FROM:  <a@b.c>", 501, "5.5.4"},
      {"FROM:<a@b.c>junk", 501, "5.5.4"},
      {"FROM:<a@b.c> ", 501, "5.5.4"},
      {"FROM:<a@b.c>  SIZE=1", 501, "5.5.4"},
      {"FROM:<a@b.c> =x", 501, "5.5.4"},
      {"FROM:<a@b.c> -X=1", 501, "5.5.4"},
      {"FROM:<a@b.c> X_Y", 501, "5.5.4"},
      // The address.
      {"FROM:<no-at-sign>", 501, "5.1.7"},
      {"FROM:<postmaster>", 501, "5.1.7"},
      {"FROM:<@b.c>", 501, "5.1.7"},
      {"FROM:<a@>", 501, "5.1.7"},
      {"FROM:<a@b.c.>", 501, "5.1.7"},
      {"FROM:<a@.b.c>", 501, "5.1.7"},
      {"FROM:<a..b@c.d>", 501, "5.1.7"},
      {"FROM:<.a@c.d>", 501, "5.1.7"},
      {"FROM:<a.@c.d>", 501, "5.1.7"},
      {"FROM:<a b@c.d>", 501, "5.1.7"},
      {"FROM:<a\"b@c.d>", 501, "5.1.7"},
      {"FROM:<a\x01@c.d>", 501, "5.1.7"},
      {"FROM:<a@b.c@d.e>", 501, "5.1.7"},
      {"FROM:<a@-bad.example>", 501, "5.1.7"},
      {"FROM:<a@bad-.example>", 501, "5.1.7"},
      {"FROM:<a@bad..example>", 501, "5.1.7"},
      {"FROM:<a@exa_mple.org>", 501, "5.1.7"},
      {"FROM:<a@[300.1.1.1]>", 501, "5.1.7"},
      {"FROM:<a@[1.2.3]>", 501, "5.1.7"},
      {"FROM:<a@[1.2.3.4.5]>", 501, "5.1.7"},
      {"FROM:<a@[1.2.3.0004]>", 501, "5.1.7"},
      {"FROM:<a@[]>", 501, "5.1.7"},
      {"FROM:<a@[127.0.0.1>", 501, "5.1.7"},
      {"FROM:<a@[IPv6:1::2::3]>", 501, "5.1.7"},
      {"FROM:<a@[IPv6:12345::1]>", 501, "5.1.7"},
      {"FROM:<a@[IPv6:1:2:3:4:5:6:7]>", 501, "5.1.7"},
      {"FROM:<a@[IPv6:1:2:3:4:5:6:7::]>", 501, "5.1.7"},  // "::" must stand for two groups
      {"FROM:<a@[IPv6:1:2:3:4:5:6:7:8:9]>", 501, "5.1.7"},
      {"FROM:<a@[IPv6::1]>", 501, "5.1.7"},
      {"FROM:<a@[IPv6:1:]>", 501, "5.1.7"},
      {"FROM:<a@[IPv6:1:2:3:4:5::1.2.3.4]>", 501, "5.1.7"},
      {"FROM:<a@[IPv6:1.2.3.4]>", 501, "5.1.7"},
      {"FROM:<a@[IPv7:1]>", 501, "5.1.7"},
      {"FROM:<a@[x]>", 501, "5.1.7"},
      {R"(FROM:<"unterminated@b.c>)", 501, "5.1.7"},
      {R"(FROM:<"a"b@c.d>)", 501, "5.1.7"},
      {R"(FROM:<"a"."b"@c.d>)", 501, "5.1.7"},
      {"FROM:<\"a\tb\"@c.d>", 501, "5.1.7"},
      {"FROM:<\"a\\\x01\"@c.d>", 501, "5.1.7"},
      // Source routes.
      {"FROM:<@a,b:x@y.z>", 501, "5.1.7"},
      {"FROM:<@:x@y.z>", 501, "5.1.7"},
      {"FROM:<@a.b:>", 501, "5.1.7"},
      {"FROM:<@a.b,:x@y.z>", 501, "5.1.7"},
      {"FROM:<@[1.2.3.4]:x@y.z>", 501, "5.1.7"},
      {"FROM:<x@y.z,@a.b:x@y.z>", 501, "5.1.7"},
      // Limits: local part 64, label 63, path 256.
      {"FROM:<" + std::string(65, 'a') + "@b.c>", 501, "5.1.7"},
      {"FROM:<\"" + std::string(63, 'a') + "\"@b.c>", 501, "5.1.7"},
      {"FROM:<a@" + std::string(64, 'b') + ".c>", 501, "5.1.7"},
      {"FROM:" + PathOfLength(257), 501, "5.1.7"},
      {"FROM:<@" + Labels(4) + ":a@b.c>", 501, "5.1.7"},
      // Parameters.
      {"FROM:<a@b.c> SIZE", 501, "5.5.4"},
      {"FROM:<a@b.c> SIZE=", 501, "5.5.4"},
      {"FROM:<a@b.c> SIZE=12x", 501, "5.5.4"},
      {"FROM:<a@b.c> SIZE=-1", 501, "5.5.4"},
      {"FROM:<a@b.c> SIZE=+1", 501, "5.5.4"},
      {"FROM:<a@b.c> SIZE=123456789012345678901", 501, "5.5.4"},  // over 20 digits
      {"FROM:<a@b.c> SIZE=1 SIZE=2", 501, "5.5.4"},
      {"FROM:<a@b.c> BODY", 501, "5.5.4"},
      {"FROM:<a@b.c> BODY=9BIT", 501, "5.5.4"},
      {"FROM:<a@b.c> BODY=8BITMIME BODY=7BIT", 501, "5.5.4"},
      {"FROM:<a@b.c> SMTPUTF8=yes", 501, "5.5.4"},
      {"FROM:<a@b.c> AUTH", 501, "5.5.4"},
      {"FROM:<a@b.c> AUTH=", 501, "5.5.4"},
      {"FROM:<a@b.c> AUTH=a+4", 501, "5.5.4"},
      {"FROM:<a@b.c> AUTH=a+4g", 501, "5.5.4"},
      {"FROM:<a@b.c> AUTH=a=b", 501, "5.5.4"},
      {"FROM:<a@b.c> NOTIFY=NEVER", 555, "5.5.4"},
      {"FROM:<a@b.c> X-FOO", 555, "5.5.4"},
      {"FROM:<a@b.c> SIZE=1 RET=HDRS", 555, "5.5.4"},
      // UTF-8: only with SMTPUTF8, and only well formed.
      {"FROM:<jörg@example.org>", 553, "5.6.7"},
      {"FROM:<a@bücher.example>", 553, "5.6.7"},
      {"FROM:<\"jö rg\"@example.org>", 553, "5.6.7"},
      {"FROM:<@bücher.example:a@b.c>", 553, "5.6.7"},
      {"FROM:<j\xff@x.y> SMTPUTF8", 501, "5.1.7"},
      {"FROM:<j\xc3@x.y> SMTPUTF8", 501, "5.1.7"},
      {"FROM:<j\xc0\xaf@x.y> SMTPUTF8", 501, "5.1.7"},      // overlong "/"
      {"FROM:<j\xed\xa0\x80@x.y> SMTPUTF8", 501, "5.1.7"},  // a surrogate
      {"FROM:<a@b\x80.c> SMTPUTF8", 501, "5.1.7"},
  };
  for (const auto& c : cases) ExpectRefused(ParseMailFrom(c.input), c);
}

TEST(ParseRcptTo, Good) {
  struct Case {
    std::string argument;
    bool smtputf8;
    std::string local;
    std::string domain;
  };
  const Case cases[] = {
      {"TO:<Bob@Example.ORG>", false, "Bob", "Example.ORG"},
      {"to: <bob@example.org>", false, "bob", "example.org"},
      {"TO:<Postmaster>", false, "postmaster", ""},
      {"TO:<POSTMASTER>", false, "postmaster", ""},
      {"TO:<postmaster@example.org>", false, "postmaster", "example.org"},
      {"TO:<@a.example,@b.example:u@d.example>", false, "u", "d.example"},
      {R"(TO:<"x \"y\""@d.example>)", false, "x \"y\"", "d.example"},
      {"TO:<jürgen@example.test>", true, "jürgen", "example.test"},
      {"TO:<a@[IPv6:2001:db8::1]>", false, "a", "[IPv6:2001:db8::1]"},
  };
  for (const auto& c : cases) {
    auto r = ParseRcptTo(c.argument, c.smtputf8);
    ASSERT_TRUE(r) << c.argument << ": " << r.error().Format();
    EXPECT_EQ(r->path.local, c.local) << c.argument;
    EXPECT_EQ(r->path.domain, c.domain) << c.argument;
    EXPECT_FALSE(r->path.IsNull()) << c.argument;
  }
}

TEST(ParseRcptTo, Bad) {
  const Bad cases[] = {
      {"", 501, "5.5.4"},
      {"FROM:<a@b.c>", 501, "5.5.4"},
      {"TO<a@b.c>", 501, "5.5.4"},
      {"TO:a@b.c", 501, "5.5.4"},
      {"TO:<a@b.c", 501, "5.5.4"},
      {"TO:<a@b.c>x", 501, "5.5.4"},
      {"TO:<postmaster>x", 501, "5.5.4"},
      {"TO:<postmaster> x", 555, "5.5.4"},
      {"TO:<a@b.c> ", 501, "5.5.4"},
      {"TO:<>", 501, "5.1.3"},
      {"TO:<a>", 501, "5.1.3"},
      {"TO:<postmaster@>", 501, "5.1.3"},
      {"TO:<@a.b:postmaster>", 501, "5.1.3"},
      {"TO:<a@b..c>", 501, "5.1.3"},
      {"TO:<" + std::string(65, 'a') + "@b.c>", 501, "5.1.3"},
      {"TO:" + PathOfLength(257), 501, "5.1.3"},
      {"TO:<a@b.c> NOTIFY=SUCCESS", 555, "5.5.4"},
      {"TO:<a@b.c> SIZE=1", 555, "5.5.4"},
      {"TO:<jürgen@example.test>", 553, "5.6.7"},
      {"TO:<a@b.c> SMTPUTF8", 555, "5.5.4"},
  };
  for (const auto& c : cases) ExpectRefused(ParseRcptTo(c.input, false), c);
  ExpectRefused(ParseRcptTo("TO:<j\xfe@x.y>", true), {"TO:<j\xfe@x.y>", 501, "5.1.3"});
}

TEST(Address, ToStringAndIsUtf8) {
  struct Case {
    Address address;
    std::string text;
    bool utf8;
  };
  const Case cases[] = {
      {{"a", "b.c"}, "a@b.c", false},
      {{"", ""}, "", false},
      {{"postmaster", ""}, "postmaster", false},
      {{"john \"j\" doe", "x"}, R"("john \"j\" doe"@x)", false},
      {{"a..b", "x"}, R"("a..b"@x)", false},
      {{"back\\slash", "x"}, R"("back\\slash"@x)", false},
      {{"", "x"}, R"(""@x)", false},
      {{"jörg", "x"}, "jörg@x", true},
      {{"a", "bücher.example"}, "a@bücher.example", true},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(c.address.ToString(), c.text);
    EXPECT_EQ(c.address.IsUtf8(), c.utf8) << c.text;
  }
}

TEST(ParseHelo, GoodAndBad) {
  for (std::string good : {"client.example.org", "localhost", "a-b.c9", "[127.0.0.1]", "[IPv6:::1]",
                           "[IPv6:2001:db8::1]"}) {
    auto name = ParseHelo(good);
    ASSERT_TRUE(name) << good;
    EXPECT_EQ(*name, good);
  }
  EXPECT_TRUE(ParseHelo(Labels(4)));  // 255 octets
  const Bad cases[] = {
      {"", 501, "5.5.4"},
      {" ", 501, "5.5.4"},
      {"my_laptop", 501, "5.5.4"},
      {"client.example.org extra", 501, "5.5.4"},
      {"client.example.org ", 501, "5.5.4"},
      {"<evil>", 501, "5.5.4"},
      {"a..b", 501, "5.5.4"},
      {"a.", 501, "5.5.4"},
      {"-a", 501, "5.5.4"},
      {"[1.2.3.4", 501, "5.5.4"},
      {"[1.2.3.4]x", 501, "5.5.4"},
      {"[256.1.1.1]", 501, "5.5.4"},
      {"bücher.example", 501, "5.5.4"},
      {Labels(4) + "b", 501, "5.5.4"},  // 256 octets
      {std::string(64, 'a'), 501, "5.5.4"},
  };
  for (const auto& c : cases) ExpectRefused(ParseHelo(c.input), c);
}

TEST(ParseBdat, GoodAndBad) {
  struct Case {
    std::string argument;
    uint64_t size;
    bool last;
  };
  const Case good[] = {
      {"0", 0, false},
      {"0 LAST", 0, true},
      {"100 last", 100, true},
      {"100 LaSt", 100, true},
      {"007", 7, false},
      {"18446744073709551615", std::numeric_limits<uint64_t>::max(), false},
  };
  for (const auto& c : good) {
    auto bdat = ParseBdat(c.argument);
    ASSERT_TRUE(bdat) << c.argument;
    EXPECT_EQ(bdat->size, c.size) << c.argument;
    EXPECT_EQ(bdat->last, c.last) << c.argument;
  }
  const Bad cases[] = {
      {"", 501, "5.5.4"},
      {"LAST", 501, "5.5.4"},
      {" LAST", 501, "5.5.4"},
      {"-1", 501, "5.5.4"},
      {"+1", 501, "5.5.4"},
      {"12x", 501, "5.5.4"},
      {"0x10", 501, "5.5.4"},
      {"1 2", 501, "5.5.4"},
      {" 100", 501, "5.5.4"},
      {"100 ", 501, "5.5.4"},
      {"100  LAST", 501, "5.5.4"},
      {"100 FIRST", 501, "5.5.4"},
      {"100 LASTLY", 501, "5.5.4"},
      {"100 LAST now", 501, "5.5.4"},
      {"18446744073709551616", 501, "5.5.4"},
      {"99999999999999999999999", 501, "5.5.4"},
  };
  for (const auto& c : cases) ExpectRefused(ParseBdat(c.input), c);
}

TEST(ParseAuth, GoodAndBad) {
  struct Case {
    std::string argument;
    std::string mechanism;
    std::optional<std::string> response;
  };
  const Case good[] = {
      {"plain", "PLAIN", std::nullopt},
      {"PLAIN =", "PLAIN", "="},
      {"PLAIN AHVzZXIAcGFzcw==", "PLAIN", "AHVzZXIAcGFzcw=="},
      {"login dXNlcg==", "LOGIN", "dXNlcg=="},
      {"SCRAM-SHA-256", "SCRAM-SHA-256", std::nullopt},
      {"x_y", "X_Y", std::nullopt},
      {std::string(20, 'M'), std::string(20, 'M'), std::nullopt},
  };
  for (const auto& c : good) {
    auto auth = ParseAuth(c.argument);
    ASSERT_TRUE(auth) << c.argument;
    EXPECT_EQ(auth->mechanism, c.mechanism) << c.argument;
    EXPECT_EQ(auth->initial_response, c.response) << c.argument;
  }
  const Bad cases[] = {
      {"", 501, "5.5.4"},
      {" PLAIN", 501, "5.5.4"},
      {"PLAIN ", 501, "5.5.4"},
      {"P!AIN", 501, "5.5.4"},
      {std::string(21, 'M'), 501, "5.5.4"},
      {"PLAIN a b", 501, "5.5.4"},
      {"PLAIN  AHVzZXIAcGFzcw==", 501, "5.5.4"},
      {"PLAIN !!!!", 501, "5.5.4"},
      {"PLAIN abc", 501, "5.5.4"},
      {"PLAIN ==", 501, "5.5.4"},
      {"PLAIN A===", 501, "5.5.4"},
      {"PLAIN ab=c", 501, "5.5.4"},
  };
  for (const auto& c : cases) ExpectRefused(ParseAuth(c.input), c);
}

TEST(DecodePlain, GoodAndBad) {
  struct Case {
    std::string base64;
    PlainCredentials credentials;
  };
  const Case good[] = {
      {"AHVzZXIAcGFzcw==", {"", "user", "pass"}},
      {"YWRtaW4AdXNlcgBwYXNz", {"admin", "user", "pass"}},
      {"AHUAcA==", {"", "u", "p"}},
      {"AHVzAHA=", {"", "us", "p"}},
      {"AGrDtnJnAHDDpHNz", {"", "jörg", "päss"}},
  };
  for (const auto& c : good) {
    auto decoded = DecodePlain(c.base64);
    ASSERT_TRUE(decoded) << c.base64;
    EXPECT_EQ(decoded->authzid, c.credentials.authzid) << c.base64;
    EXPECT_EQ(decoded->authcid, c.credentials.authcid) << c.base64;
    EXPECT_EQ(decoded->password, c.credentials.password) << c.base64;
  }
  const Bad cases[] = {
      {"", 501, "5.5.2"},
      {"=", 501, "5.5.2"},
      {"!!!!", 501, "5.5.2"},
      {"====", 501, "5.5.2"},
      {"AHVzZXIAcGFzcw", 501, "5.5.2"},      // padding missing
      {"AHVzZXIAcGFzcw=", 501, "5.5.2"},     // length not a multiple of 4
      {"AHVzZXIAcGFzcw===", 501, "5.5.2"},   //
      {" AHVzZXIAcGFzcw==", 501, "5.5.2"},   // OpenSSL alone would skip the space
      {"AHVzZXIAcGFzcw==\n", 501, "5.5.2"},  // and the line end
      {"AHVz ZXIAcGFzcw==", 501, "5.5.2"},
      {"AH=zZXIAcGFzcw==", 501, "5.5.2"},  // "=" inside
      {"AHVzZXIAcGFzcx==", 501, "5.5.2"},  // spare bits set
      {"AHVzAHB=", 501, "5.5.2"},          //
      {"dXNlcnBhc3M=", 501, "5.5.2"},      // "userpass": no NUL
      {"dXNlcgBwYXNz", 501, "5.5.2"},      // "user\0pass": one NUL
      {"AABwYXNz", 501, "5.5.2"},          // "\0\0pass": empty authcid
      {"AHVzZXIA", 501, "5.5.2"},          // "\0user\0": empty password
      {"AHUAcAB4", 501, "5.5.2"},          // "\0u\0p\0x": three NULs
      {"YQBiAGMAZA==", 501, "5.5.2"},      // "a\0b\0c\0d"
  };
  for (const auto& bad : cases) ExpectRefused(DecodePlain(bad.input), bad);
}

// What a LineSplitter reports for a stream, as the session drives it: a buffer that gets the
// chunks and loses what each call consumed.
struct Event {
  LineSplitter::Status status;
  std::string line;
  bool operator==(const Event&) const = default;
};

std::vector<Event> Split(size_t max_line, const std::vector<std::string>& chunks) {
  LineSplitter splitter(max_line);
  std::vector<Event> events;
  std::string buffer;
  for (const auto& chunk : chunks) {
    buffer += chunk;
    for (;;) {
      auto r = splitter.Next(buffer);
      EXPECT_LE(r.consumed, buffer.size());
      if (r.status != LineSplitter::Status::kNeedMore) {
        EXPECT_GT(r.consumed, 0u);
        events.push_back({r.status, std::string(r.line)});
      }
      buffer.erase(0, r.consumed);
      if (r.status == LineSplitter::Status::kNeedMore) break;
    }
    EXPECT_LT(buffer.size(), max_line) << "holds more than a line";
  }
  return events;
}

TEST(LineSplitter, Table) {
  using S = LineSplitter::Status;
  struct Case {
    size_t max_line;
    std::vector<std::string> chunks;
    std::vector<Event> events;
  };
  const Case cases[] = {
      {20, {"NOOP\r\n"}, {{S::kLine, "NOOP"}}},
      {20, {"NOOP\n"}, {{S::kLine, "NOOP"}}},
      {20, {"\r\n"}, {{S::kLine, ""}}},
      {20, {"NO", "OP\r", "\n"}, {{S::kLine, "NOOP"}}},
      {20, {"A\r\nB\nC\r\n"}, {{S::kLine, "A"}, {S::kLine, "B"}, {S::kLine, "C"}}},
      {20, {"A\rB\r\r\n"}, {{S::kLine, "A\rB\r"}}},  // ParseCommand refuses the CRs
      {20, {"QUIT"}, {}},
      {6, {"NOOP\r\n"}, {{S::kLine, "NOOP"}}},  // exactly max_line, ending included
      {6, {"NOOP\r", "\n"}, {{S::kLine, "NOOP"}}},
      {6, {"NOOPS\r\nQUIT\r\n"}, {{S::kTooLong, ""}, {S::kLine, "QUIT"}}},
      {6, {"NOOPX\r", "\n"}, {{S::kTooLong, ""}}},
      {6, {"0123", "4567", "89ab", "cd\r", "\nQUIT\r\n"}, {{S::kTooLong, ""}, {S::kLine, "QUIT"}}},
      {6, {"0123456789\n0123456789\nA\n"}, {{S::kTooLong, ""}, {S::kTooLong, ""}, {S::kLine, "A"}}},
      {6,
       {std::string(100, 'x'), std::string(100, 'y'), "\nA\n"},
       {{S::kTooLong, ""}, {S::kLine, "A"}}},
  };
  for (const auto& c : cases) {
    std::string all;
    for (const auto& chunk : c.chunks) all += chunk;
    EXPECT_EQ(Split(c.max_line, c.chunks), c.events) << all;
    std::vector<std::string> octets;
    for (char octet : all) octets.emplace_back(1, octet);
    EXPECT_EQ(Split(c.max_line, octets), c.events) << "octet by octet: " << all;
    EXPECT_EQ(Split(c.max_line, {all}), c.events) << "at once: " << all;
  }
}

TEST(LineSplitter, LineViewsIntoInput) {
  LineSplitter splitter(100);
  std::string_view input = "HELO x\r\nQUIT\r\n";
  auto r = splitter.Next(input);
  ASSERT_EQ(r.status, LineSplitter::Status::kLine);
  EXPECT_EQ(r.line.data(), input.data());
  EXPECT_EQ(r.consumed, 8u);
}

// Small limits keep the inputs readable.
constexpr size_t kMaxSize = 40;
constexpr size_t kMaxLine = 12;

struct DataCase {  // NOLINT(clang-analyzer-optin.performance.Padding): a table, in reading order
  const char* name;
  std::string input;
  bool done;
  size_t consumed;      // when done; otherwise all of the input is consumed
  std::string message;  // when done without a verdict
  int code = 0;         // the verdict, 0 for none
  std::string enhanced = "";
};

struct DataResult {
  bool done = false;
  size_t consumed = 0;
  std::optional<Reply> verdict;
  std::string message;
};

// Feeds `input` to a new reader in chunks of `step` octets (0: all at once), the way the session
// does: the reader's unconsumed octets stay for the next command.
DataResult Read(std::string_view input, size_t step) {
  DataReader reader(kMaxSize, kMaxLine);
  DataResult result;
  while (result.consumed < input.size() && !reader.done()) {
    size_t n = step == 0 ? input.size() : step;
    std::string_view chunk = input.substr(result.consumed, n);
    size_t used = reader.Consume(chunk);
    EXPECT_LE(used, chunk.size());
    result.consumed += used;
    if (!reader.done()) {
      EXPECT_EQ(used, chunk.size());
    }
  }
  result.done = reader.done();
  if (result.done) result.verdict = reader.Verdict();
  result.message = reader.message();
  // Once done the reader takes nothing more; until then, a real end marker still ends it.
  EXPECT_EQ(reader.Consume("more\r\n.\r\n"), result.done ? 0u : 9u);
  return result;
}

TEST(DataReader, Table) {
  const DataCase cases[] = {
      // Only CRLF "." CRLF ends the data.
      {"plain", "a\r\n.\r\n", true, 6, "a\r\n"},
      {"empty message", ".\r\n", true, 3, ""},
      {"one empty line", "\r\n.\r\n", true, 5, "\r\n"},
      {"pipelined command after", "a\r\n.\r\nQUIT\r\n", true, 6, "a\r\n"},
      {"LF dot LF", "a\n.\n", false, 0, ""},
      {"CRLF dot LF", "a\r\n.\n", false, 0, ""},
      {"LF dot CRLF", "a\n.\r\n", false, 0, ""},
      {"CR dot CRLF", "a\r.\r\n", false, 0, ""},
      {"CRLF dot CR", "a\r\n.\r", false, 0, ""},
      {"CRLF dot", "a\r\n.", false, 0, ""},
      {"dot at start, LF", ".\n", false, 0, ""},
      {"dot CR CR LF", "a\r\n.\r\r\n", false, 0, ""},
      {"dot space", "a\r\n. \r\n", false, 0, ""},
      {"smuggled LF ends, then real end", "a\n.\nRSET\r\n.\r\n", true, 13, "a\r\n.\r\nRSET\r\n"},
      {"smuggled CRLF dot LF", "a\r\n.\nb\r\n.\r\n", true, 11, "a\r\n.\r\nb\r\n"},
      {"CRLF after a LF-ended dot line", "a\r\n.\n.\r\n.\r\n", true, 11, "a\r\n.\r\n.\r\n"},
      // Decoding.
      {"dot stuffing", "..x\r\n.\r\n", true, 8, ".x\r\n"},
      {"stuffed lone dot", "a\r\n..\r\n.\r\n", true, 10, "a\r\n.\r\n"},
      {"bare LF stored as CRLF", "a\nb\n\r\n.\r\n", true, 9, "a\r\nb\r\n\r\n"},
      {"empty LF line, then dot", "a\r\n\n.\r\n", false, 0, ""},
      {"bare CR kept", "a\rb\r\r\n.\r\n", true, 9, "a\rb\r\r\n"},
      {"UTF-8 and binary", "\xc3\xa4\xff\r\n.\r\n", true, 8, "\xc3\xa4\xff\r\n"},
      // Limits: max_line 12 with the ending, not counting a stuffed dot; max_size 40 decoded.
      {"line at limit", "0123456789\r\n.\r\n", true, 15, "0123456789\r\n"},
      {"LF line at limit", "01234567890\n\r\n.\r\n", true, 17, "01234567890\r\n\r\n"},
      {"stuffed line at limit", "..123456789\r\n.\r\n", true, 16, ".123456789\r\n"},
      {"line over limit", "01234567890\r\n.\r\n", true, 16, "", 552, "5.6.0"},
      {"long line over many calls", std::string(30, 'x') + "\r\n.\r\nQUIT\r\n", true, 35, "", 552,
       "5.6.0"},
      {"long and too big", std::string(100, 'x') + "\r\n.\r\n", true, 105, "", 552, "5.3.4"},
      {"long line hiding a marker", std::string(30, 'x') + "\r.\r\n", false, 0, ""},
      {"size at limit", "0123456789\r\n0123456789\r\n0123456789\r\n01\r\n.\r\n", true, 43,
       "0123456789\r\n0123456789\r\n0123456789\r\n01\r\n"},
      {"size over limit", "0123456789\r\n0123456789\r\n0123456789\r\n012\r\n.\r\nNOOP\r\n", true,
       44, "", 552, "5.3.4"},
      {"NUL", "a\0b\r\n.\r\n"s, true, 8, "", 554, "5.6.0"},
      {"NUL in a long line", "0123456789012345\0\r\n.\r\n"s, true, 22, "", 554, "5.6.0"},
      {"NUL then too big", "\0\r\n0123456789\r\n0123456789\r\n0123456789\r\n0123456789\r\n.\r\n"s,
       true, 54, "", 552, "5.3.4"},
      {"long line then NUL", "01234567890123\r\n\0\r\n.\r\n"s, true, 22, "", 554, "5.6.0"},
  };
  for (const auto& c : cases) {
    const size_t consumed = c.done ? c.consumed : c.input.size();
    for (size_t step : {0, 1, 2, 3, 5, 7}) {
      SCOPED_TRACE(std::string(c.name) + ", chunks of " + std::to_string(step));
      DataResult r = Read(c.input, step);
      ASSERT_EQ(r.done, c.done);
      EXPECT_EQ(r.consumed, consumed);
      EXPECT_LE(r.message.size(), kMaxSize);
      if (!c.done) continue;
      if (c.code == 0) {
        EXPECT_FALSE(r.verdict) << r.verdict->Format();
        EXPECT_EQ(r.message, c.message);
        EXPECT_TRUE(r.message.empty() || r.message.ends_with("\r\n"));
      } else {
        ASSERT_TRUE(r.verdict);
        EXPECT_EQ(r.verdict->code, c.code);
        EXPECT_EQ(r.verdict->enhanced, c.enhanced);
      }
    }
  }
}

TEST(DataReader, RealLimits) {
  std::string ok = std::string(998, 'x') + "\r\n";
  DataReader reader(10 << 20, 1000);
  EXPECT_EQ(reader.Consume(ok + ".\r\n"), ok.size() + 3);
  EXPECT_FALSE(reader.Verdict());
  EXPECT_EQ(reader.message(), ok);

  DataReader over(10 << 20, 1000);
  std::string input = "x" + ok + ".\r\n";
  EXPECT_EQ(over.Consume(input), input.size());
  ASSERT_TRUE(over.Verdict());
  EXPECT_EQ(over.Verdict()->Format(), "552 5.6.0 message has an over-long line\r\n");
}

TEST(DataReader, OverSizeIsReadToTheEndWithoutStoring) {
  DataReader reader(100, 1000);
  std::string input;
  for (int i = 0; i < 1000; ++i) input += "0123456789\r\n";
  input += ".\r\nNOOP\r\n";
  EXPECT_EQ(reader.Consume(input), input.size() - 6);
  ASSERT_TRUE(reader.done());
  ASSERT_TRUE(reader.Verdict());
  EXPECT_EQ(reader.Verdict()->code, 552);
  EXPECT_EQ(reader.Verdict()->enhanced, "5.3.4");
  EXPECT_LE(reader.message().size(), 100u);
  EXPECT_EQ(reader.Consume("NOOP\r\n"), 0u);
}

}  // namespace
}  // namespace pushmail::smtp
