// Property test of the rewrite: random nested PHP values holding URLs in every
// form (and look-alikes that must stay), serialized (sometimes twice), embedded in
// each engine's SQL literals, written to the rewriter in random chunks. Each
// rewritten value must be byte for byte the serialization of the expected value
// (every URL replaced, lengths right), the same whatever the chunking, and must
// unserialize with the real PHP (php-cli) to that value. The seed is printed;
// GP_PROPERTY_SEED=<n> replays one run.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <random>

#include "content/rewrite.hpp"
#include "fixture.hpp"
#include "util/process.hpp"

namespace gp {
namespace {

struct StringSink final : ByteSink {
  std::string data;
  void write(const char* d, size_t n) override { data.append(d, n); }
};

// A piece of a string: how it is stored before the move and after it.
struct Piece {
  std::string before, after;
};

const std::vector<Piece> kUrlPieces = {
    {"https://www.example.com", "https://test.example.com"},
    {"https://www.example.com/wp-content/a.png", "https://test.example.com/wp-content/a.png"},
    {"http://www.example.com/?p=1", "http://test.example.com/?p=1"},
    {"//www.example.com/x", "//test.example.com/x"},
    {"www.example.com", "test.example.com"},
    {"https:\\/\\/www.example.com\\/j", "https:\\/\\/test.example.com\\/j"},
    {"https%3A%2F%2Fwww.example.com%2Fq", "https%3A%2F%2Ftest.example.com%2Fq"},
    {"https://example.com/z", "https://test.example.com/z"},
    {"mailto:me@www.example.com", "mailto:me@test.example.com"},
    // look-alikes that stay
    {"cdn.www.example.com", "cdn.www.example.com"},
    {"www.example.com.evil", "www.example.com.evil"},
    {"https://www.example.community", "https://www.example.community"},
    {"notwww.example.com", "notwww.example.com"},
};
// Characters between pieces (never a host character, so pieces keep their meaning).
const std::vector<std::string> kSeparators = {" ", "'", "\"",  "\\", "\n",   "\r\n", "\t", ";", "{", "}",
                                              "<", ">", "\\'", "''", "\\\\", "\x1a", ",",  "(", ")"};
const std::vector<std::string> kWords = {"hello", "it", "caf\xc3\xa9", "\xf0\x9f\x98\x80", "s", "a", "O", "x1",
                                         "wp",    "N"};

// A PHP value: the model of what serialize() writes, before and after the move.
struct Value {
  enum Kind { null, boolean, integer, real, string, array, object } kind = null;
  std::string before, after;      // scalars: their serialization; strings: content
  std::vector<std::string> keys;  // serialized ("i:3;" / "s:2:\"k1\";"), one per member
  std::vector<Value> members;
};

std::string ser(const Value& v, bool after) {
  switch (v.kind) {
    case Value::string: {
      const std::string& s = after ? v.after : v.before;
      return "s:" + std::to_string(s.size()) + ":\"" + s + "\";";
    }
    case Value::array:
    case Value::object: {
      std::string o = v.kind == Value::array ? "a:" : "O:8:\"stdClass\":";
      o += std::to_string(v.members.size()) + ":{";
      for (size_t i = 0; i < v.members.size(); ++i) o += v.keys[i] + ser(v.members[i], after);
      return o + "}";
    }
    default:
      return v.before;
  }
}

class Gen {
 public:
  explicit Gen(uint64_t seed, bool nul) : rng_(seed), nul_(nul) {}
  size_t pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  bool chance(int percent) { return static_cast<int>(pick(100)) < percent; }

  Piece text(int depth) {
    Piece p;
    size_t n = 1 + pick(6);
    for (size_t i = 0; i < n; ++i) {
      if (i) {
        const std::string& s = kSeparators[pick(kSeparators.size())];
        p.before += s;
        p.after += s;
      }
      if (depth < 2 && chance(8)) {
        // A serialized value inside the string (WordPress' double serialization).
        Value inner = value(depth + 1);
        p.before += ser(inner, false);
        p.after += ser(inner, true);
      } else if (chance(45)) {
        const Piece& u = kUrlPieces[pick(kUrlPieces.size())];
        p.before += u.before;
        p.after += u.after;
      } else {
        std::string w = kWords[pick(kWords.size())];
        if (nul_ && chance(5)) w += std::string(1, '\0');
        p.before += w;
        p.after += w;
      }
    }
    return p;
  }

