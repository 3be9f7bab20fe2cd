#include "db/definer.hpp"

#include <cstring>

namespace gp::db {

namespace {
constexpr const char kInsert[] = "INSERT INTO ";
constexpr size_t kInsertLen = sizeof kInsert - 1;

// Length of a quoted identifier or string at s[i] (`x`, 'x' or "x", doubled quotes
// inside), or 0.
size_t quoted_len(const std::string& s, size_t i) {
  if (i >= s.size()) return 0;
  char q = s[i];
  if (q != '`' && q != '\'' && q != '"') return 0;
  for (size_t j = i + 1; j < s.size(); ++j) {
    if (s[j] != q) continue;
    if (j + 1 < s.size() && s[j + 1] == q) {
      ++j;
      continue;
    }
    return j + 1 - i;
  }
  return 0;
}

// Length of an account at s[i]: CURRENT_USER[()] or <quoted>@<quoted>, or 0.
size_t account_len(const std::string& s, size_t i) {
  static const char cu[] = "CURRENT_USER";
  if (s.compare(i, sizeof cu - 1, cu) == 0) {
    size_t n = sizeof cu - 1;
    if (s.compare(i + n, 2, "()") == 0) n += 2;
    return n;
  }
  size_t user = quoted_len(s, i);
  if (!user || i + user >= s.size() || s[i + user] != '@') return 0;
  size_t host = quoted_len(s, i + user + 1);
  return host ? user + 1 + host : 0;
}
}  // namespace

std::string DefinerStripper::strip_line(const std::string& line) {
  static const char kw[] = "DEFINER=";
  std::string out;
  size_t pos = 0;
  for (;;) {
    size_t at = line.find(kw, pos);
    if (at == std::string::npos) break;
    size_t n = account_len(line, at + sizeof kw - 1);
    if (n == 0) {  // not a clause we understand: keep it
      out.append(line, pos, at + 1 - pos);
      pos = at + 1;
      continue;
    }
    out.append(line, pos, at - pos);
    pos = at + sizeof kw - 1 + n;
    if (pos < line.size() && line[pos] == ' ') ++pos;
  }
  out.append(line, pos, std::string::npos);
  return out;
}

void DefinerStripper::feed(const char* data, size_t size, std::string& out) {
  size_t i = 0;
  while (i < size) {
    if (mode_ == Mode::insert) {
      const void* nl = std::memchr(data + i, '\n', size - i);
      size_t end = nl ? static_cast<size_t>(static_cast<const char*>(nl) - data) + 1 : size;
      out.append(data + i, end - i);
      i = end;
      if (nl) mode_ = Mode::start;
      continue;
    }
    // start or ddl: collect the line; decide what it is once its first bytes are known.
    const void* nl = std::memchr(data + i, '\n', size - i);
    size_t end = nl ? static_cast<size_t>(static_cast<const char*>(nl) - data) + 1 : size;
    line_.append(data + i, end - i);
    i = end;
    if (mode_ == Mode::start && (line_.size() >= kInsertLen || nl)) {
      if (line_.compare(0, kInsertLen, kInsert) == 0) {
        out += line_;
        line_.clear();
        mode_ = nl ? Mode::start : Mode::insert;
        continue;
      }
      mode_ = Mode::ddl;
    }
    if (nl) {
      out += strip_line(line_);
      line_.clear();
      mode_ = Mode::start;
    } else if (line_.size() > kMaxDdlLine) {
      out += line_;  // too long to be DDL worth cleaning: pass it on unchanged
      line_.clear();
      mode_ = Mode::insert;
    }
  }
}

void DefinerStripper::finish(std::string& out) {
  if (mode_ == Mode::ddl || mode_ == Mode::start) out += strip_line(line_);
  else out += line_;
  line_.clear();
  mode_ = Mode::start;
}

}  // namespace gp::db
