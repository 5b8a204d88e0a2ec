#include "store/health.h"

#include <sqlite3.h>

#include <cerrno>

#include "base/log.h"
#include "store/sqlite/db.h"

namespace pushmail::store {
namespace {

class StoreCategoryImpl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "store"; }
  std::string message(int ev) const override {
    switch (static_cast<StoreErrc>(ev)) {
      case StoreErrc::kDiskFull:
        return "the disk is full";
      case StoreErrc::kReadOnly:
        return "the store is read-only after a disk error (restart pushmaild once it is fixed)";
    }
    return "unknown store error";
  }
};

bool IsSystem(const ErrorCode& ec, int value) {
  return ec.category() == boost::system::system_category() && ec.value() == value;
}

int SqlitePrimary(const ErrorCode& ec) {
  return ec.category() == sqlite::SqliteCategory() ? (ec.value() & 0xff) : -1;
}

}  // namespace

const boost::system::error_category& StoreCategory() {
  static const StoreCategoryImpl category;
  return category;
}

bool IsDiskFull(const ErrorCode& ec) {
  return ec == StoreErrc::kDiskFull || IsSystem(ec, ENOSPC) || IsSystem(ec, EDQUOT) ||
         SqlitePrimary(ec) == SQLITE_FULL;
}

bool IsIoFailure(const ErrorCode& ec) {
  if (IsSystem(ec, EIO)) return true;
  int primary = SqlitePrimary(ec);
  if (primary == SQLITE_IOERR) return ec.value() != SQLITE_IOERR_NOMEM;
  return primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB;
}

ErrorCode Health::CheckWritable() const {
  if (read_only()) return StoreErrc::kReadOnly;
  return {};
}

ErrorCode Health::Judge(std::string_view what, ErrorCode raw) {
  if (!raw || raw == StoreErrc::kReadOnly || raw == StoreErrc::kDiskFull) return raw;  // judged
  if (IsDiskFull(raw)) {
    uint64_t seen = disk_full_.fetch_add(1, std::memory_order_relaxed);
    if (seen % 1000 == 0) {  // the first, then one in a thousand: a full disk is not a flood
      spdlog::warn("store: {}: the disk is full ({}); writes answer \"try later\" ({} so far)",
                   what, raw.message(), seen + 1);
    }
    return StoreErrc::kDiskFull;
  }
  if (IsIoFailure(raw)) return Latch(what, raw);
  return raw;
}

ErrorCode Health::Latch(std::string_view what, ErrorCode raw) {
  if (!read_only_.exchange(true, std::memory_order_acq_rel)) {
    spdlog::critical(
        "store: {} failed: {}. The store is READ-ONLY from now on and acknowledges nothing "
        "more, since bytes already written may be lost. Check the disk, then restart pushmaild.",
        what, raw.message());
  }
  return StoreErrc::kReadOnly;
}

}  // namespace pushmail::store
