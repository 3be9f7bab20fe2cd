// PostgreSQL through pg_dump and psql.
//
// Secrets: the password goes into a 0600 PGPASSFILE in the scratch directory
// (removed afterwards) and PGPASSWORD is unset for the child; never argv. Host,
// port, user and database come from the URL (socket= is the socket directory).
//
// dump(): `pg_dump --format=plain --no-owner --no-privileges`: a consistent snapshot
//   (pg_dump's repeatable-read transaction). Without owners and GRANTs so that the
//   dump restores into another environment whose role has another name; the price is
//   that grants to other roles are not carried over. A dump without pg_dump's
//   "-- PostgreSQL database dump complete" trailer failed.
//
// load(): one psql session (-v ON_ERROR_STOP=1) runs, inside ONE transaction:
//   drop every non-system schema (CASCADE, public included), recreate `public` as
//   PostgreSQL 15 creates it (owned by pg_database_owner, USAGE for everyone), then the
//   dump. We send BEGIN ourselves instead of --single-transaction so that COMMIT is
//   sent only when the whole dump, trailer included, went through: an error, a
//   truncated dump or a lost connection ends the session without COMMIT and the
//   server rolls everything back. Guarantee: other sessions see either all the old
//   content or all the new one; once DROP SCHEMA holds the tables' locks, the site's
//   queries on them wait until COMMIT. lock_timeout (GIT_PANTHEON_DB_LOCK_WAIT, 5 s)
//   bounds each wait for a lock a site's open transaction holds: when it runs out,
//   nothing changed and the error names the sessions with an old transaction. Not covered:
//   large objects, roles, database-level settings (they are not in a schema). The user
//   must own the database (or every schema in it).
//
// trial(): CREATE DATABASE `<db>__gp_trial_<random>` (TEMPLATE template0; the user
//   needs CREATEDB), load() and dump() on it, DROP DATABASE ... WITH (FORCE) at the
//   end, also on failure. The target is only connected to, to run those two
//   statements. Trial databases no session uses (those of killed trials) are dropped
//   first.
#include "db/internal.hpp"
#include "util/fault.hpp"
#include "util/signals.hpp"

