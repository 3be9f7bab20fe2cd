// SQLite through the sqlite3 library (never the CLI).
//
// dump(): one read transaction for the whole dump, so the output is a consistent
//   snapshot even while another process writes (WAL: a snapshot, writers go on;
//   rollback journal: writers wait on our shared lock, up to their busy timeout).
//   The output follows the sqlite3 shell's .dump: PRAGMA foreign_keys=OFF;
//   BEGIN TRANSACTION; tables with their rows; indexes, triggers, views; COMMIT.
//   REALs are written in their shortest round-trip form, BLOBs as X'..', TEXT holding
//   NUL bytes as CAST(X'..' AS TEXT), carriage returns as char(13).
// load(): executes the SQL statement by statement (boundaries from sqlite3_complete)
//   into a new file in the scratch directory (the store's tmp/, so that no work
//   tree shows it) when that is on the database's file system, else beside the old one, refuses a dump that leaves a transaction open
//   (a truncated dump), fsyncs it, then renames it over the old file. Before the rename
//   the old database is switched out of WAL mode and locked exclusively: that fails
//   ("database is locked") while another process has it open in WAL mode, because its
//   -wal/-shm files would otherwise be replayed into the new file. The new file keeps
//   the old one's WAL mode and permission bits. ATTACH is refused in a loaded dump.
//   Guarantee: until the rename the old file is untouched; after it the new file is
//   complete and durable. Processes that keep the old file open (rollback-journal mode)
//   go on seeing the old inode: stop the site's writers for a restore.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "db/internal.hpp"
#include "util/sqlite_handles.hpp"
#include "util/fault.hpp"
#include "util/signals.hpp"

namespace gp::db {
namespace {

constexpr size_t kFlushAt = 256 * 1024;

std::string quote_ident(const char* s) {
  std::string out = "\"";
  for (; *s; ++s) {
    if (*s == '"') out += '"';
    out += *s;
  }
  return out + '"';
}

void append_hex(std::string& out, const unsigned char* p, size_t n) {
  static const char* hex = "0123456789ABCDEF";
  size_t at = out.size();
  out.resize(at + 2 * n);
  for (size_t i = 0; i < n; ++i) {
    out[at + 2 * i] = hex[p[i] >> 4];
    out[at + 2 * i + 1] = hex[p[i] & 15];
  }
}

void append_value(std::string& out, sqlite3_stmt* st, int col) {
  switch (sqlite3_column_type(st, col)) {
    case SQLITE_NULL: out += "NULL"; break;
    case SQLITE_INTEGER: {
      char buf[32];
      auto r = std::to_chars(buf, buf + sizeof buf, static_cast<long long>(sqlite3_column_int64(st, col)));
      out.append(buf, r.ptr);
      break;
    }
    case SQLITE_FLOAT: {
      double d = sqlite3_column_double(st, col);
      if (std::isinf(d)) {
        out += d > 0 ? "1e999" : "-1e999";
        break;
      }
      char buf[64];
      auto r = std::to_chars(buf, buf + sizeof buf, d);  // shortest form that reads back exactly
      std::string_view s(buf, static_cast<size_t>(r.ptr - buf));
      out += s;
      if (s.find_first_of(".eEn") == std::string_view::npos) out += ".0";  // stay a REAL
      break;
    }
    case SQLITE_TEXT: {
      auto p = reinterpret_cast<const char*>(sqlite3_column_text(st, col));
      size_t n = static_cast<size_t>(sqlite3_column_bytes(st, col));
      if (std::memchr(p, 0, n)) {
        out += "CAST(X'";
        append_hex(out, reinterpret_cast<const unsigned char*>(p), n);
        out += "' AS TEXT)";
        break;
      }
      // A CR is written as char(13): the sqlite3 CLI drops a CR before a line end.
      bool cr = std::memchr(p, '\r', n) != nullptr;
      if (cr) out += '(';
      out += '\'';
      for (size_t i = 0; i < n; ++i) {
        if (p[i] == '\r') {
          out += "'||char(13)||'";
          continue;
        }
        if (p[i] == '\'') out += '\'';
        out += p[i];
      }
      out += '\'';
      if (cr) out += ')';
      break;
    }
    default: {  // BLOB
      auto p = static_cast<const unsigned char*>(sqlite3_column_blob(st, col));
      size_t n = static_cast<size_t>(sqlite3_column_bytes(st, col));
      out += "X'";
      append_hex(out, p, n);
      out += '\'';
    }
  }
}

// Denies ATTACH/DETACH while loading: a dump must not write to other files.
int load_authorizer(void*, int action, const char*, const char*, const char*, const char*) {
  return action == SQLITE_ATTACH || action == SQLITE_DETACH ? SQLITE_DENY : SQLITE_OK;
}

class SqliteDatabase final : public Database {
 public:
  SqliteDatabase(const DbUrl& url, const fs::path& repo_root, fs::path scratch_dir)
      : display_(url.display()),
        path_((fs::path(url.path).is_absolute() ? fs::path(url.path) : repo_root / url.path).lexically_normal()),
        scratch_dir_(std::move(scratch_dir)) {}

