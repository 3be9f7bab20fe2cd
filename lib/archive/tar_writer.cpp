#include "archive/tar_writer.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <cerrno>
#include <vector>

#include "util/fs.hpp"
#include "util/signals.hpp"

namespace gp::archive_detail {

struct Callbacks {
  static la_ssize_t write(archive*, void* client, const void* buf, size_t n) {
    auto* w = static_cast<TarWriter*>(client);
    try {
      w->out_.write(static_cast<const char*>(buf), n);
      return static_cast<la_ssize_t>(n);
    } catch (...) {
      // libarchive is C: the exception waits here and is rethrown by fail().
      w->sink_error_ = std::current_exception();
      return -1;
    }
  }
};

TarWriter::TarWriter(ByteSink& out, std::string what) : out_(out), what_(std::move(what)), a_(archive_write_new()) {
  if (!a_) throw InternalError("archive_write_new failed");
  // pax, not pax_restricted: the restricted form writes an extended header only
  // when a field does not fit ustar, so sub-second mtimes were dropped for plain
  // names. GNU tar, bsdtar and Python's tarfile read pax.
  archive_check(a_.get(), archive_write_set_format_pax(a_.get()), "cannot write archive '" + what_ + "'",
                Exit::internal);
  // Large blocks mean fewer calls into the sink; the last one is not padded, so
  // the archive ends right after tar's two zero blocks.
  archive_write_set_bytes_per_block(a_.get(), 64 * 1024);
  archive_write_set_bytes_in_last_block(a_.get(), 1);
  if (archive_write_open(a_.get(), this, nullptr, &Callbacks::write, nullptr) != ARCHIVE_OK)
    fail("cannot start archive");
}

void TarWriter::fail(const std::string& action) {
  if (sink_error_) {
    auto e = sink_error_;
    sink_error_ = nullptr;
    std::rethrow_exception(e);
  }
  const char* msg = archive_error_string(a_.get());
  throw Error(Exit::internal, action + " '" + what_ + "': " + (msg ? msg : "unknown archive error"));
}

void TarWriter::header(archive_entry* e) {
  check_interrupted();
  if (archive_write_header(a_.get(), e) < ARCHIVE_WARN) fail("cannot write an entry header to archive");
  ++stats.entries;
}

namespace {
ArchiveEntry new_entry(const std::string& name, mode_t type_and_mode, const struct timespec& mtime) {
  ArchiveEntry e(archive_entry_new());
  if (!e) throw InternalError("archive_entry_new failed");
  set_entry_path(e.get(), name);
  archive_entry_set_mode(e.get(), type_and_mode);
  // libarchive's pax writer prints a time as "<sec>.<nsec>", which for a time
  // before 1970 with a fraction is read back (as pax says) as sec - nsec: a time
  // of -2000000000 s + 0.25 s must be written as "-1999999999.75". Between -1 and
  // 0 s the sign cannot be written at all: the fraction is dropped there.
  time_t sec = mtime.tv_sec;
  long nsec = mtime.tv_nsec;
  if (sec < 0 && nsec > 0) {
    if (sec == -1) {
      nsec = 0;
    } else {
      sec += 1;
      nsec = 1'000'000'000 - nsec;
    }
  }
  archive_entry_set_mtime(e.get(), sec, nsec);
  return e;
}
}  // namespace

void TarWriter::add_directory(const std::string& name, mode_t mode, const struct timespec& mtime) {
  auto e = new_entry(name, AE_IFDIR | (mode & 07777), mtime);
  header(e.get());
}

void TarWriter::add_symlink(const std::string& name, const std::string& target, const struct timespec& mtime) {
  auto e = new_entry(name, AE_IFLNK | 0777, mtime);
  archive_entry_copy_symlink(e.get(), target.c_str());
  header(e.get());
}

void TarWriter::add_hardlink(const std::string& name, const std::string& target, mode_t mode,
                             const struct timespec& mtime) {
  auto e = new_entry(name, AE_IFREG | (mode & 07777), mtime);
  archive_entry_copy_hardlink(e.get(), target.c_str());
  archive_entry_set_size(e.get(), 0);
  header(e.get());
}

void TarWriter::begin_file(const std::string& name, mode_t mode, uint64_t size, const struct timespec& mtime) {
  auto e = new_entry(name, AE_IFREG | (mode & 07777), mtime);
  archive_entry_set_size(e.get(), static_cast<la_int64_t>(size));
  header(e.get());
}

void TarWriter::data(const char* bytes, size_t size) {
  while (size > 0) {
    la_ssize_t n = archive_write_data(a_.get(), bytes, size);
    if (n <= 0) fail("cannot write data to archive");
    bytes += n;
    size -= static_cast<size_t>(n);
    stats.data_bytes += static_cast<uint64_t>(n);
  }
}

void TarWriter::finish() {
  if (archive_write_close(a_.get()) != ARCHIVE_OK) fail("cannot finish archive");
}

void set_entry_path(archive_entry* e, const std::string& name) { archive_entry_copy_pathname(e, name.c_str()); }

Utf8Locale::Utf8Locale() {
  loc_ = ::newlocale(LC_CTYPE_MASK, "C.UTF-8", nullptr);
  if (loc_) old_ = ::uselocale(loc_);
}

Utf8Locale::~Utf8Locale() {
  if (loc_) {
    ::uselocale(old_);
    ::freelocale(loc_);
  }
}


namespace {

struct Walker {
  TarWriter& w;
  const std::function<bool(const std::string&, const struct stat&)>& skip;
  Progress& progress;
  std::vector<char> buf = std::vector<char>(1 << 20);
  std::map<std::pair<dev_t, ino_t>, std::string> linked;  // files with several names: the name written first

