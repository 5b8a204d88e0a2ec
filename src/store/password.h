#pragma once
// Argon2id password hashes (libsodium's crypto_pwhash_str). Both calls are slow by design
// (about 64 MiB and tens of milliseconds): never call them on a network worker.

#include <string>
#include <string_view>

#include "base/result.h"

namespace pushmail::store {

Result<std::string> HashPassword(std::string_view password);
bool VerifyPassword(std::string_view hash, std::string_view password);

}  // namespace pushmail::store
