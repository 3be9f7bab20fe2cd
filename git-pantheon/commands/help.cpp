// git pantheon help [<command> [<subcommand>...]]: the command list, or one
// command's usage and options, all from the command table.
#include <cstdio>

#include "commands.hpp"

namespace gp::cli {

namespace {

int run_help(Context&, Args& args) {
  auto ops = args.operands(0, 3);
  if (!ops.empty()) {
    std::vector<const Command*> path;
    std::span<const Command* const> list = commands();
    for (auto& word : ops) {
      const Command* c = find_command(list, word);
      if (!c) {
        std::vector<std::string> names;
        for (auto* n : list) names.push_back(n->name);
        std::string hint = similar_hint(path.empty() ? "command" : "subcommand", similar_names(word, names));
        std::string what = path.empty()
                               ? "'" + word + "' is not a git-pantheon command"
                               : "'" + command_words(path).substr(13) + " " + word + "' is not a git-pantheon command";
        throw Error(Exit::usage, what, hint.empty() ? "run 'git pantheon help' for the list of commands" : hint);
      }
      path.push_back(c);
      list = c->subcommands;
    }
    std::printf("%s\nSee 'man %s' for details.\n", help_text(path).c_str(), man_page(path).c_str());
    return 0;
  }
  std::printf(
      "usage: %s\n\n"
      "Backups, deploys, restores and imports for git-hosted Drupal and WordPress sites.\n\n"
      "Commands:\n",
      global_usage().c_str());
  for (auto* c : commands()) std::printf("   %-10s %s\n", c->name, c->summary);
  std::printf("\n'git pantheon <command> -h' shows a command's usage; 'git help pantheon' opens the manual.\n");
  return 0;
}

}  // namespace

const Command kHelpCommand{.name = "help",
                           .summary = "show help for git-pantheon or one of its commands",
                           .operands = "[<command> [<subcommand>...]]",
                           .run = run_help,
                           .man = "git-pantheon",
                           .needs_repo = false};

}  // namespace gp::cli
