#pragma once
// .pantheon.toml: the committed description of a site and its environments.
// Parsed with toml++; every problem is reported as gp::Error(Exit::config) with
// "<file>:<line>:<column>: <what is wrong>". No secret is ever read from this file:
// a password in a database URL is refused (see secrets in lib/db/credentials.hpp).
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/dburl.hpp"
#include "config/policy.hpp"
#include "util/fs.hpp"

namespace gp {

enum class Framework { drupal, wordpress, other };

std::string to_string(Framework f);
std::optional<Framework> parse_framework(const std::string& s);

// An environment. A code environment (no `database`, no `files` key, as `init`
// writes test and live) has code only: deploy tags, checkout, code-log and code
// backups; whatever needs its database or files refuses with missing_part().
// [env.<name>.after]: programs run after a move into the environment (Pantheon's
// --updatedb/--cc, Quicksilver), one list per event; each step an argv (never a
// shell string), run by lib/content/after.hpp.
enum class AfterEvent { deploy, restore, clone_content, import };
std::string to_string(AfterEvent e);  // "deploy", "restore", "clone-content", "import"
using AfterSteps = std::vector<std::vector<std::string>>;

struct EnvConfig {
  std::string name;
  std::optional<DbUrl> database;     // parsed database URL; nullopt: the environment has none
  std::optional<std::string> files;  // files directory, relative to the repository root (or absolute);
                                     // nullopt: none (absent key in an environment without a database)
  std::string worktree;         // optional linked worktree that deploys update (relative or absolute)
  std::string branch;           // dev: the branch holding its code (default: the repository's HEAD branch)
  std::vector<std::string> excludes;  // extra excludes for the files element
  // `url` or `urls`: the site's addresses in this environment (http[s]://host[:port][/path],
  // no trailing '/'), the first the main one. A database moved between environments
  // has the source's replaced by the target's (lib/content).
  std::vector<std::string> urls;
  // `sanitize = true`: a database that lands here from another environment is
  // sanitised (lib/content/sanitize.hpp), with the site's `sanitize_sql` statements
  // last. Refused on live.
  bool sanitize = false;
  std::vector<std::string> sanitize_sql;
  // [env.<name>.after]: by event; an absent event has no steps.
  std::map<AfterEvent, AfterSteps> after;
  // Non-empty: why this environment cannot be used ("<file>:<line>:<col>: [env.live]:
  // invalid database URL ..."). The rest of the configuration loads, so that the
  // other environments work and `env list` shows this one; Config::env() refuses it
  // with this message (Exit::config).
  std::string broken;

  // True when only code is declared: no database and no files directory.
  // The steps of `event` (empty when none are configured).
  const AfterSteps& after_steps(AfterEvent event) const;

  bool code_only() const { return !database && !files && broken.empty(); }
  // The database / files directory, or gp::Error(bad_input) from missing_part().
  const DbUrl& require_database() const;
  const std::string& require_files() const;
  // "environment 'test' has no database (add database = ... under [env.test] in
  // .pantheon.toml)", or the same of its files directory.
  enum class Part { database, files };
  std::string missing_part(Part part) const;
};

struct StorageConfig {
  std::string remote;  // the git remote it is paired with
  std::string url;     // file:///path, s3://bucket/prefix
  std::string region;  // s3 only; default from AWS_REGION or us-east-1
  std::string endpoint;  // s3 only; default from AWS_ENDPOINT_URL or AWS
  std::string profile;   // s3 only; ~/.aws/credentials profile
  bool path_style = false;
};

struct BackupDefaults {
  std::chrono::seconds keep_for{365LL * 86400};
  std::chrono::seconds safety_keep_for{14LL * 86400};
  int compression_level = 6;  // gzip level 1..9
  std::vector<std::string> excludes;  // extra excludes for the files element, every env
};

// [retention] and [env.<name>.retention]: the policy `backup prune` (and the
// schedule's runs) apply besides each backup's keep-for (see lib/backup/prune.hpp).
struct RetentionConfig {
  RetentionPolicy policy;                          // [retention]
  std::map<std::string, RetentionPolicy> per_env;  // [env.<name>.retention]: [retention] with these keys replaced
  bool protect_live_deploys = true;                // the live-deploy rule of lib/backup/protect.hpp

