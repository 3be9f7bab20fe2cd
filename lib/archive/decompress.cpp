#include "archive/decompress.hpp"

#include "util/signals.hpp"

namespace gp {

DecompressSource::DecompressSource(const fs::path& path) : path_(path), ar_(archive_read_new()) {
  if (!ar_) throw InternalError("archive_read_new failed");
  archive_read_support_filter_all(ar_.get());
  archive_read_support_format_raw(ar_.get());
  archive_check(ar_.get(), archive_read_open_filename(ar_.get(), path.c_str(), 1 << 20), "cannot open '" + path.string() + "'");
  archive_entry* entry = nullptr;
  int rc = archive_read_next_header(ar_.get(), &entry);
  if (rc == ARCHIVE_EOF) {
    eof_ = true;  // an empty file
    return;
  }
  archive_check(ar_.get(), rc, "cannot read '" + path.string() + "'", Exit::integrity);
}

size_t DecompressSource::read(char* data, size_t size) {
  if (eof_) return 0;
  check_interrupted();
  la_ssize_t n = archive_read_data(ar_.get(), data, size);
  if (n < 0) {
    const char* msg = archive_error_string(ar_.get());
    throw Error(Exit::integrity, describe("cannot decompress", path_.string(), msg ? msg : "corrupt data"));
  }
  if (n == 0) eof_ = true;
  return static_cast<size_t>(n);
}

uint64_t DecompressSource::compressed_bytes() const {
  return static_cast<uint64_t>(archive_filter_bytes(ar_.get(), -1));
}

}  // namespace gp
