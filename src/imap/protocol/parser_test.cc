#include "imap/protocol/parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pushmail::imap {
namespace {

using namespace std::string_literals;

// A compact picture of a token tree: a:atom q:quoted l:literal l8:literal8 (...) lists.
std::string Dump(const std::vector<Token>& tokens) {
  std::string out;
  for (const Token& t : tokens) {
    if (!out.empty()) out += ' ';
    switch (t.kind) {
      case TokenKind::kAtom:
        out += "a:" + std::string(t.raw);
        break;
      case TokenKind::kQuoted:
        out += "q:" + std::string(t.text());
        break;
      case TokenKind::kLiteral:
        out += (t.binary ? "l8:" : "l:") + std::string(t.text());
        break;
      case TokenKind::kList:
        out += "(" + Dump(t.children) + ")";
        break;
    }
  }
  return out;
}

struct Good {
  std::string text;
  Verb verb;
  bool uid;
  std::string tokens;
};

TEST(ParseCommand, Good) {
  const Good cases[] = {
      {"a1 NOOP", Verb::kNoop, false, ""},
      {"a1 noop", Verb::kNoop, false, ""},
      {"A]1 CAPABILITY", Verb::kCapability, false, ""},
      {"a  NOOP  ", Verb::kNoop, false, ""},
      {"a LOGIN fred \"pass word\"", Verb::kLogin, false, "a:fred q:pass word"},
      {"a LOGIN \"a\\\"b\\\\c\" x", Verb::kLogin, false, "q:a\"b\\c a:x"},
      {"a LOGIN {5}\r\nhello {2+}\r\npw", Verb::kLogin, false, "l:hello l:pw"},
      {"a LOGIN {5}\nhello x", Verb::kLogin, false, "l:hello a:x"},
      {"a LOGIN {0}\r\n \"\"", Verb::kLogin, false, "l: q:"},
      {"a APPEND x ~{3}\r\na\0b"s, Verb::kAppend, false, "a:x l8:a\0b"s},
      {"a uid fetch 1:* (FLAGS)", Verb::kFetch, true, "a:1:* (a:FLAGS)"},
      {"a UID EXPUNGE 3", Verb::kExpunge, true, "a:3"},
      {"a FETCH 1 (BODY.PEEK[HEADER.FIELDS (From \"To\")]<0.100> FLAGS)", Verb::kFetch, false,
       "a:1 (a:BODY.PEEK[HEADER.FIELDS (From \"To\")]<0.100> a:FLAGS)"},
      {"a FETCH 1 BODY[HEADER.FIELDS (\"X]\")]", Verb::kFetch, false,
       "a:1 a:BODY[HEADER.FIELDS (\"X]\")]"},
      {"a SELECT [Gmail]/Sent", Verb::kSelect, false, "a:[Gmail]/Sent"},
      {"a SELECT a[b", Verb::kSelect, false, "a:a[b"},
      {"a STORE 1 +FLAGS (\\Seen $Junk)", Verb::kStore, false, "a:1 a:+FLAGS (a:\\Seen a:$Junk)"},
      {"a LIST \"\" *", Verb::kList, false, "q: a:*"},
      {"a LIST (SUBSCRIBED) \"\" (% INBOX/%) RETURN (CHILDREN)", Verb::kList, false,
       "(a:SUBSCRIBED) q: (a:% a:INBOX/%) a:RETURN (a:CHILDREN)"},
      {"a SEARCH ((( ALL )))", Verb::kSearch, false, "(((a:ALL)))"},
      {"a SELECT Entw\xc3\xbcrfe", Verb::kSelect, false, "a:Entw\xc3\xbcrfe"},
      {"a ID ()", Verb::kId, false, "()"},
      {"a SEARCH (SEEN)(DRAFT) ((ALL))", Verb::kSearch, false, "(a:SEEN) (a:DRAFT) ((a:ALL))"},
  };
  for (const Good& c : cases) {
    auto command = ParseCommand(c.text, Limits{});
    ASSERT_TRUE(command) << c.text << ": " << command.error().text;
    EXPECT_EQ(command->tag, c.text.substr(0, c.text.find(' '))) << c.text;
    EXPECT_EQ(command->verb, c.verb) << c.text;
    EXPECT_EQ(command->uid, c.uid) << c.text;
    EXPECT_EQ(Dump(command->args), c.tokens) << c.text;
  }
}

struct BadCase {
  std::string text;
  std::string tag;  // "" for an untagged BAD
  std::string error;
};

TEST(ParseCommand, Bad) {
  const BadCase cases[] = {
      {"", "", "Empty command"},
      {" NOOP", "", "Invalid tag"},
      {"+ NOOP", "", "Invalid tag"},
      {"a+ NOOP", "", "Invalid tag"},
      {"a(b NOOP", "", "Invalid tag"},
      {"a*b NOOP", "", "Invalid tag"},
      {"a\"b NOOP", "", "Invalid tag"},
      {"a\0 NOOP"s, "", "Invalid tag"},
      {"\xc3\xa9 NOOP", "", "Invalid tag"},
      {"a", "a", "Missing command"},
      {"a FROB", "a", "Unknown command"},
      {"a UID", "a", "Missing command after UID"},
      {"a UID NOOP", "a", "UID cannot prefix this command"},
      {"a UID UID FETCH 1 FLAGS", "a", "Unknown command"},
      {"a LOGIN {12x}\r\n", "a", "Invalid literal syntax"},
      {"a LOGIN {}\r\n", "a", "Invalid literal syntax"},
      {"a LOGIN {5} hello", "a", "Literal marker not followed by a line end"},
      {"a LOGIN {5}", "a", "Literal marker not followed by a line end"},
      {"a LOGIN {5}\rhello", "a", "Literal marker not followed by a line end"},
      {"a LOGIN {50}\r\nabc", "a", "Literal longer than the command"},
      {"a LOGIN {99999999999999999999999}\r\n", "a", "Literal too big"},
      {"a LOGIN {3}\r\na\0b c"s, "a", "NUL octet in literal"},
      {"a LOGIN \"abc", "a", "Unterminated quoted string"},
      {"a LOGIN \"abc\\", "a", "Unterminated quoted string"},
      {"a LOGIN \"a\r\nb\" c", "a", "Unterminated quoted string"},
      {"a LOGIN \"a\0b\" c"s, "a", "Unterminated quoted string"},
      {"a LOGIN \"a\\nb\" c", "a", "Invalid escape in quoted string"},
      {"a LOGIN a\0b c"s, "a", "NUL octet in command"},
      {"a LOGIN a\rb c", "a", "Unexpected line end"},
      {"a LOGIN a\x01 c", "a", "Control character"},
      {"a LOGIN \"x\"y z", "a", "Expected a space"},
      {"a LOGIN x(y) z", "a", "Expected a space"},
      {"a LOGIN \"x\"(y) z", "a", "Expected a space"},
      {"a LOGIN (x)y z", "a", "Expected a space"},
      {"a FETCH 1 (FLAGS", "a", "Missing ')'"},
      {"a FETCH 1 FLAGS)", "a", "Unexpected ')'"},
      {"a SEARCH " + std::string(33, '(') + "ALL" + std::string(33, ')'), "a", "Too deeply nested"},
      {"a LOGIN {5}\r\nhello{2}\r\nxy", "a", "Expected a space"},
  };
  for (const BadCase& c : cases) {
    auto command = ParseCommand(c.text, Limits{});
    ASSERT_FALSE(command) << c.text;
    EXPECT_EQ(command.error().tag, c.tag) << c.text;
    EXPECT_NE(command.error().text.find(c.error), std::string::npos)
        << c.text << " -> " << command.error().text;
    EXPECT_FALSE(command.error().no);
  }
}

TEST(ParseCommand, TokenLimit) {
  Limits limits;
  limits.max_tokens = 10;
  std::string text = "a SEARCH";
  for (int i = 0; i < 10; ++i) text += " ALL";
  EXPECT_TRUE(ParseCommand(text, limits));
  text += " ALL";
  auto c = ParseCommand(text, limits);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().text, "Too many arguments");
}

