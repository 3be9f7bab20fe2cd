// A repository never gives two backups the same name (lib/backup/README.md,
// "Names"): not two made in the same second, not a new one after an older one of
// that name was pruned. The clock is pinned with GP_TEST_NOW (a test build).
#include <gtest/gtest.h>

#include <cstdlib>

#include "../fixture.hpp"
#include "backup/backup.hpp"
#include "util/error.hpp"

namespace gp {
namespace {

constexpr const char* kNow = "2026-11-25T12:00:00Z";

class BackupNames : public test::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    std::string cfg = "site = \"s\"\n[env.dev]\ndatabase = \"sqlite:dev.sqlite\"\nfiles = \"files\"\n";
    wt_ = make_repo("site", {{".pantheon.toml", cfg}, {".gitignore", "dev.sqlite\nfiles/\n"}});
    fs::create_directories(wt_ / "files");
    sql("CREATE TABLE t(x); INSERT INTO t VALUES (1);");
    ::setenv("GP_TEST_NOW", kNow, 1);
  }
  void TearDown() override {
    ::unsetenv("GP_TEST_NOW");
    TempDirTest::TearDown();
  }
  void sql(const std::string& statements) { run({"sqlite3", (wt_ / "dev.sqlite").string(), statements}, wt_); }

  Backup backup(Repo& repo, const std::string& initiator = "manual") {
    Config cfg = load_config(wt_);
    Store store(repo);
    auto lock = store.lock();
    BackupRequest req;
    req.env = "dev";
    req.elements = {Element::database};
    req.initiator = initiator;
    req.keep_for = std::chrono::hours(1);
    NullProgress p;
    return create_backup(repo, cfg, store, lock, req, p);
  }
  PruneResult prune_all_expired(Repo& repo) {
    Store store(repo);
    auto lock = store.lock();
    NullProgress p;
    return prune_backups(repo, store, lock, *parse_iso8601("2100-01-01T00:00:00Z"), false, std::nullopt, p);
  }

  fs::path wt_;
};

TEST_F(BackupNames, BackupsInTheSameSecondTakeTheNextFreeSeconds) {
  Repo repo = Repo::open(wt_);
  std::vector<std::string> tags;
  for (int i = 0; i < 3; ++i) {
    Backup b;
    ASSERT_NO_THROW(b = backup(repo)) << "backup " << i << " at a pinned clock";
    tags.push_back(b.tag);
    EXPECT_EQ(pantheon_stamp(b.manifest.created), b.tag.substr(b.tag.rfind('/') + 1)) << "created matches the name";
  }
  EXPECT_EQ(tags, (std::vector<std::string>{"pantheon/backup/dev/2026-11-25T12-00-00",
                                            "pantheon/backup/dev/2026-11-25T12-00-01",
                                            "pantheon/backup/dev/2026-11-25T12-00-02"}));
}

TEST_F(BackupNames, APrunedBackupsNameIsNeverGivenToANewBackup) {
  Repo repo = Repo::open(wt_);
  Backup old = backup(repo);
  ASSERT_EQ(prune_all_expired(repo).removed.size(), 1u);
  ASSERT_FALSE(repo.tag(old.tag).has_value());
  sql("INSERT INTO t VALUES (2);");  // other bytes: reusing the name would give them the old one's name
  Backup fresh = backup(repo);
  EXPECT_NE(fresh.tag, old.tag);
  EXPECT_EQ(fresh.tag, "pantheon/backup/dev/2026-11-25T12-00-01");
  EXPECT_NE(fresh.manifest.archives.at(0).file, old.manifest.archives.at(0).file);
  // The record keeps both, the pruned one too.
  Store store(repo);
  auto lock = store.lock();
  auto used = store.used_names(lock);
  for (auto* b : {&old, &fresh}) {
    EXPECT_TRUE(used.count(b->tag)) << b->tag;
    EXPECT_TRUE(used.count(b->manifest.archives.at(0).file)) << b->manifest.archives.at(0).file;
  }
}

