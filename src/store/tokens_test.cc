#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

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
  uint64_t hashes = store_->PasswordHashesRun();
  EXPECT_EQ(store_->Authenticate("alice@example.test", "alice-pw").value(), alice_);
  EXPECT_EQ(store_->PasswordHashesRun(), hashes + 1);
  // A second check is answered from the cache (same answer, no hash), a wrong password is not.
  EXPECT_EQ(store_->Authenticate("alice@example.test", "alice-pw").value(), alice_);
  EXPECT_EQ(store_->PasswordHashesRun(), hashes + 1);
  EXPECT_FALSE(store_->Authenticate("alice@example.test", "wrong").has_value());
  EXPECT_EQ(store_->PasswordHashesRun(), hashes + 2);
  ASSERT_FALSE(store_->SetPassword("alice@example.test", "new-pw", HashCost::kMinimum));
  EXPECT_FALSE(store_->Authenticate("alice@example.test", "alice-pw").has_value());
  EXPECT_EQ(store_->Authenticate("alice@example.test", "new-pw").value(), alice_);
  ASSERT_FALSE(store_->DeleteAccount("alice@example.test"));
  EXPECT_FALSE(store_->Authenticate("alice@example.test", "new-pw").has_value());
}

// A reconnect storm: many threads check the same few credentials at once. Each distinct pair
// costs one hash, however many ask; and no more than max_hashing hashes run at once.
TEST(CredentialCache, ConcurrentChecksOfTheSameCredentialsShareOneHash) {
  CredentialCache cache(std::chrono::seconds(60), 2);
  std::atomic<int> running{0}, most{0};
  auto verify = [&](bool answer) {
    return [&, answer] {
      int now = ++running;
      int seen = most.load();
      while (now > seen && !most.compare_exchange_weak(seen, now)) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(30));
      --running;
      return answer;
    };
  };
  std::vector<std::thread> threads;
  std::atomic<int> passed{0}, refused{0};
  for (int i = 0; i < 40; ++i) {
    threads.emplace_back([&, i] {
      std::string login = "user" + std::to_string(i % 4);
      bool right = i % 8 != 7;  // user3 is also tried with a wrong password
      bool ok = cache.Verify(login, right ? "pw" : "bad", "hash", verify(right));
      (ok ? passed : refused)++;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(passed, 35);
  EXPECT_EQ(refused, 5);
  EXPECT_LE(cache.HashesRun(), 5u + 4u);  // one per pair, plus late arrivals of a wrong one
  EXPECT_GE(cache.HashesRun(), 5u);
  EXPECT_LE(most.load(), 2);
  uint64_t before = cache.HashesRun();
  EXPECT_TRUE(cache.Verify("user0", "pw", "hash", verify(false)));  // cached: not asked
  EXPECT_EQ(cache.HashesRun(), before);
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
