// bench/imap_idle: memory per idle IMAP connection, and SMTP 250 -> "* N EXISTS" latency.
//
// Starts the real pushmaild in a temp dir with A accounts and opens N IMAP connections from
// 127.0.0.1 ... K, connection i logging in to account i mod A, each doing LOGIN, SELECT INBOX and
// IDLE; the server's resident set and the kernel's socket memory are read before and after. Then
// it delivers M small messages over SMTP, one at a time, delivery d to account d mod A, and times
// the "* N EXISTS" of every idle connection of that account against the 250 that acknowledged the
// message. With A = N (the default) that is one device per user, all N connected; with A = 1
// every connection watches the one mailbox, which measures fan-out.
// Both ends of that interval are the kernel's receive timestamps (SO_TIMESTAMPNS): on loopback
// they say when the server wrote, not when this one-threaded client got round to reading, which
// is reported beside them. Reports figures; asserts nothing.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "bench_util.h"

namespace bench = pushmail::bench;
using Clock = std::chrono::steady_clock;

namespace {

std::string User(size_t account) { return "bench" + std::to_string(account) + "@example.test"; }
constexpr char kPassword[] = "pw";
constexpr size_t kWarmup = 4;       // log in, idle, see a delivery and leave before the baseline
constexpr size_t kPerSource = 190;  // the server allows 200 IMAP connections per address
constexpr size_t kPortsPerSource = 20000;  // of the ~28k ephemeral ports of one address
constexpr uint32_t kLoopback = 0x7f000001;

struct Options {
  std::string server;
  size_t connections = 10000;
  size_t accounts = 0;  // 0: one per connection
  size_t sources = 0;   // 0: enough for the per-address limit and the ephemeral ports
  int deliveries = 200;
  bool tls = false;
  size_t parallel = 64;  // connections between connect and IDLE at one time
  int deadline_s = 0;    // for opening the connections; 0: 300 s or 0.1 s per connection
  int settle_s = 2;
  int workers = 0;
};

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

bool ParseExists(std::string_view line, long& n) {
  constexpr std::string_view kSuffix = " EXISTS";
  if (!line.starts_with("* ") || !line.ends_with(kSuffix) || line.size() <= 2 + kSuffix.size())
    return false;
  std::string_view digits = line.substr(2, line.size() - 2 - kSuffix.size());
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  return ec == std::errc() && end == digits.data() + digits.size();
}

std::string TlsError() {
  unsigned long e = ERR_get_error();
  if (e == 0) return "TLS: connection failed";
  char text[256];
  ERR_error_string_n(e, text, sizeof text);
  return std::string("TLS: ") + text;
}

enum class Phase { kConnecting, kHandshake, kGreeting, kLogin, kSelect, kIdleWait, kIdle, kClosed };

const char* PhaseName(Phase p) {
  switch (p) {
    case Phase::kConnecting:
      return "connect";
    case Phase::kHandshake:
      return "TLS handshake";
    case Phase::kGreeting:
      return "greeting";
    case Phase::kLogin:
      return "LOGIN";
    case Phase::kSelect:
      return "SELECT";
    case Phase::kIdleWait:
      return "IDLE";
    case Phase::kIdle:
      return "idle";
    case Phase::kClosed:
      break;
  }
  return "closed";
}

struct Conn {
  int fd = -1;
  Phase phase = Phase::kClosed;
  bool watch_out = false;  // EPOLLOUT is asked for
  SSL* ssl = nullptr;      // with memory BIOs; `out` then holds ciphertext
  std::string in;          // received text not yet split into lines
  std::string out;         // octets not yet written to the socket
  int64_t stamp_ns = 0;    // kernel receive time of the latest octets
  int round = 0;           // the latest delivery this connection was notified of
  size_t account = 0;      // logs in to User(account)
};

// One delivery, as the fleet times it.
struct Round {
  int number = 0;
  size_t account = 0;                        // delivered to User(account)
  long exists = 0;                           // the EXISTS count that announces it
  int64_t acked_ns = 0;                      // kernel receive time of its SMTP 250
  int64_t acked_read_ns = 0;                 // when the client read that 250
  size_t notified = 0;                       // connections that have seen it
  int64_t last_ns = 0;                       // the latest of their receive times
  std::vector<double>* kernel_ms = nullptr;  // samples, 250 -> EXISTS by kernel stamps
  std::vector<double>* client_ms = nullptr;  // the same as this client read them
};

// Every IMAP connection, on one epoll loop (level-triggered). Not thread-safe.
class Fleet {
 public:
  Fleet(uint16_t port, SSL_CTX* tls, size_t capacity, size_t accounts)
      : epoll_(epoll_create1(EPOLL_CLOEXEC)),
        port_(port),
        tls_(tls),
        conns_(capacity),
        idle_by_account_(accounts),
        exists_(accounts) {}
  ~Fleet() {
    for (size_t i = 0; i < conns_.size(); ++i) Close(i);
    close(epoll_);
  }

