#include "git/repo.hpp"

#include <unistd.h>

namespace gp {

std::string oid_hex(const git_oid& oid) {
  char buf[GIT_OID_HEXSZ + 1];
  git_oid_tostr(buf, sizeof buf, &oid);
  return buf;
}

Repo Repo::discover(const fs::path& start) {
  git_buf root = GIT_BUF_INIT;
  if (git_repository_discover(&root, start.c_str(), 0, nullptr) != 0) {
    git_buf_dispose(&root);
    fail(Exit::not_repo, "not a git repository (or any of the parent directories): " + start.string());
  }
  std::string path(root.ptr, root.size);
  git_buf_dispose(&root);
  return open(path);
}

Repo Repo::open(const fs::path& path) {
  git_repository* r = nullptr;
  if (git_repository_open(&r, path.c_str()) != 0)
    fail(Exit::not_repo, describe("cannot open repository", path.string(), git_last_error()));
  return Repo(GitRepository(r));
}

fs::path Repo::workdir() const {
  const char* w = git_repository_workdir(repo_.get());
  if (!w) return {};
  fs::path p(w);
  return p.has_filename() ? p : p.parent_path();
}

fs::path Repo::common_dir() const {
  fs::path p(git_repository_commondir(repo_.get()));
  return p.has_filename() ? p : p.parent_path();
}

bool Repo::is_bare() const { return git_repository_is_bare(repo_.get()) == 1; }

std::optional<git_oid> Repo::resolve_commit(const std::string& rev) const {
  git_object* obj = nullptr;
  if (git_revparse_single(&obj, repo_.get(), rev.c_str()) != 0) return std::nullopt;
  GitObject o(obj);
  git_object* peeled = nullptr;
  if (git_object_peel(&peeled, o.get(), GIT_OBJECT_COMMIT) != 0) return std::nullopt;
  GitObject c(peeled);
  return *git_object_id(c.get());
}

git_oid Repo::head_commit() const {
  auto c = resolve_commit("HEAD");
  if (!c) fail(Exit::bad_input, "HEAD does not point at a commit yet", "make a first commit");
  return *c;
}

std::optional<std::string> Repo::head_branch() const {
  git_reference* ref = nullptr;
  int rc = git_reference_lookup(&ref, repo_.get(), "HEAD");
  if (rc != 0) return std::nullopt;
  GitReference head(ref);
  if (git_reference_type(head.get()) != GIT_REFERENCE_SYMBOLIC) return std::nullopt;
  std::string target = git_reference_symbolic_target(head.get());
  const std::string prefix = "refs/heads/";
  if (target.rfind(prefix, 0) != 0) return std::nullopt;
  return target.substr(prefix.size());
}

bool Repo::is_dirty(bool include_untracked) const {
  git_status_options opts = GIT_STATUS_OPTIONS_INIT;
  opts.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
  opts.flags = include_untracked ? GIT_STATUS_OPT_INCLUDE_UNTRACKED : 0;
  git_status_list* list = nullptr;
  git_check(git_status_list_new(&list, repo_.get(), &opts), "cannot read the work tree status");
  GitStatusList l(list);
  return git_status_list_entrycount(l.get()) > 0;
}

namespace {
TagInfo read_tag(git_repository* repo, const std::string& name, const git_oid& ref_oid) {
  TagInfo t;
  t.name = name;
  t.tag_oid = ref_oid;
  git_object* obj = nullptr;
  git_check(git_object_lookup(&obj, repo, &ref_oid, GIT_OBJECT_ANY), "cannot read tag '" + name + "'");
  GitObject o(obj);
  if (git_object_type(o.get()) == GIT_OBJECT_TAG) {
    auto tag = reinterpret_cast<git_tag*>(o.get());
    t.annotated = true;
    const char* msg = git_tag_message(tag);
    t.message = msg ? msg : "";
    if (const git_signature* s = git_tag_tagger(tag)) {
      t.tagger = std::string(s->name) + " <" + s->email + ">";
      t.time = s->when.time;
    }
  }
  git_object* peeled = nullptr;
  if (git_object_peel(&peeled, o.get(), GIT_OBJECT_COMMIT) == 0) {
    GitObject c(peeled);
    t.target = *git_object_id(c.get());
    if (!t.annotated) t.time = git_commit_time(reinterpret_cast<git_commit*>(c.get()));
  } else {
    git_oid_cpy(&t.target, git_object_id(o.get()));
  }
  return t;
}
}  // namespace

std::vector<TagInfo> Repo::tags(const std::string& prefix) const {
  std::vector<TagInfo> out;
  for (auto& t : refs_under("refs/tags/"))
    if (t.name.rfind(prefix, 0) == 0) out.push_back(std::move(t));
  return out;
}

std::vector<TagInfo> Repo::refs_under(const std::string& ref_prefix) const {
  std::vector<TagInfo> out;
  git_reference_iterator* it = nullptr;
  std::string glob = ref_prefix + "*";
  git_check(git_reference_iterator_glob_new(&it, repo_.get(), glob.c_str()), "cannot list refs " + glob);
  GitReferenceIterator iter(it);
  git_reference* ref = nullptr;
  while (git_reference_next(&ref, iter.get()) == 0) {
    GitReference r(ref);
    if (git_reference_type(r.get()) != GIT_REFERENCE_DIRECT) continue;
    std::string_view full = git_reference_name(r.get());
    if (full.rfind(ref_prefix, 0) != 0) continue;
    out.push_back(read_tag(repo_.get(), std::string(full.substr(ref_prefix.size())), *git_reference_target(r.get())));
  }
  return out;
}

void Repo::delete_refs_under(const std::string& ref_prefix) {
  std::vector<std::string> names;
  {
    git_reference_iterator* it = nullptr;
    git_check(git_reference_iterator_glob_new(&it, repo_.get(), (ref_prefix + "*").c_str()), "cannot list refs");
    GitReferenceIterator iter(it);
    git_reference* ref = nullptr;
    while (git_reference_next(&ref, iter.get()) == 0) {
      GitReference r(ref);
      std::string name = git_reference_name(r.get());
      if (name.rfind(ref_prefix, 0) == 0) names.push_back(std::move(name));
    }
  }
  for (auto& n : names) {
    git_reference* ref = nullptr;
    if (git_reference_lookup(&ref, repo_.get(), n.c_str()) != 0) continue;
    GitReference r(ref);
    git_check(git_reference_delete(r.get()), "cannot delete ref '" + n + "'");
  }
}

std::optional<TagInfo> Repo::tag(const std::string& name) const {
  git_reference* ref = nullptr;
  if (git_reference_lookup(&ref, repo_.get(), ("refs/tags/" + name).c_str()) != 0) return std::nullopt;
  GitReference r(ref);
  git_reference* resolved = nullptr;
  if (git_reference_resolve(&resolved, r.get()) != 0) return std::nullopt;
  GitReference rr(resolved);
  return read_tag(repo_.get(), name, *git_reference_target(rr.get()));
}

GitSignature Repo::signature() const {
  git_signature* sig = nullptr;
  if (git_signature_default(&sig, repo_.get()) == 0) return GitSignature(sig);
  // No user.name/user.email configured: name the tool and the host, as git would refuse to.
  char host[256] = "localhost";
  ::gethostname(host, sizeof host - 1);
  git_check(git_signature_now(&sig, "git-pantheon", (std::string("git-pantheon@") + host).c_str()),
            "cannot make a signature");
  return GitSignature(sig);
}

git_oid Repo::create_annotated_tag(const std::string& name, const git_oid& target, const std::string& message) {
  return tag_object(name, target, GIT_OBJECT_COMMIT, message);
}

git_oid Repo::create_annotated_tag_on_object(const std::string& name, const git_oid& object, const std::string& message) {
  return tag_object(name, object, GIT_OBJECT_ANY, message);
}

git_oid Repo::tag_object(const std::string& name, const git_oid& object, git_object_t type, const std::string& message) {
  git_object* obj = nullptr;
  git_check(git_object_lookup(&obj, repo_.get(), &object, type),
            std::string(type == GIT_OBJECT_COMMIT ? "cannot find commit " : "cannot find object ") + oid_hex(object));
  GitObject o(obj);
  GitSignature sig = signature();
  git_oid oid;
  int rc = git_tag_create(&oid, repo_.get(), name.c_str(), o.get(), sig.get(), message.c_str(), /*force=*/0);
  if (rc == GIT_EEXISTS) fail(Exit::bad_input, describe("tag already exists", name));
  git_check(rc, "cannot create tag '" + name + "'");
  return oid;
}

bool Repo::delete_tag(const std::string& name) {
  int rc = git_tag_delete(repo_.get(), name.c_str());
  if (rc == GIT_ENOTFOUND) return false;
  git_check(rc, "cannot delete tag '" + name + "'");
  return true;
}

bool ignore_in_work_tree(const fs::path& dir, const std::string& sample, const std::vector<std::string>& patterns,
                         const std::string& marker) {
  git_repository* raw = nullptr;
  if (git_repository_open_ext(&raw, dir.c_str(), 0, nullptr) != 0) return false;
  GitRepository r(raw);
  const char* wd = git_repository_workdir(r.get());
  if (!wd || !path_within(fs::path(wd), dir)) return false;  // bare, or inside the git directory
  fs::path rel = (dir / sample).lexically_normal().lexically_relative(fs::path(wd).lexically_normal());
  int ignored = 0;
  if (git_ignore_path_is_ignored(&ignored, r.get(), rel.c_str()) == 0 && ignored) return true;
  fs::path common(git_repository_commondir(r.get()));
  fs::path exclude = common / "info" / "exclude";
  std::string text;
  std::error_code ec;
  if (fs::exists(exclude, ec)) text = read_text_file(exclude, Exit::internal);
  if (text.find(marker) != std::string::npos) return true;
  if (!text.empty() && text.back() != '\n') text += '\n';
  text += marker + "\n";
  for (auto& p : patterns) text += p + "\n";
  make_dirs(exclude.parent_path(), 0755);
  write_file_atomic(exclude, text, 0644);
  return true;
}

}  // namespace gp
