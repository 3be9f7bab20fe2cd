#include "util/process.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>

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
  int memfd = ::memfd_create("git-pantheon-stderr", MFD_CLOEXEC);
  if (memfd < 0) fail_errno(Exit::internal, "cannot capture stderr of", name_);
  err_.reset(memfd);
  posix_spawn_file_actions_adddup2(&fa, err_.get(), 2);
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
  posix_spawnattr_setflags(&attr, flags);

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
}

Process::~Process() {
  if (pid_ > 0 && !status_) {
    ::kill(pid_, SIGKILL);
    int st;
    while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
    }
  }
}

int Process::wait() {
  if (status_) return *status_;
  in_.reset();
  int st = 0;
  for (;;) {
    pid_t r = ::waitpid(pid_, &st, 0);
    if (r == pid_) break;
    if (r < 0 && errno != EINTR) fail_errno(Exit::internal, "cannot wait for", name_);
  }
  status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
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
    size_t n = read_some(p.stdout_fd(), buf, sizeof buf, p.name());
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
