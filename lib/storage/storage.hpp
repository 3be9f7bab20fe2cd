#pragma once
// Storage remotes: where the archives of backups live next to a git remote.
//
// One small interface, chosen by URL scheme (open_storage):
//   file:///path or /path     a directory (local disk, NFS mount); the default, used by tests
//   s3://bucket[/prefix]      any S3-compatible service, signed with SigV4 through libcurl
//
// Keys are relative names such as "site/dev/2026-11-25T10-00-00/site_dev_..._database.sql.gz":
// '/'-separated, no empty, "." or ".." segment, no leading '/'. Anything else is
// gp::Error(Exit::bad_input).
//
// Every transfer streams (memory does not grow with the archive size), verifies
// size and sha256, and publishes atomically: a reader never sees a half-written
// object or local file. Failures throw gp::Error: Exit::remote for a storage that
// fails, refuses or cannot be reached (the message names the key, the HTTP status
// and the service's own code/message, never a secret); Exit::integrity for a size
// or checksum mismatch; Exit::bad_input for a bad key or URL; Exit::config for
// missing credentials.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "util/fs.hpp"
#include "util/progress.hpp"

namespace gp {

struct ObjectInfo {
  std::string key;                    // relative to the storage root (list() fills it)
  uint64_t size = 0;
  std::optional<std::string> etag;    // as the service reports it, quotes removed
  std::optional<std::string> sha256;  // hex, when stored with the object (put() stores it)
};

class Storage {
 public:
  virtual ~Storage() = default;

  // The storage's URL, for messages ("s3://bucket/prefix", "file:///srv/backups").
  virtual std::string url() const = 0;

  // Uploads `local_file` as `key`, replacing an existing object. The data goes under
  // a temporary name (file://) or upload id (s3://) and is published atomically only
  // after the sha256 of what was sent, computed while streaming, equals
  // `expected_sha256` (else Exit::integrity and nothing is published). The sha256 is
  // stored with the object so that stat() returns it. An s3 multipart upload that is
  // interrupted (Exit::interrupted, or a kill) is remembered in a small state file
  // and resumed by the next put() of the same file and key; abandon() gives it up.
  // Any other failure aborts it (no orphan parts stay billed), except when even the
  // abort cannot reach the service: then it is remembered too.
  virtual void put(const std::string& key, const fs::path& local_file, const std::string& expected_sha256,
                   Progress& progress) = 0;

  // Downloads `key` to `local_path`, replacing an existing file only once the new one
  // is complete and verified. Data goes to "<local_path>.part"; if that exists from an earlier
  // attempt, only the rest is fetched (a Range request; started over cleanly when the
  // server ignores ranges). At the end the size and sha256 must equal the expected
  // ones (else the partial file is removed and Exit::integrity names the key), then
  // the file is fsync'd and renamed into place with mode 0600.
  virtual void get(const std::string& key, const fs::path& local_path, uint64_t expected_size,
                   const std::string& expected_sha256, Progress& progress) = 0;

  // Size, etag and stored sha256 of `key`, or nullopt when it does not exist.
  virtual std::optional<ObjectInfo> stat(const std::string& key) = 0;

  // Every object whose key starts with `prefix` (a plain string prefix, "" for all),
  // sorted by key.
  virtual std::vector<ObjectInfo> list(const std::string& prefix) = 0;

  // Removes `key`; removing a key that does not exist is not an error.
  virtual void remove(const std::string& key) = 0;

  // A URL anyone can GET `key` with until `expires` has passed (s3:// presigned URL,
  // at most 7 days). file:// refuses with Exit::bad_input.
  virtual std::string presign_get(const std::string& key, std::chrono::seconds expires) = 0;

  // Gives up a put() of `local_file` as `key` that was interrupted: s3:// aborts the
  // remembered multipart upload (so the service keeps no orphan parts) and forgets
  // it. A no-op when nothing is pending.
  virtual void abandon(const std::string& key, const fs::path& local_file) = 0;
};

// Tunables, mostly for tests and benchmarks; the defaults suit production.
struct StorageOptions {
  uint64_t multipart_threshold = 64ull << 20;  // s3: single PUT below this size
  uint64_t part_size = 8ull << 20;             // s3: first choice; grown so parts <= 10,000; >= 5 MiB
  unsigned parallel_parts = 4;                 // s3: parts in flight at once
  bool part_checksums = true;                  // s3: multipart with CRC32 part checksums (as the
                                               //     AWS SDKs do); off only to compare (bench/push)
  unsigned max_attempts = 5;                   // s3: per request, for retryable failures
  std::chrono::milliseconds backoff{200};      // s3: first retry delay (doubled, with jitter)
  long low_speed_time = 60;                    // s3: abort a request slower than 1 KiB/s for this many s
  fs::path state_dir;                          // s3: where resumable uploads are remembered
                                               //     (empty: next to the local file)
};

// `o` with what the environment overrides (each a positive whole number; anything
// else is Exit::config): GIT_PANTHEON_S3_MULTIPART_THRESHOLD and
// GIT_PANTHEON_S3_PART_SIZE (bytes), GIT_PANTHEON_S3_PARALLEL_PARTS,
// GIT_PANTHEON_S3_MAX_ATTEMPTS, GIT_PANTHEON_S3_BACKOFF_MS and
// GIT_PANTHEON_S3_LOW_SPEED_TIME (seconds below 1 KiB/s before a request is cut
// and retried). open_storage() applies it.
StorageOptions storage_options_from_env(StorageOptions o);

// Opens the storage `cfg.url` names: "file:///abs/path", "/abs/path" or
// "s3://bucket[/prefix]". Unknown scheme or malformed URL: Exit::config.
// For s3://, credentials come from the environment (AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN) or ~/.aws/credentials (profile from
// cfg.profile, AWS_PROFILE or "default"; AWS_SHARED_CREDENTIALS_FILE overrides the
// path), never from .pantheon.toml; the region from cfg.region, AWS_REGION,
// AWS_DEFAULT_REGION or us-east-1; the endpoint from cfg.endpoint,
// AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL or https://s3.<region>.amazonaws.com.
// Path-style addressing when cfg.path_style or the endpoint host is an IP address or
// localhost, virtual-host style otherwise. The options are overridden from the
// environment (storage_options_from_env). In a test build (GP_FAULT_INJECTION) a
// non-empty GP_STORAGE_FAULT puts the fault-injecting decorator of
// storage/fault_storage.cpp in front of the backend.
std::unique_ptr<Storage> open_storage(const StorageConfig& cfg, const StorageOptions& options = {});

// Throws gp::Error(Exit::bad_input) unless `key` is a valid storage key (see above).
void validate_key(const std::string& key);

}  // namespace gp