  // Starts connection `index` from address `source`; false when no socket can be made.
  bool Open(size_t index, uint32_t source);
  // Waits up to `timeout_ms` for events and handles them.
  void Pump(int timeout_ms);
  void Close(size_t index);
  // Closes the connections still setting up; returns how many.
  size_t CloseUnfinished();
  // Times the next delivery, to `account`, on every idle connection of that account.
  void BeginRound(size_t account, int64_t acked_ns, std::vector<double>* kernel_ms,
                  std::vector<double>* client_ms);

  const Round& round() const { return round_; }
  size_t idle() const { return idle_; }
  size_t idle(size_t account) const { return idle_by_account_[account]; }
  size_t setting_up() const { return setting_up_; }
  size_t unstamped() const { return unstamped_; }
  size_t early() const { return early_; }
  const std::map<std::string, size_t>& failures() const { return failures_; }

 private:
  void OnEvent(size_t i, uint32_t events);
  void OnConnected(size_t i);
  void OnReadable(size_t i);
  bool Handshake(size_t i);
  bool Decrypt(size_t i);
  void OnLines(size_t i);
  void OnLine(size_t i, std::string_view line);
  void Expect(size_t i, std::string_view line, std::string_view tag, const char* next_command,
              Phase next);
  void OnExists(Conn& c, long n);
  void Send(Conn& c, std::string_view text);
  void FlushTls(Conn& c);
  void Flush(Conn& c);
  void Watch(Conn& c, bool out);
  void Fail(size_t i, std::string reason);

  int epoll_;
  uint16_t port_;
  SSL_CTX* tls_;
  std::vector<Conn> conns_;
  size_t idle_ = 0, setting_up_ = 0, unstamped_ = 0, early_ = 0;
  std::vector<size_t> idle_by_account_;
  std::vector<long> exists_;  // the highest EXISTS count seen, by account
  int64_t read_ns_ = 0;       // when the client read the octets in hand
  Round round_;
  std::map<std::string, size_t> failures_;  // reason -> connections
};

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
      ++failures_[std::string("still in ") + PhaseName(conns_[i].phase) + " at the deadline"];
      Close(i);
      ++n;
    }
  }
  return n;
}

void Fleet::BeginRound(size_t account, int64_t acked_ns, std::vector<double>* kernel_ms,
                       std::vector<double>* client_ms) {
  round_ = Round{round_.number + 1, account,  exists_[account] + 1, acked_ns, RealtimeNs(), 0, 0,
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
    c.phase = Phase::kGreeting;
    Watch(c, false);
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
    Fail(i, std::string(PhaseName(c.phase)) + ": " + why);
    return;
  }
  if (!stamped) ++unstamped_;
  if (!c.ssl) {
    c.in.append(buf, static_cast<size_t>(n));
  } else {
    BIO_write(SSL_get_rbio(c.ssl), buf, static_cast<int>(n));
    if (!Decrypt(i)) return;
  }
  if (c.in.size() > 65536) {
    Fail(i, std::string(PhaseName(c.phase)) + ": a line longer than 64 KiB");
    return;
  }
  OnLines(i);
}

