#include "git/checkout.hpp"

#include <unistd.h>

#include <cctype>
#include <vector>

namespace gp {

namespace {

GitTree commit_tree(git_repository* repo, const git_oid& commit) {
  git_commit* c = nullptr;
  git_check(git_commit_lookup(&c, repo, &commit), "cannot read commit " + oid_hex(commit), Exit::bad_input);
  GitCommit owned(c);
  git_tree* t = nullptr;
  git_check(git_commit_tree(&t, owned.get()), "cannot read the tree of commit " + oid_hex(commit));
  return GitTree(t);
}

// Paths of tracked files with staged or unstaged changes (untracked files ignored).
std::vector<std::string> tracked_changes(git_repository* repo) {
  git_status_options opts = GIT_STATUS_OPTIONS_INIT;
  opts.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
  opts.flags = GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
  git_status_list* list = nullptr;
  git_check(git_status_list_new(&list, repo, &opts), "cannot read the work tree status");
  GitStatusList l(list);
  std::vector<std::string> out;
  size_t n = git_status_list_entrycount(l.get());
  for (size_t i = 0; i < n; ++i) {
    const git_status_entry* e = git_status_byindex(l.get(), i);
    const git_diff_delta* d = e->index_to_workdir ? e->index_to_workdir : e->head_to_index;
    const char* path = d ? (d->new_file.path ? d->new_file.path : d->old_file.path) : nullptr;
    out.push_back(path ? path : "?");
  }
  return out;
}

// "'a.txt'", "'a.txt' and 2 more".
std::string name_paths(const std::vector<std::string>& paths) {
  std::string s = "'" + paths.front() + "'";
  if (paths.size() > 1) s += " and " + std::to_string(paths.size() - 1) + " more";
  return s;
}

// Checks `tree` out into `repo`'s work tree and index, SAFE (refuses to
// overwrite local changes) or FORCE.
void checkout_tree(git_repository* repo, const GitTree& tree, bool force, const std::string& what) {
  git_checkout_options co = GIT_CHECKOUT_OPTIONS_INIT;
  co.checkout_strategy = force ? GIT_CHECKOUT_FORCE : GIT_CHECKOUT_SAFE;
  int rc = git_checkout_tree(repo, reinterpret_cast<const git_object*>(tree.get()), &co);
  if (rc == GIT_ECONFLICT || rc == GIT_EMERGECONFLICT)
    fail(Exit::bad_input, describe("your local changes would be overwritten by checkout of", what, git_last_error()),
         "commit or stash them first");
  git_check(rc, "cannot check out '" + what + "'");
}

fs::path normal(const fs::path& p) {
  std::error_code ec;
  fs::path c = fs::weakly_canonical(p, ec);
  return (ec ? p : c).lexically_normal();
}

bool same_path(const fs::path& a, const fs::path& b) {
  fs::path x = normal(a), y = normal(b);
  if (!x.has_filename()) x = x.parent_path();
  if (!y.has_filename()) y = y.parent_path();
  return x == y;
}

// The linked worktree of `repo` whose folder is `path`, if any.
GitWorktree find_worktree(git_repository* repo, const fs::path& path) {
  git_strarray names{};
  git_check(git_worktree_list(&names, repo), "cannot list worktrees");
  GitWorktree found;
  for (size_t i = 0; i < names.count && !found; ++i) {
    git_worktree* wt = nullptr;
    if (git_worktree_lookup(&wt, repo, names.strings[i]) != 0) continue;
    GitWorktree w(wt);
    const char* p = git_worktree_path(w.get());
    if (p && same_path(p, path)) found = std::move(w);
  }
  git_strarray_dispose(&names);
  return found;
}

bool name_taken(git_repository* repo, const std::string& name) {
  git_worktree* wt = nullptr;
  if (git_worktree_lookup(&wt, repo, name.c_str()) != 0) return false;
  git_worktree_free(wt);
  return true;
}

// Deletes a branch on scope exit unless it is gone already.
class TempBranch {
 public:
  TempBranch(git_repository* repo, std::string name) : repo_(repo), name_(std::move(name)) {}
  ~TempBranch() {
    git_reference* ref = nullptr;
    if (git_branch_lookup(&ref, repo_, name_.c_str(), GIT_BRANCH_LOCAL) == 0) {
      git_branch_delete(ref);
      git_reference_free(ref);
    }
  }
  TempBranch(const TempBranch&) = delete;
  TempBranch& operator=(const TempBranch&) = delete;

