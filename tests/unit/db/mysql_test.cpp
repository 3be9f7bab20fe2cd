// MariaDB dump/load against the real server the CTest fixture starts
// (tests/servers/mariadb.sh). Each test has its own databases and its own user
// with a password, connecting over 127.0.0.1 like a real site. The real `mariadb`
// client (as root, over the socket) is the independent judge.
#include "db_test_util.hpp"
#include "fixture.hpp"

namespace gp::test {
namespace {

int g_counter = 0;

class MysqlDb : public TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    try {
      env_ = server_env("mariadb");
    } catch (const std::exception& e) {
      FAIL() << e.what();
    }
    port_ = env_["MARIADB_PORT"];
    socket_ = env_["MARIADB_SOCKET"];
    ASSERT_FALSE(port_.empty());
    std::string id = std::to_string(::getpid()) + "_" + std::to_string(++g_counter);
    db_ = "gp_wp_" + id;
    user_ = "gpu_" + id;
    admin("CREATE DATABASE `" + db_ + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"
          "CREATE USER '" + user_ + "'@'%' IDENTIFIED BY '" + sql_escape(password_) + "';"
          "GRANT ALL ON `" + db_ + "`.* TO '" + user_ + "'@'%';"
          "GRANT ALL ON `" + db_ + "\\_\\_gp\\_%`.* TO '" + user_ + "'@'%';");
    ::setenv("GIT_PANTHEON_DB_PASSWORD_DEV", password_.c_str(), 1);
  }
  void TearDown() override {
    ::unsetenv("GIT_PANTHEON_DB_PASSWORD_DEV");
    if (!db_.empty()) {
      std::string drops;
      for (auto& d : databases_like(db_ + "%")) drops += "DROP DATABASE `" + d + "`;";
      admin(drops + "DROP USER IF EXISTS '" + user_ + "'@'%';");
    }
    TempDirTest::TearDown();
  }

  static std::string sql_escape(const std::string& s) {
    std::string o;
    for (char c : s) {
      if (c == '\'' || c == '\\') o += '\\';
      o += c;
    }
    return o;
  }

  RunResult admin_run(const std::string& sql, const std::string& db = "") {
    ProcessSpec spec;
    spec.argv = {"mariadb", "--no-defaults", "--default-character-set=utf8mb4", "-uroot", "--socket=" + socket_, "-N", "-B",
                 "-e", sql};
    if (!db.empty()) spec.argv.push_back(db);
    return run_capture(std::move(spec));
  }
  std::string admin(const std::string& sql, const std::string& db = "") {
    auto r = admin_run(sql, db);
    EXPECT_EQ(r.status, 0) << r.err << " in " << sql;
    return r.out;
  }
  // As the site's user over TCP with its password (MYSQL_PWD: this is the test's
  // own client, not the code under test), so that definers are the site's user.
  std::string user_sql(const std::string& sql, const std::string& db) {
    ProcessSpec spec;
    spec.argv = {"mariadb", "--no-defaults", "--default-character-set=utf8mb4", "-u" + user_, "-h127.0.0.1", "-P" + port_,
                 "-N", "-B", "-e", sql, db};
    spec.env = {{"MYSQL_PWD", password_}};
    auto r = run_capture(std::move(spec));
    EXPECT_EQ(r.status, 0) << r.err << " in " << sql;
    return r.out;
  }
  std::vector<std::string> databases_like(const std::string& pattern) {
    std::vector<std::string> out;
    auto text = admin("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '" + pattern + "'");
    size_t pos = 0;
    while (pos < text.size()) {
      auto nl = text.find('\n', pos);
      out.push_back(text.substr(pos, nl - pos));
      pos = nl + 1;
    }
    return out;
  }

  std::string url(const std::string& db, const std::string& port = "") const {
    return "mysql://" + user_ + "@127.0.0.1:" + (port.empty() ? port_ : port) + "/" + db;
  }

