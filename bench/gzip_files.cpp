// Measures the archive layer: GzipWriter on one file (against gzip and pigz run
// by bench/gzip-files.sh) and a files backup of a tree (write_files_tar through
// GzipWriter, against `tar -czf`).
//   gp-bench-gzip-files file <input> <output> [libdeflate|zlib] [level] [store|nostore]
//   gp-bench-gzip-files tree <dir> <output> [libdeflate|zlib] [level]
#include <fcntl.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "archive/gzip.hpp"
#include "archive/tar.hpp"
#include "util/fs.hpp"

int main(int argc, char** argv) {
  using namespace gp;
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s file|tree <input> <output> [libdeflate|zlib] [level] [store|nostore]\n", argv[0]);
    return 2;
  }
  std::string mode = argv[1];
  GzipOptions opt;
  if (argc > 4 && std::strcmp(argv[4], "zlib") == 0) opt.engine = GzipEngine::zlib;
  if (argc > 5) opt.level = std::atoi(argv[5]);
  if (argc > 6 && std::strcmp(argv[6], "nostore") == 0) opt.store_incompressible = false;
  try {
    auto t0 = std::chrono::steady_clock::now();
    Fd out = open_file(argv[3], O_WRONLY | O_CREAT | O_TRUNC, 0600);
    FdSink sink(out.get(), argv[3]);
    GzipWriter gz(sink, opt);
    if (mode == "file") {
      Fd in = open_file(argv[2], O_RDONLY);
      std::vector<char> buf(1 << 20);
      for (size_t n; (n = read_some(in.get(), buf.data(), buf.size(), argv[2])) > 0;) gz.write(buf.data(), n);
    } else {
      NullProgress progress;
      write_files_tar(argv[2], "files_bench", {}, {}, gz, progress);
    }
    gz.close();
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%s engine=%s level=%d: %.2f s, %.1f MB/s in, ratio %.3f, stored blocks %llu\n", mode.c_str(),
                opt.engine == GzipEngine::zlib ? "zlib" : "libdeflate", opt.level, s,
                static_cast<double>(gz.bytes_in()) / 1e6 / s,
                static_cast<double>(gz.bytes_out()) / static_cast<double>(gz.bytes_in()),
                static_cast<unsigned long long>(gz.blocks_stored()));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
