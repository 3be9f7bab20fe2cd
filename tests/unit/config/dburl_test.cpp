#include "config/dburl.hpp"

#include <gtest/gtest.h>

#include "util/error.hpp"

namespace gp {
namespace {

TEST(DbUrl, Sqlite) {
  auto u = parse_db_url("sqlite:db/dev.sqlite");
  EXPECT_EQ(u.kind, DbKind::sqlite);
  EXPECT_EQ(u.path, "db/dev.sqlite");
  EXPECT_EQ(parse_db_url("sqlite:///abs/x.db").path, "/abs/x.db");
}

TEST(DbUrl, MysqlAndPostgres) {
  auto m = parse_db_url("mariadb://wp%40x@[::1]:3306/wp_live");
  EXPECT_EQ(m.kind, DbKind::mysql);
  EXPECT_EQ(m.user, "wp@x");
  EXPECT_EQ(m.host, "::1");
  EXPECT_EQ(m.port, 3306);
  EXPECT_EQ(m.dbname, "wp_live");
  auto p = parse_db_url("postgresql://drupal@localhost/site");
  EXPECT_EQ(p.kind, DbKind::postgres);
  EXPECT_EQ(p.port, 0);
  auto s = parse_db_url("mysql://root@/wp?socket=/tmp/my.sock");
  EXPECT_EQ(s.socket, "/tmp/my.sock");
  EXPECT_EQ(s.host, "");
  EXPECT_EQ(parse_db_url("mysql://u@h/db").display(), "mysql u@h/db");
}

TEST(DbUrl, RefusesBadUrls) {
  for (const char* bad : {"", "sqlite:", "mysql://u@h", "mysql://u@h:99999/db", "mysql://u@h:/db", "mysql://u@h:x/db",
                          "ftp://h/db", "mysql://u@h/db?password=x", "mysql://u@h/db?foo=1", "mysql://u@h/a b",
                          "mysql://u@[::1/db", "mysql://@h/db"}) {
    EXPECT_THROW(parse_db_url(bad), Error) << bad;
  }
}

// What a URL says about the transport is what happens, or the URL is refused: a
// socket is local, so socket= goes with no host or localhost only (and for MariaDB,
// whose clients ignore the port on a socket, without a port).
TEST(DbUrl, SocketsGoWithLocalhostOnly) {
  auto none = parse_db_url("mysql://wp@/wp?socket=/run/my.sock");
  EXPECT_EQ(none.socket, "/run/my.sock");
  auto local = parse_db_url("mysql://wp@localhost/wp?socket=/run/my.sock");
  EXPECT_EQ(local.socket, "/run/my.sock");
  EXPECT_EQ(local.host, "localhost");
  auto pg = parse_db_url("postgres://d@localhost:5433/site?host=/run/postgresql");
  EXPECT_EQ(pg.socket, "/run/postgresql");
  EXPECT_EQ(pg.port, 5433);  // PostgreSQL: the port names the socket file
  for (const char* bad : {"mysql://wp@127.0.0.1/wp?socket=/nonexistent", "mysql://wp@db.example:3306/wp?socket=/x",
                          "mariadb://wp@[::1]/wp?socket=/x", "mysql://wp@localhost:3306/wp?socket=/x",
                          "mysql://wp@/wp?socket=", "postgres://d@127.0.0.1/site?socket=/run/postgresql",
                          "postgres://d@db.example:5433/site?host=/run/pg"}) {
    try {
      parse_db_url(bad);
      ADD_FAILURE() << "accepted: " << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Exit::config) << bad;
      std::string msg = e.what();
      EXPECT_EQ(msg.rfind(std::string("invalid database URL '") + bad + "': ", 0), 0u) << msg;
      EXPECT_NE(msg.find("socket"), std::string::npos) << msg;
      EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    }
  }
}

// localhost with an explicit port is TCP (the MariaDB clients would otherwise take
// "localhost" for their default socket and ignore the port).
TEST(DbUrl, LocalhostWithAPortIsTcp) {
  EXPECT_TRUE(parse_db_url("mysql://wp@localhost:3307/wp").tcp());
  EXPECT_TRUE(parse_db_url("mysql://wp@127.0.0.1/wp").tcp());
  EXPECT_TRUE(parse_db_url("mysql://wp@db.example/wp").tcp());
  EXPECT_FALSE(parse_db_url("mysql://wp@localhost/wp").tcp());  // the client's default socket
  EXPECT_FALSE(parse_db_url("mysql://wp@/wp").tcp());
  EXPECT_FALSE(parse_db_url("mysql://wp@localhost/wp?socket=/s").tcp());
}

}  // namespace
}  // namespace gp
