// Test-only fault points (see fault.hpp). This file compiles to nothing unless
// GP_FAULT_INJECTION is defined.
#include "util/fault.hpp"

#if defined(GP_FAULT_INJECTION)

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

namespace gp {

namespace {

struct FaultConfig {
  std::string filter;
  std::string trace;
  unsigned long long kill_at = 0;  // 0: never
  unsigned long long count = 0;
  std::mutex mu;

  FaultConfig() {
    auto take = [](const char* var) {
      const char* v = std::getenv(var);
      std::string s = v ? v : "";
      ::unsetenv(var);
      return s;
    };
    filter = take("GP_FAULT_FILTER");
    trace = take("GP_FAULT_TRACE");
    std::string k = take("GP_FAULT_KILL_AT");
    if (!k.empty()) kill_at = std::strtoull(k.c_str(), nullptr, 10);
  }
};

// Read at static initialisation, before main() can spawn any child process.
FaultConfig& config() {
  static FaultConfig c;
  return c;
}
[[maybe_unused]] const bool g_read_early = (config(), true);

}  // namespace

void fault_point(const char* name) noexcept {
  FaultConfig& c = config();
  if (c.trace.empty() && c.kill_at == 0) return;
  if (!c.filter.empty() && std::strncmp(name, c.filter.c_str(), c.filter.size()) != 0) return;
  std::lock_guard<std::mutex> guard(c.mu);
  unsigned long long n = ++c.count;
  if (!c.trace.empty()) {
    int fd = ::open(c.trace.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd >= 0) {
      std::string line = std::to_string(n) + " " + name + "\n";
      [[maybe_unused]] ssize_t w = ::write(fd, line.data(), line.size());
      ::close(fd);
    }
  }
  if (n == c.kill_at) {
    ::kill(::getpid(), SIGKILL);
    for (;;) ::pause();
  }
}

}  // namespace gp

#endif
