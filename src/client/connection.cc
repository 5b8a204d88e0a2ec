#include "client/connection.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/url/parse.hpp>
#include <optional>

#include "client/error.h"

namespace pushmail::client {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using boost::system::error_code;
// A concrete executor rather than any_io_executor: simpler code, and clang-analyzer reports a
// null dereference inside any_executor's copy that cannot happen.
using TcpStream = beast::basic_stream<asio::ip::tcp, asio::io_context::executor_type>;
using TlsStream = beast::ssl_stream<TcpStream>;

namespace {

constexpr std::chrono::seconds kConnectTimeout{15};
constexpr std::chrono::seconds kRequestTimeout{60};
constexpr uint64_t kMaxResponse = 512ull << 20;
constexpr std::string_view kUserAgent = "pushmail/0.1";

bool IsIpAddress(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

}  // namespace

struct Connection::Impl {
  asio::io_context io;
  asio::ssl::context tls{asio::ssl::context::tls_client};
  std::unique_ptr<TlsStream> stream;  // a plain HTTPS connection, kept alive
  std::unique_ptr<websocket::stream<TlsStream>> ws;
  beast::flat_buffer buffer;
  std::unique_ptr<http::response_parser<http::buffer_body>> events;
  bool used = false;  // the kept-alive stream has carried a request already

  // Starts an asynchronous operation with a handler and runs the context until it is done.
  template <class Start>
  error_code Drive(Start&& start) {
    std::optional<error_code> result;
    start([&result](error_code ec, auto&&...) { result = ec; });
    io.restart();
    while (!result && io.run_one() > 0) {
    }
    return result.value_or(asio::error::operation_aborted);
  }
};

Connection::Connection(const ServerOptions& server) : server_(server), impl_(new Impl) {
  auto parsed = boost::urls::parse_uri(server.url);
  if (!parsed || parsed->scheme() != "https" || parsed->host().empty() ||
      (!parsed->encoded_path().empty() && parsed->encoded_path() != "/")) {
    throw Failure(FailureKind::kUsage,
                  "'" + server.url + "' is not a server URL: write https://HOST[:PORT]");
  }
  host_ = parsed->host_address();
  port_ = parsed->has_port() ? std::string(parsed->port()) : "443";
  url_ = "https://" + std::string(parsed->encoded_host_and_port());
  auto& tls = impl_->tls;
  tls.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                  asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                  asio::ssl::context::no_tlsv1_1);
  if (server.insecure) {
    tls.set_verify_mode(asio::ssl::verify_none);
  } else {
    tls.set_verify_mode(asio::ssl::verify_peer);
    error_code ec;
    if (!server.ca_file.empty()) {
      tls.load_verify_file(server.ca_file, ec);
      if (ec) {
        throw Failure(FailureKind::kUsage,
                      "cannot read the CA file " + server.ca_file + ": " + ec.message());
      }
    } else {
      tls.set_default_verify_paths(ec);
    }
  }
}

Connection::~Connection() = default;

void Connection::Connect() {
  Close();
  auto& io = impl_->io;
  asio::ip::basic_resolver<asio::ip::tcp, asio::io_context::executor_type> resolver(
      io.get_executor());
  error_code ec;
  auto endpoints = resolver.resolve(host_, port_, ec);
  if (ec) {
    throw Failure(FailureKind::kUnreachable,
                  "cannot reach " + url_ + ": cannot resolve " + host_ + ": " + ec.message());
  }
  auto stream = std::make_unique<TlsStream>(io.get_executor(), impl_->tls);
  beast::get_lowest_layer(*stream).expires_after(kConnectTimeout);
  ec = impl_->Drive([&](auto handler) {
    beast::get_lowest_layer(*stream).async_connect(endpoints, std::move(handler));
  });
  if (ec) {
    throw Failure(FailureKind::kUnreachable,
                  "cannot reach " + url_ + ": " + ec.message() + " (is pushmaild running there?)");
  }
  SSL* ssl = stream->native_handle();
  if (IsIpAddress(host_)) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host_.c_str());
  } else {
    SSL_set_tlsext_host_name(ssl, host_.c_str());
    SSL_set1_host(ssl, host_.c_str());
  }
  ec = impl_->Drive([&](auto handler) {
    stream->async_handshake(asio::ssl::stream_base::client, std::move(handler));
  });
  if (ec) {
    long verify = SSL_get_verify_result(ssl);
    if (!server_.insecure && verify != X509_V_OK) {
      throw Failure(FailureKind::kCertificate,
                    "the certificate of " + url_ + " is not trusted (" +
                        X509_verify_cert_error_string(verify) +
                        "). Pass the server's certificate with --ca FILE when you log in "
                        "(pushmaild keeps its own in DATA/tls/cert.pem), or --insecure to skip "
                        "the check");
    }
    throw Failure(FailureKind::kUnreachable,
                  "TLS handshake with " + url_ + " failed: " + ec.message());
  }
  impl_->stream = std::move(stream);
  impl_->used = false;
  impl_->buffer.clear();
}

