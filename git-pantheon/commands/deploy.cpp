// git pantheon deploy <env>: tag the code an environment is to run as the next
// pantheon_<env>_<N> and move the environment's worktree there (lib/deploy).
#include "deploy/deploy.hpp"

#include <iostream>

#include "commands.hpp"

namespace gp::cli {

int run_deploy(Context& ctx, Args& args) {
  DeployRequest req;
  req.note = args.value("note", 'm');
  req.from = args.value("from");
  req.force = args.flag("force", 'f');
  auto ops = args.operands(1, 1);
  req.env = ops[0];
  const Config& cfg = ctx.config();
  Repo& repo = ctx.repo();
  Store store(repo);
  DeployResult r = deploy(repo, cfg, store, req);
  if (r.created_initialize)
    ctx.progress().info("created " + std::string(kInitialTag) + " at " + oid_hex(r.initialize_commit).substr(0, 12));
  if (!r.tagged)
    ctx.progress().info(r.tag + " was already at this commit: only the worktree was moved");
  else
    ctx.progress().info("deployed " + r.source + " to " + req.env);
  CommitInfo c = commit_info(repo, r.commit);
  ctx.out() << r.tag << " " << oid_hex(r.commit) << " " << c.subject << "\n";
  if (r.worktree) {
    const char* what = r.worktree_change == WorktreeChange::created   ? "created"
                       : r.worktree_change == WorktreeChange::updated ? "updated"
                                                                      : "already at the commit";
    ctx.progress().info("worktree " + r.worktree->string() + ": " + what);
  }
  return 0;
}

}  // namespace gp::cli
