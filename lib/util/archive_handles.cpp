#include "util/archive_handles.hpp"

namespace gp {

int archive_check(archive* a, int rc, const std::string& what, Exit code) {
  if (rc < ARCHIVE_WARN) {
    const char* msg = a ? archive_error_string(a) : nullptr;
    throw Error(code, what + ": " + (msg ? msg : "unknown archive error"));
  }
  return rc;
}

}  // namespace gp
