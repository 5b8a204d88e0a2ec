// RFC 8291's example (section 5, intermediate values in Appendix A), to the octet.
#include "webpush/protocol/crypto.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base/base64.h"

namespace pushmail::webpush {
namespace {

std::string B64(std::string_view text) { return DecodeBase64Url(text).value(); }

constexpr const char* kPlaintext = "When I grow up, I want to be a watermelon";
constexpr const char* kUaPublic =
    "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
constexpr const char* kUaPrivate = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94";
constexpr const char* kAuthSecret = "BTBZMqHH6r4Tts7J_aSIgg";
constexpr const char* kAsPrivate = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw";
constexpr const char* kAsPublic =
    "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8";
constexpr const char* kSalt = "DGv6ra1nlYgDCS1FRnbzlw";
constexpr const char* kBody =
    "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS"
    "6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qul"
    "cy4a-fN";

std::string Hmac(std::string_view key, std::string_view data) {
  unsigned char out[32];
  unsigned len = 32;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

// The user agent's side of RFC 8291 3.4, written out here so that a round trip checks a
// message made with a fresh key and salt. Returns the plaintext, or "" when the tag is wrong.
std::string Decrypt(const EcKey& ua, std::string_view auth, std::string_view body,
                    std::string* ecdh_out = nullptr) {
  std::string_view salt = body.substr(0, 16), as_public = body.substr(21, 65);
  EXPECT_EQ(body.substr(16, 5), std::string_view("\0\0\x10\0\x41", 5));  // rs 4096, idlen 65
  auto sender = EcKey::FromPublicPoint(as_public).value();
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(ua.get(), nullptr);
  size_t len = 32;
  std::string ecdh(32, '\0');
  EXPECT_GT(EVP_PKEY_derive_init(ctx), 0);
  EXPECT_GT(EVP_PKEY_derive_set_peer(ctx, sender.get()), 0);
  EXPECT_GT(EVP_PKEY_derive(ctx, reinterpret_cast<unsigned char*>(ecdh.data()), &len), 0);
  EVP_PKEY_CTX_free(ctx);
  if (ecdh_out) *ecdh_out = ecdh;
  std::string info = std::string("WebPush: info\0", 14) + ua.PublicPoint() + std::string(as_public);
  std::string ikm = Hmac(Hmac(auth, ecdh), info + "\x01");
  std::string prk = Hmac(salt, ikm);
  std::string cek = Hmac(prk, std::string("Content-Encoding: aes128gcm\0\x01", 29)).substr(0, 16);
  std::string nonce = Hmac(prk, std::string("Content-Encoding: nonce\0\x01", 25)).substr(0, 12);
  std::string_view sealed = body.substr(86);
  std::string_view cipher = sealed.substr(0, sealed.size() - 16),
                   tag = sealed.substr(cipher.size());
  EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
  std::string plain(cipher.size(), '\0');
  int n = 0, tail = 0;
  auto u = [](std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); };
  EVP_DecryptInit_ex(c, EVP_aes_128_gcm(), nullptr, u(cek), u(nonce));
  EVP_DecryptUpdate(c, reinterpret_cast<unsigned char*>(plain.data()), &n, u(cipher),
                    static_cast<int>(cipher.size()));
  EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, const_cast<char*>(tag.data()));
  bool ok = EVP_DecryptFinal_ex(c, reinterpret_cast<unsigned char*>(plain.data()) + n, &tail) == 1;
  EVP_CIPHER_CTX_free(c);
  if (!ok || plain.empty() || plain.back() != '\x02') return {};
  plain.pop_back();
  return plain;
}

TEST(WebPushCrypto, Rfc8291ExampleToTheOctet) {
  auto sender = EcKey::FromPrivateScalar(B64(kAsPrivate)).value();
  EXPECT_EQ(sender.PublicPoint(), B64(kAsPublic));
  auto body = Encrypt(kPlaintext, B64(kUaPublic), B64(kAuthSecret), sender, B64(kSalt)).value();
  EXPECT_EQ(EncodeBase64Url(body), kBody);
  EXPECT_EQ(body.size(), kHeaderSize + std::string_view(kPlaintext).size() + 1 + 16);
}

TEST(WebPushCrypto, TheUserAgentDecryptsIt) {
  // Appendix A's ECDH secret, from either side.
  auto ua = EcKey::FromPrivateScalar(B64(kUaPrivate)).value();
  EXPECT_EQ(ua.PublicPoint(), B64(kUaPublic));
  std::string ecdh;
  EXPECT_EQ(Decrypt(ua, B64(kAuthSecret), B64(kBody), &ecdh), kPlaintext);
  EXPECT_EQ(EncodeBase64Url(ecdh), "kyrL1jIIOHEzg3sM2ZWRHDRB62YACZhhSlknJ672kSs");
  // A fresh sender key and salt each time, and the user agent still reads it.
  auto body = Encrypt(kPlaintext, B64(kUaPublic), B64(kAuthSecret)).value();
  EXPECT_NE(EncodeBase64Url(body), kBody);
  EXPECT_EQ(Decrypt(ua, B64(kAuthSecret), body), kPlaintext);
  std::string tampered = body;
  tampered[100] ^= 1;
  EXPECT_EQ(Decrypt(ua, B64(kAuthSecret), tampered), "");
}

TEST(WebPushCrypto, RefusesBadKeysAndLongPlaintexts) {
  std::string ua = B64(kUaPublic), auth = B64(kAuthSecret);
  EXPECT_FALSE(Encrypt("x", ua.substr(1), auth));  // not 65 octets
  std::string off_curve = ua;
  off_curve[40] ^= 1;
  EXPECT_FALSE(Encrypt("x", off_curve, auth));  // not on P-256
  std::string compressed = ua;
  compressed[0] = 2;
  EXPECT_FALSE(Encrypt("x", compressed, auth));
  EXPECT_FALSE(Encrypt("x", ua, auth.substr(1)));  // auth is 16 octets
  EXPECT_TRUE(Encrypt(std::string(kMaxPlaintext, 'a'), ua, auth));
  auto too_long = Encrypt(std::string(kMaxPlaintext + 1, 'a'), ua, auth);
  ASSERT_FALSE(too_long);
  EXPECT_EQ(too_long.error(), MakeError(Errc::kLimitExceeded));
  EXPECT_EQ(Encrypt(std::string(kMaxPlaintext, 'a'), ua, auth)->size(), kRecordSize);
}

TEST(WebPushCrypto, KeysSurvivePem) {
  auto key = EcKey::Generate().value();
  auto again = EcKey::FromPem(key.PrivatePem()).value();
  EXPECT_EQ(again.PublicPoint(), key.PublicPoint());
  EXPECT_FALSE(EcKey::FromPem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"));
}

}  // namespace
}  // namespace pushmail::webpush
