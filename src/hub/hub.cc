#include "hub/hub.h"

#include <boost/asio/post.hpp>

#include "base/assert.h"

namespace pushmail::hub {

struct Hub::Shard {
  boost::asio::any_io_executor executor;
  // The index is touched only on this shard's worker; `size` is read by Publish elsewhere.
  std::unordered_map<store::AccountId, std::vector<Subscriber*>> index;
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
  std::erase(list, s);
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
  std::vector<Subscriber*> dropped;
  for (const Event& event : events) {
    auto it = shard.index.find(event->account);
    if (it == shard.index.end()) continue;
    for (Subscriber* s : it->second) {
      if (s->pending_.size() >= max_queue_) {
        dropped.push_back(s);
        continue;
      }
      bool was_empty = s->pending_.empty();
      s->pending_.push_back(event);
      shard.notifications.fetch_add(1, std::memory_order_relaxed);
      if (was_empty) s->OnNotify();
    }
  }
  for (Subscriber* s : dropped) {
    if (!s->subscribed_) continue;  // listed twice: already dropped
    Unsubscribe(s);
    shard.overflows.fetch_add(1, std::memory_order_relaxed);
    s->OnOverflow();
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
