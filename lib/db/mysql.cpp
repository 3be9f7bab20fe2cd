// MariaDB/MySQL through the client programs (mysqldump/mysql, or mariadb-dump/mariadb
// when only those are installed).
//
// Secrets: user, password, host, port and socket travel in a 0600 option file in
// the scratch directory, passed as the first argument (--defaults-extra-file=...),
// removed when the operation ends. ~/.my.cnf is still read by the clients, so a
// password there is used when git-pantheon has none (and wins over ours if both set).
//
// dump(): `mysqldump --single-transaction --quick ... -- <db>`: a consistent InnoDB
//   snapshot with routines, triggers and events, without CREATE DATABASE/USE (so it
//   loads into any database). A dump without the "-- Dump completed" trailer failed.
//
// load(): the dump goes into a fresh scratch database `<db>__gp_restore_<random>` on
//   the same server (a dump holding USE or CREATE DATABASE is refused, as is one
//   without the "-- Dump completed" trailer). Only when it loaded completely:
//     1. the scratch's triggers are dropped (moving a table with triggers to another
//        database is refused by the server; they are recreated in step 3);
//     2. ONE `RENAME TABLE` renames every table and view of the target to
//        `__gp_old_<random>_<n>` inside the target (triggers stay with their tables)
//        and moves every scratch table into the target: atomic, so readers see the
//        old or the new tables, never a mix. It is the only statement that touches
//        the target before the new tables are in, and it waits at most
//        GIT_PANTHEON_DB_LOCK_WAIT (5 s) for the metadata locks of a site's open
//        transactions (the site's new queries queue behind it meanwhile); when it
//        gives up the target is untouched and the error names the connections that
//        hold a transaction open;
//     3. the previous tables and views are dropped (their triggers with them), then
//        the target's routines and events, and the scratch's views, triggers,
//        routines and events are created in the target (their DDL is taken with
//        mysqldump from the scratch database, where it has just been executed
//        successfully by the same user, so it does not fail for privileges);
//     4. the scratch database is dropped.
//   DEFINER clauses are removed as the dump streams in (db/definer.hpp), so a dump
//   from another environment's account loads without SUPER.
//   Not atomic: views and triggers are missing for the moments between steps 1 and 3.
//   A failure before step 2 leaves the target untouched (the scratch database is
//   dropped); a failure after it says that the previous tables are the target's
//   `__gp_old_*` (the next load drops such leftovers).
//   The user needs CREATE and DROP on databases named `<db>\_\_gp\_%`, e.g.
//   GRANT ALL ON `wp\_\_gp\_%`.* TO 'wp'@'%'.
//
// trial(): the dump goes into a scratch database `<db>__gp_trial_<random>` as in
//   load(), is dumped from there with dump()'s options, and the scratch is dropped;
//   the target is never named in a statement. Scratch databases that no connection
//   uses (those of killed loads and trials) are dropped before each new one.
#include <cstring>

#include "db/definer.hpp"
#include "db/internal.hpp"
#include "util/fault.hpp"
#include "util/signals.hpp"

namespace gp::db {
namespace {

std::string option_value(const std::string& v) {
  std::string out = "\"";
  for (char c : v) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: out += c;
    }
  }
  return out + "\"";
}

std::string qi(const std::string& name) {  // `quoted` identifier
  std::string out = "`";
  for (char c : name) {
    if (c == '`') out += '`';
    out += c;
  }
  return out + "`";
}

std::string qs(const std::string& s) {  // 'quoted' string literal
  std::string out = "'";
  for (char c : s) {
    if (c == '\'' || c == '\\') out += c == '\\' ? '\\' : '\'';
    out += c;
  }
  return out + "'";
}

// mysql --batch escapes \t, \n, \\ and NUL in values.
std::string unescape_batch(std::string_view v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\\' && i + 1 < v.size()) {
      char c = v[++i];
      out += c == 't' ? '\t' : c == 'n' ? '\n' : c == '0' ? '\0' : c;
    } else {
      out += v[i];
    }
  }
  return out;
}

