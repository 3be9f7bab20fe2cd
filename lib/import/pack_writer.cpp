#include "import/pack_writer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "util/sha256.hpp"
#include "util/signals.hpp"

namespace gp {

namespace {

constexpr size_t kBuffer = 256 * 1024;
constexpr uint64_t kWhole = 1 << 20;  // objects up to this size are compressed in one call
constexpr size_t kZChunk = 64 * 1024;
constexpr uLong kTrial = 256 * 1024;  // input judged before choosing to store
constexpr int kLevel = 1;

void put32(std::vector<char>& v, uint32_t x) {
  char b[4] = {static_cast<char>(x >> 24), static_cast<char>(x >> 16), static_cast<char>(x >> 8), static_cast<char>(x)};
  v.insert(v.end(), b, b + 4);
}

const char* type_name(git_object_t t) {
  switch (t) {
    case GIT_OBJECT_COMMIT: return "commit";
    case GIT_OBJECT_TREE: return "tree";
    case GIT_OBJECT_BLOB: return "blob";
    case GIT_OBJECT_TAG: return "tag";
    default: throw InternalError("PackWriter: unsupported object type");
  }
}

[[noreturn]] void sys_fail(const std::string& what) {
  throw Error(Exit::bad_input, describe("cannot write pack", what, std::strerror(errno)));
}

}  // namespace

size_t PackWriter::OidHash::operator()(const git_oid& o) const noexcept {
  size_t h;
  std::memcpy(&h, o.id, sizeof h);
  return h;
}

PackWriter::PackWriter(git_repository* repo) : sha_(EVP_MD_CTX_new(), EVP_MD_CTX_free) {
  if (!sha_) throw InternalError("EVP_MD_CTX_new failed");
  git_odb* o = nullptr;
  git_check(git_repository_odb(&o, repo), "cannot open the object database");
  odb_.reset(o);
  dir_ = fs::path(git_repository_commondir(repo)) / "objects" / "pack";
  make_dirs(dir_, 0755);
  std::string templ = (dir_ / "tmp_pack_gp_XXXXXX").string();
  int fd = ::mkostemp(templ.data(), O_CLOEXEC);
  if (fd < 0) sys_fail(templ);
  fd_.reset(fd);
  tmp_ = templ;
  out_.reserve(kBuffer + kZChunk);
  char header[12] = {'P', 'A', 'C', 'K', 0, 0, 0, 2, 0, 0, 0, 0};  // count patched by finish()
  out_.insert(out_.end(), header, header + 12);
}

PackWriter::~PackWriter() {
  if (z_init_) deflateEnd(&z_);
  if (!finished_ && !tmp_.empty()) ::unlink(tmp_.c_str());
}

void PackWriter::flush() {
  if (out_.empty()) return;
  write_all(fd_.get(), out_.data(), out_.size(), tmp_.string());
  flushed_ += out_.size();
  out_.clear();
}

void PackWriter::emit(const void* data, size_t n) {
  crc_ = static_cast<uint32_t>(crc32(crc_, static_cast<const Bytef*>(data), static_cast<uInt>(n)));
  const char* p = static_cast<const char*>(data);
  if (out_.size() + n > kBuffer) flush();
  if (n >= kBuffer) {
    write_all(fd_.get(), p, n, tmp_.string());
    flushed_ += n;
    return;
  }
  out_.insert(out_.end(), p, p + n);
}

void PackWriter::emit_header(git_object_t type, uint64_t size) {
  unsigned char h[16];
  size_t i = 0;
  unsigned char c = static_cast<unsigned char>((static_cast<unsigned>(type) << 4) | (size & 0x0f));
  size >>= 4;
  while (size) {
    h[i++] = c | 0x80;
    c = size & 0x7f;
    size >>= 7;
  }
  h[i++] = c;
  start_ = flushed_ + out_.size();
  crc_ = static_cast<uint32_t>(crc32(0, nullptr, 0));
  emit(h, i);
}

bool PackWriter::known(const git_oid& oid) {
  if (seen_.count(oid)) return true;
  return git_odb_exists_ext(odb_.get(), &oid, GIT_ODB_LOOKUP_NO_REFRESH) == 1;
}

git_oid PackWriter::hash_whole(git_object_t type, const void* data, size_t n) {
  std::string h = std::string(type_name(type)) + " " + std::to_string(n);
  h.push_back('\0');
  EVP_DigestInit_ex(sha_.get(), EVP_sha1(), nullptr);
  EVP_DigestUpdate(sha_.get(), h.data(), h.size());
  EVP_DigestUpdate(sha_.get(), data, n);
  git_oid oid;
  unsigned int len = 0;
  EVP_DigestFinal_ex(sha_.get(), oid.id, &len);
  return oid;
}

void PackWriter::compress_whole(const void* data, size_t n) {
  if (!deflater_) {
    deflater_.reset(libdeflate_alloc_compressor(kLevel));
    if (!deflater_) throw InternalError("libdeflate_alloc_compressor failed");
  }
  cbuf_.resize(libdeflate_zlib_compress_bound(deflater_.get(), n));
  size_t c = libdeflate_zlib_compress(deflater_.get(), data, n, cbuf_.data(), cbuf_.size());
  if (c == 0) throw InternalError("libdeflate_zlib_compress failed");
  emit(cbuf_.data(), c);
}

git_oid PackWriter::add(git_object_t type, const void* data, size_t n) {
  if (open_ || finished_) throw InternalError("PackWriter::add out of order");
  git_oid oid = hash_whole(type, data, n);
  if (known(oid)) return oid;
  emit_header(type, n);
  compress_whole(data, n);
  entries_.push_back({oid, start_, crc_});
  seen_.insert(oid);
  return oid;
}

void PackWriter::begin(git_object_t type, uint64_t size) {
  if (open_ || finished_) throw InternalError("PackWriter::begin out of order");
  open_ = true;
  type_ = type;
  size_ = size;
  got_ = 0;
  whole_ = size <= kWhole;
  if (whole_) {
    small_.clear();
    small_.reserve(static_cast<size_t>(size));
    return;
  }
  std::string h = std::string(type_name(type)) + " " + std::to_string(size);
  h.push_back('\0');
  EVP_DigestInit_ex(sha_.get(), EVP_sha1(), nullptr);
  EVP_DigestUpdate(sha_.get(), h.data(), h.size());
  emit_header(type, size);
  trial_done_ = false;
  if (z_init_) {
    deflateReset(&z_);
    deflateParams(&z_, kLevel, Z_DEFAULT_STRATEGY);  // nothing pending after a reset
  } else {
    z_ = z_stream{};
    if (deflateInit(&z_, kLevel) != Z_OK) throw InternalError("deflateInit failed");
    z_init_ = true;
  }
  cbuf_.resize(kZChunk);
}

void PackWriter::write(const void* data, size_t n) {
  if (!open_) throw InternalError("PackWriter::write without begin");
  got_ += n;
  if (got_ > size_) throw InternalError("PackWriter: more data than the object's size");
  if (whole_) {
    const char* p = static_cast<const char*>(data);
    small_.insert(small_.end(), p, p + n);
    return;
  }
  EVP_DigestUpdate(sha_.get(), data, n);
  z_.next_in = static_cast<Bytef*>(const_cast<void*>(data));
  z_.avail_in = static_cast<uInt>(n);
  while (z_.avail_in > 0) {
    z_.next_out = reinterpret_cast<Bytef*>(cbuf_.data());
    z_.avail_out = static_cast<uInt>(cbuf_.size());
    if (deflate(&z_, Z_NO_FLUSH) == Z_STREAM_ERROR) throw InternalError("deflate failed");
    emit(cbuf_.data(), cbuf_.size() - z_.avail_out);
  }
  // Data that does not compress (media, archives, random) is stored from the
  // first 256 KiB on, as the gzip writer does: deflate at level 1 would spend its
  // time for less than 3%.
  if (!trial_done_ && z_.total_in >= kTrial) {
    trial_done_ = true;
    if (z_.total_out * 100 >= z_.total_in * 97) {
      int rc, rounds = 0;
      do {
        if (++rounds > 1000) throw InternalError("deflateParams makes no progress");
        z_.next_out = reinterpret_cast<Bytef*>(cbuf_.data());
        z_.avail_out = static_cast<uInt>(cbuf_.size());
        rc = deflateParams(&z_, 0, Z_DEFAULT_STRATEGY);
        emit(cbuf_.data(), cbuf_.size() - z_.avail_out);
      } while (rc == Z_BUF_ERROR);
      if (rc != Z_OK) throw InternalError("deflateParams failed");
    }
  }
}

void PackWriter::drop_current() {
  if (start_ >= flushed_) {
    out_.resize(static_cast<size_t>(start_ - flushed_));
    return;
  }
  out_.clear();
  if (::ftruncate(fd_.get(), static_cast<off_t>(start_)) != 0) sys_fail(tmp_.string());
  if (::lseek(fd_.get(), static_cast<off_t>(start_), SEEK_SET) < 0) sys_fail(tmp_.string());
  flushed_ = start_;
}

git_oid PackWriter::end() {
  if (!open_) throw InternalError("PackWriter::end without begin");
  open_ = false;
  if (got_ != size_) throw InternalError("PackWriter: object shorter than its size");
  if (whole_) return add(type_, small_.data(), small_.size());
  int rc;
  do {
    z_.next_out = reinterpret_cast<Bytef*>(cbuf_.data());
    z_.avail_out = static_cast<uInt>(cbuf_.size());
    rc = deflate(&z_, Z_FINISH);
    if (rc == Z_STREAM_ERROR) throw InternalError("deflate failed");
    emit(cbuf_.data(), cbuf_.size() - z_.avail_out);
  } while (rc != Z_STREAM_END);
  git_oid oid;
  unsigned int len = 0;
  EVP_DigestFinal_ex(sha_.get(), oid.id, &len);
  if (known(oid)) {
    drop_current();
    return oid;
  }
  entries_.push_back({oid, start_, crc_});
  seen_.insert(oid);
  return oid;
}

uint64_t PackWriter::finish() {
  if (open_ || finished_) throw InternalError("PackWriter::finish out of order");
  finished_ = true;
  if (entries_.empty()) {
    ::unlink(tmp_.c_str());
    tmp_.clear();
    return 0;
  }
  flush();
  const std::string what = tmp_.string();
  // The object count, then the checksum of everything (read back once: the
  // header changed after the objects were hashed into nothing).
  uint32_t count = static_cast<uint32_t>(entries_.size());
  unsigned char cnt[4] = {static_cast<unsigned char>(count >> 24), static_cast<unsigned char>(count >> 16),
                          static_cast<unsigned char>(count >> 8), static_cast<unsigned char>(count)};
  if (::pwrite(fd_.get(), cnt, 4, 8) != 4) sys_fail(what);
  EVP_DigestInit_ex(sha_.get(), EVP_sha1(), nullptr);
  std::vector<char> buf(1 << 20);
  for (uint64_t off = 0; off < flushed_;) {
    check_interrupted();
    ssize_t n = ::pread(fd_.get(), buf.data(), std::min<uint64_t>(buf.size(), flushed_ - off), static_cast<off_t>(off));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) sys_fail(what);
    EVP_DigestUpdate(sha_.get(), buf.data(), static_cast<size_t>(n));
    off += static_cast<uint64_t>(n);
  }
  unsigned char pack_sum[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(sha_.get(), pack_sum, &len);
  if (::pwrite(fd_.get(), pack_sum, 20, static_cast<off_t>(flushed_)) != 20) sys_fail(what);
  fsync_fd(fd_.get(), what);
  fd_.reset();
  std::string hex = to_hex(std::string_view(reinterpret_cast<const char*>(pack_sum), 20));
  final_pack_ = dir_ / ("pack-" + hex + ".pack");
  fs::path final_idx = dir_ / ("pack-" + hex + ".idx");

  // The .idx (version 2): fan-out, sorted ids, CRC-32s, offsets, 64-bit offsets.
  std::sort(entries_.begin(), entries_.end(),
            [](const Entry& a, const Entry& b) { return std::memcmp(a.oid.id, b.oid.id, 20) < 0; });
  std::vector<char> idx;
  idx.reserve(8 + 1024 + entries_.size() * 28 + 40);
  const char magic[8] = {'\xff', 't', 'O', 'c', 0, 0, 0, 2};
  idx.insert(idx.end(), magic, magic + 8);
  size_t e = 0;
  for (unsigned b = 0; b < 256; ++b) {
    while (e < entries_.size() && entries_[e].oid.id[0] <= b) ++e;
    put32(idx, static_cast<uint32_t>(e));
  }
  for (auto& en : entries_) idx.insert(idx.end(), en.oid.id, en.oid.id + 20);
  for (auto& en : entries_) put32(idx, en.crc);
  std::vector<uint64_t> large;
  for (auto& en : entries_) {
    if (en.offset < 0x80000000u) {
      put32(idx, static_cast<uint32_t>(en.offset));
    } else {
      put32(idx, 0x80000000u | static_cast<uint32_t>(large.size()));
      large.push_back(en.offset);
    }
  }
  for (uint64_t off : large) {
    put32(idx, static_cast<uint32_t>(off >> 32));
    put32(idx, static_cast<uint32_t>(off));
  }
  idx.insert(idx.end(), reinterpret_cast<const char*>(pack_sum), reinterpret_cast<const char*>(pack_sum) + 20);
  unsigned char idx_sum[EVP_MAX_MD_SIZE];
  EVP_DigestInit_ex(sha_.get(), EVP_sha1(), nullptr);
  EVP_DigestUpdate(sha_.get(), idx.data(), idx.size());
  EVP_DigestFinal_ex(sha_.get(), idx_sum, &len);
  idx.insert(idx.end(), reinterpret_cast<const char*>(idx_sum), reinterpret_cast<const char*>(idx_sum) + 20);

  // The pack first, then its index (git finds packs through their .idx), both
  // read-only as git makes them.
  if (::chmod(tmp_.c_str(), 0444) != 0) sys_fail(what);
  if (::rename(tmp_.c_str(), final_pack_.c_str()) != 0) {
    if (errno != EEXIST) sys_fail(final_pack_.string());
  }
  tmp_.clear();
  {
    AtomicFile f(final_idx, 0444);
    f.write(idx.data(), idx.size());
    f.publish(true);
  }
  git_check(git_odb_refresh(odb_.get()), "cannot read the new pack");
  return entries_.size();
}

}  // namespace gp
