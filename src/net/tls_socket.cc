#include "net/tls_socket.h"

#include <openssl/err.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/ssl/error.hpp>
#include <cerrno>
#include <cstring>
#include <utility>

#include "net/tls_records.h"

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

// Where an SSL object finds its socket's Secrets.
int SecretsIndex() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// What a released string costs: nothing, which `clear()` does not promise.
void Release(std::string& s) { std::string().swap(s); }

}  // namespace

// The application traffic secrets, from the key log lines OpenSSL hands the callback.
struct TlsSocket::Secrets {
  std::string client;  // CLIENT_TRAFFIC_SECRET_0
  std::string server;  // SERVER_TRAFFIC_SECRET_0

  static void KeyLog(const SSL* ssl, const char* line) {
    auto* self = static_cast<Secrets*>(SSL_get_ex_data(ssl, SecretsIndex()));
    if (!self) return;
    // "LABEL <client random in hex> <secret in hex>"
    std::string_view text(line);
    size_t first = text.find(' ');
    size_t second = text.find(' ', first == text.npos ? first : first + 1);
    if (second == text.npos) return;
    std::string_view label = text.substr(0, first);
    std::string* into = label == "CLIENT_TRAFFIC_SECRET_0"   ? &self->client
                        : label == "SERVER_TRAFFIC_SECRET_0" ? &self->server
                                                             : nullptr;
    if (!into) return;
    std::string_view hex = text.substr(second + 1);
    into->clear();
    for (size_t i = 0; i + 1 < hex.size(); i += 2) {
      unsigned value = 0;
      if (std::sscanf(std::string(hex.substr(i, 2)).c_str(), "%2x", &value) != 1) return;
      *into += static_cast<char>(value);
    }
  }
};

// The record layer, and the octets in flight through it. Every buffer is empty (and holds no
// memory) between operations unless a record or a write is half done.
struct TlsSocket::Records {
  Tls13Records tls;
  const char* cipher = "";  // OpenSSL's static name of the suite
  std::string in;           // a record being received, header first
  std::string plain;        // decrypted octets not yet read
  size_t plain_at = 0;
  std::string out;  // sealed records not yet written
  size_t out_at = 0;
  size_t out_plain = 0;  // what the records in `out` carry
};

void TlsSocket::PrepareContext(SSL_CTX* context) {
  SSL_CTX_set_keylog_callback(context, &Secrets::KeyLog);
  SSL_CTX_set_num_tickets(context, 0);
}

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
  if (SSL_CTX_get_keylog_callback(context.native_handle()) == &Secrets::KeyLog) {
    secrets_ = std::make_unique<Secrets>();
    SSL_set_ex_data(ssl_, SecretsIndex(), secrets_.get());
  }
}

TlsSocket::~TlsSocket() { SSL_free(ssl_); }

TlsSocket::TlsSocket(TlsSocket&& other) noexcept
    : socket_(std::move(other.socket_)),
      ssl_(std::exchange(other.ssl_, nullptr)),
      secrets_(std::move(other.secrets_)),
      records_(std::move(other.records_)),
      waiting_(other.waiting_),
      wakes_(other.wakes_),
      cancels_(other.cancels_) {}

TlsSocket& TlsSocket::operator=(TlsSocket&& other) noexcept {
  if (this == &other) return *this;
  SSL_free(std::exchange(ssl_, std::exchange(other.ssl_, nullptr)));
  secrets_ = std::move(other.secrets_);
  records_ = std::move(other.records_);
  socket_ = std::move(other.socket_);
  waiting_ = other.waiting_;
  wakes_ = other.wakes_;
  cancels_ = other.cancels_;
  return *this;
}

size_t TlsSocket::pending() const {
  if (records_) return records_->plain.size() - records_->plain_at;
  return ssl_ ? static_cast<size_t>(SSL_pending(ssl_)) : 0;
}

std::string TlsSocket::Description() const {
  if (records_) return std::string("TLSv1.3 ") + records_->cipher;
  if (!ssl_) return {};
  return std::string(SSL_get_version(ssl_)) + " " + SSL_get_cipher_name(ssl_);
}

