#pragma once
// Helpers shared by the archive tests: in-memory sinks and sources, random data.
#include <algorithm>
#include <random>
#include <string>

#include "util/error.hpp"
#include "util/stream.hpp"

namespace gp::test {

class StringSink final : public ByteSink {
 public:
  void write(const char* d, size_t n) override {
    if (closed) throw InternalError("write after close");
    data.append(d, n);
  }
  void close() override { closed = true; }
  std::string data;
  bool closed = false;
};

class StringSource final : public ByteSource {
 public:
  explicit StringSource(std::string s, size_t chunk = 7919) : data_(std::move(s)), chunk_(chunk) {}
  size_t read(char* d, size_t n) override {
    n = std::min({n, chunk_, data_.size() - pos_});
    data_.copy(d, n, pos_);
    pos_ += n;
    return n;
  }

 private:
  std::string data_;
  size_t chunk_, pos_ = 0;
};

inline std::string random_bytes(size_t n, unsigned seed = 1) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (size_t i = 0; i < n; i += 8) {
    uint64_t v = rng();
    for (size_t k = 0; k < 8 && i + k < n; ++k) s[i + k] = static_cast<char>(v >> (8 * k));
  }
  return s;
}

// Text-like data that compresses well but not trivially.
inline std::string text_bytes(size_t n, unsigned seed = 2) {
  static const char* words[] = {"node ", "field_body ", "<p>", "</p>\n", "drupal ", "the ", "cache_", "42 ", "user ",
                                "entity ", "revision ", "\"value\": ", "lorem ", "ipsum "};
  std::mt19937 rng(seed);
  std::string s;
  s.reserve(n + 32);
  while (s.size() < n) s += words[rng() % (sizeof words / sizeof *words)];
  s.resize(n);
  return s;
}

}  // namespace gp::test
