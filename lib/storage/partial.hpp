#pragma once
// Internal to lib/storage: a download being written to "<final>.part", resumable.
#include <cstdint>
#include <memory>
#include <string>

#include "util/fs.hpp"
#include "util/sha256.hpp"

namespace gp::storage_detail {

class PartialDownload {
 public:
  // Opens (or creates, 0600) "<final>.part" and hashes what an earlier attempt left
  // there; a partial file longer than `expected_size` is started over.
  PartialDownload(fs::path final_path, uint64_t expected_size, std::string key);
  PartialDownload(const PartialDownload&) = delete;
  PartialDownload& operator=(const PartialDownload&) = delete;

  uint64_t offset() const noexcept { return offset_; }
  uint64_t expected_size() const noexcept { return expected_; }
  // Appends and hashes; more bytes than expected is Exit::integrity.
  void write(const void* data, size_t size);
  // Empties the partial file (the server ignored a range request).
  void restart();
  // Checks size and sha256 (a mismatch removes the partial file and throws
  // Exit::integrity naming the key), then fsyncs and renames it into place.
  void finish(const std::string& expected_sha256);
  const fs::path& part_path() const noexcept { return part_; }

 private:
  fs::path final_, part_;
  uint64_t expected_;
  std::string key_;
  Fd fd_;
  uint64_t offset_ = 0;
  std::unique_ptr<Sha256> sha_;
};

}  // namespace gp::storage_detail
