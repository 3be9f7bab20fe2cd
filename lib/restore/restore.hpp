#pragma once
// Restoring a backup into an environment, safely:
//  1. every archive is checked before anything of the target changes: size and
//     sha256 against the manifest (loose files, which have none, are decompressed
//     in full); decoding errors surface during extraction or load, before the swap;
//  2. a safety backup of the target's current database and files is made (initiator
//     "safety") unless the caller opts out;
//  3. files are extracted securely into a new directory on the live one's file
//     system (the store's tmp/ when it is there, else beside the live one; never
//     where git status would show it), the target's regenerable folders are carried
//     over, and the two are exchanged with one renameat2(RENAME_EXCHANGE): the files
//     directory is at every instant wholly the old one or wholly the new one. The old
//     one is removed last, in the background.
//  4. the database is loaded by the engine's load(), which leaves the old content in
//     place when it fails (see lib/db);
//  5. code is restored into a new branch (never by moving a checked-out branch) at
//     the backup's commit, or at a loose code archive's HEAD; the archive's objects
//     (not its refs) are brought in first when this repository lacks them. Checked
//     in step 1 with the rest: archive complete, its .git usable and not shallow,
//     the commit there, the branch name valid and free.
// The caller holds the store lock.
#include <optional>
#include <string>
#include <vector>

#include "backup/backup.hpp"
#include "content/rewrite.hpp"

namespace gp {

// Where the archives come from: a backup in the store, or loose files.
struct RestoreSource {
  std::optional<Backup> backup;  // archives in the local store, checked against the manifest
  // Loose archives by element (no manifest: checked by decompressing them fully).
  std::vector<std::pair<Element, fs::path>> files;
  std::string label;  // for messages and the default branch name (loose: see source_from_files)
  // Leading components dropped from the files archive's entries: 1 for backups and
  // Pantheon's files_<env>/ archives, 0 for an archive of the directory's content.
  // A files "archive" that is a directory (already extracted securely, e.g. out of
  // a drush archive) is copied as it is.
  unsigned files_strip = 1;
  // The environment the content was taken from, when known: the backup's (its
  // manifest's env, when `env` is empty), or the env of a file named in Pantheon's
  // scheme. A database from another environment has that one's URLs rewritten
  // into the target's (RewriteRequest).
  std::string env;
};

// The environment named by a file in Pantheon's scheme
// (<site>_<env>_<YYYY-MM-DDTHH-MM-SS>_UTC_<element>...), or "".
std::string pantheon_file_env(const fs::path& file);

// 1 when every entry of the files archive lies under one top folder named like
// Pantheon's files_<env>/ (or files/), else 0. Reads names only.
unsigned detect_files_strip(const fs::path& archive);

// Classifies loose archive files by name (Pantheon's *_code.tar.gz,
// *_database.sql.gz, *_files.tar.gz, also *_files.zip/.tgz/.tar/.tar.zst, or
// .sql/.sql.gz/.sql.zst/... for a database), else, for a single file when one
// element is `requested`, as that element, else by content (a tar whose entries
// start with files_* or hold .git/). gp::Error(bad_input) for a file it cannot
// place (the hint names --element) or two files for one element.
// The label is "<env>/<stamp>" from a name in Pantheon's scheme, else the code
// archive's name without its extension, else "files".
RestoreSource source_from_files(const std::vector<fs::path>& files, const std::vector<Element>& requested = {});

// URL rewriting of a database restored into another environment than its own
// (lib/content): the source environment's `url`/`urls` become the target's, plus
// the extra pairs. Nothing happens when neither applies.
struct RewriteRequest {
  bool enabled = true;          // --no-rewrite: false (the extra pairs too)
  std::vector<UrlPair> extra;   // --rewrite FROM=TO, before the environments' own pairs
  bool guid = false;            // --rewrite-guid: also the guid column of *posts tables
};

// What the rewrite of a restored database did.
struct RewriteReport {
  std::string from_env;         // the source environment, when known
  std::vector<UrlPair> pairs;   // in effect; empty: nothing was rewritten
  RewriteStats stats;
  std::string note;             // why nothing was rewritten, when one side has URLs and the other none
};

struct RestoreRequest {
  std::string target_env;          // the environment to restore into
  std::vector<Element> elements;   // empty: every element the source has
  bool safety_backup = true;
  std::string branch;              // code: the branch to create (default restore/<label>)
  // Makes an archive missing from the local store local (the restore verb binds
  // lib/remote's ensure_local to its lock and --remote); null: a missing archive is
  // an error naming it.
  ArchiveFetcher fetch;
  RewriteRequest rewrite;
};

struct RestoreResult {
  std::vector<Element> restored;
  std::optional<Backup> safety;  // the safety backup made first
  std::string branch;            // code: the branch created (or the worktree updated)
  std::optional<RewriteReport> rewrite;  // set when the database was restored
};

// The pairs a restore of `source` into `target_env` rewrites (see RewriteRequest),
// with the source environment and the note, before anything is loaded.
// gp::Error(Exit::usage) for an invalid extra pair.
RewriteReport plan_rewrite(const Config& config, const RestoreSource& source, const std::string& target_env,
                           const RewriteRequest& request);

// What a restore would replace, for the confirmation prompt: one line per element.
std::vector<std::string> describe_restore(const Config& config, const fs::path& root, const RestoreSource& source,
                                          const RestoreRequest& request);

RestoreResult restore(Repo& repo, const Config& config, const Store& store, const FileLock& lock,
                      const RestoreSource& source, const RestoreRequest& request, Progress& progress);

// The newest safety backup of `env` (what `restore --undo` restores).
std::optional<Backup> latest_safety_backup(const Repo& repo, const std::string& env, Progress& progress);

// Atomically exchanges two paths on one file system (renameat2 RENAME_EXCHANGE);
// throws gp::Error when the file system cannot do it.
void exchange_paths(const fs::path& a, const fs::path& b);

}  // namespace gp
