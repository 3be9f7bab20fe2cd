#pragma once
// Runs programs from argv vectors (never a shell string). Standard input and
// output can be pipes the caller streams through; standard error is kept in an
// anonymous memory file so that a chatty child can never deadlock against us, and
// its tail is available for error messages.
#include <sys/types.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "util/fs.hpp"

namespace gp {

struct ProcessSpec {
  std::vector<std::string> argv;  // argv[0] is looked up on PATH
  // Variables set (or replaced) in the child's environment; secrets go here, never in argv.
  std::vector<std::pair<std::string, std::string>> env;
  std::vector<std::string> unset_env;
  fs::path cwd;            // empty: inherit
  bool pipe_stdin = false;   // else /dev/null, or stdin_fd when >= 0
  bool pipe_stdout = false;  // else stdout_fd when >= 0, or /dev/null
  int stdin_fd = -1;
  int stdout_fd = -1;
  // A session of its own: a Ctrl-C at the terminal does not reach it (for work
  // left to run after we exit, see Process::disown).
  bool new_session = false;
};

class Process {
 public:
  // Starts the program; throws gp::Error(Exit::remote) when it cannot be run
  // (e.g. "'mysqldump' is not installed").
  explicit Process(ProcessSpec spec);
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  // Kills (SIGKILL) and reaps a child that was not waited for.
  ~Process();

  // Our ends of the pipes (-1 when not piped). close_stdin() signals end of input.
  int stdin_fd() const noexcept { return in_.get(); }
  int stdout_fd() const noexcept { return out_.get(); }
  void close_stdin() noexcept { in_.reset(); }

  // Waits for the child; returns its exit status (128+signal when killed).
  int wait();
  // The last `max` bytes the child wrote to stderr, trimmed.
  std::string stderr_tail(size_t max = 2000) const;
  // The last `max` bytes the child wrote to stderr, all lines, untrimmed.
  std::string stderr_text(size_t max = 8000) const;
  // "'name' exited with status N: <stderr tail>"
  std::string failure_text(int status) const;
  const std::string& name() const noexcept { return name_; }
  pid_t pid() const noexcept { return pid_; }
  // Lets the child run on after this object and this process are gone; it is
  // never waited for here (init reaps it once we exit).
  void disown() noexcept { pid_ = -1; }

 private:
  std::string name_;
  pid_t pid_ = -1;
  Fd in_, out_, err_;
  std::optional<int> status_;
};

// Reads the child's piped stdout to its end (small outputs only).
std::string read_stdout(Process& p);

// Runs to completion, feeding nothing and capturing stdout (small outputs only).
struct RunResult {
  int status = 0;
  std::string out;
  std::string err;
};
RunResult run_capture(ProcessSpec spec);

// True when `program` is found on PATH (or is an executable path).
bool program_available(const std::string& program);

}  // namespace gp
