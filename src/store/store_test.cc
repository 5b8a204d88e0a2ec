#include "store/store.h"

#include <gtest/gtest.h>

#include <thread>

#include "testing/temp_dir.h"

namespace pushmail::store {
namespace {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = Store::Open({dir_.File("store.db"), 256});
    ASSERT_TRUE(store.has_value()) << store.error().message();
    store_ = std::move(*store);
  }

  Incoming Message(std::vector<AccountId> to, const std::string& id, const std::string& refs = "") {
    Incoming in;
    in.message = "Message-ID: <" + id + ">\r\n" +
                 (refs.empty() ? "" : "In-Reply-To: <" + refs + ">\r\n") + "Subject: hello " + id +
                 "\r\n\r\nbody of " + id + "\r\n";
    in.summary = mime::Parse(in.message);
    in.received_at = 1700000000;
    in.recipients = std::move(to);
    return in;
  }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreTest, NewAccountHasDefaultMailboxes) {
  auto id = store_->CreateAccount("alice@example.test", "secret");
  ASSERT_TRUE(id.has_value());
  auto boxes = store_->ListMailboxes(*id);
  ASSERT_TRUE(boxes.has_value());
  ASSERT_EQ(boxes->size(), 6u);
  EXPECT_EQ((*boxes)[0].name, "INBOX");
  EXPECT_EQ((*boxes)[0].role, "inbox");
  EXPECT_EQ((*boxes)[5].role, "archive");
  EXPECT_EQ((*boxes)[0].uidnext, 1u);
  EXPECT_NE((*boxes)[0].uidvalidity, 0u);
  auto inbox = store_->FindMailbox(*id, "inbox");
  ASSERT_TRUE(inbox.has_value());
  EXPECT_EQ(inbox->name, "INBOX");
}

TEST_F(StoreTest, LoginIsUniqueAndPasswordChecked) {
  ASSERT_TRUE(store_->CreateAccount("alice@example.test", "secret").has_value());
  auto again = store_->CreateAccount("ALICE@example.test", "x");
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error(), MakeError(Errc::kAlreadyExists));
  EXPECT_TRUE(store_->Authenticate("alice@example.test", "secret").has_value());
  EXPECT_FALSE(store_->Authenticate("alice@example.test", "wrong").has_value());
  EXPECT_FALSE(store_->Authenticate("nobody@example.test", "secret").has_value());
  ASSERT_FALSE(store_->SetPassword("alice@example.test", "new"));
  EXPECT_TRUE(store_->Authenticate("alice@example.test", "new").has_value());
  EXPECT_FALSE(store_->Authenticate("alice@example.test", "secret").has_value());
}

TEST_F(StoreTest, CreateAccountsIsAllOrNoneAndEveryCostVerifies) {
  auto ids = store_->CreateAccounts({"a@example.test", "b@example.test"}, "pw", HashCost::kMinimum);
  ASSERT_TRUE(ids.has_value());
  ASSERT_EQ(ids->size(), 2u);
  EXPECT_NE((*ids)[0], (*ids)[1]);
  EXPECT_EQ(store_->Authenticate("b@example.test", "pw").value(), (*ids)[1]);
  EXPECT_FALSE(store_->Authenticate("b@example.test", "pW").has_value());
  EXPECT_EQ(store_->ListMailboxes((*ids)[1])->size(), 6u);

  std::string taken;
  auto clash = store_->CreateAccounts({"c@example.test", "a@example.test"}, "pw",
                                      HashCost::kMinimum, &taken);
  ASSERT_FALSE(clash.has_value());
  EXPECT_EQ(clash.error(), MakeError(Errc::kAlreadyExists));
  EXPECT_EQ(taken, "a@example.test");
  EXPECT_FALSE(store_->FindAccount("c@example.test").has_value());  // none added
  EXPECT_EQ(store_->ListAccounts()->size(), 2u);

  // Hashes of different costs live side by side; each names its own.
  ASSERT_FALSE(store_->SetPassword("a@example.test", "other", HashCost::kInteractive));
  EXPECT_TRUE(store_->Authenticate("a@example.test", "other").has_value());
  EXPECT_TRUE(store_->Authenticate("b@example.test", "pw").has_value());
  EXPECT_FALSE(ParseHashCost("cheap").has_value());
  EXPECT_EQ(ParseHashCost("minimum"), HashCost::kMinimum);
}

