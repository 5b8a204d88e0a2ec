#include "fleet.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace pushmail::bench {

std::string BenchUser(size_t account) {
  return "bench" + std::to_string(account) + "@example.test";
}

namespace {

std::string TlsError() {
  unsigned long e = ERR_get_error();
  if (e == 0) return "TLS: connection failed";
  char text[256];
  ERR_error_string_n(e, text, sizeof text);
  return std::string("TLS: ") + text;
}

const char* PhaseName(Phase p) {
  switch (p) {
    case Phase::kConnecting:
      return "connect";
    case Phase::kHandshake:
      return "TLS handshake";
    case Phase::kSetup:
      return "setup";
    case Phase::kIdle:
      return "idle";
    case Phase::kClosed:
      break;
  }
  return "closed";
}

}  // namespace

int64_t RealtimeNs() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec * 1'000'000'000LL + ts.tv_nsec;
}

// Reads what `fd` holds into `buf`. `stamp_ns` gets the kernel's receive time of the octets,
// or the client's clock when the kernel gave none (then `stamped` is false).
ssize_t ReceiveStamped(int fd, char* buf, size_t size, int64_t& stamp_ns, bool& stamped) {
  iovec iov{buf, size};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec)) * 2];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n = recvmsg(fd, &msg, 0);
  stamped = false;
  stamp_ns = RealtimeNs();
  if (n <= 0) return n;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      timespec ts{};
      std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
      stamp_ns = ts.tv_sec * 1'000'000'000LL + ts.tv_nsec;
      stamped = true;
    }
  }
  return n;
}

SSL_CTX* MakeClientContext() {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);  // the server's certificate is self-signed
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  return ctx;
}

Fleet::Fleet(Protocol& protocol, uint16_t port, SSL_CTX* tls, size_t capacity, size_t accounts)
    : protocol_(protocol),
      epoll_(epoll_create1(EPOLL_CLOEXEC)),
      port_(port),
      tls_(tls),
      conns_(capacity),
      idle_by_account_(accounts),
      counters_(accounts) {}

Fleet::~Fleet() {
  for (size_t i = 0; i < conns_.size(); ++i) Close(i);
  close(epoll_);
}

bool Fleet::Open(size_t index, uint32_t source) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    ++failures_[std::string("socket: ") + std::strerror(errno)];
    return false;
  }
  Conn& c = conns_[index];
  c.fd = fd;
  c.phase = Phase::kConnecting;
  c.account = index % idle_by_account_.size();
  ++setting_up_;
  int one = 1;
  // The port is chosen at connect, per destination: sources then share the ephemeral range.
  setsockopt(fd, SOL_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
  sockaddr_in from{};
  from.sin_family = AF_INET;
  from.sin_addr.s_addr = htonl(source);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port_);
  to.sin_addr.s_addr = htonl(kLoopback);
  if (bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
      (connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0 && errno != EINPROGRESS)) {
    Fail(index, std::string("connect: ") + std::strerror(errno));
    return true;
  }
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT;
  ev.data.u64 = index;
  epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
  c.watch_out = true;
  return true;
}

void Fleet::Pump(int timeout_ms) {
  epoll_event events[512];
  int n = epoll_wait(epoll_, events, 512, timeout_ms);
  for (int k = 0; k < n; ++k) OnEvent(events[k].data.u64, events[k].events);
}

void Fleet::Close(size_t i) {
  Conn& c = conns_[i];
  if (c.phase == Phase::kClosed) return;
  if (c.phase == Phase::kIdle) {
    --idle_;
    --idle_by_account_[c.account];
  } else {
    --setting_up_;
  }
  close(c.fd);
  SSL_free(c.ssl);
  c = Conn{};
}

size_t Fleet::CloseUnfinished() {
  size_t n = 0;
  for (size_t i = 0; i < conns_.size(); ++i) {
    if (conns_[i].phase != Phase::kClosed && conns_[i].phase != Phase::kIdle) {
      ++failures_["still in " + Where(i) + " at the deadline"];
      Close(i);
      ++n;
    }
  }
  return n;
}

void Fleet::BeginRound(size_t account, int64_t acked_ns, std::vector<double>* kernel_ms,
                       std::vector<double>* client_ms) {
  round_ =
      Round{round_.number + 1, account,  counters_[account] + 1, acked_ns, RealtimeNs(), 0, 0, 0,
            kernel_ms,         client_ms};
}

