// Test builds only (GP_FAULT_INJECTION): a Storage decorator that injects faults,
// chosen by the environment variable GP_STORAGE_FAULT (see backends.hpp). Release
// builds compile none of this, and open_storage() never reads the variable there.
//
//   flip-byte[@get|@put]   get: the bytes the backend delivers have one byte flipped
//                          (the middle one); put: the storage ends up holding the
//                          archive with one byte flipped (a lying or rotting service)
//   truncate[@get|@put]    the same, but only the first half of the bytes
//   fail-every:N[@...]     every Nth call (stat, list, get, put, remove, presign),
//                          counted over the whole process (commands open a storage
//                          per archive), fails with Exit::remote, as an unreachable
//                          service does
//   stall:SECONDS[@...]    get and put wait SECONDS first (interruptible: SIGINT or
//                          SIGTERM end the wait with Exit::interrupted)
//
// Without @get/@put a data fault applies to both directions.
#include "storage/backends.hpp"

#ifdef GP_FAULT_INJECTION

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "storage/partial.hpp"
#include "util/sha256.hpp"
#include "util/signals.hpp"

namespace gp::storage_detail {

namespace {

enum class FaultKind { flip_byte, truncate, fail_every, stall };

struct FaultSpec {
  std::string text;
  FaultKind kind = FaultKind::flip_byte;
  uint64_t n = 0;
  bool on_get = true, on_put = true;
};

FaultSpec parse_fault(const std::string& text) {
  auto bad = [&](const std::string& why) -> FaultSpec {
    fail(Exit::config, describe("invalid GP_STORAGE_FAULT", text, why),
         "use flip-byte, truncate, fail-every:N or stall:SECONDS, optionally followed by @get or @put");
  };
  FaultSpec f;
  f.text = text;
  std::string s = text;
  if (auto at = s.find('@'); at != std::string::npos) {
    std::string ops = s.substr(at + 1);
    s = s.substr(0, at);
    if (ops == "get") f.on_put = false;
    else if (ops == "put") f.on_get = false;
    else return bad("unknown operation '" + ops + "'");
  }
  std::string name = s.substr(0, s.find(':'));
  std::string arg = s.find(':') == std::string::npos ? "" : s.substr(s.find(':') + 1);
  if (name == "flip-byte" || name == "truncate") {
    if (!arg.empty()) return bad("takes no argument");
    f.kind = name == "flip-byte" ? FaultKind::flip_byte : FaultKind::truncate;
    return f;
  }
  if (name == "fail-every" || name == "stall") {
    if (arg.empty() || arg.find_first_not_of("0123456789") != std::string::npos || arg.size() > 9)
      return bad("needs a number");
    f.n = std::stoull(arg);
    f.kind = name == "stall" ? FaultKind::stall : FaultKind::fail_every;
    if (f.kind == FaultKind::fail_every && f.n == 0) return bad("N must be at least 1");
    return f;
  }
  return bad("unknown fault");
}

// Copies `src` to `dst` with the fault applied; returns the sha256 of what was written.
std::string corrupt_copy(const fs::path& src, const fs::path& dst, FaultKind kind) {
  Fd in = open_file(src, O_RDONLY, 0, Exit::internal);
  struct stat st;
  if (::fstat(in.get(), &st) != 0) fail_errno(Exit::internal, "cannot stat", src.string());
  uint64_t size = static_cast<uint64_t>(st.st_size);
  uint64_t keep = kind == FaultKind::truncate ? size / 2 : size;
  uint64_t flip_at = size / 2;
  Fd out = open_file(dst, O_WRONLY | O_CREAT | O_TRUNC, 0600, Exit::internal);
  Sha256 sha;
  std::string buf(1 << 16, '\0');
  uint64_t pos = 0;
  while (pos < keep) {
    size_t n = read_some(in.get(), buf.data(), static_cast<size_t>(std::min<uint64_t>(buf.size(), keep - pos)), src.string());
    if (n == 0) break;
    if (kind == FaultKind::flip_byte && flip_at >= pos && flip_at < pos + n) buf[flip_at - pos] ^= 0x5a;
    sha.update(buf.data(), n);
    write_all(out.get(), buf.data(), n, dst.string());
    pos += n;
  }
  return sha.hex_digest();
}

std::atomic<uint64_t> g_calls{0};  // calls of every FaultStorage of this process

// Removes a file when it goes out of scope.
struct Unlinker {
  fs::path p;
  ~Unlinker() { ::unlink(p.c_str()); }
};

class FaultStorage : public Storage {
 public:
  FaultStorage(std::unique_ptr<Storage> inner, FaultSpec spec) : inner_(std::move(inner)), spec_(std::move(spec)) {}

