// Secure extraction and checking of archives, on the one reader (archive/reader).
//
// Nothing is ever written through a symbolic link: every file, directory and link
// is created relative to a directory opened with openat2(RESOLVE_BENEATH |
// RESOLVE_NO_SYMLINKS) from the destination (Linux 5.6+; a component-by-component
// O_NOFOLLOW walk where openat2 is missing), files with O_CREAT | O_EXCL |
// O_NOFOLLOW. Links are data: each is recreated exactly as archived, whatever its
// target, and all of them last, after every other entry (as GNU tar's delayed
// links), so no entry of the archive can be written through one even when the
// file system would let it.
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <map>
#include <optional>

#include "archive/reader.hpp"
#include "archive/tar.hpp"
#include "util/fs.hpp"
#include "util/signals.hpp"

namespace gp {

namespace {

// Opens directories beneath a root without following any link on the way.
class Beneath {
 public:
  explicit Beneath(const fs::path& root) : root_path_(root), root_(open_file(root, O_PATH | O_DIRECTORY)) {}

  // The directory `rel` ('/'-separated, relative to the root; "" is the root),
  // created (mode 0700) with its missing parents when `create`. A component that
  // is a link or not a directory is an error, never followed.
  int dir(const std::string& rel, bool create) {
    if (rel.empty()) return root_.get();
    if (rel == cached_) return cached_fd_.get();
    Fd fd = open_dir(rel);
    if (!fd && errno == ENOENT && create) fd = make_dir(rel);
    if (!fd) fail_errno(Exit::bad_input, "cannot open directory", (root_path_ / rel).string());
    cached_ = rel;
    cached_fd_ = std::move(fd);
    return cached_fd_.get();
  }
  // An fd of directory `rel` that can be read and changed (fchmod, futimens).
  Fd open_for_change(const std::string& rel) {
    if (rel.empty()) return open_file(root_path_, O_RDONLY | O_DIRECTORY);
    Fd fd = open_beneath(root_.get(), rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    if (!fd) fail_errno(Exit::bad_input, "cannot open directory", (root_path_ / rel).string());
    return fd;
  }
  // Forgets the cached directory (it is about to be replaced or removed).
  void forget() {
    cached_.clear();
    cached_fd_.reset();
  }
  const fs::path& path() const { return root_path_; }

 private:
  static Fd open_beneath(int base, const std::string& rel, int flags) {
    static std::atomic<bool> no_openat2{false};
    if (!no_openat2.load(std::memory_order_relaxed)) {
      struct open_how how = {};
      how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
      how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
      long fd = ::syscall(SYS_openat2, base, rel.c_str(), &how, sizeof how);
      if (fd >= 0) return Fd(static_cast<int>(fd));
      if (errno != ENOSYS && errno != EPERM) return Fd();  // EPERM: a seccomp filter that refuses it
      no_openat2.store(true, std::memory_order_relaxed);
    }
    // One component at a time, none of them followed when it is a link.
    Fd cur;
    int at = base;
    size_t pos = 0;
    for (;;) {
      size_t slash = rel.find('/', pos);
      std::string part = rel.substr(pos, slash == std::string::npos ? std::string::npos : slash - pos);
      bool last = slash == std::string::npos;
      int f = ::openat(at, part.c_str(), (last ? flags : O_PATH | O_DIRECTORY) | O_NOFOLLOW | O_CLOEXEC);
      if (f < 0) return Fd();
      cur.reset(f);
      at = f;
      if (last) return cur;
      pos = slash + 1;
    }
  }
  Fd open_dir(const std::string& rel) { return open_beneath(root_.get(), rel, O_PATH | O_DIRECTORY); }
  Fd make_dir(const std::string& rel) {
    size_t pos = 0;
    for (;;) {
      size_t slash = rel.find('/', pos);
      std::string prefix = rel.substr(0, slash);
      auto parent_end = prefix.rfind('/');
      Fd parent = parent_end == std::string::npos ? Fd() : open_dir(prefix.substr(0, parent_end));
      int at = parent_end == std::string::npos ? root_.get() : parent.get();
      if (at < 0) return Fd();
      const char* leaf = prefix.c_str() + (parent_end == std::string::npos ? 0 : parent_end + 1);
      if (::mkdirat(at, leaf, 0700) != 0 && errno != EEXIST) return Fd();
      if (slash == std::string::npos) return open_dir(rel);
      pos = slash + 1;
    }
  }

  fs::path root_path_;
  Fd root_;
  std::string cached_;
  Fd cached_fd_;
};

struct Leaf {
  std::string parent, name;
};
Leaf split_leaf(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return {"", path};
  return {path.substr(0, slash), path.substr(slash + 1)};
}

struct timespec entry_time(const ArchiveEntryInfo& e) {
  struct timespec t = {};
  if (e.has_mtime) {
    t.tv_sec = static_cast<time_t>(e.mtime_sec);
    t.tv_nsec = e.mtime_nsec;
  } else {
    t.tv_nsec = UTIME_OMIT;
  }
  return t;
}

// Writes what the reader delivers under `root`. Without a root (check mode) it
// reads everything and writes nothing: what extraction would refuse, checking refuses.
class Extractor {
 public:
  Extractor(EntryReader& in, std::optional<Beneath> root, Progress& progress)
      : in_(in), root_(std::move(root)), progress_(progress) {
    ::umask(mask_ = ::umask(0));
  }

