#pragma once
// Database URLs as written in .pantheon.toml:
//   sqlite:<path>                         (relative to the repository root, or absolute)
//   mysql://user@host[:port]/dbname[?socket=/path]   (mariadb:// is the same)
//   postgres://user@host[:port]/dbname    (postgresql:// is the same)
// A password in the URL is refused: secrets come from the environment or .git/.
#include <string>

namespace gp {

enum class DbKind { sqlite, mysql, postgres };

struct DbUrl {
  DbKind kind = DbKind::sqlite;
  std::string path;     // sqlite
  std::string user;     // mysql/postgres
  std::string host;
  int port = 0;         // 0: the client's default
  std::string dbname;
  std::string socket;   // mysql: unix socket path; postgres: socket directory
  std::string text;     // as written (never contains a secret)

  // "sqlite .git/x.sqlite", "mysql wp@127.0.0.1:3306/wp": for listings.
  std::string display() const;
};

std::string to_string(DbKind k);

// Parses `text`; throws gp::Error(Exit::config) saying what is wrong.
DbUrl parse_db_url(const std::string& text);

}  // namespace gp
