// gp-bench-rewrite-filter DIALECT FROM=TO FILE: the URL rewrite of lib/content
// alone over an SQL dump, output discarded; prints MiB/s and the counts.
// DIALECT: sqlite, mysql or postgres.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "content/rewrite.hpp"

namespace {
struct Discard final : gp::ByteSink {
  uint64_t bytes = 0;
  void write(const char*, size_t n) override { bytes += n; }
};
}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: gp-bench-rewrite-filter sqlite|mysql|postgres FROM=TO FILE\n");
    return 2;
  }
  gp::DbKind kind = std::strcmp(argv[1], "mysql") == 0      ? gp::DbKind::mysql
                    : std::strcmp(argv[1], "postgres") == 0 ? gp::DbKind::postgres
                                                            : gp::DbKind::sqlite;
  gp::UrlRewriter urls(std::vector<gp::UrlPair>{gp::parse_url_pair(argv[2])});
  int fd = ::open(argv[3], O_RDONLY);
  if (fd < 0) {
    std::perror(argv[3]);
    return 1;
  }
  Discard out;
  gp::SqlRewriter r(out, urls, kind);
  std::vector<char> buf(1 << 20);
  uint64_t in = 0;
  auto t0 = std::chrono::steady_clock::now();
  for (ssize_t n; (n = ::read(fd, buf.data(), buf.size())) > 0;) {
    r.write(buf.data(), static_cast<size_t>(n));
    in += static_cast<uint64_t>(n);
  }
  r.close();
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr, "%.1f MiB in %.2f s: %.0f MiB/s, %llu URLs in %llu values rewritten\n", double(in) / (1 << 20),
               s, double(in) / (1 << 20) / s, static_cast<unsigned long long>(r.stats().urls()),
               static_cast<unsigned long long>(r.stats().values()));
  return 0;
}