TEST(ParseCommand, DepthLimitIsExact) {
  Limits limits;
  std::string ok = "a SEARCH " + std::string(32, '(') + "ALL" + std::string(32, ')');
  EXPECT_TRUE(ParseCommand(ok, limits));
  // A million open parentheses must fail cleanly, not overflow the stack.
  std::string deep = "a SEARCH " + std::string(1000000, '(');
  EXPECT_FALSE(ParseCommand(deep, limits));
}

TEST(ParseCommand, VerbNames) {
  EXPECT_EQ(VerbName(Verb::kStartTls), "STARTTLS");
  EXPECT_EQ(VerbName(Verb::kMove), "MOVE");
}

TEST(ErrorFormat, TaggedAndUntagged) {
  Error e{"a1", "TOOBIG", "Literal too big", false};
  EXPECT_EQ(e.Format(), "a1 BAD [TOOBIG] Literal too big\r\n");
  e = Error{"", "", "Invalid tag", false};
  EXPECT_EQ(e.Format(), "* BAD Invalid tag\r\n");
  e = Error{"b", "BADCHARSET (US-ASCII UTF-8)", "x\r\ny", true};
  EXPECT_EQ(e.Format(), "b NO [BADCHARSET (US-ASCII UTF-8)] x  y\r\n");
}

}  // namespace
}  // namespace pushmail::imap