 private:
  git_repository* repo_;
  std::string name_;
};

void refuse_foreign_path(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(path, ec))) return;
  if (fs::is_symlink(fs::symlink_status(path, ec)) || !fs::is_directory(path, ec) || !fs::is_empty(path, ec))
    fail(Exit::bad_input,
         describe("cannot create worktree", path.string(), "it exists and is not a worktree of this repository"),
         "remove it, or point 'worktree' in .pantheon.toml elsewhere");
}

void refuse_dirty(git_repository* wrepo, const fs::path& path) {
  auto changed = tracked_changes(wrepo);
  if (!changed.empty())
    fail(Exit::bad_input,
         describe("cannot update worktree", path.string(), "it has local modifications to " + name_paths(changed)),
         "commit or discard them there, or use --force to discard them");
}

WorktreeChange add_worktree(Repo& repo, const fs::path& path, const git_oid& commit) {
  std::error_code ec;
  refuse_foreign_path(path);
  if (fs::exists(fs::symlink_status(path, ec))) fs::remove(path, ec);
  if (path.has_parent_path()) fs::create_directories(path.parent_path(), ec);

  // Named after the folder, like `git worktree add`, made unique among the admin folders.
  std::string base = path.filename().string();
  for (char& ch : base)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_' && ch != '.') ch = '-';
  if (base.empty() || base[0] == '.') base = "wt" + base;
  std::string name = base;
  for (int n = 1; name_taken(repo.get(), name); ++n) name = base + std::to_string(n);

  // git_worktree_add only checks out branches: add on a temporary branch at the
  // commit, then detach the new worktree's HEAD and delete the branch.
  std::string temp = "git-pantheon-worktree-" + std::to_string(::getpid());
  git_commit* c = nullptr;
  git_check(git_commit_lookup(&c, repo.get(), &commit), "cannot read commit " + oid_hex(commit));
  GitCommit owned(c);
  git_reference* bref = nullptr;
  git_check(git_branch_create(&bref, repo.get(), temp.c_str(), owned.get(), 1), "cannot create a temporary branch");
  GitReference branch(bref);
  TempBranch cleanup(repo.get(), temp);

  git_worktree_add_options opts = GIT_WORKTREE_ADD_OPTIONS_INIT;
  opts.ref = branch.get();
  opts.checkout_options.checkout_strategy = GIT_CHECKOUT_FORCE;
  git_worktree* wt = nullptr;
  git_check(git_worktree_add(&wt, repo.get(), name.c_str(), path.c_str(), &opts),
            "cannot create worktree '" + path.string() + "'");
  GitWorktree w(wt);
  git_repository* wr = nullptr;
  git_check(git_repository_open_from_worktree(&wr, w.get()), "cannot open worktree '" + path.string() + "'");
  GitRepository wrepo(wr);
  git_check(git_repository_set_head_detached(wrepo.get(), &commit),
            "cannot detach HEAD of worktree '" + path.string() + "'");
  return WorktreeChange::created;
}

}  // namespace

