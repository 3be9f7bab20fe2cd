#pragma once
// Databases behind one small interface, chosen by the URL scheme of the
// environment's `database` (sqlite:, mysql://, postgres://).
//
// dump(): a plain SQL dump of a consistent snapshot, streamed into a sink (no
//   temporary file of the whole dump, never the dump in memory).
// load(): replaces the database's content with an SQL dump read from a source, so
//   that a failed load leaves the previous content in place (each engine's
//   guarantee is stated in its implementation and in git-pantheon-restore(1)).
//
// Failures (server unreachable, wrong password, tool missing, dump cut short) throw
// gp::Error(Exit::remote) with a one-line message naming the database, never a secret:
// "cannot dump database 'mysql wp@127.0.0.1:3306/live': mysqldump: Got error: 1045: ...".
// A dump that ends without the tool's completion trailer counts as failed; a load of
// such a dump is refused before anything is replaced.
//
// Progress: dump() and load() call progress.start("database", 0), then update() with
// the SQL bytes streamed so far, then finish() on success.
//
// Privileges a site's database user needs (beyond its own database):
//   MariaDB: CREATE and DROP on databases named `<db>\_\_gp\_%` (load's scratch and
//            backup databases), e.g. GRANT ALL ON `wp\_\_gp\_%`.* TO 'wp'@'%';
//   PostgreSQL: ownership of the database (load drops and recreates its schemas).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "util/progress.hpp"
#include "util/stream.hpp"

namespace gp {

struct DumpStats {
  uint64_t bytes = 0;   // SQL bytes produced
  uint64_t tables = 0;  // tables (and views) dumped
};

class Database {
 public:
  virtual ~Database() = default;
  // "sqlite sites/default/files/.ht.sqlite", "mysql wp@127.0.0.1:3306/live".
  virtual std::string describe() const = 0;
  // Checks that the database can be reached with the credentials we have (sqlite:
  // the file exists and is a database).
  virtual void ping() = 0;
  // Streams a plain SQL dump of one consistent snapshot into `out` (not closed).
  virtual DumpStats dump(ByteSink& out, Progress& progress) = 0;
  // Replaces the whole content with the SQL read from `in` (a dump of this kind of
  // engine); on any failure the previous content stays in place.
  virtual void load(ByteSource& in, Progress& progress) = 0;
  // A trial restore: loads the dump read from `in` into a scratch database of its
  // own, dumps that again into `out` (which sees the proof: a complete dump of what
  // was restored), and drops the scratch, also on failure. This database is never
  // touched. The scratch: MariaDB a database `<db>__gp_trial_<random>` (the same
  // privilege as load's scratch), PostgreSQL a database of that name (the user
  // needs CREATEDB), SQLite a file in the scratch directory. Leftovers of a trial
  // that was killed are dropped by the next one.
  virtual DumpStats trial(ByteSource& in, ByteSink& out, Progress& progress) = 0;
  // Runs `sql` (statements in this engine's dialect, e.g. a sanitisation) in the
  // database through the engine's own client (SQLite: the library), in one
  // transaction where the engine allows (MariaDB commits at DDL); nothing else of
  // the content is replaced. gp::Error(Exit::remote) naming the database and the
  // client's cause when a statement fails.
  virtual void execute(const std::string& sql) = 0;
  // The names of the database's base tables (no views), unordered.
  virtual std::vector<std::string> tables() = 0;
};

// How a complete dump of each engine ends, kept in this one place: the dump
// tool's completion trailer ("-- Dump completed" from mysqldump/mariadb-dump,
// "-- PostgreSQL database dump complete" from pg_dump) or, for SQLite, the closing
// "COMMIT;" of our dumper (and of the sqlite3 shell's .dump). Fed a dump's bytes
// in order, in chunks of any size; complete() tells whether what it saw ends with
// that trailer. The engines' dump() and load() use it, and restore checks a dump
// with it before anything changes (a dump cut short at a line end is still valid
// gzip).
class DumpTrailer {
 public:
  explicit DumpTrailer(DbKind kind) noexcept : kind_(kind) {}
  void add(const char* data, size_t size);
  bool complete() const;
  // The trailer as messages name it: "'-- Dump completed'".
  std::string name() const;

 private:
  static constexpr size_t kKeep = 1024;
  DbKind kind_;
  std::string tail_;
};

// Where secrets are looked up for an environment, in order:
// GIT_PANTHEON_DB_PASSWORD_<ENV> (upper case, '-' as '_'), GIT_PANTHEON_DB_PASSWORD,
// <secrets_dir>/<env>.password (must be 0600 and owned by us, else gp::Error(config)).
// nullopt: no password (the client's own config, e.g. ~/.my.cnf, may still supply one).
std::optional<std::string> database_password(const std::string& env, const fs::path& secrets_dir);

// Opens the environment's database. `repo_root` anchors relative sqlite paths;
// `scratch_dir` is a private directory (0700, created when missing) for the
// short-lived 0600 client files holding the password, and for a SQLite load's new
// file when it is on the database file's file system (else that file is built
// beside the database). A password file with loose
// permissions is gp::Error(Exit::config); an environment without a database,
// gp::Error(Exit::bad_input) (EnvConfig::require_database).
std::unique_ptr<Database> open_database(const EnvConfig& env, const fs::path& repo_root, const fs::path& secrets_dir,
                                        const fs::path& scratch_dir);

}  // namespace gp
