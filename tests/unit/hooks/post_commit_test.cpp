#include "hooks/post_commit.hpp"

#include <gtest/gtest.h>

#include "../fixture.hpp"
#include "hooks/hooks.hpp"
#include "util/error.hpp"

namespace gp {
namespace {

class PostCommitTest : public test::TempDirTest {
 protected:
  fs::path site(const std::string& hooks_table) {
    std::string cfg = "site = \"s\"\n[env.dev]\ndatabase = \"sqlite:dev.sqlite\"\nfiles = \"files\"\n" + hooks_table;
    fs::path wt = make_repo("site", {{".pantheon.toml", cfg}, {".gitignore", "dev.sqlite\nfiles/\n"}});
    run({"sqlite3", (wt / "dev.sqlite").string(), "CREATE TABLE t(x); INSERT INTO t VALUES (42);"}, wt);
    return wt;
  }
};

TEST_F(PostCommitTest, BacksUpTheNewCommitOnListedBranchesAndKeepsN) {
  fs::path wt = site("[hooks.post-commit]\nbranches = [\"main\", \"feature/*\"]\nkeep = 2\n");
  Repo repo = Repo::open(wt);
  NullProgress p;
  std::vector<std::string> tags;
  for (int i = 0; i < 3; ++i) {
    run({"git", "commit", "-q", "--allow-empty", "-m", "c" + std::to_string(i)}, wt);
    auto r = post_commit(repo, p);
    ASSERT_TRUE(r.backup.has_value()) << r.skipped;
    EXPECT_EQ(r.backup->manifest.initiator, "commit");
    EXPECT_EQ(r.backup->manifest.commit, oid_hex(repo.head_commit()));
    EXPECT_EQ(r.backup->manifest.elements, std::vector<Element>{Element::database});
    EXPECT_EQ(r.pruned.size(), i < 2 ? 0u : 1u);
    tags.push_back(r.backup->tag);
  }
  // Retention kept the two newest; the oldest tag and its archive are gone.
  EXPECT_FALSE(repo.tag(tags[0]).has_value());
  EXPECT_TRUE(repo.tag(tags[1]).has_value());
  EXPECT_TRUE(repo.tag(tags[2]).has_value());
  Store store(repo);
  size_t n = 0;
  for (auto& e : fs::directory_iterator(store.archives_dir())) (void)e, ++n;
  EXPECT_EQ(n, 2u);
}

TEST_F(PostCommitTest, RetentionLeavesOtherBackupsAlone) {
  fs::path wt = site("[hooks.post-commit]\nbranches = [\"main\"]\nkeep = 1\n");
  Repo repo = Repo::open(wt);
  NullProgress p;
  Config cfg = load_config(wt);
  Store store(repo);
  std::string manual;
  {
    auto lock = store.lock();
    BackupRequest req;
    req.env = "dev";
    req.elements = {Element::database};
    manual = create_backup(repo, cfg, store, lock, req, p).tag;
  }
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(post_commit(repo, p).backup.has_value());
  EXPECT_TRUE(repo.tag(manual).has_value());
  EXPECT_EQ(repo.tags(kBackupTagPrefix).size(), 2u);
}

TEST_F(PostCommitTest, SkipsUnlistedBranchesDetachedHeadAndMissingConfig) {
  fs::path wt = site("[hooks.post-commit]\nbranches = [\"main\"]\n");
  Repo repo = Repo::open(wt);
  NullProgress p;
  run({"git", "checkout", "-q", "-b", "topic"}, wt);
  auto r = post_commit(repo, p);
  EXPECT_FALSE(r.backup.has_value());
  EXPECT_EQ(r.skipped, "branch 'topic' is not listed in [hooks.post-commit]");
  run({"git", "checkout", "-q", "--detach"}, wt);
  EXPECT_EQ(post_commit(repo, p).skipped, "HEAD is not on a branch");
  EXPECT_TRUE(repo.tags(kBackupTagPrefix).empty());
  Store store(repo);
  EXPECT_FALSE(store.exists());  // nothing was created

  fs::path plain = make_repo("plain", {{"a", "a\n"}});
  Repo r2 = Repo::open(plain);
  EXPECT_EQ(post_commit(r2, p).skipped, "no configuration");
}

TEST_F(PostCommitTest, SkipsDuringARebase) {
  fs::path wt = site("[hooks.post-commit]\nbranches = [\"*\"]\n");
  Repo repo = Repo::open(wt);
  NullProgress p;
  fs::create_directories(repo.common_dir() / "rebase-merge");
  EXPECT_EQ(replay_in_progress(repo).value_or(""), "a rebase is in progress");
  EXPECT_EQ(post_commit(repo, p).skipped, "a rebase is in progress");
  fs::remove_all(repo.common_dir() / "rebase-merge");
  EXPECT_FALSE(replay_in_progress(repo).has_value());
}

TEST_F(PostCommitTest, ABrokenDatabaseIsAnError) {
  fs::path wt = site("[hooks.post-commit]\nbranches = [\"main\"]\n");
  fs::remove(wt / "dev.sqlite");
  fs::create_directory(wt / "dev.sqlite");  // not a database
  Repo repo = Repo::open(wt);
  NullProgress p;
  EXPECT_THROW(post_commit(repo, p), Error);
  EXPECT_TRUE(repo.tags(kBackupTagPrefix).empty());
}

TEST(PostCommitShim, IsInstalledWithPrePush) {
  EXPECT_NE(std::find(managed_hooks().begin(), managed_hooks().end(), "post-commit"), managed_hooks().end());
  std::string shim = hook_shim("post-commit");
  EXPECT_NE(shim.find(kHookMarker), std::string::npos);
  EXPECT_NE(shim.find("git pantheon hook post-commit"), std::string::npos);
  EXPECT_NE(shim.find("grep -qs post-commit .pantheon.toml || exit 0"), std::string::npos);
  EXPECT_EQ(shim.substr(shim.size() - 7), "exit 0\n");
}

}  // namespace
}  // namespace gp