TEST_F(StoreTest, DeliveryToTwoAccountsSharesOneBlob) {
  AccountId a = *store_->CreateAccount("a@example.test", "p");
  AccountId b = *store_->CreateAccount("b@example.test", "p");
  EXPECT_EQ(*store_->FindRecipient("A@Example.Test"), a);
  auto delivered = store_->DeliverSync(Message({a, b, a}, "m1@x"));
  ASSERT_TRUE(delivered.has_value()) << delivered.error().message();
  ASSERT_EQ(delivered->size(), 2u);  // duplicates collapse
  EXPECT_EQ((*delivered)[0].uid, 1u);
  EXPECT_EQ((*delivered)[1].uid, 1u);
  int count = 0;
  std::string bytes;
  ASSERT_FALSE(store_->ForEachMessage(b, std::nullopt, [&](const StoredMessage& m) {
    ++count;
    bytes = m.bytes;
  }));
  EXPECT_EQ(count, 1);
  EXPECT_NE(bytes.find("body of m1@x"), std::string::npos);
  auto second = store_->DeliverSync(Message({a}, "m2@x"));
  EXPECT_EQ((*second)[0].uid, 2u);
  auto inbox = store_->FindMailbox(a, "INBOX");
  EXPECT_EQ(inbox->uidnext, 3u);
  EXPECT_EQ(inbox->highest_modseq, (*second)[0].modseq);
}

TEST_F(StoreTest, RepliesJoinTheirThread) {
  AccountId a = *store_->CreateAccount("a@example.test", "p");
  auto first = store_->DeliverSync(Message({a}, "root@x"));
  auto reply = store_->DeliverSync(Message({a}, "reply@x", "root@x"));
  auto other = store_->DeliverSync(Message({a}, "other@x"));
  EXPECT_EQ((*first)[0].thread, (*reply)[0].thread);
  EXPECT_NE((*first)[0].thread, (*other)[0].thread);
}

TEST_F(StoreTest, ChangesSinceAModseq) {
  AccountId a = *store_->CreateAccount("a@example.test", "p");
  auto before = store_->GetAccount(a);
  ModSeq start = before->email_state;
  std::vector<EmailId> ids;
  ids.reserve(5);
  for (int i = 0; i < 5; ++i) {
    ids.push_back((*store_->DeliverSync(Message({a}, "m" + std::to_string(i))))[0].email);
  }
  auto all = store_->ChangesSince(a, DataType::kEmail, start, 100);
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(all->created, std::vector<int64_t>(ids.begin(), ids.end()));
  EXPECT_FALSE(all->has_more);
  EXPECT_EQ(all->new_state, store_->GetAccount(a)->email_state);

  auto page = store_->ChangesSince(a, DataType::kEmail, start, 2);
  ASSERT_TRUE(page.has_value());
  EXPECT_TRUE(page->has_more);
  EXPECT_EQ(page->created.size(), 2u);
  auto rest = store_->ChangesSince(a, DataType::kEmail, page->new_state, 100);
  EXPECT_EQ(rest->created.size(), 3u);
  auto none = store_->ChangesSince(a, DataType::kEmail, all->new_state, 100);
  EXPECT_TRUE(none->created.empty());
  EXPECT_EQ(none->new_state, all->new_state);
}

TEST_F(StoreTest, MailboxChangesAreOneEntryPerMailbox) {
  AccountId a = *store_->CreateAccount("a@example.test", "p");
  ModSeq start = store_->GetAccount(a)->mailbox_state;
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) store_->DeliverSync(Message({a}, std::to_string(t * 10 + i)));
    });
  }
  for (auto& t : threads) t.join();
  auto changes = store_->ChangesSince(a, DataType::kMailbox, start, 100);
  ASSERT_TRUE(changes.has_value());
  auto inbox = store_->FindMailbox(a, "INBOX");
  EXPECT_EQ(changes->updated, std::vector<int64_t>{inbox->id});
  EXPECT_TRUE(changes->created.empty());
  EXPECT_EQ(changes->new_state, store_->GetAccount(a)->mailbox_state);
  auto emails = store_->ChangesSince(a, DataType::kEmail, start, 100);
  EXPECT_EQ(emails->created.size(), 40u);
}