void TlsSocket::cancel() {
  ++cancels_;
  ErrorCode ignored;
  socket_.cancel(ignored);
}

ErrorCode TlsSocket::Unusable() const {
  if (!ssl_ && !records_) return asio::error::no_memory;
  // After a close the descriptor's number may already belong to another connection.
  if (!socket_.is_open()) return asio::error::bad_descriptor;
  return {};
}

TlsSocket::Attempt TlsSocket::Handshake(HandshakeType type, bool& started) {
  if (ErrorCode broken = Unusable()) return {Want::kNothing, broken};
  if (records_) return {};  // a second handshake on a finished one: nothing to do
  if (!std::exchange(started, true)) {
    if (type == asio::ssl::stream_base::server) {
      SSL_set_accept_state(ssl_);
    } else {
      SSL_set_connect_state(ssl_);
    }
  }
  uint64_t before = BeforeCall();
  Attempt attempt = Finish(SSL_do_handshake(ssl_), 0, before);
  if (attempt.want == Want::kNothing && !attempt.error) {
    if (type == asio::ssl::stream_base::server) LeaveOpenSsl();
    secrets_.reset();
  }
  return attempt;
}

void TlsSocket::LeaveOpenSsl() {
  // Only with both secrets, TLS 1.3, and nothing OpenSSL has read but not yet handed out.
  if (!secrets_ || secrets_->client.empty() || secrets_->server.empty() ||
      SSL_version(ssl_) != TLS1_3_VERSION || SSL_has_pending(ssl_)) {
    return;
  }
  const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl_);
  if (!cipher) return;
  auto suite = static_cast<uint16_t>(SSL_CIPHER_get_protocol_id(cipher));
  auto tls = Tls13Records::Make(suite, secrets_->client, secrets_->server);
  if (!tls) return;
  records_ = std::make_unique<Records>(Records{*tls, SSL_CIPHER_get_name(cipher)});
  // Freed without SSL_shutdown: that would send close_notify.
  SSL_free(std::exchange(ssl_, nullptr));
}

TlsSocket::Attempt TlsSocket::Read(asio::mutable_buffer buffer) {
  if (buffer.size() == 0) return {};
  if (ErrorCode broken = Unusable()) return {Want::kNothing, broken};
  if (records_) return ReadRecords(buffer);
  uint64_t before = BeforeCall();
  size_t octets = 0;
  int result = SSL_read_ex(ssl_, buffer.data(), buffer.size(), &octets);
  return Finish(result, octets, before);
}

TlsSocket::Attempt TlsSocket::Write(asio::const_buffer buffer) {
  if (buffer.size() == 0) return {};
  if (ErrorCode broken = Unusable()) return {Want::kNothing, broken};
  if (records_) return WriteRecords(buffer);
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
  if (records_) {
    if (socket_readable || RecordsReadable()) return {};
    return {Want::kRead};
  }
  if (socket_readable || SSL_has_pending(ssl_)) return {};
  return {Want::kRead};
}

bool TlsSocket::RecordsReadable() const {
  if (pending() > 0) return true;
  // A whole record held counts as readable; part of one waits for the rest on the socket.
  const std::string& in = records_->in;
  if (in.size() < Tls13Records::kHeaderSize) return false;
  auto size = Tls13Records::RecordSize(in);
  return !size || in.size() >= *size;  // a bad header is for the read to report
}

bool TlsSocket::SocketWaitSuffices() const { return records_ && !RecordsReadable(); }

