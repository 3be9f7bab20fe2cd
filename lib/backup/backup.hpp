#pragma once
// Backups: create, find, verify, copy out, prune. A backup is a set of archives in
// the local store plus the annotated tag pantheon/backup/<env>/<stamp> whose message
// is the manifest (backup/manifest.hpp). The tag is written last, after every
// archive is complete, fsync'd and renamed into place: a tag always means a whole
// backup. Functions that write take a `const FileLock&` to prove that the caller
// holds the store lock (Store::lock()).
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "backup/manifest.hpp"
#include "config/config.hpp"
#include "git/repo.hpp"
#include "store/store.hpp"
#include "util/progress.hpp"

namespace gp {
// Backup tag -> why it is protected (see backup/protect.hpp).
using ProtectionMap = std::map<std::string, std::string>;
}

namespace gp {

// The elements `env` has: code, and its database and its files when it declares
// them (a code environment has code only), in that order.
std::vector<Element> env_elements(const EnvConfig& env);

// Unless `env` has element `e` (code it always has): gp::Error(bad_input)
// "<doing>: environment 'test' has no database (add database = ... under
// [env.test] in .pantheon.toml)" (without "<doing>: " when `doing` is empty),
// with `hint`.
void require_element(const EnvConfig& env, Element e, const std::string& doing = {}, const std::string& hint = {});

struct BackupRequest {
  std::string env;
  std::vector<Element> elements;                 // empty: env_elements() (every element the env has)
  std::optional<std::chrono::seconds> keep_for;  // default: config's keep_for (safety_keep_for for "safety")
  std::string initiator = "manual";              // manual | automated | commit | deploy | safety | clone
  std::optional<git_oid> commit;                 // default: the environment's code (see backup_commit)
  std::string schedule;                          // automated: "daily" | "weekly" (manifest `schedule`)
  std::string before_deploy;                     // deploy: the deploy tag about to be written
};

struct Backup {
  std::string tag;  // "pantheon/backup/live/2026-11-25T12-00-00"
  Manifest manifest;
};

// The commit whose code an environment runs: its latest deploy tag's commit, else
// its configured branch, else HEAD. `deploy_tag` receives the tag's name, if any.
git_oid backup_commit(const Repo& repo, const EnvConfig& env, std::string* deploy_tag);

// Removes the archives of backups that were killed after publishing archives but
// before writing their tag (their journals in the store's pending/), and the
// journals. Returns the number of archives removed. Run by create and prune.
size_t recover_interrupted_backups(const Repo& repo, const Store& store, const FileLock& lock);

// When a new backup of `env` wanted at `wanted` is made: `wanted` itself, unless
// the names its second gives (tag, archive file names) are taken, then the first
// later second whose names are free (same sub-second part). Taken: an existing
// tag, an archive in the local store, or a name in the store's record of names
// ever used (Store::used_names), so a name is never reused, not even after its
// backup was pruned. Deterministic; the caller holds the store lock.
TimePoint free_backup_time(const Repo& repo, const Store& store, const FileLock& lock, const std::string& site,
                           const std::string& env, TimePoint wanted);

// Makes a backup. An element the environment does not have is refused
// (require_element) before anything is written. Its names are recorded as used
// (Store::record_names) before any archive is written. On any failure (or interruption) nothing is left: no tag, and no
// archive of this backup in the store.
Backup create_backup(Repo& repo, const Config& config, const Store& store, const FileLock& lock,
                     const BackupRequest& request, Progress& progress);

// Every backup tag with a readable manifest, newest first (created time, then tag
// name). Tags whose manifest cannot be read are reported through `progress.warn`.
std::vector<Backup> list_backups(const Repo& repo, Progress& progress);
// The backups that `tags` (backup tags, wherever read from) name, newest first. A
// tag whose manifest cannot be read is warned about ("<error>: <fate>") and left
// out; `unreadable` (when given) counts them.
std::vector<Backup> backups_of(const std::vector<TagInfo>& tags, Progress& progress, const std::string& fate,
                               size_t* unreadable = nullptr);

// True for backups a person or a schedule made (manual, hook); false for the
// snapshots git-pantheon takes itself (safety, clone), which the short forms below
// skip: they are named by tag, and `restore --undo` finds safety backups.
bool user_backup(const Manifest& m);

// Resolves what a user typed: a full tag name, "pantheon/backup/..." or its
// "<env>/<stamp>" tail, "<env>@latest", "<env>@<YYYY-MM-DD>" (must be unique that
// day), "<env>@<YYYY-MM-DDTHH-MM-SS>". gp::Error(bad_input) when nothing or more
// than one backup matches, listing candidates; with `config`, the hint for an
// environment it does not declare says so (instead of a backup command that
// would fail the same way).
Backup resolve_backup(const Repo& repo, const std::string& spec, Progress& progress, const Config* config = nullptr);

// The newest user backup (see user_backup) of `env` holding `element` (nullopt: any).
std::optional<Backup> latest_backup(const Repo& repo, const std::string& env, std::optional<Element> element,
                                    Progress& progress);

// Brings an archive that is not in the local store into it (from a storage
// remote, see ensure_local in lib/remote); false when it cannot (no storage configured).
using ArchiveFetcher = std::function<bool(const ArchiveRecord&)>;

// The path of an archive in the store, fetched first through `fetch` when given
// and missing. gp::Error(Exit::bad_input) when it cannot be had.
fs::path ensure_in_store(const Store& store, const ArchiveRecord& record, const ArchiveFetcher* fetch = nullptr);

// Checks the size of an archive file against the record (a cheap first check for
// a reader that hashes as it goes). gp::Error(Exit::integrity) on a mismatch.
void check_archive_size(const fs::path& path, const ArchiveRecord& record);

// Checks an archive in the store (fetching it first through `fetch` when given and
// it is missing) against the record's size and sha256; returns its path.
// gp::Error(Exit::integrity) on a mismatch, Exit::bad_input when it cannot be had.
fs::path check_archive_hash(const Store& store, const ArchiveRecord& record, Progress& progress,
                            const ArchiveFetcher* fetch = nullptr);

// Re-reads an archive in the store: size and sha256 against the record, then
// decompresses and lists it. gp::Error(Exit::integrity) naming the file otherwise
// (Exit::bad_input when it is not in the local store at all and `fetch`, when
// given, cannot bring it).
void verify_archive(const Store& store, const ArchiveRecord& record, Progress& progress,
                    const ArchiveFetcher* fetch = nullptr);

// Copies an archive out of the store to `dest` (a file path), verifying size and
// sha256 while copying; the copy appears only when complete and verified. Refuses
// to replace an existing file unless `force`.
void copy_archive_out(const Store& store, const ArchiveRecord& record, const fs::path& dest, bool force,
                      Progress& progress, const ArchiveFetcher* fetch = nullptr);

// What prune decides for one backup: kept or removed, and why (every rule that
// keeps it; for a removed one, the rule that let it go).
struct PruneDecision {
  Backup backup;
  bool keep = true;
  std::vector<std::string> reasons;  // "protected by ...", "keep-daily", "keep-for until 2027-01-01", "expired ..."
};

struct PruneResult {
  std::vector<Backup> removed;        // backups removed (tags deleted, archives removed)
  std::vector<std::string> orphans;   // archives in the store that no tag references
  std::vector<PruneDecision> decisions;  // every backup considered (in --env), newest first
};

struct PruneRequest {
  TimePoint now{};
  bool dry_run = false;
  std::optional<std::string> env;              // only this environment's backups
  std::optional<RetentionPolicy> policy;       // --keep-* flags: replace every configured policy
  const RetentionConfig* retention = nullptr;  // [retention] (nullptr: no policy; the live-deploy rule on)
};

// Which backups stay (see lib/backup/prune.cpp and git-pantheon-backup(1)):
//   1. a protected backup (protect.hpp) always stays;
//   2. backups git-pantheon took itself (safety, clone), and every backup of an
//      environment without a policy, stay until their keep-for expires;
//   3. where a policy applies, it alone decides for the environment's other
//      backups, with restic's semantics (retention.hpp): keep-for does not
//      extend or shorten their life.
// `all` newest first. gp::Error(bad_input) when a policy would remove every backup
// of an environment that has some.
std::vector<PruneDecision> decide_prune(const std::vector<Backup>& all, const ProtectionMap& protections,
                                        const std::function<const RetentionPolicy&(const std::string& env)>& policy_for,
                                        TimePoint now);

// decide_prune for `all` (newest first) as `request` asks: its environment only, its
// policy or the configured ones, the protections of this repository (the
// live-deploy rule unless [retention] turns it off) plus `more` (a remote's).
std::vector<PruneDecision> plan_prune(const Repo& repo, const std::vector<Backup>& all, const ProtectionMap& more,
                                      const PruneRequest& request);

// The names (tag and archive files) of backups that are going away, to record as
// used (Store::record_names) before anything is removed.
std::vector<std::string> names_of(const std::vector<Backup>& backups);

// The archive files the backups of `all` that are not in `removed` reference.
std::set<std::string> archives_kept(const std::vector<Backup>& all, const std::vector<Backup>& removed);

// Removes the backups decide_prune lets go (tag first, then archives) and archives
// that no backup tag references. With `dry_run`, only reports.
PruneResult prune_backups(Repo& repo, const Store& store, const FileLock& lock, const PruneRequest& request,
                          Progress& progress);
// Keep-for only (no policy), as before policies existed.
PruneResult prune_backups(Repo& repo, const Store& store, const FileLock& lock, TimePoint now, bool dry_run,
                          std::optional<std::string> env, Progress& progress);

// Count-based retention for one kind of backup: keeps the newest `keep` backups of
// `env` whose initiator is `initiator` (e.g. "commit", the post-commit hook's) and
// removes the older ones, tag first, then their archives. Backups of any other
// initiator or environment, and protected backups, are never touched. Returns the removed backups.
std::vector<Backup> keep_newest_backups(Repo& repo, const Store& store, const FileLock& lock, const std::string& env,
                                        const std::string& initiator, size_t keep, Progress& progress);

}  // namespace gp
