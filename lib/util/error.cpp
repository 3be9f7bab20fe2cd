#include "util/error.hpp"

#include <cerrno>
#include <cstring>

namespace gp {

void fail(Exit code, const std::string& message, const std::string& hint) {
  throw Error(code, message, hint);
}

std::string describe(const std::string& what, const std::string& subject, const std::string& cause) {
  std::string s = what;
  if (!subject.empty()) s += " '" + subject + "'";
  if (!cause.empty()) s += ": " + cause;
  return s;
}

std::string errno_text(int err) {
  char buf[256];
  // GNU strerror_r returns a pointer that may or may not be buf.
  return ::strerror_r(err, buf, sizeof buf);
}

void fail_errno(Exit code, const std::string& what, const std::string& path) {
  int err = errno;
  throw Error(code, describe(what, path, errno_text(err)));
}

}  // namespace gp
