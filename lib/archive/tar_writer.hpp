#pragma once
// Internal to lib/archive: a pax-restricted tar written with libarchive into a
// ByteSink, and a deterministic walk of a directory tree into it. Used by the
// files writer (files_tar.cpp) and by the code writer for the .git directory.
#include <sys/stat.h>

#include <exception>
#include <functional>
#include <string>

#include "archive/tar.hpp"
#include "util/handles.hpp"

namespace gp::archive_detail {

class TarWriter {
 public:
  // `what` names the archive in error messages.
  TarWriter(ByteSink& out, std::string what);
  TarWriter(const TarWriter&) = delete;
  TarWriter& operator=(const TarWriter&) = delete;

  void add_directory(const std::string& name, mode_t mode, const struct timespec& mtime);
  void add_symlink(const std::string& name, const std::string& target, const struct timespec& mtime);
  // Starts a regular file of `size` bytes; its content follows through data().
  void begin_file(const std::string& name, mode_t mode, uint64_t size, const struct timespec& mtime);
  void data(const char* bytes, size_t size);
  // Writes the end-of-archive blocks (the sink is not closed: the caller does it).
  void finish();

  TarStats stats;

 private:
  friend struct Callbacks;
  void header(archive_entry* e);
  [[noreturn]] void fail(const std::string& action);

  ByteSink& out_;
  std::string what_;
  std::exception_ptr sink_error_;
  ArchiveWriter a_;
};

// Sets an entry's path, as UTF-8 when it is valid UTF-8 (so that the pax writer
// does not depend on the process locale), else as raw bytes.
void set_entry_path(archive_entry* e, const std::string& name);

// True when `s` is valid UTF-8 (no overlongs, no surrogates, nothing past U+10FFFF).
bool valid_utf8(const std::string& s);

// Walks `dir` (lstat, never following symlinks, names sorted bytewise) and adds
// every entry under `prefix/`: `dir` itself as `prefix/`. `skip(rel, st)` may leave
// entries (and whole subtrees) out. Vanished files, sockets, FIFOs and devices give
// a warning through `progress`. Updates progress with bytes and entries.
void add_tree(TarWriter& w, const fs::path& dir, const std::string& prefix,
              const std::function<bool(const std::string& rel, const struct stat& st)>& skip, Progress& progress);

}  // namespace gp::archive_detail