// Drives the TLS handshake; false when it failed (the connection is closed).
bool Fleet::Handshake(size_t i) {
  Conn& c = conns_[i];
  int r = SSL_do_handshake(c.ssl);
  int error = r == 1 ? SSL_ERROR_NONE : SSL_get_error(c.ssl, r);
  if (r == 1) c.phase = Phase::kGreeting;
  if (r == 1 || error == SSL_ERROR_WANT_READ) {
    FlushTls(c);
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

void Fleet::OnLines(size_t i) {
  Conn& c = conns_[i];
  size_t pos = 0;
  for (size_t eol; c.phase != Phase::kClosed && (eol = c.in.find("\r\n", pos)) != c.in.npos;) {
    OnLine(i, std::string_view(c.in).substr(pos, eol - pos));
    pos = eol + 2;
  }
  if (c.phase != Phase::kClosed) c.in.erase(0, pos);
}

void Fleet::OnLine(size_t i, std::string_view line) {
  Conn& c = conns_[i];
  long n = 0;
  if (line.starts_with("* BYE")) {
    Fail(i, std::string(PhaseName(c.phase)) + ": " + std::string(line.substr(0, 80)));
  } else if (ParseExists(line, n)) {
    OnExists(c, n);
  } else if (c.phase == Phase::kGreeting && line.starts_with("* OK")) {
    Send(c, "a LOGIN " + User(c.account) + " " + kPassword + "\r\n");
    c.phase = Phase::kLogin;
  } else if (c.phase == Phase::kLogin) {
    Expect(i, line, "a ", "b SELECT INBOX\r\n", Phase::kSelect);
  } else if (c.phase == Phase::kSelect) {
    Expect(i, line, "b ", "c IDLE\r\n", Phase::kIdleWait);
  } else if (c.phase == Phase::kIdleWait && line.starts_with("+")) {
    c.phase = Phase::kIdle;
    --setting_up_;
    ++idle_;
    ++idle_by_account_[c.account];
  } else if (c.phase == Phase::kIdleWait && line.starts_with("c ")) {
    Fail(i, std::string("IDLE: ") + std::string(line.substr(0, 80)));
  }
}

// Sends `next_command` when `line` is the tagged OK for `tag`; a NO or BAD ends the connection.
void Fleet::Expect(size_t i, std::string_view line, std::string_view tag, const char* next_command,
                   Phase next) {
  Conn& c = conns_[i];
  if (!line.starts_with(tag)) return;
  if (line.substr(tag.size()).starts_with("OK")) {
    Send(c, next_command);
    c.phase = next;
  } else {
    Fail(i, std::string(PhaseName(c.phase)) + ": " + std::string(line.substr(0, 80)));
  }
}

void Fleet::OnExists(Conn& c, long n) {
  exists_[c.account] = std::max(exists_[c.account], n);
  if (c.phase != Phase::kIdle || c.account != round_.account || c.round >= round_.number ||
      n < round_.exists) {
    return;
  }
  c.round = round_.number;
  ++round_.notified;
  round_.last_ns = std::max(round_.last_ns, c.stamp_ns);
  if (c.stamp_ns < round_.acked_ns) ++early_;
  if (round_.kernel_ms) {
    round_.kernel_ms->push_back(static_cast<double>(c.stamp_ns - round_.acked_ns) / 1e6);
    round_.client_ms->push_back(static_cast<double>(read_ns_ - round_.acked_read_ns) / 1e6);
  }
}

void Fleet::Send(Conn& c, std::string_view text) {
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

// One SMTP session on a blocking socket, replies timestamped by the kernel.
class SmtpClient {
 public:
  ~SmtpClient() {
    if (fd_ >= 0) close(fd_);
  }
  // Connects to 127.0.0.1:port and says EHLO; false (with `error`) on failure.
  bool Open(uint16_t port, std::string& error);
  // Delivers one small message to `to`. Returns the kernel receive time of the 250 that
  // acknowledged it, or 0 (with `error`) on failure.
  int64_t Deliver(const std::string& to, int number, std::string& error);

 private:
  bool Command(const std::string& text, int want, std::string& error);
  int Reply(std::string& reply);

  int fd_ = -1;
  std::string buf_;
  int64_t stamp_ns_ = 0;
};

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

// Raises the open-files limit to the hard one, and the hard one to `need` when that is lower
// and this process may (root); the server, started later, inherits both. Returns what was done
// to the hard limit, or "" when nothing was.
std::string RaiseOpenFiles(rlim_t need, bool& enough) {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  std::string note;
  if (limit.rlim_max < need) {
    rlimit raised{need, need};
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) {
      note = "hard open-files limit raised from " + std::to_string(limit.rlim_max) + " to " +
             std::to_string(need) + " for this client and the server";
      limit = raised;
    }
  }
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
  enough = limit.rlim_cur >= need;
  return note;
}

struct KernelMemory {
  long tcp_pages = 0;  // "mem" of the TCP line of /proc/net/sockstat
  long slab_kib = 0;   // "Slab" of /proc/meminfo
};

KernelMemory ReadKernelMemory() {
  KernelMemory k;
  std::ifstream sockstat("/proc/net/sockstat");
  for (std::string line; std::getline(sockstat, line);) {
    if (!line.starts_with("TCP:")) continue;
    std::istringstream words(line);
    for (std::string word; words >> word;) {
      if (word == "mem") words >> k.tcp_pages;
    }
  }
  std::ifstream meminfo("/proc/meminfo");
  for (std::string key; meminfo >> key;) {
    if (key == "Slab:") meminfo >> k.slab_kib;
    meminfo.ignore(1 << 20, '\n');
  }
  return k;
}

SSL_CTX* MakeClientContext() {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);  // the server's certificate is self-signed
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  return ctx;
}

void PumpFor(Fleet& fleet, std::chrono::milliseconds span) {
  auto until = Clock::now() + span;
  while (Clock::now() < until) fleet.Pump(50);
}

// Opens connections [first, first + count), at most o.parallel setting up at once, until each
// is idle or failed or `deadline` passes; the ones still setting up then are closed.
void OpenAll(Fleet& fleet, size_t first, size_t count, size_t sources, const Options& o,
             Clock::time_point deadline) {
  size_t next = first, end = first + count;
  while (Clock::now() < deadline) {
    while (next < end && fleet.setting_up() < o.parallel) {
      uint32_t source = kLoopback + static_cast<uint32_t>((next - first) % sources);
      if (!fleet.Open(next, source)) {
        next = end;  // out of descriptors: open no more
        break;
      }
      ++next;
    }
    if (next >= end && fleet.setting_up() == 0) break;
    fleet.Pump(50);
  }
  fleet.CloseUnfinished();
}

// Delivers one message to `account` and waits (up to 10 s) for every idle connection of that
// account to hear of it. Returns false when the delivery itself failed.
bool DeliverAndWait(Fleet& fleet, SmtpClient& smtp, size_t account, std::vector<double>* kernel_ms,
                    std::vector<double>* client_ms, std::string& error) {
  int64_t acked = smtp.Deliver(User(account), fleet.round().number + 1, error);
  if (acked == 0) return false;
  fleet.BeginRound(account, acked, kernel_ms, client_ms);
  auto until = Clock::now() + std::chrono::seconds(10);
  while (fleet.round().notified < fleet.idle(account) && Clock::now() < until) fleet.Pump(100);
  return true;
}

// Sends SIGTERM and waits up to 30 s, then SIGKILL. Returns a line saying how it went.
std::string StopServer(pid_t pid, bool& clean) {
  auto start = Clock::now();
  kill(pid, SIGTERM);
  int status = 0;
  pid_t done = 0;
  while ((done = waitpid(pid, &status, WNOHANG)) == 0 &&
         Clock::now() - start < std::chrono::seconds(30)) {
    usleep(20000);
  }
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  char line[160];
  if (done == 0) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    std::snprintf(line, sizeof line, "no exit %.0f s after SIGTERM: killed", seconds);
    clean = false;
  } else if (WIFEXITED(status)) {
    std::snprintf(line, sizeof line, "exit %d %.1f s after SIGTERM", WEXITSTATUS(status), seconds);
    clean = WEXITSTATUS(status) == 0;
  } else {
    std::snprintf(line, sizeof line, "killed by signal %d %.1f s after SIGTERM", WTERMSIG(status),
                  seconds);
    clean = false;
  }
  return line;
}

