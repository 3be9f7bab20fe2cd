// S3 multipart uploads; the design is in README.md ("Multipart").
//
// Multipart uploads declare CRC32 part checksums (x-amz-checksum-algorithm on
// CreateMultipartUpload, x-amz-checksum-crc32 per part, ChecksumCRC32 in the
// completion), as the AWS SDKs and CLI do by default. Without a declared algorithm
// a service may compute a full-object checksum at completion over the whole
// object: moto_server copies the object twice more in memory to do so, which made
// completing a 1 GB upload take seconds longer than the CLI's (see bench/RESULTS.md).
#include "storage/s3_multipart.hpp"

#include <openssl/evp.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

#include "storage/s3_util.hpp"
#include "util/fault.hpp"
#include "util/sha256.hpp"
#include "util/signals.hpp"

namespace gp::storage_detail {

namespace {

constexpr uint64_t kMinPart = 5ull << 20;
constexpr uint64_t kMaxParts = 10000;

// An S3 CRC32 checksum header value: base64 of the big-endian CRC-32 (zlib's).
std::string crc32_b64(const void* data, size_t size) {
  uLong crc = crc32_z(0L, static_cast<const Bytef*>(data), size);
  unsigned char be[4] = {static_cast<unsigned char>(crc >> 24), static_cast<unsigned char>(crc >> 16),
                         static_cast<unsigned char>(crc >> 8), static_cast<unsigned char>(crc)};
  unsigned char out[12] = {0};
  EVP_EncodeBlock(out, be, 4);
  return std::string(reinterpret_cast<const char*>(out));
}

std::string md5_hex(const void* data, size_t size) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!EVP_Digest(data, size, out, &len, EVP_md5(), nullptr)) throw InternalError("MD5 failed");
  return to_hex(std::string(reinterpret_cast<const char*>(out), len));
}

// One part handed to a sender thread: its number and the pool buffer holding it.
struct Job {
  int part = 0;
  std::string* buf = nullptr;
  size_t len = 0;
};

}  // namespace

struct S3Multipart::UploadState {
  std::string upload_id;
  uint64_t size = 0, part_size = 0;
  std::string sha256;
  bool crc32 = false;  // created with x-amz-checksum-algorithm CRC32 (older state files: no)
};

S3Multipart::S3Multipart(S3Transport& transport, const StorageOptions& options) : t_(transport), opt_(options) {
  opt_.parallel_parts = std::max(1u, opt_.parallel_parts);
}

void S3Multipart::abandon(const std::string& key, const fs::path& local_file) {
  fs::path sp = state_path(local_file);
  auto st = read_state(sp, cfg().object(key));
  if (st.upload_id.empty()) return;
  abort_upload(cfg().object(key), st.upload_id);
  ::unlink(sp.c_str());
}

fs::path S3Multipart::state_path(const fs::path& local_file) const {
  std::string name = "." + local_file.filename().string() + ".s3-upload-" +
                     sha256_hex(cfg().host + "/" + cfg().bucket).substr(0, 12);
  if (!opt_.state_dir.empty()) {
    // Unique per local file: the state dir may serve several stores.
    name = local_file.filename().string() + "." + sha256_hex(fs::absolute(local_file).string() + cfg().host + cfg().bucket).substr(0, 16) + ".s3-upload";
    return opt_.state_dir / name;
  }
  return local_file.parent_path() / name;
}

S3Multipart::UploadState S3Multipart::read_state(const fs::path& sp, const std::string& obj) const {
  UploadState st;
  std::error_code ec;
  if (!fs::exists(sp, ec)) return st;
  std::map<std::string, std::string> kv;
  for (const std::string& line : read_text_lines(sp, Exit::internal)) {
    auto eq = line.find('=');
    if (eq != std::string::npos) kv[line.substr(0, eq)] = line.substr(eq + 1);
  }
  if (kv["endpoint"] != cfg().endpoint() || kv["bucket"] != cfg().bucket || kv["object"] != obj) return st;
  st.upload_id = kv["upload_id"];
  st.size = std::strtoull(kv["size"].c_str(), nullptr, 10);
  st.part_size = std::strtoull(kv["part_size"].c_str(), nullptr, 10);
  st.sha256 = kv["sha256"];
  st.crc32 = kv["checksum"] == "crc32";
  return st;
}