namespace gp::db {
namespace {


std::string passfile_field(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == ':' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string pg_ident(const std::string& s) {  // "quoted" identifier
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string pg_literal(const std::string& s) {  // 'quoted' string (standard_conforming_strings)
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

class PostgresDatabase final : public Database {
 public:
  PostgresDatabase(const DbUrl& url, std::optional<std::string> password, fs::path scratch_dir)
      : url_(url), password_(std::move(password)), scratch_dir_(std::move(scratch_dir)), limits_(limits_from_env()) {}

  std::string describe() const override { return url_.display(); }

  void ping() override {
    auto pass = passfile();
    query(pass.get(), "SELECT 1", "cannot connect to database");
  }

  void execute(const std::string& sql) override {
    auto pass = passfile();
    query(pass.get(), "BEGIN;\n" + sql + "\nCOMMIT;", "cannot run SQL in database");
  }

  std::vector<std::string> tables() override {
    auto pass = passfile();
    std::string rows = query(pass.get(),
                             "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND "
                             "table_type = 'BASE TABLE'",
                             "cannot list the tables of database");
    std::vector<std::string> out;
    for (size_t pos = 0; pos < rows.size();) {
      size_t nl = rows.find('\n', pos);
      if (nl == std::string::npos) nl = rows.size();
      if (nl > pos) out.push_back(rows.substr(pos, nl - pos));
      pos = nl + 1;
    }
    return out;
  }

  DumpStats dump(ByteSink& out, Progress& progress) override {
    const std::string what = "cannot dump database";
    auto pass = passfile();
    DumpStats stats;
    ProcessSpec spec = base_spec(pass.get(), "pg_dump", what);
    spec.argv.insert(spec.argv.end(), {"--format=plain", "--no-owner", "--no-privileges", "--encoding=UTF8"});
    spec.pipe_stdout = true;
    progress.start("database", 0);
    Process p(std::move(spec));
    DumpTrailer trailer(DbKind::postgres);
    MarkerCounter tables({"\nCREATE TABLE ", "\nCREATE VIEW ", "\nCREATE MATERIALIZED VIEW ", "\nCREATE FOREIGN TABLE "});
    auto r = stream_stdout(p, out, progress, trailer, tables);
    stats.bytes = r.bytes;
    stats.tables = tables.count();
    if (r.status != 0) fail_remote(what, child_cause(p, r.status));
    if (!trailer.complete()) fail_remote(what, "'pg_dump' ended without its completion trailer (dump cut short)");
    progress.finish();
    return stats;
  }

  void load(ByteSource& in, Progress& progress) override {
    const std::string what = "cannot load database";
    auto pass = passfile();
    query(pass.get(), "SELECT 1", what);  // a clear error for an unreachable server before we start
    ProcessSpec spec = base_spec(pass.get(), "psql", what);
    spec.argv.insert(spec.argv.end(), {"-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", "-"});
    spec.pipe_stdin = true;
    progress.start("database", 0);
    SigpipeBlock block;
    Process p(std::move(spec));
    widen_pipe(p.stdin_fd());
    // lock_timeout bounds each wait for a lock a site's session holds (DROP SCHEMA
    // needs every table's): when it runs out the transaction ends, nothing changed.
    const std::string prelude =
        "SET client_min_messages = warning;\n"
        "SET lock_timeout = '" + std::to_string(limits_.lock_wait.count()) + "s';\n"
        "BEGIN;\n"
        "DO $gp$ DECLARE s record; BEGIN\n"
        "  FOR s IN SELECT nspname FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema')\n"
        "           AND nspname NOT LIKE 'pg\\_%' LOOP\n"
        "    EXECUTE format('DROP SCHEMA %I CASCADE', s.nspname);\n"
        "  END LOOP;\n"
        "END $gp$;\n"
        "CREATE SCHEMA public AUTHORIZATION pg_database_owner;\n"
        "GRANT USAGE ON SCHEMA public TO PUBLIC;\n"
        "COMMENT ON SCHEMA public IS 'standard public schema';\n";
    bool alive = p.write(prelude.data(), prelude.size());
    std::unique_ptr<char[]> buf(new char[kChunk]);
    DumpTrailer trailer(DbKind::postgres);
    uint64_t total = 0;
    while (alive) {
      check_interrupted();
      size_t n = in.read(buf.get(), kChunk);
      if (n == 0) break;
      trailer.add(buf.get(), n);
      total += n;
      alive = p.write(buf.get(), n);
      GP_FAULT_POINT("db.postgres.chunk");
      progress.update(total, 0);
    }
    bool complete = alive && trailer.complete();
    // pg_dump ends with "\unrestrict KEY": back in normal mode, COMMIT is read as SQL.
    static const std::string commit = "\nCOMMIT;\n";
    GP_FAULT_POINT("db.postgres.commit.before");
    if (complete) alive = p.write(commit.data(), commit.size());
    GP_FAULT_POINT("db.postgres.commit.sent");
    p.close_stdin();  // without COMMIT: psql quits, the server rolls back
    int status = p.wait();
    GP_FAULT_POINT("db.postgres.commit.after");
    if (status != 0) {
      std::string cause = child_cause(p, status);
      fail_remote(what, cause + "; nothing was changed",
                  cause.find("lock timeout") != std::string::npos ? blocker_hint(pass.get()) : std::string());
    }
    if (!alive) fail_remote(what, "'psql' stopped reading the dump; nothing was changed");
    if (!complete)
      fail_remote(what, "the dump has no " + trailer.name() + " trailer (truncated?); nothing was changed");
    progress.finish();
  }

  DumpStats trial(ByteSource& in, ByteSink& out, Progress& progress) override {
    const std::string what = "cannot restore a trial copy of database";
    auto pass = passfile();
    const std::string base = url_.dbname.substr(0, 40);
    drop_stale_trials(pass.get(), base);
    DbUrl scratch_url = url_;
    scratch_url.dbname = base + "__gp_trial_" + random_suffix();
    try {
      query(pass.get(), "CREATE DATABASE " + pg_ident(scratch_url.dbname) + " TEMPLATE template0", what);
    } catch (const Error& e) {
      throw Error(Exit::remote, e.what(),
                  "a trial restore needs a scratch database: ALTER ROLE " + pg_ident(url_.user.empty() ? "..." : url_.user) +
                      " CREATEDB");
    }
    struct DropScratch {
      const PostgresDatabase& self;
      const SecretFile* pass;
      std::string name;
      ~DropScratch() {
        try {
          self.query(pass, "DROP DATABASE IF EXISTS " + pg_ident(name) + " WITH (FORCE)", "cannot drop database",
                     Run::cleanup);
        } catch (...) {
        }
      }
    } drop{*this, pass.get(), scratch_url.dbname};
    PostgresDatabase scratch(scratch_url, password_, scratch_dir_);
    scratch.load(in, progress);
    return scratch.dump(out, progress);
  }

 private:
  // Best effort: a trial database of ours that no session uses was left by a trial
  // that was killed.
  void drop_stale_trials(const SecretFile* pass, const std::string& base) const {
    try {
      std::string like = base;
      std::string esc;
      for (char c : like) {
        if (c == '_' || c == '%' || c == '\\') esc += '\\';
        esc += c;
      }
      std::string rows = query(pass,
                               "SELECT datname FROM pg_database WHERE datname LIKE " +
                                   pg_literal(esc + "\\_\\_gp\\_trial\\_%") +
                                   " AND datname NOT IN (SELECT datname FROM pg_stat_activity WHERE datname IS NOT NULL)",
                               "cannot list databases");
      for (size_t pos = 0; pos < rows.size();) {
        size_t nl = rows.find('\n', pos);
        if (nl == std::string::npos) nl = rows.size();
        if (nl > pos)
          query(pass, "DROP DATABASE IF EXISTS " + pg_ident(rows.substr(pos, nl - pos)), "cannot drop database",
                Run::cleanup);
        pos = nl + 1;
      }
    } catch (const Error&) {
    }
  }

  [[noreturn]] void fail_remote(const std::string& what, const std::string& cause, const std::string& hint = {}) const {
    fail(Exit::remote, gp::describe(what, url_.display(), scrub(cause, password_)), hint);
  }

  // The hint of a load that gave up waiting for a lock: the sessions of this
  // database whose transaction began before the wait did (they may hold a lock on a
  // table until they end it), and those of other roles, whose state PostgreSQL hides
  // from us.
  std::string blocker_hint(const SecretFile* pass) const {
    std::string wait = "GIT_PANTHEON_DB_LOCK_WAIT=<seconds> sets how long a restore waits (now " +
                       std::to_string(limits_.lock_wait.count()) + ")";
    std::string rows;
    try {
      rows = query(pass,
                   "SELECT pid || ' (' || coalesce(usename, '?') || CASE WHEN state IS NULL THEN "
                   "', another role: its state is hidden' ELSE '@' || coalesce(host(client_addr), 'local') || ', ' || "
                   "state || ', transaction open for ' || extract(epoch FROM now() - xact_start)::bigint || ' s' END || ')' "
                   "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND "
                   "backend_type = 'client backend' AND (xact_start <= now() - interval '" +
                       std::to_string(limits_.lock_wait.count()) + " seconds' OR state IS NULL) "
                   "ORDER BY xact_start NULLS LAST LIMIT 4",
                   "cannot list sessions");
    } catch (const Error&) {
    }
    std::vector<std::string> who;
    for (size_t pos = 0; pos < rows.size();) {
      size_t nl = rows.find('\n', pos);
      if (nl == std::string::npos) nl = rows.size();
      if (nl > pos) who.push_back("session " + rows.substr(pos, nl - pos));
      pos = nl + 1;
    }
    if (who.empty())
      return "another session holds a lock on a table of '" + url_.dbname +
             "'; run the restore again when it ends; " + wait;
    std::string list;
    for (size_t i = 0; i < who.size() && i < 3; ++i) list += (i ? ", " : "") + who[i];
    return list + (who.size() > 3 ? " and more" : "") + " may hold the lock; end " +
           (who.size() == 1 ? "it (SELECT pg_terminate_backend(" + who[0].substr(8, who[0].find(' ', 8) - 8) + "))"
                            : std::string("them")) +
           " and run the restore again; " + wait;
  }

  std::unique_ptr<SecretFile> passfile() const {
    if (!password_) return nullptr;
    return std::make_unique<SecretFile>(scratch_dir_, "pgpass-", "*:*:*:*:" + passfile_field(*password_) + "\n");
  }

  ProcessSpec base_spec(const SecretFile* pass, const std::string& program, const std::string& what,
                        Run run = Run::normal) const {
    ProcessSpec spec;
    spec.argv = {program, "-w"};
    std::string host = !url_.socket.empty() ? url_.socket : url_.host;
    if (!host.empty()) spec.argv.insert(spec.argv.end(), {"-h", host});
    if (url_.port) spec.argv.insert(spec.argv.end(), {"-p", std::to_string(url_.port)});
    if (!url_.user.empty()) spec.argv.insert(spec.argv.end(), {"-U", url_.user});
    spec.argv.insert(spec.argv.end(), {"-d", url_.dbname});
    spec.env.emplace_back("PGCONNECT_TIMEOUT", std::to_string(limits_.connect.count()));
    spec.env.emplace_back("PGAPPNAME", "git-pantheon");
    bound(spec, limits_, what, url_.display(), run);
    if (pass) {
      spec.env.emplace_back("PGPASSFILE", pass->path().string());
      spec.unset_env.push_back("PGPASSWORD");
    }
    return spec;
  }

  std::string query(const SecretFile* pass, const std::string& sql, const std::string& what,
                    Run run = Run::normal) const {
    ProcessSpec spec = base_spec(pass, "psql", what, run);
    spec.argv.insert(spec.argv.end(), {"-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql});
    auto r = capture(std::move(spec));
    if (r.status != 0) fail_remote(what, r.cause);
    while (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
    return r.out;
  }

  DbUrl url_;
  std::optional<std::string> password_;
  fs::path scratch_dir_;
  Limits limits_;
};

}  // namespace

std::unique_ptr<Database> make_postgres(const DbUrl& url, std::optional<std::string> password,
                                        const fs::path& scratch_dir) {
  return std::make_unique<PostgresDatabase>(url, std::move(password), scratch_dir);
}

}  // namespace gp::db
