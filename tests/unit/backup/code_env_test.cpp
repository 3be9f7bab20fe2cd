// Code environments (no database, no files directory): a backup holds what the
// environment has, and an element it lacks is refused before anything is written.
#include <gtest/gtest.h>

#include "../fixture.hpp"
#include "backup/backup.hpp"
#include "util/error.hpp"

namespace gp {
namespace {

class CodeEnvBackup : public test::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    std::string cfg =
        "site = \"s\"\n[env.dev]\ndatabase = \"sqlite:dev.sqlite\"\nfiles = \"files\"\n[env.test]\n"
        "[env.up]\nfiles = \"../up\"\n";
    wt_ = make_repo("site", {{".pantheon.toml", cfg}, {".gitignore", "dev.sqlite\nfiles/\n"}});
    fs::create_directories(wt_ / "files");
    fs::create_directories(wt_ / "../up");
  }

  Backup backup(Repo& repo, const std::string& env, std::vector<Element> elements) {
    Config cfg = load_config(wt_);
    Store store(repo);
    store.create();
    auto lock = store.lock();
    BackupRequest req;
    req.env = env;
    req.elements = std::move(elements);
    NullProgress p;
    return create_backup(repo, cfg, store, lock, req, p);
  }

  fs::path wt_;
};

TEST_F(CodeEnvBackup, ElementsAreWhatTheEnvironmentHas) {
  Config cfg = load_config(wt_);
  EXPECT_EQ(env_elements(cfg.env("dev")), (std::vector<Element>{Element::code, Element::database, Element::files}));
  EXPECT_EQ(env_elements(cfg.env("test")), (std::vector<Element>{Element::code}));
  EXPECT_EQ(env_elements(cfg.env("up")), (std::vector<Element>{Element::code, Element::files}));
}

TEST_F(CodeEnvBackup, ADefaultBackupOfACodeEnvironmentHoldsItsCodeOnly) {
  Repo repo = Repo::open(wt_);
  Backup b = backup(repo, "test", {});
  EXPECT_EQ(b.manifest.elements, std::vector<Element>{Element::code});
  ASSERT_EQ(b.manifest.archives.size(), 1u);
  EXPECT_EQ(b.manifest.archives[0].element, Element::code);
  Backup u = backup(repo, "up", {});
  EXPECT_EQ(u.manifest.elements, (std::vector<Element>{Element::code, Element::files}));
}

TEST_F(CodeEnvBackup, AnElementTheEnvironmentLacksIsRefusedAndNothingIsWritten) {
  Repo repo = Repo::open(wt_);
  for (auto e : {Element::database, Element::files}) {
    try {
      backup(repo, "test", {Element::code, e});
      FAIL() << "no error for " << to_string(e);
    } catch (const Error& err) {
      EXPECT_EQ(err.code(), Exit::bad_input);
      EXPECT_EQ(std::string(err.what()).find("environment 'test' has no "), 0u) << err.what();
    }
  }
  EXPECT_THROW(backup(repo, "up", {Element::database}), Error);
  EXPECT_TRUE(repo.tags(kBackupTagPrefix).empty());
  Store store(repo);
  auto lock = store.lock();
  EXPECT_TRUE(store.used_names(lock).empty()) << "a refused backup takes no name";
  EXPECT_TRUE(fs::is_empty(store.archives_dir()));
}

}  // namespace
}  // namespace gp
