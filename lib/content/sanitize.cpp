#include "content/sanitize.hpp"

#include <algorithm>

namespace gp {

namespace {

bool has(const std::vector<std::string>& tables, const std::string& name) {
  return std::find(tables.begin(), tables.end(), name) != tables.end();
}

// An identifier quoted for the engine.
std::string qi(DbKind kind, const std::string& name) {
  const char q = kind == DbKind::mysql ? '`' : '"';
  std::string out(1, q);
  for (char c : name) {
    if (c == q) out += q;
    out += c;
  }
  return out + q;
}

// 'user+' <id> '@localhost' in the engine's string concatenation.
std::string user_mail(DbKind kind, const std::string& id_column) {
  if (kind == DbKind::mysql) return "CONCAT('user+', " + id_column + ", '@localhost')";
  return "'user+' || " + id_column + " || '@localhost'";
}

}  // namespace

std::string wordpress_prefix(const std::vector<std::string>& tables) {
  if (has(tables, "wp_users") && has(tables, "wp_usermeta")) return "wp_";
  std::vector<std::string> found;
  for (auto& t : tables) {
    const std::string suffix = "users";
    if (t.size() > suffix.size() && t.compare(t.size() - suffix.size(), suffix.size(), suffix) == 0) {
      std::string prefix = t.substr(0, t.size() - suffix.size());
      if (has(tables, prefix + "usermeta")) found.push_back(prefix);
    }
  }
  std::sort(found.begin(), found.end());
  return found.empty() ? "wp_" : found.front();
}

std::vector<std::string> sanitize_statements(Framework framework, DbKind kind, const std::vector<std::string>& tables,
                                             const std::vector<std::string>& extra) {
  std::vector<std::string> out;
  if (framework == Framework::drupal) {
    if (has(tables, "users_field_data"))
      out.push_back("UPDATE " + qi(kind, "users_field_data") + " SET mail = " + user_mail(kind, "uid") +
                    ", pass = NULL WHERE uid > 0;");
    if (has(tables, "sessions")) out.push_back("DELETE FROM " + qi(kind, "sessions") + ";");
  } else if (framework == Framework::wordpress) {
    const std::string p = wordpress_prefix(tables);
    if (has(tables, p + "users"))
      out.push_back("UPDATE " + qi(kind, p + "users") + " SET user_email = " + user_mail(kind, "ID") +
                    ", user_pass = '';");
    if (has(tables, p + "usermeta"))
      out.push_back("DELETE FROM " + qi(kind, p + "usermeta") + " WHERE meta_key = 'session_tokens';");
  }
  for (auto& s : extra) {
    std::string t = s;
    while (!t.empty() && (t.back() == ' ' || t.back() == '\n' || t.back() == '\t')) t.pop_back();
    if (t.empty()) continue;
    if (t.back() != ';') t += ';';
    out.push_back(t);
  }
  return out;
}

}  // namespace gp
