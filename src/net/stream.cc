#include "net/stream.h"

#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <tuple>

#include "base/clock.h"

namespace pushmail::net {

namespace asio = boost::asio;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

Stream::Stream(asio::ip::tcp::socket socket)
    : plain_(std::move(socket)), watchdog_(plain_.get_executor()) {
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
  if (tls_) {
    tls_->cancel();  // tells a cancel apart from its own wakes
    return;
  }
  boost::system::error_code ignored;
  plain_.cancel(ignored);
}

Stream::~Stream() { alive_.reset(); }

void Stream::Arm(Direction d, Duration timeout) {
  deadline_[d] = SteadyClock::now() + timeout;
  if (deadline_[1 - d] == SteadyTime::max()) fired_ = false;
  if (!watching_ || Deadline() < watchdog_.expiry()) Watch();
}

void Stream::Disarm() {
  if (!watching_ || Deadline() != SteadyTime::max()) return;
  watching_ = false;
  watchdog_.cancel();  // its handler sees operation_aborted and does nothing
}

void Stream::Watch() {
  watching_ = true;
  watchdog_.expires_at(Deadline());  // cancels an earlier wait, whose handler then does nothing
  // The watchdog's wait may last as long as an idle connection's deadline: a block of its own
  // size (own_allocator.h).
  watchdog_.async_wait(asio::bind_allocator(
      OwnAllocator<void>(), [this, alive = std::weak_ptr<int>(alive_)](ErrorCode ec) {
        if (ec || alive.expired()) return;  // re-armed, or the stream is gone
        watching_ = false;
        if (Deadline() == SteadyTime::max()) return;  // idle: the next Arm starts a wait
        if (SteadyClock::now() < Deadline()) {
          Watch();  // the deadline moved later since this wait began
          return;
        }
        fired_ = true;
        Cancel();
      }));
}

ErrorCode Stream::Outcome(Direction d, ErrorCode ec) {
  deadline_[d] = SteadyTime::max();
  if (ec == asio::error::operation_aborted && fired_) return asio::error::timed_out;
  return ec;
}

asio::awaitable<Result<size_t>> Stream::ReadSome(asio::mutable_buffer buffer, Duration timeout) {
  Arm(kRead, timeout);
  // Not `tls_ ? co_await ... : co_await ...`: GCC 12 miscompiles a co_await inside ?:.
  std::tuple<ErrorCode, size_t> done;
  if (tls_) {
    done = co_await tls_->async_read_some(buffer, kTuple);
  } else {
    done = co_await plain_.async_read_some(buffer, kTuple);
  }
  auto [ec, n] = done;
  if (auto error = Outcome(kRead, ec)) co_return error;
  co_return n;
}

asio::awaitable<ErrorCode> Stream::WaitReadable(Duration timeout) {
  Arm(kRead, timeout);
  if (tls_) {
    // At once when TLS holds decrypted octets, which the socket does not signal.
    auto [ec] = co_await tls_->async_wait_readable(kTuple);
    co_return Outcome(kRead, ec);
  }
  auto [ec] = co_await plain_.async_wait(asio::socket_base::wait_read, kTuple);
  co_return Outcome(kRead, ec);
}

asio::awaitable<ErrorCode> Stream::Write(asio::const_buffer data, Duration timeout) {
  Arm(kWrite, timeout);
  std::tuple<ErrorCode, size_t> done;
  if (tls_) {
    done = co_await asio::async_write(*tls_, data, kTuple);
  } else {
    done = co_await asio::async_write(plain_, data, kTuple);
  }
  co_return Outcome(kWrite, std::get<0>(done));
}

Result<size_t> Stream::WriteNow(asio::const_buffer data) {
  if (tls_) return tls_->WriteNow(data);
  for (;;) {
    ssize_t sent = ::send(static_cast<int>(plain_.native_handle()), data.data(), data.size(),
                          MSG_DONTWAIT | MSG_NOSIGNAL);
    if (sent >= 0) return static_cast<size_t>(sent);
    if (errno == EAGAIN || errno == EWOULDBLOCK) return size_t{0};
    if (errno != EINTR) return ErrorCode(errno, boost::system::system_category());
  }
}

asio::awaitable<ErrorCode> Stream::StartTls(asio::ssl::context& context, Duration timeout) {
  // Nothing has been read ahead of the handshake: OpenSSL reads the ClientHello off the socket.
  tls_ = std::make_unique<TlsSocket>(std::move(plain_), context);
  Arm(kRead, timeout);
  auto [ec] = co_await tls_->async_handshake(asio::ssl::stream_base::server, kTuple);
  co_return Outcome(kRead, ec);
}

asio::awaitable<ErrorCode> Stream::StartTlsClient(asio::ssl::context& context,
                                                  const std::string& server_name,
                                                  Duration timeout) {
  tls_ = std::make_unique<TlsSocket>(std::move(plain_), context);
  if (SSL* ssl = tls_->native_handle()) {
    SSL_set_tlsext_host_name(ssl, server_name.c_str());
    SSL_set1_host(ssl, server_name.c_str());
  }
  Arm(kRead, timeout);
  auto [ec] = co_await tls_->async_handshake(asio::ssl::stream_base::client, kTuple);
  co_return Outcome(kRead, ec);
}

std::string Stream::TlsDescription() const { return tls_ ? tls_->Description() : std::string(); }

}  // namespace pushmail::net
