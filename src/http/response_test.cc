// Responses: compression choice and round trip, CORS and preflight, serialization.
#include "http/response.h"

#include <gtest/gtest.h>
#include <zlib.h>

namespace pushmail::http {
namespace {

std::string Inflate(std::string_view data, int window) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, window), Z_OK);
  std::string out(1 << 16, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  inflateEnd(&z);
  return out;
}

Request Get(std::string_view target = "/") {
  Request r{beast_http::verb::get, target, 11};
  r.set(beast_http::field::host, "x");
  return r;
}

TEST(Coding, ChoosesByAcceptEncoding) {
  EXPECT_EQ(ChooseCoding(""), Coding::kIdentity);
  EXPECT_EQ(ChooseCoding("gzip"), Coding::kGzip);
  EXPECT_EQ(ChooseCoding("deflate, gzip;q=0"), Coding::kDeflate);
  EXPECT_EQ(ChooseCoding("GZIP ; q=0.5, br"), Coding::kGzip);
  EXPECT_EQ(ChooseCoding("br, identity"), Coding::kIdentity);
  EXPECT_EQ(ChooseCoding("gzip;q=0, deflate;q=0"), Coding::kIdentity);
  EXPECT_EQ(ChooseCoding("gzip;q=x"), Coding::kIdentity);
  EXPECT_EQ(ChooseCoding(",,;;q=,"), Coding::kIdentity);
}

TEST(Coding, CompressesBothWays) {
  std::string text(5000, 'j');
  EXPECT_EQ(Inflate(Compress(text, Coding::kGzip), 15 + 16), text);
  EXPECT_EQ(Inflate(Compress(text, Coding::kDeflate), 15), text);
}

// BREACH: a dynamic response (JMAP, session, login, downloads) is never compressed, whatever
// the client accepts, since it may hold a secret beside text the request chose.
TEST(Finish, NeverCompressesDynamicResponses) {
  for (const char* accept : {"gzip", "deflate", "gzip, deflate, br", "*"}) {
    for (const char* type : {"application/json", "text/plain; charset=utf-8", "message/rfc822"}) {
      Request req = Get();
      req.set(beast_http::field::accept_encoding, accept);
      req.set(beast_http::field::authorization, "Basic YWxpY2U6c2VjcmV0");
      std::string body = "{\"accessToken\":\"secret\",\"echo\":\"" + std::string(2000, 'a') + "\"}";
      Response r = MakeResponse(req, beast_http::status::ok, type, body);
      std::string wire = Finish(r, req, true);
      EXPECT_EQ(wire.find("Content-Encoding"), std::string::npos) << accept << " " << type;
      EXPECT_TRUE(wire.ends_with(body)) << accept << " " << type;
      EXPECT_EQ(wire.find("Connection: close"), std::string::npos);
    }
  }

  Request plain = Get();
  Response small = MakeResponse(plain, beast_http::status::ok, "application/json", "{}");
  std::string wire = Finish(small, plain, false);
  EXPECT_EQ(wire.find("Content-Encoding"), std::string::npos);
  EXPECT_NE(wire.find("Connection: close\r\n"), std::string::npos);
  EXPECT_NE(wire.find("Content-Length: 2\r\n"), std::string::npos);
  EXPECT_TRUE(wire.ends_with("\r\n\r\n{}"));
}

TEST(Cors, OriginGetsAllowOriginAndPreflightAnswers) {
  Request req = Get();
  req.set(beast_http::field::origin, "https://app.example");
  Response r = ErrorResponse(req, beast_http::status::not_found);
  std::string wire = Finish(r, req, true);
  EXPECT_NE(wire.find("Access-Control-Allow-Origin: *\r\n"), std::string::npos);
  EXPECT_NE(wire.find("HTTP/1.1 404 Not Found\r\n"), std::string::npos);

  Request options{beast_http::verb::options, "/jmap/api", 11};
  options.set(beast_http::field::host, "x");
  options.set(beast_http::field::origin, "https://app.example");
  options.set(beast_http::field::access_control_request_method, "POST");
  options.set(beast_http::field::access_control_request_headers, "authorization,content-type");
  Response p = Preflight(options);
  EXPECT_EQ(p.result(), beast_http::status::no_content);
  EXPECT_EQ(p[beast_http::field::access_control_allow_headers], "authorization,content-type");
  EXPECT_NE(p[beast_http::field::access_control_allow_methods].find("POST"), std::string::npos);
}

TEST(StreamHeader, HasNoLengthAndCloses) {
  std::string wire = StreamHeader(Get("/jmap/eventsource/"), "text/event-stream");
  EXPECT_TRUE(wire.starts_with("HTTP/1.1 200 OK\r\n"));
  EXPECT_NE(wire.find("Content-Type: text/event-stream\r\n"), std::string::npos);
  EXPECT_EQ(wire.find("Content-Length"), std::string::npos);
  EXPECT_TRUE(wire.ends_with("\r\n\r\n"));
}

}  // namespace
}  // namespace pushmail::http
