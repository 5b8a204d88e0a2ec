#pragma once
// Internal to the store: read connections and the helpers reads share.

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "store/sqlite/db.h"
#include "store/store.h"

namespace pushmail::store {

// Read connections, lent one at a time to whichever thread reads. WAL lets them read while
// the writer commits.
class Store::Readers {
 public:
  // Each connection also sees the full-text index at `search_path` as schema "search".
  Readers(std::string path, std::string search_path)
      : path_(std::move(path)), search_path_(std::move(search_path)) {}

  // A read connection with the statements it has prepared, kept for reuse.
  struct Connection {
    sqlite::Db db;
    std::unordered_map<std::string, sqlite::Statement> statements;
  };

  class Lease {
   public:
    Lease(Readers& owner, Connection c) : owner_(owner), c_(std::move(c)) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() { owner_.Return(std::move(c_)); }
    sqlite::Db& db() { return c_.db; }
    // A statement prepared once per connection, reset for this use; it is reset again when the
    // lease ends, so no snapshot outlives the read.
    sqlite::Statement& Prepare(const std::string& sql) {
      return sqlite::Reuse(c_.db, sql, c_.statements[sql]);
    }

   private:
    Readers& owner_;
    Connection c_;
  };

  Result<std::unique_ptr<Lease>> Acquire() {
    {
      std::lock_guard lock(mu_);
      if (!free_.empty()) {
        auto lease = std::make_unique<Lease>(*this, std::move(free_.back()));
        free_.pop_back();
        return lease;
      }
    }
    auto db = sqlite::Db::Open(path_, false);
    if (!db) return db.error();
    auto attach = db->Prepare("ATTACH DATABASE ? AS search");
    attach.Bind(1, search_path_);
    if (auto ec = attach.Run()) return ec;
    return std::make_unique<Lease>(*this, Connection{std::move(*db), {}});
  }

 private:
  void Return(Connection c) {
    for (auto& [sql, statement] : c.statements) statement.Reset();
    std::lock_guard lock(mu_);
    if (free_.size() < kMaxIdle) free_.push_back(std::move(c));
  }
  static constexpr size_t kMaxIdle = 16;
  std::string path_, search_path_;
  std::mutex mu_;
  std::vector<Connection> free_;  // guarded by mu_
};

inline Mailbox ReadMailboxRow(const sqlite::Statement& q) {
  Mailbox m;
  m.id = q.Int(0);
  m.account = q.Int(1);
  m.name = q.Text(2);
  if (!q.IsNull(3)) m.parent = q.Int(3);
  m.role = q.Text(4);
  m.sort_order = q.Int(5);
  m.subscribed = q.Int(6) != 0;
  m.uidvalidity = static_cast<uint32_t>(q.Int(7));
  m.uidnext = static_cast<Uid>(q.Int(8));
  m.highest_modseq = q.Int(9);
  return m;
}

inline constexpr const char* kMailboxColumns =
    "SELECT id, account_id, name, parent_id, role, sort_order, subscribed, uidvalidity, uidnext, "
    "highestmodseq FROM mailboxes ";

// Runs `q` and returns the first row read by `read`, or kNotFound.
template <class Read>
auto FirstRow(sqlite::Statement& q, Read read) -> Result<decltype(read(q))> {
  auto row = q.Step();
  if (!row) return row.error();
  if (!*row) return MakeError(Errc::kNotFound);
  return read(q);
}

// Holds one read snapshot of `db` for its lifetime.
class ReadTransaction {
 public:
  explicit ReadTransaction(sqlite::Db& db) : db_(db) { db_.Exec("BEGIN"); }
  ReadTransaction(const ReadTransaction&) = delete;
  ReadTransaction& operator=(const ReadTransaction&) = delete;
  ~ReadTransaction() { db_.Exec("COMMIT"); }

 private:
  sqlite::Db& db_;
};

}  // namespace pushmail::store
