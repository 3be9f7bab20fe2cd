#include "util/lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <thread>

#include "util/signals.hpp"

namespace gp {

FileLock::FileLock(const fs::path& path, std::chrono::milliseconds wait, const std::string& what) {
  fd_ = open_file(path, O_RDWR | O_CREAT, 0600, Exit::internal);
  auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    if (::flock(fd_.get(), LOCK_EX | LOCK_NB) == 0) return;
    if (errno != EWOULDBLOCK && errno != EINTR) fail_errno(Exit::internal, "cannot lock", path.string());
    check_interrupted();
    if (std::chrono::steady_clock::now() >= deadline) {
      fail(Exit::locked, describe("cannot lock", what, "another git-pantheon command is running on this repository"),
           "wait for it to finish, or raise the wait with GIT_PANTHEON_LOCK_WAIT=<seconds>");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace gp
