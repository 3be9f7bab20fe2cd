#include "util/stream.hpp"

#include <cstring>

#include "util/signals.hpp"

namespace gp {

void FdSink::write(const char* data, size_t size) {
  check_interrupted();
  write_all(fd_, data, size, what_);
  hash_.update(data, size);
  bytes_ += size;
}

size_t FdSource::read(char* data, size_t size) {
  check_interrupted();
  size_t n = read_some(fd_, data, size, what_);
  hash_.update(data, n);
  bytes_ += n;
  return n;
}

ReadAheadSource::ReadAheadSource(ByteSource& inner, size_t chunk, size_t depth)
    : inner_(inner), chunk_(chunk), depth_(depth < 1 ? 1 : depth), thread_([this] { run(); }) {}

ReadAheadSource::~ReadAheadSource() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void ReadAheadSource::run() {
  try {
    for (;;) {
      std::vector<char> buf;
      {
        std::unique_lock lk(mu_);
        cv_.wait(lk, [&] { return stop_ || ready_.size() < depth_; });
        if (stop_) break;
        if (!spare_.empty()) {
          buf = std::move(spare_.back());
          spare_.pop_back();
        }
      }
      buf.resize(chunk_);
      size_t n = inner_.read(buf.data(), buf.size());
      buf.resize(n);
      std::lock_guard lk(mu_);
      if (n == 0) break;
      ready_.push_back(std::move(buf));
      cv_.notify_all();
    }
  } catch (...) {
    std::lock_guard lk(mu_);
    error_ = std::current_exception();
  }
  std::lock_guard lk(mu_);
  done_ = true;
  cv_.notify_all();
}

size_t ReadAheadSource::read(char* data, size_t size) {
  if (size == 0) return 0;
  if (pos_ == current_.size()) {
    std::unique_lock lk(mu_);
    if (!current_.empty()) spare_.push_back(std::move(current_));
    current_.clear();
    pos_ = 0;
    cv_.wait(lk, [&] { return !ready_.empty() || done_; });
    if (ready_.empty()) {
      if (error_) std::rethrow_exception(error_);
      return 0;
    }
    current_ = std::move(ready_.front());
    ready_.pop_front();
    cv_.notify_all();
  }
  size_t n = std::min(size, current_.size() - pos_);
  std::memcpy(data, current_.data() + pos_, n);
  pos_ += n;
  return n;
}

}  // namespace gp
