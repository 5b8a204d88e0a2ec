#include "store/writer.h"

#include <gtest/gtest.h>

#include <future>

#include "store/sqlite/schema.h"
#include "testing/temp_dir.h"

namespace pushmail::store {
namespace {

// A writer on a fresh store with account 1 (and whatever `setup` adds), and a way to queue
// several operations into one batch.
struct WriterTest : ::testing::Test {
  std::unique_ptr<Writer> Open(const char* setup = "") {
    auto db = sqlite::Db::Open(dir.File("store.db"), true);
    EXPECT_TRUE(db.has_value());
    EXPECT_FALSE(sqlite::Migrate(*db));
    EXPECT_FALSE(db->Exec(
        "INSERT INTO accounts (id, login, password_hash, created_at) VALUES (1, 'a', 'x', 0)"));
    EXPECT_FALSE(db->Exec(setup));
    auto checkpoint_db = sqlite::Db::Open(dir.File("store.db"), false);
    EXPECT_TRUE(checkpoint_db.has_value());
    return std::make_unique<Writer>(std::move(*db), std::move(*checkpoint_db), 64, Durability{},
                                    std::make_shared<Health>());
  }
  // Holds the writer until Release(), so that what is submitted meanwhile makes one batch.
  void Hold(Writer& writer) {
    writer.Submit(
        [released = released](Txn&) -> ErrorCode {
          released.wait();
          return {};
        },
        [](ErrorCode) {});
  }
  void Release() { release.set_value(); }
  sqlite::Db Read() {
    auto db = sqlite::Db::Open(dir.File("store.db"), false);
    EXPECT_TRUE(db.has_value());
    return std::move(*db);
  }

  testing::TempDir dir;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
};

// An operation that fails must leave no trace in the batch it shared with others: not in the
// account's modseq, not in the published StateChange, not in the change log.
TEST_F(WriterTest, FailedOperationLeavesNoTraceInItsBatch) {
  auto writer = Open();
  std::vector<StateChange> published;
  std::mutex mu;
  writer->SetCommitListener([&](const std::vector<StateChange>& changes) {
    std::lock_guard lock(mu);
    published.insert(published.end(), changes.begin(), changes.end());
  });

  Hold(*writer);  // the next three make one batch
  auto op = [](int64_t object, bool fail) {
    return [object, fail](Txn& txn) -> ErrorCode {
      auto modseq = txn.Bump(1, Bit(DataType::kEmail));
      if (!modseq) return modseq.error();
      txn.Touch(1, object);
      if (auto ec = txn.Log(1, DataType::kEmail, object, ChangeOp::kCreated, *modseq)) return ec;
      return fail ? MakeError(Errc::kNotFound) : ErrorCode{};
    };
  };
  std::promise<ErrorCode> b, c, d;
  writer->Submit(op(10, false), [&](ErrorCode ec) { b.set_value(ec); });
  writer->Submit(op(20, true), [&](ErrorCode ec) { c.set_value(ec); });
  writer->Submit(op(30, false), [&](ErrorCode ec) { d.set_value(ec); });
  Release();
  EXPECT_FALSE(b.get_future().get());
  EXPECT_EQ(c.get_future().get(), MakeError(Errc::kNotFound));
  EXPECT_FALSE(d.get_future().get());

  std::lock_guard lock(mu);
  ASSERT_EQ(published.size(), 1u);
  EXPECT_EQ(published[0].modseq, 2);
  EXPECT_EQ(published[0].email_state, 2);
  EXPECT_EQ(published[0].mailboxes, (std::vector<MailboxId>{10, 30}));

  auto log = Read();
  auto q = log.Prepare("SELECT group_concat(object_id) FROM changes WHERE account_id = 1");
  ASSERT_TRUE(q.Step().value());
  EXPECT_EQ(q.Text(0), "10,30");
}

// A batch's mailbox counters live in the transaction and reach the table at the commit; an
// operation that fails gives back the UIDs it took, and a deleted mailbox hands out none.
TEST_F(WriterTest, MailboxCountersOfABatchAreWrittenOnceAndRolledBack) {
  auto writer = Open(
      "INSERT INTO mailboxes (id, account_id, name, uidvalidity, uidnext, highestmodseq) "
      "VALUES (7, 1, 'INBOX', 1, 5, 3), (8, 1, 'Old', 2, 1, 0)");
  Hold(*writer);
  std::vector<Uid> uids;
  auto take = [&uids](ModSeq modseq, bool fail) {
    return [&uids, modseq, fail](Txn& txn) -> ErrorCode {
      auto uid = txn.NextUid(7, modseq);
      if (!uid) return uid.error();
      if (fail) return MakeError(Errc::kAlreadyExists);
      uids.push_back(*uid);
      return {};
    };
  };
  std::promise<ErrorCode> a, b, c, d;
  writer->Submit(take(10, false), [&](ErrorCode ec) { a.set_value(ec); });
  writer->Submit(take(50, true), [&](ErrorCode ec) { b.set_value(ec); });
  writer->Submit(take(11, false), [&](ErrorCode ec) { c.set_value(ec); });
  writer->Submit(
      [](Txn& txn) -> ErrorCode {
        if (auto uid = txn.NextUid(8, 12); !uid) return uid.error();
        if (auto ec = txn.db().Exec("DELETE FROM mailboxes WHERE id = 8")) return ec;
        txn.ForgetMailbox(8);
        auto again = txn.NextUid(8, 13);
        return again ? MakeError(Errc::kAlreadyExists) : again.error();
      },
      [&](ErrorCode ec) { d.set_value(ec); });
  Release();
  EXPECT_FALSE(a.get_future().get());
  EXPECT_EQ(b.get_future().get(), MakeError(Errc::kAlreadyExists));
  EXPECT_FALSE(c.get_future().get());
  EXPECT_EQ(d.get_future().get(), MakeError(Errc::kNotFound));
  EXPECT_EQ(uids, (std::vector<Uid>{5, 6}));

  auto read = Read();
  auto q = read.Prepare("SELECT uidnext, highestmodseq FROM mailboxes WHERE id = 7");
  ASSERT_TRUE(q.Step().value());
  EXPECT_EQ(q.Int(0), 7);   // not 8: the failed op's UID was given back
  EXPECT_EQ(q.Int(1), 11);  // not 50
  auto gone = read.Prepare("SELECT count(*) FROM mailboxes WHERE id = 8");
  ASSERT_TRUE(gone.Step().value());
  EXPECT_EQ(gone.Int(0), 1);  // the failed op's DELETE was rolled back with it
}

}  // namespace
}  // namespace pushmail::store
