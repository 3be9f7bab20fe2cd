#pragma once
// The repository, through libgit2. Owns the git_repository and offers what the
// commands need: resolving revisions, annotated tags, refs by prefix, status.
// libgit2 is initialised once per process by GitLibrary (see main()).
#include <git2.h>

#include <optional>
#include <string>
#include <vector>

#include "util/fs.hpp"
#include "util/git_handles.hpp"

namespace gp {

// Initialises libgit2 for the lifetime of the object. Its object cache is held to
// 1 MiB of object data (libgit2's default allows 256 MiB, and what it counts is
// the raw size: a parsed tree takes about six times that). A walk over a Drupal
// tree of 47,000 files otherwise kept ~15 MB of trees it never read again.
class GitLibrary {
 public:
  GitLibrary() {
    git_libgit2_init();
    git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, static_cast<ssize_t>(1) << 20);
    git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_TREE, static_cast<size_t>(0));
  }
  ~GitLibrary() { git_libgit2_shutdown(); }
  GitLibrary(const GitLibrary&) = delete;
  GitLibrary& operator=(const GitLibrary&) = delete;
};

std::string oid_hex(const git_oid& oid);

struct TagInfo {
  std::string name;     // short name, e.g. "pantheon_live_3"
  git_oid tag_oid{};    // the tag object (annotated) or the commit (lightweight)
  git_oid target{};     // the commit it finally points at
  bool annotated = false;
  std::string message;  // annotated tags only
  std::string tagger;   // "Name <email>"
  int64_t time = 0;     // tagger time (annotated) or commit time
};

class Repo {
 public:
  // Opens the repository containing `start` (searching upward like git).
  // Throws gp::Error(Exit::not_repo) when there is none.
  static Repo discover(const fs::path& start);
  static Repo open(const fs::path& path);

  git_repository* get() const noexcept { return repo_.get(); }
  // The work tree root (empty for a bare repository).
  fs::path workdir() const;
  // The common git directory (shared by linked worktrees): where the store lives.
  fs::path common_dir() const;
  bool is_bare() const;

  // Resolves a revision to a commit; nullopt when it does not exist or is not a commit.
  std::optional<git_oid> resolve_commit(const std::string& rev) const;
  // HEAD's commit; gp::Error(bad_input) on an unborn branch.
  git_oid head_commit() const;
  // The short name of the branch HEAD points at, or nullopt when detached/unborn.
  std::optional<std::string> head_branch() const;

  // True when the work tree or index differ from HEAD (untracked files ignored
  // unless `include_untracked`).
  bool is_dirty(bool include_untracked = false) const;

  // Every tag whose name starts with `prefix` (short names, without "refs/tags/").
  std::vector<TagInfo> tags(const std::string& prefix = "") const;
  std::optional<TagInfo> tag(const std::string& name) const;
  // Every direct ref under `ref_prefix` (e.g. "refs/pantheon/remotes/origin/"), read
  // as tags are; TagInfo::name is the part after the prefix.
  std::vector<TagInfo> refs_under(const std::string& ref_prefix) const;
  // Deletes every ref under `ref_prefix`.
  void delete_refs_under(const std::string& ref_prefix);

  // Creates an annotated tag; gp::Error(bad_input) when it already exists.
  git_oid create_annotated_tag(const std::string& name, const git_oid& target, const std::string& message);
  // Creates an annotated tag pointing at any object (e.g. another tag object);
  // gp::Error(bad_input) when it already exists.
  git_oid create_annotated_tag_on_object(const std::string& name, const git_oid& object, const std::string& message);
  // Deletes refs/tags/<name>; false when it did not exist.
  bool delete_tag(const std::string& name);

  // The signature for tags: user.name/user.email from git config, else a default.
  GitSignature signature() const;

 private:
  // An annotated tag `name` on `object`, which must be of `type` (GIT_OBJECT_ANY: any).
  git_oid tag_object(const std::string& name, const git_oid& object, git_object_t type, const std::string& message);
  explicit Repo(GitRepository r) : repo_(std::move(r)) {}
  GitRepository repo_;
};

// When `dir` lies in a git work tree (of whatever repository git would find from
// `dir`), makes sure that the entry `sample` of `dir` is ignored there: when it is
// not, `patterns` are appended to that repository's info/exclude under the comment
// line `marker` (once). So that what a program keeps there for a while never shows
// in `git status` nor is taken by `git add -A`. Returns true when `dir` is in a
// work tree.
bool ignore_in_work_tree(const fs::path& dir, const std::string& sample, const std::vector<std::string>& patterns,
                         const std::string& marker);

}  // namespace gp
