#include "util/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "util/signals.hpp"

extern char** environ;

namespace gp {

namespace {

std::vector<std::string> child_environment(const ProcessSpec& spec) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string_view kv(*e);
    auto name = kv.substr(0, kv.find('='));
    bool dropped = std::any_of(spec.unset_env.begin(), spec.unset_env.end(), [&](auto& u) { return u == name; }) ||
                   std::any_of(spec.env.begin(), spec.env.end(), [&](auto& p) { return p.first == name; });
    if (!dropped) env.emplace_back(kv);
  }
  for (auto& [k, v] : spec.env) env.push_back(k + "=" + v);
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

struct SpawnActions {
  posix_spawn_file_actions_t fa;
  SpawnActions() { posix_spawn_file_actions_init(&fa); }
  ~SpawnActions() { posix_spawn_file_actions_destroy(&fa); }
};

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
// How often a wait looks at the interrupt flag, and how long a stopped child gets
// between SIGTERM and SIGKILL.
constexpr milliseconds kTick{100};
constexpr milliseconds kGrace{2000};

void set_nonblocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) fail_errno(Exit::internal, "cannot set up pipe", "");
}

// A file descriptor that becomes readable when the child exits (Linux 5.3+), or -1.
int open_pidfd(pid_t pid) noexcept {
#ifdef SYS_pidfd_open
  long fd = ::syscall(SYS_pidfd_open, pid, 0);  // close-on-exec is implied
  if (fd >= 0) return static_cast<int>(fd);
#endif
  (void)pid;
  return -1;
}

int status_of(int st) { return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st); }

std::string seconds_text(milliseconds ms) {
  auto n = ms.count();
  if (n % 1000 == 0) return std::to_string(n / 1000) + " s";
  return std::to_string(n / 1000) + "." + std::to_string(n % 1000 / 100) + " s";
}

}  // namespace

bool program_available(const std::string& program) {
  if (program.find('/') != std::string::npos) return ::access(program.c_str(), X_OK) == 0;
  const char* path = std::getenv("PATH");
  std::string p = path ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find(':', start);
    if (end == std::string::npos) end = p.size();
    std::string dir = p.substr(start, end - start);
    if (dir.empty()) dir = ".";
    std::string full = dir + "/" + program;
    struct stat st;
    if (::stat(full.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(full.c_str(), X_OK) == 0) return true;
    start = end + 1;
  }
  return false;
}

Process::Process(ProcessSpec spec) {
  if (spec.argv.empty()) throw InternalError("Process: empty argv");
  name_ = spec.argv[0];
  if (!program_available(name_)) {
    fail(Exit::remote, describe("cannot run", name_, "program not found on PATH"),
         "install it (see README.md) or put it on PATH");
  }

  SpawnActions actions;
  auto& fa = actions.fa;
  int in_pipe[2] = {-1, -1}, out_pipe[2] = {-1, -1};
  Fd child_in, child_out;
  if (spec.pipe_stdin) {
    if (::pipe2(in_pipe, O_CLOEXEC) != 0) fail_errno(Exit::internal, "cannot create pipe for", name_);
    child_in.reset(in_pipe[0]);
    in_.reset(in_pipe[1]);
    posix_spawn_file_actions_adddup2(&fa, child_in.get(), 0);
  } else if (spec.stdin_fd >= 0) {
    posix_spawn_file_actions_adddup2(&fa, spec.stdin_fd, 0);
  } else {
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  }
  if (spec.pipe_stdout) {
    if (::pipe2(out_pipe, O_CLOEXEC) != 0) fail_errno(Exit::internal, "cannot create pipe for", name_);
    out_.reset(out_pipe[0]);
    child_out.reset(out_pipe[1]);
    posix_spawn_file_actions_adddup2(&fa, child_out.get(), 1);
  } else if (spec.stdout_fd >= 0) {
    posix_spawn_file_actions_adddup2(&fa, spec.stdout_fd, 1);
  } else {
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  }
  if (spec.stderr_fd >= 0) {
    posix_spawn_file_actions_adddup2(&fa, spec.stderr_fd, 2);
  } else {
    int memfd = ::memfd_create("git-pantheon-stderr", MFD_CLOEXEC);
    if (memfd < 0) fail_errno(Exit::internal, "cannot capture stderr of", name_);
    err_.reset(memfd);
    posix_spawn_file_actions_adddup2(&fa, err_.get(), 2);
  }
  if (!spec.cwd.empty()) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 29))
    posix_spawn_file_actions_addchdir_np(&fa, spec.cwd.c_str());
