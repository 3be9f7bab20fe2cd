// finish_interrupted_head_move: what the next import does after a kill between
// advance_head's checkout and its branch update (found by tests/e2e/t-crash.sh).
#include <gtest/gtest.h>

#include "fixture.hpp"
#include "import/tree.hpp"

namespace gp {
namespace {

class HeadMoveTest : public test::TempDirTest {
 protected:
  fs::path dir() { return root() / "repo"; }
  std::string commit_file(const std::string& name, const std::string& text) {
    write_file_atomic(dir() / name, text, 0644);
    run({"git", "add", "-A"}, dir());
    run({"git", "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", name}, dir());
    return head();
  }
  std::string head() {
    std::string h = run({"git", "rev-parse", "HEAD"}, dir());
    return h.substr(0, h.size() - 1);
  }
  fs::path journal() { return dir() / ".git" / "pantheon" / "head-move"; }
  void write_journal(const std::string& from, const std::string& to) {
    fs::create_directories(journal().parent_path());
    write_file_atomic(journal(), "refs/heads/main\n" + from + "\n" + to + "\n");
  }
};

TEST_F(HeadMoveTest, FinishesAMoveKilledAfterTheCheckout) {
  fs::create_directories(dir());
  run({"git", "init", "-q", "-b", "main", "."}, dir());
  std::string a = commit_file("a.txt", "1\n");
  write_file_atomic(dir() / "b.txt", "new\n", 0644);
  std::string b = commit_file("a.txt", "2\n");
  run({"git", "reset", "-q", "--hard", a}, dir());
  // The killed import had written some of the new files, not moved the branch.
  write_file_atomic(dir() / "a.txt", "2\n", 0644);
  write_journal(a, b);
  Repo repo = Repo::open(dir());
  auto msg = finish_interrupted_head_move(repo.get());
  ASSERT_TRUE(msg.has_value());
  EXPECT_NE(msg->find("an earlier import was interrupted"), std::string::npos) << *msg;
  EXPECT_EQ(head(), b);
  EXPECT_EQ(run({"git", "status", "--porcelain"}, dir()), "");
  EXPECT_EQ(read_text_file(dir() / "b.txt"), "new\n");
  EXPECT_FALSE(fs::exists(journal()));
  EXPECT_FALSE(finish_interrupted_head_move(repo.get()).has_value());  // nothing left to do
}

TEST_F(HeadMoveTest, LeavesABranchThatMovedElsewhereAlone) {
  fs::create_directories(dir());
  run({"git", "init", "-q", "-b", "main", "."}, dir());
  std::string a = commit_file("a.txt", "1\n");
  std::string b = commit_file("a.txt", "2\n");
  std::string c = commit_file("a.txt", "3\n");
  write_journal(a, b);  // the branch is at c now: someone committed since
  Repo repo = Repo::open(dir());
  EXPECT_FALSE(finish_interrupted_head_move(repo.get()).has_value());
  EXPECT_EQ(head(), c);
  EXPECT_EQ(read_text_file(dir() / "a.txt"), "3\n");
  EXPECT_FALSE(fs::exists(journal()));
}

}  // namespace
}  // namespace gp
