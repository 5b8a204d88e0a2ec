#include "imap/server/change_reads.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "testing/temp_dir.h"

namespace pushmail::imap {
namespace {

namespace asio = boost::asio;

class ChangeReadsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = store::Store::Open({dir_.File("store.db"), 64}).value();
    account_ = store_->CreateAccount("a@example.test", "pw", store::HashCost::kMinimum).value();
    inbox_ = store_->FindMailbox(account_, "INBOX").value().id;
  }

  void Deliver(const std::string& subject) {
    store::Incoming in;
    in.message = "Subject: " + subject + "\r\n\r\nx\r\n";
    in.summary = mime::Parse(in.message);
    in.recipients = {account_};
    ASSERT_TRUE(store_->DeliverSync(std::move(in)).has_value());
  }

  // Runs `count` reads at once on one io_context, as the sessions of one worker would.
  std::vector<ChangeReads::Delta> ReadAtOnce(ChangeReads& reads, int count, uint64_t heard) {
    asio::io_context io;
    std::vector<ChangeReads::Delta> out(static_cast<size_t>(count));
    for (auto& slot : out) {
      asio::co_spawn(
          io,
          [&reads, &slot, heard, this]() -> asio::awaitable<void> {
            auto r = co_await reads.Read(inbox_, 0, heard);
            if (r) slot = *r;
          },
          asio::detached);
    }
    io.run();
    return out;
  }

  testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  asio::thread_pool pool_{2};
  store::AccountId account_ = 0;
  store::MailboxId inbox_ = 0;
};

TEST_F(ChangeReadsTest, SessionsThatHeardOfOneCommitShareOneRead) {
  ChangeReads reads(*store_, pool_);
  Deliver("one");
  uint64_t heard = reads.Heard(account_, 1);
  EXPECT_EQ(reads.Heard(account_, 1), heard);  // one tick per commit, however many ask
  auto deltas = ReadAtOnce(reads, 5, heard);
  EXPECT_EQ(reads.store_reads(), 1u);
  ASSERT_TRUE(deltas[0]);
  EXPECT_EQ(deltas[0]->changed.size(), 1u);
  for (const auto& d : deltas) EXPECT_EQ(d, deltas[0]);

  // A second commit: a session that heard of it cannot use the read made before.
  Deliver("two");
  auto again = ReadAtOnce(reads, 1, reads.Heard(account_, 2));
  EXPECT_EQ(reads.store_reads(), 2u);
  ASSERT_TRUE(again[0]);
  EXPECT_EQ(again[0]->changed.size(), 2u);
  // One that heard only of the first may use the newer read (it holds the first commit too).
  auto late = ReadAtOnce(reads, 1, reads.Heard(account_, 1));
  EXPECT_EQ(late[0], again[0]);
  EXPECT_EQ(reads.store_reads(), 2u);
  // A forced read (NOOP) always goes to the store.
  ReadAtOnce(reads, 1, reads.Tick());
  EXPECT_EQ(reads.store_reads(), 3u);
}

TEST_F(ChangeReadsTest, AnotherStartingPointIsAnotherRead) {
  ChangeReads reads(*store_, pool_);
  Deliver("one");
  uint64_t heard = reads.Heard(account_, 1);
  ReadAtOnce(reads, 1, heard);
  asio::io_context io;
  Result<ChangeReads::Delta> later = ChangeReads::Delta();
  asio::co_spawn(
      io, [&]() -> asio::awaitable<void> { later = co_await reads.Read(inbox_, 5, heard); },
      asio::detached);
  io.run();
  EXPECT_EQ(reads.store_reads(), 2u);
  ASSERT_TRUE(later.has_value());
  EXPECT_TRUE((*later)->changed.empty());  // nothing after modseq 5
}

}  // namespace
}  // namespace pushmail::imap
