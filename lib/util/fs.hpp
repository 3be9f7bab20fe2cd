#pragma once
// File-system helpers: an owned file descriptor, durable atomic publication
// (write to a temporary name, fsync, rename, fsync the directory), and small
// path utilities. All failures throw gp::Error naming the path and errno's text.
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "util/error.hpp"

namespace gp {

namespace fs = std::filesystem;

// A movable, non-copyable owner of a POSIX file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd();

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  int release() noexcept {
    int f = fd_;
    fd_ = -1;
    return f;
  }
  void reset(int fd = -1) noexcept;

 private:
  int fd_ = -1;
};

// open(2) with O_CLOEXEC; throws gp::Error(code) naming `path` on failure.
Fd open_file(const fs::path& path, int flags, mode_t mode = 0600, Exit code = Exit::bad_input);

// Writes all of `data`, retrying on EINTR and short writes. `what` names the target.
void write_all(int fd, const void* data, size_t size, const std::string& what);
inline void write_all(int fd, std::span<const char> data, const std::string& what) {
  write_all(fd, data.data(), data.size(), what);
}

// Reads up to `size` bytes, retrying on EINTR; returns 0 at end of file.
size_t read_some(int fd, void* data, size_t size, const std::string& what);

// fsync(2) of a file or of a directory (so that a rename into it is durable).
void fsync_fd(int fd, const std::string& what);
void fsync_dir(const fs::path& dir);

// Creates `dir` and its missing parents with `mode` (existing ones are left as they are).
void make_dirs(const fs::path& dir, mode_t mode = 0700);

// Reads a whole small file (config, manifest) into a string.
std::string read_text_file(const fs::path& path, Exit code = Exit::bad_input);
// The lines of a small text file, without their newlines (journals of our own).
std::vector<std::string> read_text_lines(const fs::path& path, Exit code = Exit::bad_input);

// A file being written under a temporary name next to its final place. It is
// removed on destruction unless publish() renamed it into place; publish() fsyncs
// the data and the directory first, so a published file is complete on disk.
class AtomicFile {
 public:
  // Creates `<final>.tmp-<pid>-<n>` (or a name inside `tmp_dir` when given, which
  // must be on the same file system) with `mode`.
  explicit AtomicFile(fs::path final_path, mode_t mode = 0600, fs::path tmp_dir = {});
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();

  int fd() const noexcept { return fd_.get(); }
  const fs::path& temp_path() const noexcept { return tmp_; }
  const fs::path& final_path() const noexcept { return final_; }
  void write(const void* data, size_t size) { write_all(fd_.get(), data, size, tmp_.string()); }
  // fsync, close, rename to the final path (refusing to replace an existing file
  // unless `replace`), fsync the directory.
  void publish(bool replace = false);

 private:
  fs::path final_;
  fs::path tmp_;
  Fd fd_;
  bool published_ = false;
};

// Writes `content` to `path` atomically (see AtomicFile), replacing any old file.
void write_file_atomic(const fs::path& path, const std::string& content, mode_t mode = 0600);

// A temporary directory removed (recursively) on destruction unless keep() was called.
class TempDir {
 public:
  // Creates a fresh directory `<parent>/<prefix>XXXXXX` with mode 0700.
  explicit TempDir(const fs::path& parent, const std::string& prefix = "tmp-");
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();
  const fs::path& path() const noexcept { return path_; }
  void keep() noexcept { keep_ = true; }

 private:
  fs::path path_;
  bool keep_ = false;
};

// Removes a tree without following symlinks, making read-only directories writable
// first; never throws (errors are ignored: used for clean-up).
void remove_tree_noexcept(const fs::path& p) noexcept;

// True when `path` is `base` or lies inside it (lexically, after normalisation).
bool path_within(const fs::path& base, const fs::path& path);

// True when both paths exist and are on one file system (st_dev), so that a
// rename (and renameat2 RENAME_EXCHANGE) between them works.
bool same_file_system(const fs::path& a, const fs::path& b);

// The running program's own file, symlinks resolved (/proc/self/exe), or nullopt
// when the system does not tell.
std::optional<fs::path> self_executable();

// Human-readable byte count: "1.5 MiB".
std::string human_size(uint64_t bytes);

}  // namespace gp
