// Tokens: POST /jmap/login trades a username and password for a Bearer token (RFC 6750),
// POST or DELETE /jmap/logout revokes the token it is sent with, and POST
// /jmap/eventsource/token issues a short-lived signed token for the EventSource URL, the one
// place where a browser cannot send Authorization. Failures count against the client's address
// like failed Basic logins.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/params_view.hpp>
#include <boost/url/parse_query.hpp>

#include "base/clock.h"
#include "base/log.h"
#include "http/auth.h"
#include "http/session.h"
#include "jmap/ids.h"
#include "jmap/session_resource.h"

namespace pushmail::http {

namespace asio = boost::asio;
namespace json = boost::json;
using asio::awaitable;
using Status = beast_http::status;

namespace {

constexpr std::string_view kJson = "application/json";
constexpr size_t kMaxCredential = 1024;

// The username and password of a login body, or nullopt when the body is not that.
std::optional<std::pair<std::string, std::string>> ReadLogin(std::string_view body) {
  boost::system::error_code ec;
  json::parse_options options;
  options.max_depth = 4;
  json::value root = json::parse(body, ec, {}, options);
  if (ec || !root.is_object()) return std::nullopt;
  const auto* user = root.as_object().if_contains("username");
  const auto* password = root.as_object().if_contains("password");
  if (!user || !password || !user->is_string() || !password->is_string()) return std::nullopt;
  std::string_view u = user->get_string(), p = password->get_string();
  if (u.empty() || p.empty() || u.size() > kMaxCredential || p.size() > kMaxCredential) {
    return std::nullopt;
  }
  return std::pair{std::string(u), std::string(p)};
}

// The value of `name` in a query, if it is there once.
std::optional<std::string> QueryParam(std::string_view query, std::string_view name) {
  auto params = boost::urls::parse_query(query);
  if (!params) return std::nullopt;
  std::optional<std::string> out;
  for (auto param : boost::urls::params_view(*params)) {
    if (param.key != name) continue;
    if (out) return std::nullopt;
    out = std::string(param.value);
  }
  return out;
}

}  // namespace

awaitable<Session::Next> Session::Login(Request& request) {
  auto credentials = ReadLogin(request.body());
  if (!credentials) {
    Response r = Problem(request, Status::bad_request, "about:blank",
                         "the body must be {\"username\": ..., \"password\": ...}");
    co_return co_await Reply(r, request);
  }
  store::Store& store = server_.context().store;
  int64_t expires = UnixNow() + limits_.token_lifetime.count();
  const auto& [user, password] = *credentials;
  auto login = [&store, &user, &password, expires]() -> Result<std::string> {
    // Through the store's credential cache like every password check: credentials that passed
    // Argon2id within [auth] credential_cache_s are not hashed again.
    auto account = store.Authenticate(user, password);
    if (!account) return account.error();
    return store.CreateToken(*account, expires);
  };
  auto token = co_await net::OnPool(server_.context().blocking, login);
  if (!token) {
    if (token.error() == MakeError(Errc::kNotFound)) {
      co_await SlowDownFailure();
      spdlog::info("http: failed login for '{}' from {}", user,
                   stream_.remote().address().to_string());
      Response r =
          Problem(request, Status::unauthorized, "about:blank", "wrong username or password");
      co_return co_await Reply(r, request);
    }
    Response r = ErrorResponse(request, Status::internal_server_error);
    co_return co_await Reply(r, request);
  }
  server_.auth_failures().Clear(stream_.remote().address());
  json::object body{{"accessToken", *token},
                    {"tokenType", "Bearer"},
                    {"expires", jmap::UtcDate(expires)},
                    {"expiresIn", limits_.token_lifetime.count()},
                    {"username", user},
                    {"sessionUrl", "/.well-known/jmap"}};
  Response r = MakeResponse(request, Status::ok, kJson, json::serialize(body));
  r.set(beast_http::field::cache_control, "no-store");
  co_return co_await Reply(r, request);
}

awaitable<Session::Next> Session::Logout(const Request& request) {
  auto header = request[beast_http::field::authorization];
  Authorization auth = ParseAuthorization(std::string_view(header.data(), header.size()));
  ErrorCode revoked = MakeError(Errc::kNotFound);
  if (auth.scheme == Authorization::Scheme::kBearer) {
    store::Store& store = server_.context().store;
    const std::string& token = auth.token;
    auto revoke = [&store, &token] { return store.RevokeToken(token); };
    revoked = co_await net::OnPool(server_.context().blocking, revoke);
  }
  if (revoked) {
    if (auth.scheme != Authorization::Scheme::kNone) co_await SlowDownFailure();
    Response r = ErrorResponse(request, Status::unauthorized);
    r.set(beast_http::field::www_authenticate, kBearerChallenge);
    co_return co_await Reply(r, request);
  }
  Response r = MakeResponse(request, Status::no_content, "text/plain", "");
  co_return co_await Reply(r, request);
}

std::string Session::EventSourceTokenFor(const Request& request, const jmap::Principal& who) const {
  auto header = request[beast_http::field::authorization];
  Authorization auth = ParseAuthorization(std::string_view(header.data(), header.size()));
  const UrlSigner* signer = server_.signer();
  if (auth.scheme != Authorization::Scheme::kBearer || !signer) return {};
  return signer->Sign(who.account, UnixNow() + limits_.eventsource_token_lifetime.count());
}

awaitable<Session::Next> Session::EventSourceToken(const Request& request) {
  auto who = co_await Authenticate(request);
  if (!who) co_return closed_ ? Next::kClose : Next::kContinue;
  const UrlSigner* signer = server_.signer();
  if (!signer) {
    Response r = ErrorResponse(request, Status::service_unavailable);
    co_return co_await Reply(r, request);
  }
  int64_t expires = UnixNow() + limits_.eventsource_token_lifetime.count();
  std::string token = signer->Sign(who->account, expires);
  std::string url = std::string(jmap::kEventSourcePath) +
                    "?types={types}&closeafter={closeafter}&ping={ping}&token=" + token;
  json::object body{{"token", token},
                    {"expires", jmap::UtcDate(expires)},
                    {"accountId", jmap::AccountJmapId(who->account)},
                    {"eventSourceUrl", url}};
  Response r = MakeResponse(request, Status::ok, kJson, json::serialize(body));
  r.set(beast_http::field::cache_control, "no-store");
  co_return co_await Reply(r, request);
}

awaitable<std::optional<jmap::Principal>> Session::AuthenticateQuery(const Request& request,
                                                                     std::string_view query) {
  auto token = QueryParam(query, "token");
  if (!token) co_return co_await Authenticate(request);
  const UrlSigner* signer = server_.signer();
  auto account = signer ? signer->Verify(*token, UnixNow()) : std::nullopt;
  if (account) {
    server_.auth_failures().Clear(stream_.remote().address());
    co_return jmap::Principal{*account, {}};
  }
  // A client that sends Authorization as well (the CLI, with a session resource it fetched
  // with a Bearer token long ago) is known by that, whatever became of the URL's token.
  if (request.count(beast_http::field::authorization) > 0) co_return co_await Authenticate(request);
  co_await SlowDownFailure();
  spdlog::info("http: bad EventSource token from {}", stream_.remote().address().to_string());
  Response r = ErrorResponse(request, Status::unauthorized);
  r.set(beast_http::field::www_authenticate, kBearerInvalidToken);
  bool keep = co_await Send(r, request);
  if (!keep) CloseStream();
  co_return std::nullopt;
}

}  // namespace pushmail::http