std::vector<std::vector<std::string>> parse_rows(const std::string& out) {
  std::vector<std::vector<std::string>> rows;
  size_t pos = 0;
  while (pos < out.size()) {
    size_t nl = out.find('\n', pos);
    if (nl == std::string::npos) nl = out.size();
    std::string_view line(out.data() + pos, nl - pos);
    std::vector<std::string> row;
    size_t start = 0;
    for (;;) {
      size_t tab = line.find('\t', start);
      row.push_back(unescape_batch(line.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start)));
      if (tab == std::string_view::npos) break;
      start = tab + 1;
    }
    rows.push_back(std::move(row));
    pos = nl + 1;
  }
  return rows;
}

class MysqlDatabase final : public Database {
 public:
  MysqlDatabase(const DbUrl& url, std::optional<std::string> password, fs::path scratch_dir)
      : url_(url), password_(std::move(password)), scratch_dir_(std::move(scratch_dir)), limits_(limits_from_env()) {
    client_ = program_available("mysql") || !program_available("mariadb") ? "mysql" : "mariadb";
    dumper_ = program_available("mysqldump") || !program_available("mariadb-dump") ? "mysqldump" : "mariadb-dump";
  }

  std::string describe() const override { return url_.display(); }

  void ping() override {
    auto opts = option_file();
    query(opts, "SELECT 1", url_.dbname, "cannot connect to database");
  }

  void execute(const std::string& sql) override {
    auto opts = option_file();
    run_sql(opts, "START TRANSACTION;\n" + sql + "\nCOMMIT;\n", url_.dbname, "cannot run SQL in database");
  }

  std::vector<std::string> tables() override {
    auto opts = option_file();
    std::vector<std::string> out;
    for (auto& row : query(opts,
                           "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND "
                           "table_type = 'BASE TABLE'",
                           url_.dbname, "cannot list the tables of database"))
      if (!row.empty()) out.push_back(row[0]);
    return out;
  }

  DumpStats dump(ByteSink& out, Progress& progress) override {
    const std::string what = "cannot dump database";
    auto opts = option_file();
    // mysqldump has no connect timeout: the client, which has one, connects first,
    // so that a server that does not answer fails within it.
    query(opts, "SELECT 1", url_.dbname, what);
    return dump_of(opts, url_.dbname, out, progress, what);
  }

  void load(ByteSource& in, Progress& progress) override {
    const std::string what = "cannot load database";
    auto opts = option_file();
    const std::string target = url_.dbname, rnd = random_suffix();
    ScratchDatabase scratch(*this, opts, "__gp_restore_" + rnd, what);
    progress.start("database", 0);
    GP_FAULT_POINT("db.mysql.scratch.created");
    load_into(opts, scratch.name, in, progress, what);
    GP_FAULT_POINT("db.mysql.loaded");
    swap(opts, target, scratch.name, rnd, what);
    GP_FAULT_POINT("db.mysql.swapped");
    // ~ScratchDatabase drops the (now empty) scratch database.
    progress.finish();
  }

  DumpStats trial(ByteSource& in, ByteSink& out, Progress& progress) override {
    const std::string what = "cannot restore a trial copy of database";
    auto opts = option_file();
    ScratchDatabase scratch(*this, opts, "__gp_trial_" + random_suffix(), what);
    progress.start("database", 0);
    load_into(opts, scratch.name, in, progress, what);
    progress.finish();
    return dump_of(opts, scratch.name, out, progress, what);
  }