  void entry(const ArchiveEntryInfo& e) {
    switch (e.type) {
      case EntryType::special: in_.refuse(std::string("is a ") + e.special_kind);
      case EntryType::directory: directory(e); break;
      case EntryType::file: file(e); break;
      case EntryType::hardlink: hardlink(e); break;
      case EntryType::symlink: symlink(e); break;
    }
  }

  // Links, then the modes and times of directories (deepest first, so that a
  // read-only directory is made so after everything inside it).
  void finish() {
    if (!root_) return;
    for (auto& [path, link] : links_) {
      check_interrupted();
      Leaf l = split_leaf(path);
      int at = root_->dir(l.parent, true);
      if (::symlinkat(link.target.c_str(), at, l.name.c_str()) != 0)
        fail_errno(Exit::bad_input, "cannot create symbolic link", (root_->path() / path).string());
      struct timespec times[2] = {{0, UTIME_OMIT}, link.mtime};
      if (link.mtime.tv_nsec != UTIME_OMIT) ::utimensat(at, l.name.c_str(), times, AT_SYMLINK_NOFOLLOW);
    }
    root_->forget();
    std::vector<std::pair<std::string, DirMeta>> dirs(dirs_.begin(), dirs_.end());
    std::stable_sort(dirs.begin(), dirs.end(), [](auto& a, auto& b) {
      return std::count(a.first.begin(), a.first.end(), '/') > std::count(b.first.begin(), b.first.end(), '/');
    });
    for (auto& [path, meta] : dirs) {
      Fd fd = root_->open_for_change(path);
      mode_t mode = meta.explicit_mode ? (meta.mode & 01777) : (0777 & ~mask_);
      if (::fchmod(fd.get(), mode) != 0) fail_errno(Exit::bad_input, "cannot set the mode of", (root_->path() / path).string());
      if (meta.mtime.tv_nsec != UTIME_OMIT) {
        struct timespec times[2] = {{0, UTIME_OMIT}, meta.mtime};
        ::futimens(fd.get(), times);
      }
    }
  }

 private:
  struct DirMeta {
    bool explicit_mode = false;
    unsigned mode = 0;
    struct timespec mtime = {0, UTIME_OMIT};
  };
  struct Link {
    std::string target;
    struct timespec mtime;
  };

  // The parent directory of `path`, with every missing ancestor recorded as an
  // implicit directory (tar's default mode).
  int parent_of(const std::string& path, Leaf& l) {
    l = split_leaf(path);
    for (size_t pos = 0; !l.parent.empty();) {
      size_t slash = l.parent.find('/', pos);
      dirs_.try_emplace(l.parent.substr(0, slash));
      if (slash == std::string::npos) break;
      pos = slash + 1;
    }
    return root_->dir(l.parent, true);
  }

  // A file or link that came before at this path makes way (the later one wins).
  void make_way(const ArchiveEntryInfo& e, int at, const Leaf& l) {
    if (!e.replaces) return;
    if (links_.erase(e.path)) return;  // a link not created yet
    if (::unlinkat(at, l.name.c_str(), 0) != 0 && errno != ENOENT)
      fail_errno(Exit::bad_input, "cannot replace", (root_->path() / e.path).string());
  }

  void directory(const ArchiveEntryInfo& e) {
    if (!root_) return;
    Leaf l;
    int at = parent_of(e.path, l);
    if (::mkdirat(at, l.name.c_str(), 0700) != 0 && errno != EEXIST)
      fail_errno(Exit::bad_input, "cannot create directory", (root_->path() / e.path).string());
    DirMeta& m = dirs_[e.path];
    m.explicit_mode = true;
    m.mode = e.mode;
    m.mtime = entry_time(e);
  }

