#include "store/credential_cache.h"

#include <sodium.h>

namespace pushmail::store {

CredentialCache::CredentialCache(std::chrono::seconds ttl, size_t max_entries)
    : ttl_(ttl), max_entries_(max_entries) {
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

bool CredentialCache::Contains(std::string_view login, std::string_view password,
                               std::string_view stored_hash) {
  if (ttl_.count() <= 0) return false;
  std::string key = Key(login, password, stored_hash);
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return false;
  if (Clock::now() < it->second) return true;
  entries_.erase(it);
  return false;
}

void CredentialCache::Add(std::string_view login, std::string_view password,
                          std::string_view stored_hash) {
  if (ttl_.count() <= 0) return;
  std::string key = Key(login, password, stored_hash);
  auto now = Clock::now();
  std::lock_guard lock(mu_);
  if (entries_.size() >= max_entries_) {
    std::erase_if(entries_, [now](const auto& e) { return e.second <= now; });
    if (entries_.size() >= max_entries_) entries_.clear();
  }
  entries_[key] = now + ttl_;
}

}  // namespace pushmail::store
