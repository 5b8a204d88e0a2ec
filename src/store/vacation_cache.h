#pragma once
// Internal to the store: see Store::VacationActive.

#include <mutex>
#include <unordered_map>

#include "store/store.h"

namespace pushmail::store {

// The enabled vacation responses (their dates; bodies stay on disk), account -> response.
// Loaded when the store opens and kept in step by SetVacationResponse, the only writer.
// Thread-safe.
class Store::VacationCache {
 public:
  bool Active(AccountId account, int64_t when) {
    std::lock_guard lock(mu_);
    auto it = enabled_.find(account);
    return it != enabled_.end() && it->second.ActiveAt(when);
  }
  void Set(AccountId account, const VacationResponse& vacation) {
    std::lock_guard lock(mu_);
    if (!vacation.enabled) {
      enabled_.erase(account);
      return;
    }
    VacationResponse& dates = enabled_[account];
    dates.enabled = true;
    dates.from = vacation.from;
    dates.to = vacation.to;
  }

 private:
  std::mutex mu_;
  std::unordered_map<AccountId, VacationResponse> enabled_;  // guarded by mu_
};

}  // namespace pushmail::store
