#include "net/stream.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace pushmail::net {

namespace asio = boost::asio;
using namespace boost::asio::experimental::awaitable_operators;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

Stream::Stream(asio::ip::tcp::socket socket) : plain_(std::move(socket)) {
  boost::system::error_code ignored;
  remote_ = plain_.remote_endpoint(ignored);
  local_ = plain_.local_endpoint(ignored);
  plain_.set_option(asio::ip::tcp::no_delay(true), ignored);
}

asio::ip::tcp::socket& Stream::socket() { return tls_ ? tls_->next_layer() : plain_; }

asio::any_io_executor Stream::executor() { return socket().get_executor(); }

void Stream::Close() {
  boost::system::error_code ignored;
  socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket().close(ignored);
}

void Stream::Cancel() {
  boost::system::error_code ignored;
  socket().cancel(ignored);
}

// Runs `op` against a timer; whichever finishes first cancels the other.
template <class Op>
static asio::awaitable<std::tuple<ErrorCode, size_t>> WithDeadline(Op op, Duration timeout) {
  asio::steady_timer timer(co_await asio::this_coro::executor, timeout);
  auto result = co_await (std::move(op) || timer.async_wait(kTuple));
  if (result.index() == 1) co_return std::tuple{ErrorCode(asio::error::timed_out), size_t{0}};
  co_return std::get<0>(result);
}

asio::awaitable<Result<size_t>> Stream::ReadSome(asio::mutable_buffer buffer, Duration timeout) {
  auto [ec, n] = tls_ ? co_await WithDeadline(tls_->async_read_some(buffer, kTuple), timeout)
                      : co_await WithDeadline(plain_.async_read_some(buffer, kTuple), timeout);
  if (ec) co_return ec;
  co_return n;
}

asio::awaitable<ErrorCode> Stream::Write(asio::const_buffer data, Duration timeout) {
  auto [ec, n] = tls_ ? co_await WithDeadline(asio::async_write(*tls_, data, kTuple), timeout)
                      : co_await WithDeadline(asio::async_write(plain_, data, kTuple), timeout);
  co_return ec;
}

asio::awaitable<ErrorCode> Stream::StartTls(asio::ssl::context& context, Duration timeout) {
  tls_ = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket>>(std::move(plain_), context);
  auto handshake = [this]() -> asio::awaitable<std::tuple<ErrorCode, size_t>> {
    auto [ec] = co_await tls_->async_handshake(asio::ssl::stream_base::server, kTuple);
    co_return std::tuple{ec, size_t{0}};
  };
  auto [ec, n] = co_await WithDeadline(handshake(), timeout);
  co_return ec;
}

std::string Stream::TlsDescription() const {
  if (!tls_) return {};
  SSL* ssl = const_cast<asio::ssl::stream<asio::ip::tcp::socket>&>(*tls_).native_handle();
  return std::string(SSL_get_version(ssl)) + " " + SSL_get_cipher_name(ssl);
}

}  // namespace pushmail::net