  // A WordPress-like schema: utf8mb4 text with emoji, a BLOB, a view, a trigger, a
  // function, a few thousand rows.
  void make_site(const std::string& db) {
    user_sql("SET SESSION max_recursive_iterations = 100000;"
          "CREATE TABLE wp_posts (ID bigint unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY, post_title text NOT NULL,"
          " post_content longtext, post_date datetime NOT NULL, guid varchar(255) NOT NULL DEFAULT '', score double,"
          " KEY post_date (post_date)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;"
          "CREATE TABLE wp_postmeta (meta_id bigint unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY, post_id bigint unsigned,"
          " meta_key varchar(255), meta_value longblob) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;"
          "CREATE TABLE `wp stats` (k varchar(32) PRIMARY KEY, n bigint) DEFAULT CHARSET=utf8mb4;"
          "INSERT INTO `wp stats` VALUES ('posts', 0);"
          "CREATE TRIGGER count_posts AFTER INSERT ON wp_posts FOR EACH ROW UPDATE `wp stats` SET n = n + 1 WHERE k = 'posts';"
          "CREATE VIEW published AS SELECT ID, post_title FROM wp_posts WHERE ID % 2 = 0;"
          "CREATE FUNCTION title_len(t text) RETURNS int DETERMINISTIC RETURN CHAR_LENGTH(t);"
          "INSERT INTO wp_posts (post_title, post_content, post_date, guid, score)"
          " WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 3000)"
          " SELECT CONCAT('Héllo 😀 wörld \\'quoted\\' \"dq\" #', i), CONCAT(REPEAT('Lorem ipsum 🇩🇪 ', i % 20), '\\\\ back\\nslash'),"
          " '2024-01-01 00:00:00' + INTERVAL i MINUTE, CONCAT('https://example.invalid/?p=', i), i / 7 FROM s;"
          "INSERT INTO wp_postmeta (post_id, meta_key, meta_value)"
          " WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 2000)"
          " SELECT i, IF(i % 10 = 0, NULL, '_thumbnail'), IF(i % 3 = 0, NULL, CONCAT(X'00FF0001', RANDOM_BYTES(16), X'00')) FROM s;",
          db);
  }

  // Every table's and view's rows as the real client prints them, plus the triggers
  // and routines: what must be equal after a round trip.
  std::string content(const std::string& db) {
    std::string out;
    for (auto t : {"wp_posts", "wp_postmeta", "`wp stats`", "published"})
      out += std::string("SELECT '") + t + "';SELECT * FROM " + t + " ORDER BY 1;";
    return admin(out +"SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE, ACTION_STATEMENT FROM information_schema.TRIGGERS WHERE "
                 "TRIGGER_SCHEMA = DATABASE() ORDER BY 1;"
                 "SELECT ROUTINE_NAME, ROUTINE_DEFINITION FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE();"
                 "SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1",
                 db);
  }

  std::map<std::string, std::string> env_;
  std::string port_, socket_, db_, user_;
  const std::string password_ = "s3cr\"et #pw\\x' y";
};

TEST_F(MysqlDb, DumpLoadsWithTheRealClientAndPasswordNeverInArgv) {
  make_site(db_);
  FakeClients fake(root() / "fakebin", {"mysqldump", "mysql"});
  auto db = open_db(url(db_), root());
  EXPECT_EQ(db->describe(), "mysql " + user_ + "@127.0.0.1:" + port_ + "/" + db_);
  db->ping();
  auto stats = dump_to(*db, root() / "dump.sql");
  EXPECT_EQ(stats.tables, 4u);  // 3 tables + 1 view
  auto dump = file_bytes(root() / "dump.sql");
  EXPECT_EQ(stats.bytes, dump.size());
  EXPECT_NE(dump.find("-- Dump completed"), std::string::npos);
  EXPECT_EQ(dump.find("\nUSE "), std::string::npos);
  EXPECT_EQ(dump.find("CREATE DATABASE"), std::string::npos);
  EXPECT_NE(dump.find("count_posts"), std::string::npos);
  EXPECT_NE(dump.find("title_len"), std::string::npos);

  // What the children saw: the option file first, 0600, holding the password; the
  // password itself nowhere in argv; the file gone afterwards.
  auto log = fake.log();
  EXPECT_NE(log.find("ARGV mysqldump --defaults-extra-file="), std::string::npos) << log;
  EXPECT_NE(log.find("ARGV mysql --defaults-extra-file="), std::string::npos) << log;
  EXPECT_NE(log.find("MODE 600 1\n"), std::string::npos) << log;
  EXPECT_EQ(log.find("MODE 6") == std::string::npos || log.find("MODE 64") != std::string::npos, false) << log;
  EXPECT_EQ(log.find("s3cr"), std::string::npos) << log;
  EXPECT_EQ(log.find("--password"), std::string::npos) << log;
  EXPECT_TRUE(fs::is_empty(root() / "scratch"));

  // The real client loads it into a fresh database: same content.
  std::string copy = db_ + "_copy";
  admin("CREATE DATABASE `" + copy + "` CHARACTER SET utf8mb4; GRANT ALL ON `" + copy + "`.* TO '" + user_ + "'@'%';");
  auto r = run_with_input({"mariadb", "--no-defaults", "-uroot", "--socket=" + socket_, copy}, root() / "dump.sql");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(content(copy), content(db_));
  EXPECT_NE(content(copy).find("😀"), std::string::npos);
}

