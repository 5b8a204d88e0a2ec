#pragma once
// An SQLite VFS that forwards to the default one and fails writes and syncs when a test's
// DiskFaults says so: the seam through which the store's tests make the database's disk fail.

#include <string>

#include "base/result.h"
#include "store/faults.h"

namespace pushmail::store::sqlite {

// Registers, once per `faults`, a VFS that consults it, and returns the VFS's name for
// Db::Open. `faults` must outlive every connection opened through it. Thread-safe.
Result<std::string> FaultVfs(DiskFaults* faults);

}  // namespace pushmail::store::sqlite
