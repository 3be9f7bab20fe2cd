#include "config/dburl.hpp"

#include <cctype>

#include "util/error.hpp"

namespace gp {

std::string to_string(DbKind k) {
  switch (k) {
    case DbKind::sqlite: return "sqlite";
    case DbKind::mysql: return "mysql";
    case DbKind::postgres: return "postgres";
  }
  return "?";
}

std::string DbUrl::display() const {
  if (kind == DbKind::sqlite) return "sqlite " + path;
  std::string s = to_string(kind) + " " + (user.empty() ? "" : user + "@") + (host.empty() ? "localhost" : host);
  if (port) s += ":" + std::to_string(port);
  s += "/" + dbname;
  return s;
}

namespace {
[[noreturn]] void bad(const std::string& text, const std::string& why) {
  fail(Exit::config, describe("invalid database URL", text, why),
       "write sqlite:<path>, mysql://user@host[:port]/db or postgres://user@host[:port]/db");
}

std::string percent_decode(const std::string& text, const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
          !std::isxdigit(static_cast<unsigned char>(s[i + 2])))
        bad(text, "bad percent-escape");
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

bool valid_identifier(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (unsigned char c : s)
    if (!(std::isalnum(c) || c == '_' || c == '-' || c == '$' || c == '.')) return false;
  return true;
}
}  // namespace

DbUrl parse_db_url(const std::string& text) {
  DbUrl u;
  u.text = text;
  if (text.rfind("sqlite:", 0) == 0) {
    u.kind = DbKind::sqlite;
    u.path = text.substr(7);
    if (u.path.rfind("//", 0) == 0) u.path = u.path.substr(2);  // sqlite://path
    if (u.path.empty()) bad(text, "no database file path");
    if (u.path.find('\0') != std::string::npos) bad(text, "NUL in path");
    return u;
  }
  auto scheme_end = text.find("://");
  if (scheme_end == std::string::npos) bad(text, "unknown scheme");
  std::string scheme = text.substr(0, scheme_end);
  if (scheme == "mysql" || scheme == "mariadb") u.kind = DbKind::mysql;
  else if (scheme == "postgres" || scheme == "postgresql") u.kind = DbKind::postgres;
  else bad(text, "unknown scheme '" + scheme + "'");

  std::string rest = text.substr(scheme_end + 3);
  std::string query;
  if (auto q = rest.find('?'); q != std::string::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  auto slash = rest.find('/');
  if (slash == std::string::npos) bad(text, "no database name");
  std::string authority = rest.substr(0, slash);
  u.dbname = percent_decode(text, rest.substr(slash + 1));
  if (!valid_identifier(u.dbname)) bad(text, "database name must be 1-64 letters, digits, '_', '-', '$' or '.'");
  if (auto at = authority.rfind('@'); at != std::string::npos) {
    std::string userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    if (userinfo.find(':') != std::string::npos)
      fail(Exit::config, "database URL contains a password: secrets do not belong in .pantheon.toml",
           "remove it and set GIT_PANTHEON_DB_PASSWORD_<ENV> or write it to .git/pantheon/secrets/<env>.password (mode 0600)");
    u.user = percent_decode(text, userinfo);
    if (u.user.empty()) bad(text, "empty user name");
  }
  // host, [v6-host], with an optional :port after either.
  std::string port;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string::npos) bad(text, "unclosed '[' in host");
    u.host = authority.substr(1, close - 1);
    std::string after = authority.substr(close + 1);
    if (!after.empty() && after[0] != ':') bad(text, "junk after ']'");
    if (!after.empty()) port = after.substr(1);
    if (after == ":") bad(text, "bad port");
  } else {
    auto c = authority.find(':');
    u.host = authority.substr(0, c);
    if (c != std::string::npos) {
      port = authority.substr(c + 1);
      if (port.empty()) bad(text, "bad port");
    }
  }
  if (!port.empty()) {
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) bad(text, "bad port");
    u.port = std::stoi(port);
  }
  if (u.port < 0 || u.port > 65535) bad(text, "port out of range");
  // Query parameters: only socket= is understood.
  bool has_socket = false;
  size_t pos = 0;
  while (!query.empty() && pos <= query.size()) {
    auto amp = query.find('&', pos);
    std::string kv = query.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
    auto eq = kv.find('=');
    std::string k = kv.substr(0, eq);
    std::string v = eq == std::string::npos ? "" : percent_decode(text, kv.substr(eq + 1));
    if (k == "socket" || k == "host" /* libpq style */) {
      u.socket = v;
      has_socket = true;
    }
    else if (k == "password") bad(text, "passwords do not belong in .pantheon.toml");
    else bad(text, "unknown parameter '" + k + "'");
    if (amp == std::string::npos) break;
    pos = amp + 1;
  }
  // A socket is local: with another host, or (MariaDB, whose clients ignore the port
  // on a socket) with a port, the URL would say two things and the client do one.
  if (has_socket) {
    if (u.socket.empty()) bad(text, "empty socket path");
    if (!u.host.empty() && u.host != "localhost")
      bad(text, "socket= connects to the local server, but the host is '" + u.host + "'; write host localhost or none");
    if (u.kind == DbKind::mysql && u.port)
      bad(text, "socket= with a port: the MariaDB clients ignore the port on a socket; drop one of them");
  }
  if (u.host.empty() && u.socket.empty()) u.host = "localhost";
  return u;
}

}  // namespace gp
