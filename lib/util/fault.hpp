#pragma once
// Test-only fault points: named places where a test harness can make the process
// die as a crash would (SIGKILL: no destructor, no handler, no flush runs).
//
//   GP_FAULT_POINT("store.publish.before");
//
// Without GP_FAULT_INJECTION (every release build) the macro expands to nothing:
// no code, no string, no environment lookup. With it (the test build, see
// CMakeLists.txt), the environment read once at start-up drives every point:
//   GP_FAULT_FILTER=prefix  only points whose name starts with `prefix` count
//                           (default: every point);
//   GP_FAULT_TRACE=path     each counted point appends "<n> <name>\n" to `path`
//                           (n counts from 1), before it may kill;
//   GP_FAULT_KILL_AT=N      the N-th counted point sends SIGKILL to the process.
// The variables are removed from the environment when read, so child processes
// (git, mysql, a nested git-pantheon) neither count nor die. Points are
// thread-safe (S3 multipart senders hit them from worker threads).
//
// Names are "<area>.<step>[.before|.after]", e.g. "backup.chunk",
// "restore.files.swap.before", "db.sqlite.rename.after". tests/e2e/t-crash.sh
// counts the points of a clean run, then kills the operation at each of them.

#if defined(GP_FAULT_INJECTION)
namespace gp {
// Counts the point and, at the chosen count, kills the process (never returns then).
void fault_point(const char* name) noexcept;
}  // namespace gp
#define GP_FAULT_POINT(name) ::gp::fault_point(name)
#else
#define GP_FAULT_POINT(name) static_cast<void>(0)
#endif
