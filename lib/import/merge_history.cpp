#include "import/merge_history.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>

#include "archive/git_dir.hpp"
#include "archive/reader.hpp"
#include "import/paths.hpp"
#include "import/tree.hpp"
#include "util/signals.hpp"

namespace gp {

namespace {

// Removes refs/pantheon-import/<id>/ whatever happens.
class TempRefs {
 public:
  TempRefs(git_repository* repo, std::string prefix) : repo_(repo), prefix_(std::move(prefix)) {}
  ~TempRefs() {
    git_reference_iterator* it = nullptr;
    if (git_reference_iterator_glob_new(&it, repo_, (prefix_ + "*").c_str()) != 0) return;
    GitReferenceIterator iter(it);
    std::vector<std::string> names;
    const char* name = nullptr;
    while (git_reference_next_name(&name, it) == 0) names.emplace_back(name);
    for (auto& n : names) git_reference_remove(repo_, n.c_str());
  }
  TempRefs(const TempRefs&) = delete;
  TempRefs& operator=(const TempRefs&) = delete;

 private:
  git_repository* repo_;
  std::string prefix_;
};

bool is_bundle(const fs::path& p) {
  Fd fd = open_file(p, O_RDONLY);
  char head[20] = {};
  size_t n = read_some(fd.get(), head, sizeof head, p.string());
  std::string s(head, n);
  return s.rfind("# v2 git bundle", 0) == 0 || s.rfind("# v3 git bundle", 0) == 0;
}

GitCommit lookup_commit(git_repository* repo, const git_oid& oid) {
  git_commit* c = nullptr;
  git_check(git_commit_lookup(&c, repo, &oid), "cannot read commit " + oid_hex(oid));
  return GitCommit(c);
}

std::string display_name(const std::string& source) {
  fs::path p(source);
  while (!p.empty() && p.filename().empty()) p = p.parent_path();
  return p.filename().string();
}

}  // namespace

MergeHistoryResult import_merge_history(Repo& repo, const Store& store, const MergeHistoryOptions& opts,
                                        Progress& progress) {
  git_repository* r = repo.get();
  if (repo.is_bare()) throw Error(Exit::bad_input, "cannot import into a bare repository", "run it in a work tree");
  std::string probe = "refs/tags/" + opts.tag_prefix + "x";
  int valid = 0;
  if (git_reference_name_is_valid(&valid, probe.c_str()) < 0 || !valid)
    throw Error(Exit::usage, describe("invalid --tag-prefix", opts.tag_prefix, "tags would not be valid ref names"));
  fs::path source = fs::absolute(opts.source);
  std::error_code ec;
  if (!fs::exists(source, ec))
    throw Error(Exit::bad_input, describe("cannot import", opts.source, "no such file or directory"));

  std::optional<FileLock> lock;
  if (!opts.lock_held) lock.emplace(store.lock());
  if (auto done = finish_interrupted_head_move(repo.get())) progress.warn(*done);
  if (!opts.force && repo.is_dirty())
    throw Error(Exit::bad_input, "cannot import: the work tree has uncommitted changes",
                "commit or stash them first, or add --force");

  std::optional<TempDir> scratch;
  fs::path url;
  if (fs::is_directory(source)) {
    url = source;
  } else if (is_bundle(source)) {
    throw Error(Exit::bad_input, describe("cannot import git bundle", opts.source, "bundles are not supported"),
                "clone it first ('git clone <bundle> <dir>') and import the directory");
  } else {
    scratch.emplace(store.tmp_dir(), "import-");
    url = scratch->path() / "git";
    if (!extract_git_dir(source, url, progress))
      throw Error(Exit::bad_input, describe("archive", opts.source, "carries no git history (no .git directory)"),
                  "use --squash to import its files as one commit");
  }
  git_repository* src_raw = nullptr;
  if (git_repository_open_ext(&src_raw, url.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr) != 0)
    throw Error(Exit::bad_input,
                describe("cannot import", opts.source, "not a usable git repository: " + git_last_error()),
                scratch ? "" : "history comes from a git repository or a code archive with its .git directory");
  GitRepository src(src_raw);
  // A shallow clone lacks the parents of its oldest commits: libgit2 cannot fetch
  // from it ("object not found"), and a merge would join half a history.
  if (git_repository_is_shallow(src.get()) == 1)
    throw Error(Exit::bad_input,
                describe("cannot import", opts.source,
                         std::string(scratch ? "the archive's repository" : "it") +
                             " is a shallow clone (its history is incomplete)"),
                scratch ? "make the archive from a whole clone ('git fetch --unshallow' there), or import its files "
                          "as one commit with --squash"
                        : "run 'git fetch --unshallow' in it first, or import its files as one commit with --squash");
  git_oid src_head;
  if (git_reference_name_to_id(&src_head, src.get(), "HEAD") != 0)
    throw Error(Exit::bad_input, describe("cannot import", opts.source, "its HEAD has no commit"));
  MergeHistoryResult res;
  res.source_commit = src_head;

  // Fetch everything into temporary refs; tags under the prefix. An anonymous
  // remote: nothing is written to .git/config, so nothing is left if we die.
  auto now = std::chrono::system_clock::now().time_since_epoch().count();
  std::string id = std::to_string(::getpid()) + "-" + std::to_string(now);
  std::string tmp_prefix = "refs/pantheon-import/" + id + "/";
  TempRefs cleanup(r, tmp_prefix);
  git_remote* rem = nullptr;
  git_check(git_remote_create_anonymous(&rem, r, url.c_str()), "cannot read repository '" + opts.source + "'",
            Exit::bad_input);
  GitRemote remote(rem);
  std::string heads = "+refs/heads/*:" + tmp_prefix + "heads/*";
  std::string tags = "+refs/tags/*:refs/tags/" + opts.tag_prefix + "*";
  const char* specs[] = {heads.c_str(), tags.c_str()};
  git_strarray refspecs{const_cast<char**>(specs), 2};
  git_fetch_options fo = GIT_FETCH_OPTIONS_INIT;
  fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;  // only through our refspec, never under the original names
  progress.start("fetching history", 0);
  git_check(
      git_remote_fetch(remote.get(), &refspecs, &fo, ("pantheon import: fetch " + display_name(opts.source)).c_str()),
      "cannot fetch from '" + opts.source + "'", Exit::bad_input);
  progress.finish();
  git_odb* odb_raw = nullptr;
  git_check(git_repository_odb(&odb_raw, r), "cannot open the object database");
  GitOdb odb(odb_raw);
  if (!git_odb_exists(odb.get(), &src_head))
    throw Error(Exit::bad_input, describe("cannot import", opts.source, "its HEAD is not on a branch"),
                "check out a branch in the source first");
  git_strarray tag_names{};
  if (git_tag_list(&tag_names, src.get()) == 0) {
    for (size_t i = 0; i < tag_names.count; ++i) res.tags.push_back(opts.tag_prefix + tag_names.strings[i]);
    git_strarray_dispose(&tag_names);
  }

  HeadState head = read_head(r);
  std::string msg = opts.message.empty() ? "Merge history of " + display_name(opts.source) : opts.message;
  while (!msg.empty() && msg.back() == '\n') msg.pop_back();
  msg += "\n";
  std::string reflog = "pantheon import: merge history of " + display_name(opts.source);
  if (!head.commit) {
    // Unborn branch: the source's history simply becomes the branch.
    advance_head(r, head, src_head, opts.force, reflog);
    res.fast_forward = true;
    return res;
  }
  if (git_oid_equal(&*head.commit, &src_head) || git_graph_descendant_of(r, &*head.commit, &src_head) == 1)
    throw Error(Exit::nothing_to_do, describe("nothing to import from", opts.source, "its history is already merged"));

  GitCommit ours = lookup_commit(r, *head.commit);
  GitCommit theirs = lookup_commit(r, src_head);
  git_merge_options mo = GIT_MERGE_OPTIONS_INIT;
  git_index* idx_raw = nullptr;
  // No merge base: libgit2 merges the two trees against an empty ancestor.
  git_check(git_merge_commits(&idx_raw, r, ours.get(), theirs.get(), &mo), "cannot merge the histories");
  GitIndex idx(idx_raw);
  if (!git_index_has_conflicts(idx.get())) {
    git_oid tree_oid;
    git_check(git_index_write_tree_to(&tree_oid, idx.get(), r), "cannot write the merged tree");
    git_tree* t = nullptr;
    git_check(git_tree_lookup(&t, r, &tree_oid), "cannot read the merged tree");
    GitTree tree(t);
    GitSignature sig = repo.signature();
    const git_commit* parents[2] = {ours.get(), theirs.get()};
    git_oid merge;
    git_check(git_commit_create(&merge, r, nullptr, sig.get(), sig.get(), nullptr, msg.c_str(), tree.get(), 2, parents),
              "cannot write the merge commit");
    advance_head(r, head, merge, opts.force, reflog);
    res.merge_commit = merge;
    return res;
  }

  // Conflicts: leave what `git merge` leaves, for the user to resolve and commit.
  git_index_conflict_iterator* ci_raw = nullptr;
  git_check(git_index_conflict_iterator_new(&ci_raw, idx.get()), "cannot list conflicts");
  {
    std::unique_ptr<git_index_conflict_iterator, Deleter<git_index_conflict_iterator_free>> ci(ci_raw);
    const git_index_entry *anc = nullptr, *our = nullptr, *their = nullptr;
    while (git_index_conflict_next(&anc, &our, &their, ci.get()) == 0) {
      const git_index_entry* any = our ? our : their ? their : anc;
      res.conflicts.emplace_back(any->path);
    }
  }
  git_annotated_commit* ac_raw = nullptr;
  git_check(git_annotated_commit_lookup(&ac_raw, r, &src_head), "cannot read commit " + oid_hex(src_head));
  std::unique_ptr<git_annotated_commit, Deleter<git_annotated_commit_free>> ac(ac_raw);
  const git_annotated_commit* heads_in[1] = {ac.get()};
  git_checkout_options co = GIT_CHECKOUT_OPTIONS_INIT;
  co.checkout_strategy = (opts.force ? GIT_CHECKOUT_FORCE : GIT_CHECKOUT_SAFE) | GIT_CHECKOUT_ALLOW_CONFLICTS;
  std::string their_label = display_name(opts.source);
  co.our_label = "HEAD";
  co.their_label = their_label.c_str();  // conflict markers name the source, not a bare commit id
  git_check(git_merge(r, heads_in, 1, &mo, &co), "cannot write the merge state", Exit::bad_input);
  // MERGE_MSG as git writes it, so that `git commit` proposes our message.
  std::string merge_msg = msg + "\n# Conflicts:\n";
  for (auto& c : res.conflicts) merge_msg += "#\t" + c + "\n";
  write_file_atomic(fs::path(git_repository_path(r)) / "MERGE_MSG", merge_msg, 0644);
  return res;
}

}  // namespace gp
