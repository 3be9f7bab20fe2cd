// git pantheon env list: each environment, its database (never a secret), files
// directory ("(none)" / null for a code environment), and the deploy tag and
// commit its code is at, and when its latest backup was made (and how long ago).
#include <iostream>

#include "commands.hpp"
#include "restore/clone.hpp"
#include "deploy/deploy.hpp"
#include "after.hpp"
#include "sanitize.hpp"
#include "rewrite.hpp"
#include "util/json.hpp"

namespace gp::cli {

namespace {

struct EnvRow {
  const EnvConfig* env;
  std::optional<DeployTag> deploy;
  std::optional<git_oid> commit;
  std::string code;  // "pantheon_live_3", "branch main" or "-"
  std::optional<Backup> latest;  // the newest backup a person or the schedule made
};

// An environment that cannot be used (a malformed database URL) is listed with
// "(invalid)" and its error as a warning; with --check it fails the command (exit 4).
int broken_envs(Context& ctx, const std::vector<EnvRow>& rows, bool check) {
  std::vector<std::string> errors;
  for (auto& r : rows)
    if (!r.env->broken.empty()) errors.push_back(r.env->broken);
  if (check && !errors.empty())
    throw Error(Exit::config, errors[0],
                errors.size() > 1 ? std::to_string(errors.size() - 1) + " more environments cannot be used" : "");
  for (auto& e : errors) ctx.progress().warn(e);
  return 0;
}

int env_list(Context& ctx, Args& args) {
  Format fmt = ctx.format(args);
  bool check = args.flag("check");
  args.operands(0, 0);
  const Config& cfg = ctx.config();
  Repo& repo = ctx.repo();
  std::vector<EnvRow> rows;
  const auto backups = list_backups(repo, ctx.progress());
  for (auto& name : ordered_env_names(cfg)) {  // dev, test, live, then the others
    const EnvConfig& env = cfg.envs.at(name);  // a broken one too: it is shown with its error
    EnvRow r{&env, latest_deploy_tag(repo, name), std::nullopt, "-", std::nullopt};
    for (auto& b : backups)
      if (b.manifest.env == name && user_backup(b.manifest)) {
        r.latest = b;
        break;
      }
    if (r.deploy) {
      r.commit = r.deploy->tag.target;
      r.code = r.deploy->tag.name;
    } else if (name == "dev" || !env.branch.empty()) {
      std::string branch = env.branch.empty() ? repo.head_branch().value_or("HEAD") : env.branch;
      r.commit = repo.resolve_commit(branch == "HEAD" ? "HEAD" : "refs/heads/" + branch);
      r.code = "branch " + branch;
    }
    rows.push_back(std::move(r));
  }
  if (fmt == Format::json) {
    JsonWriter j;
    j.begin_object().field("site", cfg.site).field("framework", to_string(cfg.framework)).key("environments").begin_array();
    for (auto& r : rows) {
      j.begin_object().field("name", r.env->name);
      j.key("error");
      r.env->broken.empty() ? j.null() : j.value(r.env->broken);
      j.key("database");
      if (const auto& db = r.env->database) {
        j.begin_object().field("kind", to_string(db->kind));
        if (db->kind == DbKind::sqlite) {
          j.field("path", db->path);
        } else {
          j.field("user", db->user).field("host", db->host).field("port", db->port).field("name", db->dbname);
        }
        j.end_object();
      } else {
        j.null();
      }
      j.key("files");
      r.env->files ? j.value(*r.env->files) : j.null();
      j.key("urls").begin_array();
      for (auto& u : r.env->urls) j.value(u);
      j.end_array();
      j.key("worktree");
      r.env->worktree.empty() ? j.null() : j.value(r.env->worktree);
      j.key("deploy_tag");
      r.deploy ? j.value(r.deploy->tag.name) : j.null();
      j.key("commit");
      r.commit ? j.value(oid_hex(*r.commit)) : j.null();
      j.key("latest_backup");
      if (r.latest)
        j.begin_object().field("tag", r.latest->tag).field("created", iso8601(r.latest->manifest.created)).end_object();
      else
        j.null();
      j.end_object();
    }
    j.end_array().end_object();
    ctx.out() << j.str() << "\n";
    return broken_envs(ctx, rows, check);
  }
  std::vector<std::vector<std::string>> table{{"ENV", "DATABASE", "FILES", "CODE", "COMMIT", "LATEST BACKUP"}};
  const TimePoint now = current_time();
  for (auto& r : rows)
    table.push_back({r.env->name,
                     r.env->database ? r.env->database->display() : r.env->broken.empty() ? "(none)" : "(invalid)",
                     r.env->files.value_or("(none)"), r.code, r.commit ? oid_hex(*r.commit).substr(0, 12) : "-",
                     r.latest ? ctx.when(r.latest->manifest.created) + " (" + age_text(r.latest->manifest.created, now) + ")"
                              : "-"});
  print_table(ctx.out(), table);
  return broken_envs(ctx, rows, check);
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

int env_code_log(Context& ctx, Args& args) {
  Format fmt = ctx.format(args);
  std::string env = args.value("env").value_or(kDevEnv);
  size_t limit = 20;
  if (auto n = args.value("max-count")) {
    char* end = nullptr;
    unsigned long v = std::strtoul(n->c_str(), &end, 10);
    if (n->empty() || *end != '\0' || (*n)[0] == '-') args.usage_error("-n needs a number, not '" + *n + "'");
    limit = v;
  }
  args.operands(0, 0);
  auto log = code_log(ctx.repo(), ctx.config(), env, limit);
  if (fmt == Format::json) {
    JsonWriter j;
    j.begin_array();
    for (auto& e : log) {
      j.begin_object()
          .field("commit", oid_hex(e.commit.oid))
          .field("author", e.commit.author)
          .field("date", git_time_iso8601(e.commit.author_time, e.commit.author_offset))
          .field("subject", e.commit.subject);
      j.key("environments").begin_array();
      for (auto& n : e.environments) j.value(n);
      j.end_array().key("tags").begin_array();
      for (auto& t : e.tags) j.value(t);
      j.end_array().end_object();
    }
    j.end_array();
    ctx.out() << j.str() << "\n";
    return 0;
  }
  for (auto& e : log) {
    std::string labels = e.environments.empty() ? "-" : "[" + join(e.environments, ",") + "]";
    TimePoint when{std::chrono::seconds(e.commit.author_time)};
    ctx.out() << e.commit.short_id << " " << ctx.when(when) << " " << labels << " " << e.commit.subject << "\n";
  }
  return 0;
}

// env clone-content <from> <to> [--db-only|--files-only] [--yes] [--confirm-env live]
int env_clone_content(Context& ctx, Args& args) {
  bool db_only = args.flag("db-only");
  bool files_only = args.flag("files-only");
  auto confirm_env = args.value("confirm-env");
  bool yes = args.flag("yes");
  RewriteRequest rewrite = rewrite_options(args);
  bool after = after_option(args);
  bool sanitize = sanitize_option(args);
  Format fmt = ctx.format(args);
  auto ops = args.operands(2, 2);
  if (db_only && files_only) args.usage_error("--db-only and --files-only exclude each other");
  std::vector<Element> elements;
  if (!files_only) elements.push_back(Element::database);
  if (!db_only) elements.push_back(Element::files);
  const Config& cfg = ctx.config();
  const std::string& from = ops[0];
  const std::string& to = ops[1];
  auto plan = describe_clone(cfg, from, to, elements, rewrite);  // refuses what clone_content would, before the prompt
  refuse_sanitize_live(sanitize, to);
  if (!files_only) sanitize_plan(plan, cfg, to, from, sanitize);
  after_plan(plan, cfg, to, AfterEvent::clone_content, after);
  require_confirmation("Cloning content of " + from + " into " + to + ":", plan, to, yes, confirm_env);
  Store store(ctx.repo());
  std::optional<FileLock> lock(store.lock());
  CloneResult r = clone_content(ctx.repo(), cfg, store, *lock, from, to, elements, ctx.progress(), rewrite);
  if (!files_only && sanitizing(cfg, to, from, sanitize)) sanitize_database(ctx, store, to);
  lock.reset();  // the steps may run git pantheon themselves
  if (fmt == Format::json) {
    JsonWriter j;
    j.begin_object().field("from", from).field("to", to).field("snapshot", r.source_backup.tag);
    j.key("restored").begin_array();
    for (auto e : r.restore.restored) j.value(to_string(e));
    j.end_array().key("safety_backup");
    r.restore.safety ? j.value(r.restore.safety->tag) : j.null();
    json_rewrite(j, r.restore.rewrite);
    j.end_object();
    ctx.out() << j.str() << "\n";
    run_after(ctx, AfterEvent::clone_content, to, from, after, true);
    return 0;
  }
  ctx.out() << "Cloned";
  for (auto e : r.restore.restored) ctx.out() << " " << to_string(e);
  ctx.out() << " of " << from << " into " << to << " (snapshot " << r.source_backup.tag << ")\n";
  if (r.restore.safety) ctx.out() << "  safety backup " << r.restore.safety->tag << "\n";
  if (r.restore.rewrite) print_rewrite(ctx.out(), *r.restore.rewrite);
  run_after(ctx, AfterEvent::clone_content, to, from, after, false);
  return 0;
}

constexpr Option kListOptions[] = {
    {"check", 0, nullptr, "fail (exit 4) when an environment cannot be used"}, use(kFormatOptions)};
constexpr Option kCodeLogOptions[] = {
    {"env", 0, "<env>", "the log of the code this environment runs (default dev)", false, Complete::env},
    {"max-count", 'n', "<n>", "show at most n commits (default 20)"}, use(kFormatOptions)};
constexpr Option kCloneOptions[] = {
    {"db-only", 0, nullptr, "clone the database only"},
    {"files-only", 0, nullptr, "clone the files only"}, use(kRewriteOptions), use(kConfirmOptions),
    use(kFormatOptions), use(kAfterOptions), use(kSanitizeOptions)};

const Command kEnvList{.name = "list",
                       .summary = "list the environments: database, files, code, latest backup",
                       .options = kListOptions,
                       .run = env_list};
const Command kEnvCodeLog{.name = "code-log",
                          .summary = "the commit log, each commit labelled with the environments it is deployed to",
                          .options = kCodeLogOptions,
                          .run = env_code_log};
const Command kEnvCloneContent{.name = "clone-content",
                               .summary = "copy one environment's database and files into another",
                               .operands = "<from> <to>",
                               .options = kCloneOptions,
                               .run = env_clone_content,
                               .operand_complete = Complete::env};

const Command* const kEnvSubcommands[] = {&kEnvList, &kEnvCodeLog, &kEnvCloneContent};

}  // namespace

const Command kEnvCommand{.name = "env",
                          .summary = "list environments, show the code log labelled with them, clone content between them",
                          .subcommands = kEnvSubcommands};

}  // namespace gp::cli
