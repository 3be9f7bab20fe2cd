#include "db/database.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <random>

#include "db/internal.hpp"
#include "util/env.hpp"
#include "util/signals.hpp"

namespace gp {

std::optional<std::string> database_password(const std::string& env, const fs::path& secrets_dir) {
  std::string var = "GIT_PANTHEON_DB_PASSWORD_";
  for (unsigned char c : env) var += c == '-' ? '_' : static_cast<char>(std::toupper(c));
  if (const char* v = std::getenv(var.c_str())) return std::string(v);
  if (const char* v = std::getenv("GIT_PANTHEON_DB_PASSWORD")) return std::string(v);

  fs::path file = secrets_dir / (env + ".password");
  Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) {
    if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
    fail_errno(Exit::config, "cannot read password file", file.string());
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) fail_errno(Exit::config, "cannot read password file", file.string());
  if (!S_ISREG(st.st_mode)) fail(Exit::config, describe("password file", file.string(), "not a regular file"));
  if (st.st_uid != ::geteuid())
    fail(Exit::config, describe("password file", file.string(), "not owned by the current user"),
         "chown it to yourself, or remove it");
  if ((st.st_mode & 077) != 0)
    fail(Exit::config, describe("password file", file.string(), "readable by group or others"),
         "chmod 600 '" + file.string() + "'");
  std::string pw;
  char buf[4096];
  for (;;) {
    size_t n = read_some(fd.get(), buf, sizeof buf, file.string());
    if (n == 0) break;
    pw.append(buf, n);
    if (pw.size() > 65536) fail(Exit::config, describe("password file", file.string(), "too large"));
  }
  if (!pw.empty() && pw.back() == '\n') pw.pop_back();
  if (!pw.empty() && pw.back() == '\r') pw.pop_back();
  return pw;
}

namespace {
constexpr std::string_view kMysqlTrailer = "-- Dump completed";
constexpr std::string_view kPostgresTrailer = "-- PostgreSQL database dump complete";
constexpr std::string_view kSqliteTrailer = "COMMIT;";
}  // namespace

void DumpTrailer::add(const char* data, size_t size) {
  if (size >= kKeep) {
    tail_.assign(data + size - kKeep, kKeep);
    return;
  }
  tail_.append(data, size);
  if (tail_.size() > kKeep) tail_.erase(0, tail_.size() - kKeep);
}

bool DumpTrailer::complete() const {
  switch (kind_) {
    case DbKind::mysql: return tail_.find(kMysqlTrailer) != std::string::npos;
    case DbKind::postgres: return tail_.find(kPostgresTrailer) != std::string::npos;
    case DbKind::sqlite: {
      // The last statement, on a line of its own: "COMMIT;" then only white space.
      size_t end = tail_.find_last_not_of(" \t\r\n");
      if (end == std::string::npos || end + 1 < kSqliteTrailer.size()) return false;
      size_t at = end + 1 - kSqliteTrailer.size();
      return tail_.compare(at, kSqliteTrailer.size(), kSqliteTrailer) == 0 && (at == 0 || tail_[at - 1] == '\n');
    }
  }
  return false;
}

std::string DumpTrailer::name() const {
  switch (kind_) {
    case DbKind::mysql: return "'" + std::string(kMysqlTrailer) + "'";
    case DbKind::postgres: return "'" + std::string(kPostgresTrailer) + "'";
    case DbKind::sqlite: return "closing '" + std::string(kSqliteTrailer) + "'";
  }
  return "";
}

std::unique_ptr<Database> open_database(const EnvConfig& env, const fs::path& repo_root, const fs::path& secrets_dir,
                                        const fs::path& scratch_dir) {
  const DbUrl& url = env.require_database();
  switch (url.kind) {
    case DbKind::sqlite: return db::make_sqlite(url, repo_root, scratch_dir);
    case DbKind::mysql: return db::make_mysql(url, database_password(env.name, secrets_dir), scratch_dir);
    case DbKind::postgres:
      return db::make_postgres(url, database_password(env.name, secrets_dir), scratch_dir);
  }
  throw InternalError("open_database: unknown database kind");
}

namespace db {

namespace {
// A character that continues a word: ASCII letters and digits, and every byte of a
// non-ASCII (UTF-8) character.
bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || static_cast<unsigned char>(c) >= 0x80; }
}  // namespace

std::string scrub(std::string text, const std::optional<std::string>& secret) {
  if (!secret || secret->empty()) return text;
  const std::string& s = *secret;
  for (size_t pos = 0; (pos = text.find(s, pos)) != std::string::npos;) {
    size_t end = pos + s.size();
    bool starts = pos == 0 || !word_char(text[pos - 1]) || !word_char(s.front());
    bool ends = end == text.size() || !word_char(text[end]) || !word_char(s.back());
    if (starts && ends) {
      text.replace(pos, s.size(), "***");
      pos += 3;
    } else {
      ++pos;
    }
  }
  return text;
}

std::string child_cause(const Process& p, int status) {
  std::string text = p.stderr_text();
  // The clients' own error line ("ERROR 1045 (28000) ...", "mysqldump: Got error: ...",
  // "psql:<stdin>:12: ERROR: ...") may be followed by lines of quoted SQL: prefer it.
  std::string pick;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string_view line(text.data() + pos, nl - pos);
    if (line.rfind("ERROR", 0) == 0 || line.find(": ERROR:") != std::string_view::npos ||
        line.find("FATAL:") != std::string_view::npos || line.rfind("mysqldump: ", 0) == 0 ||
        line.rfind("mariadb-dump: ", 0) == 0 || line.rfind("pg_dump: error: ", 0) == 0 ||
        line.rfind("psql: error: ", 0) == 0)
      pick = line;
    pos = nl + 1;
  }
  if (pick.empty()) pick = p.stderr_tail();
  if (pick.size() > 400) pick = pick.substr(0, 400) + "...";
  return pick.empty() ? p.failure_text(status) : pick;
}

