#pragma once
// Remembers credentials that passed Argon2id, so that HTTP Basic (sent with every request) does
// not cost tens of milliseconds and 64 MiB each time. Thread-safe.
//
// An entry is a keyed BLAKE2b of login, password and the account's stored password hash, under a
// random key made when the cache is; the password itself is never kept. Because the stored hash
// is part of the entry, a password change (a new hash with a new salt, also from another process
// such as `pushmaild user passwd`) makes the old entry miss at once, and a deleted account fails
// before the cache is asked. Entries expire after `ttl`; when the cache is full the expired ones
// go, and if that is not enough, all of them.
//
// The trade: someone who can read this process's memory gets the key and the entries, and could
// test guesses for the cached accounts at BLAKE2b speed instead of Argon2id speed, for `ttl`.
// Someone who can read this process's memory also sees passwords arrive in requests.

#include <array>
#include <chrono>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace pushmail::store {

class CredentialCache {
 public:
  explicit CredentialCache(std::chrono::seconds ttl, size_t max_entries = 65536);

  bool Contains(std::string_view login, std::string_view password, std::string_view stored_hash);
  void Add(std::string_view login, std::string_view password, std::string_view stored_hash);

 private:
  using Clock = std::chrono::steady_clock;
  std::string Key(std::string_view login, std::string_view password,
                  std::string_view stored_hash) const;

  std::chrono::seconds ttl_;
  size_t max_entries_;
  std::array<unsigned char, 32> secret_;
  std::mutex mu_;
  std::unordered_map<std::string, Clock::time_point> entries_;  // guarded by mu_; expiry
};

}  // namespace pushmail::store
