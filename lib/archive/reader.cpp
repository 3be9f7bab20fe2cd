#include "archive/reader.hpp"

#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <exception>

#include "archive/decompress.hpp"
#include "archive/entry_name.hpp"
#include "archive/gzip.hpp"
#include "archive/tar_names.hpp"
#include "archive/tar_writer.hpp"
#include "util/signals.hpp"
#include "util/stream.hpp"

namespace gp {

namespace {

// Past this many bytes written, the ratio of written to compressed bytes read is
// checked (smaller archives may legitimately compress very well).
constexpr uint64_t kRatioCheckAfter = 64ULL << 20;
// The longest name component (NAME_MAX) and path (PATH_MAX, with its NUL) Linux takes.
constexpr size_t kMaxComponent = NAME_MAX;
constexpr size_t kMaxPath = PATH_MAX - 1;

}  // namespace

// The archive file, read from its first byte to its last and hashed as it is read
// (so that a caller can check it against a manifest in the same pass). It is
// decompressed by us, on a thread of its own ahead of the consumer as `gunzip |
// tar` would: gzip by GzipReader (libarchive's gzip filter does not verify the
// CRC-32 of members; ours does), anything else by libarchive's filters; the
// format reader gets the uncompressed stream, which TarNameTracker follows too.
// Formats that need to seek (zip's central directory holds the modes, 7z, rar)
// are read by libarchive from the file descriptor.
struct EntryReader::Input {
  archive_detail::Utf8Locale utf8;  // names are bytes under C.UTF-8 while this lives
  fs::path path;
  Fd fd;
  FdSource file;
  CountingSource counted;
  bool seekable = false;
  Decoder decoder;
  std::unique_ptr<ReadAheadSource> ahead;  // after the decoder: stopped before it goes
  std::vector<char> buf;
  std::exception_ptr pending;
  archive_detail::TarNameTracker names;
  ArchiveReader a;  // declared last, freed first: it may still call back while closing

  Input(const fs::path& p, bool raw)
      : path(p), fd(open_file(p, O_RDONLY)), file(fd.get(), p.string()), counted(file), a(archive_read_new()) {
    if (!a) throw InternalError("archive_read_new failed");
    unsigned char magic[6] = {0, 0, 0, 0, 0, 0};
    ssize_t got = ::pread(fd.get(), magic, sizeof magic, 0);
    bool gzip = got >= 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    seekable = got >= 4 && ((magic[0] == 'P' && magic[1] == 'K') || std::memcmp(magic, "7z\xbc\xaf", 4) == 0 ||
                            std::memcmp(magic, "Rar!", 4) == 0);
    archive_read_support_format_all(a.get());
    if (raw) archive_read_support_format_raw(a.get());
    int rc;
    if (seekable) {
      archive_read_support_filter_all(a.get());
      rc = archive_read_open_fd(a.get(), fd.get(), 64 * 1024);
    } else {
      decoder = open_decoder(counted, p, gzip, "archive '" + p.filename().string() + "' is corrupt");
      ahead = std::make_unique<ReadAheadSource>(*decoder.source);
      buf.resize(256 * 1024);
      rc = archive_read_open(a.get(), this, nullptr, &Input::read_cb, nullptr);
    }
    if (rc != ARCHIVE_OK) {
      rethrow_pending();
      const char* msg = archive_error_string(a.get());
      throw Error(Exit::bad_input, describe("cannot open archive", p.filename().string(), msg ? msg : "unknown error"));
    }
  }

  uint64_t compressed_bytes() const {
    if (seekable) return static_cast<uint64_t>(std::max<la_int64_t>(archive_filter_bytes(a.get(), -1), 0));
    return decoder.gzip ? decoder.gzip->compressed_bytes() : counted.bytes();
  }
  bool decompressed() const { return seekable ? archive_filter_count(a.get()) > 1 : decoder.compressed; }

  std::pair<uint64_t, std::string> finish() {
    rethrow_pending();
    if (!seekable) {
      while (ahead->read(buf.data(), buf.size()) > 0) {
      }
      return {file.bytes(), file.sha256()};
    }
    // libarchive read this one itself, seeking: hash it in a pass of its own.
    if (::lseek(fd.get(), 0, SEEK_SET) != 0) fail_errno(Exit::bad_input, "cannot read", path.string());
    std::vector<char> b(1 << 20);
    while (file.read(b.data(), b.size()) > 0) {
    }
    return {file.bytes(), file.sha256()};
  }

