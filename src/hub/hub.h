#pragma once
// The hub fans committed changes out to the connections that watch an account.
//
// Each worker owns a shard: the index of the subscribers that live on it. Publish (called by
// the store's commit listener on the writer thread) posts each batch of changes to every shard
// that has subscribers, so fan-out runs on the workers without locks. Publish never blocks and
// never waits for a subscriber: each subscriber has a bounded queue, and one whose queue is
// full is dropped from the hub and told so (it should close its connection; its client will
// reconnect and resynchronise from its last state).
//
// A shard hands out events a slice of subscribers at a time (kSlice notifications per handler,
// then it posts itself again), so that the worker's other work (the SMTP 250 of the delivery
// that made the event, another connection's request) waits for one slice, not for a fan-out to
// thousands of connections. Each subscriber still receives the events of its account in
// commit order, each once; one that subscribes during a fan-out may or may not receive it (it
// reads its account's state after subscribing, which covers it either way), and one that
// unsubscribes is not called again.

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <memory>
#include <unordered_map>
#include <vector>

#include "store/types.h"

namespace pushmail::hub {

using Event = std::shared_ptr<const store::StateChange>;

class Hub;

// A connection's end of the hub. Lives on one worker; every call below happens there.
class Subscriber {
 public:
  Subscriber(size_t worker, store::AccountId account) : worker_(worker), account_(account) {}
  virtual ~Subscriber() = default;
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;

  size_t worker() const { return worker_; }
  store::AccountId account() const { return account_; }

  // Changes delivered and not yet taken, oldest first.
  std::vector<Event> TakePending() { return std::exchange(pending_, {}); }
  bool HasPending() const { return !pending_.empty(); }

 protected:
  // New changes were queued (the queue was empty before). Wake the connection's writer; do
  // not call back into the hub from here (the hub is iterating its index).
  virtual void OnNotify() = 0;
  // The queue overflowed and the hub has dropped this subscriber; close the connection.
  // Calling back into the hub is allowed here.
  virtual void OnOverflow() = 0;

 private:
  friend class Hub;
  size_t worker_;
  store::AccountId account_;
  std::vector<Event> pending_;
  bool subscribed_ = false;
};

struct HubStats {
  uint64_t events = 0;         // StateChanges published
  uint64_t notifications = 0;  // events queued to subscribers
  uint64_t overflows = 0;      // subscribers dropped for a full queue
};

class Hub {
 public:
  static constexpr size_t kSlice = 64;  // notifications per handler on a shard

  // One executor per worker, indexed as Subscriber::worker(). `max_queue` bounds each
  // subscriber's pending events.
  Hub(std::vector<boost::asio::any_io_executor> workers, size_t max_queue);
  ~Hub();

  // On the subscriber's worker. A subscriber must unsubscribe before it is destroyed
  // (unless it was dropped for overflow).
  void Subscribe(Subscriber* subscriber);
  void Unsubscribe(Subscriber* subscriber);

  // Any thread. Copies `changes` once and posts them to the shards with subscribers.
  void Publish(const std::vector<store::StateChange>& changes);

  HubStats Stats() const;

 private:
  struct Shard;
  struct Fanout;
  void Deliver(Shard& shard, const std::vector<Event>& events);
  void Drain(Shard& shard);

  size_t max_queue_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::atomic<uint64_t> events_{0};
};

}  // namespace pushmail::hub
