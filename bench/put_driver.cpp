// A tiny driver for bench/push: uploads one file to a storage remote through
// lib/storage, as `git pantheon push` will. Built only with -DGP_BENCH=ON.
//   gp-bench-put <storage-url> <endpoint or ""> <file> <key> <sha256>
// GP_BENCH_PARALLEL and GP_BENCH_PART_MB override the defaults, to try settings;
// GP_BENCH_NO_CHECKSUMS=1 uploads without CRC32 part checksums (the old way).
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "storage/storage.hpp"
#include "util/error.hpp"

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: gp-bench-put URL ENDPOINT FILE KEY SHA256\n");
    return 2;
  }
  try {
    gp::StorageConfig cfg;
    cfg.url = argv[1];
    cfg.endpoint = argv[2];
    gp::StorageOptions opt;
    if (const char* p = std::getenv("GP_BENCH_PARALLEL")) opt.parallel_parts = static_cast<unsigned>(std::atoi(p));
    if (const char* m = std::getenv("GP_BENCH_PART_MB")) opt.part_size = std::strtoull(m, nullptr, 10) << 20;
    if (const char* n = std::getenv("GP_BENCH_NO_CHECKSUMS")) opt.part_checksums = std::string(n) != "1";
    auto st = gp::open_storage(cfg, opt);
    gp::NullProgress np;
    st->put(argv[4], argv[3], argv[5], np);
    return 0;
  } catch (const gp::Error& e) {
    std::fprintf(stderr, "gp-bench-put: error: %s\n", e.what());
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gp-bench-put: internal error: %s\n", e.what());
    return 1;
  }
}
