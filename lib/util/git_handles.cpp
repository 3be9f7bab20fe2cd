#include "util/git_handles.hpp"

namespace gp {

std::string git_last_error() {
  const git_error* e = git_error_last();
  return (e && e->message) ? e->message : "unknown error";
}

int git_check(int rc, const std::string& what, Exit code) {
  if (rc < 0) throw Error(code, what + ": " + git_last_error());
  return rc;
}

}  // namespace gp
