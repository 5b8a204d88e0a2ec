#include "imap/protocol/structure.h"

#include <gtest/gtest.h>

#include <string>

#include "base/base64.h"
#include "imap/protocol/parser.h"

namespace pushmail::imap {
namespace {

std::string Envelope(const mime::Summary& s, bool utf8) {
  std::string out;
  AppendEnvelope(out, s, utf8);
  return out;
}

std::string Body(const mime::Part& p, bool extended, bool utf8 = false) {
  std::string out;
  AppendBodyStructure(out, p, extended, utf8);
  return out;
}

// The text is one well-formed parenthesised list.
void ExpectOneList(const std::string& text) {
  auto tokens = Tokenize(text, Limits{});
  ASSERT_TRUE(tokens) << text << ": " << tokens.error().text;
  ASSERT_EQ(tokens->size(), 1u) << text;
  EXPECT_TRUE((*tokens)[0].IsList()) << text;
}

mime::Summary Sample() {
  mime::Summary s;
  s.message_id = "1234@local.machine.example";
  s.in_reply_to = {"a@x", "b@y"};
  s.subject = "Hello";
  s.from = {{"John Doe", "jdoe@machine.example"}};
  s.to = {{"", "mary@example.net"}, {"Bob \"B\"", "bob"}};
  s.sent_at = 837596665;
  return s;
}

TEST(Envelope, Basic) {
  std::string e = Envelope(Sample(), false);
  EXPECT_EQ(e,
            "(\"Wed, 17 Jul 1996 09:44:25 +0000\" \"Hello\" "
            "((\"John Doe\" NIL \"jdoe\" \"machine.example\")) "
            "((\"John Doe\" NIL \"jdoe\" \"machine.example\")) "
            "((\"John Doe\" NIL \"jdoe\" \"machine.example\")) "
            "((NIL NIL \"mary\" \"example.net\")(\"Bob \\\"B\\\"\" NIL \"bob\" \"\")) "
            "NIL NIL \"<a@x> <b@y>\" \"<1234@local.machine.example>\")");
  ExpectOneList(e);
}

TEST(Envelope, EmptyAndExplicitSender) {
  mime::Summary s;
  EXPECT_EQ(Envelope(s, false), "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
  s.from = {{"", "a@b"}};
  s.sender = {{"", "s@b"}};
  s.reply_to = {{"", "r@b"}};
  EXPECT_EQ(Envelope(s, false),
            "(NIL NIL ((NIL NIL \"a\" \"b\")) ((NIL NIL \"s\" \"b\")) ((NIL NIL \"r\" \"b\")) "
            "NIL NIL NIL NIL NIL)");
}

TEST(Envelope, NonAsciiText) {
  mime::Summary s;
  s.subject = "Caf\xc3\xa9";
  s.from = {{"Andr\xc3\xa9", "andre@example.com"}};
  EXPECT_EQ(Envelope(s, false),
            "(NIL \"=?UTF-8?B?Q2Fmw6k=?=\" ((\"=?UTF-8?B?QW5kcsOp?=\" NIL \"andre\" "
            "\"example.com\")) ((\"=?UTF-8?B?QW5kcsOp?=\" NIL \"andre\" \"example.com\")) "
            "((\"=?UTF-8?B?QW5kcsOp?=\" NIL \"andre\" \"example.com\")) NIL NIL NIL NIL NIL)");
  std::string raw = Envelope(s, true);
  EXPECT_NE(raw.find("\"Caf\xc3\xa9\""), std::string::npos);
  ExpectOneList(raw);
}

TEST(EncodeWords, Splitting) {
  EXPECT_EQ(EncodeWords("plain ascii"), "plain ascii");
  std::string long_text;
  for (int i = 0; i < 40; ++i) long_text += "\xc3\xa9";  // 80 octets
  std::string words = EncodeWords(long_text);
  // 45 octets would split a character: the first word takes 44.
  EXPECT_EQ(words.substr(0, words.find(' ')),
            "=?UTF-8?B?" + EncodeBase64(long_text.substr(0, 44)) + "?=");
  size_t start = 0;
  for (size_t sp = words.find(' '); start != std::string::npos;
       start = sp == std::string::npos ? sp : sp + 1, sp = words.find(' ', start)) {
    std::string word = words.substr(start, sp == std::string::npos ? sp : sp - start);
    EXPECT_LE(word.size(), 75u);
  }
}

mime::Part Text(std::string id, std::string subtype, int64_t size, int64_t lines) {
  mime::Part p;
  p.part_id = std::move(id);
  p.type = "text";
  p.subtype = std::move(subtype);
  p.size = size;
  p.lines = lines;
  return p;
}

TEST(BodyStructure, SingleText) {
  mime::Part p = Text("1", "plain", 3028, 92);
  p.params = {{"charset", "utf-8"}, {"format", "flowed"}};
  p.encoding = "quoted-printable";
  EXPECT_EQ(Body(p, false),
            "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\" \"FORMAT\" \"flowed\") NIL NIL "
            "\"QUOTED-PRINTABLE\" 3028 92)");
  EXPECT_EQ(Body(p, true),
            "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\" \"FORMAT\" \"flowed\") NIL NIL "
            "\"QUOTED-PRINTABLE\" 3028 92 NIL NIL NIL NIL)");
  mime::Part bare = Text("1", "plain", 0, 0);
  EXPECT_EQ(Body(bare, false),
            "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 0 0)");
}

TEST(BodyStructure, AttachmentExtensionData) {
  mime::Part p;
  p.part_id = "2";
  p.type = "application";
  p.subtype = "pdf";
  p.params = {{"name", "r\xc3\xa9sum\xc3\xa9.pdf"}};
  p.id = "<part2@x>";
  p.description = "CV";
  p.encoding = "base64";
  p.disposition = "attachment";
  p.filename = "r\xc3\xa9sum\xc3\xa9.pdf";
  p.language = "en, de";
  p.location = "http://x/cv.pdf";
  p.size = 4096;
  std::string name = "\"=?UTF-8?B?csOpc3Vtw6kucGRm?=\"";
  EXPECT_EQ(Body(p, true),
            "(\"APPLICATION\" \"PDF\" (\"NAME\" " + name +
                ") \"<part2@x>\" \"CV\" \"BASE64\" 4096 NIL (\"ATTACHMENT\" (\"FILENAME\" " + name +
                ")) (\"en\" \"de\") \"http://x/cv.pdf\")");
  p.language = "fr";
  std::string utf8 = Body(p, true, true);
  EXPECT_NE(utf8.find("(\"FILENAME\" \"r\xc3\xa9sum\xc3\xa9.pdf\")) \"fr\" "), std::string::npos)
      << utf8;
  EXPECT_EQ(Body(p, false), "(\"APPLICATION\" \"PDF\" (\"NAME\" " + name +
                                ") \"<part2@x>\" \"CV\" \"BASE64\" 4096)");
}

TEST(BodyStructure, Multipart) {
  mime::Part m;
  m.type = "multipart";
  m.subtype = "mixed";
  m.params = {{"boundary", "xyz"}};
  m.children = {Text("1", "plain", 10, 1), Text("2", "html", 20, 2)};
  EXPECT_EQ(Body(m, false),
            "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 10 1)"
            "(\"TEXT\" \"HTML\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 20 2) \"MIXED\")");
  EXPECT_EQ(Body(m, true),
            "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 10 1 NIL NIL NIL NIL)"
            "(\"TEXT\" \"HTML\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 20 2 NIL NIL NIL NIL) "
            "\"MIXED\" (\"BOUNDARY\" \"xyz\") NIL NIL NIL)");
  mime::Part empty;
  empty.type = "multipart";
  empty.subtype = "alternative";
  EXPECT_EQ(Body(empty, false),
            "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 0 0) "
            "\"ALTERNATIVE\")");
}

TEST(BodyStructure, EmbeddedMessage) {
  mime::Part msg;
  msg.part_id = "2";
  msg.type = "message";
  msg.subtype = "rfc822";
  msg.size = 500;
  msg.lines = 12;
  msg.children = {Text("2.1", "plain", 5, 1)};
  EXPECT_EQ(Body(msg, false),
            "(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 500 "
            "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) "
            "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 5 1) 12)");
  msg.children.clear();
  ExpectOneList(Body(msg, true));
  // With the embedded message's summary, its envelope appears.
  std::string out;
  int calls = 0;
  AppendBodyStructure(out, msg, false, false, [&calls](const mime::Part& part) {
    ++calls;
    EXPECT_EQ(part.part_id, "2");
    mime::Summary inner;
    inner.subject = "inner";
    return std::optional<mime::Summary>(inner);
  });
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(out,
            "(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 500 "
            "(NIL \"inner\" NIL NIL NIL NIL NIL NIL NIL NIL) "
            "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 0 0) 12)");
}

TEST(BodyStructure, FromParsedMessage) {
  const char* message =
      "From: =?UTF-8?Q?Andr=C3=A9?= <andre@example.com>\r\n"
      "To: bob@example.net\r\n"
      "Subject: =?UTF-8?Q?Caf=C3=A9?=\r\n"
      "Date: Wed, 17 Jul 1996 02:44:25 -0700\r\n"
      "Message-ID: <m1@example.com>\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
      "\r\n"
      "--b1\r\n"
      "Content-Type: text/plain; charset=utf-8\r\n"
      "\r\n"
      "Hello\r\nWorld\r\n"
      "--b1\r\n"
      "Content-Type: message/rfc822\r\n"
      "\r\n"
      "Subject: inner\r\n"
      "Content-Type: multipart/alternative; boundary=\"b2\"\r\n"
      "\r\n"
      "--b2\r\n"
      "Content-Type: text/plain\r\n"
      "\r\n"
      "a\r\n"
      "--b2\r\n"
      "Content-Type: text/html\r\n"
      "\r\n"
      "<p>a</p>\r\n"
      "--b2--\r\n"
      "--b1\r\n"
      "Content-Type: application/octet-stream; name=\"d.bin\"\r\n"
      "Content-Disposition: attachment; filename=\"d.bin\"\r\n"
      "Content-Transfer-Encoding: base64\r\n"
      "\r\n"
      "AAEC\r\n"
      "--b1--\r\n";
  mime::Summary s = mime::Parse(message);
  for (bool utf8 : {false, true}) {
    std::string env = Envelope(s, utf8);
    ExpectOneList(env);
    EXPECT_NE(env.find("\"Wed, 17 Jul 1996 09:44:25 +0000\""), std::string::npos) << env;
    EXPECT_NE(env.find("\"<m1@example.com>\""), std::string::npos) << env;
    for (bool extended : {false, true}) {
      std::string body = Body(s.body, extended, utf8);
      ExpectOneList(body);
      EXPECT_NE(body.find("\"MIXED\""), std::string::npos) << body;
      EXPECT_NE(body.find("\"MESSAGE\" \"RFC822\""), std::string::npos) << body;
      EXPECT_NE(body.find("\"ALTERNATIVE\""), std::string::npos) << body;
      EXPECT_EQ(body.find("(\"ATTACHMENT\" (\"FILENAME\" \"d.bin\"))") != std::string::npos,
                extended)
          << body;
    }
  }
  EXPECT_NE(Envelope(s, false).find("\"=?UTF-8?B?Q2Fmw6k=?=\""), std::string::npos);
}

}  // namespace
}  // namespace pushmail::imap
