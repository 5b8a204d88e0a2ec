#include "net/listener.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "base/log.h"
#include "net/endpoint.h"

namespace pushmail::net {

namespace asio = boost::asio;
using asio::ip::tcp;

Result<std::unique_ptr<Listener>> Listener::Open(const tcp::endpoint& endpoint, Workers& workers,
                                                 Handler handler) {
  tcp::acceptor acceptor(workers.context(0));
  boost::system::error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec && endpoint.address().is_v6()) acceptor.set_option(asio::ip::v6_only(false), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    spdlog::error("cannot listen on {}: {}", FormatEndpoint(endpoint), ec.message());
    return ec;
  }
  return std::unique_ptr<Listener>(new Listener(std::move(acceptor), workers, std::move(handler)));
}

Listener::Listener(tcp::acceptor acceptor, Workers& workers, Handler handler)
    : acceptor_(std::move(acceptor)), workers_(workers), handler_(std::move(handler)) {
  local_ = acceptor_.local_endpoint();
}

void Listener::Start() {
  asio::co_spawn(
      acceptor_.get_executor(),
      [this]() -> asio::awaitable<void> {
        for (;;) {
          size_t worker = workers_.Next();
          auto [ec, socket] = co_await acceptor_.async_accept(workers_.context(worker),
                                                              asio::as_tuple(asio::use_awaitable));
          if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
          if (ec) {
            // Out of descriptors or memory: back off instead of spinning on the error.
            spdlog::warn("accept on {}: {}", FormatEndpoint(local_), ec.message());
            asio::steady_timer pause(acceptor_.get_executor(), std::chrono::milliseconds(50));
            co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
            continue;
          }
          auto executor = socket.get_executor();
          asio::post(executor, [this, s = std::move(socket), worker]() mutable {
            handler_(std::move(s), worker);
          });
        }
      },
      asio::detached);
}

void Listener::Stop() {
  asio::post(acceptor_.get_executor(), [this] {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  });
}

std::optional<IpLimiter::Slot> IpLimiter::Acquire(const asio::ip::address& address) {
  std::lock_guard lock(mu_);
  unsigned& count = counts_[address];
  if (count >= max_per_ip_) return std::nullopt;
  ++count;
  return Slot(this, address);
}

void IpLimiter::Release(const asio::ip::address& address) {
  std::lock_guard lock(mu_);
  auto it = counts_.find(address);
  if (it != counts_.end() && --it->second == 0) counts_.erase(it);
}

unsigned FailureCounter::Count(const asio::ip::address& address) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(address);
  if (it == entries_.end()) return 0;
  if (std::chrono::steady_clock::now() - it->second.last > forget_after_) {
    entries_.erase(it);
    return 0;
  }
  return it->second.failures;
}

void FailureCounter::Fail(const asio::ip::address& address) {
  std::lock_guard lock(mu_);
  if (entries_.size() > 100000) entries_.clear();  // bound memory under a spray of addresses
  Entry& e = entries_[address];
  ++e.failures;
  e.last = std::chrono::steady_clock::now();
}

void FailureCounter::Clear(const asio::ip::address& address) {
  std::lock_guard lock(mu_);
  entries_.erase(address);
}

}  // namespace pushmail::net
