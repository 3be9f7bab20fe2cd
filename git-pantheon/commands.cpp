#include "commands.hpp"

#include <algorithm>

namespace gp::cli {

namespace {
const Command kCommands[] = {
    {"init", "write .pantheon.toml, create the local store, install the hooks",
     "init [--framework drupal|wordpress|other] [--site NAME] [--files DIR] [--database URL] [--force]", true,
     run_init},
    {"backup", "make, list, inspect, copy out, verify and prune backups",
     "backup create [--env E] [--element all|code|db|files] [--keep-for 30d]\n"
     "   or: git pantheon backup list [--env E] [--element E] [--format=text|json]\n"
     "   or: git pantheon backup info [<backup>] [--env E] [--format=text|json]\n"
     "   or: git pantheon backup get [<backup>|--latest] [--env E] [--element E | --file NAME] [--to DIR|FILE] [--force]\n"
     "                                [--remote R] [--url [--expires 15m]]\n"
     "   or: git pantheon backup verify [<backup>... | --all] [--env E] [--remote R] [--restore]\n"
     "   or: git pantheon backup prune [--dry-run] [--env E] [--remote R] [--keep-last|--keep-hourly|--keep-daily|--keep-weekly|\n"
     "                                 --keep-monthly|--keep-yearly N] [--keep-within 30d] [-v] [--format=text|json]\n"
     "   or: git pantheon backup protect <backup>... [-m NOTE] | backup unprotect <backup>...\n"
     "   or: git pantheon backup schedule enable [--env E]... [--daily HH:MM|random] [--weekly DAY]\n"
     "                                    [--verify-restore never|daily|weekly] [--scheduler systemd|cron|print]\n"
     "   or: git pantheon backup schedule disable|status [--env E]... | run --env E",
     true, run_backup},
    {"restore", "restore a backup into its own or another environment, safely",
     "restore <backup> [--to-env E] [--element all|code|db|files]... [--yes] [--no-safety-backup] [--branch NAME]\n"
     "                             [--remote R] [--no-rewrite | --rewrite FROM=TO... [--rewrite-guid]] [--no-after]\n"
     "                             [--sanitize] [--format=text|json]\n"
     "   or: git pantheon restore --from-files <archive>... [--to-env E] [--from-env E] [--element E]... [--yes]\n"
     "   or: git pantheon restore --undo [--to-env E] [--yes]\n"
     "   (into live, add --confirm-env live)",
     true, run_restore},
    {"env", "list environments, show the code log labelled with them, clone content between them",
     "env list [--check] [--format=text|json]\n"
     "   or: git pantheon env code-log [--env E] [-n N] [--format=text|json]\n"
     "   or: git pantheon env clone-content <from> <to> [--db-only|--files-only] [--yes] [--confirm-env live]\n"
     "                                      [--no-rewrite | --rewrite FROM=TO... [--rewrite-guid]] [--no-after]\n"
     "                                      [--sanitize] [--format=text|json]",
     true, run_env},
    {"deploy", "deploy to test, live or another environment: the next tag pantheon_<env>_<N>",
     "deploy <env> [--note MSG] [--from BRANCH|REV] [--force] [--push [REMOTE]] [--no-after]\n"
     "             [--sync-content [--yes] [--confirm-env E] [--no-rewrite | --rewrite FROM=TO...] [--sanitize]]", true, run_deploy},
    {"checkout", "check out an environment's latest deploy (or any tag) into a new branch",
     "checkout <env|deploy-tag|tag> [-b BRANCH] [--force]", true, run_checkout},
    {"import", "import a site, its code, database or files from archives, directories or URLs",
     "import code <archive|URL> --squash [--message MSG] [--strip-components N | --auto-strip] [--subdir PATH]\n"
     "          [--refuse-outside-links] [--force]\n"
     "   or: git pantheon import code <archive|repository> --merge-history [--allow-conflicts] [--tag-prefix P]\n"
     "                                 [--message MSG] [--force]\n"
     "   or: git pantheon import site <archive|URL|dir>... [--env E] [--dry-run] [--yes] [--no-safety-backup] [--force]\n"
     "                                [--from-env E] [--no-rewrite | --rewrite FROM=TO...] [--no-after] [--sanitize]\n"
     "   or: git pantheon import db <dump|URL> [--env E] [--yes] [--no-safety-backup] [--from-env E]\n"
     "                              [--no-rewrite | --rewrite FROM=TO...] [--no-after] [--sanitize]\n"
     "   or: git pantheon import files <archive|URL> [--env E] [--strip-components N] [--yes] [--no-safety-backup]\n"
     "                                 [--no-after]",
     true, run_import},
    {"push", "upload backup archives to a remote's storage, then push their tags",
     "push [<remote>] [--all | <backup>...] [--format=text|json]", true, run_push},
    {"fetch", "fetch backup tags from a remote, and with --archives their archives",
     "fetch [<remote>] [--archives] [--format=text|json]", true, run_fetch},
    {"hooks", "install, uninstall or show the git hooks (pre-push uploads archives, post-commit backs up)",
     "hooks install [--force]\n   or: git pantheon hooks uninstall\n   or: git pantheon hooks status [--format=text|json]",
     true, run_hooks},
    {"hook", "run a hook (called by the installed hook files)", "hook pre-push <remote> <url>\n   or: git pantheon hook post-commit", true, run_hook},
    {"help", "show help for git-pantheon or one of its commands", "help [<command>]", false, run_help},
    {"version", "print the version of git-pantheon and of its libraries", "version", false, run_version},
};

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
      // transposition counts as one edit ("bakcup")
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) cur[j] = std::min(cur[j], prev[j - 1]);
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}
}  // namespace

std::span<const Command> commands() { return kCommands; }

const Command* find_command(const std::string& name) {
  for (auto& c : kCommands)
    if (name == c.name) return &c;
  return nullptr;
}

std::vector<std::string> similar_commands(const std::string& name) {
  size_t best = SIZE_MAX;
  std::vector<std::string> out;
  for (auto& c : kCommands) {
    std::string cn = c.name;
    size_t d = edit_distance(name, cn);
    if (cn.rfind(name, 0) == 0 && !name.empty()) d = std::min<size_t>(d, 1);  // a prefix is close
    if (d < best) {
      best = d;
      out = {cn};
    } else if (d == best) {
      out.push_back(cn);
    }
  }
  // Like git: only suggest when the distance is small relative to the word.
  if (best > std::max<size_t>(2, name.size() / 3)) return {};
  return out;
}

}  // namespace gp::cli
