// Fuzzes the web client's file lookup and responses as the router reaches them: the input is
// a request target, an If-None-Match value and an Accept-Encoding value, one per line. The
// target is parsed and decoded like Session::Route does, then looked up. Invariants trap on
// violation: a file is found only for a path that is exactly one of the table's, a 304 has no
// body, and a 200 carries the file (or its gzip copy) whole with the CSP.
#include <boost/url/parse.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "http/static_files.h"

namespace http = pushmail::http;

namespace {

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

std::string_view Line(std::string_view& input) {
  size_t end = input.find('\n');
  std::string_view line = input.substr(0, end);
  input = end == std::string_view::npos ? std::string_view() : input.substr(end + 1);
  return line;
}

bool InTable(std::string_view path) {
  for (size_t i = 0; i < http::kWebAssetsCount; ++i) {
    std::string_view name = http::kWebAssets[i].name;
    if (name == "index.html"
            ? path == "/"
            : (path.size() == name.size() + 1 && path[0] == '/' && path.substr(1) == name)) {
      return true;
    }
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string_view target = Line(input);
  std::string_view if_none_match = Line(input);
  std::string_view accept = Line(input);
  auto url = boost::urls::parse_origin_form(target);
  if (!url) return 0;
  std::string path = url->path();
  const http::StaticFile* file = http::FindStaticFile(path);
  Check((file != nullptr) == InTable(path));
  if (!file) return 0;
  Check(file->path == path);
  http::Request request{http::beast_http::verb::get, target, 11};
  request.set(http::beast_http::field::if_none_match, if_none_match);
  request.set(http::beast_http::field::accept_encoding, accept);
  http::Response r = http::StaticResponse(request, *file);
  if (r.result() == http::beast_http::status::not_modified) {
    Check(r.body().empty());
  } else {
    Check(r.result() == http::beast_http::status::ok);
    Check(r.body() == file->body || r.body() == file->gzip);
    Check(r["Content-Security-Policy"] == http::kWebContentSecurityPolicy);
  }
  std::string wire = http::Finish(r, request, true);
  Check(!wire.empty());
  return 0;
}
