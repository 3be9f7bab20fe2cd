#pragma once
// Runs programs from argv vectors (never a shell string). Standard input and
// output can be pipes the caller streams through; standard error is kept in an
// anonymous memory file so that a chatty child can never deadlock against us, and
// its tail is available for error messages.
//
// No wait on a child blocks for good: reading its stdout, writing its stdin and
// waiting for its exit poll in ticks of 100 ms, so that an interrupt (SIGINT,
// SIGTERM, SIGHUP: util/signals.hpp) is seen within a fraction of a second, and a
// child that makes no progress for ProcessSpec::stall_timeout is given up on. In
// both cases the child (its process group with own_group) is stopped: SIGTERM,
// SIGKILL after 2 s, reaped. Then gp::Error(Exit::interrupted) or the stall error
// (Exit::remote) is thrown. A child that ended while an interrupt is pending ends
// in Exit::interrupted too, whatever its status (the signal may have hit it first).
#include <sys/types.h>

#include <chrono>
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
  // >= 0: the child's stderr goes there (e.g. 2, the user's terminal) and is not
  // kept (stderr_tail() is then empty); else it is kept in a memory file.
  int stderr_fd = -1;
  // A session of its own: a Ctrl-C at the terminal does not reach it (for work
  // left to run after we exit, see Process::disown).
  bool new_session = false;
  // A process group of its own, led by the child: a Ctrl-C at the terminal reaches
  // only us, and stop() ends the whole group (helpers the child started included).
  bool own_group = false;
  // Longest time the child may make no progress (no byte on its stdout, no room
  // taken in its stdin, no exit) before it is stopped and
  // gp::Error(Exit::remote, stall_message + " ('<name>' made no progress for N s)",
  // stall_hint) is thrown. Zero: no limit.
  std::chrono::milliseconds stall_timeout{0};
  std::string stall_message = "a program stopped answering";
  std::string stall_hint;
  // False for clean-up work that must run even after an interrupt (bound it with
  // stall_timeout): an interrupt then neither stops the child nor throws.
  bool interruptible = true;
};

class Process {
 public:
  // Starts the program; throws gp::Error(Exit::remote) when it cannot be run
  // (e.g. "'mysqldump' is not installed").
  explicit Process(ProcessSpec spec);
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  // Stops (see stop()) a child that was not waited for.
  ~Process();

  // Our ends of the pipes (-1 when not piped; non-blocking: use read() and write()).
  // close_stdin() signals end of input.
  int stdin_fd() const noexcept { return in_.get(); }
  int stdout_fd() const noexcept { return out_.get(); }
  void close_stdin() noexcept { in_.reset(); }

  // Up to `size` bytes of the child's stdout; 0 at its end.
  size_t read(char* data, size_t size);
  // Writes all of `data` to the child's stdin; false when the child closed it
  // (EPIPE: it exited or stopped reading for good), in which case the caller waits
  // for it and reports its stderr. SIGPIPE must be ignored or blocked.
  bool write(const char* data, size_t size);
  // Closes stdin and waits for the child; returns its exit status (128+signal when
  // killed).
  int wait();
  // Ends a running child at once: SIGTERM (to its group with own_group), SIGKILL
  // after a grace period of 2 s, then reaps it. Idempotent.
  void stop() noexcept;
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
  // Until `fd` is ready for `events`, or the child exited (`fd` < 0: its exit);
  // throws on an interrupt or a stall (stopping the child first).
  void await(int fd, short events);
  // Reaps the child when it has exited; true then.
  bool try_reap();
  [[noreturn]] void give_up_interrupted();

  std::string name_;
  pid_t pid_ = -1;
  Fd in_, out_, err_, pidfd_;
  std::optional<int> status_;
  bool own_group_ = false;
  bool interruptible_ = true;
  std::chrono::milliseconds stall_{0};
  std::string stall_message_, stall_hint_;
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