TEST_F(StoreTest, CommitListenerSeesOneEventPerAccountPerCommit) {
  AccountId a = *store_->CreateAccount("a@example.test", "p");
  std::vector<StateChange> seen;
  std::mutex mu;
  store_->SetCommitListener([&](const std::vector<StateChange>& changes) {
    std::lock_guard lock(mu);
    seen.insert(seen.end(), changes.begin(), changes.end());
  });
  uint64_t seq = store_->GetAccount(a)->push_seq;
  store_->DeliverSync(Message({a}, "one"));
  std::lock_guard lock(mu);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].account, a);
  EXPECT_EQ(seen[0].push_seq, seq + 1);
  EXPECT_TRUE(seen[0].changed & Bit(DataType::kEmail));
  EXPECT_EQ(seen[0].mailboxes.size(), 1u);
}

TEST_F(StoreTest, ConcurrentDeliveriesShareCommits) {
  AccountId a = *store_->CreateAccount("a@example.test", "p");
  StoreStats before = store_->Stats();
  constexpr int kThreads = 8, kEach = 50;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  std::atomic<int> ok{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        if (store_->DeliverSync(Message({a}, std::to_string(t) + "." + std::to_string(i)))) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, kThreads * kEach);
  StoreStats after = store_->Stats();
  EXPECT_EQ(after.writes - before.writes, uint64_t{kThreads} * kEach);
  EXPECT_LE(after.commits - before.commits, after.writes - before.writes);
  auto inbox = store_->FindMailbox(a, "INBOX");
  EXPECT_EQ(inbox->uidnext, Uid{kThreads * kEach + 1});
}

TEST_F(StoreTest, FailedDeliveryLeavesNoTrace) {
  AccountId a = *store_->CreateAccount("a@example.test", "p");
  auto bad = store_->DeliverSync(Message({a, 9999}, "x"));  // unknown second recipient
  EXPECT_FALSE(bad.has_value());
  int count = 0;
  store_->ForEachMessage(a, std::nullopt, [&](const StoredMessage&) { ++count; });
  EXPECT_EQ(count, 0);
  EXPECT_EQ(store_->FindMailbox(a, "INBOX")->uidnext, 1u);
  EXPECT_TRUE(store_->DeliverSync(Message({a}, "y")).has_value());
}

TEST_F(StoreTest, DeleteAccountDropsItsMail) {
  AccountId a = *store_->CreateAccount("a@example.test", "p");
  store_->DeliverSync(Message({a}, "y"));
  EXPECT_FALSE(store_->DeleteAccount("a@example.test"));
  EXPECT_EQ(store_->DeleteAccount("a@example.test"), MakeError(Errc::kNotFound));
  EXPECT_FALSE(store_->FindRecipient("a@example.test").has_value());
}

TEST_F(StoreTest, SurvivesReopen) {
  AccountId a = *store_->CreateAccount("a@example.test", "p");
  store_->DeliverSync(Message({a}, "y"));
  store_.reset();
  auto again = Store::Open({dir_.File("store.db"), 256});
  ASSERT_TRUE(again.has_value());
  int count = 0;
  (*again)->ForEachMessage(a, std::nullopt, [&](const StoredMessage&) { ++count; });
  EXPECT_EQ(count, 1);
}

TEST(JmapIds, RoundTripAndRejectForeign) {
  EXPECT_EQ(EmailJmapId(42), "E42");
  EXPECT_EQ(ParseJmapId("E42", 'E'), 42);
  const char* bad[] = {"", "E", "M42", "E0", "E042", "E-1", "E4x", "E99999999999999999999999"};
  for (const char* id : bad) EXPECT_FALSE(ParseJmapId(id, 'E').has_value()) << id;
}

}  // namespace
}  // namespace pushmail::store