// Counts the server's log lines at warning level and above.
size_t CountLogProblems(const std::string& log) {
  std::ifstream f(log);
  size_t n = 0;
  for (std::string time, level; f >> time >> level; f.ignore(1 << 20, '\n')) {
    if (level == "warning" || level == "error" || level == "critical") ++n;
  }
  return n;
}

double MiB(double bytes) { return bytes / (1024.0 * 1024.0); }

struct Memory {
  long rss = 0;
  KernelMemory kernel;
};

Memory ReadMemory(pid_t server) { return {bench::RssBytes(server), ReadKernelMemory()}; }

void PrintMemory(const Memory& before, const Memory& after, size_t n) {
  double rss = static_cast<double>(after.rss - before.rss);
  double tcp = static_cast<double>(after.kernel.tcp_pages - before.kernel.tcp_pages) * 4096;
  double slab = static_cast<double>(after.kernel.slab_kib - before.kernel.slab_kib) * 1024;
  double per = static_cast<double>(std::max<size_t>(n, 1));
  std::printf("server RSS:  %.1f -> %.1f MiB: %+.1f MiB = %.0f B per idle connection\n",
              MiB(static_cast<double>(before.rss)), MiB(static_cast<double>(after.rss)), MiB(rss),
              rss / per);
  std::printf(
      "kernel:      TCP mem %+.1f MiB = %.0f B per connection; slab %+.1f MiB = %.0f B per "
      "connection (client and server ends together)\n",
      MiB(tcp), tcp / per, MiB(slab), slab / per);
}

