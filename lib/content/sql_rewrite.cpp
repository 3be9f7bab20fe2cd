// SqlRewriter: follows an SQL dump statement by statement, far enough to know
// where each row value starts and ends and how it is escaped, and hands every
// value holding a source host to UrlRewriter.
//
// The input is kept in one buffer from the first byte that may still change (a
// value being read, a statement head being classified) to its end; everything
// before is handed on. The scanner stops where it needs bytes it does not have
// yet (a quote that may be doubled, a backslash, a keyword) and resumes there on
// the next write, so no byte is examined twice except those few.
//
// Which values need a closer look is found chunk-wide first: every occurrence of
// a needle (a source host, plain or hex-encoded) is noted by its offset in the
// stream; a value without one in its range is passed on as it is, without being
// unescaped or copied.
#include <algorithm>
#include <array>
#include <cstring>
#include <optional>

#include "content/rewrite.hpp"
#include "util/error.hpp"

namespace gp {

namespace {

bool ident_char(unsigned char c) { return std::isalnum(c) || c == '_' || c == '$' || c >= 0x80; }
bool space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool hex_digit(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
int hex_val(char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; }
char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}
bool iends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && iequals(s.substr(s.size() - suffix.size()), suffix);
}

// How a value's bytes are written in the dump.
enum class Lit {
  backslash,  // MySQL '...'/"...", PostgreSQL E'...': backslash escapes, doubled quote
  doubled,    // standard SQL '...' (PostgreSQL, identifiers): doubled quote only
  sqlite,     // SQLite '...': doubled quote, CR as '||char(13)||'
  hex,        // 0x..., X'...': hex digits
  copy,       // a field of PostgreSQL's COPY text format
};

constexpr std::string_view kSqliteCr = "'||char(13)||'";

// --- escaping --------------------------------------------------------------

// PostgreSQL's backslash escapes, the character after the backslash at raw[i]
// (E'' strings, and COPY's text format, which also has \v): appends what it stands
// for to `o` and returns the index of its last character.
size_t pg_unescape_one(std::string_view raw, size_t i, std::string& o, bool copy) {
  const char n = raw[i];
  switch (n) {
    case 'b': o += '\b'; return i;
    case 'f': o += '\f'; return i;
    case 'n': o += '\n'; return i;
    case 'r': o += '\r'; return i;
    case 't': o += '\t'; return i;
    case 'v':
      o += copy ? '\v' : 'v';
      return i;
    case 'x':
      if (i + 1 < raw.size() && hex_digit(raw[i + 1])) {
        int v = hex_val(raw[++i]);
        if (i + 1 < raw.size() && hex_digit(raw[i + 1])) v = v * 16 + hex_val(raw[++i]);
        o += static_cast<char>(v);
      } else {
        o += 'x';
      }
      return i;
    default:
      if (n >= '0' && n <= '7') {
        int v = n - '0';
        for (int k = 0; k < 2 && i + 1 < raw.size() && raw[i + 1] >= '0' && raw[i + 1] <= '7'; ++k)
          v = v * 8 + (raw[++i] - '0');
        o += static_cast<char>(v & 0xff);
      } else {
        o += n;  // \\ \' and any other character as itself (\u escapes are not used by pg_dump)
      }
      return i;
  }
}

std::string unescape_backslash(std::string_view raw, char quote, bool postgres) {
  std::string o;
  o.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    size_t run = i;
    while (run < raw.size() && raw[run] != quote && raw[run] != '\\') ++run;
    if (run > i) {
      o.append(raw.substr(i, run - i));
      i = run;
      if (i == raw.size()) break;
    }
    char c = raw[i];
    if (c == quote && i + 1 < raw.size() && raw[i + 1] == quote) {
      o += quote;
      ++i;
      continue;
    }
    if (c != '\\' || i + 1 >= raw.size()) {
      o += c;
      continue;
    }
    char n = raw[++i];
    if (!postgres) {
      switch (n) {
        case '0':
          o += '\0';
          break;
        case 'b':
          o += '\b';
          break;
        case 'n':
          o += '\n';
          break;
        case 'r':
          o += '\r';
          break;
        case 't':
          o += '\t';
          break;
        case 'Z':
          o += '\x1a';
          break;
        case '%':
        case '_':
          o += '\\';
          o += n;
          break;  // MySQL keeps the backslash of these two
        default:
          o += n;
      }
      continue;
    }
    i = pg_unescape_one(raw, i, o, false);
  }
  return o;
}

std::string escape_backslash(std::string_view s, char quote, bool postgres) {
  std::string o;
  o.reserve(s.size() + 16);
  static const auto special = [] {
    std::array<bool, 256> t{};
    for (unsigned char c : {'\\', '\'', '"', '\0', '\n', '\r', '\x1a'}) t[c] = true;
    return t;
  }();
  for (size_t i = 0; i < s.size(); ++i) {
    size_t run = i;
    while (run < s.size() && !special[static_cast<unsigned char>(s[run])]) ++run;
    if (run > i) {
      o.append(s.substr(i, run - i));
      i = run;
      if (i == s.size()) break;
    }
    char c = s[i];
    switch (c) {
      case '\\':
        o += "\\\\";
        break;
      case '\'':
      case '"':
        // mysqldump escapes both quotes; an E'' string needs its own doubled.
        if (!postgres)
          o += c == '\'' ? "\\'" : "\\\"";
        else if (c == quote)
          o += "''";
        else
          o += c;
        break;
      case '\0':
        if (!postgres)
          o += "\\0";
        else
          o += c;
        break;
      case '\n':
        o += postgres ? "\n" : "\\n";
        break;
      case '\r':
        o += postgres ? "\r" : "\\r";
        break;
      case '\x1a':
        o += postgres ? "\x1a" : "\\Z";
        break;
      default:
        o += c;
    }
  }
  return o;
}