SecretFile::SecretFile(const fs::path& dir, const std::string& prefix, const std::string& content) {
  make_dirs(dir, 0700);
  std::string tmpl = (dir / (prefix + "XXXXXX")).string();
  int fd = ::mkostemp(tmpl.data(), O_CLOEXEC);
  if (fd < 0) fail_errno(Exit::internal, "cannot create a client option file in", dir.string());
  Fd owned(fd);
  path_ = tmpl;
  if (::fchmod(fd, 0600) != 0) {
    ::unlink(tmpl.c_str());
    fail_errno(Exit::internal, "cannot protect", tmpl);
  }
  try {
    write_all(fd, content.data(), content.size(), tmpl);
  } catch (...) {
    ::unlink(tmpl.c_str());
    throw;
  }
}

SecretFile::~SecretFile() {
  if (!path_.empty()) ::unlink(path_.c_str());
}


MarkerCounter::MarkerCounter(std::vector<std::string_view> markers) : markers_(std::move(markers)) {
  for (auto m : markers_) keep_ = std::max(keep_, m.size() - 1);
}

void MarkerCounter::add(const char* data, size_t size) {
  // Matches that start in the carried bytes and end in this chunk.
  std::string edge = carry_ + std::string(data, std::min(size, keep_));
  for (auto m : markers_) {
    for (size_t pos = 0; (pos = edge.find(m, pos)) != std::string::npos && pos < carry_.size(); ++pos)
      if (pos + m.size() > carry_.size()) ++count_;  // not wholly inside the carry: counted before
    const char* p = data;
    const char* end = data + size;
    while (p < end) {
      auto hit = static_cast<const char*>(memmem(p, static_cast<size_t>(end - p), m.data(), m.size()));
      if (!hit) break;
      ++count_;
      p = hit + 1;
    }
  }
  if (size >= keep_) carry_.assign(data + size - keep_, keep_);
  else {
    carry_.append(data, size);
    if (carry_.size() > keep_) carry_.erase(0, carry_.size() - keep_);
  }
}

void widen_pipe(int fd) noexcept {
  if (fd >= 0) (void)::fcntl(fd, F_SETPIPE_SZ, static_cast<int>(kChunk));
}

StreamResult stream_stdout(Process& p, ByteSink& out, Progress& progress, DumpTrailer& trailer, MarkerCounter& counter) {
  widen_pipe(p.stdout_fd());
  std::unique_ptr<char[]> buf(new char[kChunk]);
  StreamResult r;
  for (;;) {
    check_interrupted();
    size_t n = p.read(buf.get(), kChunk);
    if (n == 0) break;
    out.write(buf.get(), n);
    trailer.add(buf.get(), n);
    counter.add(buf.get(), n);
    r.bytes += n;
    progress.update(r.bytes, counter.count());
  }
  r.status = p.wait();
  return r;
}

SigpipeBlock::SigpipeBlock() {
  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &set, &old);
  was_blocked_ = sigismember(&old, SIGPIPE) == 1;
}

SigpipeBlock::~SigpipeBlock() {
  if (was_blocked_) return;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  struct timespec zero = {0, 0};
  while (sigtimedwait(&set, nullptr, &zero) == SIGPIPE) {
  }
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

Captured capture(ProcessSpec spec) {
  spec.pipe_stdout = true;
  Process p(std::move(spec));
  Captured c;
  c.out = read_stdout(p);
  c.status = p.wait();
  if (c.status != 0) c.cause = child_cause(p, c.status);
  return c;
}

Limits limits_from_env() {
  Limits l;
  if (auto n = env_number("GIT_PANTHEON_DB_CONNECT_TIMEOUT")) l.connect = std::chrono::seconds(std::min<uint64_t>(*n, 86400));
  if (auto n = env_number("GIT_PANTHEON_DB_TIMEOUT")) l.progress = std::chrono::seconds(std::min<uint64_t>(*n, 86400 * 7));
  if (auto n = env_number("GIT_PANTHEON_DB_LOCK_WAIT")) l.lock_wait = std::chrono::seconds(std::min<uint64_t>(*n, 86400));
  return l;
}

void bound(ProcessSpec& spec, const Limits& limits, const std::string& what, const std::string& subject, Run run) {
  spec.own_group = true;
  spec.stall_timeout = limits.progress;
  spec.stall_message = gp::describe(what, subject, "the server stopped answering");
  spec.stall_hint = "a server that is up may be waiting for a lock another session holds; GIT_PANTHEON_DB_TIMEOUT=<seconds> "
                    "sets how long to wait (now " + std::to_string(limits.progress.count()) + ")";
  spec.interruptible = run == Run::normal;
  if (run == Run::cleanup)
    spec.stall_timeout = std::min<std::chrono::milliseconds>(spec.stall_timeout, std::chrono::seconds(15));
}

std::string random_suffix() {
  std::random_device rd;
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 8; ++i) s += hex[rd() & 15];
  return s;
}

}  // namespace db
}  // namespace gp