void PrintLatency(std::vector<double>& kernel_ms, std::vector<double>& client_ms,
                  std::vector<double>& fanout_ms, int rounds, size_t idle, size_t watchers,
                  size_t missed, size_t early) {
  auto p = [](std::vector<double>& v, double q) { return bench::Percentile(v, q); };
  std::printf(
      "SMTP 250 -> * N EXISTS, %zu samples: %d deliveries to accounts watched by %zu of the %zu "
      "idle connections each (kernel receive stamps): p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, "
      "max %.3f ms (min %.3f)\n",
      kernel_ms.size(), rounds, watchers, idle, p(kernel_ms, 50), p(kernel_ms, 99),
      p(kernel_ms, 99.9), p(kernel_ms, 100), p(kernel_ms, 0));
  std::printf(
      "             as read by this one-threaded client: p50 %.3f ms, p99 %.3f ms, max %.3f ms\n",
      p(client_ms, 50), p(client_ms, 99), p(client_ms, 100));
  if (watchers > 1) {
    double last = p(fanout_ms, 50);
    std::printf(
        "fan-out:     last of %zu connections notified, median over deliveries: %.3f ms = %.0f "
        "notifications/s\n",
        watchers, last, last > 0 ? static_cast<double>(watchers) / last * 1e3 : 0.0);
  }
  if (missed > 0 || early > 0) {
    std::printf("             %zu notifications missing after 10 s; %zu stamped before the 250\n",
                missed, early);
  }
}

