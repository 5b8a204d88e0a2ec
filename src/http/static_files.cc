#include "http/static_files.h"

#include <boost/beast/core/string.hpp>
#include <vector>

namespace pushmail::http {

namespace {

constexpr size_t kGzipAbove = 512;  // octets, as for other responses

// Scripts, styles, images and connections from this origin only; nothing inline, no plugins,
// no framing of the app and no frames loaded by URL (a srcdoc frame loads none), no form
// submission (the client handles its forms in script, so a form never sends a password in a
// URL even when the script failed to load). A message's HTML is shown in an iframe with srcdoc
// and an empty sandbox: it inherits this policy, so it runs no script, loads nothing from
// elsewhere (no tracking images), and its inline styles do not apply.
constexpr std::string_view kCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-src 'none'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'";

constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".json", "application/json"},
    {".webmanifest", "application/manifest+json"},
    {".txt", "text/plain; charset=utf-8"},
};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool Compressible(std::string_view type) {
  return type.starts_with("text/") || type.starts_with("image/svg") ||
         type.find("json") != std::string_view::npos;
}

std::vector<StaticFile> Build() {
  std::vector<StaticFile> files;
  for (size_t i = 0; i < kWebAssetsCount; ++i) {
    const EmbeddedFile& e = kWebAssets[i];
    StaticFile f;
    f.path = e.name == "index.html" ? "/" : "/" + std::string(e.name);
    f.content_type = std::string(ContentTypeFor(e.name));
    f.body = e.bytes;
    f.etag = "\"" + std::string(e.etag) + "\"";
    if (Compressible(f.content_type) && f.body.size() > kGzipAbove) {
      std::string gzip = Compress(f.body, Coding::kGzip);
      if (gzip.size() < f.body.size()) f.gzip = std::move(gzip);
    }
    files.push_back(std::move(f));
  }
  return files;
}

// True when an If-None-Match value ("*" or a list of entity tags, weak or strong) names `etag`
// (RFC 9110 13.1.2: the weak comparison).
bool EtagListMatches(std::string_view list, std::string_view etag) {
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view tag = Trim(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (tag == "*") return true;
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == etag) return true;
  }
  return false;
}

}  // namespace

const std::string_view kWebContentSecurityPolicy = kCsp;

std::string_view ContentTypeFor(std::string_view name) {
  for (const auto& [extension, type] : kTypes) {
    if (name.size() > extension.size() && name.ends_with(extension)) return type;
  }
  return "application/octet-stream";
}

const StaticFile* FindStaticFile(std::string_view path) {
  static const std::vector<StaticFile> files = Build();
  for (const StaticFile& f : files) {
    if (f.path == path) return &f;
  }
  return nullptr;
}

Response StaticResponse(const Request& request, const StaticFile& file) {
  auto asked = request[beast_http::field::if_none_match];
  bool fresh = EtagListMatches(std::string_view(asked.data(), asked.size()), file.etag);
  Response r =
      MakeResponse(request, fresh ? beast_http::status::not_modified : beast_http::status::ok,
                   file.content_type, {});
  r.set(beast_http::field::etag, file.etag);
  // Revalidate every time: one round trip and a 304 while the binary is the same, and a new
  // client the moment pushmaild is upgraded.
  r.set(beast_http::field::cache_control, "no-cache");
  r.set("Content-Security-Policy", kCsp);
  r.set("X-Content-Type-Options", "nosniff");
  r.set(beast_http::field::x_frame_options, "DENY");
  r.set("Referrer-Policy", "no-referrer");
  r.set("Cross-Origin-Opener-Policy", "same-origin");
  r.set("Cross-Origin-Resource-Policy", "same-origin");
  if (fresh) {
    r.erase(beast_http::field::content_type);
    return r;
  }
  auto accept = request[beast_http::field::accept_encoding];
  bool gzip = !file.gzip.empty() &&
              ChooseCoding(std::string_view(accept.data(), accept.size())) == Coding::kGzip;
  r.body() = std::string(gzip ? std::string_view(file.gzip) : file.body);
  if (gzip) r.set(beast_http::field::content_encoding, "gzip");
  if (!file.gzip.empty()) r.set(beast_http::field::vary, "Accept-Encoding");
  return r;
}

}  // namespace pushmail::http
