#include "config/config.hpp"

#include <gtest/gtest.h>

#include "fixture.hpp"

namespace gp {
namespace {

Config parse(const std::string& text) { return parse_config(text, "/repo/.pantheon.toml"); }

// The message of the gp::Error that parsing `text` throws ("" when it parses).
std::string parse_error(const std::string& text) {
  try {
    parse(text);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Exit::config);
    return e.what();
  }
  return "";
}

TEST(Config, ParsesAFullFile) {
  auto c = parse(R"(
site = "example"
framework = "drupal"
[backup]
keep_for = "30d"
safety_keep_for = "2w"
compression_level = 3
excludes = ["private/tmp"]
[env.dev]
database = "sqlite:sites/default/files/.ht.sqlite"
[env.live]
database = "mysql://wp@127.0.0.1:3307/live"
files = "/srv/live/files"
worktree = "../live"
excludes = ["big"]
[env.test]
database = "postgres://drupal@db.example:5433/test?socket=/run/pg"
files = "../test/files"
[storage.origin]
url = "s3://bucket/prefix"
region = "eu-west-1"
path_style = true
)");
  EXPECT_EQ(c.site, "example");
  EXPECT_EQ(c.framework, Framework::drupal);
  EXPECT_EQ(c.backup.keep_for, std::chrono::seconds(30 * 86400));
  EXPECT_EQ(c.backup.safety_keep_for, std::chrono::seconds(14 * 86400));
  EXPECT_EQ(c.backup.compression_level, 3);
  ASSERT_EQ(c.envs.size(), 3u);
  EXPECT_EQ(c.env("dev").files, "sites/default/files");  // the framework default
  EXPECT_EQ(c.env("dev").database.kind, DbKind::sqlite);
  EXPECT_EQ(c.env("dev").database.path, "sites/default/files/.ht.sqlite");
  const auto& live = c.env("live");
  EXPECT_EQ(live.database.kind, DbKind::mysql);
  EXPECT_EQ(live.database.user, "wp");
  EXPECT_EQ(live.database.host, "127.0.0.1");
  EXPECT_EQ(live.database.port, 3307);
  EXPECT_EQ(live.database.dbname, "live");
  EXPECT_EQ(live.worktree, "../live");
  EXPECT_EQ(c.env("test").database.kind, DbKind::postgres);
  EXPECT_EQ(c.env("test").database.socket, "/run/pg");
  auto ex = c.files_excludes(live);
  EXPECT_NE(std::find(ex.begin(), ex.end(), "styles"), ex.end());
  EXPECT_NE(std::find(ex.begin(), ex.end(), "private/tmp"), ex.end());
  EXPECT_NE(std::find(ex.begin(), ex.end(), "big"), ex.end());
  ASSERT_EQ(c.storage.count("origin"), 1u);
  EXPECT_TRUE(c.storage.at("origin").path_style);
}

TEST(Config, FrameworkDefaults) {
  EXPECT_EQ(parse("site='s'\nframework='wordpress'\n[env.dev]\ndatabase='sqlite:x'\n").env("dev").files, "wp-content/uploads");
  EXPECT_EQ(parse("site='s'\n[env.dev]\ndatabase='sqlite:x'\n").framework, Framework::other);
  EXPECT_EQ(parse("site='s'\n[env.dev]\ndatabase='sqlite:x'\n").env("dev").files, "files");
  auto wp = framework_excludes(Framework::wordpress);
  for (const char* e : {"cache", "upgrade", "backup-db"}) EXPECT_NE(std::find(wp.begin(), wp.end(), e), wp.end()) << e;
  auto d = framework_excludes(Framework::drupal);
  for (const char* e : {"styles", "css", "js", "php", "ctools", "imagecache", "xmlsitemap", "backup_migrate", "less"})
    EXPECT_NE(std::find(d.begin(), d.end(), e), d.end()) << e;
  EXPECT_TRUE(framework_excludes(Framework::other).empty());
}

TEST(Config, MalformedTomlNamesFileLineAndColumn) {
  auto msg = parse_error("site = \"x\"\n[env.dev\ndatabase = 1\n");
  EXPECT_EQ(msg.rfind(".pantheon.toml:2:", 0), 0u) << msg;
}

TEST(Config, UnknownKeysAreReportedWithTheirPlace) {
  auto msg = parse_error("site='s'\n[env.dev]\ndatabase='sqlite:x'\nfiels='typo'\n");
  EXPECT_NE(msg.find(".pantheon.toml:4:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("unknown key 'fiels' in [env.dev]"), std::string::npos) << msg;
  EXPECT_NE(parse_error("site='s'\ncolour='red'\n[env.dev]\ndatabase='sqlite:x'\n").find("unknown key 'colour'"),
            std::string::npos);
  EXPECT_NE(parse_error("site='s'\n[backup]\nkeep='1d'\n[env.dev]\ndatabase='sqlite:x'\n").find("unknown key 'keep' in [backup]"),
            std::string::npos);
}

TEST(Config, InconsistentValuesAreRefused) {
  EXPECT_NE(parse_error("[env.dev]\ndatabase='sqlite:x'\n").find("missing key 'site'"), std::string::npos);
  EXPECT_NE(parse_error("site='s'\n").find("no environments"), std::string::npos);
  EXPECT_NE(parse_error("site='s'\nframework='joomla'\n[env.dev]\ndatabase='sqlite:x'\n").find("framework must be"),
            std::string::npos);
  EXPECT_NE(parse_error("site='s'\n[env.dev]\n").find("missing key 'database'"), std::string::npos);
  EXPECT_NE(parse_error("site='s'\n[env.Dev]\ndatabase='sqlite:x'\n").find("environment name 'Dev'"), std::string::npos);
  EXPECT_NE(parse_error("site='s'\n[env.dev]\ndatabase='oracle://x/y'\n").find("unknown scheme"), std::string::npos);
  EXPECT_NE(parse_error("site='s'\n[backup]\nkeep_for='forever'\n[env.dev]\ndatabase='sqlite:x'\n").find("invalid duration"),
            std::string::npos);
  // Found by fuzzing: a float out of int64_t's range was converted (undefined behaviour).
  EXPECT_NE(parse_error("site='s'\n[backup]\ncompression_level=3e26\n[env.dev]\ndatabase='sqlite:x'\n").find("1 to 9"),
            std::string::npos);
  EXPECT_NE(parse_error("site='s'\n[backup]\ncompression_level=3.0\n[env.dev]\ndatabase='sqlite:x'\n").find("1 to 9"),
            std::string::npos);
  EXPECT_NE(parse_error("site='s'\n[backup]\ncompression_level=12\n[env.dev]\ndatabase='sqlite:x'\n").find("1 to 9"),
            std::string::npos);
  EXPECT_NE(parse_error("site='s'\n[env.dev]\ndatabase='sqlite:a'\nfiles='f'\n[env.test]\ndatabase='sqlite:b'\nfiles='f/'\n")
                .find("share the files directory"),
            std::string::npos);
  EXPECT_NE(parse_error("site='bad site'\n[env.dev]\ndatabase='sqlite:x'\n").find("site name"), std::string::npos);
  EXPECT_NE(parse_error("site='s'\n[env.dev]\ndatabase=3\n").find("must be a string"), std::string::npos);
  EXPECT_NE(parse_error("site='s'\n[storage.origin]\nurl='ftp://x'\n[env.dev]\ndatabase='sqlite:x'\n").find("storage url"),
            std::string::npos);
}

TEST(Config, PasswordsInDatabaseUrlsAreRefused) {
  auto msg = parse_error("site='s'\n[env.dev]\ndatabase='mysql://wp:hunter2@localhost/wp'\n");
  EXPECT_NE(msg.find("contains a password"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("hunter2"), std::string::npos) << "the secret must not be echoed: " << msg;
}

TEST(Config, UnknownEnvironmentListsTheKnownOnes) {
  auto c = parse("site='s'\n[env.dev]\ndatabase='sqlite:x'\n[env.live]\ndatabase='sqlite:y'\nfiles='l'\n");
  try {
    c.env("stage");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Exit::bad_input);
    EXPECT_NE(std::string(e.what()).find("unknown environment 'stage'"), std::string::npos);
    EXPECT_NE(e.hint().find("dev, live"), std::string::npos);
  }
}

TEST(Config, InitialConfigParsesForEveryFramework) {
  for (auto f : {Framework::drupal, Framework::wordpress, Framework::other}) {
    auto text = render_initial_config("site", f, default_files_dir(f, "/nonexistent"), "sqlite:db.sqlite");
    auto c = parse(text);
    EXPECT_EQ(c.framework, f);
    EXPECT_EQ(c.env("dev").database.path, "db.sqlite");
  }
}

class DetectTest : public test::TempDirTest {};

TEST_F(DetectTest, DetectsDrupalAndWordPress) {
  fs::create_directories(root() / "d/web/core/lib");
  write_file_atomic(root() / "d/web/core/lib/Drupal.php", "<?php\n");
  EXPECT_EQ(detect_framework(root() / "d"), Framework::drupal);
  EXPECT_EQ(default_files_dir(Framework::drupal, root() / "d"), "web/sites/default/files");
  fs::create_directories(root() / "w/wp-includes");
  write_file_atomic(root() / "w/wp-includes/version.php", "<?php\n");
  EXPECT_EQ(detect_framework(root() / "w"), Framework::wordpress);
  fs::create_directories(root() / "o");
  EXPECT_EQ(detect_framework(root() / "o"), Framework::other);
  EXPECT_EQ(default_files_dir(Framework::drupal, root() / "o"), "sites/default/files");
}

}  // namespace
}  // namespace gp
