// UrlRewriter: the forms of each pair, the whole-host rule, PHP-serialized data.
#include "content/rewrite.hpp"

#include <algorithm>
#include <cstring>

#include "util/error.hpp"

namespace gp {

namespace {

bool host_char(unsigned char c) { return std::isalnum(c) || c == '.' || c == '-' || c == '_' || c >= 0x80; }
// A character that continues a host name or path segment after a match (a '.'
// continues it only when a host character follows).
bool word_char(unsigned char c) { return std::isalnum(c) || c == '-' || c == '_' || c >= 0x80; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

struct Endpoint {
  std::string scheme;  // "http", "https" or empty (a bare host)
  std::string host;    // with the port
  std::string path;    // "" or "/..." without a trailing '/'
};

// Splits a normalised URL or host.
Endpoint split(const std::string& u) {
  Endpoint e;
  std::string rest = u;
  if (auto at = rest.find("://"); at != std::string::npos) {
    e.scheme = rest.substr(0, at);
    rest = rest.substr(at + 3);
  } else if (rest.rfind("//", 0) == 0) {
    rest = rest.substr(2);
  }
  auto slash = rest.find('/');
  e.host = rest.substr(0, slash);
  if (slash != std::string::npos) e.path = rest.substr(slash);
  return e;
}

// One way a pair's source appears in text: pre + host + post, replaced by `to`.
struct Form {
  std::string pre, post, to;
};

struct Host {
  std::string name;
  std::vector<Form> forms;  // longest first
};

}  // namespace

UrlPair parse_url_pair(const std::string& arg) {
  auto eq = arg.find('=');
  if (eq == std::string::npos) fail(Exit::usage, describe("--rewrite takes FROM=TO, not", arg));
  UrlPair p{arg.substr(0, eq), arg.substr(eq + 1)};
  for (auto* s : {&p.from, &p.to}) {
    std::string why;
    auto n = normalise_url(*s, true, &why);
    if (!n) fail(Exit::usage, describe("invalid URL or host in --rewrite", *s, why));
    *s = *n;
  }
  if (split(p.from).scheme.empty() != split(p.to).scheme.empty() && split(p.to).scheme.empty())
    fail(Exit::usage, describe("--rewrite", arg, "a URL with a scheme must become one with a scheme"));
  return p;
}

std::vector<UrlPair> env_url_pairs(const EnvConfig& from, const EnvConfig& to) {
  std::vector<UrlPair> out;
  if (from.urls.empty() || to.urls.empty() || from.name == to.name) return out;
  for (size_t i = 0; i < from.urls.size(); ++i)
    out.push_back({from.urls[i], i < to.urls.size() ? to.urls[i] : to.urls[0]});
  return out;
}

uint64_t RewriteStats::urls() const {
  uint64_t n = 0;
  for (auto& [_, t] : tables) n += t.urls;
  return n;
}
uint64_t RewriteStats::values() const {
  uint64_t n = 0;
  for (auto& [_, t] : tables) n += t.values;
  return n;
}
uint64_t RewriteStats::unparsable() const {
  uint64_t n = 0;
  for (auto& [_, t] : tables) n += t.unparsable;
  return n;
}
uint64_t RewriteStats::oversized() const {
  uint64_t n = 0;
  for (auto& [_, t] : tables) n += t.oversized;
  return n;
}

struct UrlRewriter::Impl {
  std::vector<UrlPair> pairs;
  std::vector<Host> hosts;
  std::vector<std::string> needles;

  void add(const std::string& host, Form f) {
    if (f.pre + host + f.post == f.to) return;
    auto it = std::find_if(hosts.begin(), hosts.end(), [&](const Host& h) { return h.name == host; });
    if (it == hosts.end()) {
      hosts.push_back({host, {}});
      it = hosts.end() - 1;
    }
    for (auto& g : it->forms)
      if (g.pre == f.pre && g.post == f.post) return;  // an earlier pair has it
    it->forms.push_back(std::move(f));
  }

