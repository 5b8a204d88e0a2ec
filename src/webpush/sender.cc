#include "webpush/sender.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <future>
#include <thread>

#include "base/base64.h"
#include "base/clock.h"
#include "base/log.h"
#include "jmap/push.h"
#include "net/blocking.h"
#include "webpush/protocol/crypto.h"

namespace pushmail::webpush {

namespace asio = boost::asio;
using asio::awaitable;

namespace {

constexpr auto kVapidLifetime = std::chrono::hours(12);  // RFC 8292 2: at most 24 hours
constexpr auto kStopDeadline = std::chrono::seconds(5);

std::string VerificationJson(const store::PushSubscription& s) {
  return boost::json::serialize(
      boost::json::object{{"@type", "PushVerification"},
                          {"pushSubscriptionId", store::PushSubscriptionJmapId(s.id)},
                          {"verificationCode", s.verification_code}});
}

}  // namespace

void Coalesce(std::optional<store::StateChange>& pending, const store::StateChange& change) {
  if (!pending) {
    pending = change;
    return;
  }
  store::DataTypes changed = pending->changed | change.changed;
  if (change.push_seq >= pending->push_seq) pending = change;
  pending->changed = changed;
}

class Sender::AccountLink final : public hub::Subscriber {
 public:
  AccountLink(Sender& sender, size_t worker, store::AccountId account)
      : Subscriber(worker, account), sender_(sender) {}

