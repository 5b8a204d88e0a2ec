#pragma once
// A seam for tests: makes the store's disk fail the way a sick or a full one does. The blob
// file consults it at each write and sync; the database, opened through an SQLite VFS that
// wraps the default one (sqlite/fault_vfs.h), at each write and sync of its files. Set the
// fields at any time, from any thread; 0 means "no fault". Production code never sets one.

#include <atomic>

namespace pushmail::store {

struct DiskFaults {
  std::atomic<int> blob_write_errno{0};    // e.g. ENOSPC: every blob pwrite fails with it
  std::atomic<int> blob_sync_errno{0};     // e.g. EIO: every blob fdatasync fails with it
  std::atomic<bool> db_write_full{false};  // every database write fails as on a full disk
  std::atomic<bool> db_sync_fails{false};  // every database sync fails (SQLITE_IOERR_FSYNC)
};

}  // namespace pushmail::store
