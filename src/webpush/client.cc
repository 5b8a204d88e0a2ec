#include "webpush/client.h"

#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <charconv>

namespace pushmail::webpush {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::awaitable;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr size_t kMaxResponseBody = size_t{64} * 1024;

std::chrono::seconds RetryAfter(std::string_view value) {
  unsigned seconds = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec != std::errc() || end != value.data() + value.size()) return {};  // a date: ignored
  return std::chrono::seconds(seconds);
}

http::request<http::string_body> MakeRequest(const PushUrl& url, const PushRequest& r) {
  http::request<http::string_body> req{http::verb::post, url.target, 11};
  req.set(http::field::host, url.origin.substr(url.origin.find("://") + 3));
  req.set(http::field::user_agent, "pushmail");
  req.set("TTL", std::to_string(r.ttl.count()));
  req.set("Urgency", r.urgency);
  if (!r.topic.empty()) req.set("Topic", r.topic);
  if (!r.authorization.empty()) req.set(http::field::authorization, r.authorization);
  if (r.content_encoding.empty()) {
    req.set(http::field::content_type, "application/json");
  } else {
    req.set(http::field::content_encoding, r.content_encoding);
    req.set(http::field::content_type, "application/octet-stream");
  }
  req.body() = r.body;
  req.prepare_payload();
  return req;
}

bool IsPrivateV4(const asio::ip::address_v4& a) {
  uint32_t v = a.to_uint();
  auto in = [v](uint32_t net, int bits) { return (v >> (32 - bits)) == (net >> (32 - bits)); };
  return in(0x0A000000, 8) || in(0xAC100000, 12) || in(0xC0A80000, 16) ||  // RFC 1918
         in(0x64400000, 10) ||                                             // RFC 6598
         in(0xA9FE0000, 16) || in(0x7F000000, 8) || in(0, 8);  // link-local, loopback, "this"
}

}  // namespace

bool IsPublicAddress(const asio::ip::address& address) {
  if (address.is_unspecified() || address.is_loopback() || address.is_multicast()) return false;
  if (address.is_v4()) return !IsPrivateV4(address.to_v4());
  auto v6 = address.to_v6();
  if (v6.is_v4_mapped()) return IsPublicAddress(asio::ip::make_address_v4(asio::ip::v4_mapped, v6));
  auto bytes = v6.to_bytes();
  bool unique_local = (bytes[0] & 0xfe) == 0xfc;  // fc00::/7
  return !v6.is_link_local() && !v6.is_site_local() && !unique_local;
}

struct PushClient::Connection {
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<asio::ssl::stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;
  SteadyClock::time_point idle_since;

  beast::tcp_stream& tcp() { return tls ? tls->next_layer() : *plain; }

  // One request and its response on this connection.
  awaitable<std::pair<http::response<http::string_body>, beast::error_code>> Exchange(
      http::request<http::string_body>& req, std::chrono::seconds timeout) {
    tcp().expires_after(timeout);
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxResponseBody);
    beast::error_code ec;
    if (tls) {
      std::tie(ec, std::ignore) = co_await http::async_write(*tls, req, kUseTuple);
      if (!ec)
        std::tie(ec, std::ignore) = co_await http::async_read(*tls, buffer, parser, kUseTuple);
    } else {
      std::tie(ec, std::ignore) = co_await http::async_write(*plain, req, kUseTuple);
      if (!ec) {
        std::tie(ec, std::ignore) = co_await http::async_read(*plain, buffer, parser, kUseTuple);
      }
    }
    tcp().expires_never();
    co_return std::make_pair(parser.release(), ec);
  }
};

