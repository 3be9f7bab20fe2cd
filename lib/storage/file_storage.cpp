// file:// storage: a directory tree. Directories 0700, objects 0600, written under a
// temporary name in <root>/.gp-tmp, fsync'd, renamed into place, directory fsync'd.
// The sha256 is kept in the extended attribute user.gp.sha256 where the file system
// supports it (stat() then returns it).
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>

#include "storage/backends.hpp"
#include "storage/partial.hpp"
#include "util/sha256.hpp"
#include "util/signals.hpp"
#include "util/fault.hpp"

namespace gp::storage_detail {

namespace {

constexpr const char* kShaAttr = "user.gp.sha256";
constexpr size_t kBuf = 1 << 20;

class FileStorage : public Storage {
 public:
  explicit FileStorage(fs::path root) : root_(std::move(root)) {}

  std::string url() const override { return "file://" + root_.string(); }

  void put(const std::string& key, const fs::path& local_file, const std::string& expected_sha256,
           Progress& progress) override {
    validate_key(key);
    fs::path dest = root_ / key;
    fs::path tmp_dir = root_ / kFileTmpDir;
    make_dirs(dest.parent_path(), 0700);
    make_dirs(tmp_dir, 0700);
    Fd in = open_file(local_file, O_RDONLY, 0, Exit::bad_input);
    struct stat st;
    if (::fstat(in.get(), &st) != 0) fail_errno(Exit::bad_input, "cannot stat", local_file.string());
    AtomicFile out(dest, 0600, tmp_dir);
    Sha256 sha;
    std::string buf(kBuf, '\0');
    uint64_t done = 0;
    progress.start(key, static_cast<uint64_t>(st.st_size));
    for (;;) {
      check_interrupted();
      size_t n = read_some(in.get(), buf.data(), buf.size(), local_file.string());
      if (n == 0) break;
      sha.update(buf.data(), n);
      out.write(buf.data(), n);
      GP_FAULT_POINT("storage.file.chunk");
      done += n;
      progress.update(done, 0);
    }
    std::string got = sha.hex_digest();
    if (got != expected_sha256)
      fail(Exit::integrity, describe("cannot store", key, "sha256 of '" + local_file.string() + "' is " + got +
                                                              ", expected " + expected_sha256));
    ::fsetxattr(out.fd(), kShaAttr, got.data(), got.size(), 0);  // best effort: not every file system has xattrs
    out.publish(/*replace=*/true);
    progress.finish();
  }

  void get(const std::string& key, const fs::path& local_path, uint64_t expected_size,
           const std::string& expected_sha256, Progress& progress) override {
    validate_key(key);
    fs::path src = root_ / key;
    int fd = ::open(src.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) fail(Exit::bad_input, describe("no such object", key, "not in " + url()));
      fail_errno(Exit::remote, "cannot open", src.string());
    }
    Fd in(fd);
    PartialDownload part(local_path, expected_size, key);
    if (part.offset() > 0)
      progress.step("resuming the download of '" + key + "' at byte " + std::to_string(part.offset()) + " of " +
                    std::to_string(expected_size));
    progress.start(key, expected_size);
    if (::lseek(in.get(), static_cast<off_t>(part.offset()), SEEK_SET) < 0) fail_errno(Exit::remote, "cannot seek", src.string());
    std::string buf(kBuf, '\0');
    for (;;) {
      check_interrupted();
      size_t n = read_some(in.get(), buf.data(), buf.size(), src.string());
      if (n == 0) break;
      part.write(buf.data(), n);
      progress.update(part.offset(), 0);
    }
    part.finish(expected_sha256);
    progress.finish();
  }

  std::optional<ObjectInfo> stat(const std::string& key) override {
    validate_key(key);
    return info(key, root_ / key);
  }

  std::vector<ObjectInfo> list(const std::string& prefix) override {
    std::vector<ObjectInfo> out;
    std::error_code ec;
    if (!fs::is_directory(root_, ec)) return out;
    for (auto it = fs::recursive_directory_iterator(root_, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      if (it.depth() == 0 && it->path().filename() == kFileTmpDir) {
        it.disable_recursion_pending();
        continue;
      }
      if (!it->is_regular_file()) continue;
      std::string key = it->path().lexically_relative(root_).generic_string();
      if (key.rfind(prefix, 0) != 0) continue;
      if (auto i = info(key, it->path())) out.push_back(std::move(*i));
    }
    if (ec) fail(Exit::remote, describe("cannot list", url(), ec.message()));
    std::sort(out.begin(), out.end(), [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
    return out;
  }

  void remove(const std::string& key) override {
    validate_key(key);
    fs::path p = root_ / key;
    if (::unlink(p.c_str()) != 0) {
      if (errno == ENOENT) return;
      fail_errno(Exit::remote, "cannot remove", p.string());
    }
    fsync_dir(p.parent_path());
    // Prune directories left empty, up to the root.
    for (fs::path d = p.parent_path(); d != root_ && path_within(root_, d); d = d.parent_path())
      if (::rmdir(d.c_str()) != 0) break;
  }

  std::string presign_get(const std::string& key, std::chrono::seconds) override {
    fail(Exit::bad_input, describe("cannot make a URL for", key, "a file:// storage has no URLs"),
         "copy the file with 'git pantheon backup get' instead");
  }

  void abandon(const std::string&, const fs::path&) override {}

 private:
  std::optional<ObjectInfo> info(const std::string& key, const fs::path& p) {
    struct stat st;
    if (::stat(p.c_str(), &st) != 0) {
      if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
      fail_errno(Exit::remote, "cannot stat", p.string());
    }
    if (!S_ISREG(st.st_mode)) return std::nullopt;
    ObjectInfo o;
    o.key = key;
    o.size = static_cast<uint64_t>(st.st_size);
    char buf[80];
    ssize_t n = ::getxattr(p.c_str(), kShaAttr, buf, sizeof buf);
    if (n == 64) o.sha256 = std::string(buf, 64);
    return o;
  }

  fs::path root_;
};

}  // namespace

std::unique_ptr<Storage> make_file_storage(const fs::path& root) { return std::make_unique<FileStorage>(root); }

}  // namespace gp::storage_detail