std::string unescape_doubled(std::string_view raw, char quote, bool sqlite) {
  std::string o;
  o.reserve(raw.size());
  size_t i = 0;
  for (;;) {
    size_t q = raw.find(quote, i);
    if (q == std::string_view::npos) break;
    o.append(raw.substr(i, q - i));
    if (sqlite && raw.substr(q, kSqliteCr.size()) == kSqliteCr) {
      o += '\r';
      i = q + kSqliteCr.size();
      continue;
    }
    o += quote;
    i = q + (q + 1 < raw.size() && raw[q + 1] == quote ? 2 : 1);
  }
  o.append(raw.substr(i));
  return o;
}

std::string escape_doubled(std::string_view s, char quote, bool sqlite) {
  std::string o;
  o.reserve(s.size() + 16);
  const char cr = sqlite ? '\r' : quote;
  size_t i = 0;
  for (;;) {
    size_t q = i;
    while (q < s.size() && s[q] != quote && s[q] != cr) ++q;
    if (q == s.size()) break;
    o.append(s.substr(i, q - i));
    if (s[q] == '\r')
      o += kSqliteCr;
    else {
      o += quote;
      o += quote;
    }
    i = q + 1;
  }
  o.append(s.substr(i));
  return o;
}

std::string unescape_copy(std::string_view raw) {
  std::string o;
  o.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    size_t run = i;
    while (run < raw.size() && raw[run] != '\\') ++run;
    if (run > i) {
      o.append(raw.substr(i, run - i));
      i = run;
      if (i == raw.size()) break;
    }
    char c = raw[i];
    if (c != '\\' || i + 1 >= raw.size()) {
      o += c;
      continue;
    }
    i = pg_unescape_one(raw, i + 1, o, true);
  }
  return o;
}

std::string escape_copy(std::string_view s) {
  std::string o;
  o.reserve(s.size() + 16);
  for (size_t i = 0; i < s.size(); ++i) {
    size_t run = i;
    while (run < s.size() && s[run] != '\\' && static_cast<unsigned char>(s[run]) >= 0x0e) ++run;
    if (run > i) {
      o.append(s.substr(i, run - i));
      i = run;
      if (i == s.size()) break;
    }
    char c = s[i];
    switch (c) {
      case '\\':
        o += "\\\\";
        break;
      case '\b':
        o += "\\b";
        break;
      case '\f':
        o += "\\f";
        break;
      case '\n':
        o += "\\n";
        break;
      case '\r':
        o += "\\r";
        break;
      case '\t':
        o += "\\t";
        break;
      case '\v':
        o += "\\v";
        break;
      default:
        o += c;
    }
  }
  return o;
}

std::optional<std::string> unhex(std::string_view h) {
  if (h.size() % 2) return std::nullopt;
  std::string o(h.size() / 2, '\0');
  for (size_t i = 0; i < o.size(); ++i) {
    if (!hex_digit(h[2 * i]) || !hex_digit(h[2 * i + 1])) return std::nullopt;
    o[i] = static_cast<char>(hex_val(h[2 * i]) * 16 + hex_val(h[2 * i + 1]));
  }
  return o;
}

std::string tohex(std::string_view s, bool upper) {
  const char* d = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string o(s.size() * 2, '\0');
  for (size_t i = 0; i < s.size(); ++i) {
    o[2 * i] = d[static_cast<unsigned char>(s[i]) >> 4];
    o[2 * i + 1] = d[static_cast<unsigned char>(s[i]) & 15];
  }
  return o;
}

bool has_lower_hex(std::string_view h) {
  return std::any_of(h.begin(), h.end(), [](char c) { return c >= 'a' && c <= 'f'; });
}

// --- statement heads -------------------------------------------------------

// A small tokenizer over the start of a statement: words, quoted identifiers and
// punctuation, skipping spaces and comments.
class Head {
 public:
  Head(std::string_view s, DbKind d) : s_(s), d_(d) {}
  enum class Tok { word, ident, punct, end, more };
  struct Token {
    Tok kind = Tok::end;
    std::string text;  // a word or identifier (unquoted), or the punctuation character
  };

  Token next() {
    skip();
    Token t;
    if (more_) {
      t.kind = Tok::more;
      return t;
    }
    if (p_ >= s_.size()) return t;
    char c = s_[p_];
    if (c == '`' || c == '"' || (c == '[' && d_ == DbKind::sqlite)) {
      char close = c == '[' ? ']' : c;
      size_t q = p_ + 1;
      std::string id;
      for (;;) {
        if (q >= s_.size()) {
          t.kind = Tok::more;
          more_ = true;
          return t;
        }
        if (s_[q] == close) {
          if (close != ']' && q + 1 < s_.size() && s_[q + 1] == close) {
            id += close;
            q += 2;
            continue;
          }
          if (close != ']' && q + 1 >= s_.size()) {
            t.kind = Tok::more;
            more_ = true;
            return t;
          }
          break;
        }
        id += s_[q++];
      }
      p_ = q + 1;
      t.kind = Tok::ident;
      t.text = std::move(id);
      return t;
    }
    if (ident_char(static_cast<unsigned char>(c))) {
      size_t q = p_;
      while (q < s_.size() && ident_char(static_cast<unsigned char>(s_[q]))) ++q;
      if (q >= s_.size()) {
        t.kind = Tok::more;
        more_ = true;
        return t;
      }
      t.kind = Tok::word;
      t.text = std::string(s_.substr(p_, q - p_));
      p_ = q;
      return t;
    }
    t.kind = Tok::punct;
    t.text = std::string(1, c);
    ++p_;
    return t;
  }
  size_t pos() const { return p_; }
  // The statement starts inside a MySQL versioned comment.
  bool conditional() const { return conditional_; }
  // A token reached the end of the text: what follows may change the answer.
  bool more() const { return more_; }

