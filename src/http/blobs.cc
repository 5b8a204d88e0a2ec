// The upload and download endpoints (RFC 8620 6.1, 6.2). The JMAP side (which blobs an account
// may read, what an upload answers) is jmap/blobs.h; this is the HTTP around it.
#include "jmap/blobs.h"

#include <boost/url/parse.hpp>

#include "http/session.h"
#include "jmap/session_resource.h"

namespace pushmail::http {

namespace asio = boost::asio;
using asio::awaitable;
using Status = beast_http::status;

namespace {

constexpr std::string_view kLimit = "urn:ietf:params:jmap:error:limit";

// The decoded path segments of `request` after `prefix` ("/jmap/download/A1/G.../x.pdf" ->
// ["A1", "G...", "x.pdf"]), and its decoded query parameter `accept`.
struct Target {
  std::vector<std::string> segments;
  std::string accept;
};

std::optional<Target> ParseTarget(const Request& request, std::string_view prefix) {
  auto url = boost::urls::parse_origin_form(
      std::string_view(request.target().data(), request.target().size()));
  if (!url) return std::nullopt;
  Target t;
  // Segments split on the raw path: a "/" inside a name arrives as %2F and stays in it.
  std::string_view raw = url->encoded_path();
  if (!raw.starts_with(prefix)) return std::nullopt;
  raw.remove_prefix(prefix.size());
  while (!raw.empty()) {
    size_t slash = raw.find('/');
    std::string_view piece = raw.substr(0, slash);
    auto decoded = boost::urls::make_pct_string_view(piece);
    if (!decoded) return std::nullopt;
    t.segments.push_back(decoded->decode());
    if (slash == std::string_view::npos) break;
    raw.remove_prefix(slash + 1);
    if (raw.empty()) t.segments.emplace_back();
  }
  auto params = url->params();
  if (auto it = params.find("accept"); it != params.end() && (*it).has_value) {
    t.accept = (*it).value;
  }
  return t;
}

// A media type we may echo in Content-Type: type/subtype with optional parameters, no controls.
bool SafeMediaType(std::string_view type) {
  if (type.empty() || type.size() > 200 || type.find('/') == std::string_view::npos) return false;
  for (unsigned char c : type) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

// RFC 6266: an ASCII filename, and the exact one in RFC 5987 encoding.
std::string ContentDisposition(std::string_view name) {
  std::string ascii, encoded;
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : name) {
    bool plain = std::isalnum(c) || std::string_view("!#$&+-.^_`|~").find(static_cast<char>(c)) !=
                                        std::string_view::npos;
    ascii += (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? static_cast<char>(c) : '_';
    if (plain) {
      encoded += static_cast<char>(c);
    } else {
      encoded += '%';
      encoded += kHex[c >> 4];
      encoded += kHex[c & 15];
    }
  }
  if (ascii.empty()) ascii = "blob";
  return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" + encoded;
}

}  // namespace

awaitable<Session::Next> Session::Upload(Request& request) {
  auto who = co_await Authenticate(request);
  if (!who) co_return closed_ ? Next::kClose : Next::kContinue;
  auto target = ParseTarget(request, jmap::kUploadPath);
  // "{accountId}/" and nothing after.
  if (!target || target->segments.size() != 2 || !target->segments[1].empty()) {
    Response r = ErrorResponse(request, Status::not_found);
    co_return co_await Reply(r, request);
  }
  auto slot = server_.uploads().Acquire(who->account);
  if (!slot) {
    Response r = Problem(request, Status::too_many_requests, kLimit,
                         "more concurrent uploads than maxConcurrentUpload", "maxConcurrentUpload");
    co_return co_await Reply(r, request);
  }
  std::string body = std::move(request.body());
  auto type_field = request[beast_http::field::content_type];
  std::string type(type_field.data(), type_field.size());
  if (!SafeMediaType(type)) type.clear();
  store::Store& store = server_.context().store;
  const jmap::Principal& principal = *who;
  const std::string& account = target->segments[0];
  auto run = [&] { return jmap::Upload(store, principal, account, type, body); };
  jmap::BlobReply reply = co_await net::OnPool(server_.context().blocking, run);
  Response r = MakeResponse(request, static_cast<Status>(reply.status), reply.content_type,
                            std::move(reply.body));
  co_return co_await Reply(r, request);
}

awaitable<Session::Next> Session::Download(const Request& request) {
  auto who = co_await Authenticate(request);
  if (!who) co_return closed_ ? Next::kClose : Next::kContinue;
  auto target = ParseTarget(request, jmap::kDownloadPath);
  if (!target || target->segments.size() != 3 || target->segments[1].empty()) {
    Response r = ErrorResponse(request, Status::not_found);
    co_return co_await Reply(r, request);
  }
  const std::string& blob = target->segments[1];
  std::string etag = "\"" + blob + "\"";
  auto match = request[beast_http::field::if_none_match];
  store::Store& store = server_.context().store;
  const jmap::Principal& principal = *who;
  const std::string& account = target->segments[0];
  auto run = [&] { return jmap::Download(store, principal, account, blob); };
  jmap::BlobReply reply = co_await net::OnPool(server_.context().blocking, run);
  if (reply.status != 200) {
    Response r = MakeResponse(request, static_cast<Status>(reply.status), reply.content_type,
                              std::move(reply.body));
    co_return co_await Reply(r, request);
  }
  // A blob id names its octets for good: caches may keep them (private: they are the user's).
  bool not_modified = std::string_view(match.data(), match.size()) == etag;
  std::string type = SafeMediaType(target->accept) ? target->accept : reply.content_type;
  Response r = MakeResponse(request, not_modified ? Status::not_modified : Status::ok, type,
                            not_modified ? std::string() : std::move(reply.body));
  r.set(beast_http::field::cache_control, "private, immutable, max-age=31536000");
  r.set(beast_http::field::etag, etag);
  r.set(beast_http::field::content_disposition, ContentDisposition(target->segments[2]));
  r.set("X-Content-Type-Options", "nosniff");
  co_return co_await Reply(r, request);
}

}  // namespace pushmail::http