void S3Multipart::write_state(const fs::path& sp, const std::string& obj, const UploadState& st) const {
  if (sp.has_parent_path()) make_dirs(sp.parent_path(), 0700);
  write_file_atomic(sp,
                    "endpoint=" + cfg().endpoint() + "\nbucket=" + cfg().bucket + "\nobject=" + obj +
                        "\nupload_id=" + st.upload_id + "\nsize=" + std::to_string(st.size) +
                        "\npart_size=" + std::to_string(st.part_size) + "\nsha256=" + st.sha256 +
                        (st.crc32 ? "\nchecksum=crc32\n" : "\n"),
                    0600);
}

void S3Multipart::abort_upload(const std::string& obj, const std::string& upload_id) {
  Call c;
  c.what = "abort the upload of";
  c.method = "DELETE";
  c.object = obj;
  c.query = {{"uploadId", upload_id}};
  auto r = t_.request(c);
  if (r.status != 204 && r.status != 200 && r.status != 404) t_.fail_response(c, r);
}

// Part number -> (size, etag) of the parts the service already holds, or nullopt
// when the upload no longer exists.
std::optional<S3Multipart::PartList> S3Multipart::list_parts(const std::string& obj, const std::string& upload_id) {
  PartList parts;
  std::string marker;
  for (;;) {
    Call c;
    c.what = "list the parts of";
    c.object = obj;
    c.query = {{"uploadId", upload_id}};
    if (!marker.empty()) c.query.emplace_back("part-number-marker", marker);
    auto r = t_.request(c);
    if (r.status == 404) return std::nullopt;
    if (r.status != 200) t_.fail_response(c, r);
    for (auto& b : xml_blocks(r.body, "Part")) {
      int n = std::atoi(xml_tag(b, "PartNumber").c_str());
      parts[n] = {std::strtoull(xml_tag(b, "Size").c_str(), nullptr, 10), unquote(xml_tag(b, "ETag"))};
    }
    if (xml_tag(r.body, "IsTruncated") != "true") break;
    marker = xml_tag(r.body, "NextPartNumberMarker");
    if (marker.empty()) break;
  }
  return parts;
}

std::string S3Multipart::create_upload(const std::string& obj, const std::string& expected, bool crc32) {
  Call c;
  c.what = "start the upload of";
  c.method = "POST";
  c.object = obj;
  c.query = {{"uploads", ""}};
  c.headers = {{"x-amz-meta-sha256", expected}, {"content-type", "application/octet-stream"}};
  if (crc32) c.headers.emplace_back("x-amz-checksum-algorithm", "CRC32");
  auto r = t_.request(c);
  if (r.status != 200) t_.fail_response(c, r);
  std::string id = xml_tag(r.body, "UploadId");
  if (id.empty()) fail(Exit::remote, describe("cannot start the upload of", cfg().subject(c.object), "no UploadId in the answer"));
  return id;
}

void S3Multipart::put(const std::string& key, const fs::path& local_file, int fd, uint64_t size,
                      const std::string& expected, Progress& progress) {
  const std::string obj = cfg().object(key);
  uint64_t part_size = std::max(opt_.part_size, kMinPart);
  while ((size + part_size - 1) / part_size > kMaxParts) part_size *= 2;
  const int nparts = static_cast<int>((size + part_size - 1) / part_size);
  fs::path sp = state_path(local_file);

  UploadState st = read_state(sp, obj);
  PartList existing;
  if (!st.upload_id.empty()) {
    if (st.size == size && st.part_size == part_size && st.sha256 == expected) {
      auto parts = list_parts(obj, st.upload_id);
      if (parts) {
        existing = std::move(*parts);
      } else {
        st.upload_id.clear();
      }
    } else {
      // The file changed: the old upload cannot be continued.
      try {
        abort_upload(obj, st.upload_id);
      } catch (const Error&) {
      }
      st.upload_id.clear();
    }
  }
  if (st.upload_id.empty()) {
    st.crc32 = opt_.part_checksums;
    st.upload_id = create_upload(obj, expected, st.crc32);
    st.size = size;
    st.part_size = part_size;
    st.sha256 = expected;
    write_state(sp, obj, st);
  } else if (!existing.empty()) {
    progress.step("resuming the upload of '" + key + "': " + std::to_string(existing.size()) + " of " +
                  std::to_string(nparts) + " parts already sent");
  }

  // An interruption (Ctrl-C, SIGTERM) keeps the upload for the next put() to
  // resume, as a kill does. Any failure reported to the user aborts it, so that no
  // orphan parts stay billed; when even the abort cannot reach the service, the
  // state file stays and the next put() resumes or replaces it.
  try {
    std::vector<std::string> crcs;
    auto etags = upload_parts(obj, fd, size, part_size, nparts, st.upload_id, existing, expected,
                              st.crc32 ? &crcs : nullptr, progress);
    GP_FAULT_POINT("storage.s3.complete.before");
    complete_upload(key, obj, st.upload_id, etags, crcs, expected, size);
    GP_FAULT_POINT("storage.s3.complete.after");
  } catch (const Error& e) {
    if (e.code() != Exit::interrupted) abandon_noexcept(obj, st.upload_id, sp);
    throw;
  }
  ::unlink(sp.c_str());
}