  [[noreturn]] void corrupt() {
    rethrow_pending();
    const char* msg = archive_error_string(a.get());
    throw Error(Exit::integrity, "archive '" + path.filename().string() + "' is corrupt: " + (msg ? msg : "read error"));
  }

  void rethrow_pending() {
    if (pending) {
      auto e = pending;
      pending = nullptr;
      std::rethrow_exception(e);
    }
  }

  static la_ssize_t read_cb(archive*, void* self, const void** out) {
    auto* in = static_cast<Input*>(self);
    try {
      *out = in->buf.data();
      size_t n = in->ahead->read(in->buf.data(), in->buf.size());
      in->names.feed(in->buf.data(), n);
      return static_cast<la_ssize_t>(n);
    } catch (...) {
      in->pending = std::current_exception();
      return -1;
    }
  }
};

EntryReader::EntryReader(const fs::path& archive, EntryRules rules)
    : path_(archive), file_(archive.filename().string()), rules_(rules),
      in_(std::make_unique<Input>(archive, rules.raw_file)) {}

EntryReader::~EntryReader() = default;

uint64_t EntryReader::compressed_bytes() const { return in_->compressed_bytes(); }

bool EntryReader::plain_bytes() const { return archive_format(in_->a.get()) == ARCHIVE_FORMAT_RAW && !in_->decompressed(); }

void EntryReader::refuse(const std::string& why) const {
  throw Error(Exit::bad_input, "refusing archive '" + file_ + "': entry '" + cur_.name + "' " + why);
}

std::pair<uint64_t, std::string> EntryReader::finish() { return in_->finish(); }

void EntryReader::check_tree(ArchiveEntryInfo& e) {
  auto kind = e.type == EntryType::directory ? Kind::dir
              : e.type == EntryType::symlink ? Kind::link
              : e.type == EntryType::special ? Kind::other
                                             : Kind::file;
  auto slash = e.path.rfind('/');
  std::string parent = slash == std::string::npos ? std::string() : e.path.substr(0, slash);
  if (!parent.empty() && parent != last_parent_) {
    // Every ancestor is a directory (an implicit one when the archive has no entry for it).
    for (size_t pos = 0;;) {
      size_t next = parent.find('/', pos);
      std::string p = parent.substr(0, next);
      auto [it, inserted] = tree_.try_emplace(p, Kind::dir);
      if (!inserted && it->second != Kind::dir)
        refuse("lies under " + std::string(it->second == Kind::link ? "the symbolic link '" : "'") + p + "'" +
               (it->second == Kind::link ? "" : ", which is not a directory"));
      if (next == std::string::npos) break;
      pos = next + 1;
    }
    last_parent_ = parent;
  }
  auto [it, inserted] = tree_.try_emplace(e.path, kind);
  if (inserted) return;
  if (it->second == Kind::dir && kind == Kind::dir) return;  // the same directory again: its later mode wins
  if (it->second == Kind::dir) refuse("replaces a directory of the same name");
  if (kind == Kind::dir) refuse("is a directory where the archive has a file of the same name before it");
  e.replaces = true;  // a file or link after a file or link: the later one wins, as tar does
  it->second = kind;
}

const ArchiveEntryInfo* EntryReader::next() {
  archive* a = in_->a.get();
  if (in_data_) {
    // Unread data is skipped by libarchive; its size claim is not checked.
    in_data_ = false;
  }
  for (;;) {
    check_interrupted();
    archive_entry* e = nullptr;
    int rc = archive_read_next_header(a, &e);
    if (rc == ARCHIVE_EOF) return nullptr;
    if (rc < ARCHIVE_WARN) in_->corrupt();
    ArchiveEntryInfo info;
    const char* raw = archive_entry_pathname(e);
    if (!raw) raw = archive_entry_pathname_utf8(e);
    info.name = raw ? raw : "";
    cur_ = info;  // for refuse()
    if (++entries_ > rules_.limits.max_entries)
      refuse("goes beyond the limit of " + std::to_string(rules_.limits.max_entries) + " entries");
    if (rules_.raw_file && archive_format(a) == ARCHIVE_FORMAT_RAW) {
      info.type = EntryType::file;
      info.path = info.name.empty() ? "data" : info.name;
      info.parts = {info.path};
      cur_ = std::move(info);
      in_data_ = true;
      data_end_ = 0;
      pend_size_ = 0;
      read_pos_ = 0;
      return &cur_;
    }
    const char* hardlink = archive_entry_hardlink(e);
    if (!hardlink) hardlink = archive_entry_hardlink_utf8(e);
    const char* raw_link = archive_entry_symlink(e);
    if (!raw_link) raw_link = archive_entry_symlink_utf8(e);
    if (!raw_link) raw_link = hardlink;
    std::string link = raw_link ? raw_link : "";
    raw_names(e, hardlink != nullptr, info.name, link);
    cur_.name = info.name;
    if (std::string why = split_entry_name(info.name, info.parts, NameCheck::bytes); !why.empty()) refuse(why);
    for (auto& part : info.parts)
      if (part.size() > kMaxComponent)
        refuse("has a name component of " + std::to_string(part.size()) + " bytes (the limit is " +
               std::to_string(kMaxComponent) + ")");
    if (info.parts.size() <= rules_.strip) continue;  // stripped away entirely (e.g. the top directory)
    info.parts.erase(info.parts.begin(), info.parts.begin() + rules_.strip);
    info.path = join_entry_name(info.parts);
    size_t full = info.path.size() + (rules_.base_length ? rules_.base_length + 1 : 0);
    if (full > kMaxPath)
      refuse("would have a path of " + std::to_string(full) + " bytes where it is extracted (the limit is " +
             std::to_string(kMaxPath) + ")");

    auto type = archive_entry_filetype(e);
    if (hardlink) {
      hardlink = link.c_str();
      info.type = EntryType::hardlink;
      std::vector<std::string> t;
      if (std::string why = split_entry_name(hardlink, t, NameCheck::bytes); !why.empty())
        refuse("is a hard link whose target " + why);
      if (t.size() <= rules_.strip) refuse("is a hard link to '" + std::string(hardlink) + "', which is stripped away");
      t.erase(t.begin(), t.begin() + rules_.strip);
      info.target = join_entry_name(t);
      auto it = tree_.find(info.target);
      if (it == tree_.end() || it->second != Kind::file)
        refuse("is a hard link to '" + std::string(hardlink) + "', not a file before it in the archive");
    } else if (type == AE_IFREG) {
      info.type = EntryType::file;
    } else if (type == AE_IFDIR) {
      info.type = EntryType::directory;
    } else if (type == AE_IFLNK) {
      info.type = EntryType::symlink;
      info.target = link;
      if (info.target.empty()) refuse("is a symlink with an empty target");
      if (info.target.size() > kMaxPath)
        refuse("is a symlink whose target has " + std::to_string(info.target.size()) + " bytes (the limit is " +
               std::to_string(kMaxPath) + ")");
    } else {
      info.type = EntryType::special;
      info.special_kind = type == AE_IFCHR || type == AE_IFBLK ? "device"
                          : type == AE_IFIFO                   ? "named pipe"
                          : type == AE_IFSOCK                  ? "socket"
                                                               : "entry of an unknown type";
    }
    info.mode = static_cast<unsigned>(archive_entry_perm(e)) & 07777;
    info.has_mtime = archive_entry_mtime_is_set(e);
    if (info.has_mtime) {
      info.mtime_sec = archive_entry_mtime(e);
      info.mtime_nsec = archive_entry_mtime_nsec(e);
      // A pax time before 1970 with a fraction, "-S.N", is -(S + N) (POSIX, GNU
      // tar, Python); libarchive reads it as -S + N.
      if (info.mtime_sec < 0 && info.mtime_nsec > 0 &&
          (archive_format(in_->a.get()) & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_TAR) {
        info.mtime_sec -= 1;
        info.mtime_nsec = 1'000'000'000 - info.mtime_nsec;
      }
    }
    if (info.type == EntryType::file && archive_entry_size_is_set(e)) {
      if (archive_entry_size(e) < 0) refuse("has a negative size");
      info.has_size = true;
      info.size = static_cast<uint64_t>(archive_entry_size(e));
      info.sparse = archive_entry_sparse_count(e) > 0;
    }
    cur_ = std::move(info);
    check_tree(cur_);
    if (cur_.has_size) {
      const auto& lim = rules_.limits;
      if (cur_.size > lim.max_total_bytes - std::min(claimed_, lim.max_total_bytes))
        refuse("claims " + human_size(cur_.size) + ", beyond the limit of " + human_size(lim.max_total_bytes) + " in all");
      claimed_ += cur_.size;
      if (rules_.free_bytes && claimed_ > rules_.free_bytes)
        refuse("needs " + human_size(claimed_) + " with the entries before it, more than the " +
               human_size(rules_.free_bytes) + " free where it is extracted");
    }
    in_data_ = cur_.type == EntryType::file;
    data_end_ = 0;
    pend_size_ = 0;
    read_pos_ = 0;
    return &cur_;
  }
}

void EntryReader::raw_names(archive_entry* e, bool hardlink, std::string& name, std::string& link) {
  auto& t = in_->names;
  if (in_->seekable || !t.on()) return;
  if ((archive_format(in_->a.get()) & ARCHIVE_FORMAT_BASE_MASK) != ARCHIVE_FORMAT_TAR) {
    t.off();
    return;
  }
  auto n = t.pop();
  auto ascii = [](const std::string& s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  };
  // The same entry as libarchive's? Its type agrees, and a name that is ASCII
  // (which no conversion changes) is the same bytes.
  auto type = archive_entry_filetype(e);
  bool agrees = n.has_value();
  if (agrees) {
    char c = n->type;
    agrees = c == '5' ? type == AE_IFDIR : c == '2' ? type == AE_IFLNK : c == '1' ? hardlink
             : (c == '3' || c == '4' || c == '6') ? true : (type == AE_IFREG && !hardlink);
  }
  bool with_link = hardlink || type == AE_IFLNK;
  if (!agrees || ascii(n->path) != ascii(name) || (ascii(name) && n->path != name) ||
      (with_link && (ascii(n->link) != ascii(link) || (ascii(link) && n->link != link)))) {
    t.off();
    return;
  }
  name = std::move(n->path);
  if (with_link) link = std::move(n->link);
}

void EntryReader::end_of_data() {
  in_data_ = false;
  if (cur_.has_size && data_end_ < cur_.size && !cur_.sparse)
    throw Error(Exit::integrity, "archive '" + file_ + "' is corrupt: entry '" + cur_.name + "' is truncated (" +
                                     std::to_string(data_end_) + " of the " + std::to_string(cur_.size) +
                                     " bytes its header claims)");
}

bool EntryReader::read_block(const char*& data, size_t& size, uint64_t& offset) {
  if (!in_data_) return false;
  const void* buf = nullptr;
  la_int64_t off = 0;
  int rc = archive_read_data_block(in_->a.get(), &buf, &size, &off);
  if (rc == ARCHIVE_EOF) {
    end_of_data();
    return false;
  }
  // Any value below ARCHIVE_WARN is an error, not a length (a zip entry whose data
  // ends early gives ARCHIVE_WARN's -20 elsewhere in libarchive's API).
  if (rc < ARCHIVE_WARN) in_->corrupt();
  check_interrupted();
  if (off < 0) in_->corrupt();
  data = static_cast<const char*>(buf);
  offset = static_cast<uint64_t>(off);
  total_ += size;
  const auto& lim = rules_.limits;
  if (total_ > lim.max_total_bytes) refuse("goes beyond the limit of " + human_size(lim.max_total_bytes) + " in all");
  if (total_ > kRatioCheckAfter) {
    uint64_t compressed = std::max<uint64_t>(compressed_bytes(), 1);
    if (total_ / compressed > lim.max_ratio)
      refuse("expands beyond " + std::to_string(lim.max_ratio) + " times the compressed size (an archive bomb?)");
  }
  data_end_ = std::max(data_end_, offset + size);
  if (cur_.has_size && data_end_ > cur_.size)
    throw Error(Exit::integrity, "archive '" + file_ + "' is corrupt: entry '" + cur_.name +
                                     "' holds more data than its header claims (" + std::to_string(cur_.size) + " bytes)");
  return true;
}

size_t EntryReader::read(char* out, size_t size) {
  // Blocks are handed out whole or in pieces; holes between them read as zeros.
  size_t done = 0;
  while (done < size) {
    if (pend_size_ == 0) {
      if (!read_block(pend_data_, pend_size_, pend_offset_)) {
        // A sparse file may end in a hole.
        uint64_t end = cur_.has_size ? cur_.size : read_pos_;
        size_t zeros = static_cast<size_t>(std::min<uint64_t>(size - done, end > read_pos_ ? end - read_pos_ : 0));
        std::fill(out + done, out + done + zeros, '\0');
        read_pos_ += zeros;
        return done + zeros;
      }
      continue;
    }
    if (pend_offset_ > read_pos_) {
      size_t zeros = static_cast<size_t>(std::min<uint64_t>(size - done, pend_offset_ - read_pos_));
      std::fill(out + done, out + done + zeros, '\0');
      done += zeros;
      read_pos_ += zeros;
      continue;
    }
    size_t n = std::min(size - done, pend_size_);
    std::copy(pend_data_, pend_data_ + n, out + done);
    pend_data_ += n;
    pend_size_ -= n;
    pend_offset_ += n;
    done += n;
    read_pos_ += n;
  }
  return done;
}

}  // namespace gp
