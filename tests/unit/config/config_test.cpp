#include "config/config.hpp"

#include <sstream>

#include <gtest/gtest.h>

#include "fixture.hpp"

namespace gp {
namespace {

Config parse(const std::string& text) { return parse_config(text, "/repo/.pantheon.toml"); }

// The error of using environment `env` of a file that loads: an environment whose
// database URL is malformed fails alone (EnvConfig::broken), the others work.
std::string env_error(const std::string& text, const std::string& env) {
  Config c = parse(text);
  try {
    c.env(env);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Exit::config);
    return e.what();
  }
  return "";
}

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
database = "postgres://drupal@localhost:5433/test?socket=/run/pg"
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
  EXPECT_EQ(c.env("dev").database->kind, DbKind::sqlite);
  EXPECT_EQ(c.env("dev").database->path, "sites/default/files/.ht.sqlite");
  const auto& live = c.env("live");
  EXPECT_EQ(live.database->kind, DbKind::mysql);
  EXPECT_EQ(live.database->user, "wp");
  EXPECT_EQ(live.database->host, "127.0.0.1");
  EXPECT_EQ(live.database->port, 3307);
  EXPECT_EQ(live.database->dbname, "live");
  EXPECT_EQ(live.worktree, "../live");
  EXPECT_EQ(c.env("test").database->kind, DbKind::postgres);
  EXPECT_EQ(c.env("test").database->socket, "/run/pg");
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

TEST(Config, ADatabaseUrlErrorNamesTheEnvironment) {
  const std::string text = "site='s'\n[env.dev]\ndatabase='sqlite:x'\n[env.live]\ndatabase='mysql://wp@127.0.0.1/wp?socket=/nonexistent'\n";
  EXPECT_EQ(parse(text).env("dev").database->path, "x");
  EXPECT_FALSE(parse(text).envs.at("live").code_only());
  auto msg = env_error(text, "live");
  EXPECT_EQ(msg.rfind(".pantheon.toml:5:", 0), 0u) << msg;
  EXPECT_NE(msg.find("[env.live]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("invalid database URL 'mysql://wp@127.0.0.1/wp?socket=/nonexistent'"), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
}

TEST(Config, InconsistentValuesAreRefused) {
  EXPECT_NE(parse_error("[env.dev]\ndatabase='sqlite:x'\n").find("missing key 'site'"), std::string::npos);
  EXPECT_NE(parse_error("site='s'\n").find("no environments"), std::string::npos);
  EXPECT_NE(parse_error("site='s'\nframework='joomla'\n[env.dev]\ndatabase='sqlite:x'\n").find("framework must be"),
            std::string::npos);
  EXPECT_NE(parse_error("site='s'\n[env.dev]\nfiles=''\n").find("'files' in [env.dev] is empty"), std::string::npos);
  EXPECT_NE(parse_error("site='s'\n[env.Dev]\ndatabase='sqlite:x'\n").find("environment name 'Dev'"), std::string::npos);
  EXPECT_NE(env_error("site='s'\n[env.dev]\ndatabase='oracle://x/y'\n", "dev").find("unknown scheme"), std::string::npos);
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
  auto msg = env_error("site='s'\n[env.dev]\ndatabase='mysql://wp:hunter2@localhost/wp'\n", "dev");
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
    EXPECT_EQ(c.env("dev").database->path, "db.sqlite");
    EXPECT_EQ(c.env("dev").files, default_files_dir(f, "/nonexistent"));
    // Pantheon's three: test and live as code environments.
    EXPECT_EQ(c.envs.size(), 3u);
    EXPECT_TRUE(c.env("test").code_only());
    EXPECT_TRUE(c.env("live").code_only());
  }
}

// Uncommenting the lines init writes under [env.test] and [env.live] gives
// each a database, files directory and worktree of its own.
TEST(Config, InitialConfigCommentedLinesParseWhenUncommented) {
  for (const char* files : {"sites/default/files", "/srv/dev/files"}) {
    auto text = render_initial_config("shop", Framework::drupal, files, "sqlite:db.sqlite");
    std::string out;
    bool in_env = false;
    for (size_t pos = 0; pos < text.size();) {
      size_t nl = text.find('\n', pos);
      std::string line = text.substr(pos, nl - pos);
      pos = nl + 1;
      if (line.rfind("[", 0) == 0 || line.empty()) in_env = line == "[env.test]" || line == "[env.live]";
      if (in_env && line.rfind("# ", 0) == 0) line = line.substr(2);
      out += line + "\n";
    }
    auto c = parse(out);
    for (const char* env : {"test", "live"}) {
      const EnvConfig& e = c.env(env);
      ASSERT_TRUE(e.database) << out;
      EXPECT_EQ(e.database->kind, DbKind::mysql);
      EXPECT_EQ(e.database->dbname, env);
      ASSERT_TRUE(e.files);
      EXPECT_NE(*e.files, files);
      EXPECT_EQ(e.worktree, std::string("../shop-") + env);
    }
  }
}

TEST(Config, CodeEnvironmentsHaveNoDatabaseAndNoFiles) {
  auto c = parse(
      "site='s'\nframework='drupal'\n[env.dev]\ndatabase='sqlite:x'\n[env.test]\n[env.live]\nworktree='../live'\n"
      "[env.uploads]\nfiles='../uploads'\n");
  // A database without a files key keeps the framework's directory, as before.
  EXPECT_EQ(c.env("dev").files, "sites/default/files");
  EXPECT_FALSE(c.env("dev").code_only());
  for (const char* name : {"test", "live"}) {
    const EnvConfig& e = c.env(name);
    EXPECT_TRUE(e.code_only());
    EXPECT_FALSE(e.database.has_value());
    EXPECT_FALSE(e.files.has_value());
  }
  EXPECT_EQ(c.env("live").worktree, "../live");
  // Files without a database: no database, and not a code environment.
  EXPECT_FALSE(c.env("uploads").database.has_value());
  EXPECT_EQ(c.env("uploads").files, "../uploads");
  EXPECT_FALSE(c.env("uploads").code_only());
}

TEST(Config, MissingDatabaseOrFilesIsOneLineNamingTheFix) {
  auto c = parse("site='s'\n[env.dev]\ndatabase='sqlite:x'\n[env.test]\n");
  EXPECT_EQ(c.env("dev").require_database().path, "x");
  EXPECT_EQ(c.env("dev").require_files(), "files");
  try {
    c.env("test").require_database();
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Exit::bad_input);
    EXPECT_STREQ(e.what(),
                 "environment 'test' has no database (add database = ... under [env.test] in .pantheon.toml)");
  }
  try {
    c.env("test").require_files();
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Exit::bad_input);
    EXPECT_STREQ(e.what(),
                 "environment 'test' has no files directory (add files = ... under [env.test] in .pantheon.toml)");
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

// ---- [hooks.post-commit] ------------------------------------------------------

const char* kBase = "site = \"s\"\n[env.dev]\ndatabase = \"sqlite:db.sqlite\"\nfiles = \"f\"\n[env.live]\ndatabase = \"sqlite:live.sqlite\"\nfiles = \"lf\"\n";

TEST(Config, PostCommitOfAnElementTheEnvironmentLacksIsRefused) {
  const std::string base = std::string(kBase) + "[env.test]\n[env.up]\nfiles = \"up\"\n";
  auto msg = parse_error(base + "[hooks.post-commit]\nbranches = [\"main\"]\nenv = \"test\"\n");
  EXPECT_NE(msg.find("(\"db\" by default), but environment 'test' has no database"), std::string::npos) << msg;
  msg = parse_error(base + "[hooks.post-commit]\nbranches = [\"main\"]\nenv = \"up\"\nelements = [\"db\"]\n");
  EXPECT_NE(msg.find("environment 'up' has no database"), std::string::npos) << msg;
  msg = parse_error(base + "[hooks.post-commit]\nbranches = [\"main\"]\nenv = \"test\"\nelements = [\"files\"]\n");
  EXPECT_NE(msg.find("environment 'test' has no files directory"), std::string::npos) << msg;
  EXPECT_TRUE(
      parse(base + "[hooks.post-commit]\nbranches = [\"main\"]\nenv = \"up\"\nelements = [\"files\"]\n").post_commit);
}

TEST(Config, PostCommitIsOffByDefault) {
  EXPECT_FALSE(parse(kBase).post_commit.has_value());
}

TEST(Config, ParsesPostCommitHook) {
  auto c = parse(std::string(kBase) +
                 "[hooks.post-commit]\nbranches = [\"main\", \"feature/*\"]\nenv = \"live\"\nelements = [\"db\", \"files\"]\nkeep = 3\n");
  ASSERT_TRUE(c.post_commit.has_value());
  EXPECT_EQ(c.post_commit->branches, (std::vector<std::string>{"main", "feature/*"}));
  EXPECT_EQ(c.post_commit->env, "live");
  EXPECT_TRUE(c.post_commit->database);
  EXPECT_TRUE(c.post_commit->files);
  EXPECT_EQ(c.post_commit->keep, 3);
  // Defaults: dev, database only, keep 5.
  auto d = parse(std::string(kBase) + "[hooks.post-commit]\nbranches = [\"main\"]\n");
  EXPECT_EQ(d.post_commit->env, "dev");
  EXPECT_TRUE(d.post_commit->database);
  EXPECT_FALSE(d.post_commit->files);
  EXPECT_EQ(d.post_commit->keep, 5);
  auto f = parse(std::string(kBase) + "[hooks.post-commit]\nbranches = [\"main\"]\nelements = [\"files\"]\n");
  EXPECT_FALSE(f.post_commit->database);
  EXPECT_TRUE(f.post_commit->files);
}

TEST(Config, RefusesBadPostCommitHook) {
  std::string b = std::string(kBase) + "[hooks.post-commit]\n";
  EXPECT_EQ(parse_error(b + "branches = [\"main\"]\nbranch = \"x\"\n"),
            ".pantheon.toml:10:1: unknown key 'branch' in [hooks.post-commit] (known keys: branches, elements, env, keep)");
  EXPECT_NE(parse_error(b + "env = \"dev\"\n").find("missing key 'branches' in [hooks.post-commit]"), std::string::npos);
  EXPECT_NE(parse_error(b + "branches = []\n").find("'branches' in [hooks.post-commit] is empty"), std::string::npos);
  EXPECT_NE(parse_error(b + "branches = \"main\"\n").find("must be an array of strings"), std::string::npos);
  EXPECT_EQ(parse_error(b + "branches = [\"main\"]\nenv = \"Live\"\n"),
            ".pantheon.toml:10:7: environment name 'Live' in [hooks.post-commit] must be 1-32 lowercase letters, "
            "digits or '-', starting with a letter or digit");
  EXPECT_EQ(parse_error(b + "branches = [\"main\"]\nenv = \"test\"\n"),
            ".pantheon.toml:10:7: 'env' in [hooks.post-commit] names environment 'test', which is not defined "
            "(known environments: dev, live)");
  EXPECT_NE(parse_error(b + "branches = [\"main\"]\nelements = [\"code\"]\n").find("unknown element 'code'"), std::string::npos);
  EXPECT_NE(parse_error(b + "branches = [\"main\"]\nelements = []\n").find("'elements' in [hooks.post-commit] is empty"),
            std::string::npos);
  EXPECT_NE(parse_error(b + "branches = [\"main\"]\nkeep = 0\n").find("'keep' in [hooks.post-commit] must be an integer from 1 to 100"),
            std::string::npos);
  EXPECT_NE(parse_error(b + "branches = [\"main\"]\nkeep = \"3\"\n").find("'keep'"), std::string::npos);
  EXPECT_NE(parse_error(std::string(kBase) + "[hooks.pre-commit]\nx = 1\n").find("unknown key 'pre-commit' in [hooks]"),
            std::string::npos);
  EXPECT_NE(parse_error("hooks = 3\n" + std::string(kBase)).find("'hooks' must be a table"), std::string::npos);
}

TEST(Config, BranchPatterns) {
  EXPECT_TRUE(branch_pattern_matches("main", "main"));
  EXPECT_FALSE(branch_pattern_matches("main", "main2"));
  EXPECT_FALSE(branch_pattern_matches("main", "feature/main"));
  EXPECT_TRUE(branch_pattern_matches("feature/*", "feature/login"));
  EXPECT_TRUE(branch_pattern_matches("feature/*", "feature/a/b"));  // as `git branch --list`
  EXPECT_FALSE(branch_pattern_matches("feature/*", "features/x"));
  EXPECT_FALSE(branch_pattern_matches("feature/*", "feature"));
  EXPECT_TRUE(branch_pattern_matches("release-?", "release-1"));
  EXPECT_FALSE(branch_pattern_matches("release-?", "release-10"));
  EXPECT_TRUE(branch_pattern_matches("*", "anything/at/all"));
  EXPECT_FALSE(branch_pattern_matches("", "main"));
  PostCommitConfig pc;
  pc.branches = {"main", "hotfix/*"};
  EXPECT_TRUE(pc.matches("main"));
  EXPECT_TRUE(pc.matches("hotfix/x"));
  EXPECT_FALSE(pc.matches("dev"));
}


TEST(Config, EnvironmentUrls) {
  auto c = parse(R"(
site = "s"
[env.dev]
database = "sqlite:dev.sqlite"
[env.test]
database = "sqlite:test.sqlite"
files = "t"
url = "HTTPS://test.example.com/"
[env.live]
database = "sqlite:live.sqlite"
files = "l"
urls = ["https://www.example.com", "http://example.com:8080/blog/"]
)");
  EXPECT_TRUE(c.env("dev").urls.empty());
  EXPECT_EQ(c.env("test").urls, std::vector<std::string>{"https://test.example.com"});
  EXPECT_EQ(c.env("live").urls, (std::vector<std::string>{"https://www.example.com", "http://example.com:8080/blog"}));
  const std::string b = "site = \"s\"\n[env.dev]\ndatabase = \"sqlite:d\"\n";
  EXPECT_NE(parse_error(b + "url = \"https://a\"\nurls = [\"https://b\"]\n").find("give 'url' or 'urls' in [env.dev], not both"),
            std::string::npos);
  EXPECT_NE(parse_error(b + "url = \"www.example.com\"\n").find("invalid URL 'www.example.com' in [env.dev]: it must start with http:// or https://"),
            std::string::npos);
  EXPECT_NE(parse_error(b + "url = \"ftp://a.example\"\n").find("the scheme must be http:// or https://"), std::string::npos);
  EXPECT_NE(parse_error(b + "url = \"https://a.example/?q=1\"\n").find("query"), std::string::npos);
  EXPECT_NE(parse_error(b + "url = \"https://\"\n").find("names no host"), std::string::npos);
  EXPECT_NE(parse_error(b + "url = 3\n").find("'url' in [env.dev] must be a string"), std::string::npos);
  EXPECT_NE(parse_error(b + "urls = []\n").find("'urls' in [env.dev] is empty"), std::string::npos);
  EXPECT_NE(parse_error(b + "urls = [\"https://a.example\", \"https://a.example/\"]\n").find("listed twice"), std::string::npos);
  EXPECT_NE(parse_error(b + "urls = [\"https://a.example\", \"nope\"]\n").find(":4:30:"), std::string::npos);  // the element
}

TEST(Config, AfterSteps) {
  auto c = parse(R"(
site = "s"
[env.dev]
database = "sqlite:d"
[env.test]
worktree = "../test"
[env.test.after]
deploy = [["drush", "updb", "-y"], ["drush", "cr"]]
restore = [["drush", "cr"]]
clone-content = []
import = [["./scripts/after import.sh", "a b", ""]]
)");
  EXPECT_TRUE(c.env("dev").after.empty());
  EXPECT_TRUE(c.env("dev").after_steps(AfterEvent::deploy).empty());
  const EnvConfig& t = c.env("test");
  EXPECT_EQ(t.after_steps(AfterEvent::deploy),
            (AfterSteps{{"drush", "updb", "-y"}, {"drush", "cr"}}));
  EXPECT_EQ(t.after_steps(AfterEvent::restore), (AfterSteps{{"drush", "cr"}}));
  EXPECT_TRUE(t.after_steps(AfterEvent::clone_content).empty());
  EXPECT_EQ(t.after_steps(AfterEvent::import), (AfterSteps{{"./scripts/after import.sh", "a b", ""}}));
  EXPECT_EQ(to_string(AfterEvent::clone_content), "clone-content");

  const std::string b = "site = \"s\"\n[env.dev]\ndatabase = \"sqlite:d\"\n[env.dev.after]\n";
  // a shell string, a flat list, an empty step, a non-string, an empty program, an unknown event
  EXPECT_NE(parse_error(b + "deploy = \"drush cr\"\n").find("'deploy' in [env.dev.after] must be a list of steps"),
            std::string::npos);
  EXPECT_NE(parse_error(b + "deploy = [\"drush\", \"cr\"]\n").find(":5:11: 'deploy' in [env.dev.after] must be a list"),
            std::string::npos);
  EXPECT_NE(parse_error(b + "restore = [[\"drush\"], []]\n").find(":5:23: a step in 'restore' of [env.dev.after] is empty"),
            std::string::npos);
  EXPECT_NE(parse_error(b + "import = [[\"drush\", 3]]\n").find(":5:21: 'import' in [env.dev.after] must be"),
            std::string::npos);
  EXPECT_NE(parse_error(b + "import = [[\"\", \"x\"]]\n").find("has an empty program name"), std::string::npos);
  EXPECT_NE(parse_error(b + "clone_content = [[\"drush\", \"cr\"]]\n")
                .find("unknown key 'clone_content' in [env.dev.after] (known keys: clone-content, deploy, import, restore)"),
            std::string::npos);
  EXPECT_NE(parse_error("site = \"s\"\n[env.dev]\ndatabase = \"sqlite:d\"\nafter = 3\n").find("'env.dev.after' must be a table"),
            std::string::npos);
}

// The commented example `init` writes parses once uncommented, with the framework's steps.
TEST(Config, InitAfterStepsCommentParsesUncommented) {
  for (Framework f : {Framework::drupal, Framework::wordpress, Framework::other}) {
    auto text = render_initial_config("site", f, default_files_dir(f, "/nonexistent"), "sqlite:db.sqlite");
    EXPECT_NO_THROW(parse(text));
    const std::string comment = after_steps_comment(f);
    ASSERT_NE(text.find(comment), std::string::npos);
    std::string uncommented;
    bool in = false;
    std::istringstream lines(comment);
    for (std::string line; std::getline(lines, line);) {
      if (line == "# [env.test.after]") in = true;
      if (in && line.rfind("# ", 0) == 0) uncommented += line.substr(2) + "\n";
    }
    Config c = parse(text + uncommented);
    const auto& deploy = c.env("test").after_steps(AfterEvent::deploy);
    ASSERT_EQ(deploy.size(), 2u) << to_string(f);
    if (f == Framework::drupal) {
      EXPECT_EQ(deploy[1], (std::vector<std::string>{"drush", "cr"}));
    }
    if (f == Framework::wordpress) {
      EXPECT_EQ(deploy[1], (std::vector<std::string>{"wp", "cache", "flush"}));
    }
    EXPECT_EQ(c.env("test").after_steps(AfterEvent::import).size(), 2u);
  }
}

TEST(Config, Sanitize) {
  auto c = parse("site = \"s\"\n[env.dev]\ndatabase = \"sqlite:d\"\nsanitize = true\nsanitize_sql = [\"DELETE FROM cache\"]\n"
                 "[env.live]\nsanitize = false\n");
  EXPECT_TRUE(c.env("dev").sanitize);
  EXPECT_EQ(c.env("dev").sanitize_sql, std::vector<std::string>{"DELETE FROM cache"});
  EXPECT_FALSE(c.env("live").sanitize);
  EXPECT_NE(parse_error("site = \"s\"\n[env.live]\nsanitize = true\n").find(":3:12: live is never sanitised"), std::string::npos);
  EXPECT_NE(parse_error("site = \"s\"\n[env.live]\nsanitize_sql = []\n").find("live is never sanitised"), std::string::npos);
  EXPECT_NE(parse_error("site = \"s\"\n[env.dev]\nsanitize = \"yes\"\n").find("'sanitize' in [env.dev] must be true or false"),
            std::string::npos);
}

}  // namespace
}  // namespace gp
