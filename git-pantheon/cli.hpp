#pragma once
// What every verb shares: the argument reader, the global options, the lazily
// opened repository and configuration, and the terminal progress reporter.
// Verbs parse arguments, call lib/, and print; only they write to stdout/stderr.
#include <iosfwd>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "git/repo.hpp"
#include "util/error.hpp"
#include "util/progress.hpp"
#include "util/timeutil.hpp"

namespace gp::cli {

// What completes a value (an option's or an operand) in the generated shell
// completions. An option whose argument is a list of choices ("text|json")
// completes those choices whatever this says.
enum class Complete { none, env, remote, file, dir };

// One row of an option table (git's parse-options.h): --name, -s, or both. An
// option takes a value when `arg` is set: a placeholder ("<env>") or the accepted
// choices ("text|json"). A row with only `group` set stands for the rows of a
// shared group (`use(kConfirmOptions)`). Tables are constant data, never freed.
struct Option {
  const char* name = nullptr;  // long name without "--"; nullptr: short only (or a group)
  char short_name = 0;         // 0: long only
  const char* arg = nullptr;   // nullptr: a flag, which takes no value
  const char* help = "";       // one line for `-h`, lowercase, no full stop
  bool repeatable = false;     // every value is kept (values()), not only the last
  Complete complete = Complete::none;
  std::span<const Option> group = {};
  bool hidden = false;  // parsed but not listed in usage, completion or the man test
};

// A row standing for the rows of a shared group.
constexpr Option use(std::span<const Option> group) { return Option{.group = group}; }

// The rows of `table` with groups expanded, in order.
std::vector<const Option*> expand(std::span<const Option> table);

// The shared groups. --format: the output format of a verb that prints data.
inline constexpr Option kFormatOptions[] = {
    {"format", 0, "text|json", "print text for people (the default) or JSON for programs"}};
// Replacing an environment's content: confirmation (cli::require_confirmation).
inline constexpr Option kConfirmOptions[] = {
    {"yes", 'y', nullptr, "do not ask for confirmation"},
    {"confirm-env", 0, "<env>", "name the environment once more (needed for live)", false, Complete::env}};
inline constexpr Option kSafetyOptions[] = {
    {"no-safety-backup", 0, nullptr, "do not back the environment up first (no 'restore --undo')"}};
// The environment a verb works on.
inline constexpr Option kEnvOptions[] = {{"env", 0, "<env>", "the environment (default dev)", false, Complete::env}};
// The storage remote archives are fetched from or kept in.
inline constexpr Option kRemoteOptions[] = {
    {"remote", 0, "<remote>", "the storage remote (default: the only one configured)", false, Complete::remote}};
// Accepted after the verb by every verb, as before it (main.cpp).
inline constexpr Option kVerbGlobalOptions[] = {{"quiet", 'q', nullptr, "", false, Complete::none, {}, true},
                                                {"progress", 0, nullptr, "", false, Complete::none, {}, true},
                                                {"no-progress", 0, nullptr, "", false, Complete::none, {}, true},
                                                {"utc", 0, nullptr, "", false, Complete::none, {}, true}};

// The words in `candidates` closest to a mistyped `word` (git's "The most similar
// command is"); empty when none is close enough.
std::vector<std::string> similar_names(const std::string& word, const std::vector<std::string>& candidates);
// A hint naming them: "the most similar <what> is 'x'" / "... <what>s are 'x' 'y'";
// empty when `similar` is.
std::string similar_hint(const std::string& what, const std::vector<std::string>& similar);

// A verb's arguments, parsed in git's style against its option table:
// --long[=value], --long value, -s value, -svalue, combined short flags (-qf), and
// "--" ending options; options and operands may be interleaved. An option not in
// the table, a value given to a flag or a missing value is a usage error at once
// (with "the most similar option" over the table). Asking for an option the table
// does not have is an InternalError: the table and the code cannot disagree.
class Args {
 public:
  // `options`: the table (expand()ed); `usage`: the hint of every usage error (the
  // generated synopsis). With `options_first`, the first operand ends the options:
  // it and every word after it are operands (the global options before the verb).
  Args(std::vector<std::string> args, std::vector<const Option*> options, std::string usage,
       bool options_first = false);

