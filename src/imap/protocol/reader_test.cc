#include "imap/protocol/reader.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace pushmail::imap {
namespace {

using Kind = CommandReader::Kind;

// An event with its views copied, so events from different feeds compare equal.
struct Seen {
  Kind kind;
  std::string text;
  std::string tag;
  uint64_t literal_size = 0;
  bool close = false;
  bool append = false;
  bool operator==(const Seen&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Seen& s) {
  return os << "{kind=" << static_cast<int>(s.kind) << " text=\"" << s.text << "\" tag=\"" << s.tag
            << "\" size=" << s.literal_size << " close=" << s.close << " append=" << s.append
            << "}";
}

Seen Cmd(std::string text) { return {Kind::kCommand, std::move(text)}; }
Seen Cont(uint64_t n) { return {Kind::kContinue, "", "", n}; }
Seen TooBig(std::string tag, uint64_t n, bool close, bool append) {
  return {Kind::kTooBig, "", std::move(tag), n, close, append};
}
Seen TooLong(std::string tag) { return {Kind::kLineTooLong, "", std::move(tag)}; }
Seen Line(std::string text) { return {Kind::kLine, std::move(text)}; }

// Feeds `input` in pieces of `piece` octets (0: all at once), like a session would: every
// piece until the reader needs more. Raw line mode is switched on after a command "* IDLE".
std::vector<Seen> FeedInPieces(const Limits& limits, std::string_view input, size_t piece) {
  CommandReader reader(limits);
  std::vector<Seen> seen;
  size_t step = piece == 0 ? input.size() : piece;
  for (size_t start = 0; start < input.size(); start += step) {
    std::string_view chunk = input.substr(start, step);
    while (!chunk.empty()) {
      CommandReader::Event e = reader.Feed(chunk);
      EXPECT_LE(e.consumed, chunk.size());
      if (e.kind == Kind::kNeedMore) {
        EXPECT_EQ(e.consumed, chunk.size());
      } else {
        seen.push_back({e.kind, std::string(e.text), e.tag, e.literal_size, e.close, e.append});
        if (e.kind == Kind::kCommand && e.text.ends_with(" IDLE")) reader.SetLineMode(true);
        if (e.kind == Kind::kLine && e.text == "DONE") reader.SetLineMode(false);
      }
      chunk.remove_prefix(e.consumed);
    }
  }
  return seen;
}

struct Case {
  const char* name;
  std::string input;
  std::vector<Seen> expected;
};

Limits Small() {
  Limits l;
  l.max_line = 32;
  l.max_literal = 100;
  l.max_command = 200;
  l.max_append_command = 300;
  return l;
}

const std::string kHuge = "{99999999999999999999}";  // over 2^64 - 1

std::vector<Case> Cases() {
  using namespace std::string_literals;
  return {
      {"one command", "a1 NOOP\r\n", {Cmd("a1 NOOP")}},
      {"bare LF ends a line", "a1 NOOP\nb CHECK\r\n", {Cmd("a1 NOOP"), Cmd("b CHECK")}},
      {"blank lines skipped", "\r\n\n\r\na1 NOOP\r\n", {Cmd("a1 NOOP")}},
      {"bare CR is data", "a NO\rOP\r\n", {Cmd("a NO\rOP")}},
      {"incomplete", "a1 NOO", {}},
      {"sync literals",
       "a LOGIN {5}\r\nhello {3}\r\nabc\r\n",
       {Cont(5), Cont(3), Cmd("a LOGIN {5}\r\nhello {3}\r\nabc")}},
      {"non-sync literal", "a LOGIN {5+}\r\nhello pw\r\n", {Cmd("a LOGIN {5+}\r\nhello pw")}},
      {"literal8 with NUL",
       "a APPEND INBOX ~{3}\r\na\0b\r\n"s,
       {Cont(3), Cmd("a APPEND INBOX ~{3}\r\na\0b"s)}},
      {"literal holding CRLF and a marker",
       "a LOGIN {7}\r\nab\r\n{1}\r\n\r\n",
       {Cont(7), Cmd("a LOGIN {7}\r\nab\r\n{1}")}},
      {"empty literals",
       "a LOGIN {0}\r\n {0}\r\n\r\n",
       {Cont(0), Cont(0), Cmd("a LOGIN {0}\r\n {0}\r\n")}},
      {"bad literal syntax is not a literal", "a LOGIN {12x}\r\n", {Cmd("a LOGIN {12x}")}},
      {"empty braces are not a literal", "a LOGIN {}\r\n", {Cmd("a LOGIN {}")}},
      {"sync literal too big, session goes on",
       "a LOGIN {101}\r\nb NOOP\r\n",
       {TooBig("a", 101, false, false), Cmd("b NOOP")}},
      {"APPEND literal too big",
       "a append INBOX {101}\r\nb NOOP\r\n",
       {TooBig("a", 101, false, true), Cmd("b NOOP")}},
      {"non-sync literal too big closes",
       "a LOGIN {101+}\r\nb NOOP\r\nc NOOP\r\n",
       {TooBig("a", 101, true, false)}},
      {"literal size overflow",
       "a LOGIN " + kHuge + "\r\n",
       {TooBig("a", UINT64_MAX, false, false)}},
      {"command over max_command",
       "a LOGIN {90}\r\n" + std::string(90, 'x') + " {90}\r\n",
       {Cont(90), TooBig("a", 90, false, false)}},
      {"APPEND may exceed max_command",
       "a APPEND x {90}\r\n" + std::string(90, 'x') + " {90}\r\n" + std::string(90, 'y') + "\r\n",
       {Cont(90), Cont(90),
        Cmd("a APPEND x {90}\r\n" + std::string(90, 'x') + " {90}\r\n" + std::string(90, 'y'))}},
      {"APPEND over max_append_command",
       "a APPEND x {90}\r\n" + std::string(90, 'x') + " {90}\r\n" + std::string(90, 'y') +
           " {90}\r\n",
       {Cont(90), Cont(90), TooBig("a", 90, false, true)}},
      {"line too long, then the next command",
       "a NOOP " + std::string(40, 'x') + "\r\nb NOOP\r\n",
       {TooLong("a"), Cmd("b NOOP")}},
      {"line too long without a valid tag",
       "+a NOOP " + std::string(40, 'x') + "\r\nb NOOP\r\n",
       {TooLong(""), Cmd("b NOOP")}},
      {"line too long before the tag ends",
       std::string(40, 'x') + " NOOP\r\nb NOOP\r\n",
       {TooLong(""), Cmd("b NOOP")}},
      {"line too long with a tag and no space",
       std::string(40, 'x') + "\r\nb NOOP\r\n",
       {TooLong(""), Cmd("b NOOP")}},
      {"too long line ending in a non-sync literal skips its data",
       "a LOGIN " + std::string(40, 'x') + " {6+}\r\nb NOOP rest\r\nc NOOP\r\n",
       {TooLong("a"), Cmd("c NOOP")}},
      {"too long line ending in a huge non-sync literal closes",
       "a LOGIN " + std::string(40, 'x') + " {101+}\r\nb NOOP\r\n",
       {TooLong("a"), TooBig("a", 101, true, false)}},
      {"too long line ending in a sync literal gets no +",
       "a LOGIN " + std::string(40, 'x') + " {6}\r\nb NOOP\r\n",
       {TooLong("a"), Cmd("b NOOP")}},
      {"continuation line too long",
       "a LOGIN {3}\r\nabc " + std::string(40, 'x') + "\r\nb NOOP\r\n",
       {Cont(3), TooLong("a"), Cmd("b NOOP")}},
      {"line of exactly max_line octets",
       "a NOOP " + std::string(23, 'x') + "\r\n",
       {Cmd("a NOOP " + std::string(23, 'x'))}},
      {"one octet over max_line",
       "a NOOP " + std::string(24, 'x') + "\r\nb NOOP\r\n",
       {TooLong("a"), Cmd("b NOOP")}},
      {"IDLE then DONE in raw mode",
       "a IDLE\r\nDONE\r\nb NOOP\r\n",
       {Cmd("a IDLE"), Line("DONE"), Cmd("b NOOP")}},
      {"raw mode returns empty lines and ignores literals",
       "a IDLE\r\n\r\nx {5}\r\nDONE\r\n",
       {Cmd("a IDLE"), Line(""), Line("x {5}"), Line("DONE")}},
      {"raw line too long",
       "a IDLE\r\n" + std::string(40, 'x') + " {5+}\r\nDONE\r\n",
       {Cmd("a IDLE"), TooLong(""), Line("DONE")}},
  };
}

TEST(CommandReader, CasesWholeAndSplit) {
  for (const Case& c : Cases()) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(FeedInPieces(Small(), c.input, 0), c.expected);
    EXPECT_EQ(FeedInPieces(Small(), c.input, 1), c.expected);
    for (size_t piece : {2, 3, 7, 13}) EXPECT_EQ(FeedInPieces(Small(), c.input, piece), c.expected);
  }
}

TEST(CommandReader, AllTwoPieceSplitsAgree) {
  for (const Case& c : Cases()) {
    SCOPED_TRACE(c.name);
    for (size_t cut = 1; cut < c.input.size(); ++cut) {
      CommandReader reader(Small());
      std::vector<Seen> seen;
      for (std::string_view chunk :
           {std::string_view(c.input).substr(0, cut), std::string_view(c.input).substr(cut)}) {
        while (!chunk.empty()) {
          auto e = reader.Feed(chunk);
          if (e.kind != Kind::kNeedMore) {
            seen.push_back({e.kind, std::string(e.text), e.tag, e.literal_size, e.close, e.append});
            if (e.kind == Kind::kCommand && e.text.ends_with(" IDLE")) reader.SetLineMode(true);
            if (e.kind == Kind::kLine && e.text == "DONE") reader.SetLineMode(false);
          }
          chunk.remove_prefix(e.consumed);
        }
      }
      EXPECT_EQ(seen, c.expected) << "cut at " << cut;
    }
  }
}

TEST(CommandReader, ConsumedStopsAtEachEvent) {
  CommandReader reader(Limits{});
  std::string input = "a NOOP\r\nb LOGIN {2}\r\nxy z\r\n";
  auto e = reader.Feed(input);
  EXPECT_EQ(e.kind, Kind::kCommand);
  EXPECT_EQ(e.consumed, 8u);
  e = reader.Feed(std::string_view(input).substr(8));
  EXPECT_EQ(e.kind, Kind::kContinue);
  EXPECT_EQ(e.consumed, 13u);
  EXPECT_EQ(reader.buffered(), 13u);
  e = reader.Feed(std::string_view(input).substr(21));
  EXPECT_EQ(e.kind, Kind::kCommand);
  EXPECT_EQ(e.text, "b LOGIN {2}\r\nxy z");
}

TEST(CommandReader, ClosedReaderDiscardsInput) {
  CommandReader reader(Small());
  auto e = reader.Feed("a LOGIN {1000+}\r\n");
  EXPECT_EQ(e.kind, Kind::kTooBig);
  EXPECT_TRUE(e.close);
  EXPECT_TRUE(reader.closed());
  e = reader.Feed("b NOOP\r\n");
  EXPECT_EQ(e.kind, Kind::kNeedMore);
  EXPECT_EQ(e.consumed, 8u);
}

TEST(CommandReader, ReleaseMemoryKeepsHalfReadCommands) {
  CommandReader reader(Limits{});
  auto e = reader.Feed("a NOOP\r\nb NO");
  EXPECT_EQ(e.kind, Kind::kCommand);
  reader.ReleaseMemory();
  e = reader.Feed("b NO");
  EXPECT_EQ(e.kind, Kind::kNeedMore);
  reader.ReleaseMemory();  // "b NO" is half a command: kept
  EXPECT_EQ(reader.buffered(), 4u);
  e = reader.Feed("OP\r\n");
  EXPECT_EQ(e.text, "b NOOP");
}

TEST(CommandReader, Refusals) {
  CommandReader::Event e{Kind::kTooBig};
  e.tag = "a1";
  e.append = true;
  EXPECT_EQ(RefusalFor(e), "a1 NO [TOOBIG] Literal too big\r\n");
  e.append = false;
  EXPECT_EQ(RefusalFor(e), "a1 BAD [TOOBIG] Literal too big\r\n");
  e.close = true;
  e.append = true;
  EXPECT_EQ(RefusalFor(e), "a1 BAD [TOOBIG] Literal too big\r\n* BYE [TOOBIG] Literal too big\r\n");
  CommandReader::Event l{Kind::kLineTooLong};
  EXPECT_EQ(RefusalFor(l), "* BAD Command line too long\r\n");
  EXPECT_EQ(RefusalFor(CommandReader::Event{}), "");
}

TEST(LiteralMarker, Forms) {
  struct {  // NOLINT(clang-analyzer-optin.performance.Padding): a table, in reading order
    const char* line;
    bool found;
    uint64_t size;
    bool sync;
    bool binary;
  } cases[] = {
      {"a LOGIN {5}", true, 5, true, false},
      {"a LOGIN {5+}", true, 5, false, false},
      {"a APPEND x ~{7}", true, 7, true, true},
      {"a APPEND x ~{7+}", true, 7, false, true},
      {"{0}", true, 0, true, false},
      {"a {x}", false, 0, false, false},
      {"a {}", false, 0, false, false},
      {"a {+}", false, 0, false, false},
      {"a 5}", false, 0, false, false},
      {"a {5}x", false, 0, false, false},
      {"", false, 0, false, false},
  };
  for (const auto& c : cases) {
    LiteralMarker m;
    ASSERT_EQ(FindLiteralMarker(c.line, m), c.found) << c.line;
    if (!c.found) continue;
    EXPECT_EQ(m.size, c.size) << c.line;
    EXPECT_EQ(m.sync, c.sync) << c.line;
    EXPECT_EQ(m.binary, c.binary) << c.line;
  }
}

}  // namespace
}  // namespace pushmail::imap
