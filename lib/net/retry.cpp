#include "net/retry.hpp"

#include <algorithm>
#include <random>
#include <thread>

#include "util/error.hpp"
#include "util/signals.hpp"

namespace gp {

std::chrono::milliseconds RetryPolicy::delay(unsigned attempt) const {
  unsigned doublings = std::min(attempt > 0 ? attempt - 1 : 0u, 10u);
  auto d = std::min<std::chrono::milliseconds>(backoff * (1LL << doublings), cap);
  if (!jitter || d.count() <= 0) return d;
  thread_local std::mt19937_64 rng(std::random_device{}());
  std::uniform_int_distribution<long long> dist(d.count() / 2, d.count());
  return std::chrono::milliseconds(dist(rng));
}

bool transient_curl(CURLcode rc) noexcept {
  switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_SEND_FAIL_REWIND:  // curl's own resend on a fresh connection: ours restarts the body
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

bool transient_http(long status) noexcept { return status >= 500 || status == 429; }

void check_cancelled(const std::atomic<bool>* cancel) {
  check_interrupted();
  if (cancel && cancel->load()) fail(Exit::interrupted, "cancelled");
}

void wait_interruptibly(std::chrono::milliseconds d, const std::atomic<bool>* cancel) {
  constexpr std::chrono::milliseconds kTick{20};
  auto until = std::chrono::steady_clock::now() + d;
  for (;;) {
    check_cancelled(cancel);
    auto now = std::chrono::steady_clock::now();
    if (now >= until) return;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(kTick, until - now));
  }
}

}  // namespace gp
