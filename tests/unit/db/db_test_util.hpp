#pragma once
// Helpers shared by the database tests: file sinks/sources, opening a Database for
// a URL, and running programs with a file as stdin.
#include <fcntl.h>
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "config/config.hpp"
#include "db/database.hpp"
#include "util/fs.hpp"
#include "util/process.hpp"
#include "util/progress.hpp"
#include "util/stream.hpp"

namespace gp::test {

inline std::unique_ptr<Database> open_db(const std::string& url, const fs::path& root, const std::string& env = "dev") {
  EnvConfig e;
  e.name = env;
  e.database = parse_db_url(url);
  return open_database(e, root, root / "secrets", root / "scratch");
}

inline DumpStats dump_to(Database& db, const fs::path& file) {
  Fd fd = open_file(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  FdSink sink(fd.get(), file.string());
  NullProgress p;
  return db.dump(sink, p);
}

inline void load_from(Database& db, const fs::path& file) {
  Fd fd = open_file(file, O_RDONLY);
  FdSource src(fd.get(), file.string());
  NullProgress p;
  db.load(src, p);
}

// A trial restore of the dump in `in`; the scratch's dump back goes to `out`.
inline DumpStats trial_from(Database& db, const fs::path& in, const fs::path& out) {
  Fd src_fd = open_file(in, O_RDONLY);
  FdSource src(src_fd.get(), in.string());
  Fd out_fd = open_file(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  FdSink sink(out_fd.get(), out.string());
  NullProgress p;
  return db.trial(src, sink, p);
}

// Runs argv with `input` as stdin; returns {status, stdout, stderr tail}.
inline RunResult run_with_input(std::vector<std::string> argv, const fs::path& input,
                                std::vector<std::pair<std::string, std::string>> env = {}) {
  Fd fd = open_file(input, O_RDONLY);
  ProcessSpec spec;
  spec.argv = std::move(argv);
  spec.stdin_fd = fd.get();
  spec.env = std::move(env);
  return run_capture(std::move(spec));
}

// Expects `f` to throw gp::Error with `code`; returns its message.
template <typename F>
std::string expect_error(Exit code, F&& f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(static_cast<int>(e.code()), static_cast<int>(code)) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no gp::Error thrown";
  return {};
}

inline std::string file_bytes(const fs::path& p) { return read_text_file(p); }

}  // namespace gp::test

namespace gp::test {

// KEY=VALUE lines of $GP_SERVERS/<server>/env (written by tests/servers/<server>.sh).
inline std::map<std::string, std::string> server_env(const std::string& server) {
  const char* dir = std::getenv("GP_SERVERS");
  if (!dir || !*dir) throw std::runtime_error("GP_SERVERS is not set: run these tests through ctest (it starts the servers)");
  std::map<std::string, std::string> out;
  std::string text = read_text_file(fs::path(dir) / server / "env");
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string line = text.substr(pos, nl - pos);
    auto eq = line.find('=');
    if (eq != std::string::npos) out[line.substr(0, eq)] = line.substr(eq + 1);
    pos = nl + 1;
  }
  return out;
}

// A directory of wrapper scripts put first on PATH: each records its name, argv,
// the mode of the file named by --defaults-extra-file (first argument) or
// $PGPASSFILE, and whether PGPASSWORD is set, then runs the real program.
// GP_FAKE_TRUNCATE=<program> makes that program's output stop after 20000 bytes
// (exit status 0), like a dump cut short without an error.
class FakeClients {
 public:
  FakeClients(const fs::path& dir, std::vector<std::string> programs) : dir_(dir), log_(dir / "argv.log") {
    fs::create_directories(dir_);
    for (auto& prog : programs) {
      std::string real = "/usr/bin/" + prog;
      write_file_atomic(dir_ / prog,
                        "#!/bin/sh\n"
                        "log='" + log_.string() + "'\n"
                        "printf 'ARGV %s\\n' \"$(basename \"$0\") $*\" >> \"$log\"\n"
                        "case \"$1\" in --defaults-extra-file=*) f=${1#--defaults-extra-file=};"
                        " printf 'MODE %s %s\\n' \"$(stat -c %a \"$f\")\" \"$(grep -c '^password=' \"$f\")\" >> \"$log\";; esac\n"
                        "if [ -n \"$PGPASSFILE\" ]; then printf 'PGPASSFILE %s\\n' \"$(stat -c %a \"$PGPASSFILE\")\" >> \"$log\"; fi\n"
                        "if [ -n \"${PGPASSWORD+x}\" ]; then echo 'PGPASSWORD set' >> \"$log\"; fi\n"
                        "if [ \"$GP_FAKE_TRUNCATE\" = \"$(basename \"$0\")\" ]; then\n"
                        "  " + real + " \"$@\" | head -c 20000; exit 0\n"
                        "fi\n"
                        "exec " + real + " \"$@\"\n",
                        0755);
    }
    const char* path = std::getenv("PATH");
    old_path_ = path ? path : "/usr/bin:/bin";
    ::setenv("PATH", (dir_.string() + ":" + old_path_).c_str(), 1);
  }
  ~FakeClients() {
    ::setenv("PATH", old_path_.c_str(), 1);
    ::unsetenv("GP_FAKE_TRUNCATE");
  }
  std::string log() const { return fs::exists(log_) ? read_text_file(log_) : std::string(); }

 private:
  fs::path dir_, log_;
  std::string old_path_;
};

}  // namespace gp::test
