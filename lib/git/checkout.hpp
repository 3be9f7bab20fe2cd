#pragma once
// Moving work trees between commits through libgit2, never losing local work:
// checking a commit out into a new (or reset) branch of the current work tree,
// and placing a linked worktree (git worktree) at a commit with a detached HEAD.
#include <optional>
#include <string>

#include "git/repo.hpp"

namespace gp {

struct BranchCheckoutOptions {
  // Move an existing branch to the commit instead of refusing (git checkout -B).
  bool reset_existing = false;
  // Check out although the work tree has uncommitted changes: they are carried
  // over where they do not conflict (GIT_CHECKOUT_SAFE); a conflict refuses the
  // whole checkout and nothing changes.
  bool carry_local_changes = false;
  std::string reflog_message;  // e.g. "git-pantheon: checkout pantheon_live_3"
};

// Creates refs/heads/<branch> at `commit`, checks out its tree safely and points
// HEAD at it. Everything is checked before anything is written: an invalid branch
// name, a bare repository, uncommitted changes, an existing branch, a branch
// checked out in another worktree or a checkout conflict all throw
// gp::Error(bad_input) (not_repo for a bare repository) and change nothing.
// Returns true when an existing branch was reset, false when one was created.
bool checkout_new_branch(Repo& repo, const std::string& branch, const git_oid& commit,
                         const BranchCheckoutOptions& opts);

enum class WorktreeChange { created, updated, unchanged };

// Puts the linked worktree at `path` (absolute) on `commit` with a detached HEAD.
// Missing: created with git_worktree_add (named after the folder), then detached
// (a temporary branch is used for the add and deleted afterwards). Existing: its
// tree is checked out safely and its HEAD moved; local modifications of tracked
// files refuse with gp::Error(bad_input) unless `force`, which discards them.
// A path that exists and is not an empty folder nor a worktree of `repo` is
// refused with gp::Error(bad_input).
WorktreeChange place_worktree(Repo& repo, const fs::path& path, const git_oid& commit, bool force);

// The commit HEAD of the linked worktree at `path` is at; nullopt when there is
// no valid worktree of `repo` there or its HEAD has no commit.
std::optional<git_oid> worktree_head(Repo& repo, const fs::path& path);

// Throws what place_worktree() would refuse with before changing anything (a
// foreign path, local modifications without `force`), so callers can check first.
void check_worktree_placeable(Repo& repo, const fs::path& path, bool force);

}  // namespace gp
