#pragma once
// The Web Push sender: pushes a StateChange to each verified PushSubscription (RFC 8620 7.2)
// the moment a change commits, and a PushVerification to each new one.
//
// It is a hub subscriber like an EventSource stream: one hub::Subscriber per account with
// verified subscriptions, on one worker, so the publisher never waits for it. Each subscription
// has at most one request in flight; changes that come meanwhile are coalesced into one
// pending StateChange (the latest state of each type, every type that changed), so its queue
// is bounded by construction. 429, 5xx and network errors are retried with exponential backoff
// (or Retry-After) up to max_attempts; 404 and 410 delete the subscription; other answers drop
// that push. Pushes are encrypted (RFC 8291) when the subscription has keys, and carry a VAPID
// Authorization (RFC 8292).

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "base/config.h"
#include "hub/hub.h"
#include "jmap/api.h"
#include "store/store.h"
#include "webpush/client.h"
#include "webpush/protocol/vapid.h"

namespace pushmail::webpush {

// Folds `change` into `pending` (a subscription's one queued StateChange): the states of the
// newer of the two by push sequence win, and the changed types add up.
void Coalesce(std::optional<store::StateChange>& pending, const store::StateChange& change);

struct SenderStats {
  uint64_t sent = 0;     // pushes the push service accepted (2xx)
  uint64_t failed = 0;   // pushes given up on
  uint64_t retries = 0;  // attempts that will be retried
  uint64_t gone = 0;     // subscriptions deleted on 404 or 410
};

class Sender final : public jmap::PushObserver {
 public:
  // `worker` is the index of the worker whose `executor` the sender runs on. Everything given
  // must outlive the sender.
  Sender(const Config& config, store::Store& store, hub::Hub& hub, size_t worker,
         const boost::asio::any_io_executor& executor, boost::asio::thread_pool& blocking,
         const Vapid& vapid);
  ~Sender() override;

  // Loads the stored subscriptions (blocking on the store; expired ones are deleted) and hands
  // them to the worker. Call once the workers run, before the HTTP listener opens.
  void Start();
  // Cancels retries and requests and leaves the hub; returns once no send is left (waiting at
  // most a few seconds). Call before the workers stop. Not on a worker.
  void Stop();

  // jmap::PushObserver: any thread; the work is posted to the sender's worker.
  void Saved(const store::PushSubscription& subscription) override;
  void Destroyed(store::AccountId account, store::PushSubscriptionId id) override;

  SenderStats Stats() const;

 private:
  class AccountLink;
  struct Target;
  struct Account {
    std::unique_ptr<AccountLink> link;  // subscribed while a verified target exists
    std::set<store::PushSubscriptionId> targets;
  };

  // All below run on the sender's worker.
  void Track(const store::PushSubscription& subscription);
  void Untrack(store::PushSubscriptionId id);
  void UpdateLink(store::AccountId account);
  void OnEvents(store::AccountId account);
  void OnOverflow(store::AccountId account);
  void Queue(store::AccountId account, const store::StateChange& change);
  void Kick(store::PushSubscriptionId id);
  Target* Find(store::PushSubscriptionId id);
  boost::asio::awaitable<void> Run(store::PushSubscriptionId id);
  boost::asio::awaitable<PushResponse> Deliver(const Target& target, const std::string& payload,
                                               std::string urgency, std::string topic);
  boost::asio::awaitable<void> Resync(store::AccountId account);

  const Config& config_;
  store::Store& store_;
  hub::Hub& hub_;
  size_t worker_;
  boost::asio::any_io_executor executor_;
  boost::asio::thread_pool& blocking_;
  const Vapid& vapid_;
  PushClient client_;
  // State below is touched on executor_ only.
  bool stopping_ = false;
  std::map<store::PushSubscriptionId, std::unique_ptr<Target>> targets_;
  std::map<store::AccountId, Account> accounts_;
  // Counters: any thread.
  std::atomic<int> running_{0};  // Run coroutines alive
  std::atomic<uint64_t> sent_{0}, failed_{0}, retries_{0}, gone_{0};
};

}  // namespace pushmail::webpush