  std::string describe() const override { return display_; }

  void ping() override {
    auto db = open_existing("cannot open database");
    check(db.get(), sqlite3_exec(db.get(), "SELECT count(*) FROM sqlite_schema", nullptr, nullptr, nullptr),
          "cannot open database");
  }

  DumpStats dump(ByteSink& out, Progress& progress) override {
    const std::string what = "cannot dump database";
    auto db = open_existing(what);
    DumpStats stats;
    std::string buf;
    buf.reserve(kFlushAt + 65536);
    auto flush = [&](bool force) {
      if (buf.size() < kFlushAt && !force) return;
      out.write(buf.data(), buf.size());
      stats.bytes += buf.size();
      progress.update(stats.bytes, stats.tables);
      buf.clear();
      check_interrupted();
    };
    progress.start("database", 0);
    // The read transaction starts with the first SELECT and lasts until COMMIT:
    // every later read sees the same snapshot.
    check(db.get(), sqlite3_exec(db.get(), "BEGIN", nullptr, nullptr, nullptr), what);
    buf += "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n";
    auto tables = prepare(db.get(),
                          "SELECT name, type, sql FROM sqlite_schema WHERE sql NOT NULL AND type == 'table' "
                          "ORDER BY tbl_name == 'sqlite_sequence', rowid",
                          what);
    bool writable_schema = false;
    while (step(db.get(), tables.get(), what)) {
      auto name = reinterpret_cast<const char*>(sqlite3_column_text(tables.get(), 0));
      auto sql = reinterpret_cast<const char*>(sqlite3_column_text(tables.get(), 2));
      std::string_view n(name);
      if (n == "sqlite_sequence") {
        buf += "DELETE FROM sqlite_sequence;\n";
      } else if (n.rfind("sqlite_stat", 0) == 0) {
        buf += "ANALYZE sqlite_schema;\n";
      } else if (n.rfind("sqlite_", 0) == 0) {
        continue;
      } else if (std::string_view(sql).rfind("CREATE VIRTUAL TABLE", 0) == 0) {
        // As the shell does: the virtual table's own code recreates its shadow tables.
        if (!writable_schema) buf += "PRAGMA writable_schema=ON;\n";
        writable_schema = true;
        buf += "INSERT INTO sqlite_schema(type,name,tbl_name,rootpage,sql) VALUES('table',";
        append_literal(buf, name);
        buf += ',';
        append_literal(buf, name);
        buf += ",0,";
        append_literal(buf, sql);
        buf += ");\n";
        ++stats.tables;
        continue;
      } else {
        buf += sql;
        buf += ";\n";
        ++stats.tables;
      }
      dump_rows(db.get(), name, buf, flush, what);
    }
    if (writable_schema) buf += "PRAGMA writable_schema=OFF;\n";
    auto others = prepare(db.get(),
                          "SELECT type, sql FROM sqlite_schema WHERE sql NOT NULL AND type IN ('index','trigger','view') "
                          "ORDER BY rowid",
                          what);
    while (step(db.get(), others.get(), what)) {
      if (std::strcmp(reinterpret_cast<const char*>(sqlite3_column_text(others.get(), 0)), "view") == 0) ++stats.tables;
      buf += reinterpret_cast<const char*>(sqlite3_column_text(others.get(), 1));
      buf += ";\n";
      flush(false);
    }
    buf += "COMMIT;\n";
    flush(true);
    check(db.get(), sqlite3_exec(db.get(), "COMMIT", nullptr, nullptr, nullptr), what);
    progress.finish();
    return stats;
  }