 private:
  void skip() {
    for (;;) {
      while (p_ < s_.size() && space(s_[p_])) ++p_;
      if (p_ + 1 >= s_.size()) {
        if (p_ < s_.size() && (s_[p_] == '-' || s_[p_] == '/')) more_ = true;
        if (p_ >= s_.size()) more_ = true;
        return;
      }
      if (s_[p_] == '-' && s_[p_ + 1] == '-') {
        size_t e = s_.find('\n', p_);
        if (e == std::string_view::npos) {
          more_ = true;
          return;
        }
        p_ = e + 1;
      } else if (d_ == DbKind::mysql && s_.substr(p_, 3) == "/*!") {
        // A MySQL versioned comment: its content is SQL (/*!40101 SET ... */).
        p_ += 3;
        while (p_ < s_.size() && s_[p_] >= '0' && s_[p_] <= '9') ++p_;
        conditional_ = true;
      } else if (s_[p_] == '/' && s_[p_ + 1] == '*') {
        size_t e = s_.find("*/", p_ + 2);
        if (e == std::string_view::npos) {
          more_ = true;
          return;
        }
        p_ = e + 2;
      } else {
        return;
      }
    }
  }
  std::string_view s_;
  DbKind d_;
  size_t p_ = 0;
  bool more_ = false;
  bool conditional_ = false;
};

enum class Kind { more, insert, copy, create_table, set, other };

struct Classified {
  Kind kind = Kind::other;
  std::string table;
  std::vector<std::string> columns;
  bool has_columns = false;
  size_t body = 0;  // insert: after VALUES; copy: after the ';'
};

// A qualified name: ident ('.' ident)*; the last part, and the whole for messages.
bool read_name(Head& h, Head::Token& t, std::string& name, bool& more) {
  if (t.kind != Head::Tok::word && t.kind != Head::Tok::ident) {
    more = t.kind == Head::Tok::more;
    return false;
  }
  name = t.text;
  for (;;) {
    t = h.next();
    if (t.kind == Head::Tok::more) {
      more = true;
      return false;
    }
    if (t.kind != Head::Tok::punct || t.text != ".") return true;
    t = h.next();
    if (t.kind != Head::Tok::word && t.kind != Head::Tok::ident) {
      more = t.kind == Head::Tok::more;
      return false;
    }
    name += "." + t.text;
  }
}

// '(' name, name ... ')' with `t` at '('; leaves `t` on the token after ')'.
bool read_columns(Head& h, Head::Token& t, std::vector<std::string>& cols, bool& more) {
  for (;;) {
    t = h.next();
    if (t.kind == Head::Tok::more) {
      more = true;
      return false;
    }
    if (t.kind != Head::Tok::word && t.kind != Head::Tok::ident) return false;
    cols.push_back(t.text);
    t = h.next();
    if (t.kind == Head::Tok::more) {
      more = true;
      return false;
    }
    if (t.kind == Head::Tok::punct && t.text == ")") break;
    if (t.kind != Head::Tok::punct || t.text != ",") return false;
  }
  t = h.next();
  if (t.kind == Head::Tok::more) more = true;
  return !more;
}

Classified classify(std::string_view s, DbKind d) {
  Classified c;
  Head h(s, d);
  bool more = false;
  auto done = [&](Kind k) {
    c.kind = more || h.more() ? Kind::more : k;
    return c;
  };
  Head::Token t = h.next();
  if (t.kind == Head::Tok::more) return done(Kind::more);
  if (t.kind != Head::Tok::word) return done(Kind::other);
  if (h.conditional()) return done(iequals(t.text, "SET") ? Kind::set : Kind::other);
  if (iequals(t.text, "INSERT") || iequals(t.text, "REPLACE")) {
    t = h.next();
    while (t.kind == Head::Tok::word &&
           (iequals(t.text, "IGNORE") || iequals(t.text, "LOW_PRIORITY") || iequals(t.text, "DELAYED") ||
            iequals(t.text, "HIGH_PRIORITY") || iequals(t.text, "INTO")))
      t = h.next();
    if (!read_name(h, t, c.table, more)) return done(Kind::other);
    if (t.kind == Head::Tok::punct && t.text == "(") {
      c.has_columns = true;
      if (!read_columns(h, t, c.columns, more)) return done(Kind::other);
    }
    if (t.kind == Head::Tok::word && iequals(t.text, "OVERRIDING")) {
      for (int i = 0; i < 3 && t.kind == Head::Tok::word; ++i) t = h.next();  // OVERRIDING SYSTEM|USER VALUE
      if (t.kind == Head::Tok::more) more = true;
    }
    if (t.kind == Head::Tok::word && (iequals(t.text, "VALUES") || iequals(t.text, "VALUE"))) {
      c.body = h.pos();
      return done(Kind::insert);
    }
    return done(Kind::other);
  }
  if (iequals(t.text, "COPY") && d == DbKind::postgres) {
    t = h.next();
    if (!read_name(h, t, c.table, more)) return done(Kind::other);
    if (t.kind == Head::Tok::punct && t.text == "(") {
      c.has_columns = true;
      if (!read_columns(h, t, c.columns, more)) return done(Kind::other);
    }
    if (t.kind != Head::Tok::word || !iequals(t.text, "FROM")) return done(Kind::other);
    t = h.next();
    if (t.kind != Head::Tok::word || !iequals(t.text, "stdin")) return done(Kind::other);
    t = h.next();
    if (t.kind == Head::Tok::more) return done(Kind::more);
    if (t.kind != Head::Tok::punct || t.text != ";") return done(Kind::other);
    c.body = h.pos();
    return done(Kind::copy);
  }
  if (iequals(t.text, "CREATE")) {
    t = h.next();
    while (t.kind == Head::Tok::word &&
           (iequals(t.text, "OR") || iequals(t.text, "REPLACE") || iequals(t.text, "TEMPORARY") ||
            iequals(t.text, "TEMP") || iequals(t.text, "UNLOGGED") || iequals(t.text, "GLOBAL") ||
            iequals(t.text, "LOCAL")))
      t = h.next();
    if (t.kind == Head::Tok::more) return done(Kind::more);
    if (t.kind != Head::Tok::word || !iequals(t.text, "TABLE")) return done(Kind::other);
    t = h.next();
    if (t.kind == Head::Tok::word && iequals(t.text, "IF")) {
      t = h.next();  // NOT
      t = h.next();  // EXISTS
      t = h.next();
    }
    if (!read_name(h, t, c.table, more)) return done(Kind::other);
    return done(Kind::create_table);
  }
  if (iequals(t.text, "SET")) return done(Kind::set);
  return done(Kind::other);
}

