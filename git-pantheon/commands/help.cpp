// git pantheon help [<command>]: the command list, or one command's usage.
#include <cstdio>

#include "commands.hpp"

namespace gp::cli {

int run_help(Context&, Args& args) {
  auto ops = args.operands(0, 1);
  if (!ops.empty()) {
    const Command* c = find_command(ops[0]);
    if (!c) {
      auto similar = similar_commands(ops[0]);
      throw Error(Exit::usage, "'" + ops[0] + "' is not a git-pantheon command",
                  similar.empty() ? "run 'git pantheon help' for the list of commands"
                                  : "the most similar command is '" + similar[0] + "'");
    }
    std::printf("usage: git pantheon %s\n\n%s\n\nSee 'man git-pantheon-%s' for details.\n", c->usage, c->summary, c->name);
    return 0;
  }
  std::printf(
      "usage: git pantheon [-C <dir>] [-q] [--progress|--no-progress] [--format=text|json] <command> [<args>]\n\n"
      "Backups, deploys, restores and imports for git-hosted Drupal and WordPress sites.\n\n"
      "Commands:\n");
  for (auto& c : commands()) std::printf("   %-10s %s\n", c.name, c.summary);
  std::printf(
      "\n'git pantheon <command> -h' shows a command's usage; 'git help pantheon' opens the manual.\n");
  return 0;
}

}  // namespace gp::cli