void PrintFailures(const Fleet& fleet) {
  for (const auto& [reason, n] : fleet.failures()) {
    std::printf("failed:      %zu x %s\n", n, reason.c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"IMAP IDLE benchmark: memory per idle connection, SMTP 250 -> EXISTS latency"};
  app.add_option("--server", o.server, "pushmaild binary to start in a temp dir")->required();
  app.add_option("--connections", o.connections, "idle IMAP connections");
  app.add_option("--accounts", o.accounts,
                 "accounts the connections log in to, round robin (default: one each)");
  app.add_option("--sources", o.sources, "source addresses 127.0.0.1 ... (default: enough)");
  app.add_option("--deliveries", o.deliveries, "messages delivered one at a time");
  app.add_flag("--tls", o.tls, "connect to the IMAPS port (TLS from the first octet)");
  app.add_option("--parallel", o.parallel, "connections setting up at one time");
  app.add_option("--deadline", o.deadline_s,
                 "seconds allowed for opening the connections (default: enough)");
  app.add_option("--settle", o.settle_s, "seconds between the last IDLE and the memory reading");
  app.add_option("--workers", o.workers, "server workers");
  CLI11_PARSE(app, argc, argv);
  if (o.sources == 0) {
    o.sources = std::max((o.connections + kPortsPerSource - 1) / kPortsPerSource + 1,
                         (o.connections + kPerSource - 1) / kPerSource);
  }
  o.parallel = std::max<size_t>(o.parallel, 1);
  if (o.accounts == 0 || o.accounts > o.connections) o.accounts = o.connections;
  if (o.deadline_s <= 0) o.deadline_s = std::max(300, static_cast<int>(o.connections / 100));
  bool enough = false;
  std::string note = RaiseOpenFiles(o.connections + kWarmup + 1024, enough);
  if (!enough) {
    std::cerr << "the open-files hard limit is below " << o.connections + kWarmup + 1024
              << "; run as root or ask for fewer connections\n";
    return 2;
  }
  std::signal(SIGPIPE, SIG_IGN);

  std::vector<std::string> args = {"--domain", "example.test", "--smtp",      "127.0.0.1:0",
                                   "--imap",   "127.0.0.1:0",  "--log-level", "info"};
  if (o.tls) args.insert(args.end(), {"--imaps", "127.0.0.1:0"});
  if (o.workers > 0) args.insert(args.end(), {"--workers", std::to_string(o.workers)});
  std::string imap_name = o.tls ? "imaps" : "imap";
  std::vector<std::string> users;
  for (size_t a = 0; a < o.accounts; ++a) users.push_back(User(a));
  auto setup_start = Clock::now();
  auto sp = bench::StartServer(o.server, users, kPassword, args, {"smtp", imap_name});
  double accounts_s = std::chrono::duration<double>(Clock::now() - setup_start).count();
  if (sp.ports.count("smtp") == 0 || sp.ports.count(imap_name) == 0) {
    std::cerr << "pushmaild did not start; see " << sp.log << "\n";
    kill(sp.pid, SIGKILL);
    return 1;
  }
  SSL_CTX* tls = o.tls ? MakeClientContext() : nullptr;
  int status = 1;
  {
    Fleet fleet(static_cast<uint16_t>(sp.ports[imap_name]), tls, kWarmup + o.connections,
                o.accounts);
    SmtpClient smtp;
    std::string error;
    if (!smtp.Open(static_cast<uint16_t>(sp.ports["smtp"]), error)) {
      std::cerr << error << "\n";
    }

    // Warm-up: the first logins, selects and delivery touch caches and pools once, so that the
    // baseline below already holds them.
    OpenAll(fleet, 0, kWarmup, 1, o, Clock::now() + std::chrono::seconds(60));
    bool warm = error.empty() && fleet.idle() == kWarmup &&
                DeliverAndWait(fleet, smtp, 0, nullptr, nullptr, error);
    for (size_t i = 0; i < kWarmup; ++i) fleet.Close(i);
    PumpFor(fleet, std::chrono::seconds(1));
    if (!warm) {
      std::printf("warm-up failed: %s\n", error.c_str());
      PrintFailures(fleet);
    }

    if (!note.empty()) std::printf("note:        %s\n", note.c_str());
    Memory before = ReadMemory(sp.pid);
    double cpu_setup = bench::CpuSeconds(sp.pid);
    auto start = Clock::now();
    if (warm) {
      OpenAll(fleet, kWarmup, o.connections, o.sources, o,
              start + std::chrono::seconds(o.deadline_s));
    }
    double setup_s = std::chrono::duration<double>(Clock::now() - start).count();
    cpu_setup = bench::CpuSeconds(sp.pid) - cpu_setup;
    PumpFor(fleet, std::chrono::seconds(o.settle_s));
    Memory after = ReadMemory(sp.pid);
    size_t idle = fleet.idle();
    std::printf(
        "imap_idle:   %s, LOGIN + SELECT INBOX + IDLE from 127.0.0.1-%zu to %zu accounts (made in "
        "%.1f s), %d deliveries\n",
        o.tls ? "IMAPS (TLS)" : "plain IMAP", o.sources, o.accounts, accounts_s, o.deliveries);
    std::printf(
        "connections: %zu idle (%zu asked) over %zu sources in %.1f s (server CPU %.1f s)\n", idle,
        o.connections, o.sources, setup_s, cpu_setup);
    PrintFailures(fleet);
    PrintMemory(before, after, idle);

    std::vector<double> kernel_ms, client_ms, fanout_ms;
    size_t watchers = (idle + o.accounts - 1) / o.accounts;
    kernel_ms.reserve(static_cast<size_t>(o.deliveries) * watchers);
    client_ms.reserve(static_cast<size_t>(o.deliveries) * watchers);
    size_t missed = 0;
    int rounds = 0;
    double cpu = bench::CpuSeconds(sp.pid);
    for (; warm && idle > 0 && rounds < o.deliveries; ++rounds) {
      size_t account = static_cast<size_t>(rounds) % o.accounts;
      size_t watching = fleet.idle(account);
      if (!DeliverAndWait(fleet, smtp, account, &kernel_ms, &client_ms, error)) {
        std::printf("delivery %d failed: %s\n", rounds + 1, error.c_str());
        break;
      }
      const Round& r = fleet.round();
      missed += watching > r.notified ? watching - r.notified : 0;
      if (r.notified > 0) fanout_ms.push_back(static_cast<double>(r.last_ns - r.acked_ns) / 1e6);
    }
    cpu = bench::CpuSeconds(sp.pid) - cpu;
    if (rounds > 0) {
      PrintLatency(kernel_ms, client_ms, fanout_ms, rounds, idle, watchers, missed, fleet.early());
      Memory end = ReadMemory(sp.pid);
      std::printf(
          "server CPU:  %.2f ms per delivery = %.2f us per notification; RSS after deliveries "
          "%+.1f MiB\n",
          cpu * 1e3 / rounds,
          cpu * 1e6 / static_cast<double>(std::max<size_t>(kernel_ms.size(), 1)),
          MiB(static_cast<double>(end.rss - after.rss)));
    }
    if (fleet.unstamped() > 0) {
      std::printf("note:        %zu reads had no kernel timestamp (timed by the client clock)\n",
                  fleet.unstamped());
    }
    if (fleet.idle() < idle) {
      std::printf("lost:        %zu idle connections closed during the deliveries\n",
                  idle - fleet.idle());
      PrintFailures(fleet);
    }
    bool clean = false;
    std::printf("shutdown:    %s with %zu connections open\n", StopServer(sp.pid, clean).c_str(),
                fleet.idle());
    bool complete = warm && idle == o.connections && missed == 0 && rounds == o.deliveries;
    size_t problems = CountLogProblems(sp.log);
    if (clean && complete && problems == 0) {
      std::filesystem::remove_all(sp.dir);
      status = 0;
    } else {
      std::printf("server log:  %zu warning/error lines; kept in %s\n", problems, sp.log.c_str());
      status = clean && complete ? 0 : 1;
    }
  }
  SSL_CTX_free(tls);
  return status;
}
