#pragma once
// gzip compression on all cores: the input is cut into blocks compressed in
// parallel by a small thread pool and written in order as one gzip member per
// block (RFC 1952 allows concatenated members; gzip, tar, libarchive and Python
// read them). Memory is bounded: at most 2 x threads + 1 blocks are in flight.
//
// Blocks are compressed with libdeflate by default (2-3x faster than zlib at the
// same level and made for whole independent buffers); zlib is kept as a second
// engine for comparison (bench/gzip_files.cpp). Each block is written as 256 KiB
// parts, one gzip member each; a part whose sample does not compress (JPEG, ZIP,
// random data) is stored (deflate "stored" blocks): the output stays a valid gzip
// stream and no CPU is spent trying to squeeze noise.
#include <atomic>
#include <memory>
#include <string>

#include "util/stream.hpp"

namespace gp {

enum class GzipEngine { libdeflate, zlib };

struct GzipOptions {
  int level = 6;                        // 1..9
  unsigned threads = 0;                 // 0: the number of online CPUs
  size_t block_size = 1 << 20;          // input bytes per gzip member
  GzipEngine engine = GzipEngine::libdeflate;
  bool store_incompressible = true;     // store blocks whose sample does not compress
};

class GzipWriter final : public ByteSink {
 public:
  // Compresses into `out` (not owned; written only from the caller's thread).
  // `level` 1..9; `threads` 0 means the number of online CPUs.
  GzipWriter(ByteSink& out, int level, unsigned threads = 0);
  GzipWriter(ByteSink& out, const GzipOptions& options);
  // Without close(), stops the workers and discards what was not written.
  ~GzipWriter() override;
  // Buffers `data`; hands full blocks to the workers and writes finished ones in
  // order. A worker's exception is rethrown here (or by close()).
  void write(const char* data, size_t size) override;
  // Compresses what is left, writes every block, then closes `out`. An empty
  // input still gives a valid (empty) gzip member.
  void close() override;
  uint64_t bytes_in() const noexcept;
  uint64_t bytes_out() const noexcept;
  // Parts (256 KiB pieces of a block, each a gzip member) stored as incompressible.
  uint64_t blocks_stored() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Decompresses a gzip stream (any number of members) read from `in`. A truncated
// stream throws gp::Error(Exit::integrity, "<what>: truncated gzip stream"),
// anything that is not gzip data "<what>: corrupt gzip data". An empty input is
// truncated.
class GzipReader final : public ByteSource {
 public:
  GzipReader(ByteSource& in, std::string what);
  ~GzipReader() override;
  size_t read(char* data, size_t size) override;
  // Compressed bytes decoded so far; may be called from another thread than read().
  uint64_t compressed_bytes() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

namespace detail {
// Test seam: when >= 0, the worker compressing block number N (0-based) throws,
// so tests can check that a worker's failure reaches the caller. -1 in production.
extern std::atomic<long> gzip_fail_block_for_tests;
}  // namespace detail

}  // namespace gp