void S3Multipart::abandon_noexcept(const std::string& obj, const std::string& upload_id, const fs::path& sp) noexcept {
  try {
    abort_upload(obj, upload_id);
  } catch (...) {
    return;  // keep the state: the next put() of this file resumes or aborts it
  }
  ::unlink(sp.c_str());
}

std::vector<std::string> S3Multipart::upload_parts(const std::string& obj, int fd, uint64_t size, uint64_t part_size, int nparts,
                                      const std::string& upload_id,
                                      const PartList& existing,
                                      const std::string& expected, std::vector<std::string>* crcs,
                                      Progress& progress) {
  std::vector<std::string> etags(static_cast<size_t>(nparts));
  if (crcs) crcs->assign(static_cast<size_t>(nparts), std::string());
  const unsigned workers = std::min<unsigned>(opt_.parallel_parts, static_cast<unsigned>(nparts));
  std::vector<std::string> pool(workers);  // memory: workers x part size
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Job> jobs;
  std::vector<std::string*> free_bufs;
  for (auto& b : pool) free_bufs.push_back(&b);
  std::atomic<bool> cancel{false};
  std::exception_ptr worker_error;
  uint64_t bytes_done = 0;
  int parts_done = 0;
  std::deque<std::pair<int, uint64_t>> completed;  // part, bytes: reported by the main thread
  bool no_more_jobs = false;

  auto worker = [&] {
    Curl handle(curl_easy_init());
    for (;;) {
      Job job;
      {
        std::unique_lock lk(mu);
        cv.wait(lk, [&] { return !jobs.empty() || no_more_jobs || cancel.load(); });
        if (cancel.load() || jobs.empty()) return;
        job = jobs.front();
        jobs.pop_front();
      }
      try {
        Call c;
        c.what = "upload part " + std::to_string(job.part) + " of";
        c.method = "PUT";
        c.object = obj;
        c.query = {{"partNumber", std::to_string(job.part)}, {"uploadId", upload_id}};
        c.mem = job.buf->data();
        c.size = job.len;
        c.has_body = true;
        c.payload_hash = sha256_hex(std::string_view(job.buf->data(), job.len));
        std::string crc;
        if (crcs) {
          crc = crc32_b64(job.buf->data(), job.len);
          c.headers = {{"x-amz-checksum-crc32", crc}};
        }
        c.cancel = &cancel;
        auto r = t_.request(c, handle.get());
        if (r.status != 200) t_.fail_response(c, r);
        std::string etag = unquote(r.header("etag"));
        if (etag.empty()) fail(Exit::remote, describe("cannot upload part " + std::to_string(job.part) + " of", cfg().subject(c.object), "no ETag in the answer"));
        std::lock_guard lk(mu);
        etags[static_cast<size_t>(job.part - 1)] = etag;
        if (crcs) (*crcs)[static_cast<size_t>(job.part - 1)] = std::move(crc);
        completed.emplace_back(job.part, job.len);
        free_bufs.push_back(job.buf);
      } catch (...) {
        std::lock_guard lk(mu);
        if (!worker_error) worker_error = std::current_exception();
        cancel = true;
        free_bufs.push_back(job.buf);
      }
      cv.notify_all();
    }
  };

  std::vector<std::thread> threads;
  auto stop_workers = [&] {
    {
      std::lock_guard lk(mu);
      no_more_jobs = true;
    }
    cv.notify_all();
    for (auto& t : threads)
      if (t.joinable()) t.join();
  };
  // Reports finished parts; call with the lock held. May throw (Progress).
  auto report = [&](std::unique_lock<std::mutex>& lk) {
    while (!completed.empty()) {
      auto [part, len] = completed.front();
      completed.pop_front();
      (void)part;
      bytes_done += len;
      ++parts_done;
      lk.unlock();
      GP_FAULT_POINT("storage.s3.part.done");
      progress.update(bytes_done, static_cast<uint64_t>(parts_done));
      lk.lock();
    }
  };

  Sha256 whole;
  try {
    for (unsigned i = 0; i < workers; ++i) threads.emplace_back(worker);
    for (int part = 1; part <= nparts; ++part) {
      uint64_t off = static_cast<uint64_t>(part - 1) * part_size;
      size_t len = static_cast<size_t>(std::min(part_size, size - off));
      std::string* buf;
      {
        std::unique_lock lk(mu);
        for (;;) {
          report(lk);
          if (worker_error) std::rethrow_exception(worker_error);
          if (!free_bufs.empty()) break;
          cv.wait_for(lk, std::chrono::milliseconds(200));
          check_interrupted();
        }
        buf = free_bufs.back();
        free_bufs.pop_back();
      }
      check_interrupted();
      buf->resize(len);
      size_t got = 0;
      while (got < len) {
        ssize_t n = ::pread(fd, buf->data() + got, len - got, static_cast<off_t>(off + got));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail_errno(Exit::bad_input, "cannot read", obj);
        if (n == 0) fail(Exit::integrity, describe("cannot upload", cfg().subject(obj), "the local file shrank"));
        got += static_cast<size_t>(n);
      }
      whole.update(buf->data(), len);
      auto it = existing.find(part);
      if (it != existing.end() && it->second.first == len && it->second.second == md5_hex(buf->data(), len)) {
        std::string crc = crcs ? crc32_b64(buf->data(), len) : std::string();
        std::unique_lock lk(mu);
        etags[static_cast<size_t>(part - 1)] = it->second.second;
        if (crcs) (*crcs)[static_cast<size_t>(part - 1)] = std::move(crc);
        completed.emplace_back(part, len);
        free_bufs.push_back(buf);
        continue;
      }
      {
        std::lock_guard lk(mu);
        jobs.push_back({part, buf, len});
      }
      cv.notify_all();
    }
    // Wait for the last parts.
    {
      std::unique_lock lk(mu);
      for (;;) {
        report(lk);
        if (worker_error) std::rethrow_exception(worker_error);
        if (parts_done == nparts) break;
        cv.wait_for(lk, std::chrono::milliseconds(200));
        check_interrupted();
      }
    }
    stop_workers();
  } catch (...) {
    cancel = true;
    stop_workers();
    throw;
  }
  std::string got = whole.hex_digest();
  if (got != expected)
    fail(Exit::integrity, describe("cannot upload", cfg().subject(obj),
                                   "sha256 of what was sent is " + got + ", expected " + expected));
  return etags;
}

