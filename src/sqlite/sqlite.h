#pragma once
// A thin RAII layer over the SQLite C API: one Db per connection, Statement per prepared query.
// Neither is thread-safe: a connection belongs to one thread at a time.

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace pushmail::sqlite {

// The error category for SQLite result codes (extended codes included).
const boost::system::error_category& SqliteCategory();
inline ErrorCode SqliteError(int rc) { return {rc, SqliteCategory()}; }

class Statement {
 public:
  Statement() = default;
  // Prepares `sql`. A failure (a bad text, but also NOMEM, IOERR or CORRUPT while reading the
  // schema) is logged and kept: Bind then does nothing and Step and Run return the error, so it
  // reaches the caller like any other failed query. ok() tells it at once.
  Statement(sqlite3* db, std::string_view sql);
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Binds are 1-based, as in SQLite. Text and blobs are copied (SQLITE_TRANSIENT) unless the
  // *Static variant is used, whose view must outlive the next Step.
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, std::string_view text);
  Statement& BindBlob(int index, std::string_view bytes);
  Statement& BindBlobStatic(int index, std::string_view bytes);
  Statement& BindNull(int index);

  // Runs one step: true when a row is ready, false when done; an error otherwise.
  Result<bool> Step();
  // Runs to completion, ignoring rows.
  ErrorCode Run();
  // Resets for reuse with new bindings.
  void Reset();
  // Whether the statement was prepared; error() says why not.
  bool ok() const { return stmt_ != nullptr; }
  ErrorCode error() const { return prepare_error_; }

  int64_t Int(int column) const;
  std::string_view Text(int column) const;  // valid until the next Step or Reset
  std::string_view Blob(int column) const;
  bool IsNull(int column) const;

 private:
  sqlite3_stmt* stmt_ = nullptr;
  ErrorCode prepare_error_;  // why stmt_ is null, when it is
};

class Db {
 public:
  // Opens (creating when asked) the database at `path` with WAL, FULL sync and foreign keys on,
  // through the VFS named `vfs` (the default one when empty; the store's tests use a VFS that
  // makes the disk fail, store/sqlite/fault_vfs.h).
  static Result<Db> Open(const std::string& path, bool create, const std::string& vfs = {});
  Db(Db&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Db& operator=(Db&& other) noexcept;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  ~Db();

  // Runs one or more statements that return no rows.
  ErrorCode Exec(std::string_view sql);
  Statement Prepare(std::string_view sql) const { return Statement(db_, sql); }
  int64_t LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }
  int Changes() const { return sqlite3_changes(db_); }
  std::string LastError() const { return sqlite3_errmsg(db_); }
  sqlite3* handle() const { return db_; }

 private:
  explicit Db(sqlite3* db) : db_(db) {}
  sqlite3* db_ = nullptr;
};

// Makes `statement` (a cached one) ready for a new use: prepared from `sql` on `db` when it never
// was or its earlier prepare failed (a failure is tried again, not kept), then reset.
inline Statement& Reuse(const Db& db, std::string_view sql, Statement& statement) {
  if (!statement.ok()) statement = db.Prepare(sql);
  statement.Reset();
  return statement;
}

}  // namespace pushmail::sqlite
