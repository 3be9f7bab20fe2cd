#include "util/signals.hpp"

#include <csignal>
#include <cstring>

#include "util/error.hpp"

namespace gp {

namespace {
volatile std::sig_atomic_t g_interrupted = 0;

void on_signal(int) { g_interrupted = 1; }
}  // namespace

void install_interrupt_handlers() {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: blocking reads return EINTR and see the flag
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);  // a closed pipe is an error return, not a death
}

bool interrupted() noexcept { return g_interrupted != 0; }

void check_interrupted() {
  if (g_interrupted) throw Error(Exit::interrupted, "interrupted");
}

}  // namespace gp
