#pragma once
// sqlite's handles (util/handle.hpp) and its check helper.
#include <sqlite3.h>

#include <string>

#include "util/error.hpp"
#include "util/handle.hpp"

namespace gp {

using Sqlite = Handle<sqlite3, sqlite3_close_v2>;
using SqliteStmt = Handle<sqlite3_stmt, sqlite3_finalize>;

// Throws gp::Error(code, "<what>: <sqlite3_errmsg(db)>") unless rc is SQLITE_OK, ROW or DONE.
int sqlite_check(sqlite3* db, int rc, const std::string& what, Exit code = Exit::remote);

}  // namespace gp