  void file(const ArchiveEntryInfo& e) {
    if (!root_) {
      const char* data;
      size_t size;
      uint64_t offset;
      while (in_.read_block(data, size, offset)) progress_.update(in_.data_bytes(), in_.entries());
      return;
    }
    Leaf l;
    int at = parent_of(e.path, l);
    make_way(e, at, l);
    int fdn = ::openat(at, l.name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fdn < 0) fail_errno(Exit::bad_input, "cannot create file", (root_->path() / e.path).string());
    Fd fd(fdn);
    const std::string shown = (root_->path() / e.path).string();
    const char* data;
    size_t size;
    uint64_t offset, end = 0;
    while (in_.read_block(data, size, offset)) {
      for (size_t done = 0; done < size;) {
        ssize_t n = ::pwrite(fd.get(), data + done, size - done, static_cast<off_t>(offset + done));
        if (n < 0) {
          if (errno == EINTR) continue;
          fail_errno(Exit::bad_input, "cannot write", shown);
        }
        done += static_cast<size_t>(n);
      }
      end = std::max(end, offset + size);
      progress_.update(in_.data_bytes(), in_.entries());
    }
    if (e.has_size && end < e.size && ::ftruncate(fd.get(), static_cast<off_t>(e.size)) != 0)
      fail_errno(Exit::bad_input, "cannot write", shown);
    // Permissions, never set-id bits; ownership is never restored.
    if (::fchmod(fd.get(), e.mode & 01777 & ~(S_ISUID | S_ISGID)) != 0) fail_errno(Exit::bad_input, "cannot set the mode of", shown);
    struct timespec times[2] = {{0, UTIME_OMIT}, entry_time(e)};
    if (times[1].tv_nsec != UTIME_OMIT && ::futimens(fd.get(), times) != 0)
      fail_errno(Exit::bad_input, "cannot set the time of", shown);
  }

  void hardlink(const ArchiveEntryInfo& e) {
    if (!root_) return;
    Leaf l;
    int at = parent_of(e.path, l);
    make_way(e, at, l);
    // Both directories are held open: the cache keeps only one.
    Leaf t = split_leaf(e.target);
    Fd to_dir = root_->open_for_change(l.parent);
    int from_at = root_->dir(t.parent, false);
    if (::linkat(from_at, t.name.c_str(), to_dir.get(), l.name.c_str(), 0) != 0)
      fail_errno(Exit::bad_input, "cannot create hard link", (root_->path() / e.path).string());
  }

  void symlink(const ArchiveEntryInfo& e) {
    if (!root_) return;
    Leaf l;
    int at = parent_of(e.path, l);
    make_way(e, at, l);
    links_[e.path] = Link{e.target, entry_time(e)};
  }

  EntryReader& in_;
  std::optional<Beneath> root_;
  Progress& progress_;
  mode_t mask_ = 022;
  std::map<std::string, DirMeta> dirs_;  // every directory created, explicit or implicit
  std::map<std::string, Link> links_;    // created last, in path order
};

TarStats walk(const fs::path& archive_path, EntryRules rules, const fs::path* dest, Progress& progress,
             bool names_only = false) {
  std::optional<Beneath> root;
  if (dest) {
    make_dirs(*dest, 0755);
    struct statvfs vfs;
    if (::statvfs(dest->c_str(), &vfs) == 0 && !rules.free_bytes)
      rules.free_bytes = std::max<uint64_t>(static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize, 1);
    root.emplace(*dest);
  }
  EntryReader in(archive_path, rules);
  Extractor out(in, std::move(root), progress);
  progress.start(dest ? "extract" : "check", 0);
  while (const ArchiveEntryInfo* e = in.next()) {
    if (names_only && e->type == EntryType::file) continue;
    out.entry(*e);
    progress.update(in.data_bytes(), in.entries());
  }
  TarStats stats;
  std::tie(stats.archive_bytes, stats.archive_sha256) = in.finish();
  out.finish();
  stats.entries = in.entries();
  stats.data_bytes = in.data_bytes();
  progress.finish();
  return stats;
}

}  // namespace

TarStats extract_archive(const fs::path& archive_path, const fs::path& dest, unsigned strip, const ExtractLimits& limits,
                         Progress& progress) {
  EntryRules rules;
  rules.strip = strip;
  rules.limits = limits;
  rules.base_length = limits.base_length;
  return walk(archive_path, rules, &dest, progress);
}

TarStats check_files_archive(const fs::path& archive_path, unsigned strip, Progress& progress, bool names_only) {
  EntryRules rules;
  rules.strip = strip;
  return walk(archive_path, rules, nullptr, progress, names_only);
}

TarStats check_archive(const fs::path& archive_path, Progress& progress) {
  EntryRules rules;
  rules.raw_file = true;
  EntryReader in(archive_path, rules);
  TarStats stats;
  progress.start("check", 0);
  std::vector<char> buf(256 * 1024);
  while (const ArchiveEntryInfo* e = in.next()) {
    // A raw "archive" without any decompression filter is just a file of bytes:
    // there is nothing to check, and a damaged compressed header looks like that.
    if (in.plain_bytes())
      throw Error(Exit::integrity, "archive '" + in.file_name() + "' is corrupt: not a compressed file or archive");
    if (e->type == EntryType::file)
      while (in.read(buf.data(), buf.size()) > 0) progress.update(in.data_bytes(), in.entries());
  }
  std::tie(stats.archive_bytes, stats.archive_sha256) = in.finish();
  stats.entries = in.entries();
  stats.data_bytes = in.data_bytes();
  progress.finish();
  return stats;
}

}  // namespace gp
