#include "sqlite/sqlite.h"

#include <utility>

#include "base/log.h"

namespace pushmail::sqlite {
namespace {

class SqliteCategoryImpl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "sqlite"; }
  std::string message(int ev) const override { return sqlite3_errstr(ev); }
};

}  // namespace

const boost::system::error_category& SqliteCategory() {
  static const SqliteCategoryImpl category;
  return category;
}

Statement::Statement(sqlite3* db, std::string_view sql) {
  int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
  if (rc != SQLITE_OK) {
    spdlog::error("sqlite: cannot prepare a statement: {}: {}", sqlite3_errmsg(db), sql);
    sqlite3_finalize(stmt_);
    stmt_ = nullptr;
    prepare_error_ = SqliteError(rc);
  }
}

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)), prepare_error_(other.prepare_error_) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
    prepare_error_ = other.prepare_error_;
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::Bind(int index, int64_t value) {
  if (stmt_ == nullptr) return *this;
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Statement& Statement::Bind(int index, std::string_view text) {
  if (stmt_ == nullptr) return *this;
  sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  return *this;
}

Statement& Statement::BindBlob(int index, std::string_view bytes) {
  if (stmt_ == nullptr) return *this;
  sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::BindBlobStatic(int index, std::string_view bytes) {
  if (stmt_ == nullptr) return *this;
  sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_STATIC);
  return *this;
}

Statement& Statement::BindNull(int index) {
  if (stmt_ == nullptr) return *this;
  sqlite3_bind_null(stmt_, index);
  return *this;
}

Result<bool> Statement::Step() {
  if (stmt_ == nullptr) {  // never prepared, or the prepare failed
    return {boost::system::in_place_error,
            prepare_error_ ? prepare_error_ : SqliteError(SQLITE_MISUSE)};
  }
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return {boost::system::in_place_error, SqliteError(rc)};  // bool would swallow a plain code
}

ErrorCode Statement::Run() {
  for (;;) {
    auto row = Step();
    if (!row) {
      Reset();
      return row.error();
    }
    if (!*row) break;
  }
  Reset();
  return {};
}

void Statement::Reset() {
  if (stmt_ == nullptr) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t Statement::Int(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string_view Statement::Text(int column) const {
  auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  return p ? std::string_view(p, sqlite3_column_bytes(stmt_, column)) : std::string_view();
}

std::string_view Statement::Blob(int column) const {
  auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, column));
  return p ? std::string_view(p, sqlite3_column_bytes(stmt_, column)) : std::string_view();
}

bool Statement::IsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

Result<Db> Db::Open(const std::string& path, bool create, const std::string& vfs) {
  // Before SQLite initialises itself: no memory statistics, whose upkeep takes a global mutex
  // at every allocation of every connection (the writer, readers, checkpointer and indexer).
  static const int configured = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)configured;
  sqlite3* handle = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  int rc = sqlite3_open_v2(path.c_str(), &handle, flags, vfs.empty() ? nullptr : vfs.c_str());
  if (rc != SQLITE_OK) {
    spdlog::error("cannot open {}: {}", path, handle ? sqlite3_errmsg(handle) : "out of memory");
    sqlite3_close(handle);
    return SqliteError(rc);
  }
  sqlite3_extended_result_codes(handle, 1);
  sqlite3_busy_timeout(handle, 10000);
  Db db(handle);
  // FULL: in WAL mode every COMMIT syncs the WAL, so a commit is on disk when it returns.
  if (auto ec = db.Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                        "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;")) {
    return ec;
  }
  return db;
}

Db& Db::operator=(Db&& other) noexcept {
  if (this != &other) {
    sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
  }
  return *this;
}

Db::~Db() { sqlite3_close_v2(db_); }

ErrorCode Db::Exec(std::string_view sql) {
  char* message = nullptr;
  int rc = sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    spdlog::error("sqlite: {} in: {}", message ? message : sqlite3_errstr(rc), sql);
    sqlite3_free(message);
    return SqliteError(rc);
  }
  return {};
}

}  // namespace pushmail::sqlite
