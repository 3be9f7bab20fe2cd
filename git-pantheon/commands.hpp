#pragma once
// The command table: every verb and subcommand with its option table. It drives
// dispatch, option parsing (cli::Args), `help`, `-h`, usage errors, "the most
// similar command", the generated bash and zsh completions (completion.cpp) and
// the test that the man pages document it all (tests/unit/cli). Each verb's rows
// live in commands/<verb>.cpp beside the code that reads them.
#include <span>
#include <string>
#include <vector>

#include "cli.hpp"

namespace gp::cli {

// A verb or a subcommand: a leaf has `run`, a group has `subcommands` (picked by
// the next word). Rows are constant data defined in commands/*.cpp.
struct Command {
  const char* name;
  const char* summary;                             // one line, lowercase
  const char* operands = "";                       // synopsis of the operands: "[<backup>...]"
  std::span<const Option> options = {};            // a leaf's options
  int (*run)(Context& ctx, Args& args) = nullptr;  // a leaf's code
  std::span<const Command* const> subcommands = {};
  Complete operand_complete = Complete::none;  // what completes an operand
  const char* alias = nullptr;                 // another name it answers to ("import database")
  const char* man = nullptr;                   // its man page, when not its parent's (git-pantheon-<verb>)
  bool needs_repo = true;                      // a verb that needs a repository (checked before it runs)
};

// The verbs, in the order `help` lists them.
std::span<const Command* const> commands();
// The options before the verb (-C, -q, --format...), hidden ones included.
std::span<const Option> global_options();
// "git pantheon [-C <dir>] [-q|--quiet] ... <command> [<args>]", from global_options().
std::string global_usage();
// The row called `name` (or its alias) among `list`; nullptr if none.
const Command* find_command(std::span<const Command* const> list, const std::string& name);
// The man page documenting `path` (a verb and its subcommands), e.g. git-pantheon-backup-schedule.
std::string man_page(const std::vector<const Command*>& path);

// The synopsis lines of `path`'s leaves, the first after "usage: ", the others
// after "   or: ", each "git pantheon <words> <operands> [<options>]" from the table.
std::string usage_text(const std::vector<const Command*>& path);
// What `-h` prints: the usage, the summary and, for a leaf, its options with their help.
std::string help_text(const std::vector<const Command*>& path);
// "git pantheon" and the words of `path`.
std::string command_words(const std::vector<const Command*>& path);

// The completion script for `shell` ("bash" or "zsh"), generated from the table
// (completion.cpp); gp::Error(usage) for another shell.
std::string completion_script(const std::string& shell);

// The verbs' top-level rows (defined in commands/*.cpp).
extern const Command kInitCommand, kBackupCommand, kRestoreCommand, kEnvCommand, kDeployCommand, kCheckoutCommand,
    kImportCommand, kPushCommand, kFetchCommand, kHooksCommand, kHookCommand, kHelpCommand, kVersionCommand;
// backup schedule, backup protect and backup unprotect (commands/schedule.cpp).
extern const Command kBackupScheduleCommand, kBackupProtectCommand, kBackupUnprotectCommand;

}  // namespace gp::cli