TEST_F(MysqlDb, LoadReplacesTheContentWithTablesViewsTriggersAndRoutines) {
  make_site(db_);
  auto src = open_db(url(db_), root());
  dump_to(*src, root() / "dump.sql");

  std::string target = db_ + "_target";
  admin("CREATE DATABASE `" + target + "` CHARACTER SET utf8mb4; GRANT ALL ON `" + target + "`.* TO '" + user_ + "'@'%';"
        "GRANT ALL ON `" + target + "\\_\\_gp\\_%`.* TO '" + user_ + "'@'%';");
  user_sql("CREATE TABLE old_stuff (x int); INSERT INTO old_stuff VALUES (1);"
        "CREATE TABLE wp_posts (ID int PRIMARY KEY, other text);"
        "CREATE VIEW published AS SELECT 1 AS one; CREATE VIEW old_view AS SELECT x FROM old_stuff;"
        "CREATE TRIGGER old_trg BEFORE INSERT ON old_stuff FOR EACH ROW SET NEW.x = 2;"
        "CREATE PROCEDURE old_proc() SELECT 1;",
        target);
  FakeClients fake(root() / "fakebin", {"mysqldump", "mysql"});
  auto dst = open_db(url(target), root());
  load_from(*dst, root() / "dump.sql");
  EXPECT_EQ(content(target), content(db_));
  auto tables = admin("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1", target);
  EXPECT_EQ(tables, "published\nwp stats\nwp_postmeta\nwp_posts\n");
  EXPECT_EQ(admin("SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()", target), "1\n");
  // The trigger works in the target, the function too.
  admin("INSERT INTO wp_posts (post_title, post_date) VALUES ('new', NOW())", target);
  EXPECT_EQ(admin("SELECT n FROM `wp stats`", target), "3001\n");
  EXPECT_EQ(admin("SELECT title_len('😀ab')", target), "3\n");
  EXPECT_EQ(databases_like(target + "\\_\\_gp\\_%").size(), 0u);
  auto log = fake.log();
  EXPECT_EQ(log.find("s3cr"), std::string::npos) << log;
  EXPECT_TRUE(fs::is_empty(root() / "scratch"));
}

// A trial restore loads into a scratch database, dumps it back and drops it: the
// site's database is never touched, the dump back holds the same content (judged by
// loading it into another database and comparing with the real client), a broken
// dump fails with the scratch dropped, and a killed trial's leftover goes.
TEST_F(MysqlDb, TrialRestoresIntoAScratchDatabaseAndDropsIt) {
  make_site(db_);
  auto db = open_db(url(db_), root());
  DumpStats dumped = dump_to(*db, root() / "dump.sql");
  auto before = content(db_);
  admin("CREATE DATABASE `" + db_ + "__gp_trial_stale`");  // a trial killed before it dropped its scratch
  DumpStats st = trial_from(*db, root() / "dump.sql", root() / "back.sql");
  EXPECT_EQ(st.tables, dumped.tables);
  EXPECT_EQ(st.tables, 4u);
  EXPECT_EQ(content(db_), before);
  EXPECT_EQ(databases_like(db_ + "\\_\\_gp\\_%").size(), 0u);
  auto back = file_bytes(root() / "back.sql");
  EXPECT_NE(back.find("-- Dump completed"), std::string::npos);
  std::string judge = db_ + "_judge";
  admin("CREATE DATABASE `" + judge + "` CHARACTER SET utf8mb4; GRANT ALL ON `" + judge + "`.* TO '" + user_ + "'@'%';"
        "GRANT ALL ON `" + judge + "\\_\\_gp\\_%`.* TO '" + user_ + "'@'%';");
  load_from(*open_db(url(judge), root()), root() / "back.sql");
  EXPECT_EQ(content(judge), before);

  auto dump = file_bytes(root() / "dump.sql");
  write_file_atomic(root() / "bad.sql", dump.substr(0, dump.size() / 2));
  auto msg = expect_error(Exit::remote, [&] { trial_from(*db, root() / "bad.sql", root() / "back.sql"); });
  EXPECT_EQ(msg.rfind("cannot restore a trial copy of database '" + db->describe() + "': ", 0), 0u) << msg;
  EXPECT_EQ(content(db_), before);
  EXPECT_EQ(databases_like(db_ + "\\_\\_gp\\_%").size(), 0u);
  EXPECT_TRUE(fs::is_empty(root() / "scratch"));
}

