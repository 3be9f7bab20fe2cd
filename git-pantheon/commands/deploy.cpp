// git pantheon deploy <env>: tag the code an environment is to run as the next
// pantheon_<env>_<N> and move the environment's worktree there (lib/deploy).
#include "deploy/deploy.hpp"

#include <iostream>

#include "commands.hpp"
#include "remote/remote.hpp"
#include "restore/clone.hpp"
#include "after.hpp"
#include "sanitize.hpp"
#include "rewrite.hpp"

namespace gp::cli {

namespace {

int run_deploy(Context& ctx, Args& args) {
  DeployRequest req;
  req.note = args.value("note");
  req.from = args.value("from");
  auto confirm_env = args.value("confirm-env");
  req.force = args.flag("force");
  bool sync = args.flag("sync-content");
  // --push [REMOTE]: the optional value is the next operand only when two are given.
  bool push = args.flag("push");
  bool yes = args.flag("yes");
  RewriteRequest rewrite = rewrite_options(args);
  bool after = after_option(args);
  bool sanitize = sanitize_option(args);
  auto ops = args.operands(1, push ? 2 : 1);
  if (!sync && (!rewrite.enabled || !rewrite.extra.empty() || rewrite.guid))
    args.usage_error("--no-rewrite, --rewrite and --rewrite-guid go with --sync-content");
  req.env = ops[0];
  if (sanitize && !sync) args.usage_error("--sanitize goes with --sync-content");
  std::string push_remote = ops.size() > 1 ? ops[1] : "origin";
  const Config& cfg = ctx.config();
  Repo& repo = ctx.repo();
  Store store(repo);
  if (push) check_git_remote(repo, push_remote);  // before anything is tagged
  // Pantheon's "clone the database and files from live" on a deploy to test: a
  // snapshot of live restored into the target with every restore safety rule.
  const std::vector<Element> content{Element::database, Element::files};
  if (sync) {
    if (req.env == "live") args.usage_error("--sync-content copies live's content into the target: not into live itself");
    auto plan = describe_clone(cfg, "live", req.env, content, rewrite);
    refuse_sanitize_live(sanitize, req.env);
    sanitize_plan(plan, cfg, req.env, "live", sanitize);
    after_plan(plan, cfg, req.env, AfterEvent::deploy, after);
    require_confirmation("Deploying to " + req.env + " with content from live:", plan, req.env, yes, confirm_env);
  }
  DeployResult r;
  {
    // Held from the content sync through the tag, released before the push.
    auto lock = store.lock();
    if (sync) {
      CloneResult c = clone_content(repo, cfg, store, lock, "live", req.env, content, ctx.progress(), rewrite);
      ctx.progress().info("cloned live's content into " + req.env + " (snapshot " + c.source_backup.tag + ")");
      if (sanitizing(cfg, req.env, "live", sanitize)) sanitize_database(ctx, store, req.env);
      if (c.restore.rewrite) {
        std::string s = rewrite_summary(*c.restore.rewrite);
        if (!s.empty()) ctx.progress().info(s);
      }
    }
    r = deploy(repo, cfg, lock, req);
  }
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
  if (push) {
    std::vector<std::string> tags{r.tag};
    if (r.created_initialize) tags.insert(tags.begin(), kInitialTag);
    push_tags(repo, push_remote, tags);
    ctx.progress().info("pushed " + r.tag + " to " + push_remote);
  }
  // After the tag and the worktree move (and the push): the code is where it is to run.
  // GIT_PANTHEON_SOURCE: the environment the code came from (deploy_source's rule), or --from.
  const std::string after_source = req.from ? *req.from : req.env == "live" ? "test" : "dev";
  run_after(ctx, AfterEvent::deploy, req.env, after_source, after, false,
            {{"GIT_PANTHEON_TAG", r.tag}, {"GIT_PANTHEON_COMMIT", oid_hex(r.commit)}});
  return 0;
}

constexpr Option kDeployOptions[] = {
    {"note", 'm', "<message>", "the deploy tag's message (Pantheon's deploy log note)"},
    {"from", 0, "<branch|rev>", "deploy this code (default: the previous environment's latest deploy, or dev's branch)"},
    {"force", 'f', nullptr, "deploy even when the work tree or the target's worktree has local changes"},
    {"sync-content", 0, nullptr, "first clone live's database and files into the target"},
    {"push", 0, nullptr, "push the new tag to <remote> (default origin)"}, use(kConfirmOptions),
    use(kRewriteOptions), use(kAfterOptions), use(kSanitizeOptions)};

}  // namespace

const Command kDeployCommand{.name = "deploy",
                             .summary = "deploy to test, live or another environment: the next tag pantheon_<env>_<N>",
                             .operands = "<env> [<remote>]",
                             .options = kDeployOptions,
                             .run = run_deploy,
                             .operand_complete = Complete::env};

}  // namespace gp::cli