bool checkout_new_branch(Repo& repo, const std::string& branch, const git_oid& commit,
                         const BranchCheckoutOptions& opts) {
  const std::string refname = "refs/heads/" + branch;
  if (git_reference_is_valid_name(refname.c_str()) != 1)
    fail(Exit::bad_input, describe("not a valid branch name", branch));
  if (repo.is_bare()) fail(Exit::not_repo, "this operation must be run in a work tree, not a bare repository");

  git_reference* existing = nullptr;
  bool exists = git_reference_lookup(&existing, repo.get(), refname.c_str()) == 0;
  GitReference existing_ref(existing);
  if (exists && !opts.reset_existing)
    fail(Exit::bad_input, describe("a branch named", branch, "it already exists"),
         "choose another name with -b, or use --force to reset it");
  auto head = repo.head_branch();
  bool is_head = head && *head == branch;
  if (exists && !is_head && git_branch_is_checked_out(existing_ref.get()) == 1)
    fail(Exit::bad_input, describe("cannot reset branch", branch, "it is checked out in another worktree"));
  if (!opts.carry_local_changes) {
    auto changed = tracked_changes(repo.get());
    if (!changed.empty())
      fail(Exit::bad_input, "your local changes to " + name_paths(changed) + " would be overwritten by checkout",
           "commit your changes or stash them before you switch branches "
           "(--force carries them over where they do not conflict)");
  }

  GitTree tree = commit_tree(repo.get(), commit);
  checkout_tree(repo.get(), tree, /*force=*/false, branch);

  std::string log = opts.reflog_message.empty() ? "git-pantheon: checkout " + branch : opts.reflog_message;
  git_reference* ref = nullptr;
  git_check(git_reference_create(&ref, repo.get(), refname.c_str(), &commit, exists ? 1 : 0, log.c_str()),
            "cannot create branch '" + branch + "'", Exit::bad_input);
  GitReference created(ref);
  git_check(git_repository_set_head(repo.get(), refname.c_str()), "cannot point HEAD at '" + branch + "'");
  return exists;
}

WorktreeChange place_worktree(Repo& repo, const fs::path& path, const git_oid& commit, bool force) {
  GitWorktree wt = find_worktree(repo.get(), path);
  if (wt && git_worktree_validate(wt.get()) != 0) {
    // Its folder is gone: forget it, as `git worktree prune` would, and add it afresh.
    git_worktree_prune_options po = GIT_WORKTREE_PRUNE_OPTIONS_INIT;
    po.flags = GIT_WORKTREE_PRUNE_VALID;
    git_check(git_worktree_prune(wt.get(), &po), "cannot prune worktree '" + path.string() + "'");
    wt.reset();
  }
  if (!wt) return add_worktree(repo, path, commit);

  git_repository* wr = nullptr;
  git_check(git_repository_open_from_worktree(&wr, wt.get()), "cannot open worktree '" + path.string() + "'");
  GitRepository wrepo(wr);
  bool dirty = !tracked_changes(wrepo.get()).empty();
  if (dirty && !force) refuse_dirty(wrepo.get(), path);
  git_reference* href = nullptr;
  bool detached_there = false;
  if (git_repository_head(&href, wrepo.get()) == 0) {
    GitReference h(href);
    const git_oid* cur = git_reference_target(h.get());
    detached_there = git_repository_head_detached(wrepo.get()) == 1 && cur && git_oid_equal(cur, &commit);
  }
  if (detached_there && !dirty) return WorktreeChange::unchanged;
  GitTree tree = commit_tree(wrepo.get(), commit);
  checkout_tree(wrepo.get(), tree, force, path.string());
  git_check(git_repository_set_head_detached(wrepo.get(), &commit),
            "cannot move HEAD of worktree '" + path.string() + "'");
  return WorktreeChange::updated;
}

void check_worktree_placeable(Repo& repo, const fs::path& path, bool force) {
  GitWorktree wt = find_worktree(repo.get(), path);
  if (!wt || git_worktree_validate(wt.get()) != 0) {
    refuse_foreign_path(path);
    return;
  }
  if (force) return;
  git_repository* wr = nullptr;
  git_check(git_repository_open_from_worktree(&wr, wt.get()), "cannot open worktree '" + path.string() + "'");
  GitRepository wrepo(wr);
  refuse_dirty(wrepo.get(), path);
}

std::optional<git_oid> worktree_head(Repo& repo, const fs::path& path) {
  GitWorktree wt = find_worktree(repo.get(), path);
  if (!wt || git_worktree_validate(wt.get()) != 0) return std::nullopt;
  git_repository* wr = nullptr;
  if (git_repository_open_from_worktree(&wr, wt.get()) != 0) return std::nullopt;
  GitRepository wrepo(wr);
  git_oid oid;
  if (git_reference_name_to_id(&oid, wrepo.get(), "HEAD") != 0) return std::nullopt;
  return oid;
}

}  // namespace gp
