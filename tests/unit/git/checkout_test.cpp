// Branch checkout, linked worktrees and first-parent history, judged by the real git.
#include "git/checkout.hpp"

#include <gtest/gtest.h>

#include "fixture.hpp"
#include "git/history.hpp"

namespace gp {
namespace {

class GitCheckoutTest : public test::TempDirTest {
 protected:
  std::string git(const fs::path& dir, const std::vector<std::string>& args) {
    std::vector<std::string> argv{"git"};
    for (auto& a : args) argv.push_back(a);
    std::string out = run(std::move(argv), dir);
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }
  void commit(const fs::path& dir, const std::string& file, const std::string& content, const std::string& msg) {
    write_file_atomic(dir / file, content, 0644);
    git(dir, {"add", "-A"});
    git(dir, {"commit", "-q", "-m", msg});
  }
};

TEST_F(GitCheckoutTest, FirstParentLogSkipsMergedBranches) {
  fs::path d = make_repo("site", {{"a", "1"}});
  git(d, {"checkout", "-q", "-b", "side"});
  commit(d, "s", "s", "side work");
  git(d, {"checkout", "-q", "main"});
  commit(d, "b", "b", "main work");
  git(d, {"merge", "-q", "--no-ff", "-m", "merge side", "side"});
  Repo repo = Repo::open(d);
  auto log = first_parent_log(repo, repo.head_commit(), 0);
  ASSERT_EQ(log.size(), 3U);
  EXPECT_EQ(log[0].subject, "merge side");
  EXPECT_EQ(log[1].subject, "main work");
  EXPECT_EQ(log[2].subject, "initial");
  EXPECT_EQ(oid_hex(first_parent_root(repo, repo.head_commit())), git(d, {"rev-list", "--max-parents=0", "main"}));
  EXPECT_EQ(first_parent_log(repo, repo.head_commit(), 2).size(), 2U);
  EXPECT_EQ(log[0].short_id, git(d, {"rev-parse", "--short", "HEAD"}));
  EXPECT_EQ(git_time_iso8601(log[0].author_time, log[0].author_offset), git(d, {"log", "-1", "--format=%aI"}));
  EXPECT_EQ(git_time_iso8601(0, -90), "1969-12-31T22:30:00-01:30");
}

TEST_F(GitCheckoutTest, NewBranchCheckedOutAndRefusals) {
  fs::path d = make_repo("site", {{"a", "1"}});
  std::string first = git(d, {"rev-parse", "HEAD"});
  commit(d, "a", "2", "second");
  Repo repo = Repo::open(d);
  git_oid target = *repo.resolve_commit(first);

  // Uncommitted change: refused, nothing changed.
  write_file_atomic(d / "a", "mine", 0644);
  EXPECT_THROW(checkout_new_branch(repo, "old", target, {}), Error);
  EXPECT_EQ(git(d, {"symbolic-ref", "HEAD"}), "refs/heads/main");
  EXPECT_EQ(read_text_file(d / "a"), "mine");
  // Even when carrying changes over: this one conflicts.
  BranchCheckoutOptions carry;
  carry.carry_local_changes = true;
  EXPECT_THROW(checkout_new_branch(repo, "old", target, carry), Error);
  EXPECT_EQ(read_text_file(d / "a"), "mine");
  EXPECT_EQ(git(d, {"branch", "--list", "old"}), "");

  git(d, {"checkout", "-q", "--", "a"});
  EXPECT_FALSE(checkout_new_branch(repo, "old", target, {}));
  EXPECT_EQ(git(d, {"symbolic-ref", "HEAD"}), "refs/heads/old");
  EXPECT_EQ(git(d, {"rev-parse", "HEAD"}), first);
  EXPECT_EQ(read_text_file(d / "a"), "1");
  EXPECT_EQ(git(d, {"status", "--porcelain"}), "");

  // Existing branch: refused, then reset with reset_existing (also when it is HEAD).
  git_oid main_tip = *repo.resolve_commit("main");
  EXPECT_THROW(checkout_new_branch(repo, "main", target, {}), Error);
  BranchCheckoutOptions reset;
  reset.reset_existing = true;
  EXPECT_TRUE(checkout_new_branch(repo, "old", main_tip, reset));
  EXPECT_EQ(git(d, {"rev-parse", "old"}), oid_hex(main_tip));
  EXPECT_EQ(read_text_file(d / "a"), "2");
  EXPECT_THROW(checkout_new_branch(repo, "bad..name", target, {}), Error);
}

TEST_F(GitCheckoutTest, WorktreeCreatedDetachedThenMovedSafely) {
  fs::path d = make_repo("site", {{"a", "1"}});
  std::string first = git(d, {"rev-parse", "HEAD"});
  commit(d, "a", "2", "second");
  Repo repo = Repo::open(d);
  fs::path wt = root() / "deploys" / "site-test";
  EXPECT_EQ(place_worktree(repo, wt, *repo.resolve_commit(first), false), WorktreeChange::created);
  EXPECT_EQ(git(wt, {"rev-parse", "HEAD"}), first);
  EXPECT_EQ(git(wt, {"rev-parse", "--abbrev-ref", "HEAD"}), "HEAD");  // detached
  EXPECT_EQ(read_text_file(wt / "a"), "1");
  EXPECT_EQ(git(d, {"branch", "--list", "git-pantheon-*"}), "");
  EXPECT_EQ(place_worktree(repo, wt, *repo.resolve_commit(first), false), WorktreeChange::unchanged);

  git_oid second = repo.head_commit();
  EXPECT_EQ(place_worktree(repo, wt, second, false), WorktreeChange::updated);
  EXPECT_EQ(read_text_file(wt / "a"), "2");
  EXPECT_EQ(git(wt, {"status", "--porcelain"}), "");

  write_file_atomic(wt / "a", "edited there", 0644);
  git_oid back = *repo.resolve_commit(first);
  EXPECT_THROW(check_worktree_placeable(repo, wt, false), Error);
  EXPECT_THROW(place_worktree(repo, wt, back, false), Error);
  EXPECT_EQ(read_text_file(wt / "a"), "edited there");
  EXPECT_EQ(place_worktree(repo, wt, back, true), WorktreeChange::updated);
  EXPECT_EQ(read_text_file(wt / "a"), "1");

  fs::create_directories(root() / "taken");
  write_file_atomic(root() / "taken" / "x", "x", 0644);
  EXPECT_THROW(check_worktree_placeable(repo, root() / "taken", false), Error);
  EXPECT_THROW(place_worktree(repo, root() / "taken", second, false), Error);
}

}  // namespace
}  // namespace gp
