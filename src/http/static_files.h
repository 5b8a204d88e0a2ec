#pragma once
// The web client's files (src/client/web/), embedded into pushmaild at build time by
// cmake/EmbedFiles.cmake and served at `/`. Pure: no I/O.
//
// Only the names in the table are served, compared whole with the decoded request path, so no
// path can reach anything else (`..`, percent-escapes, a trailing slash: all 404). "/" is
// index.html. Every response carries a strict Content-Security-Policy and a strong ETag;
// browsers revalidate (Cache-Control: no-cache) and get 304 until the binary changes.

#include <cstddef>
#include <string>
#include <string_view>

#include "http/response.h"

namespace pushmail::http {

// One file as cmake/EmbedFiles.cmake writes it.
struct EmbeddedFile {
  std::string_view name;  // path under src/client/web, no leading slash
  std::string_view bytes;
  std::string_view etag;  // hex digits, without quotes
};

// The generated table (web_assets.cc in the build tree).
extern const EmbeddedFile kWebAssets[];
extern const size_t kWebAssetsCount;

// A file ready to serve.
struct StaticFile {
  std::string path;  // "/" for index.html, else "/" + name
  std::string content_type;
  std::string_view body;
  std::string gzip;  // the body in gzip, made once at startup; empty when not worth it
  std::string etag;  // quoted, as sent
};

// The file served at the decoded `path`, or null. Thread-safe (the table is built on first
// use).
const StaticFile* FindStaticFile(std::string_view path);

// The Content-Type for a file name by its extension ("application/octet-stream" if unknown).
std::string_view ContentTypeFor(std::string_view name);

// The Content-Security-Policy of the web client's pages.
extern const std::string_view kWebContentSecurityPolicy;

// The answer to a GET or HEAD of `file`: 304 when If-None-Match names its ETag, else 200 with
// the body (the gzip copy when the request accepts gzip); with the CSP, caching and other
// security headers.
Response StaticResponse(const Request& request, const StaticFile& file);

}  // namespace pushmail::http
