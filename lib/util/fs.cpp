#include "util/fs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <system_error>

#include "util/fault.hpp"

namespace gp {

Fd& Fd::operator=(Fd&& o) noexcept {
  if (this != &o) reset(o.release());
  return *this;
}

Fd::~Fd() { reset(); }

void Fd::reset(int fd) noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

Fd open_file(const fs::path& path, int flags, mode_t mode, Exit code) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) fail_errno(code, "cannot open", path.string());
  return Fd(fd);
}

void write_all(int fd, const void* data, size_t size, const std::string& what) {
  auto p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail_errno(Exit::internal, "cannot write", what);
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
}

size_t read_some(int fd, void* data, size_t size, const std::string& what) {
  for (;;) {
    ssize_t n = ::read(fd, data, size);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR) fail_errno(Exit::bad_input, "cannot read", what);
  }
}

void fsync_fd(int fd, const std::string& what) {
  if (::fsync(fd) != 0 && errno != EINVAL && errno != EROFS) fail_errno(Exit::internal, "cannot fsync", what);
}

void fsync_dir(const fs::path& dir) {
  Fd fd = open_file(dir.empty() ? fs::path(".") : dir, O_RDONLY | O_DIRECTORY, 0, Exit::internal);
  fsync_fd(fd.get(), dir.string());
}

void make_dirs(const fs::path& dir, mode_t mode) {
  if (dir.empty()) return;
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) fail(Exit::bad_input, describe("not a directory", dir.string()));
    return;
  }
  if (dir.has_parent_path() && dir.parent_path() != dir) make_dirs(dir.parent_path(), mode);
  if (::mkdir(dir.c_str(), mode) != 0 && errno != EEXIST) fail_errno(Exit::internal, "cannot create directory", dir.string());
}

std::string read_text_file(const fs::path& path, Exit code) {
  Fd fd = open_file(path, O_RDONLY, 0, code);
  std::string out;
  char buf[65536];
  for (;;) {
    size_t n = read_some(fd.get(), buf, sizeof buf, path.string());
    if (n == 0) break;
    out.append(buf, n);
  }
  return out;
}

std::vector<std::string> read_text_lines(const fs::path& path, Exit code) {
  std::string text = read_text_file(path, code);
  std::vector<std::string> lines;
  for (size_t pos = 0; pos < text.size();) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    lines.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return lines;
}

namespace {
std::atomic<unsigned> g_tmp_counter{0};

fs::path temp_name_for(const fs::path& final_path, const fs::path& tmp_dir) {
  std::string name = final_path.filename().string() + ".tmp-" + std::to_string(::getpid()) + "-" +
                     std::to_string(g_tmp_counter++);
  return (tmp_dir.empty() ? final_path.parent_path() : tmp_dir) / name;
}
}  // namespace

AtomicFile::AtomicFile(fs::path final_path, mode_t mode, fs::path tmp_dir)
    : final_(std::move(final_path)), tmp_(temp_name_for(final_, tmp_dir)) {
  fd_ = open_file(tmp_, O_WRONLY | O_CREAT | O_EXCL, mode, Exit::internal);
}

AtomicFile::~AtomicFile() {
  if (!published_) {
    fd_.reset();
    ::unlink(tmp_.c_str());
  }
}

void AtomicFile::publish(bool replace) {
  GP_FAULT_POINT("fs.publish.fsync.before");
  fsync_fd(fd_.get(), tmp_.string());
  GP_FAULT_POINT("fs.publish.fsync.after");
  if (::close(fd_.release()) != 0) fail_errno(Exit::internal, "cannot close", tmp_.string());
  if (replace) {
    if (::rename(tmp_.c_str(), final_.c_str()) != 0) fail_errno(Exit::internal, "cannot rename into place", final_.string());
  } else {
    // link(2) + unlink refuses to replace an existing file, atomically.
    if (::link(tmp_.c_str(), final_.c_str()) != 0) {
      if (errno == EEXIST) fail(Exit::bad_input, describe("refusing to overwrite existing file", final_.string()));
      fail_errno(Exit::internal, "cannot publish", final_.string());
    }
    GP_FAULT_POINT("fs.publish.link.after");
    ::unlink(tmp_.c_str());
  }
  published_ = true;
  GP_FAULT_POINT("fs.publish.rename.after");
  fsync_dir(final_.parent_path());
}

void write_file_atomic(const fs::path& path, const std::string& content, mode_t mode) {
  AtomicFile f(path, mode);
  f.write(content.data(), content.size());
  f.publish(/*replace=*/true);
}

TempDir::TempDir(const fs::path& parent, const std::string& prefix) {
  std::string tmpl = (parent / (prefix + "XXXXXX")).string();
  if (!::mkdtemp(tmpl.data())) fail_errno(Exit::internal, "cannot create temporary directory in", parent.string());
  path_ = tmpl;
}

TempDir::~TempDir() {
  if (!keep_) remove_tree_noexcept(path_);
}

namespace {

// Empties the directory open as `dir` (taking ownership of the descriptor), by
// names relative to it: no path is resolved twice and no symlink is followed.
void empty_dir_at(int dir) noexcept {
  DIR* d = ::fdopendir(dir);
  if (!d) {
    ::close(dir);
    return;
  }
  // Unlinking while reading a directory may make readdir skip entries: go over it
  // until a pass removes nothing more.
  for (bool again = true; again;) {
    again = false;
    ::rewinddir(d);
    while (dirent* e = ::readdir(d)) {
      const char* name = e->d_name;
      if (name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0))) continue;
      bool is_dir = e->d_type == DT_DIR;
      if (e->d_type == DT_UNKNOWN) {
        struct stat st;
        is_dir = ::fstatat(::dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
      }
      if (is_dir) {
        int sub = ::openat(::dirfd(d), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub >= 0) {
          ::fchmod(sub, 0700);  // a read-only directory cannot be emptied
          empty_dir_at(sub);
        }
        if (::unlinkat(::dirfd(d), name, AT_REMOVEDIR) == 0) again = true;
      } else if (::unlinkat(::dirfd(d), name, 0) == 0) {
        again = true;
      }
    }
  }
  ::closedir(d);
}

}  // namespace

void remove_tree_noexcept(const fs::path& p) noexcept {
  struct stat st;
  if (::lstat(p.c_str(), &st) != 0) return;
  if (S_ISDIR(st.st_mode)) {
    ::chmod(p.c_str(), 0700);
    int dir = ::open(p.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dir >= 0) empty_dir_at(dir);
    ::rmdir(p.c_str());
  } else {
    ::unlink(p.c_str());
  }
}

bool path_within(const fs::path& base, const fs::path& path) {
  auto b = base.lexically_normal();
  auto p = path.lexically_normal();
  auto [bi, pi] = std::mismatch(b.begin(), b.end(), p.begin(), p.end());
  // A trailing empty element (from a trailing slash) on base still counts as a match.
  return bi == b.end() || (std::next(bi) == b.end() && bi->empty());
}

std::optional<fs::path> self_executable() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec || exe.empty()) return std::nullopt;
  return exe;
}

bool same_file_system(const fs::path& a, const fs::path& b) {
  struct stat sa, sb;
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev;
}

std::string human_size(uint64_t bytes) {
  static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  if (u == 0) std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  else std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
  return buf;
}

}  // namespace gp
