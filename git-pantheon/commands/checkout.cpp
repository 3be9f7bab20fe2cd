// git pantheon checkout <env|tag>: a new branch at an environment's latest deploy
// tag (or any tag) checked out in the current work tree, never losing local work.
#include <iostream>

#include "commands.hpp"
#include "deploy/deploy.hpp"

namespace gp::cli {

namespace {

int run_checkout(Context& ctx, Args& args) {
  auto branch = args.value("branch");
  bool force = args.flag("force");
  std::string target = args.operands(1, 1)[0];
  Repo& repo = ctx.repo();

  // The config is only needed (and only has to exist) when the target is an environment.
  const Config* cfg = fs::exists(ctx.root() / kConfigFileName) ? &ctx.config() : nullptr;
  CheckoutTarget t = resolve_checkout_target(repo, cfg, target);
  std::string name = branch.value_or(t.default_branch);
  BranchCheckoutOptions opts;
  opts.reset_existing = force;
  opts.carry_local_changes = force;
  opts.reflog_message = "git-pantheon: checkout " + t.tag;
  bool reset = checkout_new_branch(repo, name, t.commit, opts);
  ctx.progress().info(std::string(reset ? "Switched to and reset branch '" : "Switched to a new branch '") + name +
                      "' at " + t.tag);
  ctx.out() << name << " " << oid_hex(t.commit) << " " << t.tag << "\n";
  return 0;
}

constexpr Option kCheckoutOptions[] = {
    {"branch", 'b', "<branch>", "the new branch's name (default: the environment's, e.g. live)"},
    {"force", 'f', nullptr, "reset the branch if it exists, carrying local changes along"}};

}  // namespace

const Command kCheckoutCommand{.name = "checkout",
                               .summary = "check out an environment's latest deploy (or any tag) into a new branch",
                               .operands = "<env|deploy-tag|tag>",
                               .options = kCheckoutOptions,
                               .run = run_checkout,
                               .operand_complete = Complete::env};

}  // namespace gp::cli
