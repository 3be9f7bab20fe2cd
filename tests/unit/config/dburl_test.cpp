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

}  // namespace
}  // namespace gp
