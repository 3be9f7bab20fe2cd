#pragma once
// The git hooks git-pantheon installs: the POSIX sh files of the source tree's
// hooks/ folder, which hand git's arguments and input to `git pantheon hook <name>`:
// pre-push (uploads the archives of pushed backup tags) and post-commit (an optional
// backup per commit, see hooks/post_commit.hpp). The text written is the file
// installed beside the running program (<exe dir>/../share/git-pantheon/hooks/), or,
// when there is none (a build-tree run), the copy embedded from hooks/ at build time
// (hooks/hook_files.hpp).
//
// Installed into the hooks directory git really uses: core.hooksPath (relative
// paths taken from the work tree root, as git does), else <common git dir>/hooks.
// A hook file is recognised by its marker line and upgraded in place. A foreign hook
// already there is chained: renamed to <hook>.pantheon-chained and run by the hook
// file first (pre-push: with the same stdin, saved to a temporary file, and its
// failure fails the push). uninstall puts the foreign hook back. A hook that
// runs `git pantheon hook <name>` itself (hook_line) counts as installed.
//
// A hooks directory inside the work tree (core.hooksPath = .husky, as husky and
// similar tools set it) holds the team's hooks, shared through commits: nothing
// is written there unless forced. install refuses, naming the hook file and the
// line to add to it; init only warns.
#include <optional>
#include <string>
#include <vector>

#include "git/repo.hpp"

namespace gp {

inline constexpr const char* kHookMarker = "# git-pantheon hook shim";
inline constexpr const char* kChainedSuffix = ".pantheon-chained";

// The hook names git-pantheon manages (those of hooks/, as CMakeLists.txt lists them).
const std::vector<std::string>& managed_hooks();

// <directory of the running executable>/../share/git-pantheon/hooks, where
// `cmake --install` puts the hook files (it may not exist); nullopt when the
// program's own path is unknown.
std::optional<fs::path> installed_hooks_dir();

// The hooks directory git uses for `repo`.
fs::path hooks_dir(const Repo& repo);

// The text `hooks install` writes for `hook`: the installed hook file when it exists
// (gp::Error naming it when it cannot be read), else the embedded one;
// gp::InternalError for a hook that is not managed.
std::string hook_shim(const std::string& hook);

// The line a hook of the team's own runs git-pantheon's part with (what the shim
// runs): `git pantheon hook pre-push "$@"`, `git pantheon hook post-commit`.
std::string hook_line(const std::string& hook);

struct HookStatus {
  std::string name;
  fs::path path;
  // "installed" (our shim, or a hook that runs hook_line itself), "outdated",
  // "missing", "foreign"
  std::string state;
  bool chained = false;       // a foreign hook runs first (<hook>.pantheon-chained exists)
  bool in_work_tree = false;  // the hooks directory is a folder of the work tree
};

std::vector<HookStatus> hooks_status(const Repo& repo);

// Installs (or upgrades) every managed hook; returns one line per hook saying what
// was done. A foreign hook is chained; gp::Error(bad_input) when a foreign hook is in
// place and a chained one already exists (unless `force`: the chained one is then
// replaced by the current foreign hook). In a hooks directory inside the work
// tree nothing is written unless `force`: gp::Error(bad_input) naming the first
// needed hook (pre-push; post-commit when .pantheon.toml mentions it) that does
// not run hook_line, with the line to add as the hint.
std::vector<std::string> install_hooks(const Repo& repo, bool force);

// Removes our shims and restores chained foreign hooks; one line per hook.
std::vector<std::string> uninstall_hooks(const Repo& repo);

}  // namespace gp
