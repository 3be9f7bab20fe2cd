#pragma once
// Private to lib/db. MariaDB/MySQL dumps name a DEFINER on views, triggers,
// routines and events: the account that created them on the source server. Loading
// such a dump as another account (restoring live into test, whose user differs)
// needs the SUPER/SET USER privilege that site accounts do not have. Removing the
// DEFINER clauses makes the loading account the definer, which is what a restore
// into an environment wants.
//
// The filter streams: INSERT lines (the data, possibly many MiB long) pass through
// untouched and unbuffered, so table contents are never altered; other lines (DDL,
// short) are buffered up to a bound and cleaned. Memory stays bounded.
#include <cstddef>
#include <string>

namespace gp::db {

class DefinerStripper {
 public:
  // Appends the filtered form of `data` to `out`.
  void feed(const char* data, size_t size, std::string& out);
  // Flushes what is buffered (a last line without a newline).
  void finish(std::string& out);

  // Removes every DEFINER=<account> clause from one line of DDL.
  static std::string strip_line(const std::string& line);

 private:
  enum class Mode { start, insert, ddl };
  Mode mode_ = Mode::start;
  std::string line_;
  static constexpr size_t kMaxDdlLine = 1 << 20;
};

}  // namespace gp::db
