#pragma once
// Web Push message encryption (RFC 8291: ECDH on P-256, HKDF-SHA-256, the aes128gcm content
// coding of RFC 8188) and the ES256 signatures of VAPID (RFC 8292), with OpenSSL 3. Pure: no
// I/O. Any thread.

#include <openssl/evp.h>

#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"

namespace pushmail::webpush {

inline constexpr size_t kPublicKeySize = 65;  // an uncompressed P-256 point
inline constexpr size_t kAuthSecretSize = 16;
inline constexpr size_t kSaltSize = 16;
inline constexpr size_t kRecordSize = 4096;  // one record: RFC 8291 4 asks for at most 4096
inline constexpr size_t kHeaderSize = kSaltSize + 4 + 1 + kPublicKeySize;  // 86
// The longest plaintext that fits in one 4096-octet record (tag and delimiter octet aside).
inline constexpr size_t kMaxPlaintext = kRecordSize - kHeaderSize - 16 - 1;  // 3993

// A P-256 key (a pair, or a public key alone). Move-only; owns its EVP_PKEY.
class EcKey {
 public:
  static Result<EcKey> Generate();
  // From the 32-octet private scalar (the test vectors give keys this way).
  static Result<EcKey> FromPrivateScalar(std::string_view d);
  // From a PEM private key (PKCS#8 or SEC1); kInvalidArgument unless it is a P-256 key.
  static Result<EcKey> FromPem(std::string_view pem);
  // From an uncompressed point; kInvalidArgument unless it lies on P-256.
  static Result<EcKey> FromPublicPoint(std::string_view point);

  std::string PublicPoint() const;  // 65 octets, uncompressed
  std::string PrivatePem() const;   // PKCS#8; empty for a public key alone
  EVP_PKEY* get() const { return key_.get(); }

 private:
  struct Free {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
  };
  explicit EcKey(EVP_PKEY* key) : key_(key) {}
  std::unique_ptr<EVP_PKEY, Free> key_;
};

// The aes128gcm body (RFC 8188 header, then one record) that carries `plaintext` to the user
// agent whose key is `ua_public` (the subscription's p256dh) and auth secret `auth_secret`.
// A fresh sender key and salt are made for each message. kInvalidArgument for a bad key or
// secret, kLimitExceeded for a plaintext over kMaxPlaintext.
Result<std::string> Encrypt(std::string_view plaintext, std::string_view ua_public,
                            std::string_view auth_secret);
// The same with the sender key and salt given: only for the RFC's test vector.
Result<std::string> Encrypt(std::string_view plaintext, std::string_view ua_public,
                            std::string_view auth_secret, const EcKey& sender,
                            std::string_view salt);

// An ES256 signature of `data` (ECDSA P-256 with SHA-256) as JWS wants it: r and s, 32
// octets each (RFC 7518 3.4).
Result<std::string> SignEs256(const EcKey& key, std::string_view data);

}  // namespace pushmail::webpush
