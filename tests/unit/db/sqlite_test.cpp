// SQLite dump/load: the dump is judged by the sqlite3 CLI (an independent loader),
// and contents are compared value by value, type and bytes included.
#include <sqlite3.h>
#include <sys/stat.h>

#include <chrono>
#include <cmath>
#include <cstring>

#include "db_test_util.hpp"
#include "fixture.hpp"
#include "util/sqlite_handles.hpp"

namespace gp::test {
namespace {

Sqlite open_sqlite(const fs::path& p) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(p.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  Sqlite db(raw);
  if (rc != SQLITE_OK) throw std::runtime_error("open " + p.string());
  sqlite3_busy_timeout(db.get(), 10000);
  return db;
}

void exec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  std::string msg = err ? err : "";
  sqlite3_free(err);
  ASSERT_EQ(rc, SQLITE_OK) << msg << " in " << sql;
}

// One value: its type and exact bytes (REALs by their bit pattern).
std::string value_key(sqlite3_stmt* st, int i) {
  int t = sqlite3_column_type(st, i);
  std::string k(1, static_cast<char>('0' + t));
  if (t == SQLITE_FLOAT) {
    double d = sqlite3_column_double(st, i);
    k.append(reinterpret_cast<const char*>(&d), sizeof d);
  } else if (t == SQLITE_INTEGER) {
    k += std::to_string(sqlite3_column_int64(st, i));
  } else if (t != SQLITE_NULL) {
    const void* p = t == SQLITE_BLOB ? sqlite3_column_blob(st, i) : static_cast<const void*>(sqlite3_column_text(st, i));
    k.append(static_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(st, i)));
  }
  return k;
}

std::vector<std::string> rows(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* raw = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr), SQLITE_OK) << sqlite3_errmsg(db) << ": " << sql;
  SqliteStmt st(raw);
  std::vector<std::string> out;
  if (!st) return out;
  while (sqlite3_step(st.get()) == SQLITE_ROW) {
    std::string r;
    for (int i = 0; i < sqlite3_column_count(st.get()); ++i) r += value_key(st.get(), i) + '\x1f';
    out.push_back(r);
  }
  return out;
}

// Schema (without root pages) and every table's rows in storage order.
void expect_same_content(const fs::path& a, const fs::path& b) {
  auto da = open_sqlite(a), db = open_sqlite(b);
  const std::string schema = "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY type, name";
  auto sa = rows(da.get(), schema), sb = rows(db.get(), schema);
  ASSERT_EQ(sa, sb);
  size_t tables = 0;
  for (auto& name : rows(da.get(), "SELECT name FROM sqlite_schema WHERE type='table' AND name NOT LIKE 'sqlite_%'")) {
    std::string n = name.substr(1, name.size() - 2);
    std::string q = "\"";
    for (char c : n) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    q += "\"";
    auto ra = rows(da.get(), "SELECT * FROM " + q), rb = rows(db.get(), "SELECT * FROM " + q);
    EXPECT_EQ(ra.size(), rb.size()) << n;
    for (size_t i = 0; i < std::min(ra.size(), rb.size()); ++i) {
      if (ra[i] == rb[i]) continue;
      std::string ha, hb;
      for (unsigned char c : ra[i]) ha += "0123456789abcdef"[c >> 4], ha += "0123456789abcdef"[c & 15];
      for (unsigned char c : rb[i]) hb += "0123456789abcdef"[c >> 4], hb += "0123456789abcdef"[c & 15];
      ADD_FAILURE() << "table " << n << " row " << i << " differs:\n" << ha << "\n" << hb;
      break;
    }
    ++tables;
  }
  EXPECT_GE(tables, 1u);
}

