#include "store/sqlite/db.h"

#include <gtest/gtest.h>

#include <fstream>

#include "testing/temp_dir.h"

namespace pushmail::store::sqlite {
namespace {

// A statement that cannot be prepared is an error value, never an abort: the server and the
// CLI's cache answer it like any failed query.
TEST(SqliteStatement, APrepareFailureIsAnErrorNotAnAbort) {
  testing::TempDir dir;
  auto db = Db::Open(dir.File("t.db"), true);
  ASSERT_TRUE(db.has_value());
  ASSERT_FALSE(db->Exec("CREATE TABLE t (a INTEGER)"));
  struct Case {
    const char* sql;
    int primary;  // the SQLite result code Step gives
  };
  const Case cases[] = {
      {"SELEC 1", SQLITE_ERROR},                      // syntax
      {"SELECT * FROM missing", SQLITE_ERROR},        // no such table
      {"SELECT b FROM t", SQLITE_ERROR},              // no such column
      {"INSERT INTO t VALUES (1, 2)", SQLITE_ERROR},  // too many values
      {"", SQLITE_MISUSE},                            // no statement at all
      {"-- only a comment", SQLITE_MISUSE},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.sql);
    Statement s = db->Prepare(c.sql);
    EXPECT_FALSE(s.ok());
    s.Bind(1, int64_t{7}).Bind(2, "text").BindBlob(3, "x").BindNull(4);  // no-ops
    s.Reset();
    auto row = s.Step();
    ASSERT_FALSE(row.has_value());
    EXPECT_EQ(row.error().category(), SqliteCategory());
    EXPECT_EQ(row.error().value() & 0xff, c.primary);
    EXPECT_TRUE(s.Run());
  }
  Statement good = db->Prepare("SELECT count(*) FROM t");
  EXPECT_TRUE(good.ok());
  EXPECT_TRUE(*good.Step());
}

TEST(SqliteDb, AFileThatIsNotADatabaseIsAnError) {
  testing::TempDir dir;
  std::ofstream(dir.File("junk.db")) << std::string(8192, 'J');
  auto db = Db::Open(dir.File("junk.db"), false);
  if (db.has_value()) {  // SQLite may only find out at the first read
    Statement s = db->Prepare("SELECT * FROM sqlite_master");
    auto row = s.Step();
    EXPECT_FALSE(row.has_value());
  }
}

}  // namespace
}  // namespace pushmail::store::sqlite
