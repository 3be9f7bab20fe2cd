// tree_changes() against libgit2's own git_diff_tree_to_tree on generated pairs
// of trees: files, executables, links, nested directories, a file and a directory
// trading places, names that sort around '/' ("a", "a.b", "a/", "a-"). The seed is
// printed; GP_SEED=N repeats one run.
#include <git2.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <tuple>

#include "fixture.hpp"
#include "git/repo.hpp"
#include "import/worktree.hpp"

namespace gp {
namespace {

using Blob = std::pair<std::string, git_filemode_t>;  // content, mode
using Files = std::map<std::string, Blob>;            // path -> blob (nested by '/')
using Change = std::tuple<char, std::string, std::string, int>;  // kind, path, id, mode

class TreeChangesTest : public test::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    git_check(git_repository_init(&repo_, (root() / "r").c_str(), true), "init");
  }
  void TearDown() override {
    git_repository_free(repo_);
    TempDirTest::TearDown();
  }

  // Builds the tree of `files` (a map of paths, each component a name).
  git_oid write_tree(const Files& files, const std::string& prefix = "") {
    git_treebuilder* tb = nullptr;
    git_check(git_treebuilder_new(&tb, repo_, nullptr), "treebuilder");
    std::set<std::string> subdirs;
    for (auto& [path, blob] : files) {
      if (path.compare(0, prefix.size(), prefix) != 0) continue;
      std::string rest = path.substr(prefix.size());
      auto slash = rest.find('/');
      if (slash != std::string::npos) {
        subdirs.insert(rest.substr(0, slash));
        continue;
      }
      git_oid id;
      git_check(git_blob_create_from_buffer(&id, repo_, blob.first.data(), blob.first.size()), "blob");
      git_check(git_treebuilder_insert(nullptr, tb, rest.c_str(), &id, blob.second), "insert " + path);
    }
    for (auto& d : subdirs) {
      git_oid id = write_tree(files, prefix + d + "/");
      git_check(git_treebuilder_insert(nullptr, tb, d.c_str(), &id, GIT_FILEMODE_TREE), "insert " + d);
    }
    git_oid out;
    git_check(git_treebuilder_write(&out, tb), "write tree");
    git_treebuilder_free(tb);
    return out;
  }

  GitTree tree(const git_oid& id) {
    git_tree* t = nullptr;
    git_check(git_tree_lookup(&t, repo_, &id), "lookup");
    return GitTree(t);
  }

  std::set<Change> ours(const git_tree* a, const git_tree* b) {
    std::vector<std::string> removals;
    std::vector<TreeWrite> writes;
    EXPECT_TRUE(tree_changes(repo_, a, b, removals, writes));
    std::set<Change> out;
    for (auto& r : removals) EXPECT_TRUE(out.emplace('D', r, "", 0).second) << "removed twice: " << r;
    for (auto& w : writes) {
      EXPECT_TRUE(out.emplace('W', w.path, oid_hex(w.oid), w.mode).second) << "twice: " << w.path;
      git_tree_entry* te = nullptr;
      bool in_old = a && git_tree_entry_bypath(&te, a, w.path.c_str()) == 0;
      git_tree_entry_free(te);
      EXPECT_EQ(w.tracked, in_old) << w.path;
    }
    return out;
  }

  std::set<Change> libgit2s(git_tree* a, git_tree* b) {
    git_diff* d = nullptr;
    git_diff_options o = GIT_DIFF_OPTIONS_INIT;
    git_check(git_diff_tree_to_tree(&d, repo_, a, b, &o), "diff");
    std::set<Change> out;
    for (size_t i = 0; i < git_diff_num_deltas(d); ++i) {
      const git_diff_delta* dd = git_diff_get_delta(d, i);
      if (dd->status == GIT_DELTA_DELETED) {
        out.emplace('D', dd->old_file.path, "", 0);
      } else {
        out.emplace('W', dd->new_file.path, oid_hex(dd->new_file.id), dd->new_file.mode);
      }
    }
    git_diff_free(d);
    // Without GIT_DIFF_INCLUDE_TYPECHANGE a file turned link (or back) is a removal
    // and an addition of one path; tree_changes() writes it over the old.
    for (auto it = out.begin(); it != out.end();) {
      bool rewritten = std::get<0>(*it) == 'D' &&
                       std::any_of(out.begin(), out.end(), [&](const Change& c) {
                         return std::get<0>(c) == 'W' && std::get<1>(c) == std::get<1>(*it);
                       });
      it = rewritten ? out.erase(it) : std::next(it);
    }
    return out;
  }

  git_repository* repo_ = nullptr;
};

