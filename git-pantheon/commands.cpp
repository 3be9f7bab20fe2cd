#include "commands.hpp"

#include <algorithm>

namespace gp::cli {

namespace {

const Command* const kCommands[] = {
    &kInitCommand,     &kBackupCommand, &kRestoreCommand, &kEnvCommand,   &kDeployCommand,
    &kCheckoutCommand, &kImportCommand, &kPushCommand,    &kFetchCommand, &kHooksCommand,
    &kHookCommand,     &kHelpCommand,   &kVersionCommand,
};

// Read by main.cpp before the verb; -C, --format and the flags also documented in git-pantheon(1).
constexpr Option kGlobalOptions[] = {
    {nullptr, 'C', "<dir>", "run as if started in <dir> (each -C relative to the previous one)", true, Complete::dir},
    {"quiet", 'q', nullptr, "print only errors and warnings"},
    {"progress", 0, nullptr, "show progress even when standard error is not a terminal"},
    {"no-progress", 0, nullptr, "show no progress"},
    {"utc", 0, nullptr, "show times in UTC instead of the local time zone"},
    use(kFormatOptions),
    {"version", 'v', nullptr, "print the version of git-pantheon and of its libraries"},
    {"help", 'h', nullptr, "show help"},
    // The generated completions: `git pantheon --completion bash|zsh` prints one
    // (the build installs them); `--complete-envs` lists .pantheon.toml's
    // environments for them, printing nothing where there is none.
    {"completion", 0, "bash|zsh", "print the completion script for a shell", false, Complete::none, {}, true},
    {"complete-envs", 0, nullptr, "list the environments, for the completions", false, Complete::none, {}, true},
};

constexpr size_t kWidth = 100;  // synopsis lines are wrapped before this column

// "--name <arg>", "-s <arg>"
std::string option_synopsis(const Option& o) {
  std::string s = o.name ? std::string("--") + o.name : std::string("-") + o.short_name;
  if (o.arg) s += std::string(" ") + o.arg;
  return s;
}

// Appends `word` to `out`, breaking the line before kWidth with `indent` spaces.
void append_wrapped(std::string& out, size_t& column, const std::string& word, size_t indent) {
  if (column + 1 + word.size() > kWidth && column > indent) {
    out += "\n" + std::string(indent, ' ');
    column = indent;
  } else {
    out += ' ';
    ++column;
  }
  out += word;
  column += word.size();
}

void leaf_synopses(std::vector<const Command*> path, std::vector<std::vector<const Command*>>& out) {
  const Command* c = path.back();
  if (c->run) out.push_back(path);
  for (auto* sub : c->subcommands) {
    path.push_back(sub);
    leaf_synopses(path, out);
    path.pop_back();
  }
}

// One leaf's synopsis; the first line follows "usage: " or `lead` (both 7 wide).
std::string synopsis(const std::vector<const Command*>& path, const std::string& lead) {
  std::string words = command_words(path);
  std::string out = lead + words;
  size_t indent = 7 + words.size() + 1, column = 7 + words.size();
  if (*path.back()->operands) append_wrapped(out, column, path.back()->operands, indent);
  for (auto* o : expand(path.back()->options))
    if (!o->hidden) append_wrapped(out, column, "[" + option_synopsis(*o) + "]" + (o->repeatable ? "..." : ""), indent);
  return out;
}

}  // namespace

std::span<const Command* const> commands() { return kCommands; }
std::span<const Option> global_options() { return kGlobalOptions; }

std::string global_usage() {
  std::string out = "git pantheon";
  for (auto* o : expand(kGlobalOptions)) {
    if (o->hidden) continue;
    out += " [";
    if (o->short_name) out += std::string("-") + o->short_name + (o->name ? "|" : "");
    if (o->name) out += std::string("--") + o->name;
    if (o->arg) out += std::string(" ") + o->arg;
    out += "]";
  }
  return out + " <command> [<args>]";
}

const Command* find_command(std::span<const Command* const> list, const std::string& name) {
  for (auto* c : list)
    if (name == c->name || (c->alias && name == c->alias)) return c;
  return nullptr;
}

std::string man_page(const std::vector<const Command*>& path) {
  for (size_t i = path.size(); i-- > 0;)
    if (path[i]->man) return path[i]->man;
  return path.empty() ? "git-pantheon" : std::string("git-pantheon-") + path[0]->name;
}

std::string command_words(const std::vector<const Command*>& path) {
  std::string out = "git pantheon";
  for (auto* c : path) out += std::string(" ") + c->name;
  return out;
}

std::string usage_text(const std::vector<const Command*>& path) {
  std::vector<std::vector<const Command*>> leaves;
  leaf_synopses(path, leaves);
  std::string out;
  for (size_t i = 0; i < leaves.size(); ++i) out += (i ? "\n" : "") + synopsis(leaves[i], i ? "   or: " : "");
  return out;
}

std::string help_text(const std::vector<const Command*>& path) {
  std::string out = "usage: " + usage_text(path) + "\n\n" + path.back()->summary + "\n";
  if (!path.back()->run) return out;
  std::string list;
  for (auto* o : expand(path.back()->options)) {
    if (o->hidden) continue;
    std::string left = "    ";
    if (o->short_name)
      left += std::string("-") + o->short_name + (o->name ? ", " : "");
    else
      left += "    ";
    if (o->name) left += std::string("--") + o->name;
    if (o->arg) left += std::string(" ") + o->arg;
    if (o->repeatable) left += "...";
    left += left.size() < 30 ? std::string(30 - left.size(), ' ') : "\n" + std::string(30, ' ');
    list += left + o->help + "\n";
  }
  if (!list.empty()) out += "\n" + list;
  return out;
}

}  // namespace gp::cli