 private:
  // A database `<db (40 bytes at most)><suffix>` beside this one, with its character
  // set, created after the leftovers of killed loads and trials are dropped, and
  // dropped again when this object goes away (on failure too; an interrupt does not
  // stop the drop).
  struct ScratchDatabase {
    ScratchDatabase(const MysqlDatabase& db, const SecretFile& options, const std::string& suffix,
                    const std::string& what)
        : self(db), opts(options) {
      const std::string target = db.url_.dbname, base = target.substr(0, 40);
      auto cs = db.query(opts,
                         "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA "
                         "WHERE SCHEMA_NAME = DATABASE()",
                         target, what);
      std::string charset =
          cs.size() == 1 && cs[0].size() == 2 ? " CHARACTER SET " + cs[0][0] + " COLLATE " + cs[0][1] : "";
      db.drop_stale(opts, target, base, what);
      try {
        db.run_sql(opts, "CREATE DATABASE " + qi(base + suffix) + charset + ";\n", "", what);
      } catch (const Error& e) {
        throw Error(Exit::remote, e.what(),
                    "the database user needs CREATE and DROP on `" + base + "\\_\\_gp\\_%`.*, e.g. GRANT ALL ON `" +
                        base + "\\_\\_gp\\_%`.* TO '" + db.url_.user + "'@'%'");
      }
      name = base + suffix;
    }
    ScratchDatabase(const ScratchDatabase&) = delete;
    ScratchDatabase& operator=(const ScratchDatabase&) = delete;
    ~ScratchDatabase() {
      try {
        self.run_sql(opts, "DROP DATABASE IF EXISTS " + qi(name) + ";\n", "", "cannot drop database", Run::cleanup);
      } catch (...) {
      }
    }
    const MysqlDatabase& self;
    const SecretFile& opts;
    std::string name;
  };

  DumpStats dump_of(const SecretFile& opts, const std::string& db, ByteSink& out, Progress& progress,
                    const std::string& what) const {
    DumpStats stats;
    ProcessSpec spec;
    spec.argv = {dumper_, "--defaults-extra-file=" + opts.path().string(), "--single-transaction", "--quick",
                 "--routines", "--triggers", "--events", "--hex-blob", "--default-character-set=utf8mb4",
                 "--no-tablespaces", "--max-allowed-packet=1G", "--", db};
    spec.pipe_stdout = true;
    bound(spec, limits_, what, url_.display());
    progress.start("database", 0);
    Process p(std::move(spec));
    DumpTrailer trailer(DbKind::mysql);
    // Tables as mysqldump writes them; views end as "/*!50001 VIEW `v` AS ...".
    MarkerCounter tables({"\nCREATE TABLE `", "\n/*!50001 VIEW `"});
    auto r = stream_stdout(p, out, progress, trailer, tables);
    stats.bytes = r.bytes;
    stats.tables = tables.count();
    if (r.status != 0) fail_remote(what, child_cause(p, r.status));
    if (!trailer.complete())
      fail_remote(what, "'" + dumper_ + "' ended without its " + trailer.name() + " trailer (dump cut short)");
    progress.finish();
    return stats;
  }

