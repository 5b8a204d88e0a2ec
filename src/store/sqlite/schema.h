#pragma once

#include "store/sqlite/db.h"

namespace pushmail::store::sqlite {

// Brings the database up to the newest schema version, one migration at a time, each in its
// own transaction; PRAGMA user_version records the version reached. A database newer than this
// binary is refused (kInvalidArgument) rather than guessed at.
ErrorCode Migrate(Db& db);

// The schema version this binary writes.
int SchemaVersion();

}  // namespace pushmail::store::sqlite
