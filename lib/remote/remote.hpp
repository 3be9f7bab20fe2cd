#pragma once
// Backups next to git remotes: the archives of a backup go to the storage paired
// with a git remote ([storage.<remote>] in .pantheon.toml), its tag to the git
// remote itself. The invariant kept by push_backups() and the pre-push hook: a
// backup tag that reaches a git remote always has its archives in that remote's
// storage (uploaded and verified first; no tag is sent when any upload fails).
//
// Storage key of an archive: its file name (under the storage URL's prefix).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backup/backup.hpp"
#include "storage/storage.hpp"

namespace gp {

// The key of an archive in a storage.
inline std::string archive_key(const ArchiveRecord& r) { return r.file; }

// [storage.<remote>], or gp::Error(Exit::config) naming the remote.
const StorageConfig& storage_config(const Config& config, const std::string& remote);

// The storage remote used to fetch archives on demand: `remote` when given (must be
// configured), else "origin" when configured, else the first [storage.*] by name;
// nullopt when none is configured.
std::optional<std::string> default_storage_remote(const Config& config, const std::optional<std::string>& remote);

struct UploadResult {
  std::vector<std::string> uploaded;  // archive file names sent and verified
  std::vector<std::string> skipped;   // already in storage (same size and sha256)
};

// Uploads every archive of `backups` that the storage does not hold yet (stat: same
// size and sha256 -> skipped), verifying each (put checks the sha256). Stops at the
// first failure: gp::Error naming the archive and the cause (Exit::remote,
// Exit::integrity, or Exit::bad_input when an archive is neither local nor stored).
UploadResult upload_archives(Storage& storage, const Store& store, const std::vector<Backup>& backups,
                             Progress& progress);

struct PushResult {
  UploadResult archives;
  std::vector<std::string> tags_pushed;  // full tag names
};

// Pushes refs/tags/<tag> for each tag to the git remote with libgit2 (no storage
// involved: for deploy tags). gp::Error(Exit::remote) when the push fails or a ref
// is rejected.
void push_tags(Repo& repo, const std::string& remote, const std::vector<std::string>& tags);

// gp::Error(Exit::config) unless the repository has a git remote of that name.
void check_git_remote(Repo& repo, const std::string& remote);

// `git pantheon push`: uploads the archives of `backups` to [storage.<remote>], then
// (only when all are stored) pushes their tags to the git remote with libgit2
// (refs/tags/<tag>:refs/tags/<tag>). Credentials: none for local paths; ssh through
// the ssh agent, https through libgit2's defaults (best effort). The caller holds
// the store lock (`lock`) from listing `backups` on, so that a concurrent prune
// removes neither a backup being pushed nor the archives being read.
PushResult push_backups(Repo& repo, const Config& config, const Store& store, const FileLock& lock,
                        const std::string& remote, const std::vector<Backup>& backups, Progress& progress,
                        const StorageOptions& options = {});

struct FetchResult {
  std::vector<std::string> tags;        // backup tags present locally after the fetch
  std::vector<std::string> downloaded;  // archive files downloaded (with archives)
};

// `git pantheon fetch`: fetches refs/tags/pantheon/backup/* from the git remote; with
// `archives`, downloads every archive that is missing locally from [storage.<remote>]
// (verified, published into the store under `lock`).
FetchResult fetch_backups(Repo& repo, const Config& config, const Store& store, const FileLock& lock,
                          const std::string& remote, bool archives, Progress& progress);

struct RemotePruneResult {
  std::vector<PruneDecision> decisions;  // every backup the remote holds (in --env), newest first
  std::vector<Backup> removed;           // their tags deleted on the git remote
  std::vector<std::string> objects;      // archives removed from the storage (after the tags)
  size_t unreadable = 0;                 // remote backup tags whose manifest cannot be read
};

// `backup prune --remote R`: the same rules as a local prune (plan_prune), applied
// to the backups the git remote holds (its refs/tags/pantheon/backup/*, fetched
// into refs/pantheon/remotes/<remote>/, removed again afterwards) with the
// remote's protection tags honoured beside this repository's. Order, so that a tag
// never outlives its archives: the tags are deleted on the git remote first (one
// push; a rejected deletion stops everything), then the archives of the removed
// backups that no remaining remote backup references are removed from
// [storage.<remote>]. A storage that fails then leaves unreferenced objects, never
// a tag without its archives; the error names them. Nothing local changes, except
// that the removed names are recorded as used. With `dry_run`, only reports.
RemotePruneResult prune_remote(Repo& repo, const Config& config, const Store& store, const FileLock& lock,
                               const std::string& remote, const PruneRequest& request, Progress& progress,
                               const StorageOptions& options = {});

// Makes `record` local: false when it already is, or when no storage is configured
// (then the caller's own "not in the local store" error stands); true once it was
// downloaded from the storage default_storage_remote(config, remote) names,
// verified, and renamed into the store. The caller holds the store lock.
bool ensure_local(const Store& store, const FileLock& lock, const Config& config, const ArchiveRecord& record,
                  const std::optional<std::string>& remote, Progress& progress);

// A presigned GET URL of `record` in [storage.<remote>] (s3:// only; file:// is
// gp::Error(Exit::bad_input)). The archive must be in that storage (Exit::bad_input
// with a push hint otherwise).
std::string presign_archive(const Config& config, const std::string& remote, const ArchiveRecord& record,
                            std::chrono::seconds expires);

// ---- pre-push hook ------------------------------------------------------------

// One line of what git gives a pre-push hook on stdin.
struct PushUpdate {
  std::string local_ref;   // "(delete)" for a deletion
  std::string local_oid;   // 40 (or 64) hex digits, all zeros for a deletion
  std::string remote_ref;
  std::string remote_oid;
  bool deletion() const;
};

// Parses git's pre-push stdin: lines "<local ref> SP <local oid> SP <remote ref> SP
// <remote oid>". Empty input is no update. Malformed line: gp::Error(Exit::bad_input)
// "malformed pre-push input line N: <why>".
std::vector<PushUpdate> parse_pre_push(std::string_view input);

// The backup tags being created or updated on the remote: remote refs under
// refs/tags/pantheon/backup/, deletions left out. Returns (tag name, local oid).
std::vector<std::pair<std::string, std::string>> pushed_backup_tags(const std::vector<PushUpdate>& updates);

// The pre-push hook: uploads the archives of every backup tag in `updates` to
// [storage.<remote>]. Opens nothing (no config, no storage) when no backup tag is
// being pushed. Errors as upload_archives; Exit::config when no storage is paired
// with `remote`.
UploadResult pre_push(Repo& repo, const std::string& remote, const std::vector<PushUpdate>& updates,
                      Progress& progress);

}  // namespace gp
