#pragma once
// The HTTPS server: JMAP (RFC 8620/8621) and EventSource push, /healthz and /metrics. A
// connection lives on one worker as a coroutine; an EventSource connection then hibernates
// (no coroutine frame, no read buffer) and is written to the moment the hub delivers a change.

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "base/config.h"
#include "http/metrics.h"
#include "http/push_texts.h"
#include "http/url_signer.h"
#include "hub/hub.h"
#include "jmap/api.h"
#include "net/listener.h"
#include "net/sessions.h"
#include "net/workers.h"
#include "store/store.h"

namespace pushmail::http {

// What sessions share. Everything outlives the Server.
struct Context {
  const Config& config;
  store::Store& store;
  hub::Hub& hub;
  net::Workers& workers;
  boost::asio::thread_pool& blocking;              // store reads, password checks
  boost::asio::thread_pool& upstream;              // requests of bridged accounts (they wait)
  std::shared_ptr<boost::asio::ssl::context> tls;  // null: plain HTTP
  // Values from outside the HTTP server for /metrics (may be empty). Any thread.
  std::function<std::vector<Sample>()> extra_metrics;
  jmap::PushObserver* push = nullptr;  // hears of PushSubscription writes (the Web Push sender)
  std::string vapid_key;               // advertised in the session resource when not empty
};

// Counts the API requests each account has in progress (maxConcurrentRequests). Thread-safe.
class AccountLimiter {
 public:
  explicit AccountLimiter(unsigned max) : max_(max) {}
  class Slot {
   public:
    Slot(AccountLimiter* owner, store::AccountId account) : owner_(owner), account_(account) {}
    Slot(Slot&& o) noexcept : owner_(std::exchange(o.owner_, nullptr)), account_(o.account_) {}
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot() {
      if (owner_) owner_->Release(account_);
    }

   private:
    AccountLimiter* owner_;
    store::AccountId account_;
  };
  std::optional<Slot> Acquire(store::AccountId account);

 private:
  void Release(store::AccountId account);
  unsigned max_;
  std::mutex mu_;
  std::unordered_map<store::AccountId, unsigned> counts_;  // guarded by mu_
};

class Session;

class Server {
 public:
  explicit Server(Context context);
  ~Server();

  // Binds `endpoint` and starts accepting; TLS unless the context has none. Returns the bound
  // address.
  Result<boost::asio::ip::tcp::endpoint> Listen(const boost::asio::ip::tcp::endpoint& endpoint);
  // Stops accepting; sessions end after their current response, push streams at once.
  void Shutdown();
  void Abort();  // closes every connection now
  size_t ActiveSessions() { return sessions_.Count(); }

  // For sessions.
  const Context& context() const { return context_; }
  const HttpLimits& limits() const { return context_.config.http; }
  Metrics& metrics() { return metrics_; }
  net::FailureCounter& auth_failures() { return auth_failures_; }
  AccountLimiter& requests() { return requests_; }
  AccountLimiter& uploads() { return uploads_; }
  const jmap::Api& api() const { return api_; }
  // Null when the key could not be loaded: signed EventSource URLs are then refused.
  const UrlSigner* signer() const { return signer_ ? &*signer_ : nullptr; }
  // Push event texts shared by the streams of `worker`; only on that worker.
  PushTexts& push_texts(size_t worker) { return push_texts_[worker]; }
  std::string RenderMetrics();
  // Where the API requests of `account` run: the upstream pool when it is bridged (its writes
  // wait for the upstream server), else the blocking pool. Any thread.
  boost::asio::thread_pool& PoolFor(store::AccountId account) {
    return context_.store.WritesGoUpstream(account) ? context_.upstream : context_.blocking;
  }

 private:
  void Accept(boost::asio::ip::tcp::socket socket, size_t worker);

  Context context_;
  net::IpLimiter limiter_;
  net::FailureCounter auth_failures_;
  AccountLimiter requests_;
  AccountLimiter uploads_;  // maxConcurrentUpload
  Metrics metrics_;
  jmap::Api api_;
  std::optional<UrlSigner> signer_;
  std::vector<PushTexts> push_texts_;  // one per worker
  std::vector<std::unique_ptr<net::Listener>> listeners_;
  net::Sessions<Session> sessions_;
};

}  // namespace pushmail::http