TEST_F(MysqlDb, BrokenDumpsFailAndLeaveTheTargetUnchanged) {
  make_site(db_);
  auto db = open_db(url(db_), root());
  dump_to(*db, root() / "dump.sql");
  auto dump = file_bytes(root() / "dump.sql");
  auto before = content(db_);
  auto trailer = dump.substr(dump.rfind("-- Dump completed"));
  const std::vector<std::pair<std::string, std::string>> bad = {
      {dump.substr(0, dump.find(";\n", dump.size() / 2) + 2), "trailer"},  // cut short at a statement's end
      {dump.substr(0, dump.size() / 2), "ERROR 1064"},                      // cut in the middle of one
      {dump.substr(0, dump.find(";\n", dump.size() / 3) + 2) + "INSERT INTO nope VALUES (1);\n" + trailer,
       "ERROR 1"},  // a failing statement
      {"USE mysql;\nDROP TABLE wp_posts;\n" + trailer, "switches or creates databases"},
  };
  for (auto& [text, why] : bad) {
    write_file_atomic(root() / "bad.sql", text);
    auto msg = expect_error(Exit::remote, [&] { load_from(*db, root() / "bad.sql"); });
    EXPECT_EQ(msg.rfind("cannot load database '" + db->describe() + "': ", 0), 0u) << msg;
    EXPECT_NE(msg.find(why), std::string::npos) << msg;
    EXPECT_EQ(content(db_), before);
    EXPECT_EQ(databases_like(db_ + "\\_\\_gp\\_%").size(), 0u);
  }
}

TEST_F(MysqlDb, WrongPasswordUnreachableServerAndCutDumpAreClearErrors) {
  make_site(db_);
  ::setenv("GIT_PANTHEON_DB_PASSWORD_DEV", "wrong-Secret-123", 1);
  auto db = open_db(url(db_), root());
  for (auto op : {0, 1}) {
    auto msg = expect_error(Exit::remote, [&] {
      if (op == 0) db->ping();
      else dump_to(*db, root() / "d.sql");
    });
    EXPECT_NE(msg.find("Access denied"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("wrong-Secret-123"), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
  ::setenv("GIT_PANTHEON_DB_PASSWORD_DEV", password_.c_str(), 1);
  auto missing = open_db(url(db_ + "_missing"), root());
  auto miss = expect_error(Exit::remote, [&] { missing->ping(); });
  EXPECT_NE(miss.find("database '" + db_ + "_missing'"), std::string::npos) << miss;
  // A closed port on loopback.
  auto closed = open_db(url(db_, "1"), root());
  EXPECT_NE(expect_error(Exit::remote, [&] { closed->ping(); }).find("connect"), std::string::npos);
  // mysqldump that stops early but exits 0: the missing trailer gives it away.
  FakeClients fake(root() / "fakebin", {"mysqldump", "mysql"});
  ::setenv("GP_FAKE_TRUNCATE", "mysqldump", 1);
  auto good = open_db(url(db_), root());
  auto msg = expect_error(Exit::remote, [&] { dump_to(*good, root() / "d.sql"); });
  EXPECT_NE(msg.find("cut short"), std::string::npos) << msg;
  EXPECT_EQ(msg.rfind("cannot dump database '" + good->describe() + "'", 0), 0u) << msg;
}

// The URL decides the transport: localhost with a port is TCP to that port (the
// clients would take "localhost" for their default socket and drop the port), and
// socket= is that socket. The test server listens on 127.0.0.1:$MARIADB_PORT and on
// its own socket; the clients' default socket does not exist here.
TEST_F(MysqlDb, TheUrlDecidesBetweenTcpAndTheSocket) {
  auto tcp = open_db("mysql://" + user_ + "@localhost:" + port_ + "/" + db_, root());
  EXPECT_NO_THROW(tcp->ping());
  auto closed = open_db("mysql://" + user_ + "@localhost:1/" + db_, root());
  auto msg = expect_error(Exit::remote, [&] { closed->ping(); });
  EXPECT_NE(msg.find("server on 'localhost'"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("socket"), std::string::npos) << msg;

  auto sock = open_db("mysql://" + user_ + "@localhost/" + db_ + "?socket=" + socket_, root());
  EXPECT_NO_THROW(sock->ping());
  auto sock_nohost = open_db("mysql://" + user_ + "@/" + db_ + "?socket=" + socket_, root());
  EXPECT_NO_THROW(sock_nohost->ping());
  std::string missing = (root() / "no.sock").string();
  auto nosock = open_db("mysql://" + user_ + "@localhost/" + db_ + "?socket=" + missing, root());
  msg = expect_error(Exit::remote, [&] { nosock->ping(); });
  EXPECT_NE(msg.find(missing), std::string::npos) << msg;
}

}  // namespace
}  // namespace gp::test
