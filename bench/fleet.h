#pragma once
// A fleet of client connections on one epoll loop, for the idle benchmarks (imap_idle,
// push_idle): each connects from one of many 127.0.0.x source addresses, does TLS when asked
// (OpenSSL with memory BIOs), runs its protocol's setup and then idles. A delivery is timed
// against the notifications it causes by kernel receive timestamps (SO_TIMESTAMPNS): on
// loopback they say when the server wrote, not when this one-threaded client got round to
// reading. Not thread-safe.

#include <openssl/ssl.h>
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace pushmail::bench {

constexpr uint32_t kLoopback = 0x7f000001;

// The account connection or delivery `account` uses, and its password.
std::string BenchUser(size_t account);
constexpr char kBenchPassword[] = "pw";

int64_t RealtimeNs();

// Reads what `fd` holds into `buf`. `stamp_ns` gets the kernel's receive time of the octets,
// or the client's clock when the kernel gave none (then `stamped` is false).
ssize_t ReceiveStamped(int fd, char* buf, size_t size, int64_t& stamp_ns, bool& stamped);

// A client context that accepts the server's self-signed certificate and keeps no buffers
// while idle, so that the client's side does not crowd the machine.
SSL_CTX* MakeClientContext();

enum class Phase { kConnecting, kHandshake, kSetup, kIdle, kClosed };

struct Conn {
  int fd = -1;
  Phase phase = Phase::kClosed;
  int step = 0;            // the protocol's own step during kSetup
  bool watch_out = false;  // EPOLLOUT is asked for
  SSL* ssl = nullptr;      // with memory BIOs; `out` then holds ciphertext
  std::string in;          // received plaintext not yet consumed by the protocol
  std::string out;         // octets not yet written to the socket
  int64_t stamp_ns = 0;    // kernel receive time of the latest octets
  int round = 0;           // the latest delivery this connection was notified of
  size_t account = 0;      // logs in to BenchUser(account)
};

class Fleet;

// What the connections of a fleet speak once connected.
class Protocol {
 public:
  virtual ~Protocol() = default;
  // The connection is up (with TLS when asked): send the first request or await a greeting.
  virtual void Start(Fleet& fleet, size_t i) = 0;
  // The connection's `in` got octets: consume what is complete. Calls Fleet::BecomeIdle when
  // setup is done and Fleet::Notified for each notification.
  virtual void OnInput(Fleet& fleet, size_t i) = 0;
  // A setup step's name, for failure reports ("LOGIN", "EventSource GET").
  virtual std::string_view StepName(int step) const = 0;
};

// One delivery, as the fleet times it.
struct Round {
  int number = 0;
  size_t account = 0;                        // delivered to BenchUser(account)
  long expect = 0;                           // the account counter that announces it
  int64_t acked_ns = 0;                      // kernel receive time of its SMTP 250
  int64_t acked_read_ns = 0;                 // when the client read that 250
  size_t notified = 0;                       // connections that have seen it
  int64_t first_ns = 0;                      // the earliest of their receive times
  int64_t last_ns = 0;                       // the latest of their receive times
  std::vector<double>* kernel_ms = nullptr;  // samples, 250 -> notification by kernel stamps
  std::vector<double>* client_ms = nullptr;  // the same as this client read them
};

class Fleet {
 public:
  Fleet(Protocol& protocol, uint16_t port, SSL_CTX* tls, size_t capacity, size_t accounts);
  ~Fleet();
  Fleet(const Fleet&) = delete;
  Fleet& operator=(const Fleet&) = delete;

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

  // For the protocol.
  Conn& conn(size_t i) { return conns_[i]; }
  void Send(size_t i, std::string_view text);
  void BecomeIdle(size_t i);
  // Connection `i` was told that its account's counter (the IMAP EXISTS count, the JMAP push
  // sequence) is `n`. Each delivery raises the counter by one.
  void Notified(size_t i, long n);
  void Fail(size_t i, std::string reason);
  std::string Where(size_t i) const;  // the phase or step of connection `i`, for reports

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
  void FlushTls(Conn& c);
  void Flush(Conn& c);
  void Watch(Conn& c, bool out);

  Protocol& protocol_;
  int epoll_;
  uint16_t port_;
  SSL_CTX* tls_;
  std::vector<Conn> conns_;
  size_t idle_ = 0, setting_up_ = 0, unstamped_ = 0, early_ = 0;
  std::vector<size_t> idle_by_account_;
  std::vector<long> counters_;  // the highest counter seen, by account
  int64_t read_ns_ = 0;         // when the client read the octets in hand
  Round round_;
  std::map<std::string, size_t> failures_;  // reason -> connections
};

// One SMTP session on a blocking socket, replies timestamped by the kernel.
class SmtpClient {
 public:
  ~SmtpClient();
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

}  // namespace pushmail::bench
