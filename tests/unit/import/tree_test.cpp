#include "import/tree.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "fixture.hpp"
#include "import/squash.hpp"

namespace gp {
namespace {

class ImportTreeTest : public test::TempDirTest {
 protected:
  Repo init_repo() {
    fs::path d = root() / "repo";
    fs::create_directories(d);
    run({"git", "init", "-q", "-b", "main", "."}, d);
    return Repo::open(d);
  }
  git_oid blob(Repo& r, const std::string& s) {
    git_oid o;
    EXPECT_EQ(git_blob_create_from_buffer(&o, r.get(), s.data(), s.size()), 0);
    return o;
  }
  std::string ls_tree(const fs::path& repo, const git_oid& tree) {
    return run({"git", "ls-tree", "-r", "--format=%(objectmode) %(path)", oid_hex(tree)}, repo);
  }
};

TEST_F(ImportTreeTest, BuildsNestedTreesBottomUp) {
  Repo r = init_repo();
  std::map<std::string, TreeLeaf> files;
  files["a/b/c.txt"] = {blob(r, "c"), GIT_FILEMODE_BLOB};
  files["a/run.sh"] = {blob(r, "#!/bin/sh"), GIT_FILEMODE_BLOB_EXECUTABLE};
  files["link"] = {blob(r, "a/run.sh"), GIT_FILEMODE_LINK};
  files["z.txt"] = {blob(r, "z"), GIT_FILEMODE_BLOB};
  git_oid tree = write_tree_from_paths(r.get(), files, "test");
  EXPECT_EQ(ls_tree(r.workdir(), tree), "100644 a/b/c.txt\n100755 a/run.sh\n120000 link\n100644 z.txt\n");
  // The same tree as git's own: compare with git mktree-independent hashing via write-tree.
  fs::path w = r.workdir();
  fs::create_directories(w / "a/b");
  write_file_atomic(w / "a/b/c.txt", "c", 0644);
  write_file_atomic(w / "a/run.sh", "#!/bin/sh", 0755);
  fs::create_symlink("a/run.sh", w / "link");
  write_file_atomic(w / "z.txt", "z", 0644);
  run({"git", "add", "-A"}, w);
  std::string git_tree = run({"git", "write-tree"}, w);
  EXPECT_EQ(git_tree, oid_hex(tree) + "\n");
}

TEST_F(ImportTreeTest, RefusesFileAndDirectoryWithOneName) {
  Repo r = init_repo();
  std::map<std::string, TreeLeaf> files;
  files["a"] = {blob(r, "x"), GIT_FILEMODE_BLOB};
  files["a/b"] = {blob(r, "y"), GIT_FILEMODE_BLOB};
  try {
    write_tree_from_paths(r.get(), files, "archive 't.tar'");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Exit::bad_input);
    EXPECT_STREQ(e.what(), "refusing archive 't.tar': entry 'a' is both a file and a directory");
  }
}

TEST_F(ImportTreeTest, GraftReplacesOneDirectoryOnly) {
  Repo r = init_repo();
  std::map<std::string, TreeLeaf> base_files{{"keep.txt", {blob(r, "k"), GIT_FILEMODE_BLOB}},
                                             {"web/old.txt", {blob(r, "o"), GIT_FILEMODE_BLOB}},
                                             {"web/sub/x", {blob(r, "x"), GIT_FILEMODE_BLOB}}};
  git_oid base = write_tree_from_paths(r.get(), base_files, "t");
  git_oid sub = write_tree_from_paths(r.get(), {{"new.txt", {blob(r, "n"), GIT_FILEMODE_BLOB}}}, "t");
  git_tree* bt = nullptr;
  ASSERT_EQ(git_tree_lookup(&bt, r.get(), &base), 0);
  GitTree base_tree(bt);
  git_oid out = graft_tree(r.get(), base_tree.get(), {"web"}, sub);
  EXPECT_EQ(ls_tree(r.workdir(), out), "100644 keep.txt\n100644 web/new.txt\n");
  git_oid deep = graft_tree(r.get(), base_tree.get(), {"a", "b"}, sub);
  EXPECT_EQ(ls_tree(r.workdir(), deep), "100644 a/b/new.txt\n100644 keep.txt\n100644 web/old.txt\n100644 web/sub/x\n");
}

TEST_F(ImportTreeTest, ReadsArchiveStreamingStripsAndFilters) {
  Repo r = init_repo();
  fs::path src = root() / "src" / "site";
  fs::create_directories(src / "a" / ".git");
  write_file_atomic(src / "a/.git/HEAD", "ref: x\n", 0644);
  write_file_atomic(src / "a/file.txt", "hello\n", 0644);
  write_file_atomic(src / "a/debug.log", "noise\n", 0644);
  write_file_atomic(src / ".gitignore", "*.log\n", 0644);
  write_file_atomic(src / "tool", "#!/bin/sh\n", 0750);
  fs::create_symlink("a/file.txt", src / "ln");
  fs::create_directories(src / "empty");
  run({"tar", "-cJf", (root() / "t.tar.xz").string(), "site"}, root() / "src");
  NullProgress np;
  ArchiveContent c = read_archive_into_odb(r.get(), root() / "t.tar.xz", std::nullopt, np);
  EXPECT_EQ(c.stripped, 1u);
  EXPECT_EQ(c.ignored, 1u);
  EXPECT_EQ(c.git_metadata, 2u);  // a/.git and a/.git/HEAD
  std::vector<std::string> paths;
  for (auto& [p, leaf] : c.files) paths.push_back(p);
  EXPECT_EQ(paths, (std::vector<std::string>{".gitignore", "a/file.txt", "ln", "tool"}));
  EXPECT_EQ(c.files["tool"].mode, GIT_FILEMODE_BLOB_EXECUTABLE);
  EXPECT_EQ(c.files["ln"].mode, GIT_FILEMODE_LINK);
  std::string want = run({"git", "hash-object", (src / "a/file.txt").string()}, r.workdir());
  EXPECT_EQ(oid_hex(c.files["a/file.txt"].oid) + "\n", want);

  ArchiveContent kept = read_archive_into_odb(r.get(), root() / "t.tar.xz", 0u, np);
  EXPECT_EQ(kept.stripped, 0u);
  EXPECT_TRUE(kept.files.count("site/tool"));
}

TEST_F(ImportTreeTest, ListsSymlinksLeavingTheTreeAfterStrip) {
  Repo r = init_repo();
  fs::path src = root() / "src" / "site";
  fs::create_directories(src);
  write_file_atomic(src / "f", "x", 0644);
  fs::create_symlink("../outside", src / "ln");  // inside 'site/' as archived, outside once stripped
  run({"tar", "-cf", (root() / "t.tar").string(), "site"}, root() / "src");
  NullProgress np;
  ArchiveContent c = read_archive_into_odb(r.get(), root() / "t.tar", std::nullopt, np);
  EXPECT_EQ(c.stripped, 1u);
  ASSERT_TRUE(c.files.count("ln"));
  EXPECT_EQ(c.files["ln"].mode, GIT_FILEMODE_LINK);
  EXPECT_EQ(c.outside_links, (std::vector<std::pair<std::string, std::string>>{{"ln", "../outside"}}));
}

TEST_F(ImportTreeTest, OnlyTheOwnersExecuteBitMakesAnExecutable) {
  // git add gives 100755 only when the owner may execute (0654 is 100644).
  Repo r = init_repo();
  fs::path src = root() / "src";
  fs::create_directories(src);
  for (auto [name, mode] : {std::pair{"g", 0654}, {"o", 0645}, {"u", 0744}, {"all", 0755}, {"none", 0644}}) {
    write_file_atomic(src / name, name, 0644);
    ::chmod((src / name).c_str(), static_cast<mode_t>(mode));
  }
  run({"tar", "-cf", (root() / "m.tar").string(), "g", "o", "u", "all", "none"}, src);
  NullProgress np;
  ArchiveContent c = read_archive_into_odb(r.get(), root() / "m.tar", 0u, np);
  EXPECT_EQ(c.files.at("g").mode, GIT_FILEMODE_BLOB);
  EXPECT_EQ(c.files.at("o").mode, GIT_FILEMODE_BLOB);
  EXPECT_EQ(c.files.at("none").mode, GIT_FILEMODE_BLOB);
  EXPECT_EQ(c.files.at("u").mode, GIT_FILEMODE_BLOB_EXECUTABLE);
  EXPECT_EQ(c.files.at("all").mode, GIT_FILEMODE_BLOB_EXECUTABLE);
}

}  // namespace
}  // namespace gp