// The column names of a CREATE TABLE statement: the first name of each
// top-level element between its parentheses that is not a constraint.
std::vector<std::string> create_columns(std::string_view s, DbKind d) {
  std::vector<std::string> cols;
  size_t p = 0;
  const size_t n = s.size();
  // Skips a literal, quoted name or comment at p; false when there is none.
  auto skip_quoted = [&]() {
    char c = s[p];
    if (c == '\'' || c == '"' || c == '`' || (c == '[' && d == DbKind::sqlite)) {
      char close = c == '[' ? ']' : c;
      bool backslash = d == DbKind::mysql && c != '`';
      for (++p; p < n; ++p) {
        if (backslash && s[p] == '\\') {
          ++p;
          continue;
        }
        if (s[p] == close) {
          if (close != ']' && p + 1 < n && s[p + 1] == close) {
            ++p;
            continue;
          }
          ++p;
          return true;
        }
      }
      return true;
    }
    if (c == '-' && p + 1 < n && s[p + 1] == '-') {
      size_t e = s.find('\n', p);
      p = e == std::string_view::npos ? n : e + 1;
      return true;
    }
    if (c == '/' && p + 1 < n && s[p + 1] == '*') {
      size_t e = s.find("*/", p + 2);
      p = e == std::string_view::npos ? n : e + 2;
      return true;
    }
    return false;
  };
  while (p < n && s[p] != '(') {
    if (!skip_quoted()) ++p;
  }
  if (p >= n) return cols;
  ++p;
  int depth = 1;
  bool at_start = true;
  while (p < n && depth > 0) {
    char c = s[p];
    if (space(c)) {
      ++p;
      continue;
    }
    if (p + 1 < n && ((c == '-' && s[p + 1] == '-') || (c == '/' && s[p + 1] == '*'))) {
      skip_quoted();  // a comment
      continue;
    }
    if (at_start && depth == 1) {
      at_start = false;
      std::string name;
      if (c == '`' || c == '"' || (c == '[' && d == DbKind::sqlite)) {
        size_t q = p;
        skip_quoted();
        std::string_view raw = s.substr(q + 1, p - q - 2 > n ? 0 : p - q - 2);
        char close = c == '[' ? ']' : c;
        for (size_t i = 0; i < raw.size(); ++i) {
          name += raw[i];
          if (raw[i] == close && close != ']' && i + 1 < raw.size() && raw[i + 1] == close) ++i;
        }
        cols.push_back(name);
        continue;
      }
      if (ident_char(static_cast<unsigned char>(c))) {
        size_t q = p;
        while (p < n && ident_char(static_cast<unsigned char>(s[p]))) ++p;
        name = std::string(s.substr(q, p - q));
        static const char* constraints[] = {"CONSTRAINT", "PRIMARY",  "UNIQUE",  "CHECK",   "FOREIGN", "KEY",
                                            "INDEX",      "FULLTEXT", "SPATIAL", "EXCLUDE", "LIKE",    "PERIOD"};
        if (!std::any_of(std::begin(constraints), std::end(constraints),
                         [&](const char* k) { return iequals(name, k); }))
          cols.push_back(name);
        continue;
      }
    }
    if (skip_quoted()) continue;
    if (c == '(')
      ++depth;
    else if (c == ')')
      --depth;
    else if (c == ',' && depth == 1)
      at_start = true;
    ++p;
  }
  return cols;
}

std::string display_table(std::string name) {
  if (name.rfind("public.", 0) == 0) name = name.substr(7);
  return name;
}

}  // namespace

struct SqlRewriter::Impl {
  enum class St {
    stmt_start,
    delimiter,  // a MySQL DELIMITER line
    meta,       // a psql meta-command line (\restrict, \connect)
    head,       // classifying the statement at head_
    other,      // the rest of a statement that holds no row data
    values,     // the VALUES list of an INSERT
    str,        // inside a quoted literal (ret_ after it)
    hex0x,      // a MySQL 0x... literal
    line_comment,
    block_comment,
    dollar,      // a PostgreSQL $tag$ ... $tag$ string
    bracket,     // a SQLite [identifier]
    copy_eol,    // the rest of a COPY ... FROM stdin; line
    copy_line,   // the start of a COPY data line
    copy_field,  // inside a COPY field
  };

  ByteSink& next;
  const UrlRewriter& urls;
  const DbKind d;
  const SqlRewriteOptions opt;
  RewriteStats stats;

  std::string buf;      // input from base on
  uint64_t base = 0;    // stream offset of buf[0]
  size_t pos = 0;       // where scanning resumes
  size_t out_from = 0;  // buf before this has been handed on
  std::string out;
  char back[2] = {0, 0};  // the two bytes before buf[0]