// A random tree over a small alphabet of names, so that two trees share much and
// a name is a file in one and a directory in the other.
Files random_files(std::mt19937& rng) {
  static const char* names[] = {"a", "a.b", "a-", "a0", "b", "ab", "z", "a b"};
  static const git_filemode_t modes[] = {GIT_FILEMODE_BLOB, GIT_FILEMODE_BLOB, GIT_FILEMODE_BLOB_EXECUTABLE,
                                         GIT_FILEMODE_LINK};
  Files files;
  int n = std::uniform_int_distribution<>(0, 14)(rng);
  for (int i = 0; i < n; ++i) {
    std::string path;
    int depth = std::uniform_int_distribution<>(1, 3)(rng);
    for (int d = 0; d < depth; ++d) {
      if (d) path += '/';
      path += names[std::uniform_int_distribution<>(0, 7)(rng)];
    }
    // A path that is a prefix directory of another (or has one as its file) would
    // not be a tree: keep the first.
    bool clash = false;
    for (auto& [p, _] : files)
      if (p == path || p.rfind(path + "/", 0) == 0 || path.rfind(p + "/", 0) == 0) clash = true;
    if (clash) continue;
    files[path] = {std::to_string(std::uniform_int_distribution<>(0, 3)(rng)), modes[rng() % 4]};
  }
  return files;
}

// The second tree: the first with some files changed, removed, added or turned
// into directories.
Files mutate(Files files, std::mt19937& rng) {
  Files out;
  for (auto& [p, b] : files) {
    switch (std::uniform_int_distribution<>(0, 5)(rng)) {
      case 0: break;  // removed
      case 1: out[p] = {b.first + "x", b.second}; break;
      case 2: out[p] = {b.first, b.second == GIT_FILEMODE_BLOB ? GIT_FILEMODE_BLOB_EXECUTABLE : GIT_FILEMODE_BLOB}; break;
      case 3: out[p + "/inner"] = b; break;  // the file becomes a directory
      default: out[p] = b;
    }
  }
  for (auto& [p, b] : random_files(rng)) {
    bool clash = false;
    for (auto& [q, _] : out)
      if (q == p || q.rfind(p + "/", 0) == 0 || p.rfind(q + "/", 0) == 0) clash = true;
    if (!clash) out[p] = b;
  }
  return out;
}

TEST_F(TreeChangesTest, AgreesWithLibgit2sDiffOnGeneratedTrees) {
  const char* env = std::getenv("GP_SEED");
  unsigned seed = env ? static_cast<unsigned>(std::strtoul(env, nullptr, 10)) : std::random_device{}();
  std::cout << "tree_changes seed: " << seed << " (GP_SEED=" << seed << " repeats it)\n";
  std::mt19937 rng(seed);
  int differing = 0;
  for (int round = 0; round < 300; ++round) {
    Files a = random_files(rng), b = mutate(a, rng);
    GitTree ta = tree(write_tree(a)), tb = tree(write_tree(b));
    auto want = libgit2s(ta.get(), tb.get());
    ASSERT_EQ(ours(ta.get(), tb.get()), want) << "seed " << seed << " round " << round;
    ASSERT_EQ(ours(nullptr, tb.get()), libgit2s(nullptr, tb.get())) << "seed " << seed << " round " << round;
    if (!want.empty()) ++differing;
  }
  EXPECT_GT(differing, 200);  // the generator makes real differences
}

TEST_F(TreeChangesTest, ASubmoduleOnEitherSideIsLeftToLibgit2) {
  git_oid blob, commitish;
  git_check(git_blob_create_from_buffer(&blob, repo_, "x", 1), "blob");
  git_oid_fromstr(&commitish, "0123456789abcdef0123456789abcdef01234567");
  auto build = [&](bool with_module) {
    git_treebuilder* tb = nullptr;
    git_check(git_treebuilder_new(&tb, repo_, nullptr), "tb");
    git_check(git_treebuilder_insert(nullptr, tb, "f", &blob, GIT_FILEMODE_BLOB), "f");
    if (with_module) git_check(git_treebuilder_insert(nullptr, tb, "m", &commitish, GIT_FILEMODE_COMMIT), "m");
    git_oid id;
    git_check(git_treebuilder_write(&id, tb), "write");
    git_treebuilder_free(tb);
    return id;
  };
  GitTree plain = tree(build(false)), with = tree(build(true));
  std::vector<std::string> removals;
  std::vector<TreeWrite> writes;
  EXPECT_FALSE(tree_changes(repo_, plain.get(), with.get(), removals, writes));
  EXPECT_FALSE(tree_changes(repo_, with.get(), plain.get(), removals, writes));
  removals.clear();
  writes.clear();
  EXPECT_TRUE(tree_changes(repo_, with.get(), with.get(), removals, writes));  // unchanged: not looked at
  EXPECT_TRUE(removals.empty() && writes.empty());
}

}  // namespace
}  // namespace gp
