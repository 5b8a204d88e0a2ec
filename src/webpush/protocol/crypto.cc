#include "webpush/protocol/crypto.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <array>

namespace pushmail::webpush {
namespace {

constexpr const char* kCurve = "prime256v1";

ErrorCode Invalid() { return MakeError(Errc::kInvalidArgument); }

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

template <class T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, Deleter<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using Bio = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using ParamBld = std::unique_ptr<OSSL_PARAM_BLD, Deleter<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using Params = std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM, OSSL_PARAM_free>>;
using Bignum = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using Group = std::unique_ptr<EC_GROUP, Deleter<EC_GROUP, EC_GROUP_free>>;
using Point = std::unique_ptr<EC_POINT, Deleter<EC_POINT, EC_POINT_free>>;
using Signature = std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG, ECDSA_SIG_free>>;

// A key from OSSL_PARAMs: the group, the public point and, for a pair, the private scalar.
EVP_PKEY* FromData(std::string_view point, const BIGNUM* private_scalar) {
  ParamBld bld(OSSL_PARAM_BLD_new());
  if (!bld || !OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, kCurve, 0) ||
      !OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                        point.size())) {
    return nullptr;
  }
  if (private_scalar &&
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, private_scalar)) {
    return nullptr;
  }
  Params params(OSSL_PARAM_BLD_to_param(bld.get()));
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* key = nullptr;
  int selection = private_scalar ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
      EVP_PKEY_fromdata(ctx.get(), &key, selection, params.get()) <= 0) {
    return nullptr;
  }
  return key;
}

bool IsP256(EVP_PKEY* key) {
  char name[32] = {};
  size_t len = 0;
  return EVP_PKEY_is_a(key, "EC") &&
         EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof(name), &len) >
             0 &&
         std::string_view(name, len) == kCurve;
}

Result<std::string> Ecdh(const EcKey& mine, const EcKey& theirs) {
  PkeyCtx ctx(EVP_PKEY_CTX_new(mine.get(), nullptr));
  size_t len = 0;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) <= 0 ||
      EVP_PKEY_derive_set_peer(ctx.get(), theirs.get()) <= 0 ||
      EVP_PKEY_derive(ctx.get(), nullptr, &len) <= 0) {
    return Invalid();
  }
  std::string secret(len, '\0');
  if (EVP_PKEY_derive(ctx.get(), reinterpret_cast<unsigned char*>(secret.data()), &len) <= 0) {
    return Invalid();
  }
  secret.resize(len);
  return secret;
}

std::string Hmac(std::string_view key, std::string_view data) {
  std::string out(32, '\0');
  unsigned len = 32;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), Bytes(data), data.size(),
       reinterpret_cast<unsigned char*>(out.data()), &len);
  return out;
}

// HKDF-Expand (RFC 5869) for at most one block, which is all RFC 8291 needs.
std::string Expand(std::string_view prk, std::string_view info, size_t length) {
  std::string block(info);
  block += '\x01';
  return Hmac(prk, block).substr(0, length);
}

Result<std::string> SealRecord(std::string_view cek, std::string_view nonce,
                               std::string_view record) {
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  std::string out(record.size() + 16, '\0');
  auto* data = reinterpret_cast<unsigned char*>(out.data());
  int len = 0, tail = 0;
  if (!ctx ||
      !EVP_EncryptInit_ex(ctx.get(), EVP_aes_128_gcm(), nullptr, Bytes(cek), Bytes(nonce)) ||
      !EVP_EncryptUpdate(ctx.get(), data, &len, Bytes(record), static_cast<int>(record.size())) ||
      !EVP_EncryptFinal_ex(ctx.get(), data + len, &tail) ||
      !EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, 16, data + record.size())) {
    return MakeError(Errc::kIo);
  }
  return out;
}

}  // namespace

Result<EcKey> EcKey::Generate() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  if (!key) return MakeError(Errc::kIo);
  return EcKey(key);
}

Result<EcKey> EcKey::FromPrivateScalar(std::string_view d) {
  if (d.size() != 32) return Invalid();
  Bignum scalar(BN_bin2bn(Bytes(d), static_cast<int>(d.size()), nullptr));
  Group group(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1));
  if (!scalar || !group) return Invalid();
  Point point(EC_POINT_new(group.get()));
  std::string octets(kPublicKeySize, '\0');
  if (!point || !EC_POINT_mul(group.get(), point.get(), scalar.get(), nullptr, nullptr, nullptr) ||
      EC_POINT_point2oct(group.get(), point.get(), POINT_CONVERSION_UNCOMPRESSED,
                         reinterpret_cast<unsigned char*>(octets.data()), octets.size(),
                         nullptr) != kPublicKeySize) {
    return Invalid();
  }
  EVP_PKEY* key = FromData(octets, scalar.get());
  if (!key) return Invalid();
  return EcKey(key);
}

