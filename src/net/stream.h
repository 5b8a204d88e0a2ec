#pragma once
// A connection's byte stream: plain TCP that can turn into TLS in place (STARTTLS) or start
// as TLS (implicit TLS ports). Every read and write has a deadline. Errors come back as
// values; nothing here throws for a network failure. TLS is a TlsSocket (tls_socket.h), which
// holds no buffers while the connection is idle.
//
// Deadlines cost no timer operation per read: an operation only records its deadline, and one
// watchdog timer per stream wakes at the earliest deadline it knows of, re-arms itself when the
// deadline moved later, and cancels the socket's operations when it has passed. One read and
// one write may be in flight at once (an IMAP IDLE reads DONE while pushes are written), each
// with its own deadline; when either passes, both are cancelled.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>

#include "base/result.h"
#include "net/own_allocator.h"
#include "net/tls_socket.h"

namespace pushmail::net {

using Duration = std::chrono::steady_clock::duration;

class Stream {
 public:
  explicit Stream(boost::asio::ip::tcp::socket socket);
  ~Stream();
  Stream(const Stream&) = delete;  // the watchdog's handler refers to this object
  Stream& operator=(const Stream&) = delete;

  // Reads what is available (at least one octet) into `buffer`. On a timeout the error is
  // boost::asio::error::timed_out; 0 with no error never happens.
  boost::asio::awaitable<Result<size_t>> ReadSome(boost::asio::mutable_buffer buffer,
                                                  Duration timeout);
  // Waits until a read would find data (or the peer closed), without holding a buffer: an idle
  // connection waits here, so it costs no read buffer (DESIGN.md principle 5).
  boost::asio::awaitable<ErrorCode> WaitReadable(Duration timeout);
  // The same for a callback, so that a waiting connection keeps no coroutine frame either.
  // `done(ErrorCode)` runs on the stream's executor and must keep the stream's owner alive. A
  // `timeout` of kNoTimeout waits with no deadline, and then no timer waits beside it.
  static constexpr Duration kNoTimeout = Duration::max();
  template <class Done>
  void AsyncWaitReadable(Duration timeout, Done done) {
    if (timeout != kNoTimeout) {
      Arm(kRead, timeout);
    } else {
      Disarm();
    }
    // The wait lasts while the connection idles: a block of its own size (own_allocator.h).
    auto finish = boost::asio::bind_allocator(
        OwnAllocator<void>(),
        [this, done = std::move(done)](ErrorCode ec) mutable { done(Outcome(kRead, ec)); });
    if (tls_ && !tls_->SocketWaitSuffices()) {
      tls_->async_wait_readable(std::move(finish));  // at once if TLS holds decrypted octets
    } else {
      // Plain TCP, or TLS on our record layer with nothing held: the socket's readiness is the
      // stream's, and a wait on it is about half the size of TLS's composed one.
      socket().async_wait(boost::asio::socket_base::wait_read, std::move(finish));
    }
  }
  // Writes all of `data`.
  boost::asio::awaitable<ErrorCode> Write(boost::asio::const_buffer data, Duration timeout);
  // Writes what the socket takes of `data` now, with no operation and no wait, for a writer
  // that would rather not start one (a push to an idle connection). Returns the octets of
  // `data` done with; Write the rest. Over TLS that is all or nothing: nothing when OpenSSL
  // still holds the connection or the socket's buffer is full, and then the rest to Write is
  // all of `data` (records sealed and partly sent are finished first). Call only with no write
  // in flight.
  Result<size_t> WriteNow(boost::asio::const_buffer data);
  // Runs the server side of a TLS handshake over the connection; afterwards reads and writes
  // are encrypted.
  boost::asio::awaitable<ErrorCode> StartTls(boost::asio::ssl::context& context, Duration timeout);
  // Runs the client side (the bridge's upstream connections), sending `server_name` as SNI and
  // checking that the certificate names it when the context verifies peers.
  boost::asio::awaitable<ErrorCode> StartTlsClient(boost::asio::ssl::context& context,
                                                   const std::string& server_name,
                                                   Duration timeout);

  bool tls() const { return tls_ != nullptr; }
  // Negotiated protocol and cipher, e.g. "TLSv1.3 TLS_AES_256_GCM_SHA384"; empty without TLS.
  std::string TlsDescription() const;
  const boost::asio::ip::tcp::endpoint& remote() const { return remote_; }
  const boost::asio::ip::tcp::endpoint& local() const { return local_; }
  boost::asio::any_io_executor executor();
  // Closes the socket at once; pending operations finish with operation_aborted.
  void Close();
  // Cancels pending operations (they finish with operation_aborted); the stream stays open.
  void Cancel();

 private:
  using SteadyTime = std::chrono::steady_clock::time_point;
  boost::asio::ip::tcp::socket& socket();
  enum Direction { kRead = 0, kWrite = 1 };
  void Arm(Direction d, Duration timeout);  // before an operation
  // With no deadline left, ends the watchdog's wait now rather than when it runs out (up to a
  // write's timeout later), so that a stream waiting with no deadline holds no timer.
  void Disarm();
  // After it: a cancel by the watchdog becomes timed_out.
  ErrorCode Outcome(Direction d, ErrorCode ec);
  SteadyTime Deadline() const { return std::min(deadline_[kRead], deadline_[kWrite]); }
  void Watch();

  boost::asio::ip::tcp::socket plain_;
  std::unique_ptr<TlsSocket> tls_;  // owns the socket once TLS has started
  boost::asio::ip::tcp::endpoint remote_;
  boost::asio::ip::tcp::endpoint local_;
  boost::asio::steady_timer watchdog_;
  SteadyTime deadline_[2] = {SteadyTime::max(), SteadyTime::max()};  // of the ops in flight
  bool watching_ = false;                                            // a watchdog wait is pending
  bool fired_ = false;                                     // the watchdog cancelled the operations
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // expires with the stream
};

}  // namespace pushmail::net
