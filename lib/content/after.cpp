#include "content/after.hpp"

#include <unistd.h>

#include "util/error.hpp"
#include "util/process.hpp"

namespace gp {

fs::path after_dir(const Config& config, const EnvConfig& env, const fs::path& root) {
  if (env.worktree.empty()) return root;
  fs::path p(env.worktree);
  if (p.is_relative()) p = config.path.parent_path() / p;
  return p.lexically_normal();
}

std::string argv_text(const std::vector<std::string>& argv) {
  std::string out;
  for (auto& a : argv) {
    if (!out.empty()) out += ' ';
    bool plain = !a.empty() && a.find_first_of(" \t\n'\"\\$`*?[]{}()<>|&;#~") == std::string::npos;
    if (plain) {
      out += a;
      continue;
    }
    out += '\'';
    for (char c : a) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    out += '\'';
  }
  return out;
}

AfterResult run_after_steps(const Config& config, const AfterContext& ctx, Progress& progress) {
  const EnvConfig& env = config.env(ctx.env);
  const AfterSteps& steps = env.after_steps(ctx.event);
  const std::string event = to_string(ctx.event);
  AfterResult r;
  r.total = steps.size();
  if (steps.empty()) return r;
  const fs::path dir = after_dir(config, env, ctx.root);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    r.failed = true;
    r.error = "the after-steps of " + ctx.env + " were not run: its worktree '" + dir.string() +
              "' does not exist: the " + event + " itself is done";
    return r;
  }
  for (size_t i = 0; i < steps.size(); ++i) {
    const std::string n = std::to_string(i + 1) + " of " + std::to_string(steps.size());
    const std::string shown = argv_text(steps[i]);
    progress.info("after-step " + n + ": " + shown);
    ProcessSpec spec;
    spec.argv = steps[i];
    // A program named with a '/' is relative to the step's directory, not ours.
    if (spec.argv[0].find('/') != std::string::npos && fs::path(spec.argv[0]).is_relative())
      spec.argv[0] = (dir / spec.argv[0]).lexically_normal().string();
    spec.cwd = dir;
    spec.stdin_fd = -1;  // /dev/null: a step never waits on the terminal
    spec.stdout_fd = ctx.stdout_fd;
    spec.stderr_fd = ctx.stderr_fd;
    spec.env = {{"GIT_PANTHEON_ENV", ctx.env},
                {"GIT_PANTHEON_EVENT", event},
                {"GIT_PANTHEON_SOURCE", ctx.source},
                {"GIT_PANTHEON_STEP", std::to_string(i + 1) + "/" + std::to_string(steps.size())},
                {"GIT_PANTHEON_ROOT", ctx.root.string()}};
    spec.env.insert(spec.env.end(), ctx.extra_env.begin(), ctx.extra_env.end());
    const std::string head = "after-step " + n + " ('" + shown + "') ";
    const std::string tail = ": the " + event + " itself is done";
    if (!program_available(spec.argv[0])) {
      r.failed = true;
      r.error = head + "failed: '" + spec.argv[0] + "' is not installed (not found on PATH, or not executable)" + tail;
      return r;
    }
    int status = 0;
    try {
      Process p(spec);
      status = p.wait();
    } catch (const Error& e) {
      if (e.code() == Exit::interrupted) throw;
      r.failed = true;
      r.error = head + "failed: " + e.what() + tail;
      return r;
    }
    if (status != 0) {
      r.failed = true;
      r.error = head + "failed with exit status " + std::to_string(status) + tail;
      return r;
    }
    ++r.ran;
  }
  return r;
}

}  // namespace gp
