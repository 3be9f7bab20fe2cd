#include "remote/hooks.hpp"

#include <sys/stat.h>

#include <system_error>

#include "util/error.hpp"
#include "util/handles.hpp"

namespace gp {

namespace {

bool is_ours(const fs::path& p) {
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) return false;
  std::string text = read_text_file(p);
  return text.find(kHookMarker) != std::string::npos;
}

bool exists_nofollow(const fs::path& p) {
  std::error_code ec;
  return fs::exists(fs::symlink_status(p, ec));
}

void rename_or_fail(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::rename(from, to, ec);
  if (ec) fail(Exit::bad_input, describe("cannot rename hook", from.string(), ec.message()));
}

}  // namespace

const std::vector<std::string>& managed_hooks() {
  static const std::vector<std::string> hooks{"pre-push", "post-commit"};
  return hooks;
}

fs::path hooks_dir(const Repo& repo) {
  git_config* c = nullptr;
  git_check(git_repository_config_snapshot(&c, repo.get()), "cannot read the git configuration", Exit::config);
  GitConfig cfg(c);
  const char* value = nullptr;
  if (git_config_get_string(&value, cfg.get(), "core.hooksPath") == 0 && value && *value) {
    std::string v = value;
    if (v.rfind("~/", 0) == 0) {
      const char* home = std::getenv("HOME");
      if (home) v = std::string(home) + v.substr(1);
    }
    fs::path p(v);
    if (p.is_relative()) p = (repo.is_bare() ? repo.common_dir() : repo.workdir()) / p;
    return p.lexically_normal();
  }
  return repo.common_dir() / "hooks";
}

std::string hook_shim(const std::string& hook) {
  if (hook == "post-commit") {
    // git gives post-commit no input and ignores its exit status; the shim still
    // exits 0 whatever happens. Fast path: unless .pantheon.toml (git runs hooks
    // from the work tree root) mentions post-commit, git-pantheon is not started.
    const std::string chained = "\"$hookdir/" + hook + kChainedSuffix + "\"";
    return "#!/bin/sh\n" + std::string(kHookMarker) + " (" + hook +
           ", format 1): managed by 'git pantheon hooks'; do not edit.\n"
           "# A foreign hook that was here runs first, as " + hook + kChainedSuffix + ".\n"
           "# Backs up what [hooks.post-commit] in .pantheon.toml asks for; never fails the commit.\n"
           "# GIT_PANTHEON_SKIP_POST_COMMIT=1 (or GIT_PANTHEON_SKIP_HOOKS=1) skips git-pantheon's part.\n"
           "case $0 in */*) hookdir=${0%/*} ;; *) hookdir=. ;; esac\n"
           "if [ -x " + chained + " ]; then\n"
           "  " + chained + " \"$@\"\n"
           "fi\n"
           "[ \"${GIT_PANTHEON_SKIP_POST_COMMIT:-}\" = 1 ] && exit 0\n"
           "[ \"${GIT_PANTHEON_SKIP_HOOKS:-}\" = 1 ] && exit 0\n"
           "grep -qs post-commit .pantheon.toml || exit 0\n"
           "git pantheon hook post-commit \"$@\"\n"
           "exit 0\n";
  }
  return "#!/bin/sh\n" + std::string(kHookMarker) + " (" + hook +
         ", format 1): managed by 'git pantheon hooks'; do not edit.\n"
         "# A foreign hook that was here runs first, as " + hook + kChainedSuffix + ".\n"
         "# GIT_PANTHEON_SKIP_PUSH=1 (or GIT_PANTHEON_SKIP_HOOKS=1) skips git-pantheon's part.\n"
         "hookdir=$(dirname \"$0\")\n"
         "input=$(mktemp \"${TMPDIR:-/tmp}/git-pantheon-" + hook + ".XXXXXX\") || exit 1\n"
         "trap 'rm -f \"$input\"' EXIT\n"
         "trap 'exit 130' INT TERM\n"
         "cat >\"$input\" || exit 1\n"
         "if [ -x \"$hookdir/" + hook + kChainedSuffix + "\" ]; then\n"
         "  \"$hookdir/" + hook + kChainedSuffix + "\" \"$@\" <\"$input\" || exit $?\n"
         "fi\n"
         "git pantheon hook " + hook + " \"$@\" <\"$input\"\n";
}

std::vector<HookStatus> hooks_status(const Repo& repo) {
  fs::path dir = hooks_dir(repo);
  std::vector<HookStatus> out;
  for (auto& h : managed_hooks()) {
    HookStatus s;
    s.name = h;
    s.path = dir / h;
    s.chained = exists_nofollow(dir / (h + kChainedSuffix));
    if (!exists_nofollow(s.path)) s.state = "missing";
    else if (!is_ours(s.path)) s.state = "foreign";
    else s.state = read_text_file(s.path) == hook_shim(h) ? "installed" : "outdated";
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<std::string> install_hooks(const Repo& repo, bool force) {
  fs::path dir = hooks_dir(repo);
  make_dirs(dir, 0755);
  std::vector<std::string> lines;
  for (auto& h : managed_hooks()) {
    fs::path p = dir / h, chained = dir / (h + kChainedSuffix);
    std::string shim = hook_shim(h);
    if (exists_nofollow(p) && !is_ours(p)) {
      if (exists_nofollow(chained) && !force)
        fail(Exit::bad_input, describe("cannot install hook", p.string(), "a foreign hook is there and " + chained.filename().string() + " already exists"),
             "merge them by hand, or use --force to chain the current one instead");
      rename_or_fail(p, chained);
      write_file_atomic(p, shim, 0755);
      lines.push_back("installed " + p.string() + " (the existing hook now runs first, as " + chained.filename().string() + ")");
    } else if (exists_nofollow(p)) {
      if (read_text_file(p) == shim) {
        lines.push_back("up to date " + p.string());
      } else {
        write_file_atomic(p, shim, 0755);
        lines.push_back("upgraded " + p.string());
      }
    } else {
      write_file_atomic(p, shim, 0755);
      lines.push_back("installed " + p.string());
    }
  }
  return lines;
}

std::vector<std::string> uninstall_hooks(const Repo& repo) {
  fs::path dir = hooks_dir(repo);
  std::vector<std::string> lines;
  for (auto& h : managed_hooks()) {
    fs::path p = dir / h, chained = dir / (h + kChainedSuffix);
    if (exists_nofollow(p) && !is_ours(p)) {
      lines.push_back("left " + p.string() + " alone (not git-pantheon's)");
      continue;
    }
    std::error_code ec;
    bool had = exists_nofollow(p);
    if (had) fs::remove(p, ec);
    if (exists_nofollow(chained)) {
      rename_or_fail(chained, p);
      lines.push_back("removed git-pantheon's " + h + " hook and restored the previous one");
    } else {
      lines.push_back(had ? "removed " + p.string() : "no " + h + " hook to remove");
    }
  }
  return lines;
}

}  // namespace gp
