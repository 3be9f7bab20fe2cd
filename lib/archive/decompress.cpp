#include "archive/decompress.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "archive/gzip.hpp"
#include "util/archive_handles.hpp"
#include "util/signals.hpp"

namespace gp {

namespace {

// Any libarchive filter, read from `in` as one raw entry.
class FilterSource final : public ByteSource {
 public:
  FilterSource(ByteSource& in, const fs::path& path) : in_(in), path_(path), ar_(archive_read_new()) {
    if (!ar_) throw InternalError("archive_read_new failed");
    buf_.resize(1 << 20);
    archive_read_support_filter_all(ar_.get());
    archive_read_support_format_raw(ar_.get());
    archive_check(ar_.get(), archive_read_open(ar_.get(), this, nullptr, &FilterSource::read_cb, nullptr),
                  "cannot open '" + path.string() + "'");
    archive_entry* entry = nullptr;
    int rc = archive_read_next_header(ar_.get(), &entry);
    if (rc == ARCHIVE_EOF) {
      eof_ = true;  // an empty file
      return;
    }
    archive_check(ar_.get(), rc, "cannot read '" + path.string() + "'", Exit::integrity);
  }
  bool compressed() const { return archive_filter_count(ar_.get()) > 1; }
  size_t read(char* data, size_t size) override {
    if (eof_) return 0;
    la_ssize_t n = archive_read_data(ar_.get(), data, size);
    if (n < 0) {
      if (pending_) std::rethrow_exception(pending_);
      const char* msg = archive_error_string(ar_.get());
      throw Error(Exit::integrity, describe("cannot decompress", path_.string(), msg ? msg : "corrupt data"));
    }
    if (n == 0) eof_ = true;
    return static_cast<size_t>(n);
  }

 private:
  static la_ssize_t read_cb(archive*, void* self, const void** buf) {
    auto* f = static_cast<FilterSource*>(self);
    try {
      *buf = f->buf_.data();
      return static_cast<la_ssize_t>(f->in_.read(f->buf_.data(), f->buf_.size()));
    } catch (...) {
      f->pending_ = std::current_exception();
      return -1;
    }
  }

  ByteSource& in_;
  fs::path path_;
  std::vector<char> buf_;
  std::exception_ptr pending_;
  bool eof_ = false;
  ArchiveReader ar_;  // last: freed first
};

}  // namespace

Decoder open_decoder(ByteSource& in, const fs::path& path, bool gzip, const std::string& what) {
  Decoder d;
  if (gzip) {
    auto gz = std::make_unique<GzipReader>(in, what);
    d.gzip = gz.get();
    d.source = std::move(gz);
    d.compressed = true;
  } else {
    auto f = std::make_unique<FilterSource>(in, path);
    d.compressed = f->compressed();
    d.source = std::move(f);
  }
  return d;
}

struct DecompressSource::Impl {
  Fd fd;
  FdSource file;
  CountingSource counted;
  std::unique_ptr<ByteSource> decoder;
  std::unique_ptr<ReadAheadSource> ahead;  // last: its thread stops before the rest goes

  explicit Impl(const fs::path& path)
      : fd(open_file(path, O_RDONLY, 0, Exit::bad_input)), file(fd.get(), path.string()), counted(file) {
    unsigned char magic[2] = {0, 0};
    bool gzip = ::pread(fd.get(), magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    decoder = open_decoder(counted, path, gzip, "cannot read '" + path.string() + "'").source;
    ahead = std::make_unique<ReadAheadSource>(*decoder, 1 << 20, 4);
  }
};

DecompressSource::DecompressSource(const fs::path& path) : impl_(std::make_unique<Impl>(path)) {}
DecompressSource::~DecompressSource() = default;

size_t DecompressSource::read(char* data, size_t size) {
  check_interrupted();
  return impl_->ahead->read(data, size);
}

uint64_t DecompressSource::compressed_bytes() const { return impl_->counted.bytes(); }

}  // namespace gp