  // True when --name (or its short form) was given. `name` is the long name, or
  // the letter of a short-only option.
  bool flag(const std::string& name) const;
  // Which of `names` (flags) was given last; nullopt when none was.
  std::optional<std::string> last_of(std::initializer_list<const char*> names) const;
  // The value of --name=V, --name V or -s V (the last occurrence wins).
  std::optional<std::string> value(const std::string& name) const;
  // Every value given for a repeatable option, in order.
  std::vector<std::string> values(const std::string& name) const;
  // The operands; checks the count.
  std::vector<std::string> operands(size_t min, size_t max) const;

  const std::string& usage() const noexcept { return usage_; }
  // Throws gp::Error(Exit::usage) with the usage text as hint.
  [[noreturn]] void usage_error(const std::string& message) const;

 private:
  const Option& known(const std::string& name) const;
  std::vector<const Option*> table_;
  std::vector<std::pair<const Option*, std::string>> given_;  // in order
  std::vector<std::string> operands_;
  std::string usage_;
};

// Parses an option's value with `parse` (a lib/ parser that throws gp::Error
// bad_input naming the accepted forms): a malformed value is a usage error,
// exit 2, with the same message and hint, as for every other option.
template <class F>
auto option_value(F&& parse) -> decltype(parse()) {
  try {
    return parse();
  } catch (const Error& e) {
    if (e.code() != Exit::bad_input) throw;
    throw Error(Exit::usage, e.what(), e.hint());
  }
}

enum class Format { text, json };

struct Globals {
  fs::path cwd;                  // -C <dir>, applied in order
  bool quiet = false;            // -q
  std::optional<bool> progress;  // --progress / --no-progress; default: stderr is a terminal
  std::optional<Format> format;  // --format=text|json (global or per verb)
  bool utc = false;              // --utc: times in UTC instead of the local zone
};

class Context {
 public:
  explicit Context(Globals g);
  ~Context();

  Globals& globals() noexcept { return g_; }
  // The repository around the working directory; gp::Error(not_repo) if none.
  Repo& repo();
  // The work tree root; gp::Error(not_repo) for a bare repository.
  fs::path root();
  // .pantheon.toml of the repository, loaded on first use.
  const Config& config();
  // Progress on stderr when enabled, else reports only warnings.
  Progress& progress();
  // The output format: --format given to the verb, else the global one, else text.
  Format format(const Args& args);
  bool quiet() const noexcept { return g_.quiet; }
  // A time for people: local zone (or UTC with --utc), see util/timeutil.hpp.
  std::string when(TimePoint t, bool date_only = false) const { return display_time(t, g_.utc, date_only); }
  std::ostream& out();

 private:
  Globals g_;
  std::optional<Repo> repo_;
  std::optional<Config> config_;
  std::unique_ptr<Progress> progress_;
};

// Prints rows as left-aligned columns two spaces apart (the first row is the header).
void print_table(std::ostream& out, const std::vector<std::vector<std::string>>& rows);

// Confirmation before replacing an environment's content: prints `title` and the
// `plan` lines and asks on a terminal unless `yes`; without a terminal `yes` is
// required. Replacing live also needs `confirm_env` == "live" (or the name typed).
// Throws gp::Error(Exit::usage) when not confirmed.
void require_confirmation(const std::string& title, const std::vector<std::string>& plan, const std::string& env,
                          bool yes, const std::optional<std::string>& confirm_env);

// Asks a yes/no question on the terminal; false without a terminal.
bool confirm(const std::string& question);
// True when standard input and standard error are terminals.
bool interactive();

}  // namespace gp::cli
