// The shared retry policy (net/retry.hpp): the delays both HTTP clients wait, what
// counts as transient, and that a cancelled wait ends at once.
#include "net/retry.hpp"

#include <gtest/gtest.h>

#include "util/error.hpp"

namespace gp {
namespace {

using std::chrono::milliseconds;

TEST(Retry, DelayDoublesUpToTheCap) {
  RetryPolicy p{6, milliseconds(1000), std::chrono::seconds(30)};
  EXPECT_EQ(p.delay(1), milliseconds(1000));
  EXPECT_EQ(p.delay(2), milliseconds(2000));
  EXPECT_EQ(p.delay(5), milliseconds(16000));
  EXPECT_EQ(p.delay(6), milliseconds(30000));
  EXPECT_EQ(p.delay(40), milliseconds(30000));
  EXPECT_FALSE(p.exhausted(5));
  EXPECT_TRUE(p.exhausted(6));
}

TEST(Retry, JitterStaysInTheUpperHalf) {
  RetryPolicy p{5, milliseconds(200), milliseconds(200 * 1024), true};
  for (unsigned attempt = 1; attempt <= 12; ++attempt) {
    auto full = milliseconds(200LL << std::min(attempt - 1, 10u));
    for (int i = 0; i < 20; ++i) {
      auto d = p.delay(attempt);
      EXPECT_GE(d, full / 2) << attempt;
      EXPECT_LE(d, full) << attempt;
    }
  }
}

TEST(Retry, ClassifiesTransientFailures) {
  for (CURLcode rc : {CURLE_COULDNT_CONNECT, CURLE_OPERATION_TIMEDOUT, CURLE_RECV_ERROR, CURLE_PARTIAL_FILE,
                      CURLE_GOT_NOTHING, CURLE_SEND_FAIL_REWIND})
    EXPECT_TRUE(transient_curl(rc)) << rc;
  for (CURLcode rc : {CURLE_OK, CURLE_UNSUPPORTED_PROTOCOL, CURLE_TOO_MANY_REDIRECTS, CURLE_ABORTED_BY_CALLBACK,
                      CURLE_PEER_FAILED_VERIFICATION})
    EXPECT_FALSE(transient_curl(rc)) << rc;
  EXPECT_TRUE(transient_http(500));
  EXPECT_TRUE(transient_http(503));
  EXPECT_TRUE(transient_http(429));
  EXPECT_FALSE(transient_http(200));
  EXPECT_FALSE(transient_http(404));
  EXPECT_FALSE(transient_http(408));  // the downloader adds it itself; S3 answers RequestTimeout as 400
}

TEST(Retry, CancelledWaitEndsAtOnce) {
  std::atomic<bool> cancel{true};
  auto start = std::chrono::steady_clock::now();
  try {
    wait_interruptibly(std::chrono::seconds(10), &cancel);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Exit::interrupted);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  cancel = false;
  wait_interruptibly(milliseconds(30), &cancel);  // returns
}

}  // namespace
}  // namespace gp