  void compile(const UrlPair& p) {
    Endpoint f = split(p.from), t = split(p.to);
    if (t.scheme.empty()) t.scheme = f.scheme;
    struct Variant {
      const char* sep;    // what "://" is written as
      const char* slash;  // what "/" is written as
      const char* colon;  // what the ':' before a port is written as
    };
    static const Variant variants[] = {
        {"://", "/", ":"}, {":\\/\\/", "\\/", ":"}, {"%3A%2F%2F", "%2F", "%3A"}, {"%3a%2f%2f", "%2f", "%3a"}};
    auto port = [](const std::string& h, const char* colon) {
      std::string o;
      for (char c : h) {
        if (c == ':')
          o += colon;
        else
          o += c;
      }
      return o;
    };
    auto path = [](const std::string& s, const char* slash) {
      std::string o;
      for (char c : s) {
        if (c == '/')
          o += slash;
        else
          o += c;
      }
      return o;
    };
    for (auto& v : variants) {
      std::string fp = path(f.path, v.slash), tp = path(t.path, v.slash);
      std::string fh = port(f.host, v.colon), th = port(t.host, v.colon);
      std::string two = std::string(v.slash) + v.slash;
      if (!f.scheme.empty()) add(fh, {f.scheme + v.sep, fp, t.scheme + v.sep + th + tp});
      add(fh, {two, fp, two + th + tp});
      if (!f.path.empty()) add(fh, {"", fp, th + tp});
    }
    add(f.host, {"", "", t.host});
  }

  // Replaces the forms in full[b, e) (plain text, no serialized structure),
  // appending that part to `out`; the characters around it count for the
  // whole-host rule.
  uint64_t plain(std::string_view full, size_t b, size_t e, std::string& out) const {
    struct Hit {
      size_t at;
      const Host* host;
    };
    std::string_view in = full.substr(0, e);
    std::vector<Hit> hits;
    for (auto& h : hosts) {
      for (size_t at = b; at < e;) {
        const void* p = ::memmem(in.data() + at, e - at, h.name.data(), h.name.size());
        if (!p) break;
        size_t pos = static_cast<size_t>(static_cast<const char*>(p) - in.data());
        hits.push_back({pos, &h});
        at = pos + 1;
      }
    }
    if (hits.empty()) {
      out.append(in.substr(b));
      return 0;
    }
    std::sort(hits.begin(), hits.end(), [](const Hit& x, const Hit& y) {
      return x.at != y.at ? x.at < y.at : x.host->name.size() > y.host->name.size();
    });
    uint64_t n = 0;
    size_t done = b;
    for (auto& hit : hits) {
      if (hit.at < done) continue;
      const size_t h = hit.at, hl = hit.host->name.size();
      for (auto& f : hit.host->forms) {
        if (h < f.pre.size() || h - f.pre.size() < done) continue;
        size_t start = h - f.pre.size(), end = h + hl + f.post.size();
        if (end > e) continue;
        if (in.compare(start, f.pre.size(), f.pre) != 0 || in.compare(h + hl, f.post.size(), f.post) != 0) continue;
        if (f.pre.empty() && start > 0) {
          // A whole host: not the end of a longer name (cdn.example.com, myexample.com);
          // an encoded delimiter (%2F, %40) before it is fine.
          unsigned char c = static_cast<unsigned char>(full[start - 1]);
          bool encoded = start >= 3 && full[start - 3] == '%' && is_hex(full[start - 2]) && is_hex(full[start - 1]);
          if (host_char(c) && !encoded) continue;
        }
        unsigned char last = static_cast<unsigned char>(full[end - 1]);
        if (word_char(last) && end < full.size()) {
          // Not the start of a longer name (example.com.evil, example.community).
          unsigned char a = static_cast<unsigned char>(full[end]);
          if (word_char(a)) continue;
          if (a == '.' && end + 1 < full.size() && word_char(static_cast<unsigned char>(full[end + 1]))) continue;
        }
        out.append(in.substr(done, start - done));
        out += f.to;
        done = end;
        ++n;
        break;
      }
    }
    out.append(in.substr(done));
    return n;
  }

  bool has_host(std::string_view in) const {
    for (auto& h : hosts)
      if (::memmem(in.data(), in.size(), h.name.data(), h.name.size())) return true;
    return false;
  }
};

namespace {

constexpr int kMaxDepth = 256;

// PHP's serialize() format, rewritten as it is parsed (see php_var_unserialize):
// strings get the text rewrite (which itself finds serialized data inside them)
// and their new byte length; everything else is copied. Any deviation from the
// format fails the whole value, and the caller keeps the original bytes.
class Serialized {
 public:
  Serialized(const UrlRewriter::Impl& r, uint64_t& count, bool& skipped) : r_(r), count_(count), skipped_(skipped) {}

