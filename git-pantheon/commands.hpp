#pragma once
// The command table: one row per verb drives dispatch, `help`, `-h` and the
// "did you mean" hint. Each verb lives in commands/<verb>.cpp.
#include <span>
#include <string>
#include <vector>

#include "cli.hpp"

namespace gp::cli {

struct Command {
  const char* name;
  const char* summary;
  const char* usage;  // synopsis lines, without the leading "git pantheon "
  bool needs_repo;
  int (*run)(Context& ctx, Args& args);
};

// Every verb, in the order `help` lists them.
std::span<const Command> commands();
const Command* find_command(const std::string& name);
// The closest verb names to a mistyped one (git's "The most similar command is").
std::vector<std::string> similar_commands(const std::string& name);

// The verbs (defined in commands/*.cpp).
int run_help(Context&, Args&);
int run_version(Context&, Args&);
int run_init(Context&, Args&);
int run_env(Context&, Args&);
int run_backup(Context&, Args&);
int run_restore(Context&, Args&);
int run_deploy(Context&, Args&);
int run_checkout(Context&, Args&);
int run_import(Context&, Args&);
int run_push(Context&, Args&);
int run_fetch(Context&, Args&);
int run_hooks(Context&, Args&);
int run_hook(Context&, Args&);

}  // namespace gp::cli
