// Where database passwords come from, and what is refused.
#include <sys/stat.h>

#include "db_test_util.hpp"
#include "fixture.hpp"

namespace gp::test {
namespace {

class DbPassword : public TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    ::unsetenv("GIT_PANTHEON_DB_PASSWORD");
    ::unsetenv("GIT_PANTHEON_DB_PASSWORD_MY_LIVE");
    secrets_ = root() / "secrets";
    fs::create_directories(secrets_);
  }
  void TearDown() override {
    ::unsetenv("GIT_PANTHEON_DB_PASSWORD");
    ::unsetenv("GIT_PANTHEON_DB_PASSWORD_MY_LIVE");
    TempDirTest::TearDown();
  }
  fs::path secrets_;
};

TEST_F(DbPassword, EnvironmentFirstThenTheSecretsFile) {
  EXPECT_EQ(database_password("my-live", secrets_), std::nullopt);
  write_file_atomic(secrets_ / "my-live.password", "from file\n", 0600);
  EXPECT_EQ(database_password("my-live", secrets_), "from file");
  ::setenv("GIT_PANTHEON_DB_PASSWORD", "generic", 1);
  EXPECT_EQ(database_password("my-live", secrets_), "generic");
  ::setenv("GIT_PANTHEON_DB_PASSWORD_MY_LIVE", "specific", 1);
  EXPECT_EQ(database_password("my-live", secrets_), "specific");
  EXPECT_EQ(database_password("dev", secrets_), "generic");
  ::setenv("GIT_PANTHEON_DB_PASSWORD_MY_LIVE", "", 1);  // set but empty: an empty password
  EXPECT_EQ(database_password("my-live", secrets_), "");
}

TEST_F(DbPassword, OnlyTheLastNewlineIsStripped) {
  write_file_atomic(secrets_ / "dev.password", " sp ace \n\n", 0600);
  EXPECT_EQ(database_password("dev", secrets_), " sp ace \n");
  write_file_atomic(secrets_ / "dev.password", "crlf\r\n", 0600);
  EXPECT_EQ(database_password("dev", secrets_), "crlf");
}

TEST_F(DbPassword, AFileOthersCanReadIsRefused) {
  write_file_atomic(secrets_ / "dev.password", "pw\n", 0600);
  for (mode_t m : {0640, 0604, 0660}) {
    ::chmod((secrets_ / "dev.password").c_str(), m);
    auto msg = expect_error(Exit::config, [&] { database_password("dev", secrets_); });
    EXPECT_NE(msg.find("readable by group or others"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("pw"), std::string::npos) << msg;
  }
  fs::remove(secrets_ / "dev.password");
  fs::create_symlink(root() / "elsewhere", secrets_ / "dev.password");
  write_file_atomic(root() / "elsewhere", "pw\n", 0600);
  expect_error(Exit::config, [&] { database_password("dev", secrets_); });
}

}  // namespace
}  // namespace gp::test
