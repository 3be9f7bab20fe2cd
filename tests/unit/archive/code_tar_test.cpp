#include <fcntl.h>
#include <sys/stat.h>

#include "archive/archive_helpers.hpp"
#include "archive/gzip.hpp"
#include "archive/tar.hpp"
#include "fixture.hpp"

namespace gp::test {
namespace {

class CodeTarTest : public TempDirTest {
 protected:
  std::string git(const fs::path& cwd, const std::vector<std::string>& args) {
    std::vector<std::string> argv{"git"};
    for (auto& a : args) argv.push_back(a);
    return run(std::move(argv), cwd);
  }
  static std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  }
};

TEST_F(CodeTarTest, ExtractedArchiveIsACleanRepositoryWithAllBranchesAndTags) {
  fs::path repo_dir = make_repo("site", {{"index.php", "<?php echo 'hi';\n"},
                                         {"web/core/lib.php", "<?php // lib\n"},
                                         {"caf\xc3\xa9/menu.txt", "utf-8 path\n"}});
  git(repo_dir, {"tag", "v0"});  // lightweight
  git(repo_dir, {"tag", "-a", "v1", "-m", "release one"});
  git(repo_dir, {"checkout", "-q", "-b", "feature"});
  write_file_atomic(repo_dir / "feature.txt", "feature work\n", 0644);
  git(repo_dir, {"add", "feature.txt"});
  git(repo_dir, {"commit", "-q", "-m", "feature"});
  git(repo_dir, {"tag", "-a", "feature-tag", "-m", "on the feature branch only"});
  git(repo_dir, {"checkout", "-q", "main"});
  fs::create_directories(repo_dir / "bin");
  write_file_atomic(repo_dir / "bin/drush", "#!/bin/sh\necho drush\n", 0755);
  ::chmod((repo_dir / "bin/drush").c_str(), 0755);
  fs::create_symlink("web/core/lib.php", repo_dir / "lib-link");
  // A large blob goes through the streaming path (git cat-file).
  write_file_atomic(repo_dir / "big.sql", text_bytes(17 << 20), 0644);
  git(repo_dir, {"add", "-A"});
  std::string sub_commit = trim(git(repo_dir, {"rev-parse", "HEAD"}));
  git(repo_dir, {"update-index", "--add", "--cacheinfo", "160000," + sub_commit + ",modules/sub"});
  git(repo_dir, {"commit", "-q", "-m", "second"});
  git(repo_dir, {"tag", "-a", "pantheon_live_1", "-m", "deploy"});
  // Refs that must stay out of the archive.
  git(repo_dir, {"update-ref", "refs/pantheon/internal", "HEAD"});
  git(repo_dir, {"update-ref", "refs/remotes/origin/main", "HEAD~1"});
  fs::create_directories(repo_dir / ".git/pantheon/archives");
  write_file_atomic(repo_dir / ".git/pantheon/archives/x.tar.gz", "local store");
  // The work tree differs from the commit: the archive must not care.
  write_file_atomic(repo_dir / "index.php", "uncommitted change\n", 0644);

  Repo repo = Repo::open(repo_dir);
  git_oid commit = repo.head_commit();
  const std::string commit_hex = oid_hex(commit);

  fs::path gz = root() / "code.tar.gz";
  TempDir scratch(root(), "scratch-");
  TarStats stats;
  {
    Fd fd = open_file(gz, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    FdSink sink(fd.get(), gz.string());
    GzipWriter w(sink, 6);
    NullProgress progress;
    stats = write_code_tar(repo, commit, "master", "code", scratch.path(), w, progress);
    w.close();
  }
  EXPECT_GT(stats.entries, 10U);

  fs::path out = root() / "out";
  fs::create_directories(out);
  run({"tar", "-xzf", gz.string(), "-C", out.string()}, root());
  fs::path code = out / "code";
  git(code, {"fsck", "--full", "--strict"});
  EXPECT_EQ(git(code, {"status", "--porcelain"}), "");
  EXPECT_EQ(trim(git(code, {"rev-parse", "HEAD"})), commit_hex);
  EXPECT_EQ(trim(git(code, {"symbolic-ref", "HEAD"})), "refs/heads/master");
  EXPECT_EQ(git(code, {"for-each-ref", "--format=%(refname)"}),
            "refs/heads/feature\nrefs/heads/main\nrefs/heads/master\nrefs/tags/feature-tag\n"
            "refs/tags/pantheon_live_1\nrefs/tags/v0\nrefs/tags/v1\n");
  EXPECT_EQ(trim(git(code, {"rev-parse", "refs/tags/v1"})), trim(git(repo_dir, {"rev-parse", "refs/tags/v1"})));
  EXPECT_EQ(trim(git(code, {"rev-parse", "feature"})), trim(git(repo_dir, {"rev-parse", "feature"})));
  std::string log = git(code, {"log", "--tags", "--oneline", "--decorate"});
  for (auto* t : {"v0", "v1", "feature-tag", "pantheon_live_1"}) EXPECT_NE(log.find(t), std::string::npos) << t;
  // One pack with its index, no loose objects, no local store.
  std::string counts = git(code, {"count-objects", "-v"});
  EXPECT_NE(counts.find("count: 0\n"), std::string::npos) << counts;
  EXPECT_NE(counts.find("packs: 1\n"), std::string::npos) << counts;
  EXPECT_FALSE(fs::exists(code / ".git/pantheon"));
  EXPECT_EQ(trim(git(code, {"config", "core.bare"})), "false");

  // The files are the commit's tree (not the work tree): compare with ls-tree.
  std::string tree = git(code, {"ls-tree", "-r", "HEAD"});
  size_t n = 0;
  for (size_t pos = 0, end; (end = tree.find('\n', pos)) != std::string::npos; pos = end + 1) {
    std::string line = tree.substr(pos, end - pos);
    std::string mode = line.substr(0, 6), oid = line.substr(line.find(' ', 7) + 1, 40);
    std::string path = line.substr(line.find('\t') + 1);
    if (path.front() == '"') continue;  // quoted non-ASCII name, checked below
    SCOPED_TRACE(path);
    ++n;
    struct stat st;
    ASSERT_EQ(::lstat((code / path).c_str(), &st), 0);
    if (mode == "160000") {
      EXPECT_TRUE(S_ISDIR(st.st_mode));
      EXPECT_TRUE(fs::is_empty(code / path));
    } else if (mode == "120000") {
      ASSERT_TRUE(S_ISLNK(st.st_mode));
      EXPECT_EQ(fs::read_symlink(code / path).string(), git(code, {"cat-file", "blob", oid}));
    } else {
      ASSERT_TRUE(S_ISREG(st.st_mode));
      EXPECT_EQ(st.st_mode & 0777, mode == "100755" ? 0755U : 0644U);
      EXPECT_TRUE(read_text_file(code / path) == git(code, {"cat-file", "blob", oid}));
    }
  }
  EXPECT_EQ(n, 6U);  // plus the quoted UTF-8 path
  EXPECT_EQ(read_text_file(code / "caf\xc3\xa9/menu.txt"), "utf-8 path\n");
  EXPECT_EQ(read_text_file(code / "index.php"), "<?php echo 'hi';\n");
  // A clone of the extracted repository works too.
  git(root(), {"clone", "-q", code.string(), (root() / "clone").string()});
  EXPECT_EQ(trim(git(root() / "clone", {"rev-parse", "HEAD"})), commit_hex);
}

TEST_F(CodeTarTest, InvalidBranchNameIsRefused) {
  fs::path repo_dir = make_repo("site", {{"a", "b"}});
  Repo repo = Repo::open(repo_dir);
  StringSink sink;
  NullProgress progress;
  TempDir scratch(root(), "scratch-");
  try {
    write_code_tar(repo, repo.head_commit(), "bad..name", "code", scratch.path(), sink, progress);
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Exit::bad_input);
  }
}

}  // namespace
}  // namespace gp::test
