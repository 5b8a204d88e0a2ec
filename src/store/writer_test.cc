#include "store/writer.h"

#include <gtest/gtest.h>

#include <future>

#include "store/sqlite/schema.h"
#include "testing/temp_dir.h"

namespace pushmail::store {
namespace {

// An operation that fails must leave no trace in the batch it shared with others: not in the
// account's modseq, not in the published StateChange, not in the change log.
TEST(Writer, FailedOperationLeavesNoTraceInItsBatch) {
  testing::TempDir dir;
  auto db = sqlite::Db::Open(dir.File("store.db"), true);
  ASSERT_TRUE(db.has_value());
  ASSERT_FALSE(sqlite::Migrate(*db));
  ASSERT_FALSE(db->Exec(
      "INSERT INTO accounts (id, login, password_hash, created_at) VALUES (1, 'a', 'x', 0)"));
  auto checkpoint_db = sqlite::Db::Open(dir.File("store.db"), false);
  ASSERT_TRUE(checkpoint_db.has_value());
  Writer writer(std::move(*db), std::move(*checkpoint_db), 64, nullptr);
  std::vector<StateChange> published;
  std::mutex mu;
  writer.SetCommitListener([&](const std::vector<StateChange>& changes) {
    std::lock_guard lock(mu);
    published.insert(published.end(), changes.begin(), changes.end());
  });

  // The first op holds the writer so that the next three are queued into one batch.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  writer.Submit(
      [released](Txn&) -> ErrorCode {
        released.wait();
        return {};
      },
      [](ErrorCode) {});
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
  writer.Submit(op(10, false), [&](ErrorCode ec) { b.set_value(ec); });
  writer.Submit(op(20, true), [&](ErrorCode ec) { c.set_value(ec); });
  writer.Submit(op(30, false), [&](ErrorCode ec) { d.set_value(ec); });
  release.set_value();
  EXPECT_FALSE(b.get_future().get());
  EXPECT_EQ(c.get_future().get(), MakeError(Errc::kNotFound));
  EXPECT_FALSE(d.get_future().get());

  std::lock_guard lock(mu);
  ASSERT_EQ(published.size(), 1u);
  EXPECT_EQ(published[0].modseq, 2);
  EXPECT_EQ(published[0].email_state, 2);
  EXPECT_EQ(published[0].mailboxes, (std::vector<MailboxId>{10, 30}));

  auto log = sqlite::Db::Open(dir.File("store.db"), false);
  ASSERT_TRUE(log.has_value());
  auto q = log->Prepare("SELECT group_concat(object_id) FROM changes WHERE account_id = 1");
  ASSERT_TRUE(q.Step().value());
  EXPECT_EQ(q.Text(0), "10,30");
}

}  // namespace
}  // namespace pushmail::store