  St st = St::stmt_start;
  St ret = St::other;  // the state a literal or comment returns to
  std::string delim = ";";
  bool mysql_backslash = true;      // off under NO_BACKSLASH_ESCAPES
  bool pg_standard_strings = true;  // standard_conforming_strings

  size_t head = 0;  // buffer index of the statement being classified
  // The current INSERT or COPY.
  std::string table;
  std::vector<std::string> columns;
  long guid_col = -1;
  int depth = 0;
  long col = 0;
  // CREATE TABLE and SET statements, kept (bounded) to read their columns or setting.
  bool capturing = false;
  Kind capture_kind = Kind::other;
  std::string capture_table;
  std::string capture;
  size_t cap_from = 0;
  std::map<std::string, std::vector<std::string>> create_cols;  // by table name as written

  // The literal being read.
  Lit lit = Lit::doubled;
  char quote = '\'';
  bool in_value = false;  // a row value (else a literal in other SQL, passed as it is)
  size_t vstart = 0;      // buffer index of the value's first byte
  bool oversize = false;
  bool oversize_hit = false;
  std::string dollar_tag;

  // Needle occurrences, as stream offsets, in order.
  std::deque<uint64_t> hits;
  uint64_t searched = 0;  // stream offset up to which needles have been searched for
  size_t longest = 1;

  std::string scratch, rewritten;

  Impl(ByteSink& n, const UrlRewriter& u, DbKind k, SqlRewriteOptions o) : next(n), urls(u), d(k), opt(o) {
    for (auto& s : urls.needles()) longest = std::max(longest, s.size());
  }

  char at(long i) const {
    if (i >= 0) return buf[static_cast<size_t>(i)];
    return i == -1 ? back[1] : back[0];
  }

  void find_needles() {
    if (urls.empty()) return;
    uint64_t end = base + buf.size();
    std::vector<uint64_t> found;
    for (auto& n : urls.needles()) {
      uint64_t from = searched + 1 >= n.size() ? searched + 1 - n.size() : 0;
      if (from < base) from = base;
      const char* p = buf.data() + (from - base);
      const char* e = buf.data() + buf.size();
      while (p + n.size() <= e) {
        auto* q = static_cast<const char*>(::memmem(p, static_cast<size_t>(e - p), n.data(), n.size()));
        if (!q) break;
        found.push_back(base + static_cast<uint64_t>(q - buf.data()));
        p = q + 1;
      }
    }
    std::sort(found.begin(), found.end());
    for (auto f : found)
      if (hits.empty() || f > hits.back()) hits.push_back(f);
    searched = end;
  }

  void write(const char* data, size_t size) {
    buf.append(data, size);
    find_needles();
    run(false);
    flush();
  }

  void close() {
    run(true);
    out.append(buf, out_from, std::string::npos);
    out_from = buf.size();
    flush();
    next.close();
  }

  void flush() {
    // Keep what may still change: a value being read, a head being classified.
    size_t keep = pos;
    if (st == St::head) keep = std::min(keep, head);
    if (in_value && !oversize) keep = std::min(keep, vstart);
    keep = std::max(keep, out_from);
    if (keep > out_from) out.append(buf, out_from, keep - out_from);
    if (capturing) {
      if (capture.size() < (1u << 20) && keep > cap_from) capture.append(buf, cap_from, keep - cap_from);
      cap_from = keep;
    }
    if (keep > 0) {
      back[0] = keep >= 2 ? buf[keep - 2] : back[1];
      back[1] = buf[keep - 1];
      buf.erase(0, keep);
      base += keep;
      pos -= keep;
      head = head >= keep ? head - keep : 0;
      vstart = vstart >= keep ? vstart - keep : 0;
      cap_from -= std::min(cap_from, keep);
      out_from = 0;
    }
    if (!out.empty()) {
      next.write(out.data(), out.size());
      out.clear();
    }
  }

  bool delim_at(size_t p, bool final, bool& wait) const {
    wait = false;
    if (buf[p] != delim[0]) return false;
    if (delim.size() == 1) return true;
    if (p + delim.size() > buf.size()) {
      wait = !final;
      return false;
    }
    return buf.compare(p, delim.size(), delim) == 0;
  }

  void end_statement() {
    if (capturing) {
      if (capture.size() < (1u << 20)) capture.append(buf, cap_from, pos - cap_from);
      if (capture_kind == Kind::create_table) {
        create_cols[capture_table] = create_columns(capture, d);
      } else if (capture_kind == Kind::set) {
        std::string low;
        for (char c : capture) low += lower(c);
        if (d == DbKind::mysql && low.find("sql_mode") != std::string::npos)
          mysql_backslash = low.find("no_backslash_escapes") == std::string::npos;
        if (d == DbKind::postgres && low.find("standard_conforming_strings") != std::string::npos)
          pg_standard_strings = low.find("off") == std::string::npos;
      }
      capturing = false;
      capture.clear();
    }
    st = St::stmt_start;
  }

  void begin_rows(const Classified& c) {
    table = c.table;
    columns = c.has_columns ? c.columns : std::vector<std::string>{};
    if (!c.has_columns)
      if (auto it = create_cols.find(c.table); it != create_cols.end()) columns = it->second;
    guid_col = -1;
    if (!opt.rewrite_guid && iends_with(c.table, "posts"))
      for (size_t i = 0; i < columns.size(); ++i)
        if (iequals(columns[i], "guid")) guid_col = static_cast<long>(i);
    depth = 0;
    col = 0;
  }

