#pragma once
// The sessions a server has made and not yet destroyed, for its shutdown gate.
//
// A session counts until its object is gone, not merely until its main coroutine returns: a
// timer or push coroutine may hold it a moment longer, and the objects it refers to (hub,
// store, server) must outlive it. The gate waits for Count() == 0 before tearing those down.

#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

namespace pushmail::net {

// `S` has RequestStop() and Abort(), both thread-safe. Thread-safe.
template <class S>
class Sessions {
 public:
  Sessions() = default;
  Sessions(const Sessions&) = delete;
  Sessions& operator=(const Sessions&) = delete;

  // Makes a session that counts until it is destroyed. After StopAll it is told to stop at once.
  template <class... Args>
  std::shared_ptr<S> Make(Args&&... args) {
    std::shared_ptr<S> session(new S(std::forward<Args>(args)...), [this](S* s) {
      auto key = reinterpret_cast<std::uintptr_t>(s);
      delete s;
      Forget(key);  // after the destructor, which may still use what the gate protects
    });
    bool stopping = false;
    {
      std::lock_guard lock(mu_);
      live_.emplace(reinterpret_cast<std::uintptr_t>(session.get()), session);
      stopping = stopping_;
    }
    if (stopping) session->RequestStop();
    return session;
  }

  size_t Count() {
    std::lock_guard lock(mu_);
    return live_.size();
  }

  // Asks every session to stop at its next safe point; sessions made from now on stop at once.
  void StopAll() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    for (const auto& s : Snapshot()) s->RequestStop();
  }

  // Closes every session's connection now.
  void AbortAll() {
    for (const auto& s : Snapshot()) s->Abort();
  }

 private:
  // The live sessions, held outside the lock: dropping the last reference destroys a session,
  // whose deleter takes the lock.
  std::vector<std::shared_ptr<S>> Snapshot() {
    std::vector<std::shared_ptr<S>> out;
    std::lock_guard lock(mu_);
    out.reserve(live_.size());
    for (auto& [raw, weak] : live_) {
      if (auto s = weak.lock()) out.push_back(std::move(s));
    }
    return out;
  }

  void Forget(std::uintptr_t key) {
    std::lock_guard lock(mu_);
    live_.erase(key);
  }

  std::mutex mu_;
  std::unordered_map<std::uintptr_t, std::weak_ptr<S>> live_;  // guarded by mu_
  bool stopping_ = false;                                      // guarded by mu_
};

}  // namespace pushmail::net