  // Rewrites text that may hold serialized values, appending to `out`.
  void text(std::string_view in, std::string& out, int depth) {
    size_t from = 0;
    for (size_t i = 0; i < in.size();) {
      size_t m = find_marker(in, i);
      if (m == std::string_view::npos) break;
      count_ += r_.plain(in, from, m, out);
      size_t mark = out.size();
      uint64_t counted = count_;
      if (auto end = value(in, m, out, depth)) {
        from = i = *end;
        continue;
      }
      // Looks serialized, is not: leave the rest alone (its lengths may be what
      // something relies on) rather than risk a wrong one.
      out.resize(mark);
      count_ = counted;
      out.append(in.substr(m));
      if (r_.has_host(in.substr(m))) skipped_ = true;
      return;
    }
    count_ += r_.plain(in, from, in.size(), out);
  }

 private:
  // The next position at or after `i` where a string, array or object begins:
  // [asOCE]:<digits>:" (or :{ for arrays), not right after a letter or digit.
  static size_t find_marker(std::string_view in, size_t i) {
    // Every marker has its ':' second: look for those.
    for (size_t c = i + 1; c + 3 <= in.size(); ++c) {
      const void* hit = std::memchr(in.data() + c, ':', in.size() - c);
      if (!hit) break;
      c = static_cast<size_t>(static_cast<const char*>(hit) - in.data());
      size_t m = c - 1;
      if (c + 2 >= in.size()) break;
      char t = in[m];
      if (t != 'a' && t != 's' && t != 'O' && t != 'C' && t != 'E') continue;
      if (!is_digit(in[c + 1])) continue;
      if (m > 0 && std::isalnum(static_cast<unsigned char>(in[m - 1]))) continue;
      size_t j = c + 1;
      while (j < in.size() && is_digit(in[j])) ++j;
      if (j + 1 >= in.size() || in[j] != ':') continue;
      if (in[j + 1] == (t == 'a' ? '{' : '"')) return m;
    }
    return std::string_view::npos;
  }

  // Reads <digits> at `p` followed by `stop`; the position after `stop`.
  static std::optional<size_t> number(std::string_view in, size_t p, uint64_t& n, char stop) {
    size_t start = p;
    n = 0;
    while (p < in.size() && is_digit(in[p])) {
      if (p - start > 18) return std::nullopt;
      n = n * 10 + static_cast<uint64_t>(in[p] - '0');
      ++p;
    }
    if (p == start || p >= in.size() || in[p] != stop) return std::nullopt;
    return p + 1;
  }
  static bool at(std::string_view in, size_t p, std::string_view s) { return in.substr(p, s.size()) == s; }

  // The serialized value at `p`, rewritten onto `out`; the position after it.
  std::optional<size_t> value(std::string_view in, size_t p, std::string& out, int depth) {
    if (depth > kMaxDepth || p + 2 > in.size()) return std::nullopt;
    const char t = in[p];
    if (t == 'N') {
      if (in[p + 1] != ';') return std::nullopt;
      out += "N;";
      return p + 2;
    }
    if (in[p + 1] != ':') return std::nullopt;
    size_t q = p + 2;
    uint64_t n = 0;
    switch (t) {
      case 'b':
        if (q + 2 > in.size() || (in[q] != '0' && in[q] != '1') || in[q + 1] != ';') return std::nullopt;
        out.append(in.substr(p, q + 2 - p));
        return q + 2;
      case 'i':
      case 'r':
      case 'R': {
        size_t d = q;
        if (t == 'i' && d < in.size() && (in[d] == '-' || in[d] == '+')) ++d;
        auto e = number(in, d, n, ';');
        if (!e) return std::nullopt;
        out.append(in.substr(p, *e - p));
        return *e;
      }
      case 'd': {
        size_t e = q;
        while (e < in.size() && e - q < 64 && in[e] != ';') {
          char c = in[e];
          if (!is_digit(c) && !std::strchr("+-.eEINFA", c)) return std::nullopt;
          ++e;
        }
        if (e == q || e >= in.size() || in[e] != ';') return std::nullopt;
        out.append(in.substr(p, e + 1 - p));
        return e + 1;
      }
      case 's':
      case 'E': {
        auto e = number(in, q, n, ':');
        if (!e || *e >= in.size() || in[*e] != '"') return std::nullopt;
        size_t c = *e + 1;
        if (n > in.size() - c || !at(in, c + n, "\";")) return std::nullopt;
        std::string_view content = in.substr(c, n);
        if (t == 'E') {
          out.append(in.substr(p, c + n + 2 - p));
        } else {
          std::string inner;
          text(content, inner, depth + 1);
          out += "s:" + std::to_string(inner.size()) + ":\"";
          out += inner;
          out += "\";";
        }
        return c + n + 2;
      }
      case 'a': {
        auto e = number(in, q, n, ':');
        if (!e || !at(in, *e, "{")) return std::nullopt;
        out.append(in.substr(p, *e + 1 - p));
        return members(in, *e + 1, n, out, depth);
      }
      case 'O':
      case 'C': {
        auto e = number(in, q, n, ':');
        if (!e || *e >= in.size() || in[*e] != '"') return std::nullopt;
        size_t c = *e + 1;
        if (n > in.size() - c || !at(in, c + n, "\":")) return std::nullopt;
        uint64_t m = 0;
        auto f = number(in, c + n + 2, m, ':');
        if (!f || !at(in, *f, "{")) return std::nullopt;
        if (t == 'O') {
          out.append(in.substr(p, *f + 1 - p));
          return members(in, *f + 1, m, out, depth);
        }
        // C: a class's own serialization, m bytes: rewritten as text, length fixed.
        size_t b = *f + 1;
        if (m > in.size() - b || !at(in, b + m, "}")) return std::nullopt;
        std::string inner;
        text(in.substr(b, m), inner, depth + 1);
        out.append(in.substr(p, c + n + 2 - p));
        out += std::to_string(inner.size()) + ":{";
        out += inner;
        out += "}";
        return b + m + 1;
      }
      default:
        return std::nullopt;
    }
  }

