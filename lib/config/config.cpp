#include "config/config.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fnmatch.h>
#include <set>
#include <sstream>
#include <git2.h>
#include <toml++/toml.h>

#include "util/ascii.hpp"
#include "util/timeutil.hpp"

namespace gp {

std::string to_string(Framework f) {
  switch (f) {
    case Framework::drupal: return "drupal";
    case Framework::wordpress: return "wordpress";
    case Framework::other: return "other";
  }
  return "other";
}

std::optional<Framework> parse_framework(const std::string& s) {
  if (s == "drupal") return Framework::drupal;
  if (s == "wordpress") return Framework::wordpress;
  if (s == "other") return Framework::other;
  return std::nullopt;
}

std::string to_string(AfterEvent e) {
  switch (e) {
    case AfterEvent::deploy: return "deploy";
    case AfterEvent::restore: return "restore";
    case AfterEvent::clone_content: return "clone-content";
    case AfterEvent::import: return "import";
  }
  return "deploy";
}

const AfterSteps& EnvConfig::after_steps(AfterEvent event) const {
  static const AfterSteps none;
  auto it = after.find(event);
  return it == after.end() ? none : it->second;
}

bool valid_env_name(const std::string& name) {
  if (name.empty() || name.size() > 32) return false;
  if (!(std::islower(static_cast<unsigned char>(name[0])) || std::isdigit(static_cast<unsigned char>(name[0])))) return false;
  return std::all_of(name.begin(), name.end(), [](unsigned char c) { return std::islower(c) || std::isdigit(c) || c == '-'; });
}

bool valid_site_name(const std::string& name) {
  if (name.empty() || name.size() > 64 || !std::isalnum(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(), [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_'; });
}

std::string default_files_dir(Framework f, const fs::path& work_tree) {
  switch (f) {
    case Framework::drupal: {
      std::error_code ec;
      bool web = fs::exists(work_tree / "web" / "core", ec) || fs::exists(work_tree / "web" / "sites", ec);
      return web ? "web/sites/default/files" : "sites/default/files";
    }
    case Framework::wordpress: return "wp-content/uploads";
    case Framework::other: return "files";
  }
  return "files";
}

std::vector<std::string> framework_excludes(Framework f) {
  switch (f) {
    case Framework::drupal:
      return {"styles", "css", "js", "php", "ctools", "imagecache", "xmlsitemap", "backup_migrate", "less"};
    case Framework::wordpress:
      return {"cache", "upgrade", "backup-db", "backups", "backupwordpress", "updraft", "ai1wm-backups", "wpo-cache"};
    case Framework::other: return {};
  }
  return {};
}

Framework detect_framework(const fs::path& w) {
  std::error_code ec;
  auto has = [&](const char* p) { return fs::exists(w / p, ec); };
  if (has("wp-config.php") || has("wp-includes/version.php") || has("wp-load.php") || has("web/wp-config.php"))
    return Framework::wordpress;
  if (has("core/lib/Drupal.php") || has("web/core/lib/Drupal.php") || has("includes/bootstrap.inc") ||
      has("sites/default/settings.php") || has("web/sites/default/settings.php") || has("sites/default/default.settings.php"))
    return Framework::drupal;
  return Framework::other;
}

const EnvConfig& Config::env(const std::string& name) const {
  auto it = envs.find(name);
  if (it != envs.end() && !it->second.broken.empty())
    fail(Exit::config, it->second.broken,
         "fix the database URL of [env." + name + "] in " + path.filename().string() +
             " (the forms are in git-pantheon(1), CONFIGURATION); the other environments work meanwhile");
  if (it != envs.end()) return it->second;
  std::string known;
  for (auto& [n, _] : envs) known += (known.empty() ? "" : ", ") + n;
  fail(Exit::bad_input, describe("unknown environment", name, "not defined in " + path.filename().string()),
       known.empty() ? "add an [env." + name + "] table" : "known environments: " + known);
}

std::string EnvConfig::missing_part(Part part) const {
  const bool db = part == Part::database;
  return "environment '" + name + "' has no " + (db ? "database" : "files directory") + " (add " +
         (db ? "database" : "files") + " = ... under [env." + name + "] in " + kConfigFileName + ")";
}

const DbUrl& EnvConfig::require_database() const {
  if (!database) fail(Exit::bad_input, missing_part(Part::database));
  return *database;
}

const std::string& EnvConfig::require_files() const {
  if (!files) fail(Exit::bad_input, missing_part(Part::files));
  return *files;
}

std::vector<std::string> Config::files_excludes(const EnvConfig& e) const {
  auto out = framework_excludes(framework);
  out.insert(out.end(), backup.excludes.begin(), backup.excludes.end());
  out.insert(out.end(), e.excludes.begin(), e.excludes.end());
  return out;
}

bool branch_pattern_matches(const std::string& pattern, const std::string& branch) {
  return !pattern.empty() && fnmatch(pattern.c_str(), branch.c_str(), 0) == 0;
}

const RetentionPolicy& RetentionConfig::for_env(const std::string& env) const {
  auto it = per_env.find(env);
  return it == per_env.end() ? policy : it->second;
}

bool PostCommitConfig::matches(const std::string& branch) const {
  return std::any_of(branches.begin(), branches.end(), [&](const std::string& p) { return branch_pattern_matches(p, branch); });
}

namespace {

class Parser {
 public:
  explicit Parser(const fs::path& origin) : origin_(origin) {}

  std::string message_at(const toml::source_region& src, const std::string& what) const {
    std::ostringstream s;
    s << origin_.filename().string();
    if (src.begin.line) s << ":" << src.begin.line << ":" << src.begin.column;
    s << ": " << what;
    return s.str();
  }
  [[noreturn]] void error_at(const toml::source_region& src, const std::string& what) const {
    throw Error(Exit::config, message_at(src, what));
  }
  [[noreturn]] void error_at(const toml::node& n, const std::string& what) const { error_at(n.source(), what); }

  void check_keys(const toml::table& t, const std::string& where, const std::set<std::string>& allowed) const {
    for (auto& [k, v] : t) {
      if (!allowed.count(std::string(k.str()))) {
        std::string list;
        for (auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        error_at(k.source().begin.line ? k.source() : v.source(),
                 "unknown key '" + std::string(k.str()) + "' in " + where + " (known keys: " + list + ")");
      }
    }
  }

  std::string get_string(const toml::table& t, const char* key, const std::string& where, bool required,
                         const std::string& def = {}) const {
    const toml::node* n = t.get(key);
    if (!n) {
      if (required) error_at(t, "missing key '" + std::string(key) + "' in " + where);
      return def;
    }
    auto s = n->value<std::string>();
    if (!s || !n->is_string()) error_at(*n, "'" + std::string(key) + "' in " + where + " must be a string");
    if (s->find('\0') != std::string::npos) error_at(*n, "'" + std::string(key) + "' in " + where + " contains NUL");
    return *s;
  }

  std::vector<std::string> get_string_array(const toml::table& t, const char* key, const std::string& where) const {
    std::vector<std::string> out;
    const toml::node* n = t.get(key);
    if (!n) return out;
    const toml::array* arr = n->as_array();
    if (!arr) error_at(*n, "'" + std::string(key) + "' in " + where + " must be an array of strings");
    for (auto& el : *arr) {
      auto s = el.value<std::string>();
      if (!s || !el.is_string()) error_at(el, "'" + std::string(key) + "' in " + where + " must hold only strings");
      if (s->empty() || s->find('\0') != std::string::npos) error_at(el, "empty or invalid pattern in '" + std::string(key) + "'");
      out.push_back(*s);
    }
    return out;
  }

  std::chrono::seconds get_duration(const toml::table& t, const char* key, const std::string& where,
                                    std::chrono::seconds def) const {
    const toml::node* n = t.get(key);
    if (!n) return def;
    auto s = n->value<std::string>();
    if (!s || !n->is_string()) error_at(*n, "'" + std::string(key) + "' in " + where + " must be a string such as \"30d\"");
    try {
      return parse_duration(*s, key);
    } catch (const Error& e) {
      error_at(*n, e.what());
    }
  }

  // keep_<rule> = N | "unlimited"
  int get_keep_count(const toml::table& t, const char* key, const std::string& where, int def) const {
    const toml::node* n = t.get(key);
    if (!n) return def;
    std::optional<int> v;
    if (auto i = n->value_exact<int64_t>(); i && n->is_integer()) {
      if (*i >= 0 && *i <= 1000000) v = static_cast<int>(*i);
    } else if (auto s = n->value_exact<std::string>(); s && n->is_string()) {
      v = parse_keep_count(*s);
    }
    if (!v) error_at(*n, "'" + std::string(key) + "' in " + where + " must be " + kKeepCountForms);
    return *v;
  }

  // [retention] or [env.<name>.retention]: the keys given replace those of `base`.
  RetentionPolicy get_policy(const toml::table& t, const std::string& where, RetentionPolicy base,
                             bool* protect_live = nullptr) const {
    std::set<std::string> keys{"keep_last", "keep_hourly", "keep_daily", "keep_weekly", "keep_monthly", "keep_yearly", "keep_within"};
    if (protect_live) keys.insert("protect_live_deploys");
    check_keys(t, where, keys);
    base.last = get_keep_count(t, "keep_last", where, base.last);
    base.hourly = get_keep_count(t, "keep_hourly", where, base.hourly);
    base.daily = get_keep_count(t, "keep_daily", where, base.daily);
    base.weekly = get_keep_count(t, "keep_weekly", where, base.weekly);
    base.monthly = get_keep_count(t, "keep_monthly", where, base.monthly);
    base.yearly = get_keep_count(t, "keep_yearly", where, base.yearly);
    if (const toml::node* n = t.get("keep_within")) {
      auto s = n->value_exact<std::string>();
      std::optional<CalendarSpan> span;
      if (s && n->is_string()) span = (*s == "0" || *s == "") ? std::optional<CalendarSpan>(CalendarSpan{}) : parse_calendar_span(*s);
      if (!span) error_at(*n, "'keep_within' in " + where + " must be " + kSpanForms);
      base.within = *span;
    }
    if (protect_live) {
      if (const toml::node* n = t.get("protect_live_deploys")) {
        auto b = n->value_exact<bool>();
        if (!b || !n->is_boolean()) error_at(*n, "'protect_live_deploys' in " + where + " must be true or false");
        *protect_live = *b;
      }
    }
    return base;
  }

  // [env.<name>.after]: event = [["prog", "arg", ...], ...]; every step a non-empty
  // array of strings, its program name non-empty.
  std::map<AfterEvent, AfterSteps> get_after(const toml::node& n, const std::string& where) const {
    const toml::table* t = n.as_table();
    if (!t) error_at(n, "'" + where.substr(1, where.size() - 2) + "' must be a table such as " + where +
                            " with deploy = [[\"drush\", \"cr\"]]");
    check_keys(*t, where, {"deploy", "restore", "clone-content", "import"});
    std::map<AfterEvent, AfterSteps> out;
    for (AfterEvent ev : {AfterEvent::deploy, AfterEvent::restore, AfterEvent::clone_content, AfterEvent::import}) {
      const std::string key = to_string(ev);
      const toml::node* v = t->get(key);
      if (!v) continue;
      const std::string forms = "'" + key + "' in " + where +
                                " must be a list of steps, each a list of strings such as [[\"drush\", \"updb\", \"-y\"], "
                                "[\"drush\", \"cr\"]] (a program and its arguments, never a shell string)";
      const toml::array* steps = v->as_array();
      if (!steps) error_at(*v, forms);
      AfterSteps list;
      for (auto& step : *steps) {
        const toml::array* argv = step.as_array();
        if (!argv) error_at(step, forms);
        if (argv->empty()) error_at(step, "a step in '" + key + "' of " + where + " is empty: name a program");
        std::vector<std::string> args;
        for (auto& a : *argv) {
          auto s = a.value_exact<std::string>();
          if (!s || !a.is_string()) error_at(a, forms);
          if (s->find('\0') != std::string::npos) error_at(a, "an argument in '" + key + "' of " + where + " contains NUL");
          args.push_back(*s);
        }
        if (args[0].empty()) error_at(*argv->get(0), "a step in '" + key + "' of " + where + " has an empty program name");
        list.push_back(std::move(args));
      }
      out[ev] = std::move(list);
    }
    return out;
  }

 private:
  fs::path origin_;
};

}  // namespace

Config parse_config(const std::string& text, const fs::path& origin) {
  Parser p(origin);
  toml::table root;
  try {
    root = toml::parse(text, origin.string());
  } catch (const toml::parse_error& e) {
    p.error_at(e.source(), std::string(e.description()));
  }
  Config c;
  c.path = origin;
  p.check_keys(root, "the top level", {"site", "framework", "backup", "env", "storage", "hooks", "retention", "schedule"});

  c.site = p.get_string(root, "site", "the top level", true);
  if (!valid_site_name(c.site))
    p.error_at(*root.get("site"), "site name '" + c.site + "' must be 1-64 letters, digits, '-' or '_', starting with a letter or digit");
  std::string fw = p.get_string(root, "framework", "the top level", false, "other");
  auto f = parse_framework(fw);
  if (!f) p.error_at(*root.get("framework"), "framework must be \"drupal\", \"wordpress\" or \"other\", not \"" + fw + "\"");
  c.framework = *f;

  if (const toml::node* b = root.get("backup")) {
    const toml::table* bt = b->as_table();
    if (!bt) p.error_at(*b, "'backup' must be a table");
    p.check_keys(*bt, "[backup]", {"keep_for", "safety_keep_for", "compression_level", "excludes"});
    c.backup.keep_for = p.get_duration(*bt, "keep_for", "[backup]", c.backup.keep_for);
    c.backup.safety_keep_for = p.get_duration(*bt, "safety_keep_for", "[backup]", c.backup.safety_keep_for);
    if (const toml::node* lvl = bt->get("compression_level")) {
      auto v = lvl->value_exact<int64_t>();  // value<> would convert a float, out of range: undefined
      if (!v || !lvl->is_integer() || *v < 1 || *v > 9) p.error_at(*lvl, "'compression_level' in [backup] must be an integer from 1 to 9");
      c.backup.compression_level = static_cast<int>(*v);
    }
    c.backup.excludes = p.get_string_array(*bt, "excludes", "[backup]");
  }

  if (const toml::node* r = root.get("retention")) {
    const toml::table* rt = r->as_table();
    if (!rt) p.error_at(*r, "'retention' must be a table");
    c.retention.policy = p.get_policy(*rt, "[retention]", {}, &c.retention.protect_live_deploys);
  }

  if (const toml::node* s = root.get("schedule")) {
    const std::string where = "[schedule]";
    const toml::table* st = s->as_table();
    if (!st) p.error_at(*s, "'schedule' must be a table");
    p.check_keys(*st, where, {"keep_daily_for", "keep_weekly_for", "daily", "weekly", "verify_restore", "lock_wait", "min_interval"});
    c.schedule.keep_daily = p.get_duration(*st, "keep_daily_for", where, c.schedule.keep_daily);
    c.schedule.keep_weekly = p.get_duration(*st, "keep_weekly_for", where, c.schedule.keep_weekly);
    c.schedule.lock_wait = p.get_duration(*st, "lock_wait", where, c.schedule.lock_wait);
    c.schedule.min_interval = p.get_duration(*st, "min_interval", where, c.schedule.min_interval);
    if (st->get("daily")) {
      std::string d = p.get_string(*st, "daily", where, false);
      if (d == "random") c.schedule.daily_minute.reset();
      else if (auto m = parse_time_of_day(d)) c.schedule.daily_minute = *m;
      else p.error_at(*st->get("daily"), "'daily' in [schedule] must be " + std::string(kTimeOfDayForms));
    }
    if (st->get("weekly")) {
      std::string d = p.get_string(*st, "weekly", where, false);
      auto day = parse_weekday(d);
      if (!day) p.error_at(*st->get("weekly"), "'weekly' in [schedule] must be " + std::string(kWeekdayForms));
      c.schedule.weekly_day = *day;
    }
    if (st->get("verify_restore")) {
      c.schedule.verify_restore = p.get_string(*st, "verify_restore", where, false);
      if (c.schedule.verify_restore != "never" && c.schedule.verify_restore != "daily" && c.schedule.verify_restore != "weekly")
        p.error_at(*st->get("verify_restore"), "'verify_restore' in [schedule] must be \"never\", \"daily\" or \"weekly\"");
    }
  }

  const toml::node* envs = root.get("env");
  if (!envs) p.error_at(root.source(), "no environments: add at least an [env.dev] table");
  const toml::table* et = envs->as_table();
  if (!et) p.error_at(*envs, "'env' must be a table of environments such as [env.dev]");
  std::map<std::string, std::string> files_seen;
  for (auto& [k, v] : *et) {
    std::string name(k.str());
    std::string where = "[env." + name + "]";
    const toml::table* t = v.as_table();
    if (!t) p.error_at(v, "'env." + name + "' must be a table");
    if (!valid_env_name(name))
      p.error_at(v, "environment name '" + name + "' must be 1-32 lowercase letters, digits or '-', starting with a letter or digit");
    p.check_keys(*t, where, {"database", "files", "worktree", "branch", "excludes", "retention", "url", "urls", "after", "sanitize", "sanitize_sql"});
    EnvConfig e;
    e.name = name;
    // Without a database and a files key the environment is code only; with a
    // database, an absent files key is the framework's directory (as always).
    if (t->get("database")) {
      std::string db = p.get_string(*t, "database", where, true);
      try {
        e.database = parse_db_url(db);
      } catch (const Error& err) {
        // This environment only: the others stay usable (EnvConfig::broken).
        e.broken = p.message_at(t->get("database")->source(), where + ": " + err.what());
      }
    }
    if (t->get("files") || e.database) {
      e.files = p.get_string(*t, "files", where, false, default_files_dir(c.framework, origin.parent_path()));
      if (e.files->empty()) p.error_at(*t->get("files"), "'files' in " + where + " is empty");
    }
    e.worktree = p.get_string(*t, "worktree", where, false);
    e.branch = p.get_string(*t, "branch", where, false);
    if (!e.branch.empty() && git_reference_is_valid_name(("refs/heads/" + e.branch).c_str()) != 1)
      p.error_at(*t->get("branch"), "'branch' in " + where + " is not a valid branch name");
    e.excludes = p.get_string_array(*t, "excludes", where);
    if (t->get("url") && t->get("urls"))
      p.error_at(*t->get("urls"), "give 'url' or 'urls' in " + where + ", not both");
    if (const toml::node* u = t->get("url")) {
      if (!u->is_string()) p.error_at(*u, "'url' in " + where + " must be a string such as \"https://www.example.com\"");
      e.urls.push_back(p.get_string(*t, "url", where, true));
    } else {
      e.urls = p.get_string_array(*t, "urls", where);
      if (const toml::node* us = t->get("urls"); us && e.urls.empty())
        p.error_at(*us, "'urls' in " + where + " is empty: leave it out");
    }
    for (size_t i = 0; i < e.urls.size(); ++i) {
      std::string why;
      auto n = normalise_url(e.urls[i], false, &why);
      const toml::node* at = t->get("url") ? t->get("url") : t->get("urls")->as_array()->get(i);
      if (!n) p.error_at(*at, "invalid URL '" + e.urls[i] + "' in " + where + ": " + why);
      for (size_t j = 0; j < i; ++j)
        if (e.urls[j] == *n) p.error_at(*at, "URL '" + *n + "' is listed twice in " + where);
      e.urls[i] = *n;
    }
    if (const toml::node* r = t->get("retention")) {
      const toml::table* rt = r->as_table();
      if (!rt) p.error_at(*r, "'env." + name + ".retention' must be a table");
      c.retention.per_env[name] = p.get_policy(*rt, "[env." + name + ".retention]", c.retention.policy);
    }
    if (const toml::node* a = t->get("after")) e.after = p.get_after(*a, "[env." + name + ".after]");
    if (const toml::node* sn = t->get("sanitize")) {
      auto b = sn->value_exact<bool>();
      if (!b || !sn->is_boolean()) p.error_at(*sn, "'sanitize' in " + where + " must be true or false");
      e.sanitize = *b;
    }
    e.sanitize_sql = p.get_string_array(*t, "sanitize_sql", where);
    if (name == "live" && (e.sanitize || t->get("sanitize_sql")))
      p.error_at(*(t->get("sanitize") ? t->get("sanitize") : t->get("sanitize_sql")),
                 "live is never sanitised: remove 'sanitize' and 'sanitize_sql' from " + where);
    if (e.files) {
      std::string key = (fs::path(*e.files) / "").lexically_normal().string();  // "f" and "f/" are one
      if (auto it = files_seen.find(key); it != files_seen.end())
        p.error_at(*t, "environments '" + it->second + "' and '" + name + "' share the files directory '" + *e.files +
                           "': each environment needs its own");
      files_seen[key] = name;
    }
    c.envs.emplace(name, std::move(e));
  }
  if (c.envs.empty()) p.error_at(*envs, "no environments: add at least an [env.dev] table");

  if (const toml::node* s = root.get("storage")) {
    const toml::table* st = s->as_table();
    if (!st) p.error_at(*s, "'storage' must be a table such as [storage.origin]");
    for (auto& [k, v] : *st) {
      std::string remote(k.str());
      std::string where = "[storage." + remote + "]";
      const toml::table* t = v.as_table();
      if (!t) p.error_at(v, "'storage." + remote + "' must be a table");
      p.check_keys(*t, where, {"url", "region", "endpoint", "profile", "path_style"});
      StorageConfig sc;
      sc.remote = remote;
      sc.url = p.get_string(*t, "url", where, true);
      if (sc.url.rfind("file://", 0) != 0 && sc.url.rfind("s3://", 0) != 0 && sc.url.rfind("/", 0) != 0)
        p.error_at(*t->get("url"), "storage url '" + sc.url + "' must start with file://, s3:// or /");
      if (sc.url.find('@') != std::string::npos && sc.url.rfind("s3://", 0) != 0)
        p.error_at(*t->get("url"), "storage url must not contain credentials");
      sc.region = p.get_string(*t, "region", where, false);
      sc.endpoint = p.get_string(*t, "endpoint", where, false);
      sc.profile = p.get_string(*t, "profile", where, false);
      if (const toml::node* ps = t->get("path_style")) {
        auto b = ps->value_exact<bool>();
        if (!b || !ps->is_boolean()) p.error_at(*ps, "'path_style' in " + where + " must be true or false");
        sc.path_style = *b;
      }
      c.storage.emplace(remote, std::move(sc));
    }
  }

  if (const toml::node* h = root.get("hooks")) {
    const toml::table* ht = h->as_table();
    if (!ht) p.error_at(*h, "'hooks' must be a table such as [hooks.post-commit]");
    p.check_keys(*ht, "[hooks]", {"post-commit"});
    if (const toml::node* pc = ht->get("post-commit")) {
      const std::string where = "[hooks.post-commit]";
      const toml::table* t = pc->as_table();
      if (!t) p.error_at(*pc, "'hooks.post-commit' must be a table");
      p.check_keys(*t, where, {"branches", "env", "elements", "keep"});
      PostCommitConfig pcc;
      if (!t->get("branches")) p.error_at(*t, "missing key 'branches' in " + where + " (e.g. branches = [\"main\"])");
      pcc.branches = p.get_string_array(*t, "branches", where);
      if (pcc.branches.empty()) p.error_at(*t->get("branches"), "'branches' in " + where + " is empty: list at least one branch or pattern");
      pcc.env = p.get_string(*t, "env", where, false, "dev");
      auto env_error = [&](const std::string& what) {
        if (const toml::node* en = t->get("env")) p.error_at(*en, what);
        p.error_at(*t, what);
      };
      if (!valid_env_name(pcc.env))
        env_error("environment name '" + pcc.env + "' in " + where +
                  " must be 1-32 lowercase letters, digits or '-', starting with a letter or digit");
      if (!c.envs.count(pcc.env)) {
        std::string known;
        for (auto& [n, _] : c.envs) known += (known.empty() ? "" : ", ") + n;
        env_error("'env' in " + where + " names environment '" + pcc.env + "', which is not defined (known environments: " +
                  known + ")");
      }
      if (const toml::node* el = t->get("elements")) {
        auto names = p.get_string_array(*t, "elements", where);
        pcc.database = pcc.files = false;
        for (auto& n : names) {
          if (n == "db" || n == "database") pcc.database = true;
          else if (n == "files") pcc.files = true;
          else p.error_at(*el, "unknown element '" + n + "' in 'elements' of " + where + " (choose \"db\" and/or \"files\")");
        }
        if (!pcc.database && !pcc.files) p.error_at(*el, "'elements' in " + where + " is empty: choose \"db\" and/or \"files\"");
      }
      {
        const EnvConfig& target = c.envs.at(pcc.env);
        const toml::node* el = t->get("elements");
        auto missing = [&](EnvConfig::Part part, const char* element) {
          p.error_at(el ? *el : *t, where + " backs up the " + element + " of '" + pcc.env + "' (" +
                                        (el ? "its 'elements'" : "\"db\" by default") + "), but " +
                                        target.missing_part(part));
        };
        if (pcc.database && !target.database) missing(EnvConfig::Part::database, "database");
        if (pcc.files && !target.files) missing(EnvConfig::Part::files, "files");
      }
      if (const toml::node* k = t->get("keep")) {
        auto v = k->value_exact<int64_t>();  // no conversion: a huge float is UB in value<int64_t>()
        if (!v || *v < 1 || *v > 100) p.error_at(*k, "'keep' in " + where + " must be an integer from 1 to 100");
        pcc.keep = static_cast<int>(*v);
      }
      c.post_commit = std::move(pcc);
    }
  }
  return c;
}

Config load_config(const fs::path& repo_root) {
  fs::path file = repo_root / kConfigFileName;
  std::error_code ec;
  if (!fs::exists(file, ec))
    fail(Exit::config, describe("no configuration", file.filename().string(), "file not found at the repository root"),
         "run 'git pantheon init' to write one");
  return parse_config(read_text_file(file, Exit::config), file);
}

namespace {
// A TOML basic string literal.
std::string toml_quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') out += '\\', out += static_cast<char>(c);
    else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else out += static_cast<char>(c);
  }
  return out + "\"";
}
}  // namespace

namespace {
bool url_host_char(unsigned char c) { return std::isalnum(c) || c == '.' || c == '-' || c == '_' || c >= 0x80; }
bool url_word_char(unsigned char c) { return std::isalnum(c) || c == '-' || c == '_' || c >= 0x80; }
}  // namespace

std::optional<std::string> normalise_url(const std::string& url, bool host_allowed, std::string* why) {
  auto no = [&](const std::string& w) -> std::optional<std::string> {
    if (why) *why = w;
    return std::nullopt;
  };
  std::string u = url;
  auto at = u.find("://");
  size_t keep = at == std::string::npos ? (u.rfind("//", 0) == 0 ? 2 : 0) : at + 3;  // never the "://" itself
  while (u.size() > keep && u.back() == '/') u.pop_back();
  std::string rest = u;
  if (at != std::string::npos) {
    std::string scheme = ascii_lower(u.substr(0, at));
    if (scheme != "http" && scheme != "https") return no("the scheme must be http:// or https://");
    u = scheme + u.substr(at);
    rest = u.substr(at + 3);
  } else if (!host_allowed) {
    return no("it must start with http:// or https://");
  } else if (rest.rfind("//", 0) == 0) {
    rest = rest.substr(2);
    u = rest;
  }
  auto slash = rest.find('/');
  std::string host = rest.substr(0, slash);
  if (host.empty()) return no("it names no host");
  for (unsigned char c : host)
    if (!url_host_char(c) && c != ':' && c != '[' && c != ']') return no("its host has a character a host name cannot have");
  if (!url_word_char(static_cast<unsigned char>(host.back()))) return no("its host ends in '" + host.substr(host.size() - 1) + "'");
  for (unsigned char c : rest)
    if (c <= ' ' || c == '"' || c == '\'' || c == '\\' || c == '<' || c == '>' || c == '?' || c == '#' || c == 0x7f)
      return no("it holds a space, quote, backslash, query or fragment");
  return u;
}

std::string after_steps_comment(Framework f) {
  std::string update, cache;
  switch (f) {
    case Framework::drupal:
      update = "[\"drush\", \"updb\", \"-y\"]";
      cache = "[\"drush\", \"cr\"]";
      break;
    case Framework::wordpress:
      update = "[\"wp\", \"core\", \"update-db\"]";
      cache = "[\"wp\", \"cache\", \"flush\"]";
      break;
    case Framework::other:
      update = "[\"php\", \"scripts/migrate.php\"]";
      cache = "[\"php\", \"scripts/clear-cache.php\"]";
      break;
  }
  const std::string both = "[" + update + ", " + cache + "]";
  return "# Steps after a move into an environment (Pantheon's --updatedb and --cc): each a\n"
         "# program and its arguments (never a shell string), run in the environment's\n"
         "# worktree (else the repository root); a failing one is reported, the move\n"
         "# stays done; --no-after skips them. Per environment, e.g. for test:\n"
         "# [env.test.after]\n"
         "# deploy = " + both + "\n"
         "# restore = " + both + "\n"
         "# clone-content = " + both + "\n"
         "# import = " + both + "\n\n";
}

std::string render_initial_config(const std::string& site, Framework f, const std::string& files_dir,
                                  const std::string& database_url) {
  std::ostringstream o;
  o << "# git-pantheon configuration: committed with the site, and never holding a secret.\n"
       "# Passwords come from GIT_PANTHEON_DB_PASSWORD_<ENV> (e.g. GIT_PANTHEON_DB_PASSWORD_LIVE)\n"
       "# or from .git/pantheon/secrets/<env>.password (mode 0600). See git-pantheon(1).\n\n"
    << "site = " << toml_quote(site) << "\n"
    << "framework = \"" << to_string(f) << "\"   # drupal | wordpress | other\n\n"
    << "[backup]\n"
       "keep_for = \"365d\"          # default retention: 30d, 12w, 6m, 1y\n"
       "safety_keep_for = \"14d\"    # retention of the safety backups taken before a restore\n"
       "compression_level = 6      # gzip level, 1 (fast) to 9 (small)\n"
       "# excludes = [\"private/tmp\"]   # more folders the files element leaves out\n\n";
  auto ex = framework_excludes(f);
  if (!ex.empty()) {
    o << "# Left out of every files backup (regenerable):";
    for (auto& e : ex) o << " " << e;
    o << "\n\n";
  }
  o << "[env.dev]\n"
    << "database = " << toml_quote(database_url)
    << "   # sqlite:<path>, mysql://user@host:port/db, postgres://user@host:port/db\n"
    << "files = " << toml_quote(files_dir) << "\n"
    << "# branch = \"main\"          # the branch holding dev's code (default: the current branch)\n"
    << "# url = \"http://localhost:8080\"  # the site's address here: a database copied from another\n"
       "#                                # environment has that one's url replaced by this one\n\n"
    << "# test and live are code environments: deploys, checkout, code-log and code\n"
       "# backups work now. Give one a database and a files directory of its own (both\n"
       "# lines) and its backups, restores and clone-content include them.\n";
  for (const char* env : {"test", "live"}) {
    std::string files = fs::path(files_dir).is_absolute() ? "/srv/" + site + "-" + env + "/files"
                                                          : "../" + site + "-" + env + "/" + files_dir;
    o << "[env." << env << "]\n"
      << "# database = \"mysql://wp@127.0.0.1:3306/" << env << "\"   # password: GIT_PANTHEON_DB_PASSWORD_"
      << (std::string(env) == "test" ? "TEST" : "LIVE") << "\n"
      << "# files = " << toml_quote(files) << "\n"
      << "# worktree = \"../" << site << "-" << env << "\"   # a linked worktree that deploys to " << env
      << " update\n"
      << "# url = \"https://" << env << ".example.com\"   # its address (urls = a list of them, the first the main one)\n\n";
  }
  o << after_steps_comment(f);
  o << "# [storage.origin]            # where 'git push origin' sends db/files archives\n"
       "# url = \"s3://bucket/prefix\"  # or file:///mnt/backups/site\n";
  return o.str();
}

}  // namespace gp
