#pragma once
// Internal to the store: see Store::CachedRecipient.

#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "base/clock.h"
#include "store/store.h"

namespace pushmail::store {

// Addresses found recently, address (lower case) -> account. Thread-safe.
class Store::RecipientCache {
 public:
  std::optional<AccountId> Find(const std::string& address) {
    std::lock_guard lock(mu_);
    auto it = entries_.find(address);
    if (it == entries_.end()) return std::nullopt;
    if (SteadyClock::now() >= it->second.expires) {
      entries_.erase(it);
      return std::nullopt;
    }
    return it->second.account;
  }
  void Remember(const std::string& address, AccountId account) {
    std::lock_guard lock(mu_);
    if (entries_.size() >= kMaxEntries) entries_.clear();  // bounded; refills as mail comes
    entries_[address] = {account, SteadyClock::now() + kRecipientTtl};
  }
  void Clear() {
    std::lock_guard lock(mu_);
    entries_.clear();
  }

 private:
  static constexpr size_t kMaxEntries = 100000;
  struct Entry {
    AccountId account;
    SteadyClock::time_point expires;
  };
  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;  // guarded by mu_
};

}  // namespace pushmail::store