void Connection::Close() {
  if (impl_->stream) {
    error_code ignored;
    beast::get_lowest_layer(*impl_->stream).socket().close(ignored);
    impl_->stream.reset();
  }
  if (impl_->ws) {
    error_code ignored;
    beast::get_lowest_layer(*impl_->ws).socket().close(ignored);
    impl_->ws.reset();
  }
  impl_->events.reset();
  // Handlers of the closed sockets run now, while what they refer to still exists.
  impl_->io.restart();
  impl_->io.poll();
}

HttpResponse Connection::Request(std::string_view method, std::string_view target,
                                 std::string_view body, std::string_view content_type) {
  http::request<http::string_body> request{http::string_to_verb(method), target, 11};
  request.set(http::field::host, url_.substr(8));
  request.set(http::field::user_agent, kUserAgent);
  if (!bearer_.empty()) request.set(http::field::authorization, "Bearer " + bearer_);
  if (!content_type.empty()) request.set(http::field::content_type, content_type);
  request.body() = std::string(body);
  request.prepare_payload();
  for (int attempt = 0;; ++attempt) {
    if (!impl_->stream) Connect();
    bool reused = impl_->used;
    auto& stream = *impl_->stream;
    beast::get_lowest_layer(stream).expires_after(kRequestTimeout);
    error_code ec =
        impl_->Drive([&](auto handler) { http::async_write(stream, request, std::move(handler)); });
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxResponse);
    if (!ec) {
      ec = impl_->Drive([&](auto handler) {
        http::async_read(stream, impl_->buffer, parser, std::move(handler));
      });
    }
    if (ec) {
      Close();
      if (reused && attempt == 0) continue;  // the server closed an idle keep-alive connection
      throw Failure(
          FailureKind::kUnreachable,
          "the connection to " + url_ + " failed: " +
              (ec == beast::error::timeout ? std::string("no answer in time") : ec.message()));
    }
    impl_->used = true;
    auto response = parser.release();
    if (!response.keep_alive()) Close();
    return {response.result_int(), std::string(response[http::field::content_type]),
            std::move(response.body())};
  }
}

