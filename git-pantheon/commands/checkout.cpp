// git pantheon checkout <env|tag>: a new branch at an environment's latest deploy
// tag (or any tag) checked out in the current work tree, never losing local work.
#include <iostream>

#include "commands.hpp"
#include "deploy/deploy.hpp"

namespace gp::cli {

int run_checkout(Context& ctx, Args& args) {
  auto branch = args.value("branch", 'b');
  bool force = args.flag("force", 'f');
  std::string target = args.operands(1, 1)[0];
  Repo& repo = ctx.repo();
  ctx.root();

  std::string tag_name;
  git_oid commit{};
  std::string default_branch;
  // An environment name wins over a tag of the same name; the config is only
  // needed (and only has to exist) when the target is not a tag.
  bool is_env = valid_env_name(target) && fs::exists(ctx.root() / kConfigFileName) && ctx.config().envs.count(target);
  if (is_env) {
    if (target == kDevEnv)
      fail(Exit::bad_input, describe("cannot check out", target, "dev is a branch, not a deploy"),
           "check out its branch with git checkout");
    auto t = latest_deploy_tag(repo, target);
    if (!t)
      fail(Exit::bad_input, describe("cannot check out", target, "nothing has been deployed there yet"));
    tag_name = t->tag.name;
    commit = t->tag.target;
    default_branch = target + "-" + std::to_string(t->number);
  } else {
    if (!repo.tag(target)) fail(Exit::bad_input, describe("no environment or tag named", target));
    auto c = repo.resolve_commit("refs/tags/" + target);
    if (!c) fail(Exit::bad_input, describe("cannot check out", target, "the tag does not point at a commit"));
    tag_name = target;
    commit = *c;
    default_branch = target;
  }
  std::string name = branch.value_or(default_branch);
  BranchCheckoutOptions opts;
  opts.reset_existing = force;
  opts.carry_local_changes = force;
  opts.reflog_message = "git-pantheon: checkout " + tag_name;
  checkout_new_branch(repo, name, commit, opts);
  ctx.progress().info("Switched to a new branch '" + name + "' at " + tag_name);
  ctx.out() << name << " " << oid_hex(commit) << " " << tag_name << "\n";
  return 0;
}

}  // namespace gp::cli
