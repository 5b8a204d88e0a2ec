#pragma once
// Internal to the store: the full-text index of Email/query's text conditions (RFC 8621 4.4.1).
//
// It lives in a database of its own (search.db beside store.db) and is written by a thread of
// its own, never by the store's writer: tokenising a message costs more than storing it, and a
// delivery's 250 must not wait for it. The thread runs at idle priority (SCHED_IDLE): it takes
// only CPU that nothing else wants. While the rest of the server keeps more than half of the
// machine's CPU busy it does not start a batch at all (see Crowded): SCHED_IDLE alone still lets
// it run in every gap between deliveries, and the caches and switches that costs took ~15% off
// the SMTP intake benchmark. So while mail pours in the index falls behind, and it catches up
// when the burst is over, or goes on at idle priority once kMaxBacklog emails wait. A query with a
// text condition first indexes whatever is still missing itself (CatchUp), so it never misses an
// email committed before it began; the thread gives way to it between two emails. Nothing in it
// needs to survive a crash: it is written without fsync, and an index that was lost or belongs
// to another store is rebuilt from the store's emails.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/result.h"
#include "store/blob_file.h"
#include "store/sqlite/db.h"

namespace pushmail::store {

// CPU time: the whole process's and the index thread's.
struct CpuSample {
  std::chrono::nanoseconds wall{0}, process{0}, thread{0};
};
// Whether, between `then` and `now`, the process's threads other than the index thread used
// more than half of `cpus` CPUs.
bool Crowded(const CpuSample& then, const CpuSample& now, unsigned cpus);

class SearchIndex {
 public:
  // `path` is the index's database, `store_path` the store's (read here, never written).
  // With `fresh`, the store was just created: any index found at `path` is discarded.
  static Result<std::unique_ptr<SearchIndex>> Open(const std::string& path,
                                                   const std::string& store_path, bool fresh,
                                                   BlobFile& blobs);
  ~SearchIndex();  // stops the thread (what is not indexed yet is indexed at the next start)
  SearchIndex(const SearchIndex&) = delete;
  SearchIndex& operator=(const SearchIndex&) = delete;

  // A commit may have stored emails: the thread indexes them soon. Never blocks.
  void Notify();
  // Indexes every email committed so far before it returns.
  ErrorCode CatchUp();
  // The id up to which every email is indexed. Never blocks.
  int64_t IndexedUpTo() const;

  // Emails indexed per round: one transaction of the index each.
  static constexpr int kBatch = 128;
  // Emails left unindexed past which the thread indexes even while the server is busy: what a
  // text query's CatchUp may have to do first (~15 s on the 2-core project machine, at ~300 us
  // an email).
  static constexpr int64_t kMaxBacklog = 50000;

 private:
  SearchIndex(sqlite::Db index, sqlite::Db store, BlobFile& blobs, int64_t upto);
  void Run();
  // Waits while the rest of the process crowds the CPU (see Crowded); false when stopping.
  bool WaitForRoom();
  // Emails stored but not indexed; 0 when a CatchUp holds work_mu_.
  int64_t Backlog();
  CpuSample last_look_;  // WaitForRoom's last sample; the thread's own
  // Indexes up to kBatch emails past upto_; how many it did. Called with work_mu_ held. With
  // `give_way`, it stops early (keeping what it did) when a CatchUp waits for work_mu_.
  Result<int> IndexBatch(bool give_way);

  sqlite::Db index_;  // used with work_mu_ held
  sqlite::Db store_;  // read-only use, with work_mu_ held
  BlobFile& blobs_;
  std::mutex work_mu_;                // one batch at a time: the thread's or a CatchUp's
  std::atomic<int> catching_up_ = 0;  // CatchUps waiting for or holding work_mu_
  std::atomic<int64_t> upto_;         // written with work_mu_ held

  std::mutex wake_mu_;
  std::condition_variable wake_;
  bool pending_ = true;  // guarded by wake_mu_; true: index what the store already has
  bool stop_ = false;    // guarded by wake_mu_
  std::thread thread_;
};

}  // namespace pushmail::store
