#include <gtest/gtest.h>

#include "base/clock.h"
#include "store/credential_cache.h"
#include "store/store.h"
#include "testing/temp_dir.h"

namespace pushmail::store {
namespace {

class TokenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = Store::Open({dir_.File("store.db"), 256});
    ASSERT_TRUE(store.has_value()) << store.error().message();
    store_ = std::move(*store);
    alice_ = store_->CreateAccount("alice@example.test", "alice-pw", HashCost::kMinimum).value();
    bob_ = store_->CreateAccount("bob@example.test", "bob-pw", HashCost::kMinimum).value();
  }
  int64_t Later() { return UnixNow() + 3600; }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
  AccountId alice_ = 0, bob_ = 0;
};

TEST_F(TokenTest, CreateFindRevoke) {
  auto token = store_->CreateToken(alice_, Later());
  ASSERT_TRUE(token.has_value());
  EXPECT_EQ(token->size(), 43u);
  auto other = store_->CreateToken(bob_, Later());
  ASSERT_TRUE(other.has_value());
  EXPECT_NE(*token, *other);
  EXPECT_EQ(store_->FindToken(*token).value(), alice_);
  EXPECT_EQ(store_->FindToken(*other).value(), bob_);
  EXPECT_FALSE(store_->RevokeToken(*token));
  EXPECT_FALSE(store_->FindToken(*token).has_value());
  EXPECT_TRUE(store_->RevokeToken(*token));  // already gone
  EXPECT_EQ(store_->FindToken(*other).value(), bob_);
}

TEST_F(TokenTest, ExpiredAndMalformedTokensAreNotFound) {
  auto expired = store_->CreateToken(alice_, UnixNow() - 1);
  ASSERT_TRUE(expired.has_value());
  EXPECT_FALSE(store_->FindToken(*expired).has_value());
  auto good = store_->CreateToken(alice_, Later());
  ASSERT_TRUE(good.has_value());
  std::string changed = *good;
  changed[0] = changed[0] == 'A' ? 'B' : 'A';
  for (const std::string& bad : {std::string(), std::string(43, 'A'), changed, good->substr(1),
                                 *good + "A", std::string(43, '\0')}) {
    EXPECT_FALSE(store_->FindToken(bad).has_value());
  }
  EXPECT_FALSE(store_->CreateToken(9999, Later()).has_value());  // no such account
}

TEST_F(TokenTest, PasswordChangeAndDeletionRevoke) {
  auto a = store_->CreateToken(alice_, Later()).value();
  auto b = store_->CreateToken(bob_, Later()).value();
  ASSERT_FALSE(store_->SetPassword("alice@example.test", "new-pw", HashCost::kMinimum));
  EXPECT_FALSE(store_->FindToken(a).has_value());
  EXPECT_TRUE(store_->FindToken(b).has_value());
  ASSERT_FALSE(store_->DeleteAccount("bob@example.test"));
  EXPECT_FALSE(store_->FindToken(b).has_value());
}

TEST_F(TokenTest, CredentialCacheFollowsThePasswordHash) {
  CredentialCache cache(std::chrono::seconds(60));
  EXPECT_EQ(store_->Authenticate("alice@example.test", "alice-pw", &cache).value(), alice_);
  // A second check is answered from the cache (same answer), a wrong password is not.
  EXPECT_EQ(store_->Authenticate("alice@example.test", "alice-pw", &cache).value(), alice_);
  EXPECT_FALSE(store_->Authenticate("alice@example.test", "wrong", &cache).has_value());
  ASSERT_FALSE(store_->SetPassword("alice@example.test", "new-pw", HashCost::kMinimum));
  EXPECT_FALSE(store_->Authenticate("alice@example.test", "alice-pw", &cache).has_value());
  EXPECT_EQ(store_->Authenticate("alice@example.test", "new-pw", &cache).value(), alice_);
  ASSERT_FALSE(store_->DeleteAccount("alice@example.test"));
  EXPECT_FALSE(store_->Authenticate("alice@example.test", "new-pw", &cache).has_value());
}

TEST(CredentialCache, EntriesAreBoundToAllThreeParts) {
  CredentialCache cache(std::chrono::seconds(60), 2);
  cache.Add("a", "pw", "hash1");
  EXPECT_TRUE(cache.Contains("a", "pw", "hash1"));
  EXPECT_FALSE(cache.Contains("a", "pw", "hash2"));
  EXPECT_FALSE(cache.Contains("a", "pw2", "hash1"));
  EXPECT_FALSE(cache.Contains("b", "pw", "hash1"));
  EXPECT_FALSE(cache.Contains("apw", "", "hash1"));
  cache.Add("b", "pw", "h");
  cache.Add("c", "pw", "h");  // full: the cache starts over rather than grow
  EXPECT_TRUE(cache.Contains("c", "pw", "h"));
  CredentialCache off(std::chrono::seconds(0));
  off.Add("a", "pw", "hash1");
  EXPECT_FALSE(off.Contains("a", "pw", "hash1"));
}

}  // namespace
}  // namespace pushmail::store
