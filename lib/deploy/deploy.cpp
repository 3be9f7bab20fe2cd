#include "deploy/deploy.hpp"

#include <git2.h>
#include <string.h>

#include <algorithm>
#include <map>

namespace gp {

unsigned long next_deploy_number(const std::vector<DeployTag>& existing) {
  unsigned long highest = 0;
  for (auto& t : existing) highest = std::max(highest, t.number);
  return highest + 1;
}

std::string deploy_tag_name(const std::string& env, unsigned long n) {
  return "pantheon_" + env + "_" + std::to_string(n);
}

std::optional<std::string> dev_branch(const Repo& repo, const Config& cfg) {
  auto it = cfg.envs.find(kDevEnv);
  if (it != cfg.envs.end() && !it->second.branch.empty()) return it->second.branch;
  return repo.head_branch();
}

git_oid dev_commit(const Repo& repo, const Config& cfg) {
  auto branch = dev_branch(repo, cfg);
  if (!branch) return repo.head_commit();
  auto c = repo.resolve_commit("refs/heads/" + *branch);
  if (!c)
    fail(Exit::bad_input, describe("cannot find dev's branch", *branch, "it has no commit"),
         "commit to it first, or set 'branch' in [env.dev] of .pantheon.toml");
  return *c;
}

std::optional<git_oid> env_commit(const Repo& repo, const Config& cfg, const std::string& env) {
  if (env == kDevEnv) return dev_commit(repo, cfg);
  if (auto t = latest_deploy_tag(repo, env)) return t->tag.target;
  return std::nullopt;
}

std::string tag_message(const std::string& text) {
  git_buf buf = GIT_BUF_INIT;
  git_check(git_message_prettify(&buf, text.c_str(), /*strip_comments=*/0, '#'), "cannot clean up the deploy note");
  std::string out(buf.ptr, buf.size);
  git_buf_dispose(&buf);
  return out;
}

std::pair<git_oid, std::string> deploy_source(const Repo& repo, const Config& cfg, const DeployRequest& req) {
  cfg.env(req.env);  // unknown environment: the config's error
  if (req.env == kDevEnv)
    fail(Exit::bad_input, describe("cannot deploy to", req.env, "dev runs its branch, it is not deployed to"),
         "deploy to test or live: git pantheon deploy test");
  if (req.from) {
    auto c = repo.resolve_commit(*req.from);
    if (!c) fail(Exit::bad_input, describe("cannot deploy", *req.from, "no such branch, tag or commit"));
    return {*c, "--from " + *req.from};
  }
  if (req.env == kLiveEnv && cfg.envs.count(kTestEnv)) {
    auto t = latest_deploy_tag(repo, kTestEnv);
    if (!t)
      fail(Exit::bad_input, describe("cannot deploy to", req.env, "nothing has been deployed to test yet"),
           "deploy to test first (git pantheon deploy test), or use --from");
    return {t->tag.target, "test (" + t->tag.name + ")"};
  }
  auto branch = dev_branch(repo, cfg);
  return {dev_commit(repo, cfg), branch ? "dev (branch " + *branch + ")" : "dev (HEAD)"};
}

namespace {
fs::path worktree_path(const Config& cfg, const EnvConfig& env) {
  fs::path p(env.worktree);
  if (p.is_relative()) p = cfg.path.parent_path() / p;
  return p.lexically_normal();
}
}  // namespace

DeployResult deploy(Repo& repo, const Config& cfg, const FileLock& /*lock*/, const DeployRequest& req) {
  const EnvConfig& env = cfg.env(req.env);
  auto [commit, source] = deploy_source(repo, cfg, req);
  DeployResult r;
  r.commit = commit;
  r.source = source;
  if (!env.worktree.empty()) r.worktree = worktree_path(cfg, env);

  auto existing = deploy_tags(repo, req.env);
  if (!existing.empty() && git_oid_equal(&existing.back().tag.target, &commit)) {
    auto wt_head = r.worktree ? worktree_head(repo, *r.worktree) : std::nullopt;
    if (!r.worktree || (wt_head && git_oid_equal(&*wt_head, &commit)))
      fail(Exit::nothing_to_do,
           describe("nothing to deploy to", req.env,
                    existing.back().tag.name + " is already at " + oid_hex(commit).substr(0, 12)),
           "commit something new on dev first, or deploy another revision with --from");
    // Tagged already, but the worktree lags behind: finish that part of the deploy.
    r.tag = existing.back().tag.name;
    r.tag_oid = existing.back().tag.tag_oid;
    r.message = existing.back().tag.message;
    r.tagged = false;
    r.worktree_change = place_worktree(repo, *r.worktree, commit, req.force);
    return r;
  }
  // Refuse before tagging what would stop the worktree update, so a refusal changes nothing.
  if (r.worktree) check_worktree_placeable(repo, *r.worktree, req.force);

  CommitInfo info = commit_info(repo, commit);
  std::string note = req.note ? tag_message(*req.note) : std::string();
  if (note.empty()) note = tag_message("Deploy to " + req.env + ": " + info.subject);
  r.message = note;

  if (!repo.tag(kInitialTag)) {
    // Pantheon tags a site's first commit; we tag the first commit of dev's
    // first-parent history (of the deployed commit's when dev has no commit).
    std::optional<git_oid> dev;
    try {
      dev = dev_commit(repo, cfg);
    } catch (const Error&) {
    }
    r.initialize_commit = first_parent_root(repo, dev ? *dev : commit);
    repo.create_annotated_tag(kInitialTag, r.initialize_commit, tag_message("Initialize site"));
    r.created_initialize = true;
  }
  r.tag = deploy_tag_name(req.env, next_deploy_number(existing));
  r.tag_oid = repo.create_annotated_tag(r.tag, commit, note);
  if (r.worktree) {
    try {
      r.worktree_change = place_worktree(repo, *r.worktree, commit, req.force);
    } catch (const Error& e) {
      throw Error(e.code(), "deployed " + r.tag + " but " + e.what(), e.hint());
    }
  }
  return r;
}

std::vector<std::string> ordered_env_names(const Config& cfg) {
  std::vector<std::string> out;
  for (const char* n : {kDevEnv, kTestEnv, kLiveEnv})
    if (cfg.envs.count(n)) out.push_back(n);
  for (auto& [name, env] : cfg.envs)
    if (name != kDevEnv && name != kTestEnv && name != kLiveEnv) out.push_back(name);
  return out;
}

std::vector<CodeLogEntry> code_log(const Repo& repo, const Config& cfg, const std::string& env, size_t limit) {
  if (env != kDevEnv) cfg.env(env);  // dev is the branch even when [env.dev] is missing
  auto start = env_commit(repo, cfg, env);
  if (!start)
    fail(Exit::bad_input, describe("no code log for", env, "nothing has been deployed there yet"),
         "deploy first: git pantheon deploy " + env);
  std::map<std::string, std::vector<std::string>> envs_at, tags_at;  // by commit hex
  for (auto& name : ordered_env_names(cfg)) {
    if (name == kDevEnv) continue;
    if (auto t = latest_deploy_tag(repo, name)) envs_at[oid_hex(t->tag.target)].push_back(name);
  }
  for (auto& t : repo.tags()) tags_at[oid_hex(t.target)].push_back(t.name);
  std::vector<CodeLogEntry> out;
  for (auto& c : first_parent_log(repo, *start, limit)) {
    CodeLogEntry e{c, {}, {}};
    std::string hex = oid_hex(c.oid);
    if (auto it = envs_at.find(hex); it != envs_at.end()) e.environments = it->second;
    if (auto it = tags_at.find(hex); it != tags_at.end()) {
      e.tags = it->second;
      std::sort(e.tags.begin(), e.tags.end(),
                [](const std::string& a, const std::string& b) { return ::strverscmp(a.c_str(), b.c_str()) < 0; });
    }
    out.push_back(std::move(e));
  }
  return out;
}

CheckoutTarget resolve_checkout_target(const Repo& repo, const Config* cfg, const std::string& target) {
  CheckoutTarget t;
  if (cfg && cfg->envs.count(target)) {
    if (target == kDevEnv)
      fail(Exit::bad_input, describe("cannot check out", target, "dev is a branch, not a deploy"),
           "check out its branch with git checkout");
    auto latest = latest_deploy_tag(repo, target);
    if (!latest) fail(Exit::bad_input, describe("cannot check out", target, "nothing has been deployed there yet"));
    t.tag = latest->tag.name;
    t.commit = latest->tag.target;
    t.default_branch = target + "-" + std::to_string(latest->number);
    return t;
  }
  if (!repo.tag(target)) fail(Exit::bad_input, describe("no environment or tag named", target));
  auto c = repo.resolve_commit("refs/tags/" + target);
  if (!c) fail(Exit::bad_input, describe("cannot check out", target, "the tag does not point at a commit"));
  t.tag = target;
  t.commit = *c;
  t.default_branch = target;
  return t;
}

}  // namespace gp