  Value value(int depth) {
    Value v;
    size_t k = depth >= 4 ? pick(5) : pick(8);
    switch (k) {
      case 0:
        v.kind = Value::null;
        v.before = "N;";
        break;
      case 1:
        v.kind = Value::boolean;
        v.before = chance(50) ? "b:1;" : "b:0;";
        break;
      case 2:
        v.kind = Value::integer;
        v.before = "i:" + std::to_string(static_cast<int>(pick(2000000)) - 1000000) + ";";
        break;
      case 3: {
        static const char* reals[] = {"0.5", "-1.25", "3.75", "1.0E+25", "0.1"};
        v.kind = Value::real;
        v.before = std::string("d:") + reals[pick(5)] + ";";
        break;
      }
      case 4: {
        v.kind = Value::string;
        Piece p = text(depth);
        v.before = p.before;
        v.after = p.after;
        break;
      }
      default: {
        v.kind = chance(70) ? Value::array : Value::object;
        size_t n = pick(5);
        for (size_t i = 0; i < n; ++i) {
          std::string key;
          if (v.kind == Value::array && chance(50))
            key = "i:" + std::to_string(i) + ";";
          else {
            std::string name = (v.kind == Value::array ? "k" : "p") + std::to_string(i);
            key = "s:" + std::to_string(name.size()) + ":\"" + name + "\";";
          }
          v.keys.push_back(key);
          v.members.push_back(value(depth + 1));
        }
      }
    }
    return v;
  }

  // A row value: serialized data (mostly, `serialized` set), or plain text with URLs.
  Piece row(bool& serialized) {
    serialized = false;
    if (chance(20)) return text(0);
    serialized = true;
    Value v = value(chance(50) ? 3 : 0);
    if (v.kind != Value::array && v.kind != Value::object && chance(70)) {
      Value a;
      a.kind = Value::array;
      a.keys.push_back("i:0;");
      a.members.push_back(v);
      v = a;
    }
    return {ser(v, false), ser(v, true)};
  }

  std::mt19937_64& rng() { return rng_; }

 private:
  std::mt19937_64 rng_;
  bool nul_;
};

// --- each engine's literals, and a reader of them independent of lib/content ---

std::string mysql_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '\0':
        o += "\\0";
        break;
      case '\'':
        o += "\\'";
        break;
      case '"':
        o += "\\\"";
        break;
      case '\\':
        o += "\\\\";
        break;
      case '\n':
        o += "\\n";
        break;
      case '\r':
        o += "\\r";
        break;
      case '\x1a':
        o += "\\Z";
        break;
      default:
        o += c;
    }
  }
  return o;
}
std::string copy_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '\\':
        o += "\\\\";
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
      default:
        o += c;
    }
  }
  return o;
}
std::string doubled(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '\'') o += '\'';
    o += c;
  }
  return o;
}
// Our SQLite dumper's form of a TEXT value (lib/db/sqlite.cpp).
std::string sqlite_literal(const std::string& s) {
  std::string o = "'";
  bool cr = false;
  for (char c : s) {
    if (c == '\r') {
      o += "'||char(13)||'";
      cr = true;
      continue;
    }
    if (c == '\'') o += '\'';
    o += c;
  }
  o += "'";
  return cr ? "(" + o + ")" : o;
}

// The literals after "(<id>,'" in order: MySQL backslash rules or doubled quotes.
std::vector<std::string> read_literals(const std::string& sql, bool backslash) {
  std::vector<std::string> out;
  for (size_t at = 0;;) {
    size_t s = sql.find(",'", at);
    if (s == std::string::npos) break;
    std::string v;
    size_t i = s + 2;
    for (; i < sql.size(); ++i) {
      char c = sql[i];
      if (backslash && c == '\\') {
        char n = sql[++i];
        switch (n) {
          case '0':
            v += '\0';
            break;
          case 'n':
            v += '\n';
            break;
          case 'r':
            v += '\r';
            break;
          case 't':
            v += '\t';
            break;
          case 'Z':
            v += '\x1a';
            break;
          case 'b':
            v += '\b';
            break;
          default:
            v += n;
        }
        continue;
      }
      if (c == '\'') {
        if (i + 1 < sql.size() && sql[i + 1] == '\'') {
          v += '\'';
          ++i;
          continue;
        }
        break;
      }
      v += c;
    }
    out.push_back(v);
    at = i + 1;
  }
  return out;
}