  std::string url() const override { return inner_->url(); }

  void put(const std::string& key, const fs::path& local_file, const std::string& expected_sha256,
           Progress& progress) override {
    call("put");
    if (!spec_.on_put) return inner_->put(key, local_file, expected_sha256, progress);
    if (spec_.kind == FaultKind::stall) stall();
    if (spec_.kind != FaultKind::flip_byte && spec_.kind != FaultKind::truncate)
      return inner_->put(key, local_file, expected_sha256, progress);
    // The service stores something else than it was given, and says so truthfully
    // in its metadata: only a check after the upload can notice.
    Unlinker copy{local_file.parent_path() / ("." + local_file.filename().string() + ".gp-fault")};
    std::string sha = corrupt_copy(local_file, copy.p, spec_.kind);
    inner_->put(key, copy.p, sha, progress);
  }

  void get(const std::string& key, const fs::path& local_path, uint64_t expected_size,
           const std::string& expected_sha256, Progress& progress) override {
    call("get");
    if (!spec_.on_get) return inner_->get(key, local_path, expected_size, expected_sha256, progress);
    if (spec_.kind == FaultKind::stall) stall();
    if (spec_.kind != FaultKind::flip_byte && spec_.kind != FaultKind::truncate)
      return inner_->get(key, local_path, expected_size, expected_sha256, progress);
    // The backend's bytes, damaged on their way, go through the same verifying
    // partial-download sink every backend writes into.
    fs::path src_path = local_path;
    src_path += ".gp-fault-src";
    Unlinker src{src_path};
    inner_->get(key, src.p, expected_size, expected_sha256, progress);
    fs::path damaged = local_path;
    damaged += ".gp-fault-bad";
    Unlinker bad{damaged};
    corrupt_copy(src.p, bad.p, spec_.kind);
    PartialDownload part(local_path, expected_size, key);
    part.restart();
    Fd in = open_file(bad.p, O_RDONLY, 0, Exit::internal);
    std::string buf(1 << 16, '\0');
    for (;;) {
      size_t n = read_some(in.get(), buf.data(), buf.size(), bad.p.string());
      if (n == 0) break;
      part.write(buf.data(), n);
    }
    part.finish(expected_sha256);
  }

  std::optional<ObjectInfo> stat(const std::string& key) override {
    call("stat");
    return inner_->stat(key);
  }
  std::vector<ObjectInfo> list(const std::string& prefix) override {
    call("list");
    return inner_->list(prefix);
  }
  void remove(const std::string& key) override {
    call("remove");
    inner_->remove(key);
  }
  std::string presign_get(const std::string& key, std::chrono::seconds expires) override {
    call("presign");
    return inner_->presign_get(key, expires);
  }
  void abandon(const std::string& key, const fs::path& local_file) override { inner_->abandon(key, local_file); }

 private:
  void call(const char* op) {
    uint64_t n = ++g_calls;
    if (spec_.kind == FaultKind::fail_every && n % spec_.n == 0)
      fail(Exit::remote, describe("injected storage fault", spec_.text, std::string(op) + ", call " + std::to_string(n)));
  }

  void stall() {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(spec_.n);
    while (std::chrono::steady_clock::now() < until) {
      check_interrupted();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  std::unique_ptr<Storage> inner_;
  FaultSpec spec_;
};

}  // namespace

std::unique_ptr<Storage> wrap_with_faults(std::unique_ptr<Storage> inner, const std::string& spec) {
  return std::make_unique<FaultStorage>(std::move(inner), parse_fault(spec));
}

}  // namespace gp::storage_detail

#endif  // GP_FAULT_INJECTION
