#pragma once
// Internal to the store: whether it may still acknowledge writes.
//
// A sync that failed may have lost bytes the kernel had said were written, and on Linux a
// retried fsync usually "succeeds" after the dirty pages were dropped (PostgreSQL's fsync
// lesson of 2018, leveldb's paranoid checks). So the first failed sync, and any I/O error of a
// write, latches the store read-only until the process restarts: nothing is acknowledged after
// it, and the operator is told once, loudly. A full disk is different: nothing was lost, so it
// is not latched; the write answers kDiskFull and works again once there is space.
//
// Thread-safe; never blocks.

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "base/result.h"
#include "store/error.h"

namespace pushmail::store {

// Whether `ec` says the disk (or a quota) is full: ENOSPC, EDQUOT, SQLITE_FULL, kDiskFull.
bool IsDiskFull(const ErrorCode& ec);
// Whether `ec` is an I/O failure after which written bytes may be gone: EIO, SQLite's IOERR
// (but its out-of-memory variant), CORRUPT, NOTADB.
bool IsIoFailure(const ErrorCode& ec);

class Health {
 public:
  // kReadOnly once latched, else no error.
  ErrorCode CheckWritable() const;
  // What a caller gets for the raw error of a write, `what` naming the step for the log: a full
  // disk becomes kDiskFull (counted), an I/O failure latches and becomes kReadOnly, kReadOnly
  // stays, anything else is returned unchanged. No error stays no error.
  ErrorCode Judge(std::string_view what, ErrorCode raw);
  // Latches whatever `raw` is (a failed sync: the fate of the bytes is unknown). kReadOnly.
  ErrorCode Latch(std::string_view what, ErrorCode raw);

  bool read_only() const { return read_only_.load(std::memory_order_acquire); }
  uint64_t disk_full() const { return disk_full_.load(std::memory_order_relaxed); }

 private:
  std::atomic<bool> read_only_{false};
  std::atomic<uint64_t> disk_full_{0};
};

}  // namespace pushmail::store
