#pragma once
// Message bytes live outside SQLite, in append-only segment files DATA/blobs/NNNNNNNN.seg, so
// the WAL carries only small rows and each message's bytes are written once.
//
// Append may be called from any thread at once: each call reserves its own range of the
// current segment and writes it with pwrite, in parallel. Bytes are durable only after Sync,
// which the store writer calls before it commits the rows that point at them; so a row never
// points at bytes a crash could lose. A crash between Append and the commit leaves unreferenced
// bytes behind (space, not data, is lost; reclaiming it is future work: docs/architecture.md).
//
// A failed write or sync goes to the store's Health: a full disk answers kDiskFull and leaves
// the file usable; any other failure latches the store read-only. A failed sync is never
// retried (a retried fsync "succeeds" once the kernel dropped the pages it could not write):
// every Sync after it fails too.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/faults.h"
#include "store/health.h"

namespace pushmail::store {

struct BlobLocation {
  uint32_t segment = 0;
  uint64_t offset = 0;
  uint64_t length = 0;
};

class BlobFile {
 public:
  // Opens (creating) the folder and continues the newest segment. `health` is the store's;
  // `faults`, for tests only, makes writes and syncs fail (faults.h).
  static Result<std::unique_ptr<BlobFile>> Open(const std::string& dir,
                                                std::shared_ptr<Health> health,
                                                DiskFaults* faults = nullptr);
  ~BlobFile();
  BlobFile(const BlobFile&) = delete;
  BlobFile& operator=(const BlobFile&) = delete;

  // Writes `bytes` to a fresh range. Thread-safe; does not sync. kReadOnly once the store is
  // latched, kDiskFull when the disk is full.
  Result<BlobLocation> Append(std::string_view bytes);
  // Makes every Append that returned before this call durable. Thread-safe. kReadOnly when
  // this or an earlier sync failed.
  ErrorCode Sync();
  // How many Appends have returned so far: every Append that returned before this call is
  // counted in what it returns.
  uint64_t Appended() const { return appended_.load(); }
  // Makes durable every Append counted in `appended` (a value of Appended()). Callers share
  // syncs: it returns at once when a sync that covers them is over, waits for one in flight,
  // and syncs itself only when none covers them. Thread-safe.
  ErrorCode SyncThrough(uint64_t appended);
  // How many syncs SyncThrough ran (for the store's figures).
  uint64_t SyncsRun() {
    std::lock_guard lock(sync_mu_);
    return syncs_run_;
  }
  // Reads a range written earlier. Thread-safe.
  Result<std::string> Read(const BlobLocation& location);

  // Segments roll over past this size (a message larger than it gets a segment of its own).
  static constexpr uint64_t kSegmentSize = 1ull << 30;

 private:
  struct Segment {
    uint32_t number = 0;
    int fd = -1;
    std::atomic<uint64_t> end{0};  // next free offset; may pass kSegmentSize by one message
  };
  BlobFile(std::string dir, std::shared_ptr<Health> health, DiskFaults* faults)
      : dir_(std::move(dir)), health_(std::move(health)), faults_(faults) {}
  int DataSync(int fd);  // fdatasync, or the fault a test asked for
  Result<std::shared_ptr<Segment>> OpenSegment(uint32_t number, bool create);
  Result<std::shared_ptr<Segment>> Roll(const std::shared_ptr<Segment>& full);
  Result<std::shared_ptr<Segment>> SegmentFor(uint32_t number);

  std::string dir_;
  std::shared_ptr<Health> health_;
  DiskFaults* faults_;
  std::atomic<bool> sync_failed_{false};  // once true, every Sync fails
  std::mutex mu_;
  // State below is guarded by mu_.
  std::shared_ptr<Segment> current_;
  std::atomic<uint32_t> current_number_{0};         // current_->number, read without mu_
  std::vector<std::shared_ptr<Segment>> open_;      // every open segment, by number order
  std::vector<std::shared_ptr<Segment>> unsynced_;  // segments rolled since the last Sync

  std::atomic<uint64_t> appended_{0};
  std::mutex sync_mu_;
  std::condition_variable sync_cv_;
  // State below is guarded by sync_mu_.
  bool syncing_ = false;
  uint64_t synced_ = 0;  // every Append counted up to here is durable
  uint64_t syncs_run_ = 0;
};

}  // namespace pushmail::store
