// PostgreSQL dump/load against the real server the CTest fixture starts
// (tests/servers/postgres.sh). Each test has its own role with a password and its own
// databases, and connects over 127.0.0.1 (scram) like a real site. The real `psql`
// (as the superuser, over the socket) is the independent judge.
#include "db_test_util.hpp"
#include "fixture.hpp"

namespace gp::test {
namespace {

int g_counter = 0;

class PostgresDb : public TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    try {
      env_ = server_env("postgres");
    } catch (const std::exception& e) {
      FAIL() << e.what();
    }
    port_ = env_["PG_PORT"];
    ASSERT_FALSE(port_.empty());
    std::string id = std::to_string(::getpid()) + "_" + std::to_string(++g_counter);
    db_ = "gp_site_" + id;
    user_ = "gpu_" + id;
    admin("CREATE ROLE " + user_ + " LOGIN PASSWORD '" + password_ + "'");
    admin("CREATE DATABASE " + db_ + " OWNER " + user_ + " ENCODING 'UTF8'");
    ::setenv("GIT_PANTHEON_DB_PASSWORD_DEV", password_.c_str(), 1);
  }
  void TearDown() override {
    ::unsetenv("GIT_PANTHEON_DB_PASSWORD_DEV");
    for (auto& d : created_) admin("DROP DATABASE IF EXISTS " + d);
    if (!db_.empty()) {
      admin("DROP DATABASE IF EXISTS " + db_);
      admin("DROP ROLE IF EXISTS " + user_);
    }
    TempDirTest::TearDown();
  }

  std::vector<std::string> admin_argv(const std::string& db) {
    return {env_["PG_BIN"] + "/psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", env_["PG_SOCKET_DIR"], "-p", port_,
            "-U", env_["PG_SUPERUSER"], "-d", db};
  }
  std::string admin(const std::string& sql, const std::string& db = "postgres") {
    ProcessSpec spec;
    spec.argv = admin_argv(db);
    spec.argv.insert(spec.argv.end(), {"-c", sql});
    auto r = run_capture(std::move(spec));
    EXPECT_EQ(r.status, 0) << r.err << " in " << sql;
    return r.out;
  }
  // As the site's role over TCP (PGPASSWORD: the test's own client, not the code under test).
  void user_sql(const std::string& sql, const std::string& db) {
    ProcessSpec spec;
    spec.argv = {"psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", port_, "-U", user_, "-d", db, "-c", sql};
    spec.env = {{"PGPASSWORD", password_}};
    auto r = run_capture(std::move(spec));
    EXPECT_EQ(r.status, 0) << r.err << " in " << sql;
  }
  std::string new_db(const std::string& suffix) {
    std::string name = db_ + "_" + suffix;
    admin("CREATE DATABASE " + name + " OWNER " + user_ + " ENCODING 'UTF8'");
    created_.push_back(name);
    return name;
  }
  std::string url(const std::string& db, const std::string& port = "") const {
    return "postgres://" + user_ + "@127.0.0.1:" + (port.empty() ? port_ : port) + "/" + db;
  }

  void make_site(const std::string& db) {
    user_sql(
        "CREATE TABLE wp_posts (id bigserial PRIMARY KEY, title text NOT NULL, content text, created timestamptz,"
        " score double precision);"
        "CREATE INDEX wp_posts_created ON wp_posts (created);"
        "CREATE TABLE wp_meta (id serial PRIMARY KEY, post_id bigint, data bytea);"
        "CREATE TABLE \"wp stats\" (k text PRIMARY KEY, n bigint); INSERT INTO \"wp stats\" VALUES ('posts', 0);"
        "CREATE FUNCTION count_posts() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        " UPDATE public.\"wp stats\" SET n = n + 1 WHERE k = 'posts'; RETURN NEW; END $$;"
        "CREATE TRIGGER count_posts AFTER INSERT ON wp_posts FOR EACH ROW EXECUTE FUNCTION count_posts();"
        "CREATE VIEW published AS SELECT id, title FROM wp_posts WHERE id % 2 = 0;"
        "INSERT INTO wp_posts (title, content, created, score) SELECT 'Héllo 😀 ''q'' \"dq\" #' || i,"
        " repeat('Lorem 🇩🇪 ', i % 20) || E'\\\\ back\\nslash\\ttab', '2024-01-01 00:00:00+00'::timestamptz + i * interval '1 minute',"
        " i / 7.0 FROM generate_series(1, 3000) i;"
        "INSERT INTO wp_meta (post_id, data) SELECT i, CASE WHEN i % 3 = 0 THEN NULL"
        " ELSE '\\x00ff0001'::bytea || decode(md5(i::text), 'hex') || '\\x00'::bytea END FROM generate_series(1, 2000) i;",
        db);
  }

