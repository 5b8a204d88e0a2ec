// VAPID (RFC 8292): the JWT's fields and its ES256 signature, checked with OpenSSL.
#include "webpush/protocol/vapid.h"

#include <gtest/gtest.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>

#include <boost/json.hpp>
#include <fstream>

#include "base/base64.h"
#include "testing/temp_dir.h"

namespace pushmail::webpush {
namespace {

// Verifies a JWS ES256 signature (r || s) over `input` with the uncompressed point `point`.
bool VerifyEs256(std::string_view point, std::string_view input, std::string_view raw) {
  if (raw.size() != 64) return false;
  auto key = EcKey::FromPublicPoint(point);
  if (!key) return false;
  const auto* r = reinterpret_cast<const unsigned char*>(raw.data());
  ECDSA_SIG* sig = ECDSA_SIG_new();
  ECDSA_SIG_set0(sig, BN_bin2bn(r, 32, nullptr), BN_bin2bn(r + 32, 32, nullptr));
  unsigned char* der = nullptr;
  int der_len = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok =
      EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key->get()) == 1 &&
      EVP_DigestVerify(ctx, der, static_cast<size_t>(der_len),
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  OPENSSL_free(der);
  return ok;
}

struct Jwt {
  std::string header, claims, signature, signed_part;
};

Jwt Split(std::string_view jwt) {
  size_t a = jwt.find('.'), b = jwt.rfind('.');
  return {DecodeBase64Url(jwt.substr(0, a)).value(),
          DecodeBase64Url(jwt.substr(a + 1, b - a - 1)).value(),
          DecodeBase64Url(jwt.substr(b + 1)).value(), std::string(jwt.substr(0, b))};
}

TEST(Vapid, HeaderCarriesASignedJwtAndTheKey) {
  testing::TempDir dir;
  auto vapid = Vapid::LoadOrCreate(dir.File("vapid.pem"), "mailto:postmaster@example.test").value();
  std::string point = DecodeBase64Url(vapid.public_key()).value();
  ASSERT_EQ(point.size(), 65u);
  std::string header = vapid.Authorization("https://push.example.net", 1800000000).value();
  ASSERT_TRUE(header.starts_with("vapid t="));
  size_t k = header.find(", k=");
  ASSERT_NE(k, std::string::npos);
  EXPECT_EQ(header.substr(k + 4), vapid.public_key());
  Jwt jwt = Split(header.substr(8, k - 8));
  EXPECT_EQ(boost::json::parse(jwt.header), boost::json::parse(R"({"typ":"JWT","alg":"ES256"})"));
  EXPECT_EQ(boost::json::parse(jwt.claims),
            boost::json::parse(R"({"aud":"https://push.example.net","exp":1800000000,)"
                               R"("sub":"mailto:postmaster@example.test"})"));
  EXPECT_TRUE(VerifyEs256(point, jwt.signed_part, jwt.signature));
  // The check can fail: another message, another key.
  EXPECT_FALSE(VerifyEs256(point, jwt.signed_part + "x", jwt.signature));
  auto other = EcKey::Generate().value();
  EXPECT_FALSE(VerifyEs256(other.PublicPoint(), jwt.signed_part, jwt.signature));
}

TEST(Vapid, TheKeyIsMadeOnceAndKept) {
  testing::TempDir dir;
  std::string path = dir.File("vapid.pem");
  auto first = Vapid::LoadOrCreate(path, "mailto:a@example.test").value();
  auto second = Vapid::LoadOrCreate(path, "mailto:a@example.test").value();
  EXPECT_EQ(first.public_key(), second.public_key());
  { std::ofstream(dir.File("bad.pem")) << "not a key\n"; }
  EXPECT_FALSE(Vapid::LoadOrCreate(dir.File("bad.pem"), "mailto:a@example.test"));
}

TEST(Vapid, SignaturesAreRawAndVerify) {
  auto key = EcKey::Generate().value();
  for (int i = 0; i < 20; ++i) {  // r or s with leading zero octets must still be 32 each
    std::string input = "message " + std::to_string(i);
    auto sig = SignEs256(key, input).value();
    ASSERT_EQ(sig.size(), 64u);
    EXPECT_TRUE(VerifyEs256(key.PublicPoint(), input, sig));
  }
}

}  // namespace
}  // namespace pushmail::webpush
