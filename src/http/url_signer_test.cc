#include "http/url_signer.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "testing/temp_dir.h"

namespace pushmail::http {
namespace {

TEST(UrlSigner, SignsAndVerifies) {
  std::array<unsigned char, 32> key{};
  key[0] = 1;
  UrlSigner signer(key);
  std::string token = signer.Sign(7, 1000);
  EXPECT_EQ(signer.Verify(token, 999), 7);
  EXPECT_FALSE(signer.Verify(token, 1000));  // expired
  key[0] = 2;
  EXPECT_FALSE(UrlSigner(key).Verify(token, 999));  // another server's key
}

TEST(UrlSigner, RefusesTamperedTokens) {
  std::array<unsigned char, 32> key{};
  UrlSigner signer(key);
  std::string token = signer.Sign(7, 1000);
  std::string mac = token.substr(token.rfind('.'));
  std::string flipped = token;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  for (const std::string& bad :
       {std::string(), std::string("7.1000"), "8.1000" + mac, "7.2000" + mac, "07.1000" + mac,
        flipped, token + "A", token.substr(0, token.size() - 1), std::string(200, 'a'), "x.y" + mac,
        "." + mac}) {
    EXPECT_FALSE(signer.Verify(bad, 0)) << bad;
  }
}

TEST(UrlSigner, KeyFileIsMadeOnceWithMode0600) {
  testing::TempDir dir;
  std::string path = dir.File("eventsource.key");
  auto first = UrlSigner::Load(path);
  ASSERT_TRUE(first.has_value());
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 32);
  auto second = UrlSigner::Load(path);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->Verify(first->Sign(3, 100), 50), 3);
  FILE* f = fopen(path.c_str(), "ab");
  ASSERT_NE(f, nullptr);
  fputc('x', f);
  fclose(f);
  EXPECT_FALSE(UrlSigner::Load(path).has_value());  // not a key of ours
}

}  // namespace
}  // namespace pushmail::http
