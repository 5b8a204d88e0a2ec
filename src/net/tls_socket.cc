#include "net/tls_socket.h"

#include <openssl/err.h>

#include <boost/asio/ssl/error.hpp>
#include <cerrno>
#include <utility>

namespace pushmail::net {

namespace asio = boost::asio;

namespace {

uint64_t OctetsRead(SSL* ssl) { return BIO_number_read(SSL_get_rbio(ssl)); }

// The error a failed call left on OpenSSL's queue. The queue is per thread and shared by every
// connection on the worker, so it is left empty.
ErrorCode QueuedError() {
  unsigned long error = ERR_get_error();
  ERR_clear_error();
  if (ERR_GET_LIB(error) == ERR_LIB_SSL &&
      ERR_GET_REASON(error) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
    return asio::ssl::error::stream_truncated;  // what asio::ssl::stream reports
  }
  return {static_cast<int>(error), asio::error::get_ssl_category()};
}

}  // namespace

TlsSocket::TlsSocket(next_layer_type socket, asio::ssl::context& context)
    : socket_(std::move(socket)), ssl_(SSL_new(context.native_handle())) {
  ErrorCode ignored;
  socket_.non_blocking(true, ignored);  // OpenSSL must meet EAGAIN, never block the worker
  if (!ssl_ || SSL_set_fd(ssl_, static_cast<int>(socket_.native_handle())) != 1) {
    SSL_free(ssl_);
    ssl_ = nullptr;
    ERR_clear_error();
    return;
  }
  // Partial writes make a write complete per record sent, as a socket's write_some does, so a
  // full socket never leaves written records unreported. Buffers are released when idle
  // whatever the context says: that is this class's reason to exist.
  SSL_set_mode(ssl_,
               SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_RELEASE_BUFFERS | SSL_MODE_AUTO_RETRY);
}

TlsSocket::~TlsSocket() { SSL_free(ssl_); }

TlsSocket::TlsSocket(TlsSocket&& other) noexcept
    : socket_(std::move(other.socket_)),
      ssl_(std::exchange(other.ssl_, nullptr)),
      waiting_(other.waiting_),
      wakes_(other.wakes_),
      cancels_(other.cancels_) {}

TlsSocket& TlsSocket::operator=(TlsSocket&& other) noexcept {
  if (this == &other) return *this;
  SSL_free(std::exchange(ssl_, std::exchange(other.ssl_, nullptr)));
  socket_ = std::move(other.socket_);
  waiting_ = other.waiting_;
  wakes_ = other.wakes_;
  cancels_ = other.cancels_;
  return *this;
}

size_t TlsSocket::pending() const { return ssl_ ? static_cast<size_t>(SSL_pending(ssl_)) : 0; }

std::string TlsSocket::Description() const {
  if (!ssl_) return {};
  return std::string(SSL_get_version(ssl_)) + " " + SSL_get_cipher_name(ssl_);
}

void TlsSocket::cancel() {
  ++cancels_;
  ErrorCode ignored;
  socket_.cancel(ignored);
}

ErrorCode TlsSocket::Unusable() const {
  if (!ssl_) return asio::error::no_memory;
  // After a close the descriptor's number may already belong to another connection.
  if (!socket_.is_open()) return asio::error::bad_descriptor;
  return {};
}

TlsSocket::Attempt TlsSocket::Handshake(HandshakeType type, bool& started) {
  if (ErrorCode broken = Unusable()) return {Want::kNothing, broken};
  if (!std::exchange(started, true)) {
    if (type == asio::ssl::stream_base::server) {
      SSL_set_accept_state(ssl_);
    } else {
      SSL_set_connect_state(ssl_);
    }
  }
  uint64_t before = BeforeCall();
  return Finish(SSL_do_handshake(ssl_), 0, before);
}

TlsSocket::Attempt TlsSocket::Read(asio::mutable_buffer buffer) {
  if (buffer.size() == 0) return {};
  if (ErrorCode broken = Unusable()) return {Want::kNothing, broken};
  uint64_t before = BeforeCall();
  size_t octets = 0;
  int result = SSL_read_ex(ssl_, buffer.data(), buffer.size(), &octets);
  return Finish(result, octets, before);
}

TlsSocket::Attempt TlsSocket::Write(asio::const_buffer buffer) {
  if (buffer.size() == 0) return {};
  if (ErrorCode broken = Unusable()) return {Want::kNothing, broken};
  uint64_t before = BeforeCall();
  size_t octets = 0;
  int result = SSL_write_ex(ssl_, buffer.data(), buffer.size(), &octets);
  return Finish(result, octets, before);
}

TlsSocket::Attempt TlsSocket::Readable(bool socket_readable) {
  if (ErrorCode broken = Unusable()) return {Want::kNothing, broken};
  // SSL_has_pending, not SSL_pending: after a write took octets off the socket they may sit in
  // OpenSSL undecrypted. Without read-ahead that is otherwise only the start of a record whose
  // rest the socket will signal, so it costs at most an early wake.
  if (socket_readable || SSL_has_pending(ssl_)) return {};
  return {Want::kRead};
}

uint64_t TlsSocket::BeforeCall() {
  // Both are read after the call to tell what went wrong: neither may hold an older story.
  ERR_clear_error();
  errno = 0;
  return OctetsRead(ssl_);
}

TlsSocket::Attempt TlsSocket::Finish(int result, size_t octets, uint64_t octets_read_before) {
  int system_error = errno;
  Attempt attempt;
  if (result == 1) {
    attempt.octets = octets;
  } else {
    switch (SSL_get_error(ssl_, result)) {
      case SSL_ERROR_WANT_READ:
        attempt.want = Want::kRead;
        break;
      case SSL_ERROR_WANT_WRITE:
        attempt.want = Want::kWrite;
        break;
      case SSL_ERROR_ZERO_RETURN:  // the peer's close_notify
        attempt.error = asio::error::eof;
        break;
      case SSL_ERROR_SYSCALL:
        if (ERR_peek_error() != 0) {
          attempt.error = QueuedError();
        } else if (system_error != 0) {
          attempt.error = ErrorCode(system_error, boost::system::system_category());
        } else {
          attempt.error = asio::ssl::error::stream_truncated;
        }
        break;
      case SSL_ERROR_SSL:
        attempt.error = QueuedError();
        break;
      default:  // X509 lookups, async engines: never asked for
        attempt.error = asio::error::operation_not_supported;
        ERR_clear_error();
    }
  }
  Wake(octets_read_before);
  return attempt;
}

void TlsSocket::Wake(uint64_t octets_read_before) {
  if (waiting_ == 0 || OctetsRead(ssl_) == octets_read_before) return;
  ++wakes_;
  ErrorCode ignored;
  socket_.cancel(ignored);
}

TlsSocket::WaitMark TlsSocket::BeginWait() {
  ++waiting_;
  return {wakes_, cancels_};
}

bool TlsSocket::WasWoken(WaitMark mark) {
  return mark.wakes != wakes_ && mark.cancels == cancels_ && socket_.is_open();
}

}  // namespace pushmail::net
