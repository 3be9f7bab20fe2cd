#pragma once
// `git pantheon import code <source> --merge-history`: brings another repository's
// history in and joins it to the current branch with one merge commit, the way
// `git merge --allow-unrelated-histories` would. The source is a local repository
// (work tree or bare), or a Pantheon-style code archive (a tar of a work tree with
// its .git/), whose .git/ alone is extracted into the store's tmp/ to fetch from.
// Git bundles are refused: libgit2 cannot read them and git is used only through
// libgit2 here.
#include <string>
#include <vector>

#include "git/repo.hpp"
#include "store/store.hpp"
#include "util/progress.hpp"

namespace gp {

struct MergeHistoryOptions {
  std::string source;                    // archive, repository path
  std::string tag_prefix = "imported/";  // source tags land under refs/tags/<prefix>
  std::string message;                   // empty: "Merge history of <source name>"
  bool force = false;                    // accept a dirty work tree
  bool lock_held = false;                // the caller holds the store lock (a downloaded source)
};

struct MergeHistoryResult {
  git_oid source_commit{};              // the source's HEAD
  std::optional<git_oid> merge_commit;  // set when the merge was committed
  bool fast_forward = false;            // the branch was unborn: it now is the source's history
  std::vector<std::string> tags;        // imported tag names (with the prefix)
  std::vector<std::string> conflicts;   // paths left in conflict (nothing committed then)
};

// Fetches the source's branches (into temporary refs/pantheon-import/<id>/, removed
// at the end) and tags (into refs/tags/<prefix>), then merges the source's HEAD.
// Without conflicts: a merge commit with two parents, checked out. With
// conflicts: the state `git merge` leaves (MERGE_HEAD, MERGE_MSG, a conflicted
// index, conflict markers in the work tree), and the conflicting paths in
// `conflicts`; nothing is resolved silently. Takes the store lock (unless
// `lock_held`).
// gp::Error(bad_input): dirty work tree, a source without history (hint:
// --squash), a shallow clone (or an archive of one), a bundle, an unusable repository; gp::Error(nothing_to_do) when the
// source's HEAD is already in the current branch.
MergeHistoryResult import_merge_history(Repo& repo, const Store& store, const MergeHistoryOptions& opts,
                                        Progress& progress);


}  // namespace gp
