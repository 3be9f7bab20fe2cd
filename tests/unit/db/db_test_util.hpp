#pragma once
// Helpers shared by the database tests: file sinks/sources, opening a Database for
// a URL, and running programs with a file as stdin.
#include <fcntl.h>
#include <gtest/gtest.h>

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
