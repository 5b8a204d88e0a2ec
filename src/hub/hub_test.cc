#include "hub/hub.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <map>

#include "store/store.h"
#include "testing/temp_dir.h"

namespace pushmail::hub {
namespace {

// Counts, on another connection than the store's, the change-log rows at `modseq`: non-zero
// only once that modseq's commit is durable and visible.
int CommittedRows(const std::string& path, store::AccountId account, store::ModSeq modseq) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* q = nullptr;
  sqlite3_prepare_v2(db, "SELECT count(*) FROM changes WHERE account_id = ? AND modseq = ?", -1, &q,
                     nullptr);
  sqlite3_bind_int64(q, 1, account);
  sqlite3_bind_int64(q, 2, modseq);
  int n = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int(q, 0) : -1;
  sqlite3_finalize(q);
  sqlite3_close(db);
  return n;
}

class Recorder : public Subscriber {
 public:
  using Subscriber::Subscriber;
  std::function<void(Recorder&)> on_notify;
  int notifies = 0;
  bool overflowed = false;

 protected:
  void OnNotify() override {
    ++notifies;
    if (on_notify) on_notify(*this);
  }
  void OnOverflow() override { overflowed = true; }
};

class HubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(*store::Store::Open({dir_.File("store.db"), 64}));
    account_ = *store_->CreateAccount("a@example.test", "p");
    other_ = *store_->CreateAccount("b@example.test", "p");
    hub_ = std::make_unique<Hub>(std::vector<boost::asio::any_io_executor>{io_.get_executor()},
                                 /*max_queue=*/4);
    store_->SetCommitListener([this](const auto& changes) { hub_->Publish(changes); });
  }

  void Deliver(store::AccountId to) {
    store::Incoming in;
    in.message = "Subject: x\r\n\r\nx\r\n";
    in.summary = mime::Parse(in.message);
    in.recipients = {to};
    ASSERT_TRUE(store_->DeliverSync(std::move(in)).has_value());
  }

  // Runs the worker until `done` or a bounded number of rounds.
  // The guard keeps run_for from returning at once while the writer thread has yet to post:
  // the store answers a delivery before it publishes the commit.
  void RunUntil(const std::function<bool()>& done) {
    auto guard = boost::asio::make_work_guard(io_);
    for (int i = 0; i < 1000 && !done(); ++i) {
      io_.restart();
      io_.run_for(std::chrono::milliseconds(5));
    }
  }

  testing::TempDir dir_;
  boost::asio::io_context io_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Hub> hub_;
  store::AccountId account_ = 0, other_ = 0;
};

TEST_F(HubTest, EventIsSeenOnlyAfterItsCommit) {
  Recorder r(0, account_);
  std::vector<int> visible;
  r.on_notify = [&](Recorder& self) {
    for (const Event& e : self.TakePending()) {
      visible.push_back(CommittedRows(dir_.File("store.db"), e->account, e->modseq));
    }
  };
  boost::asio::post(io_, [&] { hub_->Subscribe(&r); });
  io_.run_for(std::chrono::milliseconds(10));
  for (int i = 0; i < 5; ++i) Deliver(account_);
  RunUntil([&] { return visible.size() == 5; });
  ASSERT_EQ(visible.size(), 5u);
  for (int rows : visible) EXPECT_GT(rows, 0);
  hub_->Unsubscribe(&r);
}

TEST_F(HubTest, OnlyTheAccountsSubscribersHear) {
  Recorder mine(0, account_), theirs(0, other_);
  hub_->Subscribe(&mine);
  hub_->Subscribe(&theirs);
  Deliver(account_);
  RunUntil([&] { return mine.HasPending(); });
  EXPECT_EQ(mine.TakePending().size(), 1u);
  EXPECT_FALSE(theirs.HasPending());
  hub_->Unsubscribe(&mine);
  hub_->Unsubscribe(&theirs);
}

TEST_F(HubTest, PushSequenceHasNoGaps) {
  Recorder r(0, account_);
  hub_->Subscribe(&r);
  std::vector<uint64_t> seqs;
  for (int i = 0; i < 3; ++i) {
    Deliver(account_);
    RunUntil([&] { return r.HasPending(); });
    for (const Event& e : r.TakePending()) seqs.push_back(e->push_seq);
  }
  ASSERT_EQ(seqs.size(), 3u);
  EXPECT_EQ(seqs[1], seqs[0] + 1);
  EXPECT_EQ(seqs[2], seqs[1] + 1);
  hub_->Unsubscribe(&r);
}

