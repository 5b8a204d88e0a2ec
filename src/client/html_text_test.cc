#include "client/html_text.h"

#include <gtest/gtest.h>

namespace pushmail::client {
namespace {

TEST(HtmlToReadableText, Table) {
  struct Case {
    const char* html;
    const char* text;
  };
  const Case cases[] = {
      {"", ""},
      {"plain", "plain\n"},
      {"<p>one</p><p>two</p>", "one\n\ntwo\n"},
      {"a<br>b<br/>c", "a\nb\nc\n"},
      {"<div>a</div><div>b</div>", "a\nb\n"},
      {"<h1>Title</h1>text", "Title\n\ntext\n"},
      {"  lots   of\n\n white\tspace  ", "lots of white space\n"},
      {"<pre>  keep\n    this</pre>", "  keep\n    this\n"},
      {"<ul><li>a</li><li>b</li></ul>", "* a\n* b\n"},
      {"<ol><li>a</li><li>b</li></ol>", "1. a\n2. b\n"},
      {"<ul><li>a<ul><li>b</li></ul></li></ul>", "* a\n  * b\n"},
      {"<a href=\"https://x.org/\">site</a>", "site <https://x.org/>\n"},
      {"<a href='https://x.org/'>https://x.org/</a>", "https://x.org/\n"},
      {"<a href=mailto:me@x.org>me@x.org</a>", "me@x.org\n"},
      {"<a href=\"?a=1&amp;b=2\">q</a>", "q <?a=1&b=2>\n"},
      {"<img src=x alt=\"logo\">", "[logo]\n"},
      {"<blockquote><p>quoted</p></blockquote>after", "> quoted\n\nafter\n"},
      {"a<hr>b", "a\n----------------------------------------\nb\n"},
      {"<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a | b\nc\n"},
      {"<head><title>t</title></head><body>x</body>", "x\n"},
      {"<script>var a = '<p>no</p>';</script>yes", "yes\n"},
      {"<STYLE>p { color: red }</STYLE>yes", "yes\n"},
      {"<!-- a comment -->x", "x\n"},
      {"<!DOCTYPE html><?xml x?>x", "x\n"},
      {"&amp;&lt;&gt;&quot;&apos;&nbsp;", "&<>\"'\xc2\xa0\n"},
      {"&#233;&#xE9;&#XE9;&euro;", "\xc3\xa9\xc3\xa9\xc3\xa9\xe2\x82\xac\n"},
      {"<B>Bold</B> <i>it</i>", "Bold it\n"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(HtmlToReadableText(c.html), c.text) << c.html;
  }
}

TEST(HtmlToReadableText, BadInput) {
  struct Case {
    const char* html;
    const char* text;
  };
  const Case cases[] = {
      {"a < b", "a < b\n"},
      {"1<2 and 3>2", "1<2 and 3>2\n"},
      {"<p unclosed", "<p unclosed\n"},
      {"</>", "</>\n"},
      {"<", "<\n"},
      {"&", "&\n"},
      {"&unknown;", "&unknown;\n"},
      {"&amp", "&amp\n"},
      {"&#;", "&#;\n"},
      {"&#x;", "&#x;\n"},
      {"&#xZZ;", "&#xZZ;\n"},
      {"&#0;", "\xef\xbf\xbd\n"},
      {"&#xD800;", "\xef\xbf\xbd\n"},
      {"&#x110000;", "\xef\xbf\xbd\n"},
      {"&#9999999999;", "\xef\xbf\xbd\n"},
      {"&#99999999999999999999;", "&#99999999999999999999;\n"},  // too long to be one
      {"<!-- never closed", ""},
      {"<script>never closed", ""},
      {"</p></ul></blockquote></pre>x", "x\n"},
      {"<a href=\"x\">never closed", "never closed\n"},
      {"<a href=\"unterminated>t</a>", "t <unterminated>\n"},
      {"<td>cell", "cell\n"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(HtmlToReadableText(c.html), c.text) << c.html;
  }
}

TEST(HtmlToReadableText, DeepNestingIsCapped) {
  std::string html;
  for (int i = 0; i < 10000; ++i) html += "<blockquote><ul><li>";
  html += "deep";
  std::string text = HtmlToReadableText(html);
  EXPECT_NE(text.find("deep"), std::string::npos);
  EXPECT_LT(text.size(), 10 * html.size());
}

TEST(DecodeCharacterReference, UsesOnlyTheReference) {
  std::string out;
  EXPECT_EQ(DecodeCharacterReference("&lt;rest", out), 4u);
  EXPECT_EQ(out, "<");
  EXPECT_EQ(DecodeCharacterReference("no", out), 0u);
  EXPECT_EQ(DecodeCharacterReference("&verylongname;", out), 0u);
}

}  // namespace
}  // namespace pushmail::client
