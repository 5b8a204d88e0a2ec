#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "base/result.h"
#include "net/workers.h"

namespace pushmail::net {

// Accepts connections on one address and hands each to `handler` on the worker chosen for it
// (round robin). The handler runs on that worker and owns the socket from then on.
class Listener {
 public:
  using Handler = std::function<void(boost::asio::ip::tcp::socket socket, size_t worker)>;

  // Binds and listens; fails when the address is taken or not ours.
  static Result<std::unique_ptr<Listener>> Open(const boost::asio::ip::tcp::endpoint& endpoint,
                                                Workers& workers, Handler handler);
  // The bound address (with the real port when 0 was asked for).
  boost::asio::ip::tcp::endpoint local() const { return local_; }
  void Start();  // starts accepting on worker 0
  void Stop();   // stops accepting; thread-safe

 private:
  Listener(boost::asio::ip::tcp::acceptor acceptor, Workers& workers, Handler handler);

  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::ip::tcp::endpoint local_;
  Workers& workers_;
  Handler handler_;
};

// Counts concurrent connections per client address. Thread-safe.
class IpLimiter {
 public:
  explicit IpLimiter(unsigned max_per_ip) : max_per_ip_(max_per_ip) {}

  // Holds one slot for an address until destroyed.
  class Slot {
   public:
    Slot(IpLimiter* owner, boost::asio::ip::address address)
        : owner_(owner), address_(std::move(address)) {}
    Slot(Slot&& other) noexcept
        : owner_(std::exchange(other.owner_, nullptr)), address_(std::move(other.address_)) {}
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot() {
      if (owner_) owner_->Release(address_);
    }

   private:
    IpLimiter* owner_;
    boost::asio::ip::address address_;
  };

  // A slot, or nullopt when `address` already has max_per_ip connections. Loopback clients
  // are counted like any other.
  std::optional<Slot> Acquire(const boost::asio::ip::address& address);

 private:
  void Release(const boost::asio::ip::address& address);

  unsigned max_per_ip_;
  std::mutex mu_;
  std::unordered_map<boost::asio::ip::address, unsigned> counts_;  // guarded by mu_
};

// Remembers failures (of authentication) per client address, so the server can slow down a
// guesser. Thread-safe. Entries are forgotten after `forget_after` without a failure.
class FailureCounter {
 public:
  explicit FailureCounter(std::chrono::seconds forget_after) : forget_after_(forget_after) {}
  unsigned Count(const boost::asio::ip::address& address);
  void Fail(const boost::asio::ip::address& address);
  void Clear(const boost::asio::ip::address& address);

 private:
  struct Entry {
    unsigned failures = 0;
    std::chrono::steady_clock::time_point last;
  };
  std::chrono::seconds forget_after_;
  std::mutex mu_;
  std::unordered_map<boost::asio::ip::address, Entry> entries_;  // guarded by mu_
};

}  // namespace pushmail::net
