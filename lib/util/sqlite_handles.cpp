#include "util/sqlite_handles.hpp"

namespace gp {

int sqlite_check(sqlite3* db, int rc, const std::string& what, Exit code) {
  if (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE) return rc;
  const char* msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  throw Error(code, what + ": " + (msg ? msg : sqlite3_errstr(rc)));
}

}  // namespace gp
