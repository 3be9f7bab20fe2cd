// Secure extraction and integrity checking of archives in any format libarchive
// reads. Extraction refuses anything that could write outside the destination;
// libarchive's own guards (ARCHIVE_EXTRACT_SECURE_*) sit under our checks.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "archive/entry_name.hpp"
#include "archive/gzip.hpp"
#include "archive/tar.hpp"
#include "archive/tar_writer.hpp"
#include "util/fs.hpp"
#include "util/signals.hpp"

namespace gp {

namespace {

using archive_detail::valid_utf8;

// Past this many bytes written, the ratio of written to compressed bytes read is
// checked (smaller archives may legitimately compress very well).
constexpr uint64_t kRatioCheckAfter = 64ULL << 20;

struct Refusal {
  std::string why;
};

const char* entry_name(archive_entry* e) { return archive_entry_pathname(e); }

// An entry name fit for a one-line message: control characters and bytes of
// invalid UTF-8 become \xNN.
std::string printable(const char* name) {
  if (!name) return "?";
  std::string in = name, out;
  if (valid_utf8(in)) {
    for (char c : in) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
        out += buf;
      } else {
        out += c;
      }
    }
    return out;
  }
  for (char c : in) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

// An open archive, read from its first byte to its last, hashing what is read
// (so a caller can check a gzip file against a manifest in the same pass).
// gzip input is decompressed by GzipReader rather than by libarchive, whose gzip
// filter does not verify the CRC-32 of members (a flipped byte in the deflate
// data went unnoticed): ours does, so corruption is an error. It runs on a thread
// of its own, ahead of the extraction, as `gunzip | tar` would.
class Reader {
 public:
  Reader(const fs::path& path, bool raw_fallback)
      : path_(path), fd_(open_file(path, O_RDONLY)), file_(fd_.get(), path.string()), a_(archive_read_new()) {
    if (!a_) throw InternalError("archive_read_new failed");
    archive_read_support_filter_all(a_.get());
    archive_read_support_format_all(a_.get());
    if (raw_fallback) archive_read_support_format_raw(a_.get());
    unsigned char magic[2] = {0, 0};
    gzip_ = ::pread(fd_.get(), magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    int rc;
    if (gzip_) {
      gz_ = std::make_unique<GzipReader>(file_, "archive '" + path.filename().string() + "' is corrupt");
      ahead_ = std::make_unique<ReadAheadSource>(*gz_);
      buf_.resize(256 * 1024);
      rc = archive_read_open(a_.get(), this, nullptr, &Reader::read_cb, nullptr);
    } else {
      // Seekable, for zip's central directory (which holds the modes).
      rc = archive_read_open_fd(a_.get(), fd_.get(), 64 * 1024);
    }
    if (rc != ARCHIVE_OK) {
      rethrow_pending();
      const char* msg = archive_error_string(a_.get());
      throw Error(Exit::bad_input, "cannot open archive '" + path.string() + "': " + (msg ? msg : "unknown error"));
    }
  }
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;
  archive* get() const noexcept { return a_.get(); }
  // Bytes of the file decoded so far (compressed).
  uint64_t compressed_bytes() const {
    return gzip_ ? gz_->compressed_bytes()
                 : static_cast<uint64_t>(std::max<la_int64_t>(archive_filter_bytes(a_.get(), -1), 0));
  }
  // True when some decompression happened (by us or by a libarchive filter).
  bool decompressed() const { return gzip_ || archive_filter_count(a_.get()) > 1; }

  // Reads what libarchive left after the end of the archive (tar stops at its
  // end-of-archive blocks), so that the gzip trailer and CRC are checked too and
  // the whole file is hashed. Returns the file's size and sha256.
  std::pair<uint64_t, std::string> finish() {
    rethrow_pending();
    if (gzip_) {
      while (ahead_->read(buf_.data(), buf_.size()) > 0) {
      }
      return {file_.bytes(), file_.sha256()};
    }
    // libarchive read this one itself, seeking: hash it in a pass of its own.
    if (::lseek(fd_.get(), 0, SEEK_SET) != 0) fail_errno(Exit::bad_input, "cannot read", path_.string());
    std::vector<char> buf(1 << 20);
    while (file_.read(buf.data(), buf.size()) > 0) {
    }
    return {file_.bytes(), file_.sha256()};
  }

  // A read failure: the decompressor's own error when it has one, else libarchive's.
  [[noreturn]] void corrupt() {
    rethrow_pending();
    const char* msg = archive_error_string(a_.get());
    throw Error(Exit::integrity,
                "archive '" + path_.filename().string() + "' is corrupt: " + (msg ? msg : "read error"));
  }

 private:
  static la_ssize_t read_cb(archive*, void* self, const void** buf) {
    auto* r = static_cast<Reader*>(self);
    try {
      *buf = r->buf_.data();
      return static_cast<la_ssize_t>(r->ahead_->read(r->buf_.data(), r->buf_.size()));
    } catch (...) {
      r->pending_ = std::current_exception();
      return -1;
    }
  }
  void rethrow_pending() {
    if (pending_) {
      auto e = pending_;
      pending_ = nullptr;
      std::rethrow_exception(e);
    }
  }

  fs::path path_;
  Fd fd_;
  FdSource file_;
  bool gzip_ = false;
  std::unique_ptr<GzipReader> gz_;
  std::unique_ptr<ReadAheadSource> ahead_;  // after gz_: stopped before it goes
  std::vector<char> buf_;
  std::exception_ptr pending_;
  ArchiveReader a_;  // declared last, freed first: it may still call back while closing
};

}  // namespace

TarStats extract_archive(const fs::path& archive_path, const fs::path& dest_in, unsigned strip,
                         const ExtractLimits& limits, Progress& progress) {
  make_dirs(dest_in, 0755);
  const fs::path dest = fs::canonical(dest_in);
  const std::string file = archive_path.filename().string();
  archive_detail::Utf8Locale utf8;
  auto refuse = [&](const std::string& name, const std::string& why) -> void {
    throw Error(Exit::bad_input, "refusing archive '" + file + "': entry '" + name + "' " + why);
  };

  Reader in(archive_path, false);
  ArchiveWriter disk(archive_write_disk_new());
  if (!disk) throw InternalError("archive_write_disk_new failed");
  // Paths handed to the writer are absolute (dest + a checked relative name), so
  // NOABSOLUTEPATHS cannot be set; absolute entry names are refused above it.
  archive_write_disk_set_options(disk.get(), ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM |
                                                 ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT);

  TarStats stats;
  uint64_t total = 0;
  std::set<std::string> files, dirs, links;
  std::map<std::string, std::string> link_targets;            // rel -> target, of every link extracted
  std::vector<std::pair<std::string, std::string>> recheck;  // links to resolve through others: rel, shown
  progress.start("extract", 0);
  for (;;) {
    check_interrupted();
    archive_entry* e = nullptr;
    int rc = archive_read_next_header(in.get(), &e);
    if (rc == ARCHIVE_EOF) break;
    if (rc < ARCHIVE_WARN) in.corrupt();

    const char* raw_name = entry_name(e);
    const std::string shown = printable(raw_name);
    if (!raw_name || !valid_utf8(raw_name)) refuse(shown, "has a name that is not valid UTF-8");
    if (++stats.entries > limits.max_entries)
      refuse(shown, "goes beyond the limit of " + std::to_string(limits.max_entries) + " entries");
    // Control characters are kept: a site's own files may have such names.
    std::vector<std::string> parts;
    if (std::string why = split_entry_name(raw_name, parts, ControlChars::allow); !why.empty()) refuse(shown, why);
    if (parts.size() <= strip) continue;  // stripped away entirely (e.g. the top directory)
    parts.erase(parts.begin(), parts.begin() + strip);
    const std::string rel = join_entry_name(parts);

    // Nothing may be extracted under a symlink of the archive, nor replace a
    // directory or a symlink already extracted.
    for (size_t i = 1; i < parts.size(); ++i) {
      std::string prefix = join_entry_name(parts, i);
      if (links.count(prefix)) refuse(shown, "lies under the symbolic link '" + prefix + "'");
    }
    const auto type = archive_entry_filetype(e);
    const char* hardlink = archive_entry_hardlink(e);
    if (links.count(rel)) refuse(shown, "replaces a symbolic link");
    if (dirs.count(rel) && (type != AE_IFDIR || hardlink)) refuse(shown, "replaces a directory");

    if (hardlink) {
      std::vector<std::string> target;
      if (std::string hwhy = split_entry_name(hardlink, target, ControlChars::allow); !hwhy.empty())
        refuse(shown, "is a hard link whose target " + hwhy);
      if (target.size() <= strip) refuse(shown, "is a hard link to a stripped entry");
      target.erase(target.begin(), target.begin() + strip);
      std::string trel = join_entry_name(target);
      if (!files.count(trel)) refuse(shown, "is a hard link to '" + std::string(hardlink) + "', not a file extracted before");
      archive_entry_copy_hardlink(e, (dest / trel).c_str());
    } else if (type == AE_IFLNK) {
      const char* t = archive_entry_symlink(e);
      if (!t) refuse(shown, "is a symlink whose target is not valid UTF-8");
      if (std::string bad = check_symlink_target(parts, t); !bad.empty()) refuse(shown, bad);
      // "a/../b" stays inside lexically, but on disk it climbs from wherever "a"
      // leads when "a" is a link: such links are resolved again at the end.
      if (target_climbs_after_descending(t)) recheck.emplace_back(rel, shown);
      link_targets[rel] = t;
      archive_entry_copy_symlink(e, t);
    } else if (type == AE_IFCHR || type == AE_IFBLK) {
      refuse(shown, "is a device");
    } else if (type == AE_IFIFO) {
      refuse(shown, "is a named pipe");
    } else if (type == AE_IFSOCK) {
      refuse(shown, "is a socket");
    } else if (type != AE_IFREG && type != AE_IFDIR) {
      refuse(shown, "has an unsupported type");
    }
    if (archive_entry_size_is_set(e) && archive_entry_size(e) > 0 &&
        static_cast<uint64_t>(archive_entry_size(e)) > limits.max_total_bytes - std::min(total, limits.max_total_bytes))
      refuse(shown, "claims " + human_size(static_cast<uint64_t>(archive_entry_size(e))) +
                        ", beyond the limit of " + human_size(limits.max_total_bytes));

    archive_entry_copy_pathname(e, (dest / rel).c_str());
    // Permissions, never set-id bits; ownership is never restored (no _OWNER flag).
    archive_entry_set_perm(e, archive_entry_perm(e) & 0777);
    archive_entry_acl_clear(e);
    archive_entry_xattr_clear(e);
    archive_entry_set_fflags(e, 0, 0);

    if (archive_write_header(disk.get(), e) < ARCHIVE_WARN) {
      const char* msg = archive_error_string(disk.get());
      refuse(shown, std::string("cannot be extracted: ") + (msg ? msg : "unknown error"));
    }
    if (!hardlink && type == AE_IFREG) {
      const void* buf = nullptr;
      size_t size = 0;
      la_int64_t offset = 0;
      for (;;) {
        int r = archive_read_data_block(in.get(), &buf, &size, &offset);
        if (r == ARCHIVE_EOF) break;
        if (r < ARCHIVE_WARN) in.corrupt();
        total += size;
        stats.data_bytes += size;
        if (total > limits.max_total_bytes)
          refuse(shown, "goes beyond the limit of " + human_size(limits.max_total_bytes) + " in all");
        if (total > kRatioCheckAfter) {
          uint64_t compressed = std::max<uint64_t>(in.compressed_bytes(), 1);
          if (total / compressed > limits.max_ratio)
            refuse(shown, "expands beyond " + std::to_string(limits.max_ratio) +
                              " times the compressed size (an archive bomb?)");
        }
        if (size > 0 && archive_write_data_block(disk.get(), buf, size, offset) < ARCHIVE_WARN) {
          const char* msg = archive_error_string(disk.get());
          throw Error(Exit::bad_input, "cannot extract archive '" + file + "': entry '" + shown + "': " +
                                           (msg ? msg : "write error"));
        }
        check_interrupted();
        progress.update(stats.data_bytes, stats.entries);
      }
    }
    if (archive_write_finish_entry(disk.get()) < ARCHIVE_WARN) {
      const char* msg = archive_error_string(disk.get());
      throw Error(Exit::bad_input,
                  "cannot extract archive '" + file + "': entry '" + shown + "': " + (msg ? msg : "write error"));
    }
    if (hardlink || type == AE_IFREG) {
      files.insert(rel);
    } else {
      files.erase(rel);
      (type == AE_IFDIR ? dirs : links).insert(rel);
    }
    progress.update(stats.data_bytes, stats.entries);
  }
  std::tie(stats.archive_bytes, stats.archive_sha256) = in.finish();
  // Every link whose target has ".." after a normal component is resolved through
  // the links of the archive, now that all of them are known: it must stay inside.
  auto lookup = [&](const std::string& p) -> const std::string* {
    auto it = link_targets.find(p);
    return it == link_targets.end() ? nullptr : &it->second;
  };
  for (auto& [rel, shown] : recheck) {
    std::vector<std::string> parts;
    split_entry_name(rel, parts, ControlChars::allow);
    if (std::string why = check_symlink_chain(parts, link_targets.at(rel), lookup); !why.empty()) refuse(shown, why);
  }
  // Applies the deferred directory modes and times.
  if (archive_write_close(disk.get()) != ARCHIVE_OK) {
    const char* msg = archive_error_string(disk.get());
    throw Error(Exit::bad_input, "cannot extract archive '" + file + "': " + (msg ? msg : "write error"));
  }
  progress.finish();
  return stats;
}

TarStats check_archive(const fs::path& archive_path, Progress& progress) {
  archive_detail::Utf8Locale utf8;
  Reader in(archive_path, true);
  TarStats stats;
  progress.start("check", 0);
  std::vector<char> buf(256 * 1024);
  for (;;) {
    check_interrupted();
    archive_entry* e = nullptr;
    int rc = archive_read_next_header(in.get(), &e);
    if (rc == ARCHIVE_EOF) break;
    if (rc < ARCHIVE_WARN) in.corrupt();
    // A raw "archive" without any decompression filter is just a file of bytes:
    // there is nothing to check, and a damaged compressed header looks like that.
    if (archive_format(in.get()) == ARCHIVE_FORMAT_RAW && !in.decompressed())
      throw Error(Exit::integrity,
                  "archive '" + archive_path.filename().string() + "' is corrupt: not a compressed file or archive");
    ++stats.entries;
    for (;;) {
      la_ssize_t n = archive_read_data(in.get(), buf.data(), buf.size());
      if (n == 0) break;
      if (n < 0) in.corrupt();
      stats.data_bytes += static_cast<uint64_t>(n);
      check_interrupted();
      progress.update(stats.data_bytes, stats.entries);
    }
  }
  std::tie(stats.archive_bytes, stats.archive_sha256) = in.finish();
  progress.finish();
  return stats;
}

}  // namespace gp
