// git-pantheon: the entry point. Reads global options, finds the verb in the
// command table, runs it, and turns the two error kinds into a message and an exit
// code (the only place that does; see man/git-pantheon.1, EXIT STATUS).
#include <curl/curl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "commands.hpp"
#include "deploy/deploy.hpp"
#include "util/signals.hpp"
#include "util/utf8.hpp"

using namespace gp;
using namespace gp::cli;

namespace {

void print_error(const std::string& message, const std::string& hint) {
  std::fflush(stdout);
  // Names inside messages come from archives, file systems and servers: made printable.
  std::fprintf(stderr, "git-pantheon: error: %s\n", printable(message).c_str());
  // A hint may span lines (a usage text); each line is made printable on its own.
  for (size_t pos = 0; pos < hint.size();) {
    size_t nl = hint.find('\n', pos);
    if (nl == std::string::npos) nl = hint.size();
    std::fprintf(stderr, "%s%s\n", pos == 0 ? "hint: " : "", printable(hint.substr(pos, nl - pos)).c_str());
    pos = nl + 1;
  }
}

// Points libgit2's system config search path at nothing when git would skip it,
// so that GIT_CONFIG_NOSYSTEM means the same to us as to git.
void honour_git_environment() {
  const char* nosystem = std::getenv("GIT_CONFIG_NOSYSTEM");
  if (nosystem && *nosystem && std::strcmp(nosystem, "0") != 0 && std::strcmp(nosystem, "false") != 0)
    git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_SYSTEM, "");
}

bool is_verb_global(const std::string& word) {
  for (auto* o : expand(kVerbGlobalOptions))
    if (word == std::string("--") + o->name || (o->short_name && word == std::string("-") + o->short_name)) return true;
  return false;
}

// --complete-envs: the environments of .pantheon.toml, one a line, for the
// completions; nothing (and success) outside a repository or without a config.
int complete_envs(const Globals& g) {
  try {
    Context ctx(g);
    for (auto& name : ordered_env_names(ctx.config())) std::printf("%s\n", name.c_str());
  } catch (const std::exception&) {
  }
  return 0;
}

int run(int argc, char** argv) {
  Args global(std::vector<std::string>(argv + 1, argv + argc), expand(global_options()), global_usage(), true);
  Globals g;
  for (auto& dir : global.values("C")) {
    // Like git, each -C is taken relative to the previous one.
    fs::path base = g.cwd.empty() ? fs::current_path() : g.cwd;
    g.cwd = (base / dir).lexically_normal();
    std::error_code ec;
    if (!fs::is_directory(g.cwd, ec)) throw Error(Exit::usage, describe("cannot change to", dir, "no such directory"));
  }
  g.quiet = global.flag("quiet");
  g.utc = global.flag("utc");
  if (auto p = global.last_of({"progress", "no-progress"})) g.progress = *p == "progress";
  if (auto f = global.value("format")) g.format = *f == "json" ? Format::json : Format::text;
  if (auto shell = global.value("completion")) {
    std::fputs(completion_script(*shell).c_str(), stdout);
    return 0;
  }
  if (global.flag("complete-envs")) return complete_envs(g);
  std::vector<std::string> rest = global.operands(0, SIZE_MAX);
  if (global.flag("help")) rest.insert(rest.begin(), "help");
  else if (global.flag("version")) rest.insert(rest.begin(), "version");
  if (rest.empty()) {
    Context ctx(g);
    Args none({}, expand(kHelpCommand.options), usage_text({&kHelpCommand}));
    kHelpCommand.run(ctx, none);
    return static_cast<int>(Exit::usage);
  }
  std::string verb = rest[0];
  rest.erase(rest.begin());
  const Command* cmd = find_command(commands(), verb);
  if (!cmd) {
    std::vector<std::string> names;
    for (auto* c : commands()) names.push_back(c->name);
    std::string hint = similar_hint("command", similar_names(verb, names));
    throw Error(Exit::usage, "'" + verb + "' is not a git-pantheon command",
                hint.empty() ? "run 'git pantheon help' for the list of commands" : hint);
  }
  // The subcommand words: each the first word after its parent's (options that
  // mean the same to every verb may come between, as in `backup -q create`).
  std::vector<const Command*> path{cmd};
  std::string unresolved;  // the usage error to give once the repository is checked
  while (!path.back()->run) {
    size_t j = 0;
    while (j < rest.size() && is_verb_global(rest[j])) ++j;
    std::vector<std::string> names;
    for (auto* c : path.back()->subcommands) names.push_back(c->name);
    if (j >= rest.size() || rest[j].empty() || rest[j][0] == '-') {
      std::string list;
      for (auto& n : names) list += (list.empty() ? "" : "|") + n;
      unresolved = "missing subcommand: " + command_words(path).substr(13) + " " + list;
      break;
    }
    const Command* sub = find_command(path.back()->subcommands, rest[j]);
    if (!sub) {
      std::string hint = similar_hint("subcommand", similar_names(rest[j], names));
      throw Error(Exit::usage, "unknown subcommand '" + command_words(path).substr(13) + " " + rest[j] + "'",
                  (hint.empty() ? "" : hint + "\n") + "usage: " + usage_text(path));
    }
    rest.erase(rest.begin() + static_cast<long>(j));
    path.push_back(sub);
  }
  // -h / --help anywhere before "--" prints the usage of what is named (git does the same).
  for (auto& a : rest) {
    if (a == "--") break;
    if (a == "-h" || a == "--help") {
      std::fputs(help_text(path).c_str(), stdout);
      return 0;
    }
  }
  Context ctx(g);
  if (cmd->needs_repo) ctx.repo();  // fail early with "not a git repository"
  if (!unresolved.empty()) throw Error(Exit::usage, unresolved, "usage: " + usage_text(path));
  const Command& leaf = *path.back();
  auto table = expand(leaf.options);
  for (auto* o : expand(kVerbGlobalOptions)) table.push_back(o);
  Args args(std::move(rest), std::move(table), usage_text(path));
  // Options that mean the same to every verb are accepted after the verb too,
  // as git accepts `git commit -q`.
  if (args.flag("quiet")) ctx.globals().quiet = true;
  if (args.flag("utc")) ctx.globals().utc = true;
  if (auto p = args.last_of({"progress", "no-progress"})) ctx.globals().progress = *p == "progress";
  return leaf.run(ctx, args);
}

}  // namespace

int main(int argc, char** argv) {
  install_interrupt_handlers();
  GitLibrary git;
  honour_git_environment();
  curl_global_init(CURL_GLOBAL_DEFAULT);
  int rc;
  try {
    rc = run(argc, argv);
  } catch (const Error& e) {
    print_error(e.what(), e.hint());
    rc = static_cast<int>(e.code());
  } catch (const InternalError& e) {
    print_error(std::string("internal error: ") + e.what(), "please report this with the command you ran");
    rc = static_cast<int>(Exit::internal);
  } catch (const std::bad_alloc&) {
    print_error("out of memory", {});
    rc = static_cast<int>(Exit::internal);
  } catch (const std::exception& e) {
    print_error(std::string("internal error: ") + e.what(), "please report this with the command you ran");
    rc = static_cast<int>(Exit::internal);
  }
  std::cout.flush();
  if (!std::cout) {  // e.g. stdout closed or full: the result never reached anyone
    std::fprintf(stderr, "git-pantheon: error: cannot write to standard output\n");
    if (rc == 0) rc = static_cast<int>(Exit::internal);
  }
  curl_global_cleanup();
  return rc;
}
