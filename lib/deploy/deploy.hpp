#pragma once
// Deploys as Pantheon does them: `test` (and any other environment but dev and
// live) deploys the dev branch's commit, `live` deploys what test has (the commit
// of test's latest deploy tag). Each deploy is a new annotated tag
// pantheon_<env>_<N> (N = highest existing + 1, counted numerically) carrying the
// deploy note, and moves the environment's linked worktree, if it has one.
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "deploy/tags.hpp"
#include "git/checkout.hpp"
#include "git/history.hpp"
#include "store/store.hpp"

namespace gp {

inline constexpr const char* kDevEnv = "dev";
inline constexpr const char* kTestEnv = "test";
inline constexpr const char* kLiveEnv = "live";

// The number the next deploy tag of an environment gets: the highest existing
// number + 1 (gaps are kept: after _3 and _7 comes _8), 1 when there is none.
unsigned long next_deploy_number(const std::vector<DeployTag>& existing);

// "pantheon_<env>_<n>".
std::string deploy_tag_name(const std::string& env, unsigned long n);

// The branch holding dev's code: [env.dev] branch, else the branch HEAD is on;
// nullopt when HEAD is detached and no branch is configured (dev is then HEAD).
std::optional<std::string> dev_branch(const Repo& repo, const Config& cfg);

// The commit dev is at (the tip of dev_branch(), or HEAD). gp::Error(bad_input)
// when that branch does not exist or has no commit.
git_oid dev_commit(const Repo& repo, const Config& cfg);

// The commit an environment's code is at: dev's branch tip for dev, else the
// target of its latest deploy tag (nullopt when it has never been deployed).
std::optional<git_oid> env_commit(const Repo& repo, const Config& cfg, const std::string& env);

struct DeployRequest {
  std::string env;
  std::optional<std::string> note;  // the tag message; default "Deploy to <env>: <subject>"
  std::optional<std::string> from;  // a branch or revision to deploy instead of the default source
  bool force = false;               // discard local modifications in the env's worktree
};

struct DeployResult {
  std::string tag;     // the new tag, e.g. "pantheon_test_4" (or the existing one, see `tagged`)
  bool tagged = true;  // false: the env was tagged at the commit already, only its worktree moved
  git_oid tag_oid{};
  git_oid commit{};
  std::string source;               // what was deployed: "dev (branch main)", "test (pantheon_test_4)", "--from hotfix"
  std::string message;              // the tag message as written
  bool created_initialize = false;  // pantheon.initialize was created by this deploy
  git_oid initialize_commit{};
  std::optional<fs::path> worktree;  // the env's worktree, when it has one
  WorktreeChange worktree_change = WorktreeChange::unchanged;
};

// The commit a deploy of req.env would deploy, and a description of where it
// comes from. gp::Error(bad_input) for dev, for live with nothing on test, or an
// unknown --from; the config's error for an unknown environment.
std::pair<git_oid, std::string> deploy_source(const Repo& repo, const Config& cfg, const DeployRequest& req);

// Deploys (see the header comment). The caller holds the store lock (`lock`),
// taken before any tag is read: live's source is test's latest tag, and N is
// chosen and written under it, so concurrent deploys never pick the same number. Creates
// `pantheon.initialize` first when it does not exist, at the root commit of the
// dev branch's first-parent history. When the env's latest deploy tag already
// points at the commit: gp::Error(nothing_to_do), unless the env's worktree is
// not at that commit (a previous update failed or it was removed), which is then
// moved there without a new tag (result.tagged false). The worktree is moved
// after the tag is written; when that fails the tag stays (the deploy happened)
// and the error, naming the tag, is thrown.
DeployResult deploy(Repo& repo, const Config& cfg, const FileLock& lock, const DeployRequest& req);

struct CodeLogEntry {
  CommitInfo commit;
  std::vector<std::string>
      environments;               // envs whose latest deploy tag is at this commit: dev, test, live, others by name
  std::vector<std::string> tags;  // every tag that peels to this commit, in version order
};

// The first-parent log of `env`'s code (dev: its branch; others: their latest
// deploy tag; gp::Error(bad_input) when never deployed), newest first, at most
// `limit` commits (0: all), each labelled with the environments at it.
std::vector<CodeLogEntry> code_log(const Repo& repo, const Config& cfg, const std::string& env, size_t limit);

// Environment names in the order listings show them: dev, test, live, then the others by name.
std::vector<std::string> ordered_env_names(const Config& cfg);

struct CheckoutTarget {
  std::string tag;             // the tag checked out, e.g. "pantheon_live_3"
  git_oid commit{};            // the commit it peels to
  std::string default_branch;  // "<env>-<N>" for an environment, else the tag name
};

// What `checkout <target>` checks out: an environment of `cfg` (its latest deploy
// tag; an environment name wins over a tag of the same name), else any tag that
// peels to a commit. `cfg` may be null (no .pantheon.toml): tags only.
// gp::Error(bad_input) for dev, an environment never deployed, or an unknown name.
CheckoutTarget resolve_checkout_target(const Repo& repo, const Config* cfg, const std::string& target);

// Deploy tags in git's message form: `text` with surrounding blank lines and
// trailing spaces removed and a final newline, as `git tag -a -m` writes it.
std::string tag_message(const std::string& text);

}  // namespace gp