  // Every table's and view's rows, the triggers and the relations, in one psql run.
  std::string content(const std::string& db) {
    ProcessSpec spec;
    spec.argv = admin_argv(db);
    for (auto t : {"wp_posts", "wp_meta", "\"wp stats\"", "published"})
      spec.argv.insert(spec.argv.end(), {"-c", std::string("SELECT * FROM public.") + t + " ORDER BY 1"});
    spec.argv.insert(spec.argv.end(),
                     {"-c", "SELECT tgname, tgrelid::regclass FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1", "-c",
                      "SELECT n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                      " WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'"
                      " ORDER BY 1, 2"});
    auto r = run_capture(std::move(spec));
    EXPECT_EQ(r.status, 0) << r.err;
    return r.out;
  }

  std::map<std::string, std::string> env_;
  std::string port_, db_, user_;
  std::vector<std::string> created_;
  const std::string password_ = "pg:s3cr\\et #pw y";
};

// A trial restore creates a scratch database (the role has CREATEDB), loads and
// dumps it back and drops it; the site's database is never touched, the dump back
// holds the same content, a broken dump fails with the scratch dropped, a killed
// trial's leftover goes, and a role without CREATEDB gets the privilege as its hint.
TEST_F(PostgresDb, TrialRestoresIntoAScratchDatabaseAndDropsIt) {
  make_site(db_);
  auto db = open_db(url(db_), root());
  DumpStats dumped = dump_to(*db, root() / "dump.sql");
  auto before = content(db_);
  auto trials = [&] {
    return admin("SELECT count(*) FROM pg_database WHERE datname LIKE '" + db_ + "\\_\\_gp\\_trial\\_%'");
  };
  auto msg = expect_error(Exit::remote, [&] { trial_from(*db, root() / "dump.sql", root() / "back.sql"); });
  EXPECT_NE(msg.find("permission denied to create database"), std::string::npos) << msg;
  EXPECT_EQ(content(db_), before);

  admin("ALTER ROLE " + user_ + " CREATEDB");
  admin("CREATE DATABASE " + db_ + "__gp_trial_stale OWNER " + user_);  // a trial killed before its drop
  created_.push_back(db_ + "__gp_trial_stale");
  DumpStats st = trial_from(*db, root() / "dump.sql", root() / "back.sql");
  EXPECT_EQ(st.tables, dumped.tables);
  EXPECT_EQ(st.tables, 4u);
  EXPECT_EQ(content(db_), before);
  EXPECT_EQ(trials(), "0\n");
  auto back = file_bytes(root() / "back.sql");
  EXPECT_NE(back.find("-- PostgreSQL database dump complete"), std::string::npos);
  std::string judge = new_db("judge");
  load_from(*open_db(url(judge), root()), root() / "back.sql");
  EXPECT_EQ(content(judge), before);

  auto dump = file_bytes(root() / "dump.sql");
  write_file_atomic(root() / "bad.sql", dump.substr(0, dump.size() / 2));
  msg = expect_error(Exit::remote, [&] { trial_from(*db, root() / "bad.sql", root() / "back.sql"); });
  EXPECT_NE(msg.find("nothing was changed"), std::string::npos) << msg;
  EXPECT_EQ(content(db_), before);
  EXPECT_EQ(trials(), "0\n");
}

TEST_F(PostgresDb, DumpLoadsWithTheRealPsqlAndPasswordNeverInArgv) {
  make_site(db_);
  FakeClients fake(root() / "fakebin", {"pg_dump", "psql"});
  auto db = open_db(url(db_), root());
  EXPECT_EQ(db->describe(), "postgres " + user_ + "@127.0.0.1:" + port_ + "/" + db_);
  db->ping();
  auto stats = dump_to(*db, root() / "dump.sql");
  EXPECT_EQ(stats.tables, 4u);  // 3 tables + 1 view
  auto dump = file_bytes(root() / "dump.sql");
  EXPECT_EQ(stats.bytes, dump.size());
  EXPECT_NE(dump.find("-- PostgreSQL database dump complete"), std::string::npos);
  EXPECT_EQ(dump.find("OWNER TO"), std::string::npos);  // --no-owner
  EXPECT_EQ(dump.find("GRANT "), std::string::npos);     // --no-privileges

  auto log = fake.log();
  EXPECT_NE(log.find("ARGV pg_dump "), std::string::npos) << log;
  EXPECT_NE(log.find("PGPASSFILE 600\n"), std::string::npos) << log;
  EXPECT_EQ(log.find("PGPASSFILE 6") , log.find("PGPASSFILE 600")) << log;
  EXPECT_EQ(log.find("PGPASSWORD set"), std::string::npos) << log;
  EXPECT_EQ(log.find("s3cr"), std::string::npos) << log;
  EXPECT_TRUE(fs::is_empty(root() / "scratch"));

  auto copy = new_db("copy");
  auto args = admin_argv(copy);
  args.insert(args.end(), {"-f", "-"});
  auto r = run_with_input(args, root() / "dump.sql");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(content(copy), content(db_));
  EXPECT_NE(content(copy).find("😀"), std::string::npos);
}

