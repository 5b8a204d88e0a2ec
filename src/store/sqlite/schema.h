#pragma once

#include "store/sqlite/db.h"

namespace pushmail::store::sqlite {

// Brings the database up to the newest schema version, one migration at a time, each in its
// own transaction; PRAGMA user_version records the version reached. A database newer than this
// binary is refused (kInvalidArgument) rather than guessed at.
ErrorCode Migrate(Db& db);

// The schema version this binary writes.
int SchemaVersion();

// The same for the full-text index's database (its own file, its own versions).
ErrorCode MigrateSearch(Db& db);

// PRAGMA user_version: 0 for a database just created; -1 when it cannot be read.
int UserVersion(Db& db);

}  // namespace pushmail::store::sqlite
