// Fuzzes Email/query's arguments end to end short of the store's threads: the input is read as
// the arguments object, "filter", "sort" and "collapseThreads" are parsed as Email/query parses
// them, and what parses is compiled to SQL and run against an in-memory database with the real
// schema and a few emails. SQLite must accept every statement the compiler makes (a syntax or
// bind error traps, and so does an FTS5 expression it rejects).
#include <sqlite3.h>

#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "jmap/email_filter.h"
#include "store/email_query.h"
#include "store/sqlite/db.h"
#include "store/sqlite/schema.h"

namespace jmap = pushmail::jmap;
namespace store = pushmail::store;
namespace json = boost::json;

namespace {

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

sqlite3* Database() {
  static sqlite3* db = [] {
    sqlite3_config(SQLITE_CONFIG_URI, 1);  // for the shared in-memory index below
    static auto opened = store::sqlite::Db::Open(":memory:", true);
    Check(opened.has_value());
    Check(!store::sqlite::Migrate(*opened));
    // The full-text index, as the store's readers see it: another database, attached.
    static auto search = store::sqlite::Db::Open("file:search?mode=memory&cache=shared", true);
    Check(search.has_value());
    Check(!store::sqlite::MigrateSearch(*search));
    Check(!opened->Exec(R"sql(
ATTACH DATABASE 'file:search?mode=memory&cache=shared' AS search;
INSERT INTO accounts (login, password_hash, created_at) VALUES ('a@x', '', 0);
INSERT INTO mailboxes (account_id, name, role, uidvalidity) VALUES (1, 'INBOX', 'inbox', 1);
INSERT INTO blobs (id, size, segment, offset) VALUES ('G1', 10, 0, 0);
INSERT INTO threads (account_id) VALUES (1);
INSERT INTO search.email_fts (rowid, subject, addr_from, body, headers)
  VALUES (1, 'Hello world', 'Ann ann@x.test', 'lunch numbers', 'h78x h78xone');
INSERT INTO emails (account_id, blob_id, thread_id, size, received_at, summary, modseq,
                    subject_sort) VALUES (1, 'G1', 1, 10, 100, '{}', 1, 'hello');
INSERT INTO emails (account_id, blob_id, thread_id, size, received_at, summary, modseq)
  VALUES (1, 'G1', 1, 20, 200, '{}', 2);
INSERT INTO mailbox_emails (mailbox_id, uid, email_id, keywords, modseq)
  VALUES (1, 1, 1, ' $seen ', 1), (1, 2, 2, '', 2);
)sql"));
    return opened->handle();
  }();
  return db;
}

void Run(const store::CompiledQuery& q) {
  sqlite3_stmt* stmt = nullptr;
  int rc =
      sqlite3_prepare_v2(Database(), q.sql.c_str(), static_cast<int>(q.sql.size()), &stmt, nullptr);
  Check(rc == SQLITE_OK);
  Check(sqlite3_bind_parameter_count(stmt) == static_cast<int>(q.binds.size()));
  int i = 1;
  for (const auto& b : q.binds) {
    if (const auto* n = std::get_if<int64_t>(&b)) {
      sqlite3_bind_int64(stmt, i++, *n);
    } else {
      const auto& s = std::get<std::string>(b);
      sqlite3_bind_text64(stmt, i++, s.data(), s.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    }
  }
  int rows = 0;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) ++rows;
  Check(rc == SQLITE_DONE);
  Check(rows <= 2 || q.sql.starts_with("SELECT count"));
  sqlite3_finalize(stmt);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  boost::system::error_code ec;
  json::parse_options options;
  options.max_depth = 64;
  json::value args = json::parse(input, ec, {}, options);
  if (ec || !args.is_object()) return 0;
  jmap::ParsedEmailQuery parsed;
  if (auto e = jmap::ParseEmailQuery(args.get_object(), parsed)) {
    Check(e->type == "invalidArguments" || e->type == "unsupportedFilter" ||
          e->type == "unsupportedSort");
    return 0;
  }
  Check(parsed.query.sort.size() <= jmap::kMaxSortKeys);
  Run(store::CompileEmailQuery(1, parsed.query, false));
  Run(store::CompileEmailQuery(1, parsed.query, false, 1, 1));
  Run(store::CompileEmailQuery(1, parsed.query, true));
  return 0;
}