  // A quoted literal starts at buf[p] (the quote); prefix: E'' (PostgreSQL), X''.
  void begin_literal(size_t p, bool value) {
    char q = buf[p];
    quote = q;
    char prev = at(static_cast<long>(p) - 1), prev2 = at(static_cast<long>(p) - 2);
    bool prefixed_alone = !ident_char(static_cast<unsigned char>(prev2));
    if (q == '\'' && (prev == 'x' || prev == 'X') && prefixed_alone && d != DbKind::postgres)
      lit = Lit::hex;
    else if (d == DbKind::mysql)
      lit = (q == '`' || !mysql_backslash) ? Lit::doubled : Lit::backslash;
    else if (d == DbKind::postgres)
      lit = q == '\'' && (((prev == 'e' || prev == 'E') && prefixed_alone) || !pg_standard_strings) ? Lit::backslash
                                                                                                    : Lit::doubled;
    else
      lit = q == '\'' ? Lit::sqlite : Lit::doubled;
    in_value = value;
    vstart = p + 1;
    oversize = false;
    oversize_hit = false;
    ret = st;
    st = St::str;
    pos = p + 1;
  }

  // Finishes the value buf[vstart, e): rewritten when a needle lies in it.
  void end_value(size_t e) {
    in_value = false;
    uint64_t vs = base + vstart, ve = base + e;
    while (!hits.empty() && hits.front() < vs) hits.pop_front();
    bool hit = !hits.empty() && hits.front() < ve;
    while (!hits.empty() && hits.front() < ve) hits.pop_front();
    if (oversize) {
      if (hit || oversize_hit) ++stats.tables[display_table(table)].oversized;
      return;
    }
    if (!hit) return;
    if (guid_col >= 0 && col == guid_col) return;
    std::string_view raw(buf.data() + vstart, e - vstart);
    const bool pg = d == DbKind::postgres;
    bool upper = true;
    bool bytea = false;
    switch (lit) {
      case Lit::backslash:
        scratch = unescape_backslash(raw, quote, pg);
        break;
      case Lit::doubled:
        scratch = unescape_doubled(raw, quote, false);
        break;
      case Lit::sqlite:
        scratch = unescape_doubled(raw, '\'', true);
        break;
      case Lit::copy:
        if (raw == "\\N") return;
        scratch = unescape_copy(raw);
        break;
      case Lit::hex: {
        auto h = unhex(raw);
        if (!h) return;
        upper = !has_lower_hex(raw);
        scratch = std::move(*h);
        break;
      }
    }
    if (pg && lit != Lit::hex && scratch.size() >= 2 && scratch[0] == '\\' && scratch[1] == 'x') {
      // bytea in its hex output form
      auto h = unhex(std::string_view(scratch).substr(2));
      if (h) {
        upper = !has_lower_hex(scratch) && scratch.size() > 2;
        scratch = std::move(*h);
        bytea = true;
      }
    }
    auto r = urls.rewrite(scratch, rewritten);
    auto& t = stats.tables[display_table(table)];
    if (r.skipped) ++t.unparsable;
    if (r.replaced == 0) return;
    if (lit == Lit::hex)
      rewritten = tohex(rewritten, upper);
    else if (bytea)
      rewritten = "\\x" + tohex(rewritten, upper);
    std::string enc;
    switch (lit) {
      case Lit::backslash:
        enc = escape_backslash(rewritten, quote, pg);
        break;
      case Lit::doubled:
        enc = escape_doubled(rewritten, quote, false);
        break;
      case Lit::sqlite:
        enc = escape_doubled(rewritten, '\'', true);
        break;
      case Lit::copy:
        enc = escape_copy(rewritten);
        break;
      case Lit::hex:
        enc = std::move(rewritten);
        break;
    }
    out.append(buf, out_from, vstart - out_from);
    out += enc;
    out_from = e;
    t.urls += r.replaced;
    ++t.values;
  }

  // A value that has grown past the limit: hand on what there is and follow it to
  // its end without keeping it.
  void check_size() {
    if (!in_value) return;
    if (!oversize && pos - vstart > opt.max_value) {
      oversize = true;
      while (!hits.empty() && hits.front() < base + vstart) hits.pop_front();
    }
    // What is handed on of it no longer counts for the needles: note them now.
    if (oversize)
      while (!hits.empty() && hits.front() < base + pos) {
        oversize_hit = true;
        hits.pop_front();
      }
  }

