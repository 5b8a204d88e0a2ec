// The web client's embedded files: lookup (only the table's names), types, ETags, gzip.
#include "http/static_files.h"

#include <gtest/gtest.h>

namespace pushmail::http {
namespace {

Request Get(std::string_view target) {
  Request r{beast_http::verb::get, target, 11};
  r.set(beast_http::field::host, "x");
  return r;
}

template <class Field>
std::string_view Header(const Response& r, Field f) {
  auto v = r[f];
  return {v.data(), v.size()};
}

TEST(StaticFiles, ServesTheClientAtTheRoot) {
  const StaticFile* index = FindStaticFile("/");
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index->content_type, "text/html; charset=utf-8");
  EXPECT_NE(index->body.find("<!doctype html>"), std::string_view::npos);
  const StaticFile* script = FindStaticFile("/app.js");
  ASSERT_NE(script, nullptr);
  EXPECT_EQ(script->content_type, "text/javascript; charset=utf-8");
  const StaticFile* style = FindStaticFile("/app.css");
  ASSERT_NE(style, nullptr);
  EXPECT_EQ(style->content_type, "text/css; charset=utf-8");
  EXPECT_NE(index->etag, script->etag);
  EXPECT_EQ(index->etag.front(), '"');
  EXPECT_EQ(index->etag.size(), 34u);
}

TEST(StaticFiles, FindsNothingButTheTablesNames) {
  const char* bad[] = {
      "",
      "app.js",
      "/index.html",  // the page is "/" only
      "/app.js/",
      "//app.js",
      "/./app.js",
      "/x/../app.js",
      "/../app.js",
      "/..",
      "/../../etc/passwd",
      "/%2e%2e/app.js",  // a path the router has not decoded
      "/APP.JS",
      "/app.js ",
      "/app.js\\",
      "/CMakeLists.txt",
      "/src/client/web/app.js",
      "/jmap/api",
  };
  for (const char* path : bad) {
    EXPECT_EQ(FindStaticFile(path), nullptr) << path;
  }
  EXPECT_EQ(FindStaticFile(std::string_view("/app.js\0", 8)), nullptr);
}

TEST(StaticFiles, ContentTypesByExtension) {
  EXPECT_EQ(ContentTypeFor("a.svg"), "image/svg+xml");
  EXPECT_EQ(ContentTypeFor("a.png"), "image/png");
  EXPECT_EQ(ContentTypeFor(".js"), "application/octet-stream");
  EXPECT_EQ(ContentTypeFor("js"), "application/octet-stream");
  EXPECT_EQ(ContentTypeFor("a.exe"), "application/octet-stream");
  EXPECT_EQ(ContentTypeFor("a.js.map"), "application/octet-stream");
}

TEST(StaticFiles, AnswersWithSecurityAndCachingHeaders) {
  const StaticFile* index = FindStaticFile("/");
  ASSERT_NE(index, nullptr);
  Response r = StaticResponse(Get("/"), *index);
  EXPECT_EQ(r.result(), beast_http::status::ok);
  EXPECT_EQ(r.body(), index->body);
  EXPECT_EQ(Header(r, "Content-Security-Policy"), kWebContentSecurityPolicy);
  EXPECT_NE(kWebContentSecurityPolicy.find("script-src 'self';"), std::string_view::npos);
  EXPECT_EQ(kWebContentSecurityPolicy.find("unsafe"), std::string_view::npos);
  EXPECT_EQ(Header(r, beast_http::field::etag), index->etag);
  EXPECT_EQ(Header(r, beast_http::field::cache_control), "no-cache");
  EXPECT_EQ(Header(r, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(Header(r, beast_http::field::x_frame_options), "DENY");
}

TEST(StaticFiles, RevalidatesWithIfNoneMatch) {
  const StaticFile* script = FindStaticFile("/app.js");
  ASSERT_NE(script, nullptr);
  struct Case {
    std::string if_none_match;
    bool not_modified;
  } cases[] = {
      {script->etag, true},
      {"W/" + script->etag, true},
      {"\"other\", " + script->etag, true},
      {" \"other\" ,\t" + script->etag + " ", true},
      {"*", true},
      {"\"other\"", false},
      {"", false},
      {script->etag.substr(1), false},  // unquoted
      {script->etag + "x", false},
      {",,,", false},
      {"W/", false},
  };
  for (const auto& c : cases) {
    Request request = Get("/app.js");
    request.set(beast_http::field::if_none_match, c.if_none_match);
    Response r = StaticResponse(request, *script);
    EXPECT_EQ(r.result(),
              c.not_modified ? beast_http::status::not_modified : beast_http::status::ok)
        << c.if_none_match;
    if (c.not_modified) {
      EXPECT_TRUE(r.body().empty());
      std::string wire = Finish(r, request, true);
      EXPECT_EQ(wire.find("Content-Length"), std::string::npos) << wire;
      EXPECT_NE(wire.find("ETag: " + script->etag), std::string::npos) << wire;
    }
  }
}

TEST(StaticFiles, SendsTheGzipCopyWhenAccepted) {
  const StaticFile* script = FindStaticFile("/app.js");
  ASSERT_NE(script, nullptr);
  ASSERT_FALSE(script->gzip.empty());  // the client's script is large enough to compress
  EXPECT_EQ(script->gzip, Compress(script->body, Coding::kGzip));
  Request request = Get("/app.js");
  request.set(beast_http::field::accept_encoding, "gzip, deflate, br");
  Response r = StaticResponse(request, *script);
  EXPECT_EQ(Header(r, beast_http::field::content_encoding), "gzip");
  EXPECT_EQ(r.body(), script->gzip);
  std::string wire = Finish(r, request, true);  // not compressed a second time
  EXPECT_NE(wire.find("Content-Length: " + std::to_string(script->gzip.size())), std::string::npos);
  request.set(beast_http::field::accept_encoding, "identity");
  Response plain = StaticResponse(request, *script);
  EXPECT_EQ(plain.find(beast_http::field::content_encoding), plain.end());
  EXPECT_EQ(plain.body(), script->body);
}

}  // namespace
}  // namespace pushmail::http
