// Deploy tag numbering and messages, against repositories written by the real git.
#include "deploy/deploy.hpp"

#include <gtest/gtest.h>

#include "fixture.hpp"

namespace gp {
namespace {

class DeployTest : public test::TempDirTest {};

TEST(DeployNumber, ParsesOnlyExactNames) {
  EXPECT_EQ(deploy_number("pantheon_test_1", "test"), 1UL);
  EXPECT_EQ(deploy_number("pantheon_test_10", "test"), 10UL);
  EXPECT_EQ(deploy_number("pantheon_test_07", "test"), std::nullopt);
  EXPECT_EQ(deploy_number("pantheon_test_", "test"), std::nullopt);
  EXPECT_EQ(deploy_number("pantheon_test_1a", "test"), std::nullopt);
  EXPECT_EQ(deploy_number("pantheon_live_3", "test"), std::nullopt);
  EXPECT_EQ(deploy_number("pantheon_test-x_3", "test"), std::nullopt);
}

TEST(DeployNumber, NextIsHighestPlusOneKeepingGaps) {
  EXPECT_EQ(next_deploy_number({}), 1UL);
  std::vector<DeployTag> tags(2);
  tags[0].number = 3;
  tags[1].number = 7;
  EXPECT_EQ(next_deploy_number(tags), 8UL);
  tags[0].number = 9;
  tags[1].number = 2;
  EXPECT_EQ(next_deploy_number(tags), 10UL);
  EXPECT_EQ(deploy_tag_name("live", 10), "pantheon_live_10");
}

TEST(DeployMessage, CleansUpLikeGitTag) {
  GitLibrary lib;
  EXPECT_EQ(tag_message("Deploy"), "Deploy\n");
  EXPECT_EQ(tag_message("\n\n  Fix #12  \n\n\nbody\n\n"), "  Fix #12\n\nbody\n");
  EXPECT_EQ(tag_message("  \n"), "");
}

TEST_F(DeployTest, NumbersNumericallyPastNine) {
  fs::path repo_dir = make_repo("site", {{"a.txt", "a"}});
  for (auto n : {"1", "2", "9"}) run({"git", "tag", "-a", "-m", "x", std::string("pantheon_test_") + n}, repo_dir);
  run({"git", "tag", "pantheon_test_05"}, repo_dir);     // leading zero: not a deploy tag
  run({"git", "tag", "pantheon_testing_40"}, repo_dir);  // another environment's prefix
  Repo repo = Repo::open(repo_dir);
  auto tags = deploy_tags(repo, "test");
  ASSERT_EQ(tags.size(), 3U);
  EXPECT_EQ(tags.back().tag.name, "pantheon_test_9");
  EXPECT_EQ(next_deploy_number(tags), 10UL);
}

TEST_F(DeployTest, DeployTagsAndRefusesTheSameCommitTwice) {
  fs::path repo_dir = make_repo("site", {{"a.txt", "a"}});
  write_file_atomic(repo_dir / ".pantheon.toml",
                    "site = \"s\"\n[env.dev]\ndatabase = \"sqlite:dev.db\"\nfiles = \"f/dev\"\n"
                    "[env.test]\ndatabase = \"sqlite:test.db\"\nfiles = \"f/test\"\n"
                    "[env.live]\ndatabase = \"sqlite:live.db\"\nfiles = \"f/live\"\n",
                    0644);
  run({"git", "add", "-A"}, repo_dir);
  run({"git", "commit", "-q", "-m", "config"}, repo_dir);
  run({"git", "tag", "-a", "-m", "hand", "pantheon_test_9"}, repo_dir);
  run({"git", "commit", "-q", "--allow-empty", "-m", "second"}, repo_dir);
  Repo repo = Repo::open(repo_dir);
  Config cfg = load_config(repo_dir);
  Store store(repo);
  FileLock lock = store.lock();
  DeployRequest req;
  req.env = "test";
  DeployResult r = deploy(repo, cfg, lock, req);
  EXPECT_EQ(r.tag, "pantheon_test_10");
  EXPECT_EQ(r.message, "Deploy to test: second\n");
  EXPECT_TRUE(r.created_initialize);
  EXPECT_EQ(oid_hex(r.commit), oid_hex(repo.head_commit()));
  try {
    deploy(repo, cfg, lock, req);
    FAIL() << "deployed the same commit twice";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Exit::nothing_to_do);
  }
  req.env = "live";
  DeployResult live = deploy(repo, cfg, lock, req);
  EXPECT_EQ(live.tag, "pantheon_live_1");
  EXPECT_EQ(oid_hex(live.commit), oid_hex(r.commit));
  EXPECT_FALSE(live.created_initialize);
  req.env = "dev";
  EXPECT_THROW(deploy(repo, cfg, lock, req), Error);
}

}  // namespace
}  // namespace gp