  // The policy of `env`.
  const RetentionPolicy& for_env(const std::string& env) const;
};

// [schedule]: automatic backups (git pantheon backup schedule).
struct ScheduleConfig {
  std::chrono::seconds keep_daily{7LL * 86400};   // keep-for of the daily automatic backups
  std::chrono::seconds keep_weekly{32LL * 86400}; // ... and of the weekly one
  std::optional<int> daily_minute;                // `enable`'s default time (minutes after midnight); nullopt: random
  int weekly_day = 0;                             // `enable`'s default day of the weekly backup, 0 = Sunday
  std::string verify_restore = "weekly";          // trial restores: never | weekly | daily
  std::chrono::seconds lock_wait{15LL * 60};      // how long a run waits for the store lock
  std::chrono::seconds min_interval{3600};        // a run within this of the last automatic backup skips
};

// [hooks.post-commit]: a quick backup of one environment after each commit on the
// listed branches (absent table: the hook does nothing).
struct PostCommitConfig {
  std::vector<std::string> branches;  // patterns: `*` and `?` match any character, '/' included
  std::string env = "dev";            // the environment backed up (must be defined)
  bool database = true;               // elements: ["db"] (default), ["files"], ["db", "files"]
  bool files = false;
  int keep = 5;                       // how many of this hook's backups of `env` stay (1..100)

  // True when `branch` (a short name such as "feature/x") matches one of `branches`.
  bool matches(const std::string& branch) const;
};

// True when `branch` matches the glob `pattern` (fnmatch(3) without flags, as
// `git branch --list`: `*` also matches '/').
bool branch_pattern_matches(const std::string& pattern, const std::string& branch);

struct Config {
  fs::path path;  // the file it was read from
  std::string site;
  Framework framework = Framework::other;
  BackupDefaults backup;
  std::map<std::string, EnvConfig> envs;  // by name
  std::map<std::string, StorageConfig> storage;  // by git remote name
  std::optional<PostCommitConfig> post_commit;   // [hooks.post-commit]
  RetentionConfig retention;                     // [retention], [env.<name>.retention]
  ScheduleConfig schedule;                       // [schedule]

  // The named environment, or gp::Error(bad_input) listing the known ones;
  // gp::Error(config) with EnvConfig::broken for an environment that cannot be used.
  const EnvConfig& env(const std::string& name) const;
  // The files-element excludes for `env`: framework defaults + [backup] + env's own.
  std::vector<std::string> files_excludes(const EnvConfig& env) const;
};

// Parses TOML text; `origin` names the file in messages.
Config parse_config(const std::string& text, const fs::path& origin);

// Reads and parses `<repo_root>/.pantheon.toml`; a missing file is
// gp::Error(Exit::config) with a hint to run `git pantheon init`.
Config load_config(const fs::path& repo_root);

inline constexpr const char* kConfigFileName = ".pantheon.toml";

// Framework facts: default files directory (given the work tree, so Drupal's
// web/ docroot is found) and the regenerable folders the files element leaves out.
std::string default_files_dir(Framework f, const fs::path& work_tree);
std::vector<std::string> framework_excludes(Framework f);

// Guesses the framework of a work tree from the files it holds.
Framework detect_framework(const fs::path& work_tree);

// Checks a site URL (an environment's `url`/`urls`, a --rewrite side):
// http[s]://host[:port][/path], or with `host_allowed` also host[:port][/path] and
// //host...; no space, quote, backslash, query or fragment. Returns it with the
// scheme in lower case and no trailing '/', or nullopt with `why` set.
std::optional<std::string> normalise_url(const std::string& url, bool host_allowed, std::string* why);

// Valid environment names: [a-z0-9][a-z0-9-]{0,31} (they appear in tag and file names).
bool valid_env_name(const std::string& name);
// Valid site names: [A-Za-z0-9][A-Za-z0-9_-]{0,63}.
bool valid_site_name(const std::string& name);

// The commented [env.test.after] example of `init`'s file, with the framework's
// steps (drush updb/cr, wp core update-db/cache flush), every line a comment.
std::string after_steps_comment(Framework f);

// The commented configuration `git pantheon init` writes.
std::string render_initial_config(const std::string& site, Framework f, const std::string& files_dir,
                                  const std::string& database_url);

}  // namespace gp
