#pragma once
// A ByteSource that decompresses whatever libarchive's filters recognise (gzip,
// zstd, bzip2, xz, lz4, or no compression at all) from a file, streaming. Used for
// database dumps given as .sql, .sql.gz, .sql.zst ... gzip goes through GzipReader
// (libdeflate, CRC-32 of every member checked; libarchive's gzip filter does not
// check it). Decoding runs on a thread of its own, ahead of the consumer.
#include <memory>

#include "util/fs.hpp"
#include "util/stream.hpp"

namespace gp {

// A decoder over `in`: GzipReader when `gzip` (the caller has seen its magic),
// else libarchive's filters (any compression they recognise, or none).
// `compressed` says whether a compression was found.
struct Decoder {
  std::unique_ptr<ByteSource> source;
  bool compressed = false;
  // gzip: the compressed bytes decoded so far (what a bomb check compares
  // against), which may be read from another thread; null for other input.
  const class GzipReader* gzip = nullptr;
};
Decoder open_decoder(ByteSource& in, const fs::path& path, bool gzip, const std::string& what);

class DecompressSource final : public ByteSource {
 public:
  // Opens `path`; gp::Error(bad_input) when it cannot be read.
  explicit DecompressSource(const fs::path& path);
  ~DecompressSource() override;
  // Reads decompressed bytes; gp::Error(Exit::integrity) on truncated or corrupt data.
  size_t read(char* data, size_t size) override;
  // Compressed bytes consumed so far (for progress).
  uint64_t compressed_bytes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gp
