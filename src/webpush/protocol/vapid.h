#pragma once
// VAPID (RFC 8292): the server's ES256 key pair, which identifies it to push services, and the
// Authorization header that carries a signed JWT with each push.

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "webpush/protocol/crypto.h"

namespace pushmail::webpush {

// The JWT (RFC 7519, signed with ES256) that VAPID asks for: audience `aud` (the push
// service's origin), expiry `exp` (Unix seconds) and contact `sub` ("mailto:..." or a URL).
Result<std::string> VapidJwt(const EcKey& key, std::string_view aud, int64_t exp,
                             std::string_view sub);

class Vapid {
 public:
  // Reads the key pair from `path` (PEM), or makes one and writes it there (mode 0600) when the
  // file does not exist. Blocks on the disk; fails when the file cannot be read, written or is
  // not a P-256 private key.
  static Result<Vapid> LoadOrCreate(const std::string& path, std::string subject);
  Vapid(EcKey key, std::string subject);

  // The public key, base64url of the uncompressed point: `k=` of the header, and the
  // applicationServerKey of the session resource (RFC 9749).
  const std::string& public_key() const { return public_key_; }
  // "vapid t=JWT, k=KEY" for a push to `audience`, valid until `exp` (at most 24 hours ahead,
  // RFC 8292 2).
  Result<std::string> Authorization(std::string_view audience, int64_t exp) const;

 private:
  EcKey key_;
  std::string subject_;
  std::string public_key_;
};

}  // namespace pushmail::webpush
