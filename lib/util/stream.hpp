#pragma once
// Byte streams between the parts of the pipeline (database dump -> gzip -> file,
// tar -> gzip -> file -> sha256, file -> gunzip -> database load). Everything is
// streamed in bounded chunks: memory never grows with the size of the data.
#include <cstddef>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

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

// Passes reads through, counting the bytes where another thread may look.
class CountingSource final : public ByteSource {
 public:
  explicit CountingSource(ByteSource& in) : in_(in) {}
  size_t read(char* data, size_t size) override {
    size_t n = in_.read(data, size);
    bytes_.fetch_add(n, std::memory_order_relaxed);
    return n;
  }
  uint64_t bytes() const noexcept { return bytes_.load(std::memory_order_relaxed); }

 private:
  ByteSource& in_;
  std::atomic<uint64_t> bytes_{0};
};

// Reads `inner` on a thread of its own, up to `depth` chunks ahead of the
// consumer, so that decoding (gzip) runs beside what consumes the bytes (writing
// files, loading a database) as a `gunzip | tar` pipeline does. Memory: at most
// depth x chunk bytes. An exception of the inner source reaches the consumer at
// the point of the stream where it happened. `inner` must not be used by anyone
// else until read() has returned 0 or this object is destroyed.
class ReadAheadSource final : public ByteSource {
 public:
  explicit ReadAheadSource(ByteSource& inner, size_t chunk = 256 << 10, size_t depth = 8);
  // Stops the reader thread (waiting for its current read) without reading on.
  ~ReadAheadSource() override;
  ReadAheadSource(const ReadAheadSource&) = delete;
  ReadAheadSource& operator=(const ReadAheadSource&) = delete;
  size_t read(char* data, size_t size) override;

 private:
  void run();

  ByteSource& inner_;
  const size_t chunk_, depth_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::vector<char>> ready_;  // filled chunks, in order
  std::vector<std::vector<char>> spare_;  // emptied chunks for reuse
  std::vector<char> current_;             // the chunk being handed out
  size_t pos_ = 0;
  bool done_ = false;     // the reader has stopped (end, error or stop)
  bool stop_ = false;     // the consumer is going away
  std::exception_ptr error_;
  std::thread thread_;    // last: started once everything above exists
};

}  // namespace gp
