#include "mime/mime.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

namespace pushmail::mime {
namespace {

constexpr std::string_view kMultipart =
    "From: =?UTF-8?Q?J=C3=BCrgen?= <jurgen@example.org>\r\n"
    "To: alice@example.test, Team: bob@example.test, carol@example.test;\r\n"
    "Subject: =?UTF-8?B?SGVsbG8gd8O2cmxk?=\r\n"
    "Date: Mon, 23 Nov 2026 05:58:16 +0000\r\n"
    "Message-ID: <m2@example.org>\r\n"
    "In-Reply-To: <m1@example.org>\r\n"
    "References: <m0@example.org> <m1@example.org>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=XX\r\n"
    "\r\n"
    "--XX\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "Hi   Alice,\r\n\r\nsee   attached.\r\n"
    "--XX\r\n"
    "Content-Type: application/pdf; name=a.pdf\r\n"
    "Content-Disposition: attachment; filename=a.pdf\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "JVBERi0xLjQK\r\n"
    "--XX--\r\n";

TEST(Mime, ParsesEnvelopeAndStructure) {
  Summary s = Parse(kMultipart);
  EXPECT_EQ(s.subject, "Hello wörld");
  ASSERT_EQ(s.from.size(), 1u);
  EXPECT_EQ(s.from[0].name, "Jürgen");
  EXPECT_EQ(s.from[0].email, "jurgen@example.org");
  ASSERT_EQ(s.to.size(), 3u);  // group members are flattened
  EXPECT_EQ(s.to[2].email, "carol@example.test");
  EXPECT_EQ(s.message_id, "m2@example.org");
  EXPECT_EQ(s.in_reply_to, std::vector<std::string>{"m1@example.org"});
  EXPECT_EQ(s.references.size(), 2u);
  ASSERT_TRUE(s.sent_at.has_value());
  EXPECT_EQ(*s.sent_at, 1795413496);
  EXPECT_EQ(s.preview, "Hi Alice, see attached.");
  EXPECT_TRUE(s.has_attachment);
  EXPECT_EQ(s.body.type, "multipart");
  ASSERT_EQ(s.body.children.size(), 2u);
  EXPECT_EQ(s.body.children[0].part_id, "1");
  EXPECT_EQ(s.body.children[1].part_id, "2");
  EXPECT_EQ(s.body.children[1].filename, "a.pdf");
  EXPECT_EQ(s.body.children[1].encoding, "base64");
  // The CRLF before a boundary belongs to the boundary (RFC 2046 5.1.1).
  EXPECT_EQ(s.body.children[1].size, 12);
}

// The preview comes from the text body wherever the structure puts it: inside nested
// multiparts, plain text before HTML, never from an attachment.
TEST(Mime, PreviewFindsTheTextBodyInNestedMultiparts) {
  const std::string nested =
      "Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=M\r\n\r\n"
      "--M\r\nContent-Type: multipart/alternative; boundary=A\r\n\r\n"
      "--A\r\nContent-Type: text/html\r\n\r\n<p>html <b>version</b></p>\r\n"
      "--A\r\nContent-Type: text/plain\r\n\r\nplain version\r\n--A--\r\n"
      "--M\r\nContent-Type: text/plain\r\nContent-Disposition: attachment\r\n\r\nnotes\r\n"
      "--M--\r\n";
  EXPECT_EQ(Parse(nested).preview, "plain version");
  const std::string html_only =
      "Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=R\r\n\r\n"
      "--R\r\nContent-Type: text/html\r\n\r\n<div>Only <i>HTML</i></div>\r\n"
      "--R\r\nContent-Type: image/png\r\n\r\nPNG\r\n--R--\r\n";
  EXPECT_EQ(Parse(html_only).preview, "Only HTML");
  const std::string attachment_only =
      "Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=M\r\n\r\n"
      "--M\r\nContent-Type: text/plain\r\nContent-Disposition: attachment\r\n\r\nnotes\r\n"
      "--M--\r\n";
  EXPECT_EQ(Parse(attachment_only).preview, "");
}

TEST(Mime, HtmlPreviewIsText) {
  Summary s = Parse("Subject: x\r\nContent-Type: text/html\r\n\r\n<p>Hello <b>there</b></p>\r\n");
  EXPECT_EQ(s.preview, "Hello there");
  EXPECT_EQ(s.body.part_id, "1");
}

TEST(Mime, JsonRoundTrip) {
  Summary s = Parse(kMultipart);
  Summary back = FromJson(ToJson(s));
  EXPECT_EQ(boost::json::serialize(ToJson(back)), boost::json::serialize(ToJson(s)));
}

struct BadCase {
  const char* name;
  std::string input;
};

TEST(Mime, BadInputNeverFails) {
  std::string deep;
  for (int i = 0; i < 200; ++i) {
    deep += "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\r\n\r\n--b" +
            std::to_string(i) + "\r\n";
  }
  const BadCase cases[] = {
      {"empty", ""},
      {"no headers", "just a body"},
      {"nul octets", std::string("Subject: a\0b\r\n\r\n\0\0", 18)},
      {"unterminated multipart", "Content-Type: multipart/mixed; boundary=Z\r\n\r\n--Z\r\nx"},
      {"bad encoded word", "Subject: =?utf-8?B?!!!?=\r\n\r\nx"},
      {"deep nesting", deep},
      {"garbage date", "Date: yesterday-ish\r\n\r\nx"},
      {"long preview", "Subject: x\r\n\r\n" + std::string(100000, 'a')},
  };
  for (const auto& c : cases) {
    Summary s = Parse(c.input);
    EXPECT_LE(s.preview.size(), kPreviewLength * 4) << c.name;
    FromJson(ToJson(s));  // the stored form always round-trips
  }
}

// The preview decodes only the start of a long text body; where that start is too white, too
// full of tags or ends inside a character, the preview is still what the whole body gives.
TEST(Mime, PreviewFromTheStartOfALongBodyIsTheWholeBodysPreview) {
  const std::string spaces(4095, ' ');
  const std::string words = "after the white space, " + std::string(300, 'w');
  struct Case {
    const char* name;
    std::string message;
    std::string preview;
  };
  const Case cases[] = {
      {"white space over the cut, a character split by it",
       "Content-Type: text/plain; charset=utf-8\r\n\r\n" + spaces + "\xC3\xA9 " + words,
       ("\xC3\xA9 " + words).substr(0, kPreviewLength + 1)},
      {"a tag over the cut",
       "Content-Type: text/html\r\n\r\n<div title=\"" + std::string(5000, 't') + "\">Hello</div>",
       "Hello"},
      {"base64, the cut inside a quad",
       "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
           std::string(4094, '\n') + "aGVsbG8gd29ybGQ=\r\n",
       "hello world"},
      {"a four-octet character split by the cut, the start one character short",
       "Content-Type: text/plain; charset=utf-8\r\n\r\n" + std::string(3838, ' ') +
           std::string(kPreviewLength - 1, 'a') + "\xF0\x9F\x98\x80" + words,
       std::string(kPreviewLength - 1, 'a') + "\xF0\x9F\x98\x80"},
      {"ISO-8859-1", "Content-Type: text/plain; charset=iso-8859-1\r\n\r\nd\xE9j\xE0 vu\r\n",
       "d\xC3\xA9j\xC3\xA0 vu"},
  };
  for (const auto& c : cases) EXPECT_EQ(Parse(c.message).preview, c.preview) << c.name;
}

TEST(Mime, PreviewCutsOnCharacterBoundary) {
  std::string body(kPreviewLength - 1, 'a');
  body += "ééé";
  Summary s = Parse("Content-Type: text/plain; charset=utf-8\r\n\r\n" + body);
  EXPECT_EQ(s.preview, std::string(kPreviewLength - 1, 'a') + "é");
}

}  // namespace
}  // namespace pushmail::mime