TlsSocket::Attempt TlsSocket::ReadRecords(asio::mutable_buffer buffer) {
  Records& r = *records_;
  auto hand_out = [&]() -> Attempt {
    size_t n = std::min(buffer.size(), r.plain.size() - r.plain_at);
    std::memcpy(buffer.data(), r.plain.data() + r.plain_at, n);
    r.plain_at += n;
    if (r.plain_at == r.plain.size()) {
      Release(r.plain);
      r.plain_at = 0;
    }
    return {Want::kNothing, {}, n};
  };
  if (pending() > 0) return hand_out();
  int fd = static_cast<int>(socket_.native_handle());
  for (;;) {
    size_t need = Tls13Records::kHeaderSize;
    if (r.in.size() >= need) {
      auto size = Tls13Records::RecordSize(r.in);
      if (!size) return {Want::kNothing, size.error()};
      need = *size;
    }
    if (r.in.size() < need) {
      size_t had = r.in.size();
      r.in.resize(need);
      ssize_t got = ::recv(fd, r.in.data() + had, need - had, 0);
      int error = errno;
      r.in.resize(had + static_cast<size_t>(std::max<ssize_t>(got, 0)));
      if (got == 0) return {Want::kNothing, asio::ssl::error::stream_truncated};
      if (got < 0 && (error == EAGAIN || error == EWOULDBLOCK)) {
        if (r.in.empty()) Release(r.in);
        return {Want::kRead};
      }
      if (got < 0 && error == EINTR) continue;
      if (got < 0) return {Want::kNothing, ErrorCode(error, boost::system::system_category())};
      continue;
    }
    auto opened = r.tls.Open(std::span<char>(r.in.data(), r.in.size()));
    if (!opened) return {Want::kNothing, opened.error()};
    if (opened->kind == Tls13Records::Received::kClosed) return {Want::kNothing, asio::error::eof};
    if (opened->kind == Tls13Records::Received::kData) {
      // Decrypted in place: the record's buffer becomes the plaintext's.
      size_t offset = static_cast<size_t>(opened->data.data() - r.in.data());
      r.in.resize(offset + opened->data.size());
      r.plain = std::move(r.in);
      r.plain_at = offset;
      Release(r.in);
      return hand_out();
    }
    Release(r.in);
  }
}

TlsSocket::Attempt TlsSocket::WriteRecords(asio::const_buffer buffer) {
  Records& r = *records_;
  if (!r.out.empty()) return SendRecords();  // finishing a write begun earlier
  // Up to four full records a call: one send for a large response rather than one each. They
  // are sealed into a buffer the thread's connections share; only what the socket does not
  // take at once is kept, in `out`.
  thread_local std::string sealed;
  size_t n = std::min(buffer.size(), 4 * Tls13Records::kMaxPlain);
  sealed.clear();
  r.tls.Seal(std::string_view(static_cast<const char*>(buffer.data()), n), sealed);
  int fd = static_cast<int>(socket_.native_handle());
  size_t at = 0;
  while (at < sealed.size()) {
    ssize_t sent = ::send(fd, sealed.data() + at, sealed.size() - at, MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      return {Want::kNothing, ErrorCode(errno, boost::system::system_category())};
    }
    if (sent < 0) break;
    at += static_cast<size_t>(sent);
  }
  if (at == sealed.size()) return {Want::kNothing, {}, n};
  r.out.assign(sealed, at);
  r.out_at = 0;
  r.out_plain = n;
  return {Want::kWrite};
}

TlsSocket::Attempt TlsSocket::SendRecords() {
  Records& r = *records_;
  int fd = static_cast<int>(socket_.native_handle());
  while (r.out_at < r.out.size()) {
    ssize_t sent = ::send(fd, r.out.data() + r.out_at, r.out.size() - r.out_at, MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return {Want::kWrite};
    if (sent < 0) return {Want::kNothing, ErrorCode(errno, boost::system::system_category())};
    r.out_at += static_cast<size_t>(sent);
  }
  Release(r.out);
  r.out_at = 0;
  return {Want::kNothing, {}, r.out_plain};
}

Result<size_t> TlsSocket::WriteNow(asio::const_buffer data) {
  if (!records_ || !records_->out.empty() || data.size() > 4 * Tls13Records::kMaxPlain) {
    return size_t{0};
  }
  if (ErrorCode broken = Unusable()) return broken;
  Attempt attempt = WriteRecords(data);
  if (attempt.error) return attempt.error;
  return attempt.want == Want::kNothing ? attempt.octets : size_t{0};
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
  if (waiting_ == 0 || !ssl_ || OctetsRead(ssl_) == octets_read_before) return;
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
