#pragma once
// The one retry policy of every HTTP client in the program: the downloader
// (net/download.cpp) and the S3 transport (storage/s3_transport.cpp). Each keeps
// its own loop, because what an attempt is differs (a resumed GET into a .part
// file; a signed request whose body restarts), but which failures are transient,
// how long to wait before the next attempt and how that wait is interrupted are
// decided here only.
#include <curl/curl.h>

#include <atomic>
#include <chrono>

namespace gp {

struct RetryPolicy {
  unsigned max_attempts = 6;               // first try included; at least 1
  std::chrono::milliseconds backoff{1000};  // wait after the first failure, doubled after each one
  std::chrono::milliseconds cap{30000};     // the longest wait (before jitter)
  bool jitter = false;                      // wait a random time in [d/2, d] instead of d

  // True when `attempt` (1 for the first) was the last one allowed.
  bool exhausted(unsigned attempt) const noexcept { return attempt >= max_attempts; }
  // The wait after failed attempt `attempt`: backoff x 2^(attempt-1) (the exponent
  // stops growing at 10), at most `cap`, then jittered.
  std::chrono::milliseconds delay(unsigned attempt) const;
};

// True for curl's failures that another attempt may not meet: connect, resolve,
// TLS handshake, send/receive errors, an empty or cut answer, HTTP/2 stream
// errors, timeouts (a stall below the low-speed limit is one), and a body that
// could not be rewound for curl's own resend (the next attempt restarts it).
bool transient_curl(CURLcode rc) noexcept;

// True for an HTTP status that another attempt may not meet: 5xx and 429.
// (The downloader also retries 408, and 416 once it has dropped its partial file.)
bool transient_http(long status) noexcept;

// Throws gp::Error(Exit::interrupted) when a signal has arrived (check_interrupted)
// or, when given, `*cancel` is true (message "cancelled"); else returns.
void check_cancelled(const std::atomic<bool>* cancel);

// Sleeps `d` in short ticks, calling check_cancelled(cancel) before each, so a
// signal or a cancellation ends the wait at once with gp::Error(Exit::interrupted).
void wait_interruptibly(std::chrono::milliseconds d, const std::atomic<bool>* cancel = nullptr);

}  // namespace gp