  void report() { progress.update(w.stats.data_bytes, w.stats.entries); }

  void add_file(const fs::path& path, const std::string& name, const struct stat& lst) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY));
    if (!fd) {
      if (errno == ENOENT) {
        progress.warn("'" + path.string() + "' vanished while being archived");
        return;
      }
      fail_errno(Exit::bad_input, "cannot read file", path.string());
    }
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) fail_errno(Exit::bad_input, "cannot read file", path.string());
    if (!S_ISREG(st.st_mode)) {
      progress.warn("'" + path.string() + "' changed type while being archived; skipped");
      return;
    }
    (void)lst;
    uint64_t size = static_cast<uint64_t>(st.st_size), done = 0;
    w.begin_file(name, st.st_mode, size, st.st_mtim);
    bool shrank = false;
    while (done < size) {
      size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), size - done));
      size_t n = shrank ? 0 : read_some(fd.get(), buf.data(), want, path.string());
      if (n == 0) {  // the file shrank: keep the archive well-formed with zeros
        shrank = true;
        std::fill(buf.begin(), buf.begin() + static_cast<long>(want), '\0');
        n = want;
      }
      w.data(buf.data(), n);
      done += n;
      report();
    }
    struct stat after;
    if (shrank || (::fstat(fd.get(), &after) == 0 &&
                   (after.st_size != st.st_size || after.st_mtim.tv_sec != st.st_mtim.tv_sec ||
                    after.st_mtim.tv_nsec != st.st_mtim.tv_nsec)))
      progress.warn("'" + path.string() + "' changed while being archived");
  }

  void add(const fs::path& path, const std::string& rel, const std::string& name, bool top) {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) {
      if (errno == ENOENT) {
        progress.warn("'" + path.string() + "' vanished while being archived");
        return;
      }
      fail_errno(Exit::bad_input, "cannot read", path.string());
    }
    if (!top && skip && skip(rel, st)) return;
    if (S_ISDIR(st.st_mode)) {
      w.add_directory(name, st.st_mode, st.st_mtim);
      std::vector<std::string> names;
      {
        DIR* d = ::opendir(path.c_str());
        if (!d) {
          if (errno == ENOENT) {
            progress.warn("'" + path.string() + "' vanished while being archived");
            return;
          }
          fail_errno(Exit::bad_input, "cannot read directory", path.string());
        }
        Handle<DIR, ::closedir> guard(d);
        while (dirent* de = ::readdir(d)) {
          std::string n = de->d_name;
          if (n != "." && n != "..") names.push_back(std::move(n));
        }
      }
      std::sort(names.begin(), names.end());
      for (auto& n : names) add(path / n, top ? n : rel + "/" + n, name + "/" + n, false);
    } else if (S_ISREG(st.st_mode)) {
      if (st.st_nlink > 1) {
        auto [it, first] = linked.try_emplace({st.st_dev, st.st_ino}, name);
        if (!first) {
          w.add_hardlink(name, it->second, st.st_mode, st.st_mtim);
          report();
          return;
        }
      }
      add_file(path, name, st);
    } else if (S_ISLNK(st.st_mode)) {
      std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
      ssize_t n = ::readlink(path.c_str(), target.data(), target.size());
      if (n < 0) {
        if (errno == ENOENT) {
          progress.warn("'" + path.string() + "' vanished while being archived");
          return;
        }
        fail_errno(Exit::bad_input, "cannot read symbolic link", path.string());
      }
      target.resize(static_cast<size_t>(n));
      w.add_symlink(name, target, st.st_mtim);
    } else {
      const char* kind = S_ISSOCK(st.st_mode) ? "socket" : S_ISFIFO(st.st_mode) ? "named pipe" : "device";
      progress.warn(std::string("skipping ") + kind + " '" + path.string() + "'");
    }
    report();
  }
};

}  // namespace

void add_tree(TarWriter& w, const fs::path& dir, const std::string& prefix,
              const std::function<bool(const std::string&, const struct stat&)>& skip, Progress& progress) {
  Walker walker{w, skip, progress};
  walker.add(dir, "", prefix, true);
}

}  // namespace gp::archive_detail
