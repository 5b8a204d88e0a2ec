#pragma once
// Argon2id password hashes (libsodium's crypto_pwhash_str). Both calls are slow by design
// (about 64 MiB and tens of milliseconds): never call them on a network worker.

#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace pushmail::store {

// How much work a new hash costs. Verification reads the cost from the hash itself, so
// accounts made with different costs live side by side.
enum class HashCost {
  kInteractive,  // libsodium's interactive limits (~64 MiB, tens of ms): the default
  kModerate,     // ~256 MiB, a few hundred ms: for a server that logs in rarely
  kMinimum,      // 1 pass over 8 KiB: for test fixtures and benchmarks that make many accounts
};
// Parses "interactive", "moderate" or "minimum".
std::optional<HashCost> ParseHashCost(std::string_view name);

Result<std::string> HashPassword(std::string_view password, HashCost cost = HashCost::kInteractive);
bool VerifyPassword(std::string_view hash, std::string_view password);

}  // namespace pushmail::store
