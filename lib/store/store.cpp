#include "store/store.hpp"

#include <cstdlib>

namespace gp {

Store::Store(const Repo& repo) : root_(repo.common_dir() / "pantheon") {}

bool Store::exists() const {
  std::error_code ec;
  return fs::is_directory(archives_dir(), ec);
}

void Store::create() const {
  make_dirs(root_, 0700);
  make_dirs(archives_dir(), 0700);
  make_dirs(tmp_dir(), 0700);
  make_dirs(secrets_dir(), 0700);
  make_dirs(pending_dir(), 0700);
}

FileLock Store::lock() const {
  create();
  long secs = 30;
  if (const char* w = std::getenv("GIT_PANTHEON_LOCK_WAIT")) {
    char* end = nullptr;
    long v = std::strtol(w, &end, 10);
    if (end && *end == '\0' && v >= 0 && v < 86400) secs = v;
  }
  FileLock l(root_ / "lock", std::chrono::seconds(secs), "the store " + root_.string());
  // Whoever wrote into tmp/ held this lock; having it now means they are gone.
  std::error_code ec;
  for (auto it = fs::directory_iterator(tmp_dir(), ec); !ec && it != fs::directory_iterator(); it.increment(ec))
    remove_tree_noexcept(it->path());
  return l;
}

}  // namespace gp
