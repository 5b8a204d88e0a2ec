#pragma once
// TLS over a TCP socket, with OpenSSL doing the socket I/O itself: SSL_set_fd on the
// non-blocking descriptor, SSL_accept / SSL_read_ex / SSL_write_ex, and a readiness wait on the
// socket whenever OpenSSL says it wants to read or write.
//
// asio::ssl::stream keeps two ~17 KB buffers in its core and two more in its engine's BIO pair
// for as long as the connection lives. Here the only buffers are OpenSSL's record buffers, which
// SSL_MODE_RELEASE_BUFFERS frees whenever nothing is half-read or half-written, so an idle
// connection costs the SSL object and nothing else (DESIGN.md principle 5).
//
// A TlsSocket is an Asio AsyncReadStream and AsyncWriteStream: async_read_some and
// async_write_some take any completion token, so Beast and asio::async_read/async_write layer on
// it. As with any Asio stream, at most one read-side operation (async_read_some or
// async_wait_readable) and one write may be in flight at once; all of them and every other call
// run on the socket's executor (one thread), and the object must outlive its operations.
// Move it only while nothing is in flight. OpenSSL writes to the descriptor with write(2), not
// send(MSG_NOSIGNAL) as Asio does, so the process must ignore SIGPIPE (pushmaild does), or a write
// to a connection the peer has reset kills it.
//
// A write may make OpenSSL read and a read may make it write (a renegotiation, an alert): each
// operation waits for the readiness OpenSSL asked for. When one operation's SSL call takes octets
// off the socket, the socket no longer signals them, so an operation waiting beside it is woken to
// try again (see Wake in tls_socket.cc).
//
// After a TLS 1.3 handshake as a server, on a context made ready by PrepareContext, the SSL
// object is freed and records are protected by net::Tls13Records with keys captured from the
// handshake: an idle connection then costs ~0.4 KB instead of ~14 KB (tls_records.h).

#include <openssl/ssl.h>

#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "base/result.h"

namespace pushmail::net {

class TlsSocket {
 public:
  using next_layer_type = boost::asio::ip::tcp::socket;
  using lowest_layer_type = next_layer_type::lowest_layer_type;
  using executor_type = next_layer_type::executor_type;
  using HandshakeType = boost::asio::ssl::stream_base::handshake_type;

  // Takes over `socket` and makes it non-blocking. `context` must outlive this object. If
  // OpenSSL cannot make its SSL object, every operation fails with no_memory.
  TlsSocket(next_layer_type socket, boost::asio::ssl::context& context);
  // Lets the sockets of server context `context` leave OpenSSL after a TLS 1.3 handshake: a key
  // log callback gives them the traffic secrets, and no session tickets are sent (their records
  // would advance sequence numbers OpenSSL does not tell). Call once, before any handshake.
  static void PrepareContext(SSL_CTX* context);
  ~TlsSocket();  // frees the SSL object; the socket closes with next_layer()
  TlsSocket(TlsSocket&& other) noexcept;
  TlsSocket& operator=(TlsSocket&& other) noexcept;

  executor_type get_executor() { return socket_.get_executor(); }
  next_layer_type& next_layer() { return socket_; }
  lowest_layer_type& lowest_layer() { return socket_.lowest_layer(); }
  // The SSL object; null once the connection has left OpenSSL for its own record layer.
  SSL* native_handle() { return ssl_; }

  // Runs the handshake (server: SSL_accept; client: SSL_connect). Completes with
  // void(error_code).
  template <class Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_handshake(HandshakeType type, Token&& token = Token()) {
    return Start<void(ErrorCode)>(HandshakeCall{type}, token);
  }

  // Reads at least one octet into the first non-empty buffer of `buffers`. Completes with
  // void(error_code, size_t): boost::asio::error::eof after the peer's close_notify,
  // ssl::error::stream_truncated when the connection ends without one.
  template <class MutableBufferSequence,
            class Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_read_some(const MutableBufferSequence& buffers, Token&& token = Token()) {
    return Start<void(ErrorCode, size_t)>(
        ReadCall{FirstBuffer<boost::asio::mutable_buffer>(buffers)}, token);
  }

