#include "store/store.hpp"

#include <gtest/gtest.h>

#include "../fixture.hpp"

namespace gp {
namespace {

class StoreTest : public test::TempDirTest {};

TEST_F(StoreTest, PartialDownloadsSurviveTheLockAndAgeOut) {
  Store store(root() / "pantheon");
  const std::string sha(64, 'a');
  EXPECT_EQ(store.partial_path(sha, 123), root() / "pantheon" / "partial" / (sha + "-123"));
  store.create();
  make_dirs(store.partial_dir());
  fs::path fresh = store.partial_path(sha, 123);
  fresh += ".part";
  fs::path old = store.partial_path(std::string(64, 'b'), 9);
  old += ".part";
  write_file_atomic(fresh, "half", 0600);
  write_file_atomic(old, "stale", 0600);
  write_file_atomic(store.tmp_dir() / "x", "tmp", 0600);
  fs::last_write_time(old, fs::file_time_type::clock::now() - std::chrono::hours(24 * 8));
  { auto lock = store.lock(); }
  EXPECT_FALSE(fs::exists(store.tmp_dir() / "x"));  // tmp/ is cleared by the lock holder
  EXPECT_TRUE(fs::exists(fresh));                   // partial/ is not
  EXPECT_TRUE(fs::exists(old));
  EXPECT_EQ(store.clean_partials(kPartialMaxAge), 1u);
  EXPECT_TRUE(fs::exists(fresh));
  EXPECT_FALSE(fs::exists(old));
}

TEST_F(StoreTest, LockWithAShortWaitFailsAsLocked) {
  Store store(root() / "pantheon");
  auto held = store.lock();
  try {
    auto second = store.lock(std::chrono::milliseconds(50));
    FAIL() << "second lock taken";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Exit::locked);
  }
}

}  // namespace
}  // namespace gp
