#pragma once
// Shared pieces of both import strategies: building git trees from a sorted path
// map, and moving the current branch to a new commit together with the index
// and the work tree.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "git/repo.hpp"

namespace gp {

class PackWriter;

struct TreeLeaf {
  git_oid oid{};
  git_filemode_t mode = GIT_FILEMODE_BLOB;
};

// Writes the trees for `files` ('/'-separated paths -> blob and mode) bottom-up
// with one git_treebuilder per directory; returns the root tree. Directories
// exist only through the files under them (git has no empty directories).
// gp::Error(bad_input) when a path is both a file and a directory.
// With `pack`, the trees are serialised here (git's order: names compared
// bytewise, a directory's as if followed by '/') and added to that pack instead
// of being written as loose objects.
git_oid write_tree_from_paths(git_repository* repo, const std::map<std::string, TreeLeaf>& files,
                              const std::string& subject, PackWriter* pack = nullptr);

// Returns a copy of `base` (may be null: an empty tree) in which the directory
// at `parts` is replaced by the tree `subtree`.
git_oid graft_tree(git_repository* repo, const git_tree* base, const std::vector<std::string>& parts,
                   const git_oid& subtree);

// HEAD's state before an import: the ref HEAD points at (or "HEAD" when
// detached) and its commit (nullopt on an unborn branch).
struct HeadState {
  std::string ref_name;
  std::optional<git_oid> commit;
};
HeadState read_head(git_repository* repo);

// Makes `commit` the current branch's tip, with the index and work tree:
// checks the commit's tree out first (GIT_CHECKOUT_SAFE, or FORCE when `force`),
// and only then moves the branch, compare-and-swap against `head.commit`. A
// failed checkout leaves the branch where it was (a SAFE checkout refuses before
// writing anything when it meets a conflict); a failed branch update puts the old
// tree back in the work tree. So the branch never moves with a stale work tree.
void advance_head(git_repository* repo, const HeadState& head, const git_oid& commit, bool force,
                  const std::string& reflog_message);

// The last step of advance_head(), for callers that updated the index and work
// tree themselves: moves the branch to `commit` (compare-and-swap against
// `head.commit`); on failure checks the old commit out again (FORCE, with the new
// tree as baseline) and throws gp::Error(bad_input).
void move_branch(git_repository* repo, const HeadState& head, const git_oid& commit,
                 const std::string& reflog_message);

// A kill between the checkout and the branch update above would leave the branch
// at the old commit under the new commit's files (a dirty work tree that makes the
// next import refuse). advance_head therefore writes a journal
// (<common dir>/pantheon/head-move: ref, old commit, new commit) before the
// checkout and removes it after the branch moved. This finishes such a move: when
// the journal exists and the branch is still at the old commit, the new commit is
// checked out (FORCE: the journal proves the files are the import's own) and the
// branch moved. Returns a message for the user when it did something. Imports call
// it first, holding the store lock.
std::optional<std::string> finish_interrupted_head_move(git_repository* repo);

// That journal, for a move of HEAD's branch from head.commit to `to`: written by
// the constructor before the work tree changes, removed by the destructor (the
// branch moved, or the old tree is back; a kill leaves it).
class HeadMoveJournal {
 public:
  HeadMoveJournal(git_repository* repo, const HeadState& head, const git_oid& to);
  ~HeadMoveJournal();
  HeadMoveJournal(const HeadMoveJournal&) = delete;
  HeadMoveJournal& operator=(const HeadMoveJournal&) = delete;

 private:
  fs::path path_;
};

}  // namespace gp