  // `n` key/value pairs then '}'. Keys (int or string) are copied as they are.
  std::optional<size_t> members(std::string_view in, size_t p, uint64_t n, std::string& out, int depth) {
    for (uint64_t i = 0; i < n; ++i) {
      if (p >= in.size()) return std::nullopt;
      if (in[p] == 'i') {
        std::string key;
        auto e = value(in, p, key, depth + 1);
        if (!e) return std::nullopt;
        out += key;
        p = *e;
      } else if (in[p] == 's' && p + 1 < in.size() && in[p + 1] == ':') {
        uint64_t len = 0;
        auto e = number(in, p + 2, len, ':');
        if (!e || *e >= in.size() || in[*e] != '"') return std::nullopt;
        size_t c = *e + 1;
        if (len > in.size() - c || !at(in, c + len, "\";")) return std::nullopt;
        out.append(in.substr(p, c + len + 2 - p));
        p = c + len + 2;
      } else {
        return std::nullopt;
      }
      auto e = value(in, p, out, depth + 1);
      if (!e) return std::nullopt;
      p = *e;
    }
    if (p >= in.size() || in[p] != '}') return std::nullopt;
    out += '}';
    return p + 1;
  }

  const UrlRewriter::Impl& r_;
  uint64_t& count_;
  bool& skipped_;
};

std::string hex_of(const std::string& s, bool upper) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string o;
  for (unsigned char c : s) {
    o += digits[c >> 4];
    o += digits[c & 15];
  }
  return o;
}

}  // namespace

UrlRewriter::UrlRewriter(const std::vector<UrlPair>& pairs) : impl_(std::make_unique<Impl>()) {
  for (auto& p : pairs) {
    UrlPair n;
    for (auto [in, outp] : {std::pair{&p.from, &n.from}, std::pair{&p.to, &n.to}}) {
      std::string why;
      auto u = normalise_url(*in, true, &why);
      if (!u) fail(Exit::usage, describe("invalid URL or host", *in, why));
      *outp = *u;
    }
    if (n.from == n.to) continue;
    impl_->pairs.push_back(n);
    impl_->compile(n);
  }
  for (auto& h : impl_->hosts) {
    std::stable_sort(h.forms.begin(), h.forms.end(), [](const Form& a, const Form& b) {
      return a.pre.size() + a.post.size() > b.pre.size() + b.post.size();
    });
    impl_->needles.push_back(h.name);
    impl_->needles.push_back(hex_of(h.name, true));
    impl_->needles.push_back(hex_of(h.name, false));
  }
}

UrlRewriter::~UrlRewriter() = default;

bool UrlRewriter::empty() const noexcept { return impl_->hosts.empty(); }
const std::vector<UrlPair>& UrlRewriter::pairs() const noexcept { return impl_->pairs; }
const std::vector<std::string>& UrlRewriter::needles() const noexcept { return impl_->needles; }

UrlRewriter::Result UrlRewriter::rewrite(std::string_view in, std::string& out) const {
  out.clear();
  Result r;
  if (!impl_->has_host(in)) {
    out.assign(in);
    return r;
  }
  Serialized s(*impl_, r.replaced, r.skipped);
  s.text(in, out, 0);
  return r;
}

}  // namespace gp