  void run(bool final) {
    const size_t n = buf.size();
    bool wait = false;
    // Moves pos just past the next `c`; false, with pos at the end, when what is
    // buffered holds none (the state stays: the next chunk goes on looking).
    auto skip_past = [&](char c) {
      const void* e = std::memchr(buf.data() + pos, c, n - pos);
      if (!e) {
        pos = n;
        return false;
      }
      pos = static_cast<size_t>(static_cast<const char*>(e) - buf.data()) + 1;
      return true;
    };
    while (pos < n && !wait) {
      switch (st) {
        case St::stmt_start: {
          while (pos < n && space(buf[pos])) ++pos;
          if (pos >= n) break;
          char c = buf[pos];
          if (c == ';') {
            ++pos;
            break;
          }
          if ((c == '-' || c == '/') && pos + 1 >= n && !final) {
            wait = true;
            break;
          }
          if (c == '-' && pos + 1 < n && buf[pos + 1] == '-') {
            ret = St::stmt_start;
            st = St::line_comment;
            break;
          }
          if (c == '#' && d == DbKind::mysql) {
            ret = St::stmt_start;
            st = St::line_comment;
            break;
          }
          if (c == '/' && pos + 1 < n && buf[pos + 1] == '*' &&
              !(d == DbKind::mysql && pos + 2 < n && buf[pos + 2] == '!')) {
            if (pos + 2 >= n && !final && d == DbKind::mysql) {
              wait = true;
              break;
            }
            ret = St::stmt_start;
            st = St::block_comment;
            pos += 2;
            break;
          }
          if (c == '\\' && d == DbKind::postgres) {
            st = St::meta;
            break;
          }
          if (d == DbKind::mysql && (c == 'D' || c == 'd')) {
            if (pos + 10 > n && !final) {
              wait = true;
              break;
            }
            if (pos + 10 <= n && iequals(std::string_view(buf).substr(pos, 9), "DELIMITER") && space(buf[pos + 9])) {
              st = St::delimiter;
              break;
            }
          }
          head = pos;
          st = St::head;
          break;
        }
        case St::delimiter:
        case St::meta: {
          size_t e = buf.find('\n', pos);
          if (e == std::string::npos) {
            if (!final) {
              wait = true;
              break;
            }
            e = n;
          }
          if (st == St::delimiter && e > pos + 10) {
            // The mysql client's DELIMITER takes the first word of the line.
            std::string_view line = std::string_view(buf).substr(pos + 10, e - pos - 10);
            while (!line.empty() && space(line.front())) line.remove_prefix(1);
            size_t w = 0;
            while (w < line.size() && !space(line[w])) ++w;
            if (w > 0) delim = std::string(line.substr(0, w));
          }
          pos = std::min(e + 1, n);
          st = St::stmt_start;
          break;
        }
        case St::head: {
          Classified c = classify(std::string_view(buf).substr(head), d);
          if (c.kind == Kind::more) {
            if (!final && n - head < (64u << 10)) {
              wait = true;
              break;
            }
            c.kind = Kind::other;
          }
          pos = head;
          switch (c.kind) {
            case Kind::insert:
              begin_rows(c);
              pos = head + c.body;
              st = St::values;
              break;
            case Kind::copy:
              begin_rows(c);
              pos = head + c.body;
              st = St::copy_eol;
              break;
            case Kind::create_table:
            case Kind::set:
              capturing = true;
              capture_kind = c.kind;
              capture_table = c.table;
              capture.clear();
              cap_from = head;
              st = St::other;
              break;
            default:
              st = St::other;
          }
          break;
        }
        case St::other:
          scan_sql(final, wait, false);
          break;
        case St::values:
          scan_sql(final, wait, true);
          break;
        case St::str:
          scan_literal(final, wait);
          break;
        case St::hex0x: {
          while (pos < n && hex_digit(buf[pos])) ++pos;
          check_size();
          if (pos >= n && !final) {
            wait = true;
            break;
          }
          end_value(pos);
          st = St::values;
          break;
        }
        case St::line_comment:
          if (skip_past('\n')) st = ret;
          break;
        case St::block_comment: {
          size_t e = buf.find("*/", pos);
          if (e == std::string::npos) {
            pos = n > pos + 1 ? n - 1 : pos;  // a '*' at the end may start "*/"
            if (final)
              pos = n;
            else
              wait = true;
            break;
          }
          pos = e + 2;
          st = ret;
          break;
        }
        case St::dollar: {
          size_t e = buf.find(dollar_tag, pos);
          if (e == std::string::npos) {
            size_t keep = dollar_tag.size() - 1;
            pos = n - pos > keep ? n - keep : pos;
            if (final)
              pos = n;
            else
              wait = true;
            break;
          }
          pos = e + dollar_tag.size();
          st = ret;
          break;
        }
        case St::bracket:
          if (skip_past(']')) st = ret;
          break;
        case St::copy_eol:
          if (skip_past('\n')) st = St::copy_line;
          break;
        case St::copy_line: {
          if (buf[pos] == '\\') {
            if (pos + 2 >= n && !final) {
              wait = true;
              break;
            }
            if (pos + 1 < n && buf[pos + 1] == '.' &&
                (pos + 2 >= n || buf[pos + 2] == '\n' || (buf[pos + 2] == '\r'))) {
              size_t e = buf.find('\n', pos);
              pos = e == std::string::npos ? n : e + 1;
              st = St::stmt_start;
              break;
            }
          }
          col = 0;
          lit = Lit::copy;
          in_value = true;
          vstart = pos;
          oversize = false;
          oversize_hit = false;
          st = St::copy_field;
          break;
        }
        case St::copy_field: {
          const char* p = buf.data() + pos;
          const char* e = buf.data() + n;
          while (p < e && *p != '\t' && *p != '\n' && *p != '\\') ++p;
          pos = static_cast<size_t>(p - buf.data());
          check_size();
          if (p == e) break;
          if (*p == '\\') {
            if (pos + 1 >= n) {
              if (final)
                pos = n;
              else
                wait = true;
              break;
            }
            pos += 2;
            break;
          }
          end_value(pos);
          ++pos;
          if (*p == '\t') {
            ++col;
            in_value = true;
            vstart = pos;
            oversize = false;
            oversize_hit = false;
          } else {
            st = St::copy_line;
          }
          break;
        }
      }
    }
    if (final && in_value) in_value = false;  // a dump cut short: passed on as it is
  }

