#include "hooks/hooks.hpp"

#include <sys/stat.h>

#include <cstring>
#include <system_error>

#include "hooks/hook_files.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/git_handles.hpp"

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

// True when the file at `p` runs `git pantheon hook <hook>` (or git-pantheon) on a
// line that is not a comment.
bool runs_hook_line(const fs::path& p, const std::string& hook) {
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) return false;
  std::string text;
  try {
    text = read_text_file(p);
  } catch (const Error&) {
    return false;
  }
  for (size_t pos = 0; pos < text.size();) {
    size_t nl = text.find('\n', pos);
    std::string line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? text.size() : nl + 1;
    size_t first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    for (const char* cmd : {"git pantheon hook ", "git-pantheon hook "}) {
      size_t at = line.find(std::string(cmd) + hook);
      size_t end = at + std::strlen(cmd) + hook.size();
      if (at != std::string::npos && (end == line.size() || line[end] == ' ' || line[end] == '\t' || line[end] == ';'))
        return true;
    }
  }
  return false;
}

// The file a team edits for `hook` in a hooks directory of the work tree: husky 9
// points core.hooksPath at its generated .husky/_/ and runs .husky/<hook>.
fs::path team_hook_file(const fs::path& dir, const std::string& hook) {
  return dir.filename() == "_" ? dir.parent_path() / hook : dir / hook;
}

// A folder of the work tree (not of the git directory, which may lie inside it).
bool in_work_tree(const Repo& repo, const fs::path& dir) {
  if (repo.is_bare() || !path_within(repo.workdir().lexically_normal(), dir)) return false;
  for (const fs::path& git : {repo.common_dir(), fs::path(git_repository_path(repo.get()))})
    if (path_within(git.lexically_normal(), dir)) return false;
  return true;
}

// Whether the hook is needed at all: post-commit only when .pantheon.toml mentions
// it (the shim's own fast path makes the same test).
bool hook_needed(const Repo& repo, const std::string& hook) {
  if (hook != "post-commit") return true;
  try {
    return read_text_file(repo.workdir() / ".pantheon.toml").find("post-commit") != std::string::npos;
  } catch (const Error&) {
    return false;
  }
}

void rename_or_fail(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::rename(from, to, ec);
  if (ec) fail(Exit::bad_input, describe("cannot rename hook", from.string(), ec.message()));
}

}  // namespace

const std::vector<std::string>& managed_hooks() {
  static const std::vector<std::string> hooks = [] {
    std::vector<std::string> names;
    for (const HookFile& f : embedded_hook_files()) names.emplace_back(f.name);
    return names;
  }();
  return hooks;
}

std::optional<fs::path> installed_hooks_dir() {
  auto exe = self_executable();
  if (!exe) return std::nullopt;
  return (exe->parent_path() / ".." / "share" / "git-pantheon" / "hooks").lexically_normal();
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
  if (auto dir = installed_hooks_dir()) {
    std::error_code ec;
    fs::path file = *dir / hook;
    if (fs::exists(file, ec)) return read_text_file(file);
  }
  for (const HookFile& f : embedded_hook_files())
    if (f.name == hook) return std::string(f.text);
  throw InternalError("no hook file for '" + hook + "'");
}

std::string hook_line(const std::string& hook) {
  return hook == "pre-push" ? "git pantheon hook pre-push \"$@\"" : "git pantheon hook " + hook;
}

std::vector<HookStatus> hooks_status(const Repo& repo) {
  fs::path dir = hooks_dir(repo);
  bool tracked = in_work_tree(repo, dir);
  std::vector<HookStatus> out;
  for (auto& h : managed_hooks()) {
    HookStatus s;
    s.name = h;
    s.path = dir / h;
    s.in_work_tree = tracked;
    s.chained = exists_nofollow(dir / (h + kChainedSuffix));
    fs::path team = team_hook_file(dir, h);
    if (is_ours(s.path)) {
      s.state = read_text_file(s.path) == hook_shim(h) ? "installed" : "outdated";
    } else if (runs_hook_line(s.path, h)) {
      s.state = "installed";
    } else if (tracked && team != s.path && runs_hook_line(team, h)) {
      s.state = "installed";
      s.path = team;
    } else {
      s.state = exists_nofollow(s.path) ? "foreign" : "missing";
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<std::string> install_hooks(const Repo& repo, bool force) {
  fs::path dir = hooks_dir(repo);
  std::vector<std::string> lines;
  if (in_work_tree(repo, dir) && !force) {
    // The team's hooks: report, never write. Every needed hook must run our line.
    const std::string rel = dir.lexically_relative(repo.workdir().lexically_normal()).string();
    for (auto& s : hooks_status(repo)) {
      if (s.state == "installed") {
        lines.push_back("up to date " + s.path.string() + (is_ours(s.path) ? "" : " (it calls git pantheon)"));
        continue;
      }
      if (s.state == "outdated") {
        lines.push_back("left " + s.path.string() + " as it is (a folder of the work tree: --force upgrades it)");
        continue;
      }
      fs::path file = team_hook_file(dir, s.name);
      if (!hook_needed(repo, s.name)) {
        lines.push_back("left " + file.string() + " alone ([hooks.post-commit] is not configured)");
        continue;
      }
      const std::string shown = file.lexically_relative(repo.workdir().lexically_normal()).string();
      fail(Exit::bad_input,
           describe("cannot install hook", shown,
                    "core.hooksPath '" + rel + "' is a folder of the work tree (the team's hooks, shared by commits)"),
           "add the line '" + hook_line(s.name) + "' to " + shown +
               (s.name == "pre-push" ? " before anything that reads stdin (it reads git's list of refs there)" : "") +
               " and commit it, or use --force to write git-pantheon's hooks into " + rel);
    }
    return lines;
  }
  make_dirs(dir, 0755);
  for (auto& h : managed_hooks()) {
    fs::path p = dir / h, chained = dir / (h + kChainedSuffix);
    std::string shim = hook_shim(h);
    if (exists_nofollow(p) && !is_ours(p) && runs_hook_line(p, h)) {
      lines.push_back("up to date " + p.string() + " (it calls git pantheon)");
    } else if (exists_nofollow(p) && !is_ours(p)) {
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
