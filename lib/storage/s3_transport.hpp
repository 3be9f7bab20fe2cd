#pragma once
// Internal to lib/storage: one signed S3 request, retried. S3Transport turns a
// Call into a SigV4-signed libcurl request to the configured endpoint, streams its
// body in (memory or a file range) and its answer out (a PartialDownload or a small
// in-memory body), and retries transient failures under net/retry.hpp's policy
// (backoff from StorageOptions, jittered; a Retry-After of the service lengthens it
// up to a minute). It knows nothing of keys, multipart or Storage.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "net/retry.hpp"
#include "storage/partial.hpp"
#include "storage/s3_config.hpp"
#include "storage/sigv4.hpp"
#include "storage/storage.hpp"
#include "util/curl_handles.hpp"

namespace gp::storage_detail {

// A gp::Error from S3 that retrying or resuming cannot fix (a 4xx answer).
class PermanentError : public Error {
 public:
  using Error::Error;
};

// What one request sends and where its answer goes.
struct Call {
  std::string what;  // "upload", "download"... for messages
  std::string method = "GET";
  std::string object;  // full object name in the bucket ("" for the bucket itself)
  sigv4::Params query;
  sigv4::Params headers;  // extra signed headers ("range" is sent unsigned)
  std::string payload_hash = sigv4::kEmptySha256;
  // Request body: memory, or a file range (pread), or nothing.
  const char* mem = nullptr;
  uint64_t size = 0;
  int fd = -1;
  uint64_t fd_offset = 0;
  bool has_body = false;
  // Called with each chunk of the body as it is sent (file bodies only).
  std::function<void(const char*, size_t)> on_send;
  std::function<void()> on_attempt;  // before every attempt (reset streaming state)
  PartialDownload* download = nullptr;  // GET body goes here (2xx only)
  bool head = false;
  std::function<void(uint64_t up, uint64_t down)> on_progress;
  const std::atomic<bool>* cancel = nullptr;
  // The server works a long time before answering (CompleteMultipartUpload
  // assembles the object): the stall detector waits 10 minutes, not low_speed_time.
  bool slow_answer = false;
};

struct Response {
  long status = 0;
  std::string body;  // small bodies and error bodies only (up to 4 MiB kept)
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

class S3Transport {
 public:
  // Uses `options`' max_attempts, backoff and low_speed_time.
  S3Transport(S3Config config, const StorageOptions& options);
  S3Transport(const S3Transport&) = delete;
  S3Transport& operator=(const S3Transport&) = delete;

  const S3Config& config() const noexcept { return cfg_; }

  // Sends `c`, retrying connection failures, timeouts, 5xx and 429 (and a 200
  // from a POST whose body is an <Error>, reported as 500) with backoff. Returns
  // the final response whatever its status; throws gp::Error(Exit::remote) when
  // curl itself failed every attempt or failed in a way no retry fixes,
  // Exit::interrupted on a signal or `c.cancel`, and whatever a callback threw.
  // `handle` is the caller's own curl handle (one per thread); nullptr uses the
  // transport's, which only the thread that owns the transport may do.
  Response request(Call& c, CURL* handle = nullptr);

  // Throws the error `r` means for `c`: gp::Error(Exit::remote) "cannot <what>
  // 's3://bucket/<object>': HTTP <status> <Code>: <Message>" with a hint for
  // expired or wrong credentials; a PermanentError for a 4xx other than 429.
  [[noreturn]] void fail_response(const Call& c, const Response& r) const;

  // Size, etag and stored sha256 of `obj` (a HEAD; ObjectInfo::key left empty), or
  // nullopt when it does not exist; any other answer is fail_response's error.
  std::optional<ObjectInfo> head(const std::string& obj);

  // A presigned GET URL of `obj` valid for `seconds` (the caller bounds it).
  std::string presign_get(const std::string& obj, int64_t seconds) const;

 private:
  S3Config cfg_;
  RetryPolicy retry_;
  long low_speed_time_;
  Curl easy_;  // the owning thread's handle, kept for connection reuse
};

}  // namespace gp::storage_detail
