// Part offsets and IMAP sections: each case is a message and the octets each section names.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "mime/mime.h"

namespace pushmail::mime {
namespace {

constexpr const char* kNone = "<none>";  // FindSection finds no such part, or no HEADER/TEXT

struct Expect {
  std::string section;  // "", "HEADER", "TEXT", "1", "1.MIME", "2.HEADER", "2.1.TEXT", ...
  std::string octets;   // or kNone
};

struct SectionCase {
  std::string name;
  std::string message;
  std::vector<Expect> expect;
};

// Splits "2.1.MIME" into the part path "2.1" and the specifier "MIME".
std::pair<std::string, std::string> SplitSpec(const std::string& spec) {
  size_t dot = spec.rfind('.');
  std::string last = dot == std::string::npos ? spec : spec.substr(dot + 1);
  if (last != "MIME" && last != "HEADER" && last != "TEXT") return {spec, ""};
  return {dot == std::string::npos ? "" : spec.substr(0, dot), last};
}

std::string Fetch(const Summary& s, std::string_view message, const std::string& spec) {
  auto [path, specifier] = SplitSpec(spec);
  std::optional<Section> section = FindSection(s, path);
  if (!section) return kNone;
  if (specifier.empty()) return std::string(Slice(message, section->body));
  if (specifier == "MIME") return std::string(Slice(message, section->mime));
  if (!section->is_message) return kNone;
  if (specifier == "HEADER") return std::string(Slice(message, section->header));
  if (specifier == "TEXT") return std::string(Slice(message, section->text));
  ADD_FAILURE() << "bad specifier in " << spec;
  return {};
}

std::string Lf(std::string s) {
  for (size_t i; (i = s.find("\r\n")) != std::string::npos;) s.erase(i, 1);
  return s;
}

SectionCase LfCase(const SectionCase& c) {
  SectionCase out{c.name + " (LF)", Lf(c.message), {}};
  for (const auto& e : c.expect) out.expect.push_back({e.section, Lf(e.octets)});
  return out;
}

// Offsets nest: a child lies inside its parent's body, siblings follow one another, the size
// and lines describe the body.
void CheckInvariants(const Part& p, int64_t begin, int64_t end, const std::string& name) {
  SCOPED_TRACE(name + " part " + p.part_id);
  EXPECT_LE(begin, p.header_offset);
  EXPECT_LE(p.header_offset, p.body_offset);
  EXPECT_LE(p.body_offset, p.end_offset);
  EXPECT_LE(p.end_offset, end);
  EXPECT_EQ(p.size, p.end_offset - p.body_offset);
  int64_t next = p.body_offset;
  for (const auto& c : p.children) {
    CheckInvariants(c, next, p.end_offset, name);
    next = c.end_offset;
  }
}

void CheckCase(const SectionCase& c) {
  SCOPED_TRACE(c.name);
  Summary s = Parse(c.message);
  ASSERT_TRUE(s.offsets_known);
  EXPECT_EQ(s.body.header_offset, 0);
  EXPECT_EQ(s.body.end_offset, static_cast<int64_t>(c.message.size()));
  CheckInvariants(s.body, 0, static_cast<int64_t>(c.message.size()), c.name);
  EXPECT_EQ(Fetch(s, c.message, ""), c.message);
  for (const auto& e : c.expect) {
    EXPECT_EQ(Fetch(s, c.message, e.section), e.octets) << "section [" << e.section << "]";
  }
  // The stored form answers the same.
  Summary back = FromJson(ToJson(s));
  ASSERT_TRUE(back.offsets_known);
  for (const auto& e : c.expect) {
    EXPECT_EQ(Fetch(back, c.message, e.section), e.octets) << "stored, [" << e.section << "]";
  }
}

std::vector<SectionCase> WellFormed() {
  std::vector<SectionCase> cases;
  {
    std::string h =
        "From: a@example.org\r\nSubject: A\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n";
    std::string p1h = "Content-Type: text/plain; charset=us-ascii\r\n\r\n";
    std::string p1b = "Hello,\r\n\r\nworld.";
    std::string p2h =
        "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n";
    std::string p2b = "AAECAwQF\r\nBgcICQ==";
    std::string text = "This is a preamble.\r\n--XX\r\n" + p1h + p1b + "\r\n--XX\r\n" + p2h + p2b +
                       "\r\n--XX--\r\nThis is an epilogue.\r\n";
    cases.push_back({"preamble and epilogue",
                     h + text,
                     {{"HEADER", h},
                      {"TEXT", text},
                      {"1", p1b},
                      {"1.MIME", p1h},
                      {"2", p2b},
                      {"2.MIME", p2h},
                      {"3", kNone},
                      {"0", kNone},
                      {"1.1", kNone},
                      {"2.HEADER", kNone},
                      {"2.TEXT", kNone}}});
  }
  {
    std::string h = "Subject: nested\r\nContent-Type: multipart/mixed; boundary=outer\r\n\r\n";
    std::string ah = "Content-Type: multipart/alternative; boundary=inner\r\n\r\n";
    std::string t1h = "Content-Type: text/plain\r\n\r\n";
    std::string t2h = "Content-Type: text/html\r\n\r\n";
    std::string ab = "--inner\r\n" + t1h + "plain\r\n--inner\r\n" + t2h +
                     "<p>html</p>\r\n--inner--\r\ninner epilogue";
    std::string zh = "Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\n";
    cases.push_back(
        {"nested multiparts",
         h + "--outer\r\n" + ah + ab + "\r\n--outer\r\n" + zh + "iVBORw0KGgo=\r\n--outer--\r\n",
         {{"HEADER", h},
          {"1", ab},
          {"1.MIME", ah},
          {"1.1", "plain"},
          {"1.1.MIME", t1h},
          {"1.2", "<p>html</p>"},
          {"1.2.MIME", t2h},
          {"1.3", kNone},
          {"2", "iVBORw0KGgo="},
          {"2.MIME", zh},
          {"2.1", kNone}}});
  }
  {
    std::string h = "Subject: outer\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n";
    std::string mh = "Content-Type: message/rfc822\r\nContent-Disposition: attachment\r\n\r\n";
    std::string eh =
        "From: inner@example.org\r\nSubject: inner\r\n"
        "Content-Type: multipart/alternative; boundary=b2\r\n\r\n";
    std::string e1h = "Content-Type: text/plain\r\n\r\n";
    std::string e2h = "Content-Type: text/html\r\n\r\n";
    std::string eb =
        "--b2\r\n" + e1h + "inner text\r\n--b2\r\n" + e2h + "<b>inner</b>\r\n--b2--\r\n";
    cases.push_back({"message/rfc822 with a multipart inside a multipart",
                     h + "--b1\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--b1\r\n" + mh +
                         eh + eb + "\r\n--b1--\r\n",
                     {{"1", "see attached"},
                      {"2", eh + eb},
                      {"2.MIME", mh},
                      {"2.HEADER", eh},
                      {"2.TEXT", eb},
                      {"2.1", "inner text"},
                      {"2.1.MIME", e1h},
                      {"2.2", "<b>inner</b>"},
                      {"2.2.MIME", e2h},
                      {"2.3", kNone},
                      {"2.1.1", kNone},
                      {"1.HEADER", kNone}}});
  }
  {
    std::string mh = "Content-Type: message/rfc822\r\n\r\n";
    std::string eh = "Subject: inner\r\n\r\n";
    cases.push_back({"message/rfc822 with a single part inside a multipart",
                     "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n" + mh + eh +
                         "just text\r\n--b--\r\n",
                     {{"1", eh + "just text"},
                      {"1.MIME", mh},
                      {"1.HEADER", eh},
                      {"1.TEXT", "just text"},
                      {"1.1", "just text"},
                      {"1.1.MIME", eh},
                      {"1.2", kNone}}});
  }
  {
    std::string h = "Subject: fwd\r\nContent-Type: message/rfc822\r\n\r\n";
    std::string eh = "Subject: inner\r\nContent-Type: text/plain\r\n\r\n";
    std::string eh2 = "Subject: innermost\r\nContent-Type: message/rfc822\r\n\r\n";
    std::string eb = "inner body\r\n";
    cases.push_back({"message/rfc822 at the top",
                     h + eh + eb,
                     {{"HEADER", h},
                      {"TEXT", eh + eb},
                      {"1", eh + eb},
                      {"1.MIME", h},
                      {"1.HEADER", eh},
                      {"1.TEXT", eb},
                      {"1.1", eb},
                      {"1.2", kNone}}});
    cases.push_back({"message/rfc822 in message/rfc822",
                     h + eh2 + eh + eb,
                     {{"1", eh2 + eh + eb},
                      {"1.HEADER", eh2},
                      {"1.1", eh + eb},
                      {"1.1.HEADER", eh},
                      {"1.1.TEXT", eb},
                      {"1.1.1", eb},
                      {"1.1.1.1", kNone}}});
  }
  {
    std::string h = "Subject: single\r\nContent-Type: text/plain\r\n\r\n";
    cases.push_back({"single part",
                     h + "body\r\n",
                     {{"HEADER", h},
                      {"TEXT", "body\r\n"},
                      {"1", "body\r\n"},
                      {"1.MIME", h},
                      {"2", kNone},
                      {"1.1", kNone},
                      {"1.HEADER", kNone}}});
  }
  {
    std::string h =
        "Content-Type: multipart/signed; boundary=s; "
        "protocol=\"application/pgp-signature\"\r\n\r\n";
    std::string ah = "Content-Type: multipart/alternative; boundary=a\r\n\r\n";
    std::string ab = "--a\r\nContent-Type: text/plain\r\n\r\nsigned\r\n--a--";
    std::string sh = "Content-Type: application/pgp-signature\r\n\r\n";
    cases.push_back({"multipart/signed",
                     h + "--s\r\n" + ah + ab + "\r\n--s\r\n" + sh + "SIG\r\n--s--\r\n",
                     {{"1", ab}, {"1.MIME", ah}, {"1.1", "signed"}, {"2", "SIG"}, {"2.MIME", sh}}});
  }
  {
    std::string eh = "Subject: global\r\n\r\n";
    cases.push_back({"message/global",
                     "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
                     "Content-Type: message/global\r\n\r\n" +
                         eh + "text\r\n--b--\r\n",
                     {{"1", eh + "text"}, {"1.HEADER", eh}, {"1.TEXT", "text"}, {"1.1", "text"}}});
  }
  {
    std::string h = "Content-Type: multipart/digest; boundary=d\r\n\r\n";
    cases.push_back({"multipart/digest parts without a header",
                     h + "--d\r\n\r\nSubject: one\r\n\r\nfirst\r\n--d\r\n\r\nSubject: "
                         "two\r\n\r\nsecond\r\n--d--\r\n",
                     {{"1.MIME", "\r\n"},
                      {"1", "Subject: one\r\n\r\nfirst"},
                      {"1.HEADER", "Subject: one\r\n\r\n"},
                      {"1.TEXT", "first"},
                      {"1.1", "first"},
                      {"2.MIME", "\r\n"},
                      {"2", "Subject: two\r\n\r\nsecond"},
                      {"2.TEXT", "second"}}});
  }
  return cases;
}

std::vector<SectionCase> Malformed() {
  std::string mixed = "Content-Type: multipart/mixed; boundary=b\r\n\r\n";
  std::string plain = "Content-Type: text/plain\r\n\r\n";
  return {
      {"empty message", "", {{"HEADER", ""}, {"TEXT", ""}, {"1", ""}}},
      {"no body",
       "Subject: x\r\n\r\n",
       {{"HEADER", "Subject: x\r\n\r\n"}, {"TEXT", ""}, {"1", ""}}},
      {"header without a blank line",
       "Subject: x\r\n",
       {{"HEADER", "Subject: x\r\n"}, {"TEXT", ""}}},
      {"header without a line break", "Subject: x", {{"HEADER", "Subject: x"}, {"TEXT", ""}}},
      {"no header", "\r\nbody", {{"HEADER", "\r\n"}, {"TEXT", "body"}, {"1", "body"}}},
      {"no header and no blank line",
       "just a body\r\n",
       {{"HEADER", "just a body\r\n"}, {"TEXT", ""}}},
      {"no final line break", "Subject: x\r\n\r\nbody", {{"TEXT", "body"}, {"1", "body"}}},
      {"no close delimiter",
       mixed + "--b\r\n" + plain + "truncated\r\n",
       {{"1", "truncated\r\n"}, {"1.MIME", plain}, {"2", kNone}}},
      {"delimiter never found", mixed + "--c\r\nx\r\n", {{"TEXT", "--c\r\nx\r\n"}, {"1", kNone}}},
      {"inner multipart never closed",
       mixed + "--b\r\nContent-Type: multipart/alternative; boundary=i\r\n\r\n--i\r\n" + plain +
           "unclosed\r\n--b\r\n" + plain + "second\r\n--b--\r\n",
       {{"1", "--i\r\n" + plain + "unclosed"},
        {"1.1", "unclosed"},
        {"2", "second"},
        {"2.MIME", plain}}},
      {"delimiters with trailing white space",
       mixed + "--b  \r\n" + plain + "one\r\n--b\t\r\n" + plain + "two\r\n--b-- \r\n",
       {{"1", "one"}, {"1.MIME", plain}, {"2", "two"}, {"2.MIME", plain}}},
      {"parts without a header",
       mixed + "--b\r\n\r\none\r\n--b\r\n\r\ntwo\r\n--b--\r\n",
       {{"1", "one"}, {"1.MIME", "\r\n"}, {"2", "two"}, {"2.MIME", "\r\n"}}},
      // The line break before a delimiter belongs to the delimiter, even when it would end a
      // header.
      {"empty part",
       mixed + "--b\r\nContent-Type: text/plain\r\n\r\n--b--\r\n",
       {{"1", ""}, {"1.MIME", "Content-Type: text/plain\r\n"}}},
      {"close delimiter without a line break",
       mixed + "--b\r\n" + plain + "last\r\n--b--",
       {{"1", "last"}, {"TEXT", "--b\r\n" + plain + "last\r\n--b--"}}},
      {"junk line before a part's header",
       mixed + "--b\r\nnot a header\r\n" + plain + "x\r\n--b--\r\n",
       {{"1", "x"}, {"1.MIME", "not a header\r\n" + plain}}},
      {"empty message/rfc822",
       mixed + "--b\r\nContent-Type: message/rfc822\r\n\r\n--b--\r\n",
       {{"1", ""},
        {"1.MIME", "Content-Type: message/rfc822\r\n"},
        {"1.HEADER", ""},
        {"1.TEXT", ""},
        {"1.1", kNone}}},
      {"embedded message without a body",
       mixed + "--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: x\r\n\r\n--b--\r\n",
       {{"1", "Subject: x\r\n"}, {"1.HEADER", "Subject: x\r\n"}, {"1.TEXT", ""}, {"1.1", ""}}},
      {"bad paths",
       "Subject: x\r\n\r\nbody",
       {{"01", kNone},
        {"1.", kNone},
        {".1", kNone},
        {"1..1", kNone},
        {"a", kNone},
        {"1a", kNone},
        {"+1", kNone},
        {"-1", kNone},
        {"99999999999999999999", kNone},
        {"1 ", kNone}}},
  };
}

TEST(MimeSection, WellFormedCrlf) {
  for (const auto& c : WellFormed()) CheckCase(c);
}

TEST(MimeSection, WellFormedLf) {
  for (const auto& c : WellFormed()) CheckCase(LfCase(c));
}

TEST(MimeSection, Malformed) {
  for (const auto& c : Malformed()) CheckCase(c);
  for (const auto& c : Malformed()) CheckCase(LfCase(c));
}

TEST(MimeSection, MixedLineBreaks) {
  // A bare LF before a CRLF delimiter belongs to the delimiter; GMime alone would take two
  // octets off the body.
  std::string m =
      "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nlf body\n"
      "--b\r\nContent-Type: text/plain\r\n\r\ncrlf body\r\n--b--\n";
  Summary s = Parse(m);
  EXPECT_EQ(Fetch(s, m, "1"), "lf body");
  EXPECT_EQ(s.body.children[0].size, 7);
  EXPECT_EQ(s.body.children[0].lines, 1);
  EXPECT_EQ(Fetch(s, m, "2"), "crlf body");
}

TEST(MimeSection, SizeAndLinesOfEveryPart) {
  std::string eh = "Subject: inner\r\n\r\n";
  std::string m =
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: "
      "message/rfc822\r\n\r\n" +
      eh + "one\r\ntwo\r\n--b--\r\n";
  Summary s = Parse(m);
  const Part& message = s.body.children.at(0);
  EXPECT_EQ(message.size, static_cast<int64_t>(eh.size() + 8));  // "one\r\ntwo"
  EXPECT_EQ(message.lines, 4);
  EXPECT_EQ(message.children.at(0).size, 8);
  EXPECT_EQ(message.children.at(0).lines, 2);
}

TEST(MimeSection, ManyParts) {
  std::string m = "Content-Type: multipart/mixed; boundary=b\r\n\r\n";
  for (int i = 0; i < 2000; ++i) {
    m += "--b\r\nContent-Type: text/plain\r\n\r\n" + std::to_string(i) + "\r\n";
  }
  m += "--b--\r\n";
  Summary s = Parse(m);
  ASSERT_EQ(s.body.children.size(), 2000u);
  EXPECT_EQ(Fetch(s, m, "1"), "0");
  EXPECT_EQ(Fetch(s, m, "1234"), "1233");
  EXPECT_EQ(Fetch(s, m, "2000"), "1999");
}

void CollectIds(const Part& p, std::vector<std::string>& ids) {
  if (!p.part_id.empty()) ids.push_back(p.part_id);
  for (const auto& c : p.children) CollectIds(c, ids);
}

// Damaged messages: whatever GMime makes of them, offsets nest and every part id is found.
TEST(MimeSection, OffsetsNestInDamagedMessages) {
  std::mt19937 random(20261123);
  std::vector<SectionCase> cases = WellFormed();
  for (const auto& c : Malformed()) cases.push_back(c);
  std::string deep;
  for (int i = 0; i < 200; ++i) {
    deep += "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\r\n\r\n--b" +
            std::to_string(i) + "\r\n";
  }
  cases.push_back({"deep nesting", deep, {}});
  cases.push_back({"nul octets", std::string("Subject: a\0b\r\n\r\n\0\0", 18), {}});
  const char junk[] = {'\r', '\n', '-', '-', ':', ' ', '\0', 'b', '=', '\xff'};
  for (const auto& c : cases) {
    for (int round = 0; round < 300; ++round) {
      std::string m = c.message;
      for (long edits = 1 + random() % 4; edits > 0 && !m.empty(); --edits) {
        size_t at = random() % m.size();
        if (random() % 2) {
          m.erase(at, 1 + random() % 8);
        } else {
          m.insert(at, 1, junk[random() % sizeof junk]);
        }
      }
      SCOPED_TRACE(testing::PrintToString(m));
      Summary s = Parse(m);
      ASSERT_TRUE(s.offsets_known);
      CheckInvariants(s.body, 0, static_cast<int64_t>(m.size()), c.name + " damaged");
      std::vector<std::string> ids;
      CollectIds(s.body, ids);
      for (const auto& id : ids) {
        EXPECT_TRUE(FindSection(s, id).has_value()) << c.name << " " << id << "\n"
                                                    << testing::PrintToString(m) << "\n"
                                                    << boost::json::serialize(ToJson(s));
      }
      if (HasFailure()) return;
    }
  }
}

TEST(MimeSection, ParsesOnManyThreads) {
  std::vector<SectionCase> cases = WellFormed();
  std::vector<std::thread> threads;
  threads.reserve(4);
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int round = 0; round < 200; ++round) {
        for (const auto& c : cases) {
          Summary s = Parse(c.message);
          for (const auto& e : c.expect) wrong += Fetch(s, c.message, e.section) != e.octets;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong, 0);
}

TEST(MimeSection, UnknownOffsetsFindNothing) {
  std::string m = "Subject: x\r\n\r\nbody";
  boost::json::value json = ToJson(Parse(m));
  json.as_object()["body"].as_object().erase("o");  // as stored before offsets existed
  Summary old = FromJson(json);
  EXPECT_FALSE(old.offsets_known);
  EXPECT_FALSE(FindSection(old, "").has_value());
  EXPECT_FALSE(FindSection(old, "1").has_value());
  EXPECT_EQ(old.body.header_offset, -1);
  // Written back, it stays without offsets.
  EXPECT_FALSE(FromJson(ToJson(old)).offsets_known);
  EXPECT_FALSE(ToJson(old).as_object()["body"].as_object().contains("o"));
}

TEST(MimeSection, MalformedStoredOffsetsAreUnknown) {
  Summary s = Parse("Subject: x\r\n\r\nbody");
  for (const char* bad : {R"([1,2])", R"([3,2,1])", R"(["0",1,2])", R"([-1,0,4])", "7"}) {
    boost::json::value json = ToJson(s);
    json.as_object()["body"].as_object()["o"] = boost::json::parse(bad);
    EXPECT_FALSE(FromJson(json).offsets_known) << bad;
  }
}

TEST(MimeSection, SliceStaysInside) {
  EXPECT_EQ(Slice("abc", {1, 2}), "b");
  EXPECT_EQ(Slice("abc", {2, 10}), "c");
  EXPECT_EQ(Slice("abc", {-5, 1}), "a");
  EXPECT_EQ(Slice("abc", {3, 1}), "");
}

}  // namespace
}  // namespace pushmail::mime
