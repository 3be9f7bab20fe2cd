#include "rewrite.hpp"

#include <algorithm>
#include <ostream>

namespace gp::cli {

RewriteRequest rewrite_options(const Args& args) {
  RewriteRequest r;
  bool off = args.flag("no-rewrite");
  auto pairs = args.values("rewrite");
  r.guid = args.flag("rewrite-guid");
  if (off && (!pairs.empty() || r.guid)) args.usage_error("--no-rewrite excludes --rewrite and --rewrite-guid");
  r.enabled = !off;
  for (auto& p : pairs) r.extra.push_back(parse_url_pair(p));
  return r;
}

namespace {

std::string pair_list(const RewriteReport& r) {
  std::string s;
  for (auto& p : r.pairs) s += (s.empty() ? "" : ", ") + p.from + " -> " + p.to;
  return s;
}

}  // namespace

std::string rewrite_summary(const RewriteReport& r) {
  if (r.pairs.empty()) return "";
  uint64_t total = r.stats.urls();
  if (total == 0) return "no URL to rewrite found (" + pair_list(r) + ")";
  std::vector<std::pair<std::string, uint64_t>> tables;
  for (auto& [name, t] : r.stats.tables)
    if (t.urls) tables.emplace_back(name, t.urls);
  std::stable_sort(tables.begin(), tables.end(), [](auto& a, auto& b) { return a.second > b.second; });
  std::string s = "rewrote ";
  for (size_t i = 0; i < tables.size(); ++i) {
    s += (i ? ", " : "") + std::to_string(tables[i].second);
    if (i == 0) s += tables[i].second == 1 ? " URL" : " URLs";
    s += " in " + tables[i].first;
  }
  return s + " (" + pair_list(r) + ")";
}

void print_rewrite(std::ostream& out, const RewriteReport& r) {
  std::string s = rewrite_summary(r);
  if (!s.empty()) out << "  " << s << "\n";
}

void json_rewrite(JsonWriter& j, const std::optional<RewriteReport>& r) {
  j.key("rewrite");
  if (!r) {
    j.null();
    return;
  }
  j.begin_object();
  j.key("from_env");
  r->from_env.empty() ? j.null() : j.value(r->from_env);
  j.key("pairs").begin_array();
  for (auto& p : r->pairs) j.begin_object().field("from", p.from).field("to", p.to).end_object();
  j.end_array();
  j.field("urls", r->stats.urls()).field("values", r->stats.values());
  j.key("tables").begin_object();
  for (auto& [name, t] : r->stats.tables) {
    if (!t.urls && !t.unparsable && !t.oversized) continue;
    j.key(name).begin_object().field("urls", t.urls).field("values", t.values).field("unparsable", t.unparsable);
    j.field("oversized", t.oversized).end_object();
  }
  j.end_object();
  j.key("note");
  r->note.empty() ? j.null() : j.value(r->note);
  j.end_object();
}

}  // namespace gp::cli