TEST_F(HubTest, SlowSubscriberIsDroppedNotWaitedFor) {
  Recorder slow(0, account_), fast(0, account_);
  int fast_seen = 0;
  fast.on_notify = [&](Recorder& self) {
    fast_seen += static_cast<int>(self.TakePending().size());
  };
  hub_->Subscribe(&slow);
  hub_->Subscribe(&fast);
  for (int i = 0; i < 6; ++i) Deliver(account_);  // max_queue is 4
  RunUntil([&] { return fast_seen == 6; });
  EXPECT_EQ(fast_seen, 6);
  EXPECT_TRUE(slow.overflowed);
  EXPECT_EQ(hub_->Stats().overflows, 1u);
  hub_->Unsubscribe(&slow);  // already dropped: a no-op
  hub_->Unsubscribe(&fast);
}

// Subscribers of one account, each recording what it was handed.
class Crowd {
 public:
  Crowd(Hub& hub, size_t n, store::AccountId account) : hub_(hub) {
    for (size_t i = 0; i < n; ++i) {
      members_.push_back(std::make_unique<Recorder>(0, account));
      members_.back()->on_notify = [this](Recorder& r) {
        for (const Event& e : r.TakePending()) seen_[&r].push_back(e->push_seq);
        ++notified_;
      };
      hub_.Subscribe(members_.back().get());
    }
  }
  ~Crowd() {
    for (auto& m : members_) hub_.Unsubscribe(m.get());
  }
  Recorder& operator[](size_t i) { return *members_[i]; }
  size_t size() const { return members_.size(); }
  const std::vector<uint64_t>& Seen(size_t i) { return seen_[members_[i].get()]; }
  size_t notified() const { return notified_; }

 private:
  Hub& hub_;
  std::vector<std::unique_ptr<Recorder>> members_;
  std::map<Recorder*, std::vector<uint64_t>> seen_;
  size_t notified_ = 0;
};

std::vector<store::StateChange> Changes(store::AccountId account,
                                        const std::vector<uint64_t>& seqs) {
  std::vector<store::StateChange> out;
  for (uint64_t seq : seqs) {
    store::StateChange c;
    c.account = account;
    c.push_seq = seq;
    out.push_back(c);
  }
  return out;
}

TEST_F(HubTest, FanOutGoesBySlicesAndOtherWorkInterleaves) {
  Crowd crowd(*hub_, 3 * Hub::kSlice + 5, account_);
  hub_->Publish(Changes(account_, {1}));
  // Posted after the event, as the writer posts a delivery's answer after publishing it: it
  // runs after the first slice, not after the whole fan-out.
  size_t notified_before_other_work = 0;
  boost::asio::post(io_, [&] { notified_before_other_work = crowd.notified(); });
  io_.run();
  EXPECT_EQ(notified_before_other_work, Hub::kSlice);
  for (size_t i = 0; i < crowd.size(); ++i) {
    EXPECT_EQ(crowd.Seen(i), std::vector<uint64_t>{1}) << i;
  }
  EXPECT_EQ(hub_->Stats().notifications, crowd.size());
}

TEST_F(HubTest, EventsKeepTheirOrderAcrossSlices) {
  Crowd crowd(*hub_, Hub::kSlice + 3, account_);
  hub_->Publish(Changes(account_, {1, 2}));
  hub_->Publish(Changes(account_, {3}));
  io_.run();
  for (size_t i = 0; i < crowd.size(); ++i) {
    EXPECT_EQ(crowd.Seen(i), (std::vector<uint64_t>{1, 2, 3})) << i;
  }
}

TEST_F(HubTest, UnsubscribingDuringAFanOutSkipsNobodyElse) {
  Crowd crowd(*hub_, 2 * Hub::kSlice + 10, account_);
  size_t gone_early = 1, gone_late = Hub::kSlice + 5;  // before and after the first slice
  crowd[0].on_notify = [&](Recorder& r) {
    r.TakePending();
    boost::asio::post(io_, [&] {
      hub_->Unsubscribe(&crowd[gone_early]);
      hub_->Unsubscribe(&crowd[gone_late]);
    });
  };
  hub_->Publish(Changes(account_, {1}));
  io_.run();
  EXPECT_EQ(crowd[gone_early].notifies, 1);
  EXPECT_EQ(crowd[gone_late].notifies, 0);
  for (size_t i = 1; i < crowd.size(); ++i) {
    if (i == gone_early || i == gone_late) continue;
    EXPECT_EQ(crowd.Seen(i), std::vector<uint64_t>{1}) << i;
  }
}

}  // namespace
}  // namespace pushmail::hub
