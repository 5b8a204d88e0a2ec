#pragma once
// Remembers credentials that passed Argon2id, so that a client that logs in again (HTTP Basic
// with every request, an IMAP client reconnecting after a network switch, a reconnect storm
// after a restart) costs microseconds instead of tens of milliseconds and 64 MiB each time.
// Every password check of the server goes through one cache: Store::Authenticate. Thread-safe.
//
// An entry is a keyed BLAKE2b of login, password and the account's stored password hash, under a
// random key made when the cache is; the password itself is never kept. Because the stored hash
// is part of the entry, a password change (a new hash with a new salt, also from another process
// such as `pushmaild user passwd`) makes the old entry miss at once, and a deleted account fails
// before the cache is asked. Entries expire after `ttl`; when the cache is full the expired ones
// go, and if that is not enough, all of them.
//
// Argon2id itself runs at most `max_hashing` at a time (each takes ~64 MiB), and callers that
// ask about the same credentials while one hash of them runs wait for its answer instead of
// hashing again: 2,000 clients of 100 accounts reconnecting at once cost 100 hashes.
//
// The trade: someone who can read this process's memory gets the key and the entries, and could
// test guesses for the cached accounts at BLAKE2b speed instead of Argon2id speed, for `ttl`.
// Someone who can read this process's memory also sees passwords arrive in requests.

#include <array>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace pushmail::store {

class CredentialCache {
 public:
  // `max_hashing` 0: one per CPU.
  explicit CredentialCache(std::chrono::seconds ttl, unsigned max_hashing = 0,
                           size_t max_entries = 65536);

  // Whether `password` is right for `login`, whose stored hash is `stored_hash`: true at once
  // when these credentials passed within ttl; otherwise `verify` (the Argon2id check) says,
  // run as described above, and a true answer is remembered. Blocks; any thread.
  bool Verify(std::string_view login, std::string_view password, std::string_view stored_hash,
              const std::function<bool()>& verify);
  // Runs `hash` under the same bound on concurrent hashing (the unknown-login equaliser).
  void Bounded(const std::function<void()>& hash);

  bool Contains(std::string_view login, std::string_view password, std::string_view stored_hash);
  void Add(std::string_view login, std::string_view password, std::string_view stored_hash);

  // Argon2id runs so far (for tests and figures).
  uint64_t HashesRun() {
    std::lock_guard lock(mu_);
    return hashes_run_;
  }

 private:
  using Clock = std::chrono::steady_clock;
  // One Argon2id run that callers with the same key wait for.
  struct Flight {
    bool done = false;
    bool ok = false;
  };
  std::string Key(std::string_view login, std::string_view password,
                  std::string_view stored_hash) const;
  bool ContainsKey(const std::string& key);  // mu_ held
  void AddKey(const std::string& key);       // mu_ held

  std::chrono::seconds ttl_;
  unsigned max_hashing_;
  size_t max_entries_;
  std::array<unsigned char, 32> secret_;
  std::mutex mu_;
  std::condition_variable cv_;  // a flight landed, or a hashing slot came free
  // State below is guarded by mu_.
  std::unordered_map<std::string, Clock::time_point> entries_;  // expiry
  std::unordered_map<std::string, std::shared_ptr<Flight>> flights_;
  unsigned hashing_ = 0;
  uint64_t hashes_run_ = 0;
};

}  // namespace pushmail::store
