#pragma once
// Database URLs as written in .pantheon.toml:
//   sqlite:<path>                         (relative to the repository root, or absolute)
//   mysql://user@host[:port]/dbname                  (mariadb:// is the same)
//   mysql://user@[localhost]/dbname?socket=/path
//   postgres://user@host[:port]/dbname    (postgresql:// is the same)
//   postgres://user@[localhost][:port]/dbname?socket=/dir   (host=/dir as libpq)
// The transport is what the URL says: a host other than localhost, or localhost
// with a port, is TCP; socket= (only with no host or localhost) is that socket;
// plain mysql://u@localhost/db is the MariaDB client's default socket.
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

  // mysql: a TCP connection (a host other than localhost, or localhost with a port);
  // otherwise a Unix socket (socket=, or the client's default one). PostgreSQL's
  // libpq needs no help: localhost is TCP there, socket= the socket directory.
  bool tcp() const { return socket.empty() && (host != "localhost" || port != 0); }
  // "sqlite .git/x.sqlite", "mysql wp@127.0.0.1:3306/wp": for listings.
  std::string display() const;
};

std::string to_string(DbKind k);

// Parses `text`; throws gp::Error(Exit::config) saying what is wrong.
DbUrl parse_db_url(const std::string& text);

}  // namespace gp
