#include "mime/headers.h"

#include <gtest/gtest.h>

namespace pushmail::mime {
namespace {

TEST(Headers, SplitKeepsRawValuesWithFolding) {
  auto fields = SplitHeader("Subject: a\r\n b\r\nX-Empty:\r\nFrom:  x@y\r\n\r\nbody: no\r\n");
  ASSERT_EQ(fields.size(), 3u);
  EXPECT_EQ(fields[0].name, "Subject");
  EXPECT_EQ(fields[0].value, " a\r\n b");
  EXPECT_EQ(fields[1].value, "");
  EXPECT_EQ(fields[2].value, "  x@y");
}

TEST(Headers, Forms) {
  EXPECT_EQ(HeaderText(" =?utf-8?q?caf=C3=A9?=\r\n  ok "), "café  ok");  // unfolding keeps the WSP
  auto addresses = HeaderAddresses(" \"Doe, J\" <j@x.test>, team: a@x.test, b@x.test;");
  ASSERT_EQ(addresses.size(), 3u);
  EXPECT_EQ(addresses[0].name, "Doe, J");
  EXPECT_EQ(addresses[2].email, "b@x.test");
  auto groups = HeaderGroupedAddresses(" j@x.test, team: a@x.test;, k@x.test");
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_FALSE(groups[0].name);
  EXPECT_EQ(*groups[1].name, "team");
  EXPECT_EQ(groups[2].addresses[0].email, "k@x.test");
  EXPECT_EQ(HeaderMessageIds(" <a@b> <c@d>").value(), (std::vector<std::string>{"a@b", "c@d"}));
  EXPECT_FALSE(HeaderMessageIds(" nothing here"));
  auto date = HeaderDate(" Thu, 30 Oct 2014 14:12:00 +0800");
  ASSERT_TRUE(date);
  EXPECT_EQ(FormatDate(*date), "2014-10-30T14:12:00+08:00");
  EXPECT_EQ(FormatDate({0, 0}), "1970-01-01T00:00:00Z");
  EXPECT_EQ(HeaderUrls(" <mailto:x@y> (comment <no>),\r\n <https://a.test/u>").value(),
            (std::vector<std::string>{"mailto:x@y", "https://a.test/u"}));
}

TEST(Headers, DecodeTextConvertsAndFlagsProblems) {
  auto t = DecodeText("caf=E9", "quoted-printable", "iso-8859-1");
  EXPECT_EQ(t.text, "café");
  EXPECT_FALSE(t.problem);
  t = DecodeText("a\xff", "", "utf-8");
  EXPECT_TRUE(t.problem);
  EXPECT_EQ(t.text, "a\xEF\xBF\xBD");
  t = DecodeText("abc", "x-weird", "utf-8");
  EXPECT_TRUE(t.problem);
  t = DecodeText("abc", "7bit", "x-no-such-charset");
  EXPECT_TRUE(t.problem);
  EXPECT_EQ(t.text, "abc");
  EXPECT_EQ(CutUtf8("caf\xC3\xA9", 4), "caf");
}

TEST(Headers, HtmlToText) {
  EXPECT_EQ(HtmlToText("<p>Hi &amp; <b>bye</b></p><script>x()</script><!-- c -->&#233;"),
            "Hi & bye\né");
}

TEST(Headers, SearchTextBindsHeaderWordsToTheirName) {
  std::string m =
      "From: Ann <ann@x.test>\r\nSubject: Hello\r\nX-Tag: Blue sky\r\n"
      "Content-Type: text/html\r\n\r\n<p>Body &amp; soul</p>\r\n";
  auto s = ExtractSearchText(m, Parse(m));
  EXPECT_EQ(s.subject, "Hello");
  EXPECT_EQ(s.from, "Ann ann@x.test");
  EXPECT_EQ(s.body, "Body & soul");
  EXPECT_NE(s.headers.find(HeaderToken("x-tag", "blue")), std::string::npos);
  EXPECT_NE(s.headers.find(HeaderToken("X-TAG", "")), std::string::npos);
  EXPECT_EQ(SearchWords("Hi, wörld-2!"), (std::vector<std::string>{"hi", "wörld", "2"}));
}

TEST(Headers, ComposeRoundTrips) {
  DraftPart text{"text/plain", "utf-8"};
  text.content = "Grüße\r\n";
  DraftPart file{"application/pdf"};
  file.name = "ré.pdf";
  file.disposition = "attachment";
  file.content = std::string("%PDF\0\x01", 6);
  DraftPart mixed{"multipart/mixed"};
  mixed.children = {text, file};
  std::vector<HeaderField> headers = {
      {"From", FormatAddresses({{std::nullopt, {{"Zoë", "z@x.test"}}}})},
      {"Subject", EncodeText("Über")},
      {"Date", FormatRfc5322Date({1414649520, 480})}};
  std::string m = Compose(headers, mixed);
  Summary s = Parse(m);
  EXPECT_EQ(s.subject, "Über");
  ASSERT_EQ(s.from.size(), 1u);
  EXPECT_EQ(s.from[0].name, "Zoë");
  EXPECT_EQ(s.sent_at, 1414649520);
  ASSERT_EQ(s.body.children.size(), 2u);
  EXPECT_EQ(s.body.children[1].filename, "ré.pdf");
  EXPECT_TRUE(s.has_attachment);
  const Part& t = s.body.children[0];
  EXPECT_EQ(DecodeText(Slice(m, {t.body_offset, t.end_offset}), t.encoding, t.charset).text,
            "Grüße\r\n");
  const Part& f = s.body.children[1];
  EXPECT_EQ(DecodeBody(Slice(m, {f.body_offset, f.end_offset}), f.encoding).value(), file.content);
}

}  // namespace
}  // namespace pushmail::mime
