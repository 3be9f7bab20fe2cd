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
  make_dirs(trash_dir(), 0700);
  make_dirs(secrets_dir(), 0700);
  make_dirs(pending_dir(), 0700);
}

FileLock Store::lock() const {
  long secs = 30;
  if (const char* w = std::getenv("GIT_PANTHEON_LOCK_WAIT")) {
    char* end = nullptr;
    long v = std::strtol(w, &end, 10);
    if (end && *end == '\0' && v >= 0 && v < 86400) secs = v;
  }
  return lock(std::chrono::seconds(secs));
}

fs::path Store::partial_path(const std::string& sha256, uint64_t size) const {
  return partial_dir() / (sha256 + "-" + std::to_string(size));
}

size_t Store::clean_partials(std::chrono::seconds max_age) const {
  size_t removed = 0;
  std::error_code ec;
  auto now = fs::file_time_type::clock::now();
  for (auto it = fs::directory_iterator(partial_dir(), ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    std::error_code e2;
    auto t = fs::last_write_time(it->path(), e2);
    if (e2 || now - t < max_age) continue;
    if (fs::remove(it->path(), e2)) ++removed;
  }
  return removed;
}

FileLock Store::lock(std::chrono::milliseconds wait) const {
  create();
  FileLock l(root_ / "lock", wait, "the store " + root_.string());
  // Whoever wrote into tmp/ held this lock; having it now means they are gone.
  std::error_code ec;
  for (auto it = fs::directory_iterator(tmp_dir(), ec); !ec && it != fs::directory_iterator(); it.increment(ec))
    remove_tree_noexcept(it->path());
  return l;
}

}  // namespace gp
