#include <gtest/gtest.h>

#include "../fixture.hpp"
#include "hooks/hook_files.hpp"
#include "hooks/hooks.hpp"
#include "util/error.hpp"

namespace gp {
namespace {

class HooksTest : public test::TempDirTest {};

TEST_F(HooksTest, InstallsUpgradesAndUninstalls) {
  fs::path wt = make_repo("site", {{"a.txt", "a\n"}});
  Repo repo = Repo::open(wt);
  fs::path dir = hooks_dir(repo);
  EXPECT_EQ(dir, repo.common_dir() / "hooks");
  EXPECT_EQ(hooks_status(repo)[0].state, "missing");
  install_hooks(repo, false);
  EXPECT_EQ(read_text_file(dir / "pre-push"), hook_shim("pre-push"));
  EXPECT_EQ(fs::status(dir / "pre-push").permissions() & fs::perms::owner_exec, fs::perms::owner_exec);
  EXPECT_EQ(hooks_status(repo)[0].state, "installed");
  write_file_atomic(dir / "pre-push", std::string("#!/bin/sh\n") + kHookMarker + " old\n", 0755);
  EXPECT_EQ(hooks_status(repo)[0].state, "outdated");
  install_hooks(repo, false);
  EXPECT_EQ(hooks_status(repo)[0].state, "installed");
  uninstall_hooks(repo);
  EXPECT_FALSE(fs::exists(dir / "pre-push"));
}

TEST_F(HooksTest, ChainsForeignHookAndRestoresIt) {
  fs::path wt = make_repo("site", {{"a.txt", "a\n"}});
  Repo repo = Repo::open(wt);
  fs::path dir = hooks_dir(repo);
  fs::create_directories(dir);
  write_file_atomic(dir / "pre-push", "#!/bin/sh\necho foreign\n", 0755);
  install_hooks(repo, false);
  EXPECT_EQ(read_text_file(dir / "pre-push.pantheon-chained"), "#!/bin/sh\necho foreign\n");
  EXPECT_TRUE(hooks_status(repo)[0].chained);
  // A second foreign hook with a chained one already there: refused unless --force.
  write_file_atomic(dir / "pre-push", "#!/bin/sh\necho other\n", 0755);
  EXPECT_EQ(hooks_status(repo)[0].state, "foreign");
  EXPECT_THROW(install_hooks(repo, false), Error);
  EXPECT_EQ(read_text_file(dir / "pre-push"), "#!/bin/sh\necho other\n");
  install_hooks(repo, true);
  EXPECT_EQ(read_text_file(dir / "pre-push.pantheon-chained"), "#!/bin/sh\necho other\n");
  uninstall_hooks(repo);
  EXPECT_EQ(read_text_file(dir / "pre-push"), "#!/bin/sh\necho other\n");
  EXPECT_FALSE(fs::exists(dir / "pre-push.pantheon-chained"));
}

TEST_F(HooksTest, RespectsRelativeCoreHooksPath) {
  fs::path wt = make_repo("site", {{"a.txt", "a\n"}});
  run({"git", "config", "core.hooksPath", "../shared-hooks"}, wt);
  Repo repo = Repo::open(wt);
  EXPECT_EQ(hooks_dir(repo), (wt / "../shared-hooks").lexically_normal());
  install_hooks(repo, false);
  EXPECT_TRUE(fs::exists(wt / "../shared-hooks" / "pre-push"));
  EXPECT_FALSE(hooks_status(repo)[0].in_work_tree);
}

TEST_F(HooksTest, NeverWritesIntoAHooksFolderOfTheWorkTreeUnlessForced) {
  fs::path wt = make_repo("site", {{"a.txt", "a\n"}});
  run({"git", "config", "core.hooksPath", ".githooks"}, wt);
  Repo repo = Repo::open(wt);
  EXPECT_EQ(hooks_dir(repo), (wt / ".githooks").lexically_normal());
  EXPECT_TRUE(hooks_status(repo)[0].in_work_tree);
  EXPECT_THROW(install_hooks(repo, false), Error);
  EXPECT_FALSE(fs::exists(wt / ".githooks"));
  // The team's hook runs the line: installed, and left as it is.
  fs::create_directories(wt / ".githooks");
  const std::string team = "#!/bin/sh\nnpm test\n" + hook_line("pre-push") + "\n";
  write_file_atomic(wt / ".githooks" / "pre-push", team, 0755);
  EXPECT_EQ(hooks_status(repo)[0].state, "installed");
  install_hooks(repo, false);  // post-commit is not configured: not needed
  EXPECT_EQ(read_text_file(wt / ".githooks" / "pre-push"), team);
  EXPECT_FALSE(fs::exists(wt / ".githooks" / "post-commit"));
  // A commented-out line does not count.
  write_file_atomic(wt / ".githooks" / "pre-push", "#!/bin/sh\n# " + hook_line("pre-push") + "\n", 0755);
  EXPECT_EQ(hooks_status(repo)[0].state, "foreign");
  install_hooks(repo, true);
  EXPECT_EQ(read_text_file(wt / ".githooks" / "pre-push"), hook_shim("pre-push"));
}

// The embedded hook files are the files of hooks/, byte for byte, in GP_HOOKS' order.
TEST(HookFiles, AreTheFilesOfTheHooksFolder) {
  EXPECT_EQ(managed_hooks(), (std::vector<std::string>{"pre-push", "post-commit"}));
  ASSERT_EQ(embedded_hook_files().size(), managed_hooks().size());
  for (const HookFile& f : embedded_hook_files()) {
    const std::string name(f.name);
    SCOPED_TRACE(name);
    EXPECT_EQ(std::string(f.text), read_text_file(fs::path(GP_HOOKS_SOURCE_DIR) / name));
    // What the library recognises a hook by, and the chained hook's name, are in it.
    EXPECT_NE(f.text.find(std::string(kHookMarker) + " (" + name + ", format 1)"), std::string_view::npos);
    EXPECT_NE(f.text.find(name + kChainedSuffix), std::string_view::npos);
    EXPECT_NE(f.text.find(hook_line(name)), std::string_view::npos);
  }
}

// This test program has no share/git-pantheon/hooks beside it: what install writes
// is the embedded copy of hooks/.
TEST_F(HooksTest, WithoutInstalledHookFilesWritesTheEmbeddedOnes) {
  ASSERT_TRUE(installed_hooks_dir());
  ASSERT_FALSE(fs::exists(*installed_hooks_dir()));
  fs::path wt = make_repo("site", {{"a.txt", "a\n"}});
  Repo repo = Repo::open(wt);
  install_hooks(repo, false);
  for (const HookFile& f : embedded_hook_files()) {
    EXPECT_EQ(hook_shim(std::string(f.name)), f.text);
    EXPECT_EQ(read_text_file(hooks_dir(repo) / std::string(f.name)), f.text);
  }
  EXPECT_THROW(hook_shim("pre-commit"), InternalError);
}

}  // namespace
}  // namespace gp
