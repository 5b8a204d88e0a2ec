// The Email object as RenderEmail makes it from a parsed message: textBody, htmlBody and
// attachments by RFC 8621 4.1.4's parseStructure, bodyValues' line endings, subParts.
#include "jmap/email_render.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "mime/mime.h"

namespace pushmail::jmap {
namespace {

namespace json = boost::json;

// A leaf part whose Content-ID is `cid`, so a test can name it by a letter.
std::string Leaf(const std::string& type, const std::string& cid, const std::string& extra = "") {
  return "Content-Type: " + type + "\r\nContent-ID: <" + cid + ">\r\n" + extra + "\r\npart " + cid +
         "\r\n";
}

std::string Multi(const std::string& subtype, const std::vector<std::string>& parts) {
  static int boundaries = 0;
  std::string b = "b" + std::to_string(++boundaries);
  std::string out = "Content-Type: multipart/" + subtype + "; boundary=\"" + b + "\"\r\n\r\n";
  for (const auto& p : parts) out += "--" + b + "\r\n" + p;
  return out + "--" + b + "--\r\n";
}

struct Lists {
  std::string text, html, attachments;  // the parts' letters, in order
};

// The three lists of a message whose body is `body`.
Lists Classify(const std::string& body) {
  std::string message = "Subject: s\r\nMIME-Version: 1.0\r\n" + body;
  EmailData e;
  e.summary = mime::Parse(message);
  e.message = message;
  EmailProperties p;
  p.names = {"textBody", "htmlBody", "attachments"};
  p.body_names = {"cid"};
  json::object o = RenderEmail(e, p);
  auto letters = [&](const char* key) {
    std::string out;
    for (const auto& part : o.at(key).as_array()) out += part.at("cid").as_string();
    return out;
  };
  return {letters("textBody"), letters("htmlBody"), letters("attachments")};
}

// The example of RFC 8621 4.1.4, with G an attachment by its Content-Disposition (an inline
// image there would be body, and the RFC lists G among the attachments).
TEST(EmailRender, Rfc8621Example) {
  std::string body = Multi(
      "mixed",
      {Leaf("text/plain", "A"),
       Multi("mixed", {Multi("alternative",
                             {Multi("mixed", {Leaf("text/plain", "B"), Leaf("image/jpeg", "C"),
                                              Leaf("text/plain", "D")}),
                              Multi("related", {Leaf("text/html", "E"), Leaf("image/jpeg", "F")})}),
                       Leaf("image/jpeg", "G", "Content-Disposition: attachment\r\n"),
                       Leaf("application/x-excel", "H"),
                       "Content-Type: message/rfc822\r\nContent-ID: <J>\r\n\r\n"
                       "Subject: inner\r\n\r\ninner\r\n"}),
       Leaf("text/plain", "K")});
  Lists l = Classify(body);
  EXPECT_EQ(l.text, "ABCDK");
  EXPECT_EQ(l.html, "AEK");
  EXPECT_EQ(l.attachments, "CFGHJ");
}

TEST(EmailRender, MediaInTextOnlyHtmlOnlyAndBoth) {
  const struct {
    const char* name;
    std::string body;
    Lists want;
  } cases[] = {
      {"text only: an image after the text is body of both",
       Multi("mixed", {Leaf("text/plain", "T"), Leaf("image/png", "I")}),
       {"TI", "TI", ""}},
      {"html only: the same",
       Multi("mixed", {Leaf("text/html", "H"), Leaf("image/png", "I")}),
       {"HI", "HI", ""}},
      {"audio and video too",
       Multi("mixed", {Leaf("text/plain", "T"), Leaf("audio/ogg", "U"), Leaf("video/mp4", "V")}),
       {"TUV", "TUV", ""}},
      {"a named image is still inline",
       Multi("mixed", {Leaf("text/plain", "T"), Leaf("image/png", "I",
                                                     "Content-Disposition: "
                                                     "inline; filename=i.png\r\n")}),
       {"TI", "TI", ""}},
      {"a named text part after the first is an attachment",
       Multi("mixed", {Leaf("text/plain", "T"),
                       Leaf("text/plain", "N", "Content-Disposition: inline; filename=n.txt\r\n")}),
       {"T", "T", "N"}},
      {"both, the image in the related HTML: an attachment, in neither body",
       Multi("alternative", {Leaf("text/plain", "T"),
                             Multi("related", {Leaf("text/html", "H"), Leaf("image/png", "I")})}),
       {"T", "H", "I"}},
      {"both, the image after the text version: text body and attachment",
       Multi("alternative", {Multi("mixed", {Leaf("text/plain", "T"), Leaf("image/png", "I")}),
                             Leaf("text/html", "H")}),
       {"TI", "H", "I"}},
      {"both, the image after the HTML version: HTML body and attachment",
       Multi("alternative", {Leaf("text/plain", "T"),
                             Multi("mixed", {Leaf("text/html", "H"), Leaf("image/png", "I")})}),
       {"T", "HI", "I"}},
      {"both, the image after the alternative: body of both",
       Multi("mixed", {Multi("alternative", {Leaf("text/plain", "T"), Leaf("text/html", "H")}),
                       Leaf("image/png", "I")}),
       {"TI", "HI", ""}},
      {"an image as an alternative of its own is an attachment",
       Multi("alternative", {Leaf("text/plain", "T"), Leaf("image/png", "I")}),
       {"T", "T", "I"}},
      {"an alternative with HTML only: HTML is the text body",
       Multi("alternative", {Leaf("text/html", "H")}),
       {"H", "H", ""}},
      {"an image as the whole message", Leaf("image/png", "I"), {"I", "I", ""}},
  };
  for (const auto& c : cases) {
    Lists l = Classify(c.body);
    EXPECT_EQ(l.text, c.want.text) << c.name;
    EXPECT_EQ(l.html, c.want.html) << c.name;
    EXPECT_EQ(l.attachments, c.want.attachments) << c.name;
  }
}

TEST(EmailRender, BodyValuesEndLinesWithLf) {
  const std::pair<std::string, std::string> cases[] = {
      {"one\r\ntwo\r\n", "one\ntwo\n"},
      {"bare\rcr and bare\nlf\r\n", "bare\rcr and bare\nlf\n"},
      {"Content-Transfer-Encoding: base64\r\n\r\nYQ0KYg0K\r\n", "a\nb\n"},  // "a\r\nb\r\n"
  };
  for (const auto& [part, want] : cases) {
    bool header = part.starts_with("Content-");
    std::string message = "Subject: s\r\n" + (header ? part : "\r\n" + part);
    EmailData e;
    e.summary = mime::Parse(message);
    e.message = message;
    EmailProperties p;
    p.names = {"bodyValues"};
    p.fetch_all = true;
    json::object o = RenderEmail(e, p);
    EXPECT_EQ(o.at("bodyValues").at("1").at("value"), json::value(want)) << json::serialize(o);
  }
}

TEST(EmailRender, SubPartsAskedForAreNullOnALeaf) {
  std::string message = "Subject: s\r\nMIME-Version: 1.0\r\n" +
                        Multi("mixed", {Leaf("text/plain", "T"), Leaf("image/png", "I")});
  EmailData e;
  e.summary = mime::Parse(message);
  e.message = message;
  EmailProperties p;
  p.names = {"bodyStructure", "textBody"};
  p.body_names = {"partId", "subParts"};
  json::object o = RenderEmail(e, p);
  const auto& root = o.at("bodyStructure").as_object();
  EXPECT_EQ(root.at("partId"), nullptr);
  ASSERT_EQ(root.at("subParts").as_array().size(), 2u);
  EXPECT_EQ(root.at("subParts").at(0), (json::object{{"partId", "1"}, {"subParts", nullptr}}));
  EXPECT_EQ(o.at("textBody").at(0), (json::object{{"partId", "1"}, {"subParts", nullptr}}));
}

}  // namespace
}  // namespace pushmail::jmap