void Fleet::OnEvent(size_t i, uint32_t events) {
  Conn& c = conns_[i];
  if (c.phase == Phase::kClosed) return;
  if (c.phase == Phase::kConnecting) {
    int error = 0;
    socklen_t len = sizeof error;
    getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &error, &len);
    if (error != 0) {
      Fail(i, std::string("connect: ") + std::strerror(error));
    } else if (events & (EPOLLOUT | EPOLLIN)) {
      OnConnected(i);
    }
    return;
  }
  if (events & EPOLLOUT) Flush(c);
  if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) OnReadable(i);
}

void Fleet::OnConnected(size_t i) {
  Conn& c = conns_[i];
  if (!tls_) {
    c.phase = Phase::kSetup;
    Watch(c, false);
    protocol_.Start(*this, i);
    return;
  }
  c.phase = Phase::kHandshake;
  c.ssl = SSL_new(tls_);
  SSL_set_bio(c.ssl, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
  SSL_set_connect_state(c.ssl);
  Handshake(i);
}

void Fleet::OnReadable(size_t i) {
  Conn& c = conns_[i];
  char buf[16384];
  bool stamped = false;
  ssize_t n = ReceiveStamped(c.fd, buf, sizeof buf, c.stamp_ns, stamped);
  read_ns_ = RealtimeNs();
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) {
    std::string why = n == 0 ? "closed by the server" : std::strerror(errno);
    Fail(i, Where(i) + ": " + why);
    return;
  }
  if (!stamped) ++unstamped_;
  if (!c.ssl) {
    c.in.append(buf, static_cast<size_t>(n));
  } else {
    BIO_write(SSL_get_rbio(c.ssl), buf, static_cast<int>(n));
    if (!Decrypt(i)) return;
  }
  protocol_.OnInput(*this, i);
  if (c.phase != Phase::kClosed && c.in.size() > 65536) {
    Fail(i, Where(i) + ": 64 KiB of input not consumed");
  }
}

// Drives the TLS handshake; false when it failed (the connection is closed).
bool Fleet::Handshake(size_t i) {
  Conn& c = conns_[i];
  int r = SSL_do_handshake(c.ssl);
  int error = r == 1 ? SSL_ERROR_NONE : SSL_get_error(c.ssl, r);
  if (r == 1) c.phase = Phase::kSetup;
  if (r == 1 || error == SSL_ERROR_WANT_READ) {
    FlushTls(c);
    if (r == 1) protocol_.Start(*this, i);
    return true;
  }
  Fail(i, TlsError());
  return false;
}

// Moves the plaintext the TLS records in hand hold into `in`; false when the connection failed.
bool Fleet::Decrypt(size_t i) {
  Conn& c = conns_[i];
  if (c.phase == Phase::kHandshake && (!Handshake(i) || c.phase == Phase::kHandshake)) {
    return c.phase != Phase::kClosed;
  }
  char buf[16384];
  for (;;) {
    int n = SSL_read(c.ssl, buf, sizeof buf);
    if (n > 0) {
      c.in.append(buf, static_cast<size_t>(n));
      continue;
    }
    int error = SSL_get_error(c.ssl, n);
    if (error == SSL_ERROR_WANT_READ) break;
    Fail(i, error == SSL_ERROR_ZERO_RETURN ? std::string("TLS closed by the server") : TlsError());
    return false;
  }
  FlushTls(c);
  return true;
}

void Fleet::BecomeIdle(size_t i) {
  Conn& c = conns_[i];
  if (c.phase != Phase::kSetup) return;
  c.phase = Phase::kIdle;
  --setting_up_;
  ++idle_;
  ++idle_by_account_[c.account];
}

std::string Fleet::Where(size_t i) const {
  const Conn& c = conns_[i];
  if (c.phase == Phase::kSetup) return std::string(protocol_.StepName(c.step));
  return PhaseName(c.phase);
}

