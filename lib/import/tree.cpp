#include "import/tree.hpp"
#include "util/fault.hpp"
#include "util/fs.hpp"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "import/pack_writer.hpp"

namespace gp {

namespace {

struct Node {
  std::map<std::string, Node> dirs;
  std::map<std::string, TreeLeaf> files;
};

git_oid write_node(git_repository* repo, const Node& node, PackWriter* pack) {
  if (pack) {
    struct Item {
      std::string sort_key;
      const std::string* name;
      unsigned mode;
      git_oid oid;
    };
    std::vector<Item> items;
    items.reserve(node.files.size() + node.dirs.size());
    for (auto& [name, leaf] : node.files) items.push_back({name, &name, static_cast<unsigned>(leaf.mode), leaf.oid});
    for (auto& [name, child] : node.dirs)
      items.push_back({name + "/", &name, static_cast<unsigned>(GIT_FILEMODE_TREE), write_node(repo, child, pack)});
    std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) { return a.sort_key < b.sort_key; });
    std::string body;
    for (auto& it : items) {
      char mode[16];
      std::snprintf(mode, sizeof mode, "%o ", it.mode);
      body += mode;
      body += *it.name;
      body.push_back('\0');
      body.append(reinterpret_cast<const char*>(it.oid.id), GIT_OID_RAWSZ);
    }
    return pack->add(GIT_OBJECT_TREE, body.data(), body.size());
  }
  git_treebuilder* tb = nullptr;
  git_check(git_treebuilder_new(&tb, repo, nullptr), "cannot build a tree");
  GitTreeBuilder builder(tb);
  for (auto& [name, leaf] : node.files)
    git_check(git_treebuilder_insert(nullptr, tb, name.c_str(), &leaf.oid, leaf.mode),
              "cannot add '" + name + "' to a tree", Exit::bad_input);
  for (auto& [name, child] : node.dirs) {
    git_oid sub = write_node(repo, child, nullptr);
    git_check(git_treebuilder_insert(nullptr, tb, name.c_str(), &sub, GIT_FILEMODE_TREE),
              "cannot add '" + name + "' to a tree", Exit::bad_input);
  }
  git_oid oid;
  git_check(git_treebuilder_write(&oid, tb), "cannot write a tree");
  return oid;
}

}  // namespace

git_oid write_tree_from_paths(git_repository* repo, const std::map<std::string, TreeLeaf>& files,
                              const std::string& subject, PackWriter* pack) {
  Node root;
  for (auto& [path, leaf] : files) {
    Node* n = &root;
    size_t i = 0;
    for (size_t slash = path.find('/'); slash != std::string::npos; slash = path.find('/', i)) {
      std::string dir = path.substr(i, slash - i);
      if (n->files.count(dir))
        throw Error(Exit::bad_input,
                    "refusing " + subject + ": entry '" + path.substr(0, slash) + "' is both a file and a directory");
      n = &n->dirs[dir];
      i = slash + 1;
    }
    std::string name = path.substr(i);
    if (n->dirs.count(name))
      throw Error(Exit::bad_input, "refusing " + subject + ": entry '" + path + "' is both a file and a directory");
    n->files[name] = leaf;
  }
  return write_node(repo, root, pack);
}

git_oid graft_tree(git_repository* repo, const git_tree* base, const std::vector<std::string>& parts,
                   const git_oid& subtree) {
  if (parts.empty()) return subtree;
  GitTree child;
  if (base) {
    if (const git_tree_entry* e = git_tree_entry_byname(base, parts[0].c_str());
        e && git_tree_entry_type(e) == GIT_OBJECT_TREE) {
      git_tree* t = nullptr;
      git_check(git_tree_lookup(&t, repo, git_tree_entry_id(e)), "cannot read tree '" + parts[0] + "'");
      child.reset(t);
    }
  }
  git_oid sub = graft_tree(repo, child.get(), std::vector<std::string>(parts.begin() + 1, parts.end()), subtree);
  git_treebuilder* tb = nullptr;
  git_check(git_treebuilder_new(&tb, repo, base), "cannot build a tree");
  GitTreeBuilder builder(tb);
  git_check(git_treebuilder_insert(nullptr, tb, parts[0].c_str(), &sub, GIT_FILEMODE_TREE),
            "cannot add '" + parts[0] + "' to a tree", Exit::bad_input);
  git_oid oid;
  git_check(git_treebuilder_write(&oid, tb), "cannot write a tree");
  return oid;
}

