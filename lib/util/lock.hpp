#pragma once
// An exclusive advisory lock on a file (flock(2)). The kernel drops it when the
// holder dies, even by SIGKILL, so a crashed command never leaves a stale lock.
#include <chrono>
#include <string>

#include "util/fs.hpp"

namespace gp {

class FileLock {
 public:
  // Takes the lock on `path` (created 0600 if missing), waiting up to `wait`.
  // Throws gp::Error(Exit::locked) naming `what` when it is still held after that.
  FileLock(const fs::path& path, std::chrono::milliseconds wait, const std::string& what);
  FileLock(FileLock&&) = default;
  FileLock& operator=(FileLock&&) = default;

 private:
  Fd fd_;
};

}  // namespace gp
