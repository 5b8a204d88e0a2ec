#pragma once
// Signed EventSource URLs: a browser's EventSource cannot send Authorization, so the client
// fetches a short-lived token bound to its account and puts it in the URL's query
// ("&token=..."). The token is "<account>.<expires>.<HMAC-SHA256>" in base64url, under a
// 32-octet key kept in the data folder (mode 0600), so tokens survive a restart and need no
// table. It cannot be revoked before it expires; keep its lifetime short. Thread-safe after
// construction.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "store/types.h"

namespace pushmail::http {

class UrlSigner {
 public:
  // Reads the key at `path`, or makes one there (mode 0600) when there is none. Fails when the
  // file cannot be read or made, or holds anything but 32 octets.
  static Result<UrlSigner> Load(const std::string& path);
  explicit UrlSigner(const std::array<unsigned char, 32>& key) : key_(key) {}

  std::string Sign(store::AccountId account, int64_t expires_at) const;
  // The account a token names, if its signature holds and `now` is before its expiry.
  std::optional<store::AccountId> Verify(std::string_view token, int64_t now) const;

 private:
  std::string Mac(std::string_view message) const;
  std::array<unsigned char, 32> key_;
};

}  // namespace pushmail::http