unsigned Connection::OpenWebSocket(std::string_view target, std::string_view protocol,
                                   std::chrono::seconds idle) {
  Connect();
  impl_->ws = std::make_unique<websocket::stream<TlsStream>>(std::move(*impl_->stream));
  impl_->stream.reset();
  auto& ws = *impl_->ws;
  std::string authorization = bearer_.empty() ? std::string() : "Bearer " + bearer_;
  std::string subprotocol(protocol);
  ws.set_option(websocket::stream_base::decorator([&](websocket::request_type& request) {
    request.set(http::field::user_agent, kUserAgent);
    if (!authorization.empty()) request.set(http::field::authorization, authorization);
    request.set(http::field::sec_websocket_protocol, subprotocol);
  }));
  beast::get_lowest_layer(ws).expires_after(kRequestTimeout);
  websocket::response_type response;
  std::string host = url_.substr(8);
  error_code ec = impl_->Drive(
      [&](auto handler) { ws.async_handshake(response, host, target, std::move(handler)); });
  if (ec == websocket::error::upgrade_declined) {
    Close();
    return response.result_int();
  }
  if (ec) {
    Close();
    throw Failure(FailureKind::kUnreachable,
                  "the WebSocket to " + url_ + " failed: " + ec.message());
  }
  beast::get_lowest_layer(ws).expires_never();
  websocket::stream_base::timeout timeouts{kRequestTimeout, idle, true};
  ws.set_option(timeouts);
  return 101;
}

void Connection::WebSocketWrite(std::string_view text) {
  auto& ws = *impl_->ws;
  ws.text(true);
  error_code ec = impl_->Drive([&](auto handler) {
    ws.async_write(asio::buffer(text.data(), text.size()), std::move(handler));
  });
  if (ec) {
    Close();
    throw Failure(FailureKind::kUnreachable,
                  "the WebSocket to " + url_ + " failed: " + ec.message());
  }
}

std::string Connection::WebSocketRead() {
  auto& ws = *impl_->ws;
  beast::flat_buffer message;
  error_code ec = impl_->Drive([&](auto handler) { ws.async_read(message, std::move(handler)); });
  if (ec) {
    Close();
    std::string why = ec == beast::error::timeout ? "the server went silent" : ec.message();
    throw Failure(FailureKind::kUnreachable, "the WebSocket to " + url_ + " ended: " + why);
  }
  return beast::buffers_to_string(message.data());
}

unsigned Connection::OpenEventStream(std::string_view target) {
  Connect();
  auto& stream = *impl_->stream;
  http::request<http::empty_body> request{http::verb::get, target, 11};
  request.set(http::field::host, url_.substr(8));
  request.set(http::field::user_agent, kUserAgent);
  request.set(http::field::accept, "text/event-stream");
  if (!bearer_.empty()) request.set(http::field::authorization, "Bearer " + bearer_);
  beast::get_lowest_layer(stream).expires_after(kRequestTimeout);
  error_code ec =
      impl_->Drive([&](auto handler) { http::async_write(stream, request, std::move(handler)); });
  impl_->events = std::make_unique<http::response_parser<http::buffer_body>>();
  impl_->events->body_limit(boost::none);
  if (!ec) {
    ec = impl_->Drive([&](auto handler) {
      http::async_read_header(stream, impl_->buffer, *impl_->events, std::move(handler));
    });
  }
  if (ec) {
    Close();
    throw Failure(FailureKind::kUnreachable,
                  "the event stream of " + url_ + " failed: " + ec.message());
  }
  unsigned status = impl_->events->get().result_int();
  if (status != 200) Close();
  return status;
}

std::string Connection::EventStreamRead(std::chrono::seconds timeout) {
  auto& stream = *impl_->stream;
  auto& parser = *impl_->events;
  char chunk[8192];
  parser.get().body().data = chunk;
  parser.get().body().size = sizeof chunk;
  beast::get_lowest_layer(stream).expires_after(timeout);
  error_code ec = impl_->Drive([&](auto handler) {
    http::async_read_some(stream, impl_->buffer, parser, std::move(handler));
  });
  if (ec == http::error::need_buffer) ec = {};
  if (!ec && parser.is_done()) ec = http::error::end_of_stream;
  if (ec) {
    Close();
    std::string why = ec == beast::error::timeout ? "the server went silent" : ec.message();
    throw Failure(FailureKind::kUnreachable, "the event stream of " + url_ + " ended: " + why);
  }
  return std::string(chunk, sizeof chunk - parser.get().body().size);
}

}  // namespace pushmail::client