  // The scratch: a file in the scratch directory, removed afterwards with its
  // journal files. (Nothing to drop after a kill: the scratch directory is a
  // temporary one of the caller's.)
  DumpStats trial(ByteSource& in, ByteSink& out, Progress& progress) override {
    fs::create_directories(scratch_dir_);
    DbUrl url;
    url.path = (scratch_dir_ / ("trial-" + std::to_string(::getpid()) + "-" + random_suffix() + ".sqlite")).string();
    url.text = "sqlite:" + url.path;
    struct Remove {
      fs::path path;
      ~Remove() {
        for (const char* tail : {"", "-journal", "-wal", "-shm"}) ::unlink((path.string() + tail).c_str());
      }
    } remove{url.path};
    SqliteDatabase scratch(url, scratch_dir_, scratch_dir_);
    scratch.load(in, progress);
    return scratch.dump(out, progress);
  }

  void load(ByteSource& in, Progress& progress) override {
    const std::string what = "cannot load database";
    fs::path dir = path_.parent_path().empty() ? fs::path(".") : path_.parent_path();
    struct stat old_st;
    bool have_old = ::stat(path_.c_str(), &old_st) == 0;
    if (!have_old && errno != ENOENT) fail_errno(Exit::remote, what, display_);
    bool old_wal = have_old && is_wal(path_);

    remove_stale_loads(dir);
    // The new file is renamed over the old one: it is built on the same file system.
    if (!scratch_dir_.empty()) make_dirs(scratch_dir_, 0700);
    fs::path build_dir = !scratch_dir_.empty() && same_file_system(scratch_dir_, dir) ? scratch_dir_ : dir;
    fs::path tmp =
        build_dir / (path_.filename().string() + ".gp-restore-" + std::to_string(::getpid()) + "-" + random_suffix());
    struct Cleanup {
      fs::path p;
      ~Cleanup() {
        if (p.empty()) return;
        for (auto s : {"", "-journal", "-wal", "-shm"}) ::unlink((p.string() + s).c_str());
      }
    } cleanup{tmp};
    {
      Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
      if (!fd) fail(Exit::remote, gp::describe(what, display_, "cannot create '" + tmp.string() + "': " + errno_text(errno)));
      if (::fchmod(fd.get(), have_old ? (old_st.st_mode & 07777) : 0644) != 0)
        fail_errno(Exit::remote, what, display_);
    }
    progress.start("database", 0);
    {
      sqlite3* raw = nullptr;
      int rc = sqlite3_open_v2(tmp.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, nullptr);
      Sqlite db(raw);
      check(db.get(), rc, what);
      // The file is thrown away on failure, so no journal is needed while loading.
      check(db.get(), sqlite3_exec(db.get(), "PRAGMA journal_mode=MEMORY; PRAGMA synchronous=OFF", nullptr, nullptr, nullptr),
            what);
      sqlite3_set_authorizer(db.get(), load_authorizer, nullptr);
      execute_stream(db.get(), in, progress, what);
      if (!sqlite3_get_autocommit(db.get()))
        fail(Exit::remote, gp::describe(what, display_, "the dump ends inside a transaction (truncated?)"));
      sqlite3_set_authorizer(db.get(), nullptr, nullptr);
      if (old_wal) check(db.get(), sqlite3_exec(db.get(), "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr), what);
      raw = db.release();
      check(raw, sqlite3_close(raw), what);
    }
    GP_FAULT_POINT("db.sqlite.loaded");
    {
      Fd fd = open_file(tmp, O_RDONLY, 0, Exit::remote);
      fsync_fd(fd.get(), tmp.string());
    }
    GP_FAULT_POINT("db.sqlite.fsync.after");

    // Take the old file out of service: leave WAL mode (checkpoints and removes
    // -wal; refused while another connection uses it) and hold an exclusive lock
    // across the rename so nobody writes to it meanwhile.
    Sqlite old;
    if (have_old) {
      sqlite3* raw = nullptr;
      int rc = sqlite3_open_v2(path_.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr);
      old.reset(raw);
      check(old.get(), rc, what);
      sqlite3_busy_timeout(old.get(), 2000);  // let short transactions of others finish
      if (old_wal) {
        auto mode = prepare(old.get(), "PRAGMA journal_mode=DELETE", what);
        int mrc = sqlite3_step(mode.get());
        auto text = mrc == SQLITE_ROW ? sqlite3_column_text(mode.get(), 0) : nullptr;
        std::string m = text ? reinterpret_cast<const char*>(text) : "wal";
        if (m == "wal")
          fail(Exit::remote, gp::describe(what, display_, "the database is in use by another process (WAL mode)"),
               "stop the site's writers and retry");
      }
      int rc2 = sqlite3_exec(old.get(), "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr);
      if (rc2 != SQLITE_OK)
        fail(Exit::remote, gp::describe(what, display_, std::string("the database is in use: ") + sqlite3_errmsg(old.get())),
             "stop the site's writers and retry");
      for (auto s : {"-wal", "-shm"}) ::unlink((path_.string() + s).c_str());
    }
    GP_FAULT_POINT("db.sqlite.rename.before");
    if (::rename(tmp.c_str(), path_.c_str()) != 0) fail_errno(Exit::remote, what, display_);
    cleanup.p.clear();
    GP_FAULT_POINT("db.sqlite.rename.after");
    fsync_dir(dir);
    old.reset();  // rolls back the (empty) exclusive transaction on the old inode
    progress.finish();
  }

 private:
  [[noreturn]] void fail_db(sqlite3* db, const std::string& what) const {
    fail(Exit::remote, gp::describe(what, display_, db ? sqlite3_errmsg(db) : "out of memory"));
  }
  void check(sqlite3* db, int rc, const std::string& what) const {
    if (rc != SQLITE_OK && rc != SQLITE_ROW && rc != SQLITE_DONE) fail_db(db, what);
  }
  SqliteStmt prepare(sqlite3* db, const char* sql, const std::string& what) const {
    sqlite3_stmt* st = nullptr;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, nullptr);
    SqliteStmt owned(st);
    check(db, rc, what);
    return owned;
  }
  bool step(sqlite3* db, sqlite3_stmt* st, const std::string& what) const {
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail_db(db, what);
  }
  static void append_literal(std::string& out, const char* s) {
    out += '\'';
    for (; *s; ++s) {
      if (*s == '\'') out += '\'';
      out += *s;
    }
    out += '\'';
  }

  void execute(const std::string& sql) override {
    const std::string what = "cannot run SQL in database";
    struct stat st;
    if (::stat(path_.c_str(), &st) != 0) fail(Exit::remote, gp::describe(what, display_, "no such file"));
    sqlite3* raw = nullptr;
    int rc = sqlite3_open_v2(path_.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr);
    Sqlite db(raw);
    check(db.get(), rc, what);
    sqlite3_busy_timeout(db.get(), 10000);
    sqlite3_set_authorizer(db.get(), load_authorizer, nullptr);  // no ATTACH: this file only
    check(db.get(), sqlite3_exec(db.get(), "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), what);
    char* err = nullptr;
    rc = sqlite3_exec(db.get(), sql.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
      std::string cause = err ? err : sqlite3_errstr(rc);
      sqlite3_free(err);
      sqlite3_exec(db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
      fail(Exit::remote, gp::describe(what, display_, cause));
    }
    check(db.get(), sqlite3_exec(db.get(), "COMMIT", nullptr, nullptr, nullptr), what);
  }

  std::vector<std::string> tables() override {
    auto db = open_existing("cannot list the tables of database");
    std::vector<std::string> out;
    sqlite3_stmt* raw = nullptr;
    check(db.get(),
          sqlite3_prepare_v2(db.get(), "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
                             -1, &raw, nullptr),
          "cannot list the tables of database");
    while (sqlite3_step(raw) == SQLITE_ROW) out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(raw, 0)));
    sqlite3_finalize(raw);
    return out;
  }

  Sqlite open_existing(const std::string& what) const {
    struct stat st;
    if (::stat(path_.c_str(), &st) != 0) fail(Exit::remote, gp::describe(what, display_, "no such file"));
    sqlite3* raw = nullptr;
    // Read-write (never create) so that a WAL database can be read even when its
    // -shm does not exist yet; query_only keeps us from changing anything.
    int rc = sqlite3_open_v2(path_.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr);
    if (rc == SQLITE_READONLY || rc == SQLITE_CANTOPEN || rc == SQLITE_PERM) {
      sqlite3_close_v2(raw);
      raw = nullptr;
      rc = sqlite3_open_v2(path_.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
    }
    Sqlite db(raw);
    check(db.get(), rc, what);
    sqlite3_busy_timeout(db.get(), 10000);
    check(db.get(), sqlite3_exec(db.get(), "PRAGMA query_only=1", nullptr, nullptr, nullptr), what);
    return db;
  }

  static bool is_wal(const fs::path& p) {
    // Byte 18 of the header is the write version: 2 means WAL.
    Fd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
    unsigned char hdr[20];
    return fd && ::pread(fd.get(), hdr, sizeof hdr, 0) == static_cast<ssize_t>(sizeof hdr) && hdr[18] == 2;
  }

  template <typename Flush>
  void dump_rows(sqlite3* db, const char* table, std::string& buf, Flush& flush, const std::string& what) const {
    // Generated columns cannot be inserted: list the ordinary ones (hidden == 0).
    std::string cols;
    bool generated = false;
    {
      auto info = prepare(db, ("PRAGMA table_xinfo(" + quote_ident(table) + ")").c_str(), what);
      while (step(db, info.get(), what)) {
        if (sqlite3_column_int(info.get(), 6) != 0) {
          generated = true;
          continue;
        }
        if (!cols.empty()) cols += ',';
        cols += quote_ident(reinterpret_cast<const char*>(sqlite3_column_text(info.get(), 1)));
      }
    }
    if (cols.empty()) return;
    std::string qt = quote_ident(table);
    std::string prefix = "INSERT INTO " + qt + (generated ? "(" + cols + ")" : "") + " VALUES(";
    auto rows = prepare(db, ("SELECT " + cols + " FROM " + qt).c_str(), what);
    int n = sqlite3_column_count(rows.get());
    while (step(db, rows.get(), what)) {
      buf += prefix;
      for (int i = 0; i < n; ++i) {
        if (i) buf += ',';
        append_value(buf, rows.get(), i);
      }
      buf += ");\n";
      flush(false);
    }
  }

  // Runs every complete statement in `sql`, returns how many bytes were consumed.
  size_t run_statements(sqlite3* db, const std::string& sql, size_t end, const std::string& what) const {
    const char* p = sql.data();
    const char* stop = sql.data() + end;
    while (p < stop) {
      sqlite3_stmt* raw = nullptr;
      const char* tail = nullptr;
      int rc = sqlite3_prepare_v2(db, p, static_cast<int>(stop - p), &raw, &tail);
      SqliteStmt st(raw);
      check(db, rc, what);
      if (tail == p) break;
      p = tail;
      if (!st) continue;  // whitespace or a comment
      while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
      }
      check(db, rc, what);
      if (++statements_ % 1000 == 0) GP_FAULT_POINT("db.sqlite.statements");
    }
    return static_cast<size_t>(p - sql.data());
  }

  void execute_stream(sqlite3* db, ByteSource& in, Progress& progress, const std::string& what) const {
    std::unique_ptr<char[]> chunk(new char[kChunk]);
    std::string pending;
    uint64_t total = 0;
    for (;;) {
      check_interrupted();
      size_t n = in.read(chunk.get(), kChunk);
      if (n == 0) break;
      total += n;
      pending.append(chunk.get(), n);
      // Everything up to the last ';' that ends a complete statement can run now.
      size_t semi = pending.rfind(';');
      if (semi == std::string::npos) continue;
      char saved = pending[semi + 1 < pending.size() ? semi + 1 : semi];
      bool at_end = semi + 1 == pending.size();
      if (!at_end) pending[semi + 1] = '\0';
      bool complete = sqlite3_complete(pending.c_str()) != 0;
      if (!at_end) pending[semi + 1] = saved;
      if (!complete) continue;
      size_t used = run_statements(db, pending, semi + 1, what);
      GP_FAULT_POINT("db.sqlite.batch");
      pending.erase(0, used);
      progress.update(total, 0);
    }
    if (pending.find_first_not_of(" \t\r\n") != std::string::npos) {
      size_t used = run_statements(db, pending, pending.size(), what);
      if (pending.find_first_not_of(" \t\r\n", used) != std::string::npos)
        fail(Exit::remote, gp::describe(what, display_, "the dump ends in the middle of a statement"));
    }
  }

  // Removes the files of loads that were killed before their rename
  // (`<name>.gp-restore-<pid>-<rnd>[-journal]`) whose process is gone; a backup of
  // the files directory leaves them out too (lib/backup).
  void remove_stale_loads(const fs::path& dir) const {
    const std::string prefix = path_.filename().string() + ".gp-restore-";
    std::error_code ec;
    for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
      std::string name = it->path().filename().string();
      if (name.rfind(prefix, 0) != 0) continue;
      long pid = std::strtol(name.c_str() + prefix.size(), nullptr, 10);
      if (pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH)) continue;  // still loading
      ::unlink(it->path().c_str());
    }
  }

  std::string display_;
  fs::path path_;
  fs::path scratch_dir_;
  mutable uint64_t statements_ = 0;
};

}  // namespace

std::unique_ptr<Database> make_sqlite(const DbUrl& url, const fs::path& repo_root, const fs::path& scratch_dir) {
  return std::make_unique<SqliteDatabase>(url, repo_root, scratch_dir);
}

}  // namespace gp::db
