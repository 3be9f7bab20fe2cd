// The code element: the tree of a commit plus a .git holding every branch and tag,
// as Pantheon's code archives are (unpacking one gives a clean clone).
#include <algorithm>
#include <map>
#include <vector>

#include "archive/tar.hpp"
#include "archive/tar_writer.hpp"
#include "util/fs.hpp"
#include "util/process.hpp"

namespace gp {

namespace {

using archive_detail::TarWriter;

// Blobs larger than this are streamed through `git cat-file` (libgit2 can stream
// only loose objects; git streams packed ones too) instead of loaded whole.
constexpr size_t kStreamBlobAbove = 16 << 20;

struct CodeWriter {
  const Repo& repo;
  TarWriter& w;
  Progress& progress;
  struct timespec mtime;
  GitOdb odb;

  void report() { progress.update(w.stats.data_bytes, w.stats.entries); }

  void blob_file(const std::string& name, const git_oid& oid, mode_t mode) {
    size_t size = 0;
    git_object_t type;
    git_check(git_odb_read_header(&size, &type, odb.get(), &oid), "cannot read blob '" + oid_hex(oid) + "'",
              Exit::integrity);
    w.begin_file(name, mode, size, mtime);
    if (size <= kStreamBlobAbove) {
      git_blob* raw = nullptr;
      git_check(git_blob_lookup(&raw, repo.get(), &oid), "cannot read blob '" + oid_hex(oid) + "'", Exit::integrity);
      GitBlob blob(raw);
      const char* data = static_cast<const char*>(git_blob_rawcontent(blob.get()));
      auto n = static_cast<size_t>(git_blob_rawsize(blob.get()));
      if (n != size) throw Error(Exit::integrity, "blob '" + oid_hex(oid) + "' has an inconsistent size");
      for (size_t off = 0; off < n; off += 1 << 20) w.data(data + off, std::min<size_t>(1 << 20, n - off));
      return;
    }
    ProcessSpec spec;
    spec.argv = {"git", "--git-dir=" + repo.common_dir().string(), "cat-file", "blob", oid_hex(oid)};
    spec.pipe_stdout = true;
    Process git(std::move(spec));
    std::vector<char> buf(1 << 20);
    size_t done = 0;
    for (;;) {
      size_t n = git.read(buf.data(), buf.size());
      if (n == 0) break;
      if (done + n > size) throw Error(Exit::integrity, "blob '" + oid_hex(oid) + "' is larger than its header says");
      w.data(buf.data(), n);
      done += n;
      report();
    }
    int status = git.wait();
    if (status != 0) throw Error(Exit::integrity, "cannot read blob '" + oid_hex(oid) + "': " + git.failure_text(status));
    if (done != size) throw Error(Exit::integrity, "blob '" + oid_hex(oid) + "' is shorter than its header says");
  }

  std::string blob_text(const git_oid& oid) {
    git_blob* raw = nullptr;
    git_check(git_blob_lookup(&raw, repo.get(), &oid), "cannot read blob '" + oid_hex(oid) + "'", Exit::integrity);
    GitBlob blob(raw);
    return std::string(static_cast<const char*>(git_blob_rawcontent(blob.get())),
                       static_cast<size_t>(git_blob_rawsize(blob.get())));
  }

