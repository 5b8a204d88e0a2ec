#pragma once
// Message bytes live outside SQLite, in append-only segment files DATA/blobs/NNNNNNNN.seg, so
// the WAL carries only small rows and each message's bytes are written once.
//
// Append may be called from any thread at once: each call reserves its own range of the
// current segment and writes it with pwrite, in parallel. Bytes are durable only after Sync,
// which the store writer calls before it commits the rows that point at them; so a row never
// points at bytes a crash could lose. A crash between Append and the commit leaves unreferenced
// bytes behind (space, not data, is lost; reclaiming it is future work: docs/architecture.md).

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace pushmail::store {

struct BlobLocation {
  uint32_t segment = 0;
  uint64_t offset = 0;
  uint64_t length = 0;
};

class BlobFile {
 public:
  // Opens (creating) the folder and continues the newest segment.
  static Result<std::unique_ptr<BlobFile>> Open(const std::string& dir);
  ~BlobFile();
  BlobFile(const BlobFile&) = delete;
  BlobFile& operator=(const BlobFile&) = delete;

  // Writes `bytes` to a fresh range. Thread-safe; does not sync.
  Result<BlobLocation> Append(std::string_view bytes);
  // Makes every Append that returned before this call durable. Thread-safe.
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
  explicit BlobFile(std::string dir) : dir_(std::move(dir)) {}
  Result<std::shared_ptr<Segment>> OpenSegment(uint32_t number, bool create);
  Result<std::shared_ptr<Segment>> Roll(const std::shared_ptr<Segment>& full);
  Result<std::shared_ptr<Segment>> SegmentFor(uint32_t number);

  std::string dir_;
  std::mutex mu_;
  // State below is guarded by mu_.
  std::shared_ptr<Segment> current_;
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
