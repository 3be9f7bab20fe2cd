#pragma once
// The local store: `<common git dir>/pantheon/`, never inside the work tree.
//   archives/   finished archives, 0600, each published by an atomic rename
//   tmp/        archives being written, a restore's staged files tree and SQLite
//               file (see lib/restore); anything here is stale when the lock is free
//   trash/      old files trees swapped out by a restore, removed in the background
//               (not cleared with tmp/: their remover may still be at work)
//   secrets/    optional 0600 password files (<env>.password)
//   pending/    one journal per backup being made: its tag and archive names
//   partial/    archive downloads in progress, kept across runs so that they resume:
//               <sha256>-<size>.part; removed when older than kPartialMaxAge
//   lock        the repository lock (flock), held by every command that writes
//   names       every backup name this repository has ever used (tags and archive
//               file names, one a line, appended under the lock, never removed):
//               a name is never reused (see lib/backup/README.md, "Names")
#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "git/repo.hpp"
#include "util/lock.hpp"

namespace gp {

// Partial downloads untouched for this long are removed (the next fetch starts over).
inline constexpr std::chrono::seconds kPartialMaxAge{7LL * 86400};

class Store {
 public:
  explicit Store(const Repo& repo);
  explicit Store(fs::path root) : root_(std::move(root)) {}

  const fs::path& root() const noexcept { return root_; }
  fs::path archives_dir() const { return root_ / "archives"; }
  fs::path tmp_dir() const { return root_ / "tmp"; }
  fs::path trash_dir() const { return root_ / "trash"; }
  fs::path secrets_dir() const { return root_ / "secrets"; }
  // Journals of backups being made (see lib/backup: recover_interrupted_backups).
  fs::path pending_dir() const { return root_ / "pending"; }
  fs::path archive_path(const std::string& file_name) const { return archives_dir() / file_name; }
  // Downloads in progress (not cleared when the lock is taken, unlike tmp/).
  fs::path partial_dir() const { return root_ / "partial"; }
  // Where the download of an archive with this sha256 and size is assembled: a
  // name tied to the content, so that any run fetching the same archive resumes it
  // (the storage layer appends ".part" while the download is incomplete).
  fs::path partial_path(const std::string& sha256, uint64_t size) const;
  // Removes partial downloads not touched for `max_age`; returns how many.
  size_t clean_partials(std::chrono::seconds max_age) const;

  // The record of backup names ever used (see `names` above).
  fs::path names_path() const { return root_ / "names"; }
  // Every name in the record (empty when there is none yet).
  std::set<std::string> used_names(const FileLock& lock) const;
  // Adds `names` to the record durably (one append, then fsync) before returning.
  // A line a crash cut short is never joined to the next one.
  void record_names(const FileLock& lock, const std::vector<std::string>& names) const;

  bool exists() const;
  // Creates the folders with mode 0700 (idempotent).
  void create() const;

  // Takes the repository lock, waiting up to GIT_PANTHEON_LOCK_WAIT seconds
  // (default 30), then removes temporary files that crashed commands left behind.
  FileLock lock() const;
  // The same with an explicit wait (the post-commit hook must not hold up a commit).
  FileLock lock(std::chrono::milliseconds wait) const;

 private:
  fs::path root_;
};

}  // namespace gp
