#include "hub/hub.h"

#include <boost/asio/post.hpp>
#include <deque>

#include "base/assert.h"

namespace pushmail::hub {

// An event on its way to its account's subscribers on one shard: those before `next` have it.
struct Hub::Fanout {
  Event event;
  size_t next = 0;
};

struct Hub::Shard {
  boost::asio::any_io_executor executor;
  // The index and the fan-outs are touched only on this shard's worker; `size` is read by
  // Publish elsewhere.
  std::unordered_map<store::AccountId, std::vector<Subscriber*>> index;
  std::deque<Fanout> fanouts;  // in commit order; the front one is being handed out
  bool draining = false;       // a Drain is posted
  std::atomic<size_t> size{0};
  std::atomic<uint64_t> notifications{0};
  std::atomic<uint64_t> overflows{0};
};

Hub::Hub(std::vector<boost::asio::any_io_executor> workers, size_t max_queue)
    : max_queue_(max_queue) {
  for (auto& executor : workers) {
    auto shard = std::make_unique<Shard>();
    shard->executor = std::move(executor);
    shards_.push_back(std::move(shard));
  }
}

Hub::~Hub() = default;

void Hub::Subscribe(Subscriber* s) {
  PM_ASSERT(s->worker() < shards_.size(), "subscriber on an unknown worker");
  PM_ASSERT(!s->subscribed_, "subscribed twice");
  Shard& shard = *shards_[s->worker()];
  shard.index[s->account()].push_back(s);
  shard.size.fetch_add(1, std::memory_order_relaxed);
  s->subscribed_ = true;
}

void Hub::Unsubscribe(Subscriber* s) {
  if (!s->subscribed_) return;
  Shard& shard = *shards_[s->worker()];
  auto it = shard.index.find(s->account());
  PM_RELEASE_ASSERT(it != shard.index.end(), "subscriber missing from its shard");
  auto& list = it->second;
  auto at = static_cast<size_t>(std::find(list.begin(), list.end(), s) - list.begin());
  PM_RELEASE_ASSERT(at < list.size(), "subscriber missing from its account's list");
  list.erase(list.begin() + static_cast<std::ptrdiff_t>(at));
  // Fan-outs past it now find the next subscriber one place earlier.
  for (Fanout& f : shard.fanouts) {
    if (f.event->account == s->account() && at < f.next) --f.next;
  }
  if (list.empty()) shard.index.erase(it);
  shard.size.fetch_sub(1, std::memory_order_relaxed);
  s->subscribed_ = false;
}

void Hub::Publish(const std::vector<store::StateChange>& changes) {
  auto events = std::make_shared<std::vector<Event>>();
  events->reserve(changes.size());
  for (const auto& c : changes) events->push_back(std::make_shared<const store::StateChange>(c));
  events_.fetch_add(changes.size(), std::memory_order_relaxed);
  for (auto& shard : shards_) {
    if (shard->size.load(std::memory_order_relaxed) == 0) continue;
    boost::asio::post(shard->executor, [this, s = shard.get(), events] { Deliver(*s, *events); });
  }
}

void Hub::Deliver(Shard& shard, const std::vector<Event>& events) {
  for (const Event& event : events) {
    if (shard.index.contains(event->account)) shard.fanouts.push_back({event, 0});
  }
  if (!shard.draining && !shard.fanouts.empty()) Drain(shard);
}

void Hub::Drain(Shard& shard) {
  shard.draining = false;
  std::vector<Subscriber*> dropped;
  size_t budget = kSlice;
  while (budget > 0 && !shard.fanouts.empty()) {
    Fanout& f = shard.fanouts.front();
    auto it = shard.index.find(f.event->account);
    if (it == shard.index.end() || f.next >= it->second.size()) {
      shard.fanouts.pop_front();
      continue;
    }
    Subscriber* s = it->second[f.next++];
    --budget;
    if (s->pending_.size() >= max_queue_) {
      dropped.push_back(s);
      continue;
    }
    bool was_empty = s->pending_.empty();
    s->pending_.push_back(f.event);
    shard.notifications.fetch_add(1, std::memory_order_relaxed);
    if (was_empty) s->OnNotify();
  }
  for (Subscriber* s : dropped) {
    if (!s->subscribed_) continue;  // listed twice: already dropped
    Unsubscribe(s);
    shard.overflows.fetch_add(1, std::memory_order_relaxed);
    s->OnOverflow();
  }
  if (!shard.fanouts.empty()) {
    shard.draining = true;
    boost::asio::post(shard.executor, [this, s = &shard] { Drain(*s); });
  }
}

HubStats Hub::Stats() const {
  HubStats stats;
  stats.events = events_.load(std::memory_order_relaxed);
  for (const auto& shard : shards_) {
    stats.notifications += shard->notifications.load(std::memory_order_relaxed);
    stats.overflows += shard->overflows.load(std::memory_order_relaxed);
  }
  return stats;
}

}  // namespace pushmail::hub
