#include "storage/partial.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace gp::storage_detail {

PartialDownload::PartialDownload(fs::path final_path, uint64_t expected_size, std::string key)
    : final_(std::move(final_path)), expected_(expected_size), key_(std::move(key)) {
  part_ = final_;
  part_ += ".part";
  if (final_.has_parent_path()) make_dirs(final_.parent_path(), 0700);
  fd_ = open_file(part_, O_RDWR | O_CREAT, 0600, Exit::internal);
  ::fchmod(fd_.get(), 0600);
  sha_ = std::make_unique<Sha256>();
  struct stat st;
  if (::fstat(fd_.get(), &st) != 0) fail_errno(Exit::internal, "cannot stat", part_.string());
  uint64_t have = static_cast<uint64_t>(st.st_size);
  if (have > expected_) {
    restart();
    return;
  }
  std::string buf(1 << 20, '\0');
  while (offset_ < have) {
    size_t n = read_some(fd_.get(), buf.data(), buf.size(), part_.string());
    if (n == 0) break;
    sha_->update(buf.data(), n);
    offset_ += n;
  }
  if (::lseek(fd_.get(), static_cast<off_t>(offset_), SEEK_SET) < 0) fail_errno(Exit::internal, "cannot seek", part_.string());
}

void PartialDownload::write(const void* data, size_t size) {
  if (offset_ + size > expected_) {
    restart();
    fail(Exit::integrity, describe("downloaded object", key_, "larger than the expected " + std::to_string(expected_) + " bytes"));
  }
  write_all(fd_.get(), data, size, part_.string());
  sha_->update(data, size);
  offset_ += size;
}

void PartialDownload::restart() {
  if (::ftruncate(fd_.get(), 0) != 0) fail_errno(Exit::internal, "cannot truncate", part_.string());
  if (::lseek(fd_.get(), 0, SEEK_SET) < 0) fail_errno(Exit::internal, "cannot seek", part_.string());
  offset_ = 0;
  sha_ = std::make_unique<Sha256>();
}

void PartialDownload::finish(const std::string& expected_sha256) {
  std::string got = sha_->hex_digest();
  if (offset_ != expected_ || got != expected_sha256) {
    fd_.reset();
    ::unlink(part_.c_str());
    if (offset_ != expected_)
      fail(Exit::integrity, describe("downloaded object", key_,
                                     "size " + std::to_string(offset_) + " differs from the expected " +
                                         std::to_string(expected_)));
    fail(Exit::integrity, describe("downloaded object", key_, "sha256 " + got + " differs from the expected " + expected_sha256));
  }
  fsync_fd(fd_.get(), part_.string());
  if (::close(fd_.release()) != 0) fail_errno(Exit::internal, "cannot close", part_.string());
  if (::rename(part_.c_str(), final_.c_str()) != 0) fail_errno(Exit::internal, "cannot rename into place", final_.string());
  fsync_dir(final_.has_parent_path() ? final_.parent_path() : fs::path("."));
}

}  // namespace gp::storage_detail
