#pragma once
// Steps after a move: the programs of [env.<name>.after] (Pantheon's --updatedb and
// --cc, Quicksilver's deploy/clone hooks) run once a deploy, restore, clone-content
// or import into the environment is done. Each step is an argv (posix_spawnp, never
// a shell), run in the environment's worktree when it has one, else the repository
// root, its stdout and stderr passed through to the caller's descriptors. The first
// step that fails (an exit status other than 0, or a program that cannot be run)
// stops the rest; the move before it stays done.
#include <string>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "util/progress.hpp"

namespace gp {

struct AfterContext {
  AfterEvent event = AfterEvent::deploy;
  std::string env;     // the environment moved into (whose steps run)
  std::string source;  // where the content or code came from: an environment, a backup, a file; may be empty
  fs::path root;       // the repository's work tree root
  // More variables for the steps (deploy: GIT_PANTHEON_TAG, GIT_PANTHEON_COMMIT).
  std::vector<std::pair<std::string, std::string>> extra_env;
  int stdout_fd = 1;   // where the steps' output goes (2 when our stdout carries JSON)
  int stderr_fd = 2;
};

struct AfterResult {
  size_t ran = 0;     // steps that ended with status 0
  size_t total = 0;   // steps configured
  bool failed = false;
  std::string error;  // "after-step 2 of 3 ('drush cr') failed with exit status 1: the deploy itself is done"
};

// The directory the steps of `env` run in: its worktree (relative to the directory
// of the configuration) when it has one, else `root`.
fs::path after_dir(const Config& config, const EnvConfig& env, const fs::path& root);

// "drush updb -y": an argv as a person would type it (arguments with spaces or
// quotes single-quoted), for messages.
std::string argv_text(const std::vector<std::string>& argv);

// Runs the steps `config` has for ctx.env and ctx.event, announcing each through
// `progress` ("after-step 1 of 2: drush updb -y"). The child's environment gets
// GIT_PANTHEON_ENV, GIT_PANTHEON_EVENT (deploy | restore | clone-content | import),
// GIT_PANTHEON_SOURCE, GIT_PANTHEON_STEP ("1/2"), GIT_PANTHEON_ROOT and ctx.extra_env. A failing
// step is returned (failed, error), not thrown; an interrupt throws
// gp::Error(Exit::interrupted) as every child wait does. A configured worktree that
// does not exist fails before the first step.
AfterResult run_after_steps(const Config& config, const AfterContext& ctx, Progress& progress);

}  // namespace gp
