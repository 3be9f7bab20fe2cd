#pragma once
// Private to lib/db: the engines' constructors and what they share (streaming a
// child's stdout into a sink, feeding a source into a child's stdin, secret-free
// error texts, private 0600 client files).
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/database.hpp"
#include "util/process.hpp"

namespace gp::db {

// Chunk size for reading a child's stdout and feeding its stdin: large enough
// that the per-chunk cost vanishes next to the dump tool's own work.
inline constexpr size_t kChunk = 1 << 20;

// Time limits of the client runs, from GIT_PANTHEON_DB_CONNECT_TIMEOUT,
// GIT_PANTHEON_DB_TIMEOUT and GIT_PANTHEON_DB_LOCK_WAIT (seconds; see
// git-pantheon(1)); a malformed value is gp::Error(Exit::config).
struct Limits {
  std::chrono::seconds connect{10};    // connecting: the clients' own connect timeouts
  std::chrono::seconds progress{120};  // a client that makes no progress (util/process.hpp)
  std::chrono::seconds lock_wait{5};   // a load waiting for a lock a site's session holds
};
Limits limits_from_env();

// How a client run meets an interrupt: `normal` is stopped at once; `cleanup`
// (dropping a scratch database) and `critical` (the few statements of a swap, which
// must not stop half-way) run to their end, cleanup for 15 s at most.
enum class Run { normal, cleanup, critical };

// Bounds a client run of operation `what` ("cannot dump database") on the database
// `subject`: a process group of its own, and the progress timeout, whose error reads
// "<what> '<subject>': the server stopped answering ('mysqldump' made no progress
// for 120 s)".
void bound(ProcessSpec& spec, const Limits& limits, const std::string& what, const std::string& subject,
           Run run = Run::normal);

std::unique_ptr<Database> make_sqlite(const DbUrl& url, const fs::path& repo_root, const fs::path& scratch_dir);
std::unique_ptr<Database> make_mysql(const DbUrl& url, std::optional<std::string> password, const fs::path& scratch_dir);
std::unique_ptr<Database> make_postgres(const DbUrl& url, std::optional<std::string> password,
                                        const fs::path& scratch_dir);

// `text` with every whole-token occurrence of `secret` replaced by "***": one not
// glued to a word (a letter or digit, or any non-ASCII byte, right before or after
// it), so that the password "e" leaves "error" alone. Belt and braces: passwords
// reach the clients only through 0600 files, and the clients never print them.
std::string scrub(std::string text, const std::optional<std::string>& secret);

// The child's own last stderr line, or "'name' exited with status N" when it said nothing.
std::string child_cause(const Process& p, int status);

// A file holding a secret for a child, created 0600 in a private directory and
// removed when this object goes away (also when the dump or load throws).
class SecretFile {
 public:
  SecretFile(const fs::path& dir, const std::string& prefix, const std::string& content);
  SecretFile(const SecretFile&) = delete;
  SecretFile& operator=(const SecretFile&) = delete;
  ~SecretFile();
  const fs::path& path() const noexcept { return path_; }

 private:
  fs::path path_;
};

// Counts occurrences of a few short markers (e.g. "\nCREATE TABLE ") in a stream
// seen chunk by chunk, matches across chunk ends included. memmem per chunk: no
// per-byte work of ours in the dump path.
class MarkerCounter {
 public:
  explicit MarkerCounter(std::vector<std::string_view> markers);
  void add(const char* data, size_t size);
  uint64_t count() const noexcept { return count_; }

 private:
  std::vector<std::string_view> markers_;
  size_t keep_ = 0;
  std::string carry_;
  uint64_t count_ = 0;
};

// Reads the child's stdout in kChunk pieces straight into `out`, then waits for it.
// Returns the bytes streamed and the child's exit status; `trailer` and `counter`
// see every byte.
struct StreamResult {
  uint64_t bytes = 0;
  int status = 0;
};
StreamResult stream_stdout(Process& p, ByteSink& out, Progress& progress, DumpTrailer& trailer, MarkerCounter& counter);

// Asks for a 1 MiB pipe buffer (Linux F_SETPIPE_SZ; ignored when refused) so the
// child and we exchange big chunks with few context switches.
void widen_pipe(int fd) noexcept;

// Blocks SIGPIPE in this thread while alive, so that a child that dies while we feed
// it (Process::write) turns into EPIPE; a pending SIGPIPE is consumed on destruction.
class SigpipeBlock {
 public:
  SigpipeBlock();
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;
  ~SigpipeBlock();

 private:
  bool was_blocked_ = false;
};

// Runs a client to completion with its (small) stdout captured; `cause` is
// child_cause() when it failed.
struct Captured {
  int status = 0;
  std::string out;
  std::string cause;
};
Captured capture(ProcessSpec spec);

// 8 random hex digits for scratch names.
std::string random_suffix();

}  // namespace gp::db
