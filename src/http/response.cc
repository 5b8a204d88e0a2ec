#include "http/response.h"

#include <zlib.h>

#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/json.hpp>

#include "base/strings.h"

namespace pushmail::http {

namespace {

constexpr std::string_view kAllowMethods = "GET, POST, OPTIONS";
constexpr std::string_view kAllowHeaders = "Authorization, Content-Type, Accept, Last-Event-ID";

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The q value of one Accept-Encoding element ("gzip;q=0.5"); 1 when absent, 0 when malformed.
double Quality(std::string_view params) {
  size_t q = params.find("q=");
  if (q == std::string_view::npos) return 1;
  std::string value(Trim(params.substr(q + 2)));
  char* end = nullptr;
  double v = std::strtod(value.c_str(), &end);
  return end == value.c_str() ? 0 : v;
}

template <class Serializer>
std::string Drain(Serializer& sr, bool header_only) {
  std::string out;
  boost::system::error_code ec;
  do {
    sr.next(ec, [&](boost::system::error_code&, const auto& buffers) {
      for (auto b : boost::beast::buffers_range_ref(buffers)) {
        out.append(static_cast<const char*>(b.data()), b.size());
      }
      sr.consume(boost::beast::buffer_bytes(buffers));
    });
  } while (!ec && !(header_only ? sr.is_header_done() : sr.is_done()));
  return out;
}

// Text and JSON; not downloads of arbitrary types, which are mostly compressed already.
bool Compressible(std::string_view content_type) {
  return content_type.starts_with("text/") || (content_type.starts_with("application/") &&
                                               content_type.find("json") != std::string_view::npos);
}

void AddCors(beast_http::fields& f, const Request& request) {
  if (request.find(beast_http::field::origin) == request.end()) return;
  // Credentials travel in the Authorization header set by the script, never in cookies, so
  // any origin may call (RFC 8620 leaves the policy to the server).
  f.set(beast_http::field::access_control_allow_origin, "*");
  f.set(beast_http::field::access_control_expose_headers,
        "Content-Encoding, Content-Disposition, ETag, WWW-Authenticate");
}

}  // namespace

Coding ChooseCoding(std::string_view accept) {
  double gzip = 0, deflate = 0;
  while (!accept.empty()) {
    size_t comma = accept.find(',');
    std::string_view element = accept.substr(0, comma);
    accept = comma == std::string_view::npos ? std::string_view() : accept.substr(comma + 1);
    size_t semi = element.find(';');
    std::string_view name = Trim(element.substr(0, semi));
    double q = semi == std::string_view::npos ? 1 : Quality(element.substr(semi + 1));
    if (EqualsIgnoreCase(name, "gzip") || EqualsIgnoreCase(name, "x-gzip")) gzip = q;
    if (EqualsIgnoreCase(name, "deflate")) deflate = q;
  }
  if (gzip > 0 && gzip >= deflate) return Coding::kGzip;
  if (deflate > 0) return Coding::kDeflate;
  return Coding::kIdentity;
}

std::string Compress(std::string_view data, Coding coding) {
  z_stream z{};
  int window = coding == Coding::kGzip ? 15 + 16 : 15;
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, window, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return std::string(data);
  }
  std::string out(deflateBound(&z, data.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return rc == Z_STREAM_END ? out : std::string(data);
}

Response MakeResponse(const Request& request, beast_http::status status,
                      std::string_view content_type, std::string body) {
  Response r{status, request.version()};
  r.set(beast_http::field::server, "pushmail");
  r.set(beast_http::field::content_type, content_type);
  r.set(beast_http::field::cache_control, "no-store");
  r.body() = std::move(body);
  return r;
}

Response ErrorResponse(const Request& request, beast_http::status status) {
  auto reason = beast_http::obsolete_reason(status);
  return MakeResponse(request, status, "text/plain; charset=utf-8",
                      std::string(reason.data(), reason.size()) + "\n");
}

std::string Finish(Response& response, const Request& request, bool keep_alive) {
  AddCors(response.base(), request);
  // No compression here (BREACH, docs/architecture.md "Compression"): a dynamic response may
  // hold a secret beside text the request chose. Only the web client's files, public and the
  // same for everyone, come gzipped (static_files.cc), and they say so with Vary.
  auto type = response[beast_http::field::content_type];
  if (response.find(beast_http::field::vary) != response.end()) {
    response.set(beast_http::field::vary, "Accept-Encoding, Origin");
  } else if (Compressible(std::string_view(type.data(), type.size()))) {
    response.set(beast_http::field::vary, "Origin");
  }
  response.keep_alive(keep_alive && request.keep_alive());
  response.prepare_payload();
  // A 304's Content-Length would have to be the 200's (RFC 9110 8.6): send none.
  if (response.result() == beast_http::status::not_modified) {
    response.erase(beast_http::field::content_length);
  }
  bool head = request.method() == beast_http::verb::head;
  beast_http::response_serializer<beast_http::string_body> sr{response};
  return Drain(sr, head);
}

std::string StreamHeader(const Request& request, std::string_view content_type) {
  beast_http::response<beast_http::empty_body> r{beast_http::status::ok, request.version()};
  r.set(beast_http::field::server, "pushmail");
  r.set(beast_http::field::content_type, content_type);
  r.set(beast_http::field::cache_control, "no-cache, no-store");
  r.set("X-Accel-Buffering", "no");  // tell proxies not to hold events back
  AddCors(r.base(), request);
  r.keep_alive(false);
  beast_http::response_serializer<beast_http::empty_body> sr{r};
  return Drain(sr, true);
}

Response Problem(const Request& request, beast_http::status status, std::string_view type,
                 std::string detail, std::string_view limit) {
  boost::json::object p{
      {"type", type}, {"status", static_cast<int>(status)}, {"detail", std::move(detail)}};
  if (!limit.empty()) p["limit"] = limit;
  return MakeResponse(request, status, "application/problem+json", boost::json::serialize(p));
}

Response Preflight(const Request& request) {
  Response r = MakeResponse(request, beast_http::status::no_content, "text/plain", {});
  r.erase(beast_http::field::content_type);
  r.set(beast_http::field::allow, kAllowMethods);
  if (request.find(beast_http::field::origin) != request.end()) {
    r.set(beast_http::field::access_control_allow_methods, kAllowMethods);
    auto asked = request[beast_http::field::access_control_request_headers];
    r.set(beast_http::field::access_control_allow_headers,
          asked.empty() ? kAllowHeaders : std::string_view(asked.data(), asked.size()));
    r.set(beast_http::field::access_control_max_age, "86400");
  }
  return r;
}

}  // namespace pushmail::http