HeadState read_head(git_repository* repo) {
  HeadState h;
  git_reference* ref = nullptr;
  git_check(git_reference_lookup(&ref, repo, "HEAD"), "cannot read HEAD");
  GitReference head(ref);
  if (git_reference_type(head.get()) == GIT_REFERENCE_SYMBOLIC) {
    h.ref_name = git_reference_symbolic_target(head.get());
    git_oid oid;
    if (git_reference_name_to_id(&oid, repo, h.ref_name.c_str()) == 0) h.commit = oid;
  } else {
    h.ref_name = "HEAD";
    h.commit = *git_reference_target(head.get());
  }
  return h;
}

namespace {
void checkout_commit(git_repository* repo, const git_oid& commit, const git_tree* baseline, unsigned strategy) {
  git_object* obj = nullptr;
  git_check(git_object_lookup(&obj, repo, &commit, GIT_OBJECT_COMMIT), "cannot read commit " + oid_hex(commit));
  GitObject o(obj);
  git_checkout_options co = GIT_CHECKOUT_OPTIONS_INIT;
  co.checkout_strategy = strategy;
  co.baseline = const_cast<git_tree*>(baseline);
  git_check(git_checkout_tree(repo, o.get(), &co), "cannot update the work tree", Exit::bad_input);
}

GitTree commit_tree(git_repository* repo, const std::optional<git_oid>& commit) {
  if (!commit) return {};
  git_commit* c = nullptr;
  git_check(git_commit_lookup(&c, repo, &*commit), "cannot read commit " + oid_hex(*commit));
  GitCommit cc(c);
  git_tree* t = nullptr;
  git_check(git_commit_tree(&t, cc.get()), "cannot read the tree of " + oid_hex(*commit));
  return GitTree(t);
}
}  // namespace

namespace {
fs::path head_move_journal(git_repository* repo) {
  return fs::path(git_repository_commondir(repo)) / "pantheon" / "head-move";
}

// Removes the journal when the move is over (done, or undone by advance_head).
struct JournalRemover {
  fs::path path;
  ~JournalRemover() {
    std::error_code ec;
    fs::remove(path, ec);
  }
};
}  // namespace

HeadMoveJournal::HeadMoveJournal(git_repository* repo, const HeadState& head, const git_oid& to)
    : path_(head_move_journal(repo)) {
  make_dirs(path_.parent_path(), 0700);
  write_file_atomic(path_, head.ref_name + "\n" + (head.commit ? oid_hex(*head.commit) : "") + "\n" + oid_hex(to) + "\n");
}

HeadMoveJournal::~HeadMoveJournal() {
  std::error_code ec;
  fs::remove(path_, ec);
}