  // SQL outside literals: in a VALUES list (`rows`), or any other statement.
  void scan_sql(bool final, bool& wait, bool rows) {
    const size_t n = buf.size();
    while (pos < n) {
      char c = buf[pos];
      switch (c) {
        case '\'':
        case '"':
        case '`': {
          bool value = rows && depth >= 1 && (c == '\'' || (c == '"' && d == DbKind::mysql));
          begin_literal(pos, value);
          return;
        }
        case '[':
          if (d == DbKind::sqlite) {
            ret = st;
            st = St::bracket;
            ++pos;
            return;
          }
          break;
        case '-':
          if (pos + 1 >= n) {
            if (!final)
              wait = true;
            else
              ++pos;
            return;
          }
          if (buf[pos + 1] == '-' && d == DbKind::mysql && pos + 2 >= n && !final) {
            wait = true;  // MySQL: "--" starts a comment only before a space
            return;
          }
          if (buf[pos + 1] == '-' && (d != DbKind::mysql || pos + 2 >= n || space(buf[pos + 2]) ||
                                      static_cast<unsigned char>(buf[pos + 2]) < ' ')) {
            ret = st;
            st = St::line_comment;
            return;
          }
          break;
        case '#':
          if (d == DbKind::mysql) {
            ret = st;
            st = St::line_comment;
            return;
          }
          break;
        case '/':
          if (pos + 1 >= n) {
            if (!final)
              wait = true;
            else
              ++pos;
            return;
          }
          if (buf[pos + 1] == '*') {
            ret = st;
            st = St::block_comment;
            pos += 2;
            return;
          }
          break;
        case '$':
          if (d == DbKind::postgres && !ident_char(static_cast<unsigned char>(at(static_cast<long>(pos) - 1)))) {
            size_t q = pos + 1;
            while (q < n && (std::isalnum(static_cast<unsigned char>(buf[q])) || buf[q] == '_')) ++q;
            if (q >= n) {
              if (!final)
                wait = true;
              else
                pos = n;
              return;
            }
            if (buf[q] == '$' && !(q > pos + 1 && std::isdigit(static_cast<unsigned char>(buf[pos + 1])))) {
              dollar_tag = buf.substr(pos, q + 1 - pos);
              ret = st;
              st = St::dollar;
              pos = q + 1;
              return;
            }
          }
          break;
        case '0':
          if (rows && d == DbKind::mysql && depth >= 1 &&
              !ident_char(static_cast<unsigned char>(at(static_cast<long>(pos) - 1)))) {
            if (pos + 1 >= n) {
              if (!final)
                wait = true;
              else
                ++pos;
              return;
            }
            if (buf[pos + 1] == 'x') {
              lit = Lit::hex;
              in_value = true;
              vstart = pos + 2;
              oversize = false;
              oversize_hit = false;
              pos += 2;
              st = St::hex0x;
              return;
            }
          }
          break;
        case '(':
          if (rows && ++depth == 1) col = 0;
          break;
        case ')':
          if (rows) --depth;
          break;
        case ',':
          if (rows && depth == 1) ++col;
          break;
        default:
          break;
      }
      if (c == delim[0] && (!rows || depth <= 0)) {
        bool w = false;
        if (delim_at(pos, final, w)) {
          pos += delim.size();
          end_statement();
          return;
        }
        if (w) {
          wait = true;
          return;
        }
      }
      ++pos;
      // Runs of characters that mean nothing here.
      while (pos < n) {
        char k = buf[pos];
        if (k == '\'' || k == '"' || k == '`' || k == '[' || k == '-' || k == '#' || k == '/' || k == '$' || k == '0' ||
            k == '(' || k == ')' || k == ',' || k == delim[0])
          break;
        ++pos;
      }
    }
  }

  void scan_literal(bool final, bool& wait) {
    const size_t n = buf.size();
    const char* b = buf.data();
    for (;;) {
      const char* p = b + pos;
      const char* e = b + n;
      if (lit == Lit::backslash) {
        while (p < e && *p != quote && *p != '\\') ++p;
      } else {
        const void* q = std::memchr(p, quote, static_cast<size_t>(e - p));
        p = q ? static_cast<const char*>(q) : e;
      }
      pos = static_cast<size_t>(p - b);
      check_size();
      if (p == e) return;
      if (*p == '\\') {
        if (pos + 1 >= n) {
          if (final)
            pos = n;
          else
            wait = true;
          return;
        }
        pos += 2;
        continue;
      }
      // A quote: doubled, a SQLite CR joiner, or the end.
      if (pos + 1 >= n && !final) {
        wait = true;
        return;
      }
      if (pos + 1 < n && buf[pos + 1] == quote) {
        pos += 2;
        continue;
      }
      if (lit == Lit::sqlite && in_value && pos + 1 < n && buf[pos + 1] == '|') {
        if (pos + kSqliteCr.size() > n && !final) {
          wait = true;
          return;
        }
        if (std::string_view(buf).substr(pos, kSqliteCr.size()) == kSqliteCr) {
          pos += kSqliteCr.size();
          continue;
        }
      }
      if (in_value) end_value(pos);
      ++pos;
      st = ret;
      return;
    }
  }
};

SqlRewriter::SqlRewriter(ByteSink& next, const UrlRewriter& urls, DbKind dialect, SqlRewriteOptions options)
    : impl_(std::make_unique<Impl>(next, urls, dialect, options)) {}
SqlRewriter::~SqlRewriter() = default;
void SqlRewriter::write(const char* data, size_t size) { impl_->write(data, size); }
void SqlRewriter::close() { impl_->close(); }
const RewriteStats& SqlRewriter::stats() const noexcept { return impl_->stats; }

SqlRewriteSource::SqlRewriteSource(ByteSource& in, const UrlRewriter& urls, DbKind dialect, SqlRewriteOptions options)
    : in_(in), rewriter_(buffer_, urls, dialect, options), chunk_(1 << 20) {}
SqlRewriteSource::~SqlRewriteSource() = default;

size_t SqlRewriteSource::read(char* data, size_t size) {
  while (pos_ == buffer_.data.size()) {
    buffer_.data.clear();
    pos_ = 0;
    if (done_) return 0;
    size_t n = in_.read(chunk_.data(), chunk_.size());
    if (n == 0) {
      rewriter_.close();
      done_ = true;
    } else {
      rewriter_.write(chunk_.data(), n);
    }
  }
  size_t n = std::min(size, buffer_.data.size() - pos_);
  std::memcpy(data, buffer_.data.data() + pos_, n);
  pos_ += n;
  return n;
}

const RewriteStats& SqlRewriteSource::stats() const noexcept { return rewriter_.stats(); }

}  // namespace gp