#else
#error "posix_spawn_file_actions_addchdir_np is required"
#endif
  }

  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigemptyset(&all);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) sigaddset(&all, sig);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  if (spec.new_session) flags |= POSIX_SPAWN_SETSID;
  else if (spec.own_group) {
    flags |= POSIX_SPAWN_SETPGROUP;
    posix_spawnattr_setpgroup(&attr, 0);
  }
  posix_spawnattr_setflags(&attr, flags);
  own_group_ = spec.own_group || spec.new_session;
  interruptible_ = spec.interruptible;
  stall_ = spec.stall_timeout;
  stall_message_ = spec.stall_message;
  stall_hint_ = spec.stall_hint;
  if (in_) set_nonblocking(in_.get());
  if (out_) set_nonblocking(out_.get());

  auto argv = spec.argv;
  auto envs = child_environment(spec);
  auto c_argv = c_strings(argv);
  auto c_env = c_strings(envs);
  int rc = ::posix_spawnp(&pid_, name_.c_str(), &fa, &attr, c_argv.data(), c_env.data());
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    pid_ = -1;
    fail(Exit::remote, describe("cannot run", name_, errno_text(rc)));
  }
  pidfd_.reset(open_pidfd(pid_));
}

Process::~Process() { stop(); }

bool Process::try_reap() {
  if (status_) return true;
  int st = 0;
  pid_t r;
  do r = ::waitpid(pid_, &st, WNOHANG);
  while (r < 0 && errno == EINTR);
  if (r == 0) return false;
  if (r < 0) fail_errno(Exit::internal, "cannot wait for", name_);
  status_ = status_of(st);
  pidfd_.reset();
  return true;
}

void Process::stop() noexcept {
  if (pid_ <= 0 || status_) return;
  in_.reset();
  const pid_t target = own_group_ ? -pid_ : pid_;
  ::kill(target, SIGTERM);
  bool exited = false;
  for (auto deadline = Clock::now() + kGrace; !exited && Clock::now() < deadline;) {
    siginfo_t info;
    std::memset(&info, 0, sizeof info);
    // WNOWAIT: a zombie leader keeps its group id reserved for the SIGKILL below.
    int r = ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT);
    if (r == 0 && info.si_pid == pid_) exited = true;
    else if (r < 0 && errno != EINTR) break;
    else std::this_thread::sleep_for(milliseconds(10));
  }
  if (own_group_ || !exited) ::kill(target, SIGKILL);  // the child, or what is left of its group
  int st = 0;
  pid_t r;
  do r = ::waitpid(pid_, &st, 0);
  while (r < 0 && errno == EINTR);
  status_ = r == pid_ ? status_of(st) : 128 + SIGKILL;
  pidfd_.reset();
}

void Process::give_up_interrupted() {
  stop();
  throw Error(Exit::interrupted, "interrupted");
}