TEST_F(PostgresDb, LoadReplacesTheWholeContentInOneTransaction) {
  make_site(db_);
  auto src = open_db(url(db_), root());
  dump_to(*src, root() / "dump.sql");
  auto target = new_db("target");
  user_sql("CREATE TABLE old_stuff (x int); INSERT INTO old_stuff VALUES (1); CREATE TABLE wp_posts (id int);"
           "CREATE SCHEMA extra; CREATE TABLE extra.t (y int); CREATE VIEW published AS SELECT 1 AS one;",
           target);
  FakeClients fake(root() / "fakebin", {"pg_dump", "psql"});
  auto dst = open_db(url(target), root());
  load_from(*dst, root() / "dump.sql");
  EXPECT_EQ(content(target), content(db_));
  EXPECT_EQ(admin("SELECT count(*) FROM pg_namespace WHERE nspname = 'extra'", target), "0\n");
  // The trigger works in the target; a second round trip works too (public recreated as PostgreSQL makes it).
  user_sql("INSERT INTO wp_posts (title) VALUES ('new')", target);
  EXPECT_EQ(admin("SELECT n FROM public.\"wp stats\"", target), "3001\n");
  dump_to(*dst, root() / "again.sql");
  load_from(*dst, root() / "again.sql");
  EXPECT_EQ(admin("SELECT count(*) FROM public.wp_posts", target), "3001\n");
  EXPECT_EQ(fake.log().find("s3cr"), std::string::npos);
}

TEST_F(PostgresDb, BrokenDumpsFailAndLeaveTheTargetUnchanged) {
  make_site(db_);
  auto db = open_db(url(db_), root());
  dump_to(*db, root() / "dump.sql");
  auto dump = file_bytes(root() / "dump.sql");
  auto before = content(db_);
  auto trailer = dump.substr(dump.rfind("--\n-- PostgreSQL database dump complete"));
  size_t copy_at = dump.find("COPY public.wp_posts");
  const std::vector<std::pair<std::string, std::string>> bad = {
      {dump.substr(0, copy_at), "trailer"},                 // cut short between statements
      {dump.substr(0, dump.size() / 2), "ERROR"},           // cut in the middle of COPY data
      {dump.substr(0, copy_at) + "INSERT INTO nope VALUES (1);\n" + trailer, "ERROR"},  // a failing statement
  };
  for (auto& [text, why] : bad) {
    write_file_atomic(root() / "bad.sql", text);
    auto msg = expect_error(Exit::remote, [&] { load_from(*db, root() / "bad.sql"); });
    EXPECT_EQ(msg.rfind("cannot load database '" + db->describe() + "': ", 0), 0u) << msg;
    EXPECT_NE(msg.find(why), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    EXPECT_EQ(content(db_), before);
  }
}

TEST_F(PostgresDb, WrongPasswordUnreachableServerAndCutDumpAreClearErrors) {
  ::setenv("GIT_PANTHEON_DB_PASSWORD_DEV", "wrong-Secret-123", 1);
  auto db = open_db(url(db_), root());
  for (auto op : {0, 1}) {
    auto msg = expect_error(Exit::remote, [&] {
      if (op == 0) db->ping();
      else dump_to(*db, root() / "d.sql");
    });
    EXPECT_NE(msg.find("password authentication failed"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("wrong-Secret-123"), std::string::npos) << msg;
  }
  ::setenv("GIT_PANTHEON_DB_PASSWORD_DEV", password_.c_str(), 1);
  auto missing = open_db(url(db_ + "_missing"), root());
  auto miss = expect_error(Exit::remote, [&] { missing->ping(); });
  EXPECT_NE(miss.find("does not exist"), std::string::npos) << miss;
  auto closed = open_db(url(db_, "1"), root());
  auto cl = expect_error(Exit::remote, [&] { closed->ping(); });
  EXPECT_NE(cl.find("Connection refused"), std::string::npos) << cl;
  make_site(db_);
  FakeClients fake(root() / "fakebin", {"pg_dump", "psql"});
  ::setenv("GP_FAKE_TRUNCATE", "pg_dump", 1);
  auto good = open_db(url(db_), root());
  auto msg = expect_error(Exit::remote, [&] { dump_to(*good, root() / "d.sql"); });
  EXPECT_NE(msg.find("cut short"), std::string::npos) << msg;
}

}  // namespace
}  // namespace gp::test
