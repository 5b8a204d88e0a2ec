#pragma once
// Reads of "what changed in mailbox M since modseq S", shared by the sessions of one worker.
//
// A commit to a mailbox that many sessions show (one user's phone, laptop and tablet, or a
// shared mailbox) wakes them all at once, and each needs the same answer: the changes since the
// modseq they all know. The first asks the store; the others wait for that read and apply the
// same answer, so one commit costs one store read per worker instead of one per session.
//
// A read answers a session only if it began after this worker heard of the latest commit the
// session knows of (Heard() and Tick() order both on this worker): then its snapshot holds
// that commit. The sessions of one account all hear of a commit at one tick, however late
// each gets round to it. One instance per worker; every call happens on that worker.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <memory>
#include <unordered_map>

#include "store/store.h"

namespace pushmail::imap {

class ChangeReads {
 public:
  using Delta = std::shared_ptr<const store::Store::MailboxDelta>;

  ChangeReads(store::Store& store, boost::asio::thread_pool& blocking)
      : store_(store), blocking_(blocking) {}

  // A point in this worker's order of events.
  uint64_t Tick() { return ++tick_; }
  // When this worker first heard of the commit `push_seq` of `account` (or of a later one):
  // a read that began after it holds that commit.
  uint64_t Heard(store::AccountId account, uint64_t push_seq);

  // The changes of `mailbox` after `since`, from a read that began after `heard`.
  boost::asio::awaitable<Result<Delta>> Read(store::MailboxId mailbox, store::ModSeq since,
                                             uint64_t heard);

  uint64_t store_reads() const { return store_reads_; }

 private:
  // One read, finished or in flight. Waiters hold it, so the index may move on.
  struct Pending {
    store::ModSeq since = 0;
    uint64_t began = 0;  // Tick() when it started
    bool done = false;
    Result<Delta> result = Delta();
    std::unique_ptr<boost::asio::steady_timer> finished;  // cancelled and freed when done
  };

  std::shared_ptr<Pending> Start(store::MailboxId mailbox, store::ModSeq since,
                                 const boost::asio::any_io_executor& executor);

  store::Store& store_;
  boost::asio::thread_pool& blocking_;
  uint64_t tick_ = 0;
  struct HeardOf {
    uint64_t push_seq = 0;
    uint64_t tick = 0;
  };
  std::unordered_map<store::AccountId, HeardOf> heard_;  // bounded: cleared when large
  uint64_t store_reads_ = 0;
  // The latest read per mailbox; dropped once finished and superseded or when the index grows.
  std::unordered_map<store::MailboxId, std::shared_ptr<Pending>> latest_;
};

}  // namespace pushmail::imap
