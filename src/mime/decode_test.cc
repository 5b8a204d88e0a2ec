#include <gtest/gtest.h>

#include <string>

#include "mime/mime.h"

namespace pushmail::mime {
namespace {

struct DecodeCase {
  const char* name;
  std::string encoding;
  std::string body;
  std::string decoded;
};

TEST(MimeDecode, Decodes) {
  const std::string binary("a\0b\xff\r\nc", 7);
  const DecodeCase cases[] = {
      {"base64", "base64", "SGVsbG8sIHdvcmxkIQ==", "Hello, world!"},
      {"base64 in capitals", "BASE64", "SGVsbG8=", "Hello"},
      {"base64 with line breaks", "base64", "SGVs\r\nbG8=\r\n", "Hello"},
      {"base64 with octets outside the alphabet", "base64", "SGV*sb G8=", "Hello"},
      {"base64 without padding", "base64", "SGVsbG8", "Hel"},
      {"base64 with data after the padding", "base64", "SGk=SGk=", "Hi"},
      {"base64 of padding only", "base64", "====", ""},
      {"base64 of one character", "base64", "S", ""},
      {"base64 empty", "base64", "", ""},
      {"quoted-printable", "quoted-printable", "caf=C3=A9", "café"},
      {"quoted-printable in lower case", "Quoted-Printable", "=c3=a9", "é"},
      {"soft line break", "quoted-printable", "long=\r\nline", "longline"},
      {"soft line break after LF", "quoted-printable", "long=\nline", "longline"},
      {"hard line breaks stay", "quoted-printable", "a\r\nb\r\n", "a\r\nb\r\n"},
      {"= that starts no escape", "quoted-printable", "a=ZZb", "a=ZZb"},
      {"escape cut off by the end", "quoted-printable", "end=4", "end"},
      {"= at the end", "quoted-printable", "end=", "end"},
      {"encoded =", "quoted-printable", "a=3D=\r\n=3D", "a=="},
      {"7bit", "7bit", "plain\r\n", "plain\r\n"},
      {"8bit", "8bit", binary, binary},
      {"binary", "binary", binary, binary},
      {"no encoding", "", binary, binary},
      {"encoding with white space", " base64 ", "SGk=", "Hi"},
  };
  for (const auto& c : cases) {
    Result<std::string> out = DecodeBody(c.body, c.encoding);
    ASSERT_TRUE(out.has_value()) << c.name;
    EXPECT_EQ(*out, c.decoded) << c.name;
  }
}

TEST(MimeDecode, UnknownEncodingIsAnError) {
  for (const char* encoding : {"x-uuencode", "uuencode", "x-foo", "gzip", "base65"}) {
    Result<std::string> out = DecodeBody("data", encoding);
    ASSERT_FALSE(out.has_value()) << encoding;
    EXPECT_EQ(out.error(), Error::kUnknownEncoding) << encoding;
    EXPECT_EQ(out.error().category().name(), std::string("pushmail.mime"));
  }
}

TEST(MimeDecode, PartEncodingFeedsDecodeBody) {
  std::string m =
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
      "--b\r\nContent-Transfer-Encoding: BASE64\r\n\r\nSGVsbG8=\r\n"
      "--b\r\nContent-Transfer-Encoding: x-custom\r\n\r\nraw\r\n"
      "--b\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9=\r\n!\r\n--b--\r\n";
  Summary s = Parse(m);
  ASSERT_EQ(s.body.children.size(), 3u);
  const Part& b64 = s.body.children[0];
  EXPECT_EQ(b64.encoding, "base64");
  EXPECT_EQ(*DecodeBody(Slice(m, {b64.body_offset, b64.end_offset}), b64.encoding), "Hello");
  const Part& custom = s.body.children[1];
  EXPECT_EQ(custom.encoding, "x-custom");  // kept, so that BINARY can say UNKNOWN-CTE
  EXPECT_FALSE(DecodeBody(Slice(m, {custom.body_offset, custom.end_offset}), custom.encoding));
  const Part& qp = s.body.children[2];
  EXPECT_EQ(*DecodeBody(Slice(m, {qp.body_offset, qp.end_offset}), qp.encoding), "café!");
}

}  // namespace
}  // namespace pushmail::mime
