#pragma once
// Internal to lib/archive: a pax tar written with libarchive into a
// ByteSink, and a deterministic walk of a directory tree into it. Used by the
// files writer (files_tar.cpp) and by the code writer for the .git directory.
#include <locale.h>
#include <sys/stat.h>

#include <exception>
#include <functional>
#include <string>

#include "archive/tar.hpp"
#include "util/archive_handles.hpp"

#include "util/utf8.hpp"

namespace gp::archive_detail {

// Makes this thread's character set UTF-8 for as long as it lives (uselocale is
// per thread; the process locale is left alone). libarchive converts names between
// the "current locale" and the UTF-8 of pax headers: under the C locale it cannot
// convert non-ASCII names (libarchive 3.6 even crashes writing one), so every
// libarchive reader and writer here runs under C.UTF-8 and names are UTF-8 bytes.
class Utf8Locale {
 public:
  Utf8Locale();
  ~Utf8Locale();
  Utf8Locale(const Utf8Locale&) = delete;
  Utf8Locale& operator=(const Utf8Locale&) = delete;

 private:
  locale_t loc_ = nullptr, old_ = nullptr;
};

class TarWriter {
 public:
  // `what` names the archive in error messages.
  TarWriter(ByteSink& out, std::string what);
  TarWriter(const TarWriter&) = delete;
  TarWriter& operator=(const TarWriter&) = delete;

  void add_directory(const std::string& name, mode_t mode, const struct timespec& mtime);
  void add_symlink(const std::string& name, const std::string& target, const struct timespec& mtime);
  // A hard link to `target`, a file written before (tar's typeflag '1', no data).
  void add_hardlink(const std::string& name, const std::string& target, mode_t mode, const struct timespec& mtime);
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

  Utf8Locale locale_;
  ByteSink& out_;
  std::string what_;
  std::exception_ptr sink_error_;
  ArchiveWriter a_;
};

// Sets an entry's path (raw bytes, UTF-8 under Utf8Locale).
void set_entry_path(archive_entry* e, const std::string& name);

// valid_utf8() is gp::valid_utf8 (util/utf8.hpp).
using gp::valid_utf8;

// Walks `dir` (lstat, never following symlinks, names sorted bytewise) and adds
// every entry under `prefix/`: `dir` itself as `prefix/`. A file with several
// names in the tree is written once, its other names as hard links to it. `skip(rel, st)` may leave
// entries (and whole subtrees) out. Vanished files, sockets, FIFOs and devices give
// a warning through `progress`. Updates progress with bytes and entries.
void add_tree(TarWriter& w, const fs::path& dir, const std::string& prefix,
              const std::function<bool(const std::string& rel, const struct stat& st)>& skip, Progress& progress);

}  // namespace gp::archive_detail
