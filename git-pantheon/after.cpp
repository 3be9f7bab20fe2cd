#include "after.hpp"

#include <iostream>

namespace gp::cli {

bool after_option(Args& args) { return !args.flag("no-after"); }

void after_plan(std::vector<std::string>& plan, const Config& config, const std::string& env, AfterEvent event,
                bool enabled) {
  const AfterSteps& steps = config.env(env).after_steps(event);
  if (!enabled || steps.empty()) return;
  std::string list;
  for (auto& s : steps) list += (list.empty() ? "" : "; ") + argv_text(s);
  plan.push_back("then the after-steps of " + env + " (" + to_string(event) + "): " + list);
}

void run_after(Context& ctx, AfterEvent event, const std::string& env, const std::string& source, bool enabled,
               bool json, std::vector<std::pair<std::string, std::string>> extra_env) {
  const Config& cfg = ctx.config();
  if (cfg.env(env).after_steps(event).empty()) return;
  if (!enabled) {
    ctx.progress().info("after-steps of " + env + " skipped (--no-after)");
    return;
  }
  ctx.out().flush();
  std::cout.flush();
  AfterContext ac;
  ac.event = event;
  ac.env = env;
  ac.source = source;
  ac.root = ctx.root();
  ac.extra_env = std::move(extra_env);
  ac.stdout_fd = json ? 2 : 1;
  AfterResult r = run_after_steps(cfg, ac, ctx.progress());
  if (r.failed)
    throw Error(Exit::remote, r.error,
                "the " + to_string(event) + " need not be repeated: fix the step and run it, and those after it, by hand");
}

}  // namespace gp::cli