std::optional<std::string> finish_interrupted_head_move(git_repository* repo) {
  fs::path journal = head_move_journal(repo);
  std::error_code ec;
  if (!fs::exists(journal, ec)) return std::nullopt;
  JournalRemover done{journal};
  std::vector<std::string> lines = read_text_lines(journal, Exit::internal);
  git_oid from{}, to{};
  if (lines.size() < 3 || git_oid_fromstr(&to, lines[2].c_str()) != 0) return std::nullopt;  // torn: never started
  bool unborn = lines[1].empty();
  if (!unborn && git_oid_fromstr(&from, lines[1].c_str()) != 0) return std::nullopt;
  HeadState head = read_head(repo);
  if (head.ref_name != lines[0]) return std::nullopt;
  if (head.commit && git_oid_equal(&*head.commit, &to)) return std::nullopt;  // the move completed
  if (unborn ? head.commit.has_value() : !(head.commit && git_oid_equal(&*head.commit, &from)))
    return std::nullopt;  // the branch moved elsewhere since: nothing of ours to finish
  GitTree old_tree = commit_tree(repo, head.commit);
  checkout_commit(repo, to, old_tree.get(), GIT_CHECKOUT_FORCE);
  git_reference* ref = nullptr;
  int rc = head.commit ? git_reference_create_matching(&ref, repo, head.ref_name.c_str(), &to, 1, &*head.commit,
                                                       "pantheon import: finish interrupted import")
                       : git_reference_create(&ref, repo, head.ref_name.c_str(), &to, 0,
                                              "pantheon import: finish interrupted import");
  git_check(rc, "cannot move branch '" + head.ref_name + "'");
  GitReference r(ref);
  return "an earlier import was interrupted after checking out its commit; finished it: " + head.ref_name +
         " is now at " + oid_hex(to).substr(0, 12);
}

void advance_head(git_repository* repo, const HeadState& head, const git_oid& commit, bool force,
                  const std::string& reflog_message) {
  // Written before the work tree changes, removed once the branch moved (or the
  // old tree is back): see finish_interrupted_head_move.
  HeadMoveJournal journal(repo, head, commit);
  GitTree old_tree = commit_tree(repo, head.commit);
  // On an unborn branch the baseline is the empty tree: an empty tree object
  // written on the fly (git_treebuilder gives it).
  GitTree empty;
  if (!old_tree) {
    git_treebuilder* tb = nullptr;
    git_check(git_treebuilder_new(&tb, repo, nullptr), "cannot build a tree");
    GitTreeBuilder b(tb);
    git_oid eo;
    git_check(git_treebuilder_write(&eo, tb), "cannot write a tree");
    git_tree* t = nullptr;
    git_check(git_tree_lookup(&t, repo, &eo), "cannot read the empty tree");
    empty.reset(t);
  }
  const git_tree* baseline = old_tree ? old_tree.get() : empty.get();
  unsigned strategy = force ? GIT_CHECKOUT_FORCE : GIT_CHECKOUT_SAFE;
  GP_FAULT_POINT("import.checkout.before");
  try {
    checkout_commit(repo, commit, baseline, strategy);
    GP_FAULT_POINT("import.checkout.after");
  } catch (const Error& e) {
    throw Error(Exit::bad_input, std::string(e.what()) + " (the branch was not moved)",
                "if files were partly updated, 'git checkout -f HEAD' puts the work tree back");
  }
  move_branch(repo, head, commit, reflog_message);
}

void move_branch(git_repository* repo, const HeadState& head, const git_oid& commit,
                 const std::string& reflog_message) {
  git_reference* ref = nullptr;
  int rc;
  if (head.commit)
    rc = git_reference_create_matching(&ref, repo, head.ref_name.c_str(), &commit, 1, &*head.commit,
                                       reflog_message.c_str());
  else
    rc = git_reference_create(&ref, repo, head.ref_name.c_str(), &commit, 0, reflog_message.c_str());
  if (rc < 0) {
    std::string why = git_last_error();
    // Put the old tree back (the work tree now holds the new commit's files).
    git_object* obj = nullptr;
    if (head.commit && git_object_lookup(&obj, repo, &*head.commit, GIT_OBJECT_COMMIT) == 0) {
      GitObject o(obj);
      GitTree new_tree = commit_tree(repo, commit);
      git_checkout_options co = GIT_CHECKOUT_OPTIONS_INIT;
      co.checkout_strategy = GIT_CHECKOUT_FORCE;
      co.baseline = new_tree.get();  // so files the import added are removed again
      git_checkout_tree(repo, o.get(), &co);
    }
    throw Error(Exit::bad_input, describe("cannot move branch", head.ref_name, why),
                "another program changed it during the import; run the import again");
  }
  GitReference r(ref);
}

}  // namespace gp