Result<EcKey> EcKey::FromPem(std::string_view pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EVP_PKEY* key = bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr;
  if (!key) return Invalid();
  EcKey out(key);
  if (!IsP256(key)) return Invalid();
  return out;
}

Result<EcKey> EcKey::FromPublicPoint(std::string_view point) {
  if (point.size() != kPublicKeySize || point[0] != '\x04') return Invalid();
  EVP_PKEY* key = FromData(point, nullptr);
  if (!key) return Invalid();
  EcKey out(key);
  PkeyCtx ctx(EVP_PKEY_CTX_new(key, nullptr));
  if (!ctx || EVP_PKEY_public_check(ctx.get()) <= 0) return Invalid();  // on the curve
  return out;
}

std::string EcKey::PublicPoint() const {
  std::string out(kPublicKeySize, '\0');
  size_t len = 0;
  if (EVP_PKEY_get_octet_string_param(key_.get(), OSSL_PKEY_PARAM_PUB_KEY,
                                      reinterpret_cast<unsigned char*>(out.data()), out.size(),
                                      &len) <= 0) {
    return {};
  }
  out.resize(len);
  return out;
}

std::string EcKey::PrivatePem() const {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      !PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr)) {
    return {};
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return len > 0 ? std::string(data, static_cast<size_t>(len)) : std::string();
}

Result<std::string> Encrypt(std::string_view plaintext, std::string_view ua_public,
                            std::string_view auth_secret) {
  auto sender = EcKey::Generate();
  if (!sender) return sender.error();
  std::array<unsigned char, kSaltSize> salt{};
  if (RAND_bytes(salt.data(), salt.size()) != 1) return MakeError(Errc::kIo);
  return Encrypt(plaintext, ua_public, auth_secret, *sender,
                 std::string_view(reinterpret_cast<const char*>(salt.data()), salt.size()));
}

Result<std::string> Encrypt(std::string_view plaintext, std::string_view ua_public,
                            std::string_view auth_secret, const EcKey& sender,
                            std::string_view salt) {
  if (plaintext.size() > kMaxPlaintext) return MakeError(Errc::kLimitExceeded);
  if (auth_secret.size() != kAuthSecretSize || salt.size() != kSaltSize) return Invalid();
  auto ua = EcKey::FromPublicPoint(ua_public);
  if (!ua) return ua.error();
  auto ecdh_secret = Ecdh(sender, *ua);
  if (!ecdh_secret) return ecdh_secret.error();
  std::string as_public = sender.PublicPoint();
  // RFC 8291 3.3 and 3.4: IKM from the ECDH secret and the auth secret, then RFC 8188's keys.
  std::string key_info = std::string("WebPush: info", 13) + '\0';
  key_info += ua_public;
  key_info += as_public;
  std::string ikm = Expand(Hmac(auth_secret, *ecdh_secret), key_info, 32);
  std::string prk = Hmac(salt, ikm);
  std::string cek = Expand(prk, std::string("Content-Encoding: aes128gcm", 27) + '\0', 16);
  std::string nonce = Expand(prk, std::string("Content-Encoding: nonce", 23) + '\0', 12);
  // The header: salt, record size (big-endian), key id length, key id (the sender's key).
  std::string out(salt);
  for (int shift : {24, 16, 8, 0}) out += static_cast<char>((kRecordSize >> shift) & 0xff);
  out += static_cast<char>(as_public.size());
  out += as_public;
  std::string record(plaintext);
  record += '\x02';  // the last (and only) record, no padding
  auto sealed = SealRecord(cek, nonce, record);
  if (!sealed) return sealed.error();
  out += *sealed;
  return out;
}

Result<std::string> SignEs256(const EcKey& key, std::string_view data) {
  MdCtx ctx(EVP_MD_CTX_new());
  size_t len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) <= 0 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, Bytes(data), data.size()) <= 0) {
    return Invalid();
  }
  std::string der(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(der.data()), &len, Bytes(data),
                     data.size()) <= 0) {
    return Invalid();
  }
  const unsigned char* p = Bytes(der);
  Signature sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len)));
  if (!sig) return MakeError(Errc::kIo);
  std::string out(64, '\0');
  auto* raw = reinterpret_cast<unsigned char*>(out.data());
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), raw, 32) != 32 ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), raw + 32, 32) != 32) {
    return MakeError(Errc::kIo);
  }
  return out;
}

}  // namespace pushmail::webpush