  // Writes at least one octet from the first non-empty buffer of `buffers`; void(error_code,
  // size_t). Once it has started, an operation cancelled mid-record leaves the TLS stream
  // unusable, as with any TLS stream.
  template <class ConstBufferSequence,
            class Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_write_some(const ConstBufferSequence& buffers, Token&& token = Token()) {
    return Start<void(ErrorCode, size_t)>(
        WriteCall{FirstBuffer<boost::asio::const_buffer>(buffers)}, token);
  }

  // Completes with void(error_code) when a read would find something: decrypted octets held
  // already (at once), or the socket readable (data, or the peer closing). Holds no buffer while
  // it waits, so an idle connection can wait here. Counts as the read-side operation.
  template <class Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_wait_readable(Token&& token = Token()) {
    return Start<void(ErrorCode)>(ReadableCall{}, token);
  }

  // Writes `data` now, without an operation, if that needs no wait: on its own record layer
  // (after a TLS 1.3 handshake as a server) with no write half done, it seals `data` and sends
  // the records. Returns data.size() when all of it went out, 0 when it did not (OpenSSL still
  // holds the connection, or the socket's buffer is full): then an async_write_some of the same
  // `data` finishes the job, sending first what was sealed and not yet sent. An error leaves
  // the stream unusable. Call only with no write in flight, on the socket's executor.
  Result<size_t> WriteNow(boost::asio::const_buffer data);

  // Decrypted octets held, which the next read returns without touching the socket.
  size_t pending() const;
  // True when only the socket can make this stream readable: on our own record layer, with no
  // decrypted octets and no whole record held. A wait on next_layer() for reading is then the
  // same as async_wait_readable (with no composed operation around it, so it holds less).
  bool SocketWaitSuffices() const;
  // Negotiated protocol and cipher, e.g. "TLSv1.3 TLS_AES_256_GCM_SHA384".
  std::string Description() const;
  // Makes pending operations complete with operation_aborted; the connection stays usable. Use
  // this rather than next_layer().cancel(), which cannot tell itself apart from a wake.
  void cancel();

 private:
  // What an SSL call came to: done (with `error` and `octets`), or wanting the socket to
  // become readable or writable before it is tried again.
  enum class Want { kNothing, kRead, kWrite };
  struct Attempt {
    Want want = Want::kNothing;
    ErrorCode error;
    size_t octets = 0;
  };

  // One try of each kind of operation; they live in tls_socket.cc.
  Attempt Handshake(HandshakeType type, bool& started);
  Attempt Read(boost::asio::mutable_buffer buffer);
  Attempt Write(boost::asio::const_buffer buffer);
  Attempt Readable(bool socket_readable);
  bool RecordsReadable() const;  // on the record layer: decrypted octets or a whole record held

  struct HandshakeCall {
    HandshakeType type;
    bool started = false;
    Attempt operator()(TlsSocket& tls, bool) { return tls.Handshake(type, started); }
  };
  struct ReadCall {
    boost::asio::mutable_buffer buffer;
    Attempt operator()(TlsSocket& tls, bool) { return tls.Read(buffer); }
  };
  struct WriteCall {
    boost::asio::const_buffer buffer;
    Attempt operator()(TlsSocket& tls, bool) { return tls.Write(buffer); }
  };
  struct ReadableCall {
    Attempt operator()(TlsSocket& tls, bool socket_readable) {
      return tls.Readable(socket_readable);
    }
  };

  template <class Call>
  class Operation;

  template <class Signature, class Call, class Token>
  auto Start(Call call, Token& token) {
    return boost::asio::async_compose<Token, Signature>(Operation<Call>(*this, std::move(call)),
                                                        token, socket_);
  }

