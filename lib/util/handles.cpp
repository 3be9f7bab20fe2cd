#include "util/handles.hpp"

namespace gp {

std::string git_last_error() {
  const git_error* e = git_error_last();
  return (e && e->message) ? e->message : "unknown error";
}

int git_check(int rc, const std::string& what, Exit code) {
  if (rc < 0) throw Error(code, what + ": " + git_last_error());
  return rc;
}

int archive_check(archive* a, int rc, const std::string& what, Exit code) {
  if (rc < ARCHIVE_WARN) {
    const char* msg = a ? archive_error_string(a) : nullptr;
    throw Error(code, what + ": " + (msg ? msg : "unknown archive error"));
  }
  return rc;
}

void curl_check(CURLcode rc, const std::string& what, Exit code) {
  if (rc != CURLE_OK) throw Error(code, what + ": " + curl_easy_strerror(rc));
}

int sqlite_check(sqlite3* db, int rc, const std::string& what, Exit code) {
  if (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE) return rc;
  const char* msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  throw Error(code, what + ": " + (msg ? msg : sqlite3_errstr(rc)));
}

}  // namespace gp
