#pragma once
// Errors of git-pantheon. Two kinds, both caught once, in main():
//  - gp::Error: a user-facing failure (bad input, missing thing, unreachable server),
//    carrying the exit code that documents its category;
//  - gp::InternalError: something that should not happen (a library misbehaving, a bug).
// Messages follow git's style: lowercase, the subject quoted, the cause last,
// e.g. "cannot open archive 'x.tar.gz': truncated gzip stream".
#include <stdexcept>
#include <string>

namespace gp {

// Process exit codes, documented in man/git-pantheon.1 (EXIT STATUS).
enum class Exit : int {
  ok = 0,
  internal = 1,      // an internal failure or a bug
  usage = 2,         // wrong command line
  not_repo = 3,      // not inside a git repository
  config = 4,        // .pantheon.toml missing, malformed or inconsistent
  bad_input = 5,     // unknown env/element/backup, hostile or unreadable archive, existing target
  remote = 6,        // database server, storage remote or network failed
  integrity = 7,     // checksum or size mismatch, truncated or corrupt data
  locked = 8,        // another git-pantheon holds the repository lock
  nothing_to_do = 9, // e.g. "nothing to deploy"
  interrupted = 130, // SIGINT/SIGTERM received; what was being written was rolled back
};

class Error : public std::runtime_error {
 public:
  Error(Exit code, const std::string& message, std::string hint = {})
      : std::runtime_error(message), code_(code), hint_(std::move(hint)) {}
  Exit code() const noexcept { return code_; }
  // A suggestion printed on its own line after the error, or empty.
  const std::string& hint() const noexcept { return hint_; }

 private:
  Exit code_;
  std::string hint_;
};

class InternalError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Convenience constructors for the common categories.
[[noreturn]] void fail(Exit code, const std::string& message, const std::string& hint = {});

// "what 'subject': cause" with the subject quoted, as git words its errors.
std::string describe(const std::string& what, const std::string& subject, const std::string& cause = {});

// strerror(errno) as a std::string, for system-call failures.
std::string errno_text(int err);

// Throws gp::Error(code, "<what> '<path>': <strerror(errno)>").
[[noreturn]] void fail_errno(Exit code, const std::string& what, const std::string& path);

}  // namespace gp
