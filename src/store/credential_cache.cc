#include "store/credential_cache.h"

#include <sodium.h>

#include <algorithm>
#include <thread>

namespace pushmail::store {

CredentialCache::CredentialCache(std::chrono::seconds ttl, unsigned max_hashing, size_t max_entries)
    : ttl_(ttl),
      max_hashing_(max_hashing > 0 ? max_hashing
                                   : std::max(1u, std::thread::hardware_concurrency())),
      max_entries_(max_entries) {
  if (sodium_init() < 0) ttl_ = std::chrono::seconds(0);  // no randomness: cache nothing
  randombytes_buf(secret_.data(), secret_.size());
}

std::string CredentialCache::Key(std::string_view login, std::string_view password,
                                 std::string_view stored_hash) const {
  crypto_generichash_state state;
  crypto_generichash_init(&state, secret_.data(), secret_.size(), crypto_generichash_BYTES);
  // Lengths first, so that no two different triples hash the same octets.
  for (std::string_view part : {login, password, stored_hash}) {
    uint64_t size = part.size();
    crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(&size), sizeof size);
    crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(part.data()),
                              part.size());
  }
  std::string out(crypto_generichash_BYTES, '\0');
  crypto_generichash_final(&state, reinterpret_cast<unsigned char*>(out.data()), out.size());
  return out;
}

bool CredentialCache::ContainsKey(const std::string& key) {
  if (ttl_.count() <= 0) return false;
  auto it = entries_.find(key);
  if (it == entries_.end()) return false;
  if (Clock::now() < it->second) return true;
  entries_.erase(it);
  return false;
}

void CredentialCache::AddKey(const std::string& key) {
  if (ttl_.count() <= 0) return;
  auto now = Clock::now();
  if (entries_.size() >= max_entries_) {
    std::erase_if(entries_, [now](const auto& e) { return e.second <= now; });
    if (entries_.size() >= max_entries_) entries_.clear();
  }
  entries_[key] = now + ttl_;
}

bool CredentialCache::Contains(std::string_view login, std::string_view password,
                               std::string_view stored_hash) {
  std::string key = Key(login, password, stored_hash);
  std::lock_guard lock(mu_);
  return ContainsKey(key);
}

void CredentialCache::Add(std::string_view login, std::string_view password,
                          std::string_view stored_hash) {
  std::string key = Key(login, password, stored_hash);
  std::lock_guard lock(mu_);
  AddKey(key);
}

bool CredentialCache::Verify(std::string_view login, std::string_view password,
                             std::string_view stored_hash, const std::function<bool()>& verify) {
  std::string key = Key(login, password, stored_hash);
  std::unique_lock lock(mu_);
  if (ContainsKey(key)) return true;
  if (auto it = flights_.find(key); it != flights_.end()) {
    std::shared_ptr<Flight> flight = it->second;
    cv_.wait(lock, [&flight] { return flight->done; });
    return flight->ok;
  }
  auto flight = std::make_shared<Flight>();
  flights_.emplace(key, flight);
  cv_.wait(lock, [this] { return hashing_ < max_hashing_; });
  ++hashing_;
  ++hashes_run_;
  lock.unlock();
  bool ok = false;
  // However verify ends (it may throw bad_alloc), the slot is given back and the waiters woken.
  struct Land {
    CredentialCache& cache;
    const std::string& key;
    Flight& flight;
    bool& ok;
    ~Land() {
      {
        std::lock_guard lock(cache.mu_);
        --cache.hashing_;
        flight.done = true;
        flight.ok = ok;
        cache.flights_.erase(key);
        if (ok) cache.AddKey(key);
      }
      cache.cv_.notify_all();
    }
  } land{*this, key, *flight, ok};
  ok = verify();
  return ok;
}

void CredentialCache::Bounded(const std::function<void()>& hash) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return hashing_ < max_hashing_; });
  ++hashing_;
  ++hashes_run_;
  lock.unlock();
  struct Release {
    CredentialCache& cache;
    ~Release() {
      {
        std::lock_guard lock(cache.mu_);
        --cache.hashing_;
      }
      cache.cv_.notify_all();
    }
  } release{*this};
  hash();
}

}  // namespace pushmail::store
