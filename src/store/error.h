#pragma once
// The store's own errors, beside the raw ones (SQLite's, the system's) that it passes through
// unchanged. Protocol code compares against these to give each its protocol's answer:
//
//   kDiskFull  the disk (or the file system's quota) is full. Nothing was written; the same
//              write works again once there is space. SMTP 452 4.3.1, IMAP NO [OVERQUOTA],
//              JMAP overQuota / serverFail.
//   kReadOnly  a sync or a write failed in a way that may have lost bytes, and the store took
//              itself read-only until the process restarts, so that nothing is acknowledged
//              that a crash could undo. Reads still work. SMTP 451 4.3.0, IMAP NO [UNAVAILABLE],
//              JMAP serverFail.

#include "base/result.h"

namespace pushmail::store {

enum class StoreErrc { kDiskFull = 1, kReadOnly = 2 };

const boost::system::error_category& StoreCategory();

inline ErrorCode make_error_code(StoreErrc e) {  // NOLINT(readability-identifier-naming): ADL
  return {static_cast<int>(e), StoreCategory()};
}

}  // namespace pushmail::store

template <>
struct boost::system::is_error_code_enum<pushmail::store::StoreErrc> : std::true_type {};
