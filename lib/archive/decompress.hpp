#pragma once
// A ByteSource that decompresses whatever libarchive's filters recognise (gzip,
// zstd, bzip2, xz, lz4, or no compression at all) from a file, streaming. Used for
// database dumps given as .sql, .sql.gz, .sql.zst ...
#include <memory>

#include "util/handles.hpp"
#include "util/stream.hpp"

namespace gp {

class DecompressSource final : public ByteSource {
 public:
  // Opens `path`; gp::Error(bad_input) when it cannot be read.
  explicit DecompressSource(const fs::path& path);
  // Reads decompressed bytes; gp::Error(Exit::integrity) on truncated or corrupt data.
  size_t read(char* data, size_t size) override;
  // Compressed bytes consumed so far (for progress).
  uint64_t compressed_bytes() const;

 private:
  fs::path path_;
  ArchiveReader ar_;
  bool eof_ = false;
};

}  // namespace gp