  // Drops what loads killed before they finished left on the server: scratch
  // databases (`<base>__gp_restore_*`, never swapped in), unless a connection is using
  // them (a load of another clone running now), and the previous tables of a
  // completed swap (`__gp_old_*` in the target, which the killed load was about to
  // drop). Best effort: one we may not drop (another account's) does not stop this load.
  void drop_stale(const SecretFile& opts, const std::string& target, const std::string& base,
                  const std::string& what) const {
    std::string like = qs(like_escape(base) + "\\_\\_gp\\_%");
    try {
      auto rows = query(opts,
                        "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE " + like +
                            " AND SCHEMA_NAME NOT IN (SELECT DB FROM information_schema.PROCESSLIST WHERE DB IS NOT NULL)",
                        "", what);
      for (auto& row : rows)
        if (row.size() == 1) run_sql(opts, "DROP DATABASE IF EXISTS " + qi(row[0]) + ";\n", "", what);
      auto old = query(opts,
                       "SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = " + qs(target) +
                           " AND TABLE_NAME LIKE " + qs(like_escape(old_prefix("")) + "%"),
                       "", what);
      std::string drops;
      for (auto& row : old)
        if (row.size() == 2)
          drops += (row[1] == "VIEW" ? "DROP VIEW IF EXISTS " : "DROP TABLE IF EXISTS ") + qi(target) + "." + qi(row[0]) + ";\n";
      if (!drops.empty()) run_sql(opts, "SET SESSION foreign_key_checks = 0;\n" + drops, "", what);
    } catch (const Error&) {
    }
  }
  static std::string like_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
      if (c == '_' || c == '%' || c == '\\') out += '\\';
      out += c;
    }
    return out;
  }

  [[noreturn]] void fail_remote(const std::string& what, const std::string& cause, const std::string& hint = {}) const {
    fail(Exit::remote, gp::describe(what, url_.display(), scrub(cause, password_)), hint);
  }

  SecretFile option_file() const {
    std::string c = "[client]\n";
    if (!url_.user.empty()) c += "user=" + option_value(url_.user) + "\n";
    if (password_) c += "password=" + option_value(*password_) + "\n";
    // What the URL says (config/dburl.hpp): the clients take host "localhost" for
    // their default socket and ignore the port unless the protocol is TCP.
    if (!url_.socket.empty()) {
      c += "host=localhost\nsocket=" + option_value(url_.socket) + "\nprotocol=SOCKET\n";
    } else {
      c += "host=" + option_value(url_.host) + "\n";
      if (url_.port) c += "port=" + std::to_string(url_.port) + "\n";
      if (url_.tcp()) c += "protocol=TCP\n";
    }
    // The mysql client only (mysqldump refuses these options, and has no connect
    // timeout: see dump()). The lock wait bounds how long our DDL waits for a lock a
    // site's session holds, and so how long the site's new queries queue behind it.
    c += "[mysql]\nconnect-timeout=" + std::to_string(limits_.connect.count()) + "\n";
    c += "init-command=" + option_value("SET SESSION lock_wait_timeout = " + std::to_string(limits_.lock_wait.count())) + "\n";
    return SecretFile(scratch_dir_, "my-", c);
  }

  std::vector<std::string> client_args(const SecretFile& opts) const {
    return {client_, "--defaults-extra-file=" + opts.path().string(), "--batch", "--skip-column-names",
            "--default-character-set=utf8mb4"};
  }

  // Runs one query; rows of tab-separated values.
  std::vector<std::vector<std::string>> query(const SecretFile& opts, const std::string& sql, const std::string& db,
                                              const std::string& what, Run run = Run::normal) const {
    ProcessSpec spec;
    spec.argv = client_args(opts);
    spec.argv.insert(spec.argv.end(), {"-e", sql});
    if (!db.empty()) spec.argv.insert(spec.argv.end(), {"--", db});
    bound(spec, limits_, what, url_.display(), run);
    auto r = capture(std::move(spec));
    if (r.status != 0) fail_remote(what, r.cause);
    while (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
    if (r.out.empty()) return {};
    return parse_rows(r.out);
  }

  // Feeds a script (DDL, small) to the client's stdin: DELIMITER lines work there.
  // `run`: how an interrupt meets it (see bound()).
  void run_sql(const SecretFile& opts, const std::string& script, const std::string& db, const std::string& what,
               Run run = Run::normal) const {
    ProcessSpec spec;
    spec.argv = client_args(opts);
    if (!db.empty()) spec.argv.insert(spec.argv.end(), {"--", db});
    spec.pipe_stdin = true;
    bound(spec, limits_, what, url_.display(), run);
    SigpipeBlock block;
    Process p(std::move(spec));
    p.write(script.data(), script.size());
    p.close_stdin();
    int status = p.wait();
    if (status != 0) fail_remote(what, child_cause(p, status));
  }

  std::string capture_dump(const SecretFile& opts, std::vector<std::string> extra, const std::string& what) const {
    ProcessSpec spec;
    spec.argv = {dumper_, "--defaults-extra-file=" + opts.path().string(), "--default-character-set=utf8mb4",
                 "--skip-comments", "--no-tablespaces"};
    spec.argv.insert(spec.argv.end(), extra.begin(), extra.end());
    bound(spec, limits_, what, url_.display());
    auto r = capture(std::move(spec));
    if (r.status != 0) fail_remote(what, r.cause);
    return r.out;
  }

  void load_into(const SecretFile& opts, const std::string& scratch, ByteSource& in, Progress& progress,
                 const std::string& what) {
    ProcessSpec spec;
    spec.argv = client_args(opts);
    spec.argv.insert(spec.argv.end(), {"--binary-mode", "--max-allowed-packet=1G", "--", scratch});
    spec.pipe_stdin = true;
    bound(spec, limits_, what, url_.display());
    SigpipeBlock block;
    Process p(std::move(spec));
    widen_pipe(p.stdin_fd());
    std::unique_ptr<char[]> buf(new char[kChunk]);
    DumpTrailer trailer(DbKind::mysql);
    std::string carry = "\n";  // the bytes before this chunk, to find statements across chunk ends
    DefinerStripper definers;   // the loading account becomes the definer (see definer.hpp)
    std::string filtered;
    uint64_t total = 0;
    bool alive = true;
    for (;;) {
      check_interrupted();
      size_t n = in.read(buf.get(), kChunk);
      if (n == 0) break;
      // A dump that switches database would escape the scratch database.
      for (std::string_view bad : {"\nUSE ", "\nCREATE DATABASE", "\nDROP DATABASE"}) {
        std::string edge = carry + std::string(buf.get(), std::min<size_t>(n, 32));
        if (edge.find(bad) != std::string::npos || memmem(buf.get(), n, bad.data(), bad.size()))
          fail_remote(what, "the dump switches or creates databases ('" + std::string(bad.substr(1)) +
                                "'): only single-database dumps can be restored");
      }
      carry.assign(buf.get() + (n > 32 ? n - 32 : 0), buf.get() + n);
      trailer.add(buf.get(), n);
      total += n;
      filtered.clear();
      definers.feed(buf.get(), n, filtered);
      if (alive && !p.write(filtered.data(), filtered.size())) alive = false;
      GP_FAULT_POINT("db.mysql.chunk");
      progress.update(total, 0);
      if (!alive) break;
    }
    filtered.clear();
    definers.finish(filtered);
    if (alive && !filtered.empty() && !p.write(filtered.data(), filtered.size())) alive = false;
    p.close_stdin();
    int status = p.wait();
    if (status != 0) fail_remote(what, child_cause(p, status));
    if (!alive) fail_remote(what, "'" + client_ + "' stopped reading the dump");
    if (!trailer.complete())
      fail_remote(what, "the dump has no " + trailer.name() + " trailer (truncated?); nothing was changed");
  }

  // The swap (see the top of this file). Only one statement touches the target before
  // the new tables are in: the RENAME, which is atomic and waits at most lock_wait for
  // the metadata locks of the site's open transactions; when it gives up, the target
  // is exactly as it was.
  void swap(const SecretFile& opts, const std::string& target, const std::string& scratch, const std::string& rnd,
            const std::string& what) {
    auto objects = query(opts,
                         "SELECT 'table', TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE "
                         "TABLE_SCHEMA IN (" + qs(target) + "," + qs(scratch) + ") UNION ALL "
                         "SELECT 'trigger', TRIGGER_SCHEMA, TRIGGER_NAME, '' FROM information_schema.TRIGGERS WHERE "
                         "TRIGGER_SCHEMA IN (" + qs(target) + "," + qs(scratch) + ") UNION ALL "
                         "SELECT 'routine', ROUTINE_SCHEMA, ROUTINE_NAME, ROUTINE_TYPE FROM information_schema.ROUTINES "
                         "WHERE ROUTINE_SCHEMA IN (" + qs(target) + "," + qs(scratch) + ") UNION ALL "
                         "SELECT 'event', EVENT_SCHEMA, EVENT_NAME, '' FROM information_schema.EVENTS WHERE "
                         "EVENT_SCHEMA IN (" + qs(target) + "," + qs(scratch) + ")",
                         "", what);
    // scratch_drops: the scratch's triggers (a table with triggers may not move to
    // another database; they are recreated from their DDL). renames: every table and
    // view of the target to a previous name `__gp_old_<rnd>_<n>` inside the target
    // (its triggers go with it), then every scratch table into the target.
    // old_drops: what the target had, once the new tables are in.
    std::string scratch_drops, renames_out, renames_in, old_drops, late_drops;
    std::vector<std::string> scratch_views;
    bool scratch_objects = false;
    size_t n_old = 0;
    for (auto& row : objects) {
      if (row.size() != 4) continue;
      const auto &kind = row[0], &schema = row[1], &name = row[2], &type = row[3];
      bool in_target = schema == target;
      auto full = qi(schema) + "." + qi(name);
      if (kind == "table" && in_target) {
        auto previous = qi(target) + "." + qi(old_prefix(rnd) + std::to_string(++n_old));
        renames_out += ", " + full + " TO " + previous;
        old_drops += (type == "VIEW" ? "DROP VIEW IF EXISTS " : "DROP TABLE IF EXISTS ") + previous + ";\n";
      } else if (kind == "table" && type == "VIEW") {
        scratch_views.push_back(name);
      } else if (kind == "table") {
        renames_in += ", " + full + " TO " + qi(target) + "." + qi(name);
      } else if (kind == "trigger" && !in_target) {
        scratch_drops += "DROP TRIGGER IF EXISTS " + full + ";\n";
        scratch_objects = true;
      } else if (kind == "routine" || kind == "event") {
        if (in_target) late_drops += "DROP " + (kind == "event" ? std::string("EVENT") : type) + " IF EXISTS " + full + ";\n";
        scratch_objects |= !in_target;
      }
    }
    // DDL of the scratch's non-table objects (small: schema only, never rows).
    std::string create;
    if (!scratch_views.empty()) {
      std::vector<std::string> args = {"--no-data", "--skip-triggers", "--skip-add-drop-table", "--", scratch};
      args.insert(args.end(), scratch_views.begin(), scratch_views.end());
      create += capture_dump(opts, args, what);
    }
    if (scratch_objects)
      create += capture_dump(opts, {"--no-create-info", "--no-data", "--triggers", "--routines", "--events", "--", scratch},
                             what);
    if (!scratch_drops.empty()) run_sql(opts, scratch_drops, "", what);

    // One script, so that a kill of ours after it started lets the client finish it
    // (Run::critical): the RENAME on its first line, then the target's previous
    // objects give way to the scratch's (trigger names are unique per database: the
    // previous tables, and their triggers, go first). The client stops at the first
    // error: one "at line 1" is the RENAME's, and nothing was changed.
    std::string renames = renames_out + renames_in;
    std::string script = renames.empty() ? "" : "RENAME TABLE" + renames.substr(1) + ";\n";
    script += "SET SESSION foreign_key_checks = 0;\n" + old_drops + late_drops + "USE " + qi(target) + ";\n" + create;
    GP_FAULT_POINT("db.mysql.swap.before");
    try {
      run_sql(opts, script, "", what, Run::critical);
    } catch (const Error& e) {
      std::string cause = e.what();
      if (!renames.empty() && !swapped(opts, cause, scratch, !renames_in.empty(), target, rnd)) {
        bool lock = cause.find("ERROR 1205") != std::string::npos || cause.find("Lock wait timeout") != std::string::npos;
        fail(Exit::remote, cause + "; nothing was changed", lock ? blocker_hint(opts, target) : e.hint());
      }
      fail(Exit::remote,
           cause + " (after the swap: the previous tables are in '" + target + "' as " + old_prefix(rnd) + "<n>)",
           "the new tables are in place; compare, then drop the tables named " + old_prefix(rnd) + "<n>");
    }
    GP_FAULT_POINT("db.mysql.swap.after");
  }

  // Whether the swap's RENAME took place, after its script failed with `cause`: not
  // when the client says the error is on the RENAME's line, yes on a later one; else
  // (no line: the connection failed) as the server says
  // (the scratch's tables left it, or the target holds the previous tables).
  bool swapped(const SecretFile& opts, const std::string& cause, const std::string& scratch, bool tables_in,
               const std::string& target, const std::string& rnd) const {
    if (cause.find(" at line ") != std::string::npos) return cause.find(" at line 1: ") == std::string::npos;
    try {
      auto rows = query(opts,
                        "SELECT (SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = " + qs(scratch) +
                            " AND TABLE_TYPE <> 'VIEW'), (SELECT COUNT(*) FROM information_schema.TABLES WHERE "
                            "TABLE_SCHEMA = " + qs(target) + " AND TABLE_NAME LIKE " +
                            qs(like_escape(old_prefix(rnd)) + "%") + ")",
                        "", "cannot check the swap", Run::cleanup);
      if (rows.size() == 1 && rows[0].size() == 2) return tables_in ? rows[0][0] == "0" : rows[0][1] != "0";
    } catch (const Error&) {
    }
    return true;  // unknown: say where the previous tables may be
  }

  static std::string old_prefix(const std::string& rnd) { return "__gp_old_" + rnd + "_"; }

  // The hint of a swap that gave up waiting for a lock: the connections with a
  // transaction open (they hold the metadata locks of every table they used until
  // they end it), else the ones busy in the target database.
  std::string blocker_hint(const SecretFile& opts, const std::string& target) const {
    std::string wait = "GIT_PANTHEON_DB_LOCK_WAIT=<seconds> sets how long a restore waits (now " +
                       std::to_string(limits_.lock_wait.count()) + ")";
    std::vector<std::vector<std::string>> rows;
    try {
      rows = query(opts,
                   "SELECT p.ID, p.USER, p.HOST, IFNULL(TIMESTAMPDIFF(SECOND, t.trx_started, NOW()), -1), p.COMMAND, "
                   "p.TIME FROM information_schema.PROCESSLIST p LEFT JOIN information_schema.INNODB_TRX t ON "
                   "t.trx_mysql_thread_id = p.ID WHERE p.ID <> CONNECTION_ID() AND (t.trx_id IS NOT NULL OR "
                   "(p.DB = " + qs(target) + " AND p.COMMAND NOT IN ('Sleep', 'Daemon'))) ORDER BY t.trx_id IS NULL, p.ID",
                   "", "cannot list connections", Run::cleanup);
    } catch (const Error&) {
    }
    std::string who;
    for (size_t i = 0; i < rows.size() && i < 3; ++i) {
      const auto& r = rows[i];
      if (r.size() != 6) continue;
      who += (who.empty() ? "" : ", ") + std::string("connection ") + r[0] + " (" + r[1] + "@" + r[2] + ", " +
             (r[3] != "-1" ? "transaction open for " + r[3] + " s" : r[4] + " for " + r[5] + " s") + ")";
    }
    if (who.empty())
      return "another session holds a lock on a table of '" + target +
             "' (an open transaction or LOCK TABLES); run the restore again when it ends; " + wait;
    return who + (rows.size() > 3 ? " and " + std::to_string(rows.size() - 3) + " more" : "") +
           " may hold the lock; end " + (rows.size() == 1 ? "it (or KILL " + rows[0][0] + ")" : "them") +
           " and run the restore again; " + wait;
  }

  DbUrl url_;
  std::optional<std::string> password_;
  fs::path scratch_dir_;
  Limits limits_;
  std::string client_, dumper_;
};

}  // namespace

std::unique_ptr<Database> make_mysql(const DbUrl& url, std::optional<std::string> password, const fs::path& scratch_dir) {
  return std::make_unique<MysqlDatabase>(url, std::move(password), scratch_dir);
}

}  // namespace gp::db