PushClient::PushClient(asio::any_io_executor executor, const WebPushLimits& limits)
    : executor_(std::move(executor)), limits_(limits), tls_(asio::ssl::context::tls_client) {
  tls_.set_default_verify_paths();
  tls_.set_verify_mode(asio::ssl::verify_peer);
  tls_.set_options(asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 |
                   asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
}

PushClient::~PushClient() = default;

awaitable<std::unique_ptr<PushClient::Connection>> PushClient::Connect(const PushUrl& url,
                                                                       PushResponse& failure) {
  asio::ip::tcp::resolver resolver(executor_);
  auto [rec, results] = co_await resolver.async_resolve(url.host, url.port, kUseTuple);
  if (rec) {
    failure.error = "cannot resolve " + url.host + ": " + rec.message();
    co_return nullptr;
  }
  std::vector<asio::ip::tcp::endpoint> endpoints;
  for (const auto& entry : results) {
    // http URLs are loopback literals (ParsePushUrl); https ones must not reach inside.
    bool allowed =
        !url.tls || limits_.allow_private_addresses || IsPublicAddress(entry.endpoint().address());
    if (allowed) endpoints.push_back(entry.endpoint());
  }
  if (endpoints.empty()) {
    failure.error = url.host + " resolves to no public address";
    failure.refused = true;
    co_return nullptr;
  }
  auto c = std::make_unique<Connection>();
  if (url.tls) {
    c->tls = std::make_unique<asio::ssl::stream<beast::tcp_stream>>(executor_, tls_);
  } else {
    c->plain = std::make_unique<beast::tcp_stream>(executor_);
  }
  c->tcp().expires_after(limits_.timeout);
  busy_.insert(c.get());
  auto [cec, endpoint] = co_await c->tcp().async_connect(endpoints, kUseTuple);
  if (!cec && url.tls) {
    boost::system::error_code not_ip;
    asio::ip::make_address(url.host, not_ip);
    if (not_ip) SSL_set_tlsext_host_name(c->tls->native_handle(), url.host.c_str());  // SNI
    c->tls->set_verify_callback(asio::ssl::host_name_verification(url.host));
    std::tie(cec) = co_await c->tls->async_handshake(asio::ssl::stream_base::client, kUseTuple);
  }
  busy_.erase(c.get());
  if (cec || closed_) {
    failure.error = "cannot connect to " + url.origin + ": " + (cec ? cec.message() : "closing");
    co_return nullptr;
  }
  c->tcp().expires_never();
  co_return c;
}

awaitable<PushResponse> PushClient::Post(const PushUrl& url, const PushRequest& request) {
  auto req = MakeRequest(url, request);
  bool slot = co_await Acquire(url.origin);
  if (!slot) co_return PushResponse{0, {}, "closing"};
  PushResponse out = co_await Send(url, req);
  Release(url.origin);
  co_return out;
}

awaitable<bool> PushClient::Acquire(const std::string& origin) {
  for (;;) {
    if (closed_) co_return false;
    Slots& slots = slots_[origin];
    if (slots.busy < limits_.max_connections) {
      ++slots.busy;
      co_return true;
    }
    auto turn =
        std::make_shared<asio::steady_timer>(executor_, asio::steady_timer::time_point::max());
    slots.waiting.push_back(turn);
    co_await turn->async_wait(kUseTuple);  // Release or Close cancels it
  }
}

void PushClient::Release(const std::string& origin) {
  auto it = slots_.find(origin);
  if (it == slots_.end()) return;
  Slots& slots = it->second;
  --slots.busy;
  if (!slots.waiting.empty()) {
    slots.waiting.front()->cancel();
    slots.waiting.pop_front();
  } else if (slots.busy == 0) {
    slots_.erase(it);
  }
}

awaitable<PushResponse> PushClient::Send(const PushUrl& url,
                                         http::request<http::string_body>& req) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (closed_) co_return PushResponse{0, {}, "closing"};
    std::unique_ptr<Connection> c = TakeIdle(url.origin);
    bool reused = c != nullptr;
    if (!c) {
      PushResponse failure;
      c = co_await Connect(url, failure);
      if (!c) co_return failure;
    }
    busy_.insert(c.get());
    auto [response, ec] = co_await c->Exchange(req, limits_.timeout);
    busy_.erase(c.get());
    if (ec && reused && !closed_) continue;  // the service closed the kept connection
    if (ec) co_return PushResponse{0, {}, "POST to " + url.origin + ": " + ec.message()};
    PushResponse out{static_cast<int>(response.result_int()), {}, {}};
    out.retry_after = RetryAfter(response[http::field::retry_after]);
    if (response.keep_alive()) Keep(url.origin, std::move(c));
    co_return out;
  }
  co_return PushResponse{0, {}, "no answer"};
}

std::unique_ptr<PushClient::Connection> PushClient::TakeIdle(const std::string& origin) {
  auto it = idle_.find(origin);
  if (it == idle_.end()) return nullptr;
  auto& list = it->second;
  std::unique_ptr<Connection> out;
  auto fresh = SteadyClock::now() - limits_.idle_connection;
  while (!list.empty() && !out) {
    out = std::move(list.back());
    list.pop_back();
    if (out->idle_since < fresh) out.reset();  // idle too long: the service may have closed it
  }
  if (list.empty()) idle_.erase(it);
  return out;
}

void PushClient::Keep(const std::string& origin, std::unique_ptr<Connection> connection) {
  if (closed_) return;
  connection->idle_since = SteadyClock::now();
  connection->buffer.consume(connection->buffer.size());
  auto& list = idle_[origin];
  list.push_back(std::move(connection));
  while (list.size() > limits_.max_idle_connections) list.pop_front();
}

void PushClient::Close() {
  closed_ = true;
  idle_.clear();
  for (Connection* c : busy_) c->tcp().cancel();
  for (auto& [origin, slots] : slots_) {
    for (auto& turn : slots.waiting) turn->cancel();
  }
}

}  // namespace pushmail::webpush