void Fleet::Notified(size_t i, long n) {
  Conn& c = conns_[i];
  counters_[c.account] = std::max(counters_[c.account], n);
  if (c.phase != Phase::kIdle || c.account != round_.account || c.round >= round_.number ||
      n < round_.expect) {
    return;
  }
  c.round = round_.number;
  ++round_.notified;
  round_.last_ns = std::max(round_.last_ns, c.stamp_ns);
  round_.first_ns = round_.first_ns == 0 ? c.stamp_ns : std::min(round_.first_ns, c.stamp_ns);
  if (c.stamp_ns < round_.acked_ns) ++early_;
  if (round_.kernel_ms) {
    round_.kernel_ms->push_back(static_cast<double>(c.stamp_ns - round_.acked_ns) / 1e6);
    round_.client_ms->push_back(static_cast<double>(read_ns_ - round_.acked_read_ns) / 1e6);
  }
}

void Fleet::Send(size_t i, std::string_view text) {
  Conn& c = conns_[i];
  if (c.ssl) {
    SSL_write(c.ssl, text.data(), static_cast<int>(text.size()));  // into a memory BIO
    FlushTls(c);
  } else {
    c.out += text;
    Flush(c);
  }
}

void Fleet::FlushTls(Conn& c) {
  char buf[16384];
  for (int n; (n = BIO_read(SSL_get_wbio(c.ssl), buf, sizeof buf)) > 0;) {
    c.out.append(buf, static_cast<size_t>(n));
  }
  Flush(c);
}

// Writes what it can; a failed write is left for the read side to report.
void Fleet::Flush(Conn& c) {
  while (!c.out.empty()) {
    ssize_t n = send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno != EAGAIN && errno != EINTR) c.out.clear();
      break;
    }
    c.out.erase(0, static_cast<size_t>(n));
  }
  Watch(c, !c.out.empty());
}

void Fleet::Watch(Conn& c, bool out) {
  if (c.watch_out == out) return;
  c.watch_out = out;
  epoll_event ev{};
  ev.events = EPOLLIN | (out ? EPOLLOUT : 0u);
  ev.data.u64 = static_cast<uint64_t>(&c - conns_.data());
  epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &ev);
}

void Fleet::Fail(size_t i, std::string reason) {
  ++failures_[reason];
  Close(i);
}

SmtpClient::~SmtpClient() {
  if (fd_ >= 0) close(fd_);
}

bool SmtpClient::Open(uint16_t port, std::string& error) {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd_, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
  timeval timeout{30, 0};
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(kLoopback);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    error = std::string("SMTP connect: ") + std::strerror(errno);
    return false;
  }
  std::string greeting;
  if (Reply(greeting) != 220) {
    error = "SMTP greeting: " + greeting;
    return false;
  }
  return Command("EHLO bench\r\n", 250, error);
}

int64_t SmtpClient::Deliver(const std::string& to, int number, std::string& error) {
  std::string body = "From: load@remote.example\r\nTo: " + to + "\r\nSubject: ping " +
                     std::to_string(number) + "\r\n\r\nping\r\n.\r\n";
  bool ok = Command("MAIL FROM:<load@remote.example>\r\n", 250, error) &&
            Command("RCPT TO:<" + to + ">\r\n", 250, error) && Command("DATA\r\n", 354, error) &&
            Command(body, 250, error);
  return ok ? stamp_ns_ : 0;
}

bool SmtpClient::Command(const std::string& text, int want, std::string& error) {
  if (send(fd_, text.data(), text.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(text.size())) {
    error = std::string("SMTP send: ") + std::strerror(errno);
    return false;
  }
  std::string reply;
  if (Reply(reply) == want) return true;
  error = "SMTP: " + text.substr(0, text.find('\r')) + " -> " + reply;
  return false;
}

// Reads one whole reply; returns its code, or -1 when the connection failed.
int SmtpClient::Reply(std::string& reply) {
  for (;;) {
    for (size_t pos = 0, eol; (eol = buf_.find("\r\n", pos)) != buf_.npos; pos = eol + 2) {
      if (eol - pos >= 4 && buf_[pos + 3] == ' ') {
        reply = buf_.substr(pos, eol - pos);
        buf_.erase(0, eol + 2);
        return std::atoi(reply.c_str());
      }
    }
    char tmp[4096];
    bool stamped = false;
    ssize_t n = ReceiveStamped(fd_, tmp, sizeof tmp, stamp_ns_, stamped);
    if (n <= 0) {
      reply = n == 0 ? "connection closed" : std::strerror(errno);
      return -1;
    }
    buf_.append(tmp, static_cast<size_t>(n));
  }
}

}  // namespace pushmail::bench
