#include "hooks/post_commit.hpp"

namespace gp {

std::optional<std::string> replay_in_progress(const Repo& repo) {
  switch (git_repository_state(repo.get())) {
    case GIT_REPOSITORY_STATE_REBASE:
    case GIT_REPOSITORY_STATE_REBASE_INTERACTIVE:
    case GIT_REPOSITORY_STATE_REBASE_MERGE:
      return "a rebase is in progress";
    case GIT_REPOSITORY_STATE_APPLY_MAILBOX:
    case GIT_REPOSITORY_STATE_APPLY_MAILBOX_OR_REBASE:
      return "a rebase or 'git am' is in progress";
    case GIT_REPOSITORY_STATE_CHERRYPICK_SEQUENCE:
      return "a cherry-pick sequence is in progress";
    case GIT_REPOSITORY_STATE_REVERT_SEQUENCE:
      return "a revert sequence is in progress";
    default:
      break;
  }
  // libgit2 reports a sequence only while a pick stopped on a conflict; git keeps
  // sequencer/ for the whole of a multi-commit cherry-pick or revert.
  std::error_code ec;
  if (fs::is_directory(fs::path(git_repository_path(repo.get())) / "sequencer", ec))
    return "a cherry-pick or revert sequence is in progress";
  return std::nullopt;
}

PostCommitResult post_commit(Repo& repo, Progress& progress, std::chrono::milliseconds lock_wait) {
  PostCommitResult r;
  if (repo.is_bare()) {
    r.skipped = "bare repository";
    return r;
  }
  if (auto why = replay_in_progress(repo)) {
    r.skipped = *why;
    return r;
  }
  auto branch = repo.head_branch();
  if (!branch) {
    r.skipped = "HEAD is not on a branch";
    return r;
  }
  std::error_code ec;
  if (!fs::exists(repo.workdir() / kConfigFileName, ec)) {
    r.skipped = "no configuration";
    return r;
  }
  Config config = load_config(repo.workdir());
  if (!config.post_commit) {
    r.skipped = "no [hooks.post-commit] in " + std::string(kConfigFileName);
    return r;
  }
  const PostCommitConfig& pc = *config.post_commit;
  if (!pc.matches(*branch)) {
    r.skipped = "branch '" + *branch + "' is not listed in [hooks.post-commit]";
    return r;
  }
  BackupRequest req;
  req.env = pc.env;
  req.elements.clear();
  if (pc.database) req.elements.push_back(Element::database);
  if (pc.files) req.elements.push_back(Element::files);
  req.initiator = kCommitInitiator;
  req.commit = repo.head_commit();
  Store store(repo);
  auto lock = store.lock(lock_wait);
  r.backup = create_backup(repo, config, store, lock, req, progress);
  r.pruned = keep_newest_backups(repo, store, lock, pc.env, kCommitInitiator, static_cast<size_t>(pc.keep), progress);
  return r;
}

}  // namespace gp