std::vector<std::string> read_copy(const std::string& sql) {
  std::vector<std::string> out;
  size_t start = sql.find("FROM stdin;\n");
  size_t p = start + 12;
  for (;;) {
    size_t e = sql.find('\n', p);
    std::string line = sql.substr(p, e - p);
    if (line == "\\.") break;
    std::string field = line.substr(line.find('\t') + 1);
    std::string v;
    for (size_t i = 0; i < field.size(); ++i) {
      if (field[i] != '\\') {
        v += field[i];
        continue;
      }
      char n = field[++i];
      v += n == 'n' ? '\n' : n == 'r' ? '\r' : n == 't' ? '\t' : n;
    }
    out.push_back(v);
    p = e + 1;
  }
  return out;
}

std::vector<std::string> read_sqlite(const std::string& sql, const fs::path& file) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
  sqlite3_free(err);
  std::vector<std::string> out;
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "SELECT option_value FROM wp_options ORDER BY option_id", -1, &st, nullptr);
  while (sqlite3_step(st) == SQLITE_ROW)
    out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)),
                     static_cast<size_t>(sqlite3_column_bytes(st, 0)));
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

std::string base64(const std::string& s) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string o;
  size_t i = 0;
  for (; i + 2 < s.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(s[i]) << 16) | (static_cast<unsigned char>(s[i + 1]) << 8) |
                 static_cast<unsigned char>(s[i + 2]);
    o += t[v >> 18];
    o += t[(v >> 12) & 63];
    o += t[(v >> 6) & 63];
    o += t[v & 63];
  }
  if (i < s.size()) {
    unsigned v = static_cast<unsigned char>(s[i]) << 16;
    if (i + 1 < s.size()) v |= static_cast<unsigned char>(s[i + 1]) << 8;
    o += t[v >> 18];
    o += t[(v >> 12) & 63];
    o += i + 1 < s.size() ? t[(v >> 6) & 63] : '=';
    o += '=';
  }
  return o;
}

// Checks with the real PHP: each line holds base64(got) and base64(want); got
// must unserialize (and so must every serialized string inside it), and
// serialize(unserialize(got)) must be want (the expected structure).
const char* kPhpCheck = R"PHP(
function deep($v, &$bad) {
  if (is_string($v) && preg_match('/^(a|O|s):[0-9]+:/', $v)) {
    $u = @unserialize($v);
    if ($u === false) { $bad++; return; }
    deep($u, $bad);
  } elseif (is_array($v) || is_object($v)) {
    foreach ((array)$v as $m) deep($m, $bad);
  }
}
$n = 0; $bad = 0;
foreach (file($argv[1], FILE_IGNORE_NEW_LINES) as $line) {
  [$got, $want] = array_map('base64_decode', explode("\t", $line));
  $v = @unserialize($got);
  if ($v === false && $got !== 'b:0;') { echo "does not unserialize: ", $got, "\n"; $bad++; continue; }
  if (serialize($v) !== $want) { echo "unexpected value: ", serialize($v), "\n  want: ", $want, "\n"; $bad++; }
  deep($v, $bad);
  $n++;
}
echo "checked $n\n";
exit($bad ? 1 : 0);
)PHP";

class RewriteProperty : public test::TempDirTest {};