 private:
  void OnNotify() override {
    // Not from inside the hub's loop: take the events on the next turn.
    asio::post(sender_.executor_, [s = &sender_, a = account()] { s->OnEvents(a); });
  }
  void OnOverflow() override { sender_.OnOverflow(account()); }
  Sender& sender_;
};

struct Sender::Target {
  store::PushSubscription subscription;
  PushUrl url;
  bool verification = false;                  // a PushVerification is to be sent
  std::optional<store::StateChange> pending;  // coalesced changes not sent yet
  bool running = false;                       // a Run coroutine sends for it
  std::shared_ptr<asio::steady_timer> backoff;
};

Sender::Sender(const Config& config, store::Store& store, hub::Hub& hub, size_t worker,
               const asio::any_io_executor& executor, asio::thread_pool& blocking,
               const Vapid& vapid)
    : config_(config),
      store_(store),
      hub_(hub),
      worker_(worker),
      executor_(executor),
      blocking_(blocking),
      vapid_(vapid),
      client_(executor, config.webpush) {}

Sender::~Sender() = default;

void Sender::Start() {
  auto list = store_.ListPushSubscriptions(std::nullopt);
  if (!list) {
    spdlog::error("webpush: cannot read the subscriptions: {}", list.error().message());
    return;
  }
  int64_t now = UnixNow();
  std::vector<store::PushSubscription> live;
  for (auto& s : *list) {
    if (s.expires && *s.expires <= now) {
      store_.DeletePushSubscription(s.account, s.id);
    } else {
      live.push_back(std::move(s));
    }
  }
  spdlog::info("webpush: {} subscriptions", live.size());
  asio::post(executor_, [this, live = std::move(live)] {
    for (const auto& s : live) Track(s);
  });
}

void Sender::Stop() {
  std::promise<void> done;
  asio::post(executor_, [this, &done] {
    stopping_ = true;
    for (auto& [id, t] : targets_) {
      if (t->backoff) t->backoff->cancel();
    }
    client_.Close();
    for (auto& [account, a] : accounts_) {
      if (a.link) hub_.Unsubscribe(a.link.get());
    }
    accounts_.clear();
    done.set_value();
  });
  done.get_future().wait();
  auto deadline = std::chrono::steady_clock::now() + kStopDeadline;
  while (running_.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (running_.load() > 0) spdlog::warn("webpush: {} sends did not end", running_.load());
}

void Sender::Saved(const store::PushSubscription& subscription) {
  asio::post(executor_, [this, subscription] { Track(subscription); });
}

void Sender::Destroyed(store::AccountId account, store::PushSubscriptionId id) {
  asio::post(executor_, [this, account, id] {
    Untrack(id);
    UpdateLink(account);
  });
}

SenderStats Sender::Stats() const {
  return {sent_.load(), failed_.load(), retries_.load(), gone_.load()};
}

void Sender::Track(const store::PushSubscription& s) {
  if (stopping_) return;
  std::string why;
  auto url = ParsePushUrl(s.url, &why);
  if (!url) {
    spdlog::warn("webpush: subscription {} has a bad URL: {}", s.id, why);
    return;
  }
  auto& slot = targets_[s.id];
  bool is_new = !slot;
  if (is_new) slot = std::make_unique<Target>();
  slot->subscription = s;
  slot->url = std::move(*url);
  accounts_[s.account].targets.insert(s.id);
  if (is_new && !s.verified) {
    slot->verification = true;
    Kick(s.id);
  }
  UpdateLink(s.account);
}

void Sender::Untrack(store::PushSubscriptionId id) {
  auto it = targets_.find(id);
  if (it == targets_.end()) return;
  if (it->second->backoff) it->second->backoff->cancel();
  auto account = accounts_.find(it->second->subscription.account);
  if (account != accounts_.end()) account->second.targets.erase(id);
  targets_.erase(it);
}

// Subscribes `account` to the hub while it has a verified subscription, and only then.
void Sender::UpdateLink(store::AccountId account) {
  auto it = accounts_.find(account);
  if (it == accounts_.end()) return;
  Account& a = it->second;
  bool wanted = !stopping_ && std::any_of(a.targets.begin(), a.targets.end(), [this](auto id) {
    Target* t = Find(id);
    return t && t->subscription.verified;
  });
  if (wanted && !a.link) {
    a.link = std::make_unique<AccountLink>(*this, worker_, account);
    hub_.Subscribe(a.link.get());
  } else if (!wanted && a.link) {
    hub_.Unsubscribe(a.link.get());
    a.link.reset();
  }
  if (a.targets.empty()) accounts_.erase(it);
}

void Sender::OnEvents(store::AccountId account) {
  auto it = accounts_.find(account);
  if (it == accounts_.end() || !it->second.link) return;
  for (const auto& event : it->second.link->TakePending()) Queue(account, *event);
}

void Sender::OnOverflow(store::AccountId account) {
  // The hub has dropped the link; a new one hears what comes next, and the states are read
  // once more so that what the old queue held is not lost.
  auto it = accounts_.find(account);
  if (it == accounts_.end()) return;
  it->second.link.reset();
  spdlog::warn("webpush: account {} fell behind its change queue; resynchronising", account);
  asio::post(executor_, [this, account] {
    UpdateLink(account);
    asio::co_spawn(executor_, Resync(account), asio::detached);
  });
}

awaitable<void> Sender::Resync(store::AccountId account) {
  store::Store& store = store_;
  auto read = [&store, account] { return store.GetAccount(account); };
  auto states = co_await net::OnPool(blocking_, read);
  if (!states || stopping_) co_return;
  store::StateChange change = store::CurrentStates(*states);
  change.changed = 0xff;  // the client cannot know what it missed
  Queue(account, change);
}

void Sender::Queue(store::AccountId account, const store::StateChange& change) {
  auto it = accounts_.find(account);
  if (it == accounts_.end()) return;
  int64_t now = UnixNow();
  std::vector<store::PushSubscription> expired;
  for (auto id : it->second.targets) {
    Target* t = Find(id);
    if (!t || !t->subscription.verified) continue;
    if (t->subscription.expires && *t->subscription.expires <= now) {
      expired.push_back(t->subscription);
      continue;
    }
    Coalesce(t->pending, change);
    Kick(id);
  }
  // An expired subscription is deleted, as the server may (RFC 8620 7.2).
  for (const auto& s : expired) {
    Untrack(s.id);
    asio::post(blocking_, [&store = store_, s] { store.DeletePushSubscription(s.account, s.id); });
  }
  if (!expired.empty()) UpdateLink(account);
}

void Sender::Kick(store::PushSubscriptionId id) {
  Target* t = Find(id);
  if (!t || t->running || stopping_) return;
  t->running = true;
  ++running_;
  asio::co_spawn(executor_, Run(id), asio::detached);
}

Sender::Target* Sender::Find(store::PushSubscriptionId id) {
  auto it = targets_.find(id);
  return it == targets_.end() ? nullptr : it->second.get();
}

// Sends what the target has, one push at a time, until nothing is left. The target may be
// destroyed at every co_await, so it is looked up again after each.
awaitable<void> Sender::Run(store::PushSubscriptionId id) {
  unsigned attempts = 0;
  for (;;) {
    Target* t = Find(id);
    if (!t || stopping_) break;
    bool verification = t->verification;
    std::optional<store::StateChange> change;
    // Every StateChange carries all the states it names, so a newer one replaces an older one
    // that the push service still holds (Topic, RFC 8030 5.4).
    std::string payload, urgency = "normal", topic;
    if (verification) {
      payload = VerificationJson(t->subscription);
    } else if (t->pending) {
      change = std::exchange(t->pending, std::nullopt);
      // No "types" is every type; an empty list is none.
      store::DataTypes wanted = t->subscription.types ? jmap::DataTypesNamed(*t->subscription.types)
                                                      : jmap::kAllDataTypes;
      payload = jmap::StateChangeJson(*change, wanted);
      if (payload.empty()) continue;  // no type it asked for changed
      if (!(change->changed & store::Bit(store::DataType::kEmail))) urgency = "low";
      topic = "StateChange";
    } else {
      break;
    }
    PushResponse r = co_await Deliver(*t, payload, urgency, topic);
    t = Find(id);
    if (!t || stopping_) break;
    if (r.status >= 200 && r.status < 300) {
      ++sent_;
      attempts = 0;
      if (verification) t->verification = false;
      continue;
    }
    if (r.status == 404 || r.status == 410) {
      // RFC 8030 7.3: the subscription is gone for good.
      spdlog::info("webpush: {} answered {}: deleting subscription {}", t->url.origin, r.status,
                   id);
      store::PushSubscription s = t->subscription;
      Untrack(id);
      UpdateLink(s.account);
      ++gone_;
      store::Store& store = store_;
      auto remove = [&store, &s] { return store.DeletePushSubscription(s.account, s.id); };
      co_await net::OnPool(blocking_, remove);
      break;
    }
    if (change) Coalesce(t->pending, *change);  // anything newer stays on top
    bool transient = (r.status == 0 && !r.refused) || r.status == 429 || r.status >= 500;
    if (!transient || ++attempts >= config_.webpush.max_attempts) {
      spdlog::warn("webpush: giving up a push to {}: {}", t->url.origin,
                   r.status ? "status " + std::to_string(r.status) : r.error);
      ++failed_;
      attempts = 0;
      if (verification) t->verification = false;
      if (!verification) t->pending.reset();
      continue;
    }
    ++retries_;
    auto backoff = std::chrono::seconds(int64_t{1} << std::min(attempts - 1, 16u));
    if (r.retry_after.count() > 0) backoff = r.retry_after;
    backoff = std::min<std::chrono::seconds>(backoff, config_.webpush.max_backoff);
    spdlog::debug("webpush: {} for {}; retrying in {} s",
                  r.status ? std::to_string(r.status) : r.error, t->url.origin, backoff.count());
    auto timer = std::make_shared<asio::steady_timer>(executor_, backoff);
    t->backoff = timer;
    co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
    if (Target* again = Find(id)) again->backoff.reset();
  }
  if (Target* t = Find(id)) t->running = false;
  --running_;
}

awaitable<PushResponse> Sender::Deliver(const Target& target, const std::string& payload,
                                        std::string urgency, std::string topic) {
  PushRequest request;
  request.ttl = config_.webpush.ttl;
  request.urgency = std::move(urgency);
  request.topic = std::move(topic);
  const store::PushSubscription& s = target.subscription;
  if (!s.p256dh.empty()) {
    auto key = DecodeBase64Url(s.p256dh);
    auto secret = DecodeBase64Url(s.auth);
    auto body = key && secret ? Encrypt(payload, *key, *secret)
                              : Result<std::string>(MakeError(Errc::kInvalidArgument));
    if (!body) co_return PushResponse{400, {}, "cannot encrypt: " + body.error().message()};
    request.body = std::move(*body);
    request.content_encoding = "aes128gcm";
  } else if (payload.size() > kRecordSize) {
    co_return PushResponse{413, {}, "the push is too large"};
  } else {
    request.body = payload;
  }
  int64_t exp = UnixNow() + std::chrono::seconds(kVapidLifetime).count();
  auto authorization = vapid_.Authorization(target.url.origin, exp);
  if (authorization) request.authorization = std::move(*authorization);
  PushUrl url = target.url;
  co_return co_await client_.Post(url, request);
}

}  // namespace pushmail::webpush
