#pragma once
// Internal to lib/storage: S3 multipart uploads (README.md, "Multipart"): the
// resumable state file, CreateMultipartUpload / ListParts / UploadPart /
// CompleteMultipartUpload / AbortMultipartUpload, and the pool of sender threads.
// Memory is bounded by parallel_parts x part size whatever the file size.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "storage/s3_transport.hpp"
#include "storage/storage.hpp"

namespace gp::storage_detail {

class S3Multipart {
 public:
  // Sends through `transport` (which must outlive this); uses `options`' part_size,
  // parallel_parts, part_checksums and state_dir.
  S3Multipart(S3Transport& transport, const StorageOptions& options);

  // Uploads the `size` bytes of `fd` (the open file `local_file`) as `key` in parts,
  // resuming the upload a state file remembers for this file and key (parts whose
  // size and MD5 ETag match are not sent again). The sha256 of what was read must
  // equal `expected` (else Exit::integrity). Reports bytes and parts to `progress`.
  // On Exit::interrupted the upload and its state file are kept for the next put;
  // any other failure aborts the upload and removes the state file, unless even the
  // abort fails (then the state stays). The caller checks the final object.
  void put(const std::string& key, const fs::path& local_file, int fd, uint64_t size, const std::string& expected,
           Progress& progress);

  // Aborts the upload remembered for `local_file` as `key` and forgets it; a no-op
  // when none is. Throws the transport's errors when the abort fails.
  void abandon(const std::string& key, const fs::path& local_file);

 private:
  struct UploadState;
  using PartList = std::map<int, std::pair<uint64_t, std::string>>;  // number -> (size, etag)

  fs::path state_path(const fs::path& local_file) const;
  UploadState read_state(const fs::path& sp, const std::string& obj) const;
  void write_state(const fs::path& sp, const std::string& obj, const UploadState& st) const;
  std::string create_upload(const std::string& obj, const std::string& expected, bool crc32);
  std::optional<PartList> list_parts(const std::string& obj, const std::string& upload_id);
  std::vector<std::string> upload_parts(const std::string& obj, int fd, uint64_t size, uint64_t part_size, int nparts,
                                        const std::string& upload_id, const PartList& existing,
                                        const std::string& expected, std::vector<std::string>* crcs,
                                        Progress& progress);
  void complete_upload(const std::string& key, const std::string& obj, const std::string& upload_id,
                       const std::vector<std::string>& etags, const std::vector<std::string>& crcs,
                       const std::string& expected, uint64_t size);
  bool completed_already(const std::string& key, const std::string& expected, uint64_t size,
                         const std::string& upload_id);
  void abort_upload(const std::string& obj, const std::string& upload_id);
  void abandon_noexcept(const std::string& obj, const std::string& upload_id, const fs::path& sp) noexcept;

  const S3Config& cfg() const noexcept { return t_.config(); }

  S3Transport& t_;
  StorageOptions opt_;
};

}  // namespace gp::storage_detail
