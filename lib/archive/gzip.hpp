#pragma once
// gzip compression on all cores: the input is cut into blocks compressed in
// parallel by a small thread pool and written in order as one gzip member per
// block (RFC 1952 allows concatenated members; gzip, tar, libarchive and Python
// read them). Memory is bounded by threads x block size.
#include <memory>

#include "util/stream.hpp"

namespace gp {

class GzipWriter final : public ByteSink {
 public:
  // `level` 1..9; `threads` 0 means the number of online CPUs.
  GzipWriter(ByteSink& out, int level, unsigned threads = 0);
  ~GzipWriter() override;
  void write(const char* data, size_t size) override;
  void close() override;
  uint64_t bytes_in() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Decompresses a gzip stream (any number of members). A truncated or corrupt
// stream throws gp::Error(Exit::integrity) naming `what`.
class GzipReader final : public ByteSource {
 public:
  GzipReader(ByteSource& in, std::string what);
  ~GzipReader() override;
  size_t read(char* data, size_t size) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gp
