#pragma once
// URL and domain rewriting of a database that moves from one environment to
// another (lib/content/README.md has the rules and their reasons).
//
// UrlRewriter: the replacement of one value's text. Each pair FROM=TO becomes
//   the forms a site stores a URL in: plain (https://www.example.com), JSON-escaped
//   (https:\/\/www.example.com), URL-encoded (https%3A%2F%2Fwww.example.com, either
//   case of hex), protocol-relative (//www.example.com) and the bare host
//   (www.example.com), a host matching only as a whole host (not inside
//   cdn.www.example.com, myexample.com or www.example.com.evil). PHP-serialized
//   data (s:N:"...", a:N:{...}, O:..., C:..., nested, also inside other strings) is
//   parsed and rewritten with every string's byte length corrected; serialized-
//   looking data that does not parse is left as it is (never a wrong length).
// SqlRewriter: a ByteSink in front of another that rewrites every string value
//   of the row data of an SQL dump (mysqldump's INSERT ... VALUES, pg_dump's COPY
//   blocks and INSERTs, our SQLite dumper's INSERT INTO ... VALUES(...)), one value
//   at a time: unescaped with the engine's literal rules, rewritten, escaped again.
//   Memory is bounded by the largest value (values over `max_value` bytes pass as
//   they are and are counted). The guid column of `*posts` tables is left alone
//   unless asked.
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "util/stream.hpp"

namespace gp {

// One replacement: FROM and TO are URLs (http[s]://host[:port][/path]) or bare
// hosts (host[:port][/path]), trailing '/' ignored.
struct UrlPair {
  std::string from, to;
  bool operator==(const UrlPair&) const = default;
};

// FROM=TO of --rewrite; gp::Error(Exit::usage) naming what is wrong.
UrlPair parse_url_pair(const std::string& arg);

// The pairs that move a database from `from` to `to`: from's i-th URL becomes
// to's i-th, from's URLs beyond to's count become to's first. Empty when either
// has no URL or they are the same.
std::vector<UrlPair> env_url_pairs(const EnvConfig& from, const EnvConfig& to);

class UrlRewriter {
 public:
  // Compiles `pairs` (earlier pairs win where two match the same text); pairs whose
  // FROM equals TO are dropped. gp::Error(Exit::usage) for an invalid URL.
  explicit UrlRewriter(const std::vector<UrlPair>& pairs);
  UrlRewriter(const UrlRewriter&) = delete;
  UrlRewriter& operator=(const UrlRewriter&) = delete;
  ~UrlRewriter();

  bool empty() const noexcept;
  // The pairs in effect (normalised), for messages.
  const std::vector<UrlPair>& pairs() const noexcept;
  // The byte strings whose presence makes a value worth rewriting: each source
  // host, and its hex encoding in upper and lower case (for BLOBs dumped as hex).
  const std::vector<std::string>& needles() const noexcept;

  struct Result {
    uint64_t replaced = 0;  // URLs and hosts replaced
    bool skipped = false;   // a part that looks serialized but does not parse holds a source host: left as it was
  };
  // Rewrites `in` into `out` (replacing its content). `out` equals `in` when
  // nothing was replaced.
  Result rewrite(std::string_view in, std::string& out) const;

  struct Impl;  // the compiled forms (rewrite.cpp)

 private:
  std::unique_ptr<Impl> impl_;
};

// What a rewrite did, by table (as the dump names it, without quotes or a
// "public." schema).
struct TableRewrites {
  uint64_t urls = 0;        // replacements
  uint64_t values = 0;      // values changed
  uint64_t unparsable = 0;  // values holding serialized-looking data that does not parse, left as they were
  uint64_t oversized = 0;   // values over the size limit that held a source host, left as they were
};
struct RewriteStats {
  std::map<std::string, TableRewrites> tables;
  uint64_t urls() const;
  uint64_t values() const;
  uint64_t unparsable() const;
  uint64_t oversized() const;
};

struct SqlRewriteOptions {
  bool rewrite_guid = false;            // also rewrite the guid column of *posts tables
  size_t max_value = size_t(64) << 20;  // larger values pass unrewritten (counted in `oversized`)
};

// Rewrites the string values of the row data of an SQL dump of `dialect` on
// their way to `next` (see the top of this file). Output equals input outside the
// rewritten values; a dump it cannot follow passes unchanged. close() hands on
// what is left and closes `next`.
class SqlRewriter final : public ByteSink {
 public:
  SqlRewriter(ByteSink& next, const UrlRewriter& urls, DbKind dialect, SqlRewriteOptions options = {});
  ~SqlRewriter() override;
  void write(const char* data, size_t size) override;
  void close() override;
  const RewriteStats& stats() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A ByteSource that reads a dump from `in` and hands it on rewritten by a
// SqlRewriter (for db->load(), which reads). Memory: the rewriter's, plus about
// one chunk.
class SqlRewriteSource final : public ByteSource {
 public:
  SqlRewriteSource(ByteSource& in, const UrlRewriter& urls, DbKind dialect, SqlRewriteOptions options = {});
  ~SqlRewriteSource() override;
  size_t read(char* data, size_t size) override;
  const RewriteStats& stats() const noexcept;

 private:
  struct Buffer final : ByteSink {
    std::string data;
    void write(const char* d, size_t n) override { data.append(d, n); }
  };
  ByteSource& in_;
  Buffer buffer_;
  SqlRewriter rewriter_;
  std::vector<char> chunk_;
  size_t pos_ = 0;
  bool done_ = false;
};

}  // namespace gp
