#include "storage/storage.hpp"

#include <algorithm>
#include <cstdlib>

#include "storage/backends.hpp"
#include "util/env.hpp"

namespace gp {

namespace {

std::unique_ptr<Storage> open_backend(const StorageConfig& cfg, const StorageOptions& options);

}  // namespace

StorageOptions storage_options_from_env(StorageOptions o) {
  if (auto n = env_number("GIT_PANTHEON_S3_MULTIPART_THRESHOLD")) o.multipart_threshold = *n;
  if (auto n = env_number("GIT_PANTHEON_S3_PART_SIZE")) o.part_size = *n;
  if (auto n = env_number("GIT_PANTHEON_S3_PARALLEL_PARTS")) o.parallel_parts = static_cast<unsigned>(std::min<uint64_t>(*n, 64));
  if (auto n = env_number("GIT_PANTHEON_S3_MAX_ATTEMPTS")) o.max_attempts = static_cast<unsigned>(std::min<uint64_t>(*n, 100));
  if (auto n = env_number("GIT_PANTHEON_S3_BACKOFF_MS")) o.backoff = std::chrono::milliseconds(*n);
  if (auto n = env_number("GIT_PANTHEON_S3_LOW_SPEED_TIME")) o.low_speed_time = static_cast<long>(std::min<uint64_t>(*n, 86400));
  return o;
}

std::unique_ptr<Storage> open_storage(const StorageConfig& cfg, const StorageOptions& options) {
  auto storage = open_backend(cfg, storage_options_from_env(options));
#ifdef GP_FAULT_INJECTION
  if (const char* spec = std::getenv("GP_STORAGE_FAULT"); spec && *spec)
    return storage_detail::wrap_with_faults(std::move(storage), spec);
#endif
  return storage;
}

void validate_key(const std::string& key) {
  auto bad = [&](const std::string& why) { fail(Exit::bad_input, describe("invalid storage key", key, why)); };
  if (key.empty()) bad("empty");
  if (key.front() == '/') bad("starts with '/'");
  if (key.size() > 1024) bad("longer than 1024 bytes");
  size_t start = 0;
  bool first = true;
  for (;;) {
    size_t end = key.find('/', start);
    std::string seg = key.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (seg.empty()) bad("empty path segment");
    if (seg == "." || seg == "..") bad("'.' or '..' segment");
    if (first && seg == storage_detail::kFileTmpDir) bad("reserved name");
    for (unsigned char c : seg)
      if (c < 0x20 || c == 0x7f) bad("control character");
    first = false;
    if (end == std::string::npos) break;
    start = end + 1;
  }
}

namespace {

std::unique_ptr<Storage> open_backend(const StorageConfig& cfg, const StorageOptions& options) {
  const std::string& url = cfg.url;
  if (url.rfind("file://", 0) == 0 || url.rfind('/', 0) == 0) {
    std::string path = url.rfind("file://", 0) == 0 ? url.substr(7) : url;
    if (path.empty() || path.front() != '/')
      fail(Exit::config, describe("invalid storage url", url, "file:// needs an absolute path"),
           "write it as file:///absolute/path");
    return storage_detail::make_file_storage(fs::path(path).lexically_normal());
  }
  if (url.rfind("s3://", 0) == 0) {
    std::string rest = url.substr(5);
    auto slash = rest.find('/');
    std::string bucket = rest.substr(0, slash);
    std::string prefix = slash == std::string::npos ? "" : rest.substr(slash + 1);
    while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
    if (bucket.empty() || bucket.find_first_of(" ?#@:") != std::string::npos)
      fail(Exit::config, describe("invalid storage url", url, "no valid bucket name"), "write it as s3://bucket/prefix");
    if (!prefix.empty()) {
      try {
        validate_key(prefix);
      } catch (const Error&) {
        fail(Exit::config, describe("invalid storage url", url, "malformed prefix"));
      }
    }
    return storage_detail::make_s3_storage(cfg, bucket, prefix, options);
  }
  fail(Exit::config, describe("unsupported storage url", url, "expected file:///path or s3://bucket/prefix"));
}

}  // namespace

}  // namespace gp
