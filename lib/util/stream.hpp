#pragma once
// Byte streams between the parts of the pipeline (database dump -> gzip -> file,
// tar -> gzip -> file -> sha256, file -> gunzip -> database load). Everything is
// streamed in bounded chunks: memory never grows with the size of the data.
#include <cstddef>
#include <cstdint>
#include <string>

#include "util/fs.hpp"
#include "util/sha256.hpp"

namespace gp {

class ByteSink {
 public:
  virtual ~ByteSink() = default;
  // Consumes all `size` bytes or throws.
  virtual void write(const char* data, size_t size) = 0;
  // Flushes buffered data to the next stage; the sink takes no more writes after.
  virtual void close() {}
};

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to `size` bytes; returns 0 only at the end of the stream. Throws on error.
  virtual size_t read(char* data, size_t size) = 0;
};

// Writes to a file descriptor (not owned), counting bytes and hashing them.
class FdSink final : public ByteSink {
 public:
  FdSink(int fd, std::string what) : fd_(fd), what_(std::move(what)) {}
  void write(const char* data, size_t size) override;
  uint64_t bytes() const noexcept { return bytes_; }
  std::string sha256() { return hash_.hex_digest(); }

 private:
  int fd_;
  std::string what_;
  uint64_t bytes_ = 0;
  Sha256 hash_;
};

// Reads from a file descriptor (not owned), counting and hashing what it reads.
class FdSource final : public ByteSource {
 public:
  FdSource(int fd, std::string what) : fd_(fd), what_(std::move(what)) {}
  size_t read(char* data, size_t size) override;
  uint64_t bytes() const noexcept { return bytes_; }
  std::string sha256() { return hash_.hex_digest(); }

 private:
  int fd_;
  std::string what_;
  uint64_t bytes_ = 0;
  Sha256 hash_;
};

}  // namespace gp
