#pragma once
// The git hooks git-pantheon installs: small POSIX sh shims that run
// `git pantheon hook <name> "$@"`: pre-push (uploads the archives of pushed backup
// tags) and post-commit (an optional backup per commit, see remote/post_commit.hpp).
//
// Installed into the hooks directory git really uses: core.hooksPath (relative
// paths taken from the work tree root, as git does), else <common git dir>/hooks.
// A shim is recognised by its marker line and upgraded in place. A foreign hook
// already there is chained: renamed to <hook>.pantheon-chained and run by the shim
// first (with the same arguments and the same stdin, saved to a temporary file);
// when it fails, the shim fails. uninstall puts the foreign hook back.
#include <string>
#include <vector>

#include "git/repo.hpp"

namespace gp {

inline constexpr const char* kHookMarker = "# git-pantheon hook shim";
inline constexpr const char* kChainedSuffix = ".pantheon-chained";

// The hook names git-pantheon manages.
const std::vector<std::string>& managed_hooks();

// The hooks directory git uses for `repo`.
fs::path hooks_dir(const Repo& repo);

// The shim text for `hook`.
std::string hook_shim(const std::string& hook);

struct HookStatus {
  std::string name;
  fs::path path;
  std::string state;  // "installed", "outdated", "missing", "foreign"
  bool chained = false;  // a foreign hook runs first (<hook>.pantheon-chained exists)
};

std::vector<HookStatus> hooks_status(const Repo& repo);

// Installs (or upgrades) every managed hook; returns one line per hook saying what
// was done. A foreign hook is chained; gp::Error(bad_input) when a foreign hook is in
// place and a chained one already exists (unless `force`: the chained one is then
// replaced by the current foreign hook).
std::vector<std::string> install_hooks(const Repo& repo, bool force);

// Removes our shims and restores chained foreign hooks; one line per hook.
std::vector<std::string> uninstall_hooks(const Repo& repo);

}  // namespace gp