class SqliteDb : public TempDirTest {
 protected:
  // A database with awkward content: 3 tables (one needing quotes), an index, a
  // view, a trigger, quotes, odd UTF-8, BLOBs with NUL bytes, REAL edge values.
  fs::path make_awkward(const std::string& name) {
    fs::path p = root() / name;
    auto db = open_sqlite(p);
    exec(db.get(),
         "CREATE TABLE posts(id INTEGER PRIMARY KEY, title TEXT, body TEXT, score REAL, data BLOB, n);"
         "CREATE TABLE \"my table\"(\"a b\" TEXT, \"c\"\"d\" INTEGER);"
         "CREATE TABLE log(post_id INTEGER, at TEXT);"
         "CREATE INDEX posts_title ON posts(title);"
         "CREATE VIEW \"recent posts\" AS SELECT id, title FROM posts WHERE id > 10;"
         "CREATE TRIGGER posts_log AFTER INSERT ON posts BEGIN INSERT INTO log VALUES(new.id, 'x;y'); END;");
    exec(db.get(), "BEGIN");
    sqlite3_stmt* raw = nullptr;
    sqlite3_prepare_v2(db.get(), "INSERT INTO posts(title, body, score, data, n) VALUES(?,?,?,?,?)", -1, &raw, nullptr);
    SqliteStmt st(raw);
    const double reals[] = {0.1, 1e308, -1e-308, 5e-324, 1.0, -0.0, 3.141592653589793, 1e15, 123456789012345680.0,
                            HUGE_VAL, -HUGE_VAL};
    const std::string texts[] = {"it's \"quoted\"; DROP TABLE x; --", "emoji 😀🇩🇪 ünïcödé 中文 \xe2\x80\xae rtl",
                                 "line\nbreak\r\n\ttab", "", "'", "back\\slash"};
    for (int i = 0; i < 3000; ++i) {
      std::string t = texts[i % 6] + " #" + std::to_string(i);
      sqlite3_bind_text(st.get(), 1, t.c_str(), -1, SQLITE_TRANSIENT);
      if (i % 7 == 0) sqlite3_bind_null(st.get(), 2);
      else sqlite3_bind_text(st.get(), 2, texts[(i + 1) % 6].c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_double(st.get(), 3, reals[i % 11] * (i % 22 < 11 ? 1 : 1));
      std::string blob("\0\x01\xff\0ab'\0", 8);
      blob += std::to_string(i);
      if (i % 5 == 0) sqlite3_bind_zeroblob(st.get(), 4, 0);
      else sqlite3_bind_blob(st.get(), 4, blob.data(), static_cast<int>(blob.size()), SQLITE_TRANSIENT);
      if (i % 3 == 0) sqlite3_bind_int64(st.get(), 5, INT64_MIN + i);
      else if (i % 3 == 1) sqlite3_bind_double(st.get(), 5, 2.0);  // a REAL that looks like an integer
      else sqlite3_bind_text(st.get(), 5, "5", -1, SQLITE_STATIC);
      EXPECT_EQ(sqlite3_step(st.get()), SQLITE_DONE);
      sqlite3_reset(st.get());
    }
    exec(db.get(), "INSERT INTO \"my table\" VALUES('x''y', 1), (NULL, NULL), ('😀', -9223372036854775808);");
    exec(db.get(), "COMMIT");
    return p;
  }
};

TEST_F(SqliteDb, DumpLoadsWithTheCliAndKeepsEveryValue) {
  auto src = make_awkward("site.sqlite");
  auto db = open_db("sqlite:site.sqlite", root());
  EXPECT_EQ(db->describe(), "sqlite site.sqlite");
  db->ping();
  auto stats = dump_to(*db, root() / "dump.sql");
  EXPECT_EQ(stats.tables, 4u);  // 3 tables + 1 view
  EXPECT_EQ(stats.bytes, fs::file_size(root() / "dump.sql"));
  auto dump = file_bytes(root() / "dump.sql");
  EXPECT_EQ(dump.rfind("PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n", 0), 0u);
  EXPECT_NE(dump.find("X'0001FF00616227"), std::string::npos);
  EXPECT_EQ(dump.substr(dump.size() - 8), "COMMIT;\n");
  DumpTrailer trailer(DbKind::sqlite);  // what restore checks a dump's end with
  trailer.add(dump.data(), dump.size());
  EXPECT_TRUE(trailer.complete());

  auto r = run_with_input({"sqlite3", "-bail", (root() / "cli.sqlite").string()}, root() / "dump.sql");
  ASSERT_EQ(r.status, 0) << r.err;
  expect_same_content(src, root() / "cli.sqlite");
  // The trigger came across too: it fires in the copy.
  auto copy = open_sqlite(root() / "cli.sqlite");
  exec(copy.get(), "INSERT INTO posts(title) VALUES('new')");
    EXPECT_EQ(rows(copy.get(), "SELECT * FROM log").size(), 3001u);
}

TEST_F(SqliteDb, LoadReplacesContentAndKeepsWalMode) {
  auto src = make_awkward("a.sqlite");
  auto a = open_db("sqlite:a.sqlite", root());
  dump_to(*a, root() / "dump.sql");
  {
    auto b = open_sqlite(root() / "b.sqlite");
    exec(b.get(), "PRAGMA journal_mode=WAL; CREATE TABLE other(x); INSERT INTO other VALUES(1);");
  }
  ::chmod((root() / "b.sqlite").c_str(), 0640);
  auto b = open_db("sqlite:" + (root() / "b.sqlite").string(), root());
  load_from(*b, root() / "dump.sql");
  expect_same_content(src, root() / "b.sqlite");
  auto bdb = open_sqlite(root() / "b.sqlite");
  EXPECT_EQ(rows(bdb.get(), "PRAGMA journal_mode")[0], "3wal\x1f");
  EXPECT_EQ(fs::status(root() / "b.sqlite").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  // Loading into a file that does not exist yet creates it.
  auto c = open_db("sqlite:sub/../c.sqlite", root());
  load_from(*c, root() / "dump.sql");
  expect_same_content(src, root() / "c.sqlite");
  // Nothing left behind.
  for (auto& e : fs::directory_iterator(root()))
    EXPECT_EQ(e.path().filename().string().find(".gp-restore-"), std::string::npos) << e.path();
}

// A trial restore builds a scratch file, dumps it back and removes it: the site's
// file is never touched (same bytes), the dump back loads into a file with the same
// content, and a broken dump fails leaving nothing in the scratch directory.
TEST_F(SqliteDb, TrialRestoresIntoAScratchFileAndRemovesIt) {
  auto src = make_awkward("a.sqlite");
  auto a = open_db("sqlite:a.sqlite", root());
  DumpStats dumped = dump_to(*a, root() / "dump.sql");
  auto before = file_bytes(src);
  DumpStats st = trial_from(*a, root() / "dump.sql", root() / "back.sql");
  EXPECT_EQ(st.tables, dumped.tables);
  EXPECT_EQ(file_bytes(src), before);
  EXPECT_TRUE(fs::is_empty(root() / "scratch"));
  auto judge = open_db("sqlite:judge.sqlite", root());
  load_from(*judge, root() / "back.sql");
  expect_same_content(src, root() / "judge.sqlite");

  auto dump = file_bytes(root() / "dump.sql");
  write_file_atomic(root() / "bad.sql", dump.substr(0, dump.find(";\n", dump.size() / 2) + 2));
  auto msg = expect_error(Exit::remote, [&] { trial_from(*a, root() / "bad.sql", root() / "back.sql"); });
  EXPECT_NE(msg.find("cannot load database"), std::string::npos) << msg;
  EXPECT_EQ(file_bytes(src), before);
  EXPECT_TRUE(fs::is_empty(root() / "scratch"));
}

TEST_F(SqliteDb, FailedLoadLeavesTheOldFileIntact) {
  make_awkward("a.sqlite");
  auto a = open_db("sqlite:a.sqlite", root());
  dump_to(*a, root() / "dump.sql");
  auto dump = file_bytes(root() / "dump.sql");
  {
    auto b = open_sqlite(root() / "b.sqlite");
    exec(b.get(), "CREATE TABLE keep(x); INSERT INTO keep VALUES('precious');");
  }
  auto before = file_bytes(root() / "b.sqlite");
  auto b = open_db("sqlite:b.sqlite", root());
  // Cut after a complete statement (the transaction stays open), in the middle of
  // one, and a syntax error.
  auto cut_at_stmt = dump.substr(0, dump.find(";\n", dump.size() / 2) + 2);
  for (auto& bad : {cut_at_stmt, dump.substr(0, dump.size() / 2 + 3), std::string("CREATE TABLE t(x);\nINSERT INTO t VALUES(1;\n"),
                    std::string("ATTACH 'evil.db' AS e; CREATE TABLE e.x(y);")}) {
    write_file_atomic(root() / "bad.sql", bad);
    auto msg = expect_error(Exit::remote, [&] { load_from(*b, root() / "bad.sql"); });
    EXPECT_NE(msg.find("cannot load database 'sqlite b.sqlite'"), std::string::npos) << msg;
    EXPECT_EQ(file_bytes(root() / "b.sqlite"), before);
  }
  EXPECT_FALSE(fs::exists(root() / "evil.db"));
  for (auto& e : fs::directory_iterator(root()))
    EXPECT_EQ(e.path().filename().string().find(".gp-restore-"), std::string::npos) << e.path();
}

TEST_F(SqliteDb, LoadRefusesAWalDatabaseAnotherConnectionIsReading) {
  make_awkward("a.sqlite");
  auto a = open_db("sqlite:a.sqlite", root());
  dump_to(*a, root() / "dump.sql");
  {
    auto b = open_sqlite(root() / "b.sqlite");
    exec(b.get(), "PRAGMA journal_mode=WAL; CREATE TABLE keep(x); INSERT INTO keep VALUES('precious');");
  }
  auto reader = open_sqlite(root() / "b.sqlite");
  exec(reader.get(), "BEGIN; SELECT * FROM keep;");
  auto b = open_db("sqlite:b.sqlite", root());
  auto msg = expect_error(Exit::remote, [&] { load_from(*b, root() / "dump.sql"); });
  EXPECT_NE(msg.find("in use"), std::string::npos) << msg;
  EXPECT_EQ(rows(reader.get(), "SELECT * FROM keep").size(), 1u);
  exec(reader.get(), "COMMIT");
  reader.reset();
  load_from(*b, root() / "dump.sql");  // once nobody uses it, the load goes through
  auto c = open_sqlite(root() / "b.sqlite");
  EXPECT_EQ(rows(c.get(), "SELECT count(*) FROM posts")[0], rows(c.get(), "SELECT 3000")[0]);
}

TEST_F(SqliteDb, PingAndDumpExplainMissingOrBadFiles) {
  auto missing = open_db("sqlite:nope.sqlite", root());
  auto msg = expect_error(Exit::remote, [&] { missing->ping(); });
  EXPECT_EQ(msg, "cannot open database 'sqlite nope.sqlite': no such file");
  write_file_atomic(root() / "junk.sqlite", std::string(4096, 'x'));
  auto junk = open_db("sqlite:junk.sqlite", root());
  msg = expect_error(Exit::remote, [&] { junk->ping(); });
  EXPECT_NE(msg.find("not a database"), std::string::npos) << msg;
  msg = expect_error(Exit::remote, [&] { dump_to(*junk, root() / "d.sql"); });
  EXPECT_NE(msg.find("cannot dump database 'sqlite junk.sqlite'"), std::string::npos) << msg;
}

// While the dump runs, another connection moves amounts from rows of table a to
// rows of table b (at every chunk the dump hands on, through its Progress). Every
// dump must show the same total across both tables: one snapshot for the whole
// dump, not one per table. In WAL mode the writes go through during the dump; in
// rollback-journal mode the dump's shared lock makes them wait (SQLITE_BUSY).
class TransferOnProgress : public Progress {
 public:
  explicit TransferOnProgress(const fs::path& p) : db_(open_sqlite(p)) { sqlite3_busy_timeout(db_.get(), 0); }
  void update(uint64_t, uint64_t) override {
    int i = static_cast<int>(++calls_ * 7919 % 20000) + 1;
    std::string sql = "BEGIN IMMEDIATE; UPDATE a SET v = v - 5 WHERE id = " + std::to_string(i) +
                      "; UPDATE b SET v = v + 5 WHERE id = " + std::to_string(20001 - i) + "; COMMIT;";
    if (sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK) ++done_;
    else sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
  int done() const { return done_; }
  int calls() const { return calls_; }

 private:
  Sqlite db_;
  int calls_ = 0, done_ = 0;
};

TEST_F(SqliteDb, DumpIsOneSnapshotWhileAnotherConnectionWrites) {
  for (std::string mode : {"WAL", "DELETE"}) {
    fs::path p = root() / ("bank-" + mode + ".sqlite");
    {
      auto db = open_sqlite(p);
      exec(db.get(), "PRAGMA journal_mode=" + mode +
                         "; CREATE TABLE a(id INTEGER PRIMARY KEY, v INTEGER, pad TEXT);"
                         "CREATE TABLE b(id INTEGER PRIMARY KEY, v INTEGER, pad TEXT);"
                         "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) "
                         "INSERT INTO a SELECT i, 100, printf('%040d', i) FROM n;"
                         "INSERT INTO b SELECT id, v, pad FROM a;");
    }
    auto db = open_db("sqlite:" + p.string(), root());
    for (int round = 0; round < 2; ++round) {
      fs::path out = root() / ("dump-" + mode + std::to_string(round) + ".sql");
      TransferOnProgress writer(p);
      {
        Fd fd = open_file(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        FdSink sink(fd.get(), out.string());
        db->dump(sink, writer);
      }
      EXPECT_GE(writer.calls(), 5) << "the dump is too small to interleave writes";
      if (mode == "WAL") {
        EXPECT_EQ(writer.done(), writer.calls()) << "WAL writers must not wait for a dump";
      } else {
        EXPECT_EQ(writer.done(), 0) << "rollback-journal writers must wait for the dump's shared lock";
      }
      fs::path copy = root() / ("copy-" + mode + std::to_string(round) + ".sqlite");
      auto r = run_with_input({"sqlite3", "-bail", copy.string()}, out);
      ASSERT_EQ(r.status, 0) << r.err;
      auto c = open_sqlite(copy);
      EXPECT_EQ(rows(c.get(), "SELECT (SELECT count(*) FROM a), (SELECT sum(v) FROM a) + (SELECT sum(v) FROM b)")[0],
                rows(c.get(), "SELECT 20000, 4000000")[0])
          << mode << " round " << round;
    }
    auto live = open_sqlite(p);
    EXPECT_EQ(rows(live.get(), "SELECT (SELECT sum(v) FROM a) + (SELECT sum(v) FROM b)")[0],
              rows(live.get(), "SELECT 4000000")[0]);
    if (mode == "WAL") {
      EXPECT_NE(rows(live.get(), "SELECT sum(v) FROM a")[0], rows(live.get(), "SELECT 2000000")[0]);
    }
  }
}

}  // namespace
}  // namespace gp::test
