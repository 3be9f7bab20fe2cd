#pragma once
// What every verb shares: the argument reader, the global options, the lazily
// opened repository and configuration, and the terminal progress reporter.
// Verbs parse arguments, call lib/, and print; only they write to stdout/stderr.
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "git/repo.hpp"
#include "util/error.hpp"
#include "util/progress.hpp"
#include "util/timeutil.hpp"

namespace gp::cli {

// Reads a verb's arguments in git's style: --long[=value], --long value, -s value,
// combined short flags (-qf), and "--" ending options. Each accessor consumes what
// it recognises; finish() refuses anything left that looks like an option.
class Args {
 public:
  Args(std::vector<std::string> args, std::string usage);

  // True when --name (or -s) was given; consumes every occurrence.
  bool flag(const std::string& name, char short_name = 0);
  // --no-name / --name; nullopt when neither was given (the last one wins).
  std::optional<bool> toggle(const std::string& name);
  // The value of --name=V, --name V or -s V (the last occurrence wins).
  std::optional<std::string> value(const std::string& name, char short_name = 0);
  // Every value given for a repeatable option.
  std::vector<std::string> values(const std::string& name, char short_name = 0);
  // The remaining operands, after refusing unknown options; checks the count.
  std::vector<std::string> operands(size_t min, size_t max);
  // Pops the first operand (a subcommand word) if there is one.
  std::optional<std::string> subcommand();

  const std::string& usage() const noexcept { return usage_; }
  // Throws gp::Error(Exit::usage) with the usage text as hint.
  [[noreturn]] void usage_error(const std::string& message) const;

 private:
  std::vector<std::string> args_;
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
  Format format(Args& args);
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