  // OpenSSL takes one buffer per call, as asio::ssl::stream does.
  template <class Buffer, class Buffers>
  static Buffer FirstBuffer(const Buffers& buffers) {
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers); ++it) {
      Buffer buffer(*it);
      if (buffer.size() > 0) return buffer;
    }
    return Buffer();
  }

  // A socket wait has ended with operation_aborted: true when only a wake caused that, so the
  // operation should try again rather than complete.
  struct WaitMark {
    uint32_t wakes = 0;
    uint32_t cancels = 0;
  };
  WaitMark BeginWait();
  ErrorCode Unusable() const;  // why no SSL call may be made now, if one may not
  // After a server handshake: leaves OpenSSL for Tls13Records when the connection allows it.
  void LeaveOpenSsl();
  Attempt ReadRecords(boost::asio::mutable_buffer buffer);
  Attempt WriteRecords(boost::asio::const_buffer buffer);
  Attempt SendRecords();  // sends what `records_->out` holds
  uint64_t BeforeCall();  // returns the octets OpenSSL has read off the socket so far
  bool WasWoken(WaitMark mark);
  // Wakes waiting operations if the SSL call just made took octets off the socket.
  void Wake(uint64_t octets_read_before);
  // Turns an SSL call's result into an Attempt.
  Attempt Finish(int result, size_t octets, uint64_t octets_read_before);

  next_layer_type socket_;
  SSL* ssl_ = nullptr;                // owned; reads and writes socket_'s descriptor
  struct Secrets;                     // captured during the handshake
  std::unique_ptr<Secrets> secrets_;  // null when the context was not prepared
  struct Records;                     // the record layer that replaces ssl_
  std::unique_ptr<Records> records_;
  // Socket waits in progress, and how often they were woken or cancelled: see WasWoken.
  uint32_t waiting_ = 0;
  uint32_t wakes_ = 0;
  uint32_t cancels_ = 0;
};

// Tries `Call` until it is done, waiting for the socket in between. A composed operation: it
// completes through the handler's executor, never inside the initiating function.
template <class Call>
class TlsSocket::Operation {
 public:
  Operation(TlsSocket& tls, Call call) : tls_(&tls), call_(std::move(call)) {}

  // Started, or resumed by the post that delivers a result found at once.
  template <class Self>
  void operator()(Self& self) {
    if (done_) return Complete(self);
    Try(self, false, true);
  }

  // The socket wait has ended.
  template <class Self>
  void operator()(Self& self, ErrorCode ec) {
    --tls_->waiting_;
    if (ec == boost::asio::error::operation_aborted && tls_->WasWoken(mark_)) {
      Try(self, false, false);
    } else if (ec) {
      result_.error = ec;
      Complete(self);
    } else {
      Try(self, true, false);
    }
  }

 private:
  template <class Self>
  void Try(Self& self, bool socket_ready, bool initiating) {
    Attempt attempt = call_(*tls_, socket_ready);
    if (attempt.want == Want::kNothing) {
      result_ = attempt;
      if (!initiating) return Complete(self);
      done_ = true;
      auto executor = tls_->get_executor();
      boost::asio::post(executor, std::move(self));
      return;
    }
    mark_ = tls_->BeginWait();
    auto wait = attempt.want == Want::kRead ? boost::asio::socket_base::wait_read
                                            : boost::asio::socket_base::wait_write;
    tls_->socket_.async_wait(wait, std::move(self));
  }

  template <class Self>
  void Complete(Self& self) {
    if constexpr (std::is_same_v<Call, ReadCall> || std::is_same_v<Call, WriteCall>) {
      self.complete(result_.error, result_.octets);
    } else {
      self.complete(result_.error);
    }
  }

  TlsSocket* tls_;
  Call call_;
  Attempt result_;
  WaitMark mark_;
  bool done_ = false;
};

}  // namespace pushmail::net