void S3Multipart::complete_upload(const std::string& key, const std::string& obj, const std::string& upload_id,
                     const std::vector<std::string>& etags, const std::vector<std::string>& crcs,
                     const std::string& expected, uint64_t size) {
  std::string xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
  for (size_t i = 0; i < etags.size(); ++i) {
    xml += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>\"" + etags[i] + "\"</ETag>";
    if (i < crcs.size()) xml += "<ChecksumCRC32>" + crcs[i] + "</ChecksumCRC32>";
    xml += "</Part>";
  }
  xml += "</CompleteMultipartUpload>";
  Call c;
  c.what = "complete the upload of";
  c.method = "POST";
  c.object = obj;
  c.query = {{"uploadId", upload_id}};
  c.headers = {{"content-type", "application/xml"}};
  c.mem = xml.data();
  c.size = xml.size();
  c.payload_hash = sha256_hex(xml);
  c.slow_answer = true;
  int attempts = 0;
  c.on_attempt = [&] { ++attempts; };
  Response r;
  try {
    r = t_.request(c);
  } catch (const Error& e) {
    if (e.code() == Exit::interrupted || attempts < 2 || !completed_already(key, expected, size, upload_id)) throw;
    return;
  }
  if (r.status == 200) return;
  // An earlier attempt may have completed the upload and only its answer was
  // lost: then the upload id is gone, and the object is there with our sha256.
  if (attempts >= 2 && completed_already(key, expected, size, upload_id)) return;
  t_.fail_response(c, r);
}

// True when `key` holds `size` bytes stored with sha256 `expected`; then any
// upload id still open for it is aborted (a no-op when it completed).
bool S3Multipart::completed_already(const std::string& key, const std::string& expected, uint64_t size,
                       const std::string& upload_id) {
  try {
    auto info = t_.head(cfg().object(key));
    if (!(info && info->size == size && info->sha256 && *info->sha256 == expected)) return false;
  } catch (const Error&) {
    return false;
  }
  try {
    abort_upload(cfg().object(key), upload_id);
  } catch (const Error&) {
  }
  return true;
}

}  // namespace gp::storage_detail
