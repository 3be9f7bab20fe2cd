#include "util/stream.hpp"

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

}  // namespace gp
