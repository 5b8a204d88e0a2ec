// Which endpoint a request is for, and authentication (RFC 7617 Basic, RFC 6750 Bearer with the
// tokens /jmap/login issues). Paths no endpoint claims are the web client's files.
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>

#include "base/internal_errors.h"
#include "base/log.h"
#include "http/auth.h"
#include "http/session.h"
#include "http/static_files.h"
#include "jmap/session_resource.h"

namespace pushmail::http {

namespace asio = boost::asio;
namespace json = boost::json;
using asio::awaitable;
using Status = beast_http::status;
using Verb = beast_http::verb;

namespace {

constexpr std::string_view kJson = "application/json";

struct RouteEntry {
  std::string_view path;
  bool prefix;             // matches paths under it too
  std::string_view allow;  // methods, for 405 and OPTIONS
};

constexpr std::pair<Endpoint, RouteEntry> kRoutes[] = {
    {Endpoint::kHealth, {"/healthz", false, "GET, HEAD"}},
    {Endpoint::kMetrics, {"/metrics", false, "GET"}},
    {Endpoint::kSession, {"/.well-known/jmap", false, "GET"}},
    {Endpoint::kApi, {"/jmap/api", false, "POST"}},
    {Endpoint::kEventSource, {"/jmap/eventsource/", false, "GET"}},
    {Endpoint::kEventSource, {"/jmap/eventsource", false, "GET"}},
    {Endpoint::kDownload, {"/jmap/download/", true, "GET, HEAD"}},
    {Endpoint::kUpload, {"/jmap/upload/", true, "POST"}},
    {Endpoint::kWebSocket, {"/jmap/ws", false, "GET"}},
    {Endpoint::kLogin, {"/jmap/login", false, "POST"}},
    {Endpoint::kLogout, {"/jmap/logout", false, "POST, DELETE"}},
    {Endpoint::kEventSourceToken, {"/jmap/eventsource/token", false, "POST"}},
};

const std::pair<Endpoint, RouteEntry>* FindRoute(std::string_view path) {
  for (const auto& r : kRoutes) {
    if (r.second.prefix ? path.starts_with(r.second.path) : path == r.second.path) return &r;
  }
  return nullptr;
}

bool Allowed(const RouteEntry& route, Verb verb) {
  std::string_view name = beast_http::to_string(verb);
  if (verb == Verb::head) return route.allow.find("HEAD") != std::string_view::npos;
  return route.allow.find(name) != std::string_view::npos;
}

// "https://host:port", for absolute URLs in the session resource; empty without a usable Host.
std::string Origin(const Request& request, bool tls) {
  auto host = request[beast_http::field::host];
  if (host.empty() || host.find_first_of("/ \t\"\\<>") != std::string_view::npos) return {};
  return std::string(tls ? "https://" : "http://") + std::string(host.data(), host.size());
}

}  // namespace

awaitable<Session::Next> Session::Reply(Response& response, const Request& request) {
  bool keep = co_await Send(response, request);
  co_return keep ? Next::kContinue : Next::kClose;
}

// The response to a request that no endpoint handles further, or nullopt for one that an
// endpoint takes on.
std::optional<Response> Session::Route(const Request& request, Endpoint& endpoint,
                                       std::string& query) {
  auto target = boost::urls::parse_origin_form(
      std::string_view(request.target().data(), request.target().size()));
  if (!target) return ErrorResponse(request, Status::bad_request);
  std::string path = target->path();
  query = std::string(target->encoded_query());
  const auto* route = FindRoute(path);
  if (!route) return WebFile(request, path);
  if (request.method() == Verb::options) return Preflight(request);
  if (!Allowed(route->second, request.method())) {
    Response r = ErrorResponse(request, Status::method_not_allowed);
    r.set(beast_http::field::allow, route->second.allow);
    return r;
  }
  endpoint = route->first;
  switch (endpoint) {
    case Endpoint::kHealth:
      // A store that latched read-only takes no mail: a load balancer should send it none.
      if (server_.context().store.Stats().read_only) {
        return MakeResponse(request, Status::service_unavailable, "text/plain",
                            "read-only: the store stopped writing after a disk error\n");
      }
      return MakeResponse(request, Status::ok, "text/plain", "ok\n");
    case Endpoint::kMetrics:
      if (limits_.metrics_auth) return std::nullopt;  // Handle authenticates first
      return MakeResponse(request, Status::ok, "text/plain; version=0.0.4",
                          server_.RenderMetrics());
    default:
      return std::nullopt;
  }
}

// The web client's files (static_files.h), or 404.
Response Session::WebFile(const Request& request, std::string_view path) {
  const StaticFile* file = FindStaticFile(path);
  if (!file) return ErrorResponse(request, Status::not_found);
  if (request.method() == Verb::options) return Preflight(request);
  if (request.method() != Verb::get && request.method() != Verb::head) {
    Response r = ErrorResponse(request, Status::method_not_allowed);
    r.set(beast_http::field::allow, "GET, HEAD");
    return r;
  }
  return StaticResponse(request, *file);
}

awaitable<Session::Next> Session::Handle(Request& request) {
  Endpoint endpoint = Endpoint::kHealth;
  std::string query;
  std::optional<Response> answer = Route(request, endpoint, query);
  if (answer) co_return co_await Reply(*answer, request);
  if (endpoint == Endpoint::kSession) co_return co_await SessionResource(request);
  if (endpoint == Endpoint::kApi) co_return co_await Api(request);
  if (endpoint == Endpoint::kWebSocket) co_return co_await WebSocket(request);
  if (endpoint == Endpoint::kLogin) co_return co_await Login(request);
  if (endpoint == Endpoint::kLogout) co_return co_await Logout(request);
  if (endpoint == Endpoint::kEventSourceToken) co_return co_await EventSourceToken(request);
  if (endpoint == Endpoint::kMetrics) {
    auto who = co_await Authenticate(request);
    if (!who) co_return closed_ ? Next::kClose : Next::kContinue;
    Response r =
        MakeResponse(request, Status::ok, "text/plain; version=0.0.4", server_.RenderMetrics());
    co_return co_await Reply(r, request);
  }
  if (endpoint == Endpoint::kUpload) co_return co_await Upload(request);
  if (endpoint == Endpoint::kDownload) co_return co_await Download(request);
  co_return co_await EventSource(request, query);
}

awaitable<std::optional<jmap::Principal>> Session::Authenticate(const Request& request) {
  auto header = request[beast_http::field::authorization];
  Authorization auth = ParseAuthorization(std::string_view(header.data(), header.size()));
  auto address = stream_.remote().address();
  Result<jmap::Principal> who = MakeError(Errc::kNotFound);
  if (auth.scheme == Authorization::Scheme::kBasic ||
      auth.scheme == Authorization::Scheme::kBearer) {
    store::Store& store = server_.context().store;
    auto check = [&store, &auth]() -> Result<jmap::Principal> {
      auto account = auth.scheme == Authorization::Scheme::kBearer
                         ? store.FindToken(auth.token)
                         : store.Authenticate(auth.user, auth.password);
      if (!account) return account.error();
      auto found = store.GetAccount(*account);
      if (!found) return found.error();
      return jmap::Principal{found->id, found->login};
    };
    who = co_await net::OnPool(server_.context().blocking, check);
  }
  if (who) {
    server_.auth_failures().Clear(address);
    co_return *who;
  }
  if (who.error() != MakeError(Errc::kNotFound)) {
    // The store failed, not the client: no guess to slow down, and a token to keep.
    CountInternalError(Surface::kJmap);
    spdlog::error("http: cannot check the credentials of '{}': {}", auth.user,
                  who.error().message());
    Response r = ErrorResponse(request, Status::service_unavailable);
    r.set(beast_http::field::retry_after, "30");
    bool keep = co_await Send(r, request);
    if (!keep) CloseStream();
    co_return std::nullopt;
  }
  if (auth.scheme != Authorization::Scheme::kNone) {
    // No header at all is a client asking for the challenge, not a guess.
    co_await SlowDownFailure();
    spdlog::info("http: failed authentication for '{}' from {}", auth.user, address.to_string());
  }
  Response r = ErrorResponse(request, Status::unauthorized);
  if (auth.scheme == Authorization::Scheme::kBearer) {
    r.set(beast_http::field::www_authenticate, kBearerInvalidToken);
  } else {
    r.set(beast_http::field::www_authenticate, kChallenge);
    r.insert(beast_http::field::www_authenticate, kBearerChallenge);
  }
  bool keep = co_await Send(r, request);
  if (!keep) CloseStream();
  co_return std::nullopt;
}

awaitable<void> Session::SlowDownFailure() {
  auto address = stream_.remote().address();
  server_.auth_failures().Fail(address);
  if (server_.auth_failures().Count(address) > limits_.auth_failures_before_delay) {
    asio::steady_timer delay(stream_.executor(), limits_.auth_failure_delay);
    co_await delay.async_wait(asio::use_awaitable);
  }
}

awaitable<Session::Next> Session::SessionResource(const Request& request) {
  auto who = co_await Authenticate(request);
  if (!who) co_return closed_ ? Next::kClose : Next::kContinue;
  std::string origin = Origin(request, stream_.tls());
  // A Bearer client may be a browser, whose EventSource sends no Authorization: its
  // eventSourceUrl carries a signed token, as /jmap/eventsource/token gives.
  std::string token = EventSourceTokenFor(request, *who);
  json::object resource =
      jmap::SessionResource(*who, limits_, origin, server_.context().vapid_key, token);
  Response r = MakeResponse(request, Status::ok, kJson, json::serialize(resource));
  if (!token.empty()) r.set(beast_http::field::cache_control, "no-store");
  co_return co_await Reply(r, request);
}

awaitable<Session::Next> Session::Api(Request& request) {
  auto who = co_await Authenticate(request);
  if (!who) co_return closed_ ? Next::kClose : Next::kContinue;
  auto slot = server_.requests().Acquire(who->account);
  if (!slot) {
    Response r =
        Problem(request, Status::too_many_requests, "urn:ietf:params:jmap:error:limit",
                "more concurrent requests than maxConcurrentRequests", "maxConcurrentRequests");
    co_return co_await Reply(r, request);
  }
  std::string body = std::move(request.body());
  const jmap::Api& api = server_.api();
  const jmap::Principal& principal = *who;
  auto run = [&api, &body, &principal] { return api.Handle(body, principal); };
  jmap::ApiReply reply = co_await net::OnPool(server_.PoolFor(who->account), run);
  Response r = MakeResponse(request, static_cast<Status>(reply.status), reply.content_type,
                            std::move(reply.body));
  co_return co_await Reply(r, request);
}

}  // namespace pushmail::http