TEST_F(RewriteProperty, RandomSerializedValuesInEveryEngineUnserializeInPhp) {
  ASSERT_TRUE(program_available("php")) << "php-cli is needed (scripts/install-deps.sh)";
  uint64_t seed = std::random_device{}();
  if (const char* s = std::getenv("GP_PROPERTY_SEED")) seed = std::strtoull(s, nullptr, 10);
  std::cout << "[ property ] seed " << seed << " (GP_PROPERTY_SEED=" << seed << " replays it)" << std::endl;
  RecordProperty("seed", std::to_string(seed));

  UrlRewriter urls(std::vector<UrlPair>{{"https://www.example.com", "https://test.example.com"},
                                        {"https://example.com", "https://test.example.com"}});
  std::ofstream php_lines(root() / "values.txt", std::ios::binary);
  size_t checked = 0;
  enum Style { mysql, pg_copy, pg_insert, sqlite };
  for (int round = 0; round < 12; ++round) {
    for (Style style : {mysql, pg_copy, pg_insert, sqlite}) {
      Gen g(seed * 31 + static_cast<uint64_t>(round) * 4 + style, style == mysql);
      std::vector<Piece> rows;
      std::vector<bool> serialized;
      for (int i = 0; i < 25; ++i) {
        bool ser_row = false;
        rows.push_back(g.row(ser_row));
        serialized.push_back(ser_row);
      }
      std::string sql;
      DbKind d = style == mysql ? DbKind::mysql : style == sqlite ? DbKind::sqlite : DbKind::postgres;
      if (style == mysql) {
        sql =
            "CREATE TABLE `wp_options` (\n  `option_id` bigint,\n  `option_value` longtext\n);\nINSERT INTO "
            "`wp_options` VALUES ";
        for (size_t i = 0; i < rows.size(); ++i)
          sql += (i ? "," : "") + ("(" + std::to_string(i + 1) + ",'" + mysql_escape(rows[i].before) + "')");
        sql += ";\n-- Dump completed\n";
      } else if (style == pg_copy) {
        sql = "COPY public.wp_options (option_id, option_value) FROM stdin;\n";
        for (size_t i = 0; i < rows.size(); ++i)
          sql += std::to_string(i + 1) + "\t" + copy_escape(rows[i].before) + "\n";
        sql += "\\.\n";
      } else if (style == pg_insert) {
        for (size_t i = 0; i < rows.size(); ++i)
          sql += "INSERT INTO public.wp_options (option_id, option_value) VALUES (" + std::to_string(i + 1) + ",'" +
                 doubled(rows[i].before) + "');\n";
      } else {
        sql = "BEGIN TRANSACTION;\nCREATE TABLE wp_options (option_id INTEGER PRIMARY KEY, option_value TEXT);\n";
        for (size_t i = 0; i < rows.size(); ++i)
          sql += "INSERT INTO \"wp_options\" VALUES(" + std::to_string(i + 1) + "," + sqlite_literal(rows[i].before) +
                 ");\n";
        sql += "COMMIT;\n";
      }
      // Written whole, and in random chunks (one byte to a few hundred).
      std::string whole;
      {
        StringSink out;
        SqlRewriter r(out, urls, d);
        r.write(sql.data(), sql.size());
        r.close();
        whole = out.data;
      }
      for (int k = 0; k < 3; ++k) {
        StringSink out;
        SqlRewriter r(out, urls, d);
        size_t max_chunk = k == 0 ? 2 : k == 1 ? 17 : 400;
        for (size_t at = 0; at < sql.size();) {
          size_t n = std::min(sql.size() - at, 1 + g.pick(max_chunk));
          r.write(sql.data() + at, n);
          at += n;
        }
        r.close();
        ASSERT_EQ(out.data, whole) << "seed " << seed << " style " << style << ": chunking changed the output";
      }
      std::vector<std::string> got;
      if (style == mysql)
        got = read_literals(whole, true);
      else if (style == pg_insert)
        got = read_literals(whole, false);
      else if (style == pg_copy)
        got = read_copy(whole);
      else
        got = read_sqlite(whole, root() / ("r" + std::to_string(round) + ".sqlite"));
      ASSERT_EQ(got.size(), rows.size()) << "seed " << seed << " style " << style << "\n" << whole;
      for (size_t i = 0; i < rows.size(); ++i) {
        ASSERT_EQ(got[i], rows[i].after) << "seed " << seed << " style " << style << " row " << i + 1
                                         << "\nbefore: " << rows[i].before;
        if (serialized[i]) {
          php_lines << base64(got[i]) << "\t" << base64(rows[i].after) << "\n";
          ++checked;
        }
      }
    }
  }
  php_lines.close();
  ASSERT_GT(checked, 100u);
  ProcessSpec spec;
  spec.argv = {"php", "-r", kPhpCheck, (root() / "values.txt").string()};
  auto r = run_capture(spec);
  EXPECT_EQ(r.status, 0) << "seed " << seed << ": " << r.out << r.err;
  EXPECT_NE(r.out.find("checked " + std::to_string(checked)), std::string::npos) << r.out << r.err;
}

}  // namespace
}  // namespace gp
