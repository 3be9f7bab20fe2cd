#pragma once
// Test isolation: every test that touches the file system or git gets a fresh
// temporary directory, its own HOME, GIT_CONFIG_NOSYSTEM=1, and libgit2's config
// search paths pointed at an empty directory, so that nothing of the developer's
// machine (their ~/.gitconfig, /etc/gitconfig) can leak in or be changed.
#include <git2.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "git/repo.hpp"
#include "util/fs.hpp"
#include "util/process.hpp"

namespace gp::test {

class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* base = std::getenv("TMPDIR");
    dir_ = std::make_unique<TempDir>(base ? base : "/tmp", "gp-test-");
    root_ = dir_->path();
    home_ = root_ / "home";
    fs::create_directories(home_);
    empty_ = root_ / "empty-config";
    fs::create_directories(empty_);
    ::setenv("HOME", home_.c_str(), 1);
    ::setenv("XDG_CONFIG_HOME", (home_ / ".config").c_str(), 1);
    ::setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
    ::setenv("GIT_AUTHOR_NAME", "Test Author", 1);
    ::setenv("GIT_AUTHOR_EMAIL", "author@example.invalid", 1);
    ::setenv("GIT_COMMITTER_NAME", "Test Author", 1);
    ::setenv("GIT_COMMITTER_EMAIL", "author@example.invalid", 1);
    git_libgit2_init();
    for (auto level : {GIT_CONFIG_LEVEL_SYSTEM, GIT_CONFIG_LEVEL_XDG, GIT_CONFIG_LEVEL_GLOBAL, GIT_CONFIG_LEVEL_PROGRAMDATA})
      git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, level, empty_.c_str());
  }
  void TearDown() override {
    git_libgit2_shutdown();
    dir_.reset();
  }
  const fs::path& root() const { return root_; }

  // Runs a program (argv, no shell) in `cwd`; fails the test when it exits non-zero.
  std::string run(std::vector<std::string> argv, const fs::path& cwd) {
    ProcessSpec spec;
    spec.argv = std::move(argv);
    spec.cwd = cwd;
    auto r = run_capture(spec);
    EXPECT_EQ(r.status, 0) << spec.argv[0] << ": " << r.err;
    return r.out;
  }

  // A work tree with one commit holding `files` (path -> content).
  fs::path make_repo(const std::string& name, const std::vector<std::pair<std::string, std::string>>& files) {
    fs::path repo = root_ / name;
    fs::create_directories(repo);
    run({"git", "init", "-q", "-b", "main", "."}, repo);
    for (auto& [path, content] : files) {
      fs::create_directories((repo / path).parent_path());
      write_file_atomic(repo / path, content, 0644);
    }
    run({"git", "add", "-A"}, repo);
    run({"git", "commit", "-q", "--allow-empty", "-m", "initial"}, repo);
    return repo;
  }

 private:
  std::unique_ptr<TempDir> dir_;
  fs::path root_, home_, empty_;
};

}  // namespace gp::test
