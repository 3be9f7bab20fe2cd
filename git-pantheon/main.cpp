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
#include "util/signals.hpp"
#include "util/utf8.hpp"

using namespace gp;
using namespace gp::cli;

namespace {

const char* kUsage =
    "git pantheon [-C <dir>] [-q] [--progress|--no-progress] [--format=text|json] <command> [<args>]";

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

int run(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  Globals g;
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-C") {
      if (i + 1 >= args.size()) throw Error(Exit::usage, "option '-C' needs a directory", std::string("usage: ") + kUsage);
      // Like git, each -C is taken relative to the previous one.
      fs::path base = g.cwd.empty() ? fs::current_path() : g.cwd;
      g.cwd = (base / args[++i]).lexically_normal();
      std::error_code ec;
      if (!fs::is_directory(g.cwd, ec)) throw Error(Exit::usage, describe("cannot change to", args[i], "no such directory"));
    } else if (a == "-q" || a == "--quiet") {
      g.quiet = true;
    } else if (a == "--utc") {
      g.utc = true;
    } else if (a == "--progress") {
      g.progress = true;
    } else if (a == "--no-progress") {
      g.progress = false;
    } else if (a == "--format=json" || a == "--format=text") {
      g.format = a == "--format=json" ? Format::json : Format::text;
    } else if (a == "--version" || a == "-v") {
      args[i] = "version";
      break;
    } else if (a == "-h" || a == "--help") {
      args[i] = "help";
      break;
    } else if (!a.empty() && a[0] == '-') {
      throw Error(Exit::usage, "unknown option '" + a + "'", std::string("usage: ") + kUsage);
    } else {
      break;
    }
  }
  if (i >= args.size()) {
    Context ctx(g);
    Args none({}, kUsage);
    run_help(ctx, none);
    return static_cast<int>(Exit::usage);
  }
  std::string verb = args[i];
  const Command* cmd = find_command(verb);
  if (!cmd) {
    auto similar = similar_commands(verb);
    std::string hint;
    if (!similar.empty()) {
      hint = similar.size() == 1 ? "the most similar command is '" + similar[0] + "'" : "the most similar commands are";
      if (similar.size() > 1)
        for (auto& s : similar) hint += " '" + s + "'";
    } else {
      hint = "run 'git pantheon help' for the list of commands";
    }
    throw Error(Exit::usage, "'" + verb + "' is not a git-pantheon command", hint);
  }
  // Options that mean the same to every verb are accepted after the verb too,
  // as git accepts `git commit -q`.
  std::vector<std::string> rest;
  bool options_done = false;
  for (size_t k = i + 1; k < args.size(); ++k) {
    const std::string& a = args[k];
    if (a == "--") options_done = true;
    if (!options_done && (a == "-q" || a == "--quiet")) g.quiet = true;
    else if (!options_done && a == "--utc") g.utc = true;
    else if (!options_done && a == "--progress") g.progress = true;
    else if (!options_done && a == "--no-progress") g.progress = false;
    else rest.push_back(a);
  }
  Context ctx(g);
  // -h / --help anywhere before "--" prints this verb's usage (git does the same).
  for (auto& a : rest) {
    if (a == "--") break;
    if (a == "-h" || a == "--help") {
      std::printf("usage: git pantheon %s\n\n%s\n", cmd->usage, cmd->summary);
      return 0;
    }
  }
  Args cmd_args(std::move(rest), std::string("git pantheon ") + cmd->usage);
  if (cmd->needs_repo) ctx.repo();  // fail early with "not a git repository"
  return cmd->run(ctx, cmd_args);
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
