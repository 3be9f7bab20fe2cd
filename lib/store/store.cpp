#include "store/store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

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

std::set<std::string> Store::used_names(const FileLock&) const {
  std::error_code ec;
  if (!fs::exists(names_path(), ec)) return {};
  std::set<std::string> out;
  for (auto& line : read_text_lines(names_path(), Exit::internal))
    if (!line.empty()) out.insert(line);
  return out;
}

void Store::record_names(const FileLock&, const std::vector<std::string>& names) const {
  if (names.empty()) return;
  const fs::path p = names_path();
  std::error_code ec;
  bool created = !fs::exists(p, ec);
  Fd fd = open_file(p, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600, Exit::internal);
  std::string text;
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) fail_errno(Exit::internal, "cannot stat", p.string());
  if (st.st_size > 0) {  // a last line without its newline (a crash mid-write) ends here
    char last = '\n';
    if (::pread(fd.get(), &last, 1, st.st_size - 1) != 1) fail_errno(Exit::internal, "cannot read", p.string());
    if (last != '\n') text += '\n';
  }
  for (auto& n : names) text += n + "\n";
  write_all(fd.get(), text.data(), text.size(), p.string());
  fsync_fd(fd.get(), p.string());
  if (created) fsync_dir(root_);
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