void Process::await(int fd, short events) {
  const auto start = Clock::now();
  milliseconds nap{1};
  for (;;) {
    if (interruptible_ && interrupted()) give_up_interrupted();
    milliseconds tick = kTick;
    if (stall_.count() > 0) {
      auto left = stall_ - std::chrono::duration_cast<milliseconds>(Clock::now() - start);
      if (left.count() <= 0) {
        stop();
        fail(Exit::remote, stall_message_ + " ('" + name_ + "' made no progress for " + seconds_text(stall_) + ")",
             stall_hint_);
      }
      tick = std::min(tick, left);
    }
    if (fd < 0) {  // the child's exit
      if (try_reap()) return;
      if (pidfd_) {
        struct pollfd p = {pidfd_.get(), POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(tick.count())) < 0 && errno != EINTR)
          fail_errno(Exit::internal, "cannot wait for", name_);
      } else {  // no pidfd: naps growing from 1 ms, so a quick exit is seen quickly
        std::this_thread::sleep_for(std::min(nap, tick));
        nap = std::min(nap * 2, milliseconds(50));
      }
      continue;
    }
    struct pollfd p = {fd, events, 0};
    int r = ::poll(&p, 1, static_cast<int>(tick.count()));
    if (r > 0) return;  // ready, or hung up / failed: the read or write reports which
    if (r < 0 && errno != EINTR) fail_errno(Exit::internal, "cannot wait for", name_);
  }
}

size_t Process::read(char* data, size_t size) {
  for (;;) {
    if (interruptible_ && interrupted()) give_up_interrupted();
    ssize_t n = ::read(out_.get(), data, size);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno == EAGAIN) await(out_.get(), POLLIN);
    else if (errno != EINTR) fail_errno(Exit::internal, "cannot read the output of", name_);
  }
}

bool Process::write(const char* data, size_t size) {
  while (size > 0) {
    if (interruptible_ && interrupted()) give_up_interrupted();
    ssize_t n = ::write(in_.get(), data, size);
    if (n > 0) {
      data += n;
      size -= static_cast<size_t>(n);
    } else if (n < 0 && errno == EAGAIN) {
      await(in_.get(), POLLOUT);
    } else if (n < 0 && errno == EPIPE) {
      return false;
    } else if (n < 0 && errno != EINTR) {
      fail_errno(Exit::internal, "cannot write to", name_);
    }
  }
  return true;
}

int Process::wait() {
  if (!status_) {
    in_.reset();
    await(-1, 0);
  }
  // The signal that interrupted us may have ended the child first: an interrupt,
  // not the child's failure.
  if (interruptible_ && interrupted()) throw Error(Exit::interrupted, "interrupted");
  return *status_;
}

std::string Process::stderr_text(size_t max) const {
  struct stat st;
  if (!err_ || ::fstat(err_.get(), &st) != 0) return {};
  auto size = static_cast<size_t>(st.st_size);
  size_t start = size > max ? size - max : 0;
  std::string out(size - start, '\0');
  ssize_t n = ::pread(err_.get(), out.data(), out.size(), static_cast<off_t>(start));
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return out;
}

std::string Process::stderr_tail(size_t max) const {
  std::string out = stderr_text(max);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r' || out.back() == ' ')) out.pop_back();
  // Keep the message to one line: the last non-empty line of the child's stderr is
  // nearly always the cause.
  auto nl = out.rfind('\n');
  if (nl != std::string::npos) out = out.substr(nl + 1);
  return out;
}

std::string Process::failure_text(int status) const {
  std::string s = "'" + name_ + "' ";
  s += status > 128 ? "was killed by signal " + std::to_string(status - 128) : "exited with status " + std::to_string(status);
  auto tail = stderr_tail();
  if (!tail.empty()) s += ": " + tail;
  return s;
}

std::string read_stdout(Process& p) {
  std::string out;
  char buf[65536];
  for (;;) {
    size_t n = p.read(buf, sizeof buf);
    if (n == 0) break;
    out.append(buf, n);
  }
  return out;
}

RunResult run_capture(ProcessSpec spec) {
  spec.pipe_stdout = true;
  Process p(std::move(spec));
  RunResult r;
  r.out = read_stdout(p);
  r.status = p.wait();
  r.err = p.stderr_tail(8000);
  return r;
}

}  // namespace gp
