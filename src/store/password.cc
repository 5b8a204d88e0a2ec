#include "store/password.h"

#include <sodium.h>

#include <mutex>

namespace pushmail::store {
namespace {

void InitSodium() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0) std::abort();  // no usable randomness: nothing is safe
  });
}

}  // namespace

std::optional<HashCost> ParseHashCost(std::string_view name) {
  if (name == "interactive") return HashCost::kInteractive;
  if (name == "moderate") return HashCost::kModerate;
  if (name == "minimum") return HashCost::kMinimum;
  return std::nullopt;
}

Result<std::string> HashPassword(std::string_view password, HashCost cost) {
  InitSodium();
  unsigned long long ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
  size_t mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
  if (cost == HashCost::kModerate) {
    ops = crypto_pwhash_OPSLIMIT_MODERATE;
    mem = crypto_pwhash_MEMLIMIT_MODERATE;
  } else if (cost == HashCost::kMinimum) {
    ops = crypto_pwhash_OPSLIMIT_MIN;
    mem = crypto_pwhash_MEMLIMIT_MIN;
  }
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), ops, mem) != 0) {
    return MakeError(Errc::kUnavailable);  // out of memory
  }
  return std::string(out);
}

bool VerifyPassword(std::string_view hash, std::string_view password) {
  InitSodium();
  std::string h(hash);  // libsodium wants a NUL-terminated string
  return crypto_pwhash_str_verify(h.c_str(), password.data(), password.size()) == 0;
}

}  // namespace pushmail::store