  void tree(const git_tree* t, const std::string& dir) {
    size_t n = git_tree_entrycount(t);
    for (size_t i = 0; i < n; ++i) {
      const git_tree_entry* e = git_tree_entry_byindex(t, i);
      std::string name = dir + "/" + git_tree_entry_name(e);
      const git_oid* oid = git_tree_entry_id(e);
      switch (git_tree_entry_filemode(e)) {
        case GIT_FILEMODE_TREE: {
          w.add_directory(name, 0755, mtime);
          git_tree* raw = nullptr;
          git_check(git_tree_lookup(&raw, repo.get(), oid), "cannot read tree '" + oid_hex(*oid) + "'", Exit::integrity);
          GitTree sub(raw);
          tree(sub.get(), name);
          break;
        }
        case GIT_FILEMODE_BLOB_EXECUTABLE: blob_file(name, *oid, 0755); break;
        case GIT_FILEMODE_LINK: w.add_symlink(name, blob_text(*oid), mtime); break;
        case GIT_FILEMODE_COMMIT: w.add_directory(name, 0755, mtime); break;  // submodule: empty, like a clone
        default: blob_file(name, *oid, 0644); break;
      }
      report();
    }
  }
};

struct RefInfo {
  git_oid oid{};
  std::optional<git_oid> peeled;  // set for annotated tags
};

// Peels `oid` through tag objects, adding each tag to the pack; commits go to the
// walk (with their history), other objects with what they reach.
git_oid add_ref_target(git_repository* repo, git_packbuilder* pb, git_revwalk* walk, git_oid oid,
                       const std::string& ref) {
  for (;;) {
    git_object* raw = nullptr;
    git_check(git_object_lookup(&raw, repo, &oid, GIT_OBJECT_ANY), "cannot read '" + ref + "'", Exit::integrity);
    GitObject obj(raw);
    switch (git_object_type(obj.get())) {
      case GIT_OBJECT_TAG:
        git_check(git_packbuilder_insert(pb, &oid, nullptr), "cannot pack '" + ref + "'");
        oid = *git_tag_target_id(reinterpret_cast<git_tag*>(obj.get()));
        continue;
      case GIT_OBJECT_COMMIT:
        git_check(git_revwalk_push(walk, &oid), "cannot walk '" + ref + "'");
        return oid;
      default:
        git_check(git_packbuilder_insert_recur(pb, &oid, nullptr), "cannot pack '" + ref + "'");
        return oid;
    }
  }
}

// Builds `<scratch>/.git`: one pack with everything reachable from the refs and
// `commit`, packed-refs, HEAD on `branch` at `commit` (detached at `commit` when
// `branch` is empty), a config and an index matching `tree`.
fs::path build_git_dir(const Repo& repo, const git_oid& commit, const std::string& branch, const git_tree* tree,
                       const fs::path& scratch_dir) {
  const std::string head_ref = branch.empty() ? "" : "refs/heads/" + branch;
  if (!branch.empty() && !git_reference_is_valid_name(head_ref.c_str()))
    throw Error(Exit::bad_input, "invalid branch name '" + branch + "'");

  // Branches and tags only: remote-tracking refs, notes, stash and anything of
  // our own (refs/pantheon/...) stay out.
  std::map<std::string, git_oid> refs;
  {
    git_reference_iterator* raw = nullptr;
    git_check(git_reference_iterator_new(&raw, repo.get()), "cannot list references");
    GitReferenceIterator it(raw);
    git_reference* ref_raw = nullptr;
    int rc;
    while ((rc = git_reference_next(&ref_raw, it.get())) == 0) {
      GitReference ref(ref_raw);
      std::string name = git_reference_name(ref.get());
      if (name.rfind("refs/heads/", 0) != 0 && name.rfind("refs/tags/", 0) != 0) continue;
      git_reference* resolved_raw = nullptr;
      if (git_reference_resolve(&resolved_raw, ref.get()) != 0) continue;  // dangling symbolic ref
      GitReference resolved(resolved_raw);
      refs[name] = *git_reference_target(resolved.get());
    }
    if (rc != GIT_ITEROVER) git_check(rc, "cannot list references");
  }
  if (!head_ref.empty()) refs[head_ref] = commit;

  fs::path git_dir = scratch_dir / ".git";
  for (auto sub : {"objects/pack", "objects/info", "refs/heads", "refs/tags", "info"}) make_dirs(git_dir / sub, 0755);

  git_packbuilder* pb_raw = nullptr;
  git_check(git_packbuilder_new(&pb_raw, repo.get()), "cannot start a pack");
  GitPackbuilder pb(pb_raw);
  git_packbuilder_set_threads(pb.get(), 0);
  git_revwalk* walk_raw = nullptr;
  git_check(git_revwalk_new(&walk_raw, repo.get()), "cannot walk history");
  GitRevwalk walk(walk_raw);
  std::map<std::string, RefInfo> infos;
  for (auto& [name, oid] : refs) {
    git_oid peeled = add_ref_target(repo.get(), pb.get(), walk.get(), oid, name);
    RefInfo info{oid, {}};
    if (!git_oid_equal(&peeled, &oid)) info.peeled = peeled;
    infos[name] = info;
  }
  git_check(git_revwalk_push(walk.get(), &commit), "cannot walk history");  // a detached HEAD's commit too
  git_check(git_packbuilder_insert_walk(pb.get(), walk.get()), "cannot pack history");
  git_check(git_packbuilder_write(pb.get(), (git_dir / "objects/pack").c_str(), 0444, nullptr, nullptr),
            "cannot write pack");

  std::string packed = "# pack-refs with: peeled fully-peeled sorted \n";
  for (auto& [name, info] : infos) {
    packed += oid_hex(info.oid) + " " + name + "\n";
    if (info.peeled) packed += "^" + oid_hex(*info.peeled) + "\n";
  }
  write_file_atomic(git_dir / "packed-refs", packed, 0644);
  write_file_atomic(git_dir / "HEAD", head_ref.empty() ? oid_hex(commit) + "\n" : "ref: " + head_ref + "\n", 0644);
  write_file_atomic(git_dir / "config",
                    "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n"
                    "\tlogallrefupdates = true\n",
                    0644);
  write_file_atomic(git_dir / "description", "Unnamed repository; edit this file 'description' to name the repository.\n",
                    0644);
  write_file_atomic(git_dir / "info/exclude", "", 0644);

  git_index* idx_raw = nullptr;
  git_check(git_index_open(&idx_raw, (git_dir / "index").c_str()), "cannot create index");
  GitIndex index(idx_raw);
  git_check(git_index_read_tree(index.get(), tree), "cannot fill index");
  git_check(git_index_write(index.get()), "cannot write index");
  return git_dir;
}

}  // namespace

TarStats write_code_tar(const Repo& repo, const git_oid& commit, const std::string& branch, const std::string& prefix,
                        const fs::path& scratch_dir, ByteSink& out, Progress& progress) {
  git_commit* c_raw = nullptr;
  git_check(git_commit_lookup(&c_raw, repo.get(), &commit), "cannot read commit '" + oid_hex(commit) + "'",
            Exit::bad_input);
  GitCommit c(c_raw);
  git_tree* t_raw = nullptr;
  git_check(git_commit_tree(&t_raw, c.get()), "cannot read tree of commit '" + oid_hex(commit) + "'", Exit::integrity);
  GitTree tree(t_raw);

  progress.start("code", 0);
  fs::path git_dir = build_git_dir(repo, commit, branch, tree.get(), scratch_dir);

  git_odb* odb_raw = nullptr;
  git_check(git_repository_odb(&odb_raw, repo.get()), "cannot open object database");
  TarWriter w(out, prefix + ".tar");
  CodeWriter cw{repo, w, progress, {static_cast<time_t>(git_commit_time(c.get())), 0}, GitOdb(odb_raw)};
  w.add_directory(prefix, 0755, cw.mtime);
  cw.tree(tree.get(), prefix);
  archive_detail::add_tree(w, git_dir, prefix + "/.git", nullptr, progress);
  w.finish();
  progress.finish();
  return w.stats;
}

}  // namespace gp
