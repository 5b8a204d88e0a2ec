// Web Push subscriptions: kept per account, limited in number, durable across reopening.
#include <gtest/gtest.h>

#include "store/store.h"
#include "testing/temp_dir.h"

namespace pushmail::store {
namespace {

class PushSubscriptionsTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void Open() {
    store_.reset();
    store_ = Store::Open({dir_.File("store.db"), 64}).value();
    if (alice_ == 0) {
      alice_ = store_->CreateAccount("alice@example.test", "pw", HashCost::kMinimum).value();
      bob_ = store_->CreateAccount("bob@example.test", "pw", HashCost::kMinimum).value();
    }
  }
  PushSubscription Make(AccountId account, const std::string& device) {
    PushSubscription s;
    s.account = account;
    s.device_client_id = device;
    s.url = "https://push.example/" + device;
    s.verification_code = "code-" + device;
    return s;
  }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
  AccountId alice_ = 0, bob_ = 0;
};

TEST_F(PushSubscriptionsTest, CreateUpdateListDeletePerAccount) {
  PushSubscription a = Make(alice_, "phone");
  a.p256dh = "key";
  a.auth = "secret";
  a.types = std::vector<std::string>{"Email", "Mailbox"};
  auto made = store_->CreatePushSubscription(a, 4).value();
  EXPECT_GT(made.id, 0);
  auto theirs = store_->CreatePushSubscription(Make(bob_, "laptop"), 4).value();
  made.verified = true;
  made.expires = 1800000000;
  made.types.reset();
  EXPECT_FALSE(store_->UpdatePushSubscription(made));
  PushSubscription wrong = theirs;
  wrong.account = alice_;
  EXPECT_EQ(store_->UpdatePushSubscription(wrong), MakeError(Errc::kNotFound));
  EXPECT_EQ(store_->DeletePushSubscription(alice_, theirs.id), MakeError(Errc::kNotFound));
  Open();  // durable
  auto mine = store_->ListPushSubscriptions(alice_).value();
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0].url, "https://push.example/phone");
  EXPECT_EQ(mine[0].p256dh, "key");
  EXPECT_EQ(mine[0].verification_code, "code-phone");
  EXPECT_TRUE(mine[0].verified);
  EXPECT_EQ(mine[0].expires, 1800000000);
  EXPECT_FALSE(mine[0].types.has_value());
  EXPECT_EQ(store_->ListPushSubscriptions(std::nullopt).value().size(), 2u);
  EXPECT_FALSE(store_->DeletePushSubscription(alice_, made.id));
  EXPECT_TRUE(store_->ListPushSubscriptions(alice_).value().empty());
}

TEST_F(PushSubscriptionsTest, TypesRoundTripAndTheLimitHolds) {
  PushSubscription a = Make(alice_, "one");
  a.types = std::vector<std::string>{};
  store_->CreatePushSubscription(a, 2).value();
  a.types = std::vector<std::string>{"Email"};
  store_->CreatePushSubscription(a, 2).value();
  auto over = store_->CreatePushSubscription(a, 2);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error(), MakeError(Errc::kLimitExceeded));
  auto list = store_->ListPushSubscriptions(alice_).value();
  ASSERT_EQ(list.size(), 2u);
  ASSERT_TRUE(list[0].types.has_value());
  EXPECT_TRUE(list[0].types->empty());
  EXPECT_EQ(*list[1].types, std::vector<std::string>{"Email"});
  EXPECT_TRUE(store_->CreatePushSubscription(Make(bob_, "b"), 2));  // per account
}

}  // namespace
}  // namespace pushmail::store
