// The squash import writes one packfile (no loose blobs or trees) that git itself
// verifies, and updates the work tree from staged files.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <random>
#include <set>

#include "fixture.hpp"
#include "import/pack_writer.hpp"
#include "import/squash.hpp"

namespace gp {
namespace {

class ImportPackTest : public test::TempDirTest {
 protected:
  fs::path repo_dir() { return root() / "repo"; }
  Repo init_repo() {
    fs::path d = repo_dir();
    fs::create_directories(d);
    run({"git", "init", "-q", "-b", "main", "."}, d);
    write_file_atomic(d / "old.txt", "removed upstream\n", 0644);
    run({"git", "add", "-A"}, d);
    run({"git", "commit", "-q", "-m", "init"}, d);
    return Repo::open(d);
  }
  // A source tree with small files, duplicates, an empty file, an executable, a
  // symlink and a 3 MiB file (larger than PackWriter's whole-object limit).
  fs::path make_source() {
    fs::path src = root() / "src" / "site";
    fs::create_directories(src / "a" / "b");
    write_file_atomic(src / "index.php", "<?php echo 1;\n", 0644);
    write_file_atomic(src / "a/same1.txt", "same\n", 0644);
    write_file_atomic(src / "a/b/same2.txt", "same\n", 0644);
    write_file_atomic(src / "a/empty", "", 0644);
    write_file_atomic(src / "run.sh", "#!/bin/sh\necho hi\n", 0755);
    std::string big(3 << 20, '\0');
    std::mt19937 rng(7);
    for (auto& c : big) c = static_cast<char>(rng() % 7 == 0 ? rng() : 'x');
    write_file_atomic(src / "a/big.bin", big, 0644);
    fs::create_symlink("a/b/same2.txt", src / "link");
    return src;
  }
  std::vector<fs::path> packs() {
    std::vector<fs::path> out;
    for (auto& e : fs::directory_iterator(repo_dir() / ".git/objects/pack")) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
  }
  // Types of the loose objects, sorted.
  std::multiset<std::string> loose_types() {
    std::multiset<std::string> out;
    for (auto& d : fs::directory_iterator(repo_dir() / ".git/objects")) {
      std::string n = d.path().filename().string();
      if (n.size() != 2) continue;
      for (auto& f : fs::directory_iterator(d.path()))
        out.insert(run({"git", "cat-file", "-t", n + f.path().filename().string()}, repo_dir()));
    }
    return out;
  }
  SquashResult import(Repo& r, const fs::path& archive, bool force = false) {
    Store store(r);
    SquashOptions o;
    o.archive = archive;
    o.force = force;
    NullProgress np;
    FileLock lock = store.lock();
    return import_squash(r, store, lock, o, np);
  }
};

TEST_F(ImportPackTest, WritesOnePackThatGitVerifiesAndNoLooseBlobs) {
  Repo r = init_repo();
  fs::path src = make_source();
  run({"tar", "-czf", (root() / "site.tar.gz").string(), "site"}, root() / "src");
  std::multiset<std::string> loose_before = loose_types();
  SquashResult res = import(r, root() / "site.tar.gz");
  // blobs: index.php, same, empty, run.sh, big.bin, link target; trees: root, a, a/b
  EXPECT_EQ(res.packed, 9u);
  auto p = packs();
  ASSERT_EQ(p.size(), 2u);  // one .pack and its .idx
  EXPECT_EQ(p[0].extension(), ".idx");
  EXPECT_EQ(p[1].extension(), ".pack");
  // Loose: only what was there plus the import commit.
  loose_before.insert("commit\n");
  EXPECT_EQ(loose_types(), loose_before);
  run({"git", "fsck", "--full", "--strict"}, repo_dir());
  std::string verify = run({"git", "verify-pack", "-v", p[0].string()}, repo_dir());
  EXPECT_NE(verify.find(": ok"), std::string::npos) << verify;
  std::string counts = run({"git", "count-objects", "-v"}, repo_dir());
  EXPECT_NE(counts.find("in-pack: 9\n"), std::string::npos) << counts;
  // The tree is the archive's, byte for byte as git would hash it.
  EXPECT_EQ(run({"git", "rev-parse", "HEAD:a/big.bin"}, repo_dir()),
            run({"git", "hash-object", (src / "a/big.bin").string()}, repo_dir()));
  EXPECT_EQ(run({"git", "ls-tree", "-r", "--format=%(objectmode) %(path)", "HEAD"}, repo_dir()),
            "100644 a/b/same2.txt\n100644 a/big.bin\n100644 a/empty\n100644 a/same1.txt\n"
            "100644 index.php\n120000 link\n100755 run.sh\n");
  // The work tree: content, modes, symlink, the removed file gone, status clean,
  // and nothing left in the staging area.
  EXPECT_EQ(run({"cmp", (src / "a/big.bin").string(), (repo_dir() / "a/big.bin").string()}, repo_dir()), "");
  EXPECT_EQ(read_text_file(repo_dir() / "a/same1.txt"), "same\n");
  EXPECT_EQ(read_text_file(repo_dir() / "a/b/same2.txt"), "same\n");
  EXPECT_TRUE(fs::is_symlink(repo_dir() / "link"));
  EXPECT_EQ(fs::read_symlink(repo_dir() / "link"), "a/b/same2.txt");
  struct stat st;
  ASSERT_EQ(::stat((repo_dir() / "run.sh").c_str(), &st), 0);
  EXPECT_TRUE(st.st_mode & S_IXUSR);
  EXPECT_FALSE(fs::exists(repo_dir() / "old.txt"));
  EXPECT_EQ(run({"git", "status", "--porcelain", "--ignored"}, repo_dir()), "");
  EXPECT_TRUE(fs::is_empty(repo_dir() / ".git/pantheon/tmp"));
}

TEST_F(ImportPackTest, ObjectsTheRepositoryHasAreNotWrittenAgain) {
  Repo r = init_repo();
  fs::path src = make_source();
  run({"tar", "-cf", (root() / "v1.tar").string(), "site"}, root() / "src");
  import(r, root() / "v1.tar");
  write_file_atomic(src / "index.php", "<?php echo 2;\n", 0644);
  run({"tar", "-cf", (root() / "v2.tar").string(), "site"}, root() / "src");
  SquashResult res = import(r, root() / "v2.tar");
  EXPECT_EQ(res.packed, 2u);  // the new index.php and the new root tree
  EXPECT_EQ(packs().size(), 4u);
  run({"git", "fsck", "--full", "--strict"}, repo_dir());
  EXPECT_EQ(read_text_file(repo_dir() / "index.php"), "<?php echo 2;\n");
  EXPECT_EQ(run({"git", "status", "--porcelain"}, repo_dir()), "");
}

TEST_F(ImportPackTest, FailedImportLeavesNothing) {
  Repo r = init_repo();
  make_source();
  run({"tar", "-cf", (root() / "site.tar").string(), "site"}, root() / "src");
  // Cut inside the big file's data.
  fs::resize_file(root() / "site.tar", fs::file_size(root() / "site.tar") / 2);
  std::string head = run({"git", "rev-parse", "HEAD"}, repo_dir());
  EXPECT_THROW(import(r, root() / "site.tar"), Error);
  EXPECT_TRUE(packs().empty());
  EXPECT_EQ(run({"git", "rev-parse", "HEAD"}, repo_dir()), head);
  EXPECT_TRUE(fs::exists(repo_dir() / "old.txt"));
  EXPECT_FALSE(fs::exists(repo_dir() / "index.php"));
  EXPECT_TRUE(fs::is_empty(repo_dir() / ".git/pantheon/tmp"));
}

TEST_F(ImportPackTest, UntrackedFileInTheWayRefusesBeforeAnyChange) {
  Repo r = init_repo();
  make_source();
  run({"tar", "-cf", (root() / "site.tar").string(), "site"}, root() / "src");
  write_file_atomic(repo_dir() / "index.php", "mine\n", 0644);
  std::string head = run({"git", "rev-parse", "HEAD"}, repo_dir());
  try {
    import(r, root() / "site.tar");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Exit::bad_input);
    EXPECT_NE(std::string(e.what()).find("untracked file 'index.php' would be overwritten"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(run({"git", "rev-parse", "HEAD"}, repo_dir()), head);
  EXPECT_EQ(read_text_file(repo_dir() / "index.php"), "mine\n");
  EXPECT_TRUE(fs::exists(repo_dir() / "old.txt"));
  EXPECT_FALSE(fs::exists(repo_dir() / "run.sh"));
  // --force replaces it.
  import(r, root() / "site.tar", true);
  EXPECT_EQ(read_text_file(repo_dir() / "index.php"), "<?php echo 1;\n");
  EXPECT_EQ(run({"git", "status", "--porcelain"}, repo_dir()), "");
}

TEST_F(ImportPackTest, CheckoutFiltersStillApply) {
  Repo r = init_repo();
  fs::path src = root() / "src" / "site";
  fs::create_directories(src);
  write_file_atomic(src / ".gitattributes", "*.txt eol=crlf\n", 0644);
  write_file_atomic(src / "a.txt", "one\ntwo\n", 0644);
  write_file_atomic(src / "b.bin", "one\ntwo\n", 0644);
  run({"tar", "-cf", (root() / "site.tar").string(), "site"}, root() / "src");
  import(r, root() / "site.tar");
  EXPECT_EQ(read_text_file(repo_dir() / "a.txt"), "one\r\ntwo\r\n");
  EXPECT_EQ(read_text_file(repo_dir() / "b.bin"), "one\ntwo\n");
  EXPECT_EQ(run({"git", "status", "--porcelain"}, repo_dir()), "");
}

TEST_F(ImportPackTest, FileBecomesDirectoryAndBack) {
  Repo r = init_repo();
  fs::path src = root() / "src" / "site";
  fs::create_directories(src);
  write_file_atomic(src / "x", "file\n", 0644);
  write_file_atomic(src / "keep", "k\n", 0644);
  run({"tar", "-cf", (root() / "v1.tar").string(), "site"}, root() / "src");
  import(r, root() / "v1.tar");
  fs::remove(src / "x");
  fs::create_directories(src / "x" / "y");
  write_file_atomic(src / "x/y/z", "deep\n", 0644);
  run({"tar", "-cf", (root() / "v2.tar").string(), "site"}, root() / "src");
  import(r, root() / "v2.tar");
  EXPECT_EQ(read_text_file(repo_dir() / "x/y/z"), "deep\n");
  EXPECT_EQ(run({"git", "status", "--porcelain"}, repo_dir()), "");
  import(r, root() / "v1.tar");
  EXPECT_EQ(read_text_file(repo_dir() / "x"), "file\n");
  EXPECT_EQ(run({"git", "status", "--porcelain", "--ignored"}, repo_dir()), "");
  run({"git", "fsck", "--full", "--strict"}, repo_dir());
}

TEST_F(ImportPackTest, PackWriterAloneMatchesGitHashes) {
  Repo r = init_repo();
  git_oid a, b, c;
  {
    PackWriter pw(r.get());
    a = pw.add(GIT_OBJECT_BLOB, "hello\n", 6);
    std::string big(2 << 20, 'z');
    pw.begin(GIT_OBJECT_BLOB, big.size());
    pw.write(big.data(), 1000);
    pw.write(big.data() + 1000, big.size() - 1000);
    b = pw.end();
    git_oid again = pw.add(GIT_OBJECT_BLOB, "hello\n", 6);  // not written twice
    EXPECT_TRUE(git_oid_equal(&again, &a));
    // Incompressible: stored after the first 256 KiB.
    std::string noise(3 << 20, '\0');
    std::mt19937 rng(3);
    for (auto& ch : noise) ch = static_cast<char>(rng());
    write_file_atomic(root() / "noise", noise, 0644);
    pw.begin(GIT_OBJECT_BLOB, noise.size());
    for (size_t off = 0; off < noise.size(); off += 65536) pw.write(noise.data() + off, 65536);
    c = pw.end();
    EXPECT_EQ(pw.finish(), 3u);
  }
  EXPECT_EQ(oid_hex(c) + "\n", run({"git", "hash-object", (root() / "noise").string()}, repo_dir()));
  run({"git", "fsck", "--full", "--strict"}, repo_dir());
  EXPECT_EQ(run({"git", "cat-file", "blob", oid_hex(c)}, repo_dir()).size(), 3u << 20);
  fs::path f = root() / "hello";
  write_file_atomic(f, "hello\n", 0644);
  EXPECT_EQ(oid_hex(a) + "\n", run({"git", "hash-object", f.string()}, repo_dir()));
  EXPECT_EQ(run({"git", "cat-file", "-s", oid_hex(b)}, repo_dir()), std::to_string(2 << 20) + "\n");
  // An abandoned writer leaves nothing.
  {
    PackWriter pw(r.get());
    pw.add(GIT_OBJECT_BLOB, "other\n", 6);
  }
  EXPECT_EQ(packs().size(), 2u);
}

}  // namespace
}  // namespace gp