TEST_F(BackupNames, KeepNewestRecordsTheNamesItRemoves) {
  Repo repo = Repo::open(wt_);
  Backup first = backup(repo, "commit");
  Backup second = backup(repo, "commit");
  {
    Store store(repo);
    auto lock = store.lock();
    NullProgress p;
    ASSERT_EQ(keep_newest_backups(repo, store, lock, "dev", "commit", 1, p).size(), 1u);
  }
  ASSERT_FALSE(repo.tag(first.tag).has_value());
  EXPECT_EQ(backup(repo, "commit").tag, "pantheon/backup/dev/2026-11-25T12-00-02");
  EXPECT_EQ(second.tag, "pantheon/backup/dev/2026-11-25T12-00-01");
}

// An orphan archive (no tag references it) that prune removes keeps its name too.
TEST_F(BackupNames, PrunedOrphanArchivesKeepTheirNames) {
  Repo repo = Repo::open(wt_);
  Store store(repo);
  store.create();
  const std::string orphan = "s_dev_2026-11-25T12-00-00_UTC_database.sql.gz";
  write_file_atomic(store.archive_path(orphan), "not a backup of ours", 0600);
  EXPECT_EQ(prune_all_expired(repo).orphans, std::vector<std::string>{orphan});
  EXPECT_FALSE(fs::exists(store.archive_path(orphan)));
  EXPECT_EQ(backup(repo).manifest.archives.at(0).file, "s_dev_2026-11-25T12-00-01_UTC_database.sql.gz");
}

// The archives of a backup killed before its tag (a journal in pending/, as an
// older version wrote it) are removed by the next create; their names stay used.
TEST_F(BackupNames, AnInterruptedBackupsNamesStayUsed) {
  Repo repo = Repo::open(wt_);
  Store store(repo);
  store.create();
  const std::string file = "s_dev_2026-11-25T12-00-00_UTC_database.sql.gz";
  write_file_atomic(store.archive_path(file), "complete but untagged", 0600);
  write_file_atomic(store.pending_dir() / "dev_2026-11-25T12-00-00", "pantheon/backup/dev/2026-11-25T12-00-00\n" + file + "\n",
                    0600);
  Backup b = backup(repo);
  EXPECT_EQ(b.tag, "pantheon/backup/dev/2026-11-25T12-00-01");
  EXPECT_TRUE(fs::is_empty(store.pending_dir()));
}

TEST_F(BackupNames, TheRecordNeverJoinsALineACrashCutShort) {
  Store store(root() / "pantheon");
  store.create();
  auto lock = store.lock();
  EXPECT_TRUE(store.used_names(lock).empty());
  write_file_atomic(store.names_path(), "a\npantheon/backup/dev/2026-11-2", 0600);
  store.record_names(lock, {"b", "c"});
  EXPECT_EQ(read_text_file(store.names_path()), "a\npantheon/backup/dev/2026-11-2\nb\nc\n");
  EXPECT_EQ(store.used_names(lock), (std::set<std::string>{"a", "pantheon/backup/dev/2026-11-2", "b", "c"}));
  EXPECT_EQ(fs::status(store.names_path()).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
}

TEST_F(BackupNames, FreeTimeSkipsRecordedTagsAndLocalArchives) {
  Repo repo = Repo::open(wt_);
  Store store(repo);
  auto lock = store.lock();
  TimePoint want = *parse_iso8601("2026-11-25T12:00:00.250Z");
  EXPECT_EQ(free_backup_time(repo, store, lock, "s", "dev", want), want);
  store.record_names(lock, {"pantheon/backup/dev/2026-11-25T12-00-00"});
  write_file_atomic(store.archive_path("s_dev_2026-11-25T12-00-01_UTC_files.tar.gz"), "x", 0600);
  store.record_names(lock, {"s_dev_2026-11-25T12-00-02_UTC_code.tar.gz"});
  TimePoint got = free_backup_time(repo, store, lock, "s", "dev", want);
  EXPECT_EQ(iso8601(got), iso8601(want + std::chrono::seconds(3)));
  EXPECT_EQ(free_backup_time(repo, store, lock, "s", "test", want), want) << "another env's names are its own";
}

}  // namespace
}  // namespace gp
