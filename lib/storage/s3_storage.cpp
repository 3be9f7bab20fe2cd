// s3:// storage: the Storage interface over the S3 transport. What each part owns:
// s3_config (endpoint, region, credentials), s3_transport (signed, retried
// requests), s3_multipart (uploads above multipart_threshold); this file keeps the
// single-request operations.
//
// Uploads below StorageOptions::multipart_threshold are one PUT whose
// x-amz-content-sha256 is the caller's expected sha256 (the service checks it) while
// we hash what we stream; larger ones are S3Multipart's. Every upload is checked
// afterwards with a HEAD (size).
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

#include "storage/backends.hpp"
#include "storage/partial.hpp"
#include "storage/s3_config.hpp"
#include "storage/s3_multipart.hpp"
#include "storage/s3_transport.hpp"
#include "storage/s3_util.hpp"
#include "util/fault.hpp"
#include "util/sha256.hpp"

namespace gp::storage_detail {

namespace {

class S3Storage : public Storage {
 public:
  S3Storage(S3Config cfg, const StorageOptions& opt)
      : opt_(opt), t_(std::move(cfg), opt_), multipart_(t_, opt_) {}

  std::string url() const override { return cfg().url; }

  void put(const std::string& key, const fs::path& local_file, const std::string& expected_sha256,
           Progress& progress) override {
    validate_key(key);
    Fd in = open_file(local_file, O_RDONLY, 0, Exit::bad_input);
    struct stat st;
    if (::fstat(in.get(), &st) != 0) fail_errno(Exit::bad_input, "cannot stat", local_file.string());
    uint64_t size = static_cast<uint64_t>(st.st_size);
    progress.start(key, size);
    if (size < std::max<uint64_t>(opt_.multipart_threshold, 1))
      single_put(key, in.get(), size, expected_sha256, progress);
    else
      multipart_.put(key, local_file, in.get(), size, expected_sha256, progress);
    verify_remote(key, size);
    progress.finish();
  }

  void get(const std::string& key, const fs::path& local_path, uint64_t expected_size,
           const std::string& expected_sha256, Progress& progress) override {
    validate_key(key);
    PartialDownload part(local_path, expected_size, key);
    if (part.offset() > 0)
      progress.step("resuming the download of '" + key + "' at byte " + std::to_string(part.offset()) + " of " +
                    std::to_string(expected_size));
    progress.start(key, expected_size);
    if (part.offset() < expected_size || expected_size == 0) {
      Call c;
      c.what = "download";
      c.object = object(key);
      c.download = &part;
      c.on_attempt = [&] {
        if (part.offset() > 0) c.headers = {{"range", "bytes=" + std::to_string(part.offset()) + "-"}};
        else c.headers.clear();
      };
      c.on_progress = [&](uint64_t, uint64_t) { progress.update(part.offset(), 0); };
      auto r = t_.request(c);
      if (r.status == 416 && part.offset() > 0) {  // the partial file was already complete
      } else if (r.status != 200 && r.status != 206) {
        t_.fail_response(c, r);
      }
    }
    progress.update(part.offset(), 0);
    part.finish(expected_sha256);
    progress.finish();
  }

  std::optional<ObjectInfo> stat(const std::string& key) override {
    validate_key(key);
    auto o = t_.head(object(key));
    if (o) o->key = key;
    return o;
  }

  std::vector<ObjectInfo> list(const std::string& prefix) override {
    std::vector<ObjectInfo> out;
    const std::string& root = cfg().prefix;
    std::string full = root.empty() ? prefix : root + "/" + prefix;
    std::string token;
    for (;;) {
      Call c;
      c.what = "list";
      c.query = {{"list-type", "2"}};
      if (!full.empty()) c.query.emplace_back("prefix", full);
      if (!token.empty()) c.query.emplace_back("continuation-token", token);
      auto r = t_.request(c);
      if (r.status != 200) t_.fail_response(c, r);
      for (auto& block : xml_blocks(r.body, "Contents")) {
        ObjectInfo o;
        std::string k = xml_tag(block, "Key");
        if (!root.empty()) {
          if (k.rfind(root + "/", 0) != 0) continue;
          k = k.substr(root.size() + 1);
        }
        o.key = k;
        o.size = std::strtoull(xml_tag(block, "Size").c_str(), nullptr, 10);
        std::string etag = unquote(xml_tag(block, "ETag"));
        if (!etag.empty()) o.etag = etag;
        out.push_back(std::move(o));
      }
      if (xml_tag(r.body, "IsTruncated") != "true") break;
      token = xml_tag(r.body, "NextContinuationToken");
      if (token.empty()) break;
    }
    std::sort(out.begin(), out.end(), [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
    return out;
  }

  void remove(const std::string& key) override {
    validate_key(key);
    Call c;
    c.what = "remove";
    c.method = "DELETE";
    c.object = object(key);
    auto r = t_.request(c);
    if (r.status != 204 && r.status != 200 && r.status != 404) t_.fail_response(c, r);
  }

  std::string presign_get(const std::string& key, std::chrono::seconds expires) override {
    validate_key(key);
    int64_t secs = expires.count();
    if (secs < 1 || secs > 604800)
      fail(Exit::bad_input, describe("cannot make a URL for", key, "expiry must be between 1 s and 7 days"));
    return t_.presign_get(object(key), secs);
  }

  void abandon(const std::string& key, const fs::path& local_file) override {
    validate_key(key);
    multipart_.abandon(key, local_file);
  }

 private:
  const S3Config& cfg() const noexcept { return t_.config(); }
  std::string object(const std::string& key) const { return cfg().object(key); }

  void single_put(const std::string& key, int fd, uint64_t size, const std::string& expected, Progress& progress) {
    Call c;
    c.what = "upload";
    c.method = "PUT";
    c.object = object(key);
    c.headers = {{"x-amz-meta-sha256", expected}, {"content-type", "application/octet-stream"}};
    c.payload_hash = expected;  // the service checks the body against it
    c.fd = fd;
    c.size = size;
    c.has_body = true;
    std::unique_ptr<Sha256> sha;
    c.on_attempt = [&] { sha = std::make_unique<Sha256>(); };
    c.on_send = [&](const char* d, size_t n) { sha->update(d, n); };
    c.on_progress = [&](uint64_t up, uint64_t) { progress.update(up, 0); };
    GP_FAULT_POINT("storage.s3.put.before");
    auto r = t_.request(c);
    GP_FAULT_POINT("storage.s3.put.after");
    if (r.status != 200) t_.fail_response(c, r);
    std::string got = sha->hex_digest();
    if (got != expected) {
      try {
        remove(key);
      } catch (const Error&) {
      }
      fail(Exit::integrity, describe("cannot upload", cfg().subject(c.object), "sha256 of what was sent is " + got + ", expected " + expected));
    }
  }

  void verify_remote(const std::string& key, uint64_t size) {
    auto info = stat(key);
    if (!info) fail(Exit::remote, describe("cannot upload", cfg().subject(object(key)), "the object is missing after the upload"));
    if (info->size != size)
      fail(Exit::integrity, describe("cannot upload", cfg().subject(object(key)),
                                     "the stored object has " + std::to_string(info->size) + " bytes, expected " + std::to_string(size)));
  }

  StorageOptions opt_;
  S3Transport t_;
  S3Multipart multipart_;
};

}  // namespace

std::unique_ptr<Storage> make_s3_storage(const StorageConfig& cfg, const std::string& bucket,
                                         const std::string& prefix, const StorageOptions& options) {
  return std::make_unique<S3Storage>(resolve_s3_config(cfg, bucket, prefix), options);
}

}  // namespace gp::storage_detail
