#pragma once
// The post-commit hook: after a commit on a branch listed in [hooks.post-commit]
// of .pantheon.toml, a quick backup (database, optionally files; never code: the
// commit is the code) of the configured environment, tied to the new commit
// (initiator "commit"), then the hook's own count-based retention. It never makes
// a commit fail: the verb turns every error into one warning line and exits 0.
#include <optional>
#include <string>
#include <vector>

#include "backup/backup.hpp"

namespace gp {

inline constexpr const char* kCommitInitiator = "commit";

// Why the hook does nothing while git is replaying commits: a rebase (merge or
// apply backend), `git am`, or a multi-commit cherry-pick/revert sequence. Each
// replayed commit would otherwise take a backup of content that has nothing to do
// with it. nullopt when no such operation is in progress.
std::optional<std::string> replay_in_progress(const Repo& repo);

struct PostCommitResult {
  std::string skipped;           // why no backup was made ("" when one was)
  std::optional<Backup> backup;  // the backup made
  std::vector<Backup> pruned;    // older "commit" backups removed by `keep`
};

// Runs the hook for the commit HEAD now points at. Skips (cheaply, before opening
// anything else) on a detached HEAD, during a replay, without a configuration,
// and on branches [hooks.post-commit] does not list. Waits at most `lock_wait` for
// the store lock (Exit::locked after that). Errors as create_backup.
PostCommitResult post_commit(Repo& repo, Progress& progress,
                             std::chrono::milliseconds lock_wait = std::chrono::seconds(5));

}  // namespace gp
