#pragma once
// The store's names for the SQLite wrapper, which lives below the store in src/sqlite (the
// client's offline cache uses it too).

#include "sqlite/sqlite.h"

namespace pushmail::store::sqlite {

using pushmail::sqlite::Db;
using pushmail::sqlite::Reuse;
using pushmail::sqlite::SqliteCategory;
using pushmail::sqlite::SqliteError;
using pushmail::sqlite::Statement;

}  // namespace pushmail::store::sqlite
