// No wait on a child blocks for good: a child that makes no progress is stopped
// after its stall timeout, an interrupt stops it within a fraction of a second, and
// either way it (and its process group) is gone afterwards.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "util/process.hpp"
#include "util/signals.hpp"

namespace gp {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// True once `pid` is gone (or a zombie waiting for init): polls for up to 3 s.
bool gone(pid_t pid) {
  for (int i = 0; i < 300; ++i) {
    if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string skip, state;
    if (stat >> skip >> skip >> state && state == "Z") return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

ProcessSpec stalling(std::vector<std::string> argv) {
  ProcessSpec spec;
  spec.argv = std::move(argv);
  spec.own_group = true;
  spec.stall_timeout = std::chrono::milliseconds(300);
  spec.stall_message = "cannot dump database 'x': the server stopped answering";
  spec.stall_hint = "raise the limit";
  return spec;
}

TEST(Process, AReadWithoutProgressStopsTheChildAndItsGroup) {
  auto spec = stalling({"sh", "-c", "sleep 60 & echo $!; wait"});
  spec.pipe_stdout = true;
  Process p(std::move(spec));
  char buf[64];
  std::string line;
  while (line.find('\n') == std::string::npos) {
    size_t n = p.read(buf, sizeof buf);
    ASSERT_GT(n, 0u);
    line.append(buf, n);
  }
  pid_t grandchild = std::stoi(line);
  pid_t child = p.pid();
  auto start = Clock::now();
  try {
    p.read(buf, sizeof buf);
    FAIL() << "no stall error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Exit::remote);
    EXPECT_STREQ(e.what(), "cannot dump database 'x': the server stopped answering ('sh' made no progress for 0.3 s)");
    EXPECT_EQ(e.hint(), "raise the limit");
  }
  EXPECT_LT(seconds_since(start), 3.0);
  EXPECT_TRUE(gone(child));
  EXPECT_TRUE(gone(grandchild)) << "the child's group was not stopped";
}

TEST(Process, AWriteToAChildThatStopsReadingIsBounded) {
  auto spec = stalling({"sleep", "60"});
  spec.pipe_stdin = true;
  Process p(std::move(spec));
  std::string big(8 << 20, 'x');
  auto start = Clock::now();
  try {
    p.write(big.data(), big.size());
    FAIL() << "no stall error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Exit::remote);
    EXPECT_NE(std::string(e.what()).find("('sleep' made no progress for 0.3 s)"), std::string::npos) << e.what();
  }
  EXPECT_LT(seconds_since(start), 3.0);
  EXPECT_TRUE(gone(p.pid()));
}

TEST(Process, WaitingForAChildThatDoesNotExitIsBounded) {
  Process p(stalling({"sleep", "60"}));
  auto start = Clock::now();
  EXPECT_THROW(p.wait(), Error);
  EXPECT_LT(seconds_since(start), 3.0);
  EXPECT_TRUE(gone(p.pid()));
  // Without a limit, a child that exits is waited for as before.
  Process quick({.argv = {"sh", "-c", "exit 3"}});
  EXPECT_EQ(quick.wait(), 3);
}

TEST(Process, AChildThatIgnoresSigtermIsKilledAfterTheGracePeriod) {
  auto spec = stalling({"sh", "-c", "trap '' TERM; echo ready; sleep 60"});
  spec.pipe_stdout = true;
  auto p = std::make_unique<Process>(std::move(spec));
  char buf[16];
  ASSERT_GT(p->read(buf, sizeof buf), 0u);
  pid_t pid = p->pid();
  auto start = Clock::now();
  p.reset();  // the destructor stops it
  EXPECT_GE(seconds_since(start), 1.5);
  EXPECT_LT(seconds_since(start), 5.0);
  EXPECT_TRUE(gone(pid));
}

// Each in a child process of the test (death-test style): the interrupt handlers
// set a process-wide flag that must not leak into the other tests.
class ProcessInterrupt : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

// SIGTERM arrives 200 ms into a read from a child that says nothing: the read
// ends with Exit::interrupted at once, the child is gone. 0 when all is well.
int interrupt_during_read() {
  install_interrupt_handlers();
  ProcessSpec spec;
  spec.argv = {"sleep", "60"};
  spec.pipe_stdout = true;
  spec.own_group = true;
  Process p(std::move(spec));
  std::thread([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    ::kill(::getpid(), SIGTERM);
  }).detach();
  auto start = Clock::now();
  try {
    char buf[16];
    p.read(buf, sizeof buf);
    return 2;
  } catch (const Error& e) {
    if (e.code() != Exit::interrupted) return 3;
  }
  if (seconds_since(start) > 1.5) return 4;
  return gone(p.pid()) ? 0 : 5;
}

TEST_F(ProcessInterrupt, AnInterruptStopsTheChildWithinAFractionOfASecond) {
  EXPECT_EXIT(std::_Exit(interrupt_during_read()), ::testing::ExitedWithCode(0), "");
}

// A child that the same signal ended (a group kill reached it too) is an
// interrupt, not the child's failure; clean-up work (interruptible = false) runs
// to its end even with the interrupt pending.
int child_ended_by_the_interrupt() {
  install_interrupt_handlers();
  try {
    Process p({.argv = {"sh", "-c", "kill -TERM $PPID; exit 3"}});
    p.wait();
    return 2;
  } catch (const Error& e) {
    if (e.code() != Exit::interrupted) return 3;
  }
  if (!interrupted()) return 4;
  ProcessSpec spec;
  spec.argv = {"sh", "-c", "sleep 0.3; echo done"};
  spec.pipe_stdout = true;
  spec.interruptible = false;
  Process cleanup(std::move(spec));
  return read_stdout(cleanup) == "done\n" && cleanup.wait() == 0 ? 0 : 5;
}

TEST_F(ProcessInterrupt, AChildEndedByTheInterruptIsAnInterruptAndCleanupStillRuns) {
  EXPECT_EXIT(std::_Exit(child_ended_by_the_interrupt()), ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace gp
