// git pantheon backup create|list|info|get|verify|prune (schedule, protect and
// unprotect live in commands/schedule.cpp)
#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "backup/backup.hpp"
#include "backup/protect.hpp"
#include "restore/trial.hpp"
#include "commands.hpp"
#include "remote/remote.hpp"
#include "util/json.hpp"

namespace gp::cli {

namespace {

void manifest_json(JsonWriter& j, const Backup& b, const Store* store) {
  const Manifest& m = b.manifest;
  j.begin_object().field("tag", b.tag).field("site", m.site).field("env", m.env);
  j.key("elements").begin_array();
  for (auto e : m.elements) j.value(to_string(e));
  j.end_array();
  j.field("created", iso8601(m.created)).field("expires", iso8601(m.expires)).field("initiator", m.initiator);
  j.key("deploy_tag");
  m.deploy_tag.empty() ? j.null() : j.value(m.deploy_tag);
  j.field("commit", m.commit).field("dirty", m.dirty).field("version", m.version).field("size", m.total_size());
  j.key("archives").begin_array();
  for (auto& a : m.archives) {
    j.begin_object().field("element", to_string(a.element)).field("file", a.file).field("size", a.size);
    j.field("sha256", a.sha256).field("compression", a.compression).field("entries", a.entries);
    if (store) {
      std::error_code ec;
      j.field("local", fs::exists(store->archive_path(a.file), ec));
    }
    j.end_object();
  }
  j.end_array().end_object();
}

// The --element values; empty for none or "all" (every element the environment has).
std::vector<Element> elements_from(Args& args) {
  std::vector<Element> out;
  for (auto& v : args.values("element")) {
    if (v == "all") return {};
    for (auto e : option_value([&] { return parse_elements(v); }))
      if (std::find(out.begin(), out.end(), e) == out.end()) out.push_back(e);
  }
  return out;
}

int backup_create(Context& ctx, Args& args) {
  Format fmt = ctx.format(args);
  auto env = args.value("env").value_or("dev");
  auto keep = args.value("keep-for");
  auto elements = elements_from(args);
  args.operands(0, 0);
  BackupRequest req;
  req.env = env;
  if (!elements.empty()) req.elements = elements;
  if (keep) req.keep_for = option_value([&] { return parse_duration(*keep, "--keep-for"); });
  const Config& cfg = ctx.config();
  const EnvConfig& env_cfg = cfg.env(env);  // unknown environment: say so before taking the lock
  for (auto e : elements) require_element(env_cfg, e);
  Store store(ctx.repo());
  auto lock = store.lock();
  Backup b = create_backup(ctx.repo(), cfg, store, lock, req, ctx.progress());
  if (fmt == Format::json) {
    JsonWriter j;
    manifest_json(j, b, &store);
    ctx.out() << j.str() << "\n";
    return 0;
  }
  ctx.out() << "Created backup " << b.tag << " (" << human_size(b.manifest.total_size()) << ", expires "
            << ctx.when(b.manifest.expires) << ")\n";
  for (auto& a : b.manifest.archives) ctx.out() << "  " << to_string(a.element) << "\t" << a.file << "\t" << human_size(a.size) << "\n";
  // Every element the env has was backed up: say which ones it has not.
  if (elements.empty()) {
    if (env_cfg.code_only())
      ctx.out() << "  " << env
                << " is a code environment (no database, no files directory): this backup holds its code only\n";
    else if (!env_cfg.database)
      ctx.out() << "  " << env << " has no database: this backup holds no database archive\n";
    else if (!env_cfg.files)
      ctx.out() << "  " << env << " has no files directory: this backup holds no files archive\n";
  }
  return 0;
}

int backup_list(Context& ctx, Args& args) {
  Format fmt = ctx.format(args);
  auto env = args.value("env");
  auto element_arg = args.value("element");
  args.operands(0, 0);
  std::optional<Element> element;
  if (element_arg) {
    element = parse_element(*element_arg);
    if (!element) throw Error(Exit::usage, describe("unknown element", *element_arg), "choose code, db (or database) or files");
  }
  if (env) ctx.config().env(*env);
  Store store(ctx.repo());
  std::vector<Backup> rows;
  for (auto& b : list_backups(ctx.repo(), ctx.progress()))
    if ((!env || b.manifest.env == *env) && (!element || b.manifest.archive(*element))) rows.push_back(std::move(b));
  if (fmt == Format::json) {
    JsonWriter j;
    j.begin_array();
    for (auto& b : rows) manifest_json(j, b, &store);
    j.end_array();
    ctx.out() << j.str() << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> table{
      {"BACKUP", "ENV", "CREATED", "AGE", "EXPIRES", "ELEMENTS", "SIZE", "INITIATOR"}};
  const TimePoint now = current_time();
  for (auto& b : rows) {
    std::string els;
    for (auto e : b.manifest.elements) els += (els.empty() ? "" : ",") + to_string(e);
    table.push_back({b.tag, b.manifest.env, ctx.when(b.manifest.created), age_text(b.manifest.created, now),
                     ctx.when(b.manifest.expires, true), els, human_size(b.manifest.total_size()),
                     b.manifest.initiator});
  }
  if (rows.empty()) {
    if (!ctx.quiet()) std::cerr << "no backups yet: make one with 'git pantheon backup create'\n";
    return 0;
  }
  print_table(ctx.out(), table);
  return 0;
}

// The backup named by the first operand, or the latest of --env (default dev).
Backup chosen_backup(Context& ctx, const std::optional<std::string>& env_opt, const std::vector<std::string>& ops,
                     std::optional<Element> element) {
  if (!ops.empty()) {
    const Config* cfg = nullptr;
    try {
      cfg = &ctx.config();
    } catch (const Error&) {  // no usable .pantheon.toml: backups can still be named
    }
    return resolve_backup(ctx.repo(), ops[0], ctx.progress(), cfg);
  }
  std::string env = env_opt.value_or("dev");
  auto b = latest_backup(ctx.repo(), env, element, ctx.progress());
  if (!b)
    throw Error(Exit::bad_input, describe("no backup of environment", env, element ? "with a " + to_string(*element) + " archive" : ""),
                "make one with 'git pantheon backup create --env " + env + "'");
  return *b;
}

// Downloads archives missing from the local store from a storage remote, taking
// the store lock on first use.
struct LazyFetcher {
  Context& ctx;
  const Store& store;
  std::optional<std::string> remote;
  std::optional<FileLock> lock;
  ArchiveFetcher fn() {
    return [this](const ArchiveRecord& r) {
      const Config* cfg = nullptr;
      try {
        cfg = &ctx.config();
      } catch (const Error&) {
        if (remote) throw;
        return false;  // no .pantheon.toml: no storage, keep the "not in the local store" error
      }
      if (cfg->storage.empty() && !remote) return false;
      if (!lock) {
        store.create();
        lock.emplace(store.lock());
      }
      return ensure_local(store, *lock, *cfg, r, remote, ctx.progress());
    };
  }
};

int backup_info(Context& ctx, Args& args) {
  Format fmt = ctx.format(args);
  auto env = args.value("env");
  auto ops = args.operands(0, 1);
  Backup b = chosen_backup(ctx, env, ops, std::nullopt);
  Store store(ctx.repo());
  if (fmt == Format::json) {
    JsonWriter j;
    manifest_json(j, b, &store);
    ctx.out() << j.str() << "\n";
    return 0;
  }
  const Manifest& m = b.manifest;
  auto& o = ctx.out();
  o << "backup     " << b.tag << "\n"
    << "site       " << m.site << "\n"
    << "env        " << m.env << "\n"
    << "created    " << ctx.when(m.created) << " (" << age_text(m.created, current_time()) << ")\n"
    << "expires    " << ctx.when(m.expires) << " (" << age_text(m.expires, current_time()) << ")\n"
    << "initiator  " << m.initiator << "\n"
    << "commit     " << m.commit << (m.dirty ? " (work tree had uncommitted changes)" : "") << "\n"
    << "deploy tag " << (m.deploy_tag.empty() ? "-" : m.deploy_tag) << "\n";
  {
    auto prot = protections(ctx.repo(), list_backups(ctx.repo(), ctx.progress()), true);
    auto it = prot.find(b.tag);
    o << "protected  " << (it == prot.end() ? "no" : it->second) << "\n\n";
  }
  std::vector<std::vector<std::string>> table{{"ELEMENT", "FILE", "SIZE", "ENTRIES", "SHA256", "LOCAL"}};
  for (auto& a : m.archives) {
    std::error_code ec;
    table.push_back({to_string(a.element), a.file, human_size(a.size), std::to_string(a.entries), a.sha256,
                     fs::exists(store.archive_path(a.file), ec) ? "yes" : "no"});
  }
  print_table(o, table);
  return 0;
}

int backup_get(Context& ctx, Args& args) {
  auto element_arg = args.value("element");
  auto file = args.value("file");
  auto to = args.value("to");
  auto env = args.value("env");
  bool force = args.flag("force");
  auto remote = args.value("remote");
  bool url = args.flag("url");
  auto expires = args.value("expires");
  if (expires && !url) args.usage_error("--expires goes with --url");
  auto expires_in = expires ? option_value([&] { return parse_short_duration(*expires, "--expires"); })
                            : std::chrono::seconds(15 * 60);
  args.flag("latest");  // the default when no backup is named
  auto ops = args.operands(0, 1);
  if (element_arg && file) args.usage_error("--element and --file exclude each other");
  std::optional<Element> element;
  if (element_arg) {
    element = parse_element(*element_arg);
    if (!element) throw Error(Exit::usage, describe("unknown element", *element_arg), "choose code, db (or database) or files");
  }
  Store store(ctx.repo());
  const ArchiveRecord* rec = nullptr;
  Backup b;
  if (file) {
    // --file NAME: the archive of that name, in whichever backup holds it.
    for (auto& cand : list_backups(ctx.repo(), ctx.progress()))
      for (auto& a : cand.manifest.archives)
        if (a.file == *file && !rec) {
          b = cand;
          rec = b.manifest.archive(a.element);
        }
    if (!rec) throw Error(Exit::bad_input, describe("no backup holds an archive named", *file));
  } else {
    b = chosen_backup(ctx, env, ops, element);
    if (!element) {
      if (b.manifest.archives.size() != 1)
        args.usage_error("say which archive: --element code|db|files, or --file NAME");
      element = b.manifest.archives[0].element;
    }
    rec = b.manifest.archive(*element);
    if (!rec) throw Error(Exit::bad_input, describe("backup", b.tag, "has no " + to_string(*element) + " archive"));
  }
  if (url) {
    if (to || force) args.usage_error("--url excludes --to and --force");
    auto name = default_storage_remote(ctx.config(), remote);
    if (!name) throw Error(Exit::config, "no storage remote configured", "add [storage.origin] to .pantheon.toml");
    ctx.out() << presign_archive(ctx.config(), *name, *rec, expires_in) << "\n";
    return 0;
  }
  fs::path dest = to ? fs::path(*to) : fs::path(rec->file);
  std::error_code ec;
  if (fs::is_directory(dest, ec)) dest /= rec->file;
  if (!dest.is_absolute()) dest = (ctx.globals().cwd.empty() ? fs::current_path() : ctx.globals().cwd) / dest;
  LazyFetcher lf{ctx, store, remote, std::nullopt};
  ArchiveFetcher fetch = lf.fn();
  copy_archive_out(store, *rec, dest, force, ctx.progress(), &fetch);
  ctx.out() << dest.string() << "\n";
  return 0;
}

int backup_verify(Context& ctx, Args& args) {
  bool all = args.flag("all");
  bool trial = args.flag("restore");
  auto env = args.value("env");
  auto remote = args.value("remote");
  auto ops = args.operands(0, SIZE_MAX);
  std::vector<Backup> targets;
  if (all) {
    if (!ops.empty()) args.usage_error("--all takes no backup names");
    for (auto& b : list_backups(ctx.repo(), ctx.progress()))
      if (!env || b.manifest.env == *env) targets.push_back(b);
  } else if (ops.empty()) {
    targets.push_back(chosen_backup(ctx, env, ops, std::nullopt));
  } else {
    for (auto& spec : ops) targets.push_back(resolve_backup(ctx.repo(), spec, ctx.progress()));
  }
  Store store(ctx.repo());
  LazyFetcher lf{ctx, store, remote, std::nullopt};
  ArchiveFetcher fetch = lf.fn();
  if (trial) {
    // A trial restore into scratch places under the store's tmp/, held under the
    // lock (taking the lock clears tmp/ of crashed commands' leftovers).
    store.create();
    lf.lock.emplace(store.lock());
    ArchiveFetcher locked = [&](const ArchiveRecord& r) {
      const Config& cfg = ctx.config();
      if (cfg.storage.empty() && !remote) return false;
      return ensure_local(store, *lf.lock, cfg, r, remote, ctx.progress());
    };
    size_t failed = 0, n = 0;
    for (auto& b : targets) {
      auto r = trial_restore(ctx.config(), ctx.root(), store, b, ctx.progress(), &locked);
      for (auto& e : r.elements) {
        ++n;
        if (e.status == "FAILED") ++failed;
        if (!ctx.quiet() || e.status == "FAILED")
          ctx.out() << (e.status == "ok" ? "ok      " : "FAILED  ") << e.file << ": "
                    << e.detail << "\n";
      }
    }
    if (failed) throw Error(Exit::integrity, std::to_string(failed) + " of " + std::to_string(n) + " archives failed the trial restore");
    if (!ctx.quiet()) ctx.out() << "trial restore of " << targets.size() << " backups passed\n";
    return 0;
  }
  size_t ok = 0, bad = 0;
  std::optional<Exit> worst;
  for (auto& b : targets) {
    for (auto& a : b.manifest.archives) {
      try {
        verify_archive(store, a, ctx.progress(), &fetch);
        ++ok;
        if (!ctx.quiet()) ctx.out() << "ok      " << a.file << "\n";
      } catch (const Error& e) {
        ++bad;
        if (!worst || e.code() == Exit::integrity) worst = e.code();
        ctx.out() << "FAILED  " << a.file << ": " << e.what() << "\n";
      }
    }
  }
  if (bad) {
    throw Error(*worst, std::to_string(bad) + " of " + std::to_string(ok + bad) + " archives failed verification");
  }
  if (!ctx.quiet()) ctx.out() << ok << " archives verified in " << targets.size() << " backups\n";
  return 0;
}

std::optional<RetentionPolicy> policy_from(Args& args) {
  RetentionPolicy p;
  bool any = false;
  for (auto [name, field] : {std::pair{"keep-last", &p.last}, {"keep-hourly", &p.hourly}, {"keep-daily", &p.daily},
                             {"keep-weekly", &p.weekly}, {"keep-monthly", &p.monthly}, {"keep-yearly", &p.yearly}}) {
    if (auto v = args.value(name)) {
      auto n = parse_keep_count(*v);
      if (!n) args.usage_error(describe("bad --" + std::string(name), *v, std::string("expected ") + kKeepCountForms));
      *field = *n;
      any = true;
    }
  }
  if (auto v = args.value("keep-within")) {
    auto span = parse_calendar_span(*v);
    if (!span) args.usage_error(describe("bad --keep-within", *v, std::string("expected ") + kSpanForms));
    p.within = *span;
    any = true;
  }
  if (!any) return std::nullopt;
  return p;
}

int backup_prune(Context& ctx, Args& args) {
  Format fmt = ctx.format(args);
  bool dry = args.flag("dry-run");
  auto env = args.value("env");
  auto remote = args.value("remote");
  auto policy = policy_from(args);
  bool verbose = args.flag("verbose");
  args.operands(0, 0);
  if (env) ctx.config().env(*env);
  // A .pantheon.toml is needed for policies and remotes; without one, keep-for
  // alone (as before).
  const Config* cfg = nullptr;
  try {
    cfg = &ctx.config();
  } catch (const Error& e) {
    if (e.code() != Exit::config || policy || remote) throw;
  }
  Store store(ctx.repo());
  auto lock = store.lock();
  PruneRequest req;
  req.now = current_time();  // test builds: GP_TEST_NOW
  req.dry_run = dry;
  req.env = env;
  req.policy = policy;
  req.retention = cfg ? &cfg->retention : nullptr;
  // What is removed: the backups, then archives (the store's unreferenced ones
  // locally; the removed backups' own in a remote's storage).
  std::vector<PruneDecision> decisions;
  std::vector<Backup> removed;
  std::vector<std::string> archives;
  std::string where, archive_word = "unreferenced archive";
  if (remote) {
    auto r = prune_remote(ctx.repo(), *cfg, store, lock, *remote, req, ctx.progress());
    decisions = std::move(r.decisions);
    removed = std::move(r.removed);
    archives = std::move(r.objects);
    where = " on " + *remote;
    archive_word = "archive";
  } else {
    auto r = prune_backups(ctx.repo(), store, lock, req, ctx.progress());
    decisions = std::move(r.decisions);
    removed = std::move(r.removed);
    archives = std::move(r.orphans);
  }
  if (fmt == Format::json) {
    JsonWriter j;
    j.begin_object().field("dry_run", dry);
    if (remote) j.field("remote", *remote);
    j.key("removed").begin_array();
    for (auto& b : removed) j.value(b.tag);
    j.end_array().key(remote ? "archives" : "orphans").begin_array();
    for (auto& o : archives) j.value(o);
    j.end_array().key("backups").begin_array();
    for (auto& d : decisions) {
      j.begin_object().field("tag", d.backup.tag).field("env", d.backup.manifest.env);
      j.field("created", iso8601(d.backup.manifest.created)).field("initiator", d.backup.manifest.initiator);
      j.field("keep", d.keep).key("reasons").begin_array();
      for (auto& why : d.reasons) j.value(why);
      j.end_array().end_object();
    }
    j.end_array().end_object();
    ctx.out() << j.str() << "\n";
    return 0;
  }
  const char* verb = dry ? "would remove" : "removed";
  // A dry run explains the kept backups too when a policy is in effect (or with
  // -v): every rule that keeps each one.
  bool policy_in_effect = policy.has_value();
  if (cfg && !policy_in_effect) {
    policy_in_effect = !cfg->retention.policy.empty();
    for (auto& [e, p] : cfg->retention.per_env) policy_in_effect = policy_in_effect || !p.empty();
  }
  bool explain = dry && (policy_in_effect || verbose);
  for (auto& d : decisions) {
    if (d.keep && !explain) continue;
    std::string why;
    for (auto& w : d.reasons) why += (why.empty() ? "" : ", ") + w;
    ctx.out() << (d.keep ? "keep" : verb) << " " << d.backup.tag << where << " (" << why << ")\n";
  }
  for (auto& o : archives) ctx.out() << verb << " " << archive_word << " " << o << where << "\n";
  if (removed.empty() && archives.empty() && !ctx.quiet()) ctx.out() << "nothing to prune" << where << "\n";
  return 0;
}

constexpr Option kElementOption[] = {
    {"element", 0, "<element>", "all (the default), code, db (or database) or files; or a list: code,db", true}};

constexpr Option kCreateOptions[] = {
    use(kEnvOptions), use(kElementOption),
    {"keep-for", 0, "<duration>", "keep it this long instead of the configured time (30d, 12h, 2w)"},
    use(kFormatOptions)};
constexpr Option kListOptions[] = {
    {"env", 0, "<env>", "only the backups of this environment", false, Complete::env},
    {"element", 0, "<element>", "only the backups with this archive (code, db or files)"}, use(kFormatOptions)};
constexpr Option kInfoOptions[] = {
    {"env", 0, "<env>", "the latest backup of this environment, when none is named (default dev)", false, Complete::env},
    use(kFormatOptions)};
constexpr Option kGetOptions[] = {
    {"latest", 0, nullptr, "the latest backup of the environment (the default when none is named)"},
    {"env", 0, "<env>", "the environment whose latest backup is copied (default dev)", false, Complete::env},
    {"element", 0, "<element>", "the archive: code, db or files (needed when the backup has several)"},
    {"file", 0, "<name>", "the archive of this file name, in whichever backup holds it"},
    {"to", 0, "<dir|file>", "where to write it (default: its name in the current directory)", false, Complete::file},
    {"force", 'f', nullptr, "replace an existing file"}, use(kRemoteOptions),
    {"url", 0, nullptr, "print a presigned URL to the archive in the storage remote instead"},
    {"expires", 0, "<duration>", "how long the --url stays valid (default 15m)"}};
constexpr Option kVerifyOptions[] = {
    {"all", 0, nullptr, "every backup (of --env, when given)"},
    {"env", 0, "<env>", "the latest backup of this environment, or with --all its backups", false, Complete::env},
    use(kRemoteOptions),
    {"restore", 0, nullptr, "also restore each archive into scratch places (a trial restore)"}};
constexpr Option kPruneOptions[] = {
    {"dry-run", 'n', nullptr, "say what would be removed, and why what is kept is kept"},
    {"env", 0, "<env>", "only this environment's backups", false, Complete::env},
    {"remote", 0, "<remote>", "prune the backups of this storage remote and their archives there", false,
     Complete::remote},
    {"keep-last", 0, "<n>", "keep the n latest backups (n or 'unlimited')"},
    {"keep-hourly", 0, "<n>", "keep the latest backup of each of the n latest hours"},
    {"keep-daily", 0, "<n>", "keep the latest backup of each of the n latest days"},
    {"keep-weekly", 0, "<n>", "keep the latest backup of each of the n latest weeks"},
    {"keep-monthly", 0, "<n>", "keep the latest backup of each of the n latest months"},
    {"keep-yearly", 0, "<n>", "keep the latest backup of each of the n latest years"},
    {"keep-within", 0, "<span>", "keep every backup younger than this (2y5m7d3h)"},
    {"verbose", 'v', nullptr, "with --dry-run, explain every kept backup"}, use(kFormatOptions)};

const Command kBackupCreate{.name = "create",
                            .summary = "back an environment up: its code, database and files archives and a tag",
                            .options = kCreateOptions,
                            .run = backup_create};
const Command kBackupList{.name = "list",
                          .summary = "list the backups, newest first",
                          .options = kListOptions,
                          .run = backup_list};
const Command kBackupInfo{.name = "info",
                          .summary = "show a backup's manifest and whether its archives are in the local store",
                          .operands = "[<backup>]",
                          .options = kInfoOptions,
                          .run = backup_info};
const Command kBackupGet{.name = "get",
                         .summary = "copy one archive of a backup out of the store, or print a URL to it",
                         .operands = "[<backup>]",
                         .options = kGetOptions,
                         .run = backup_get};
const Command kBackupVerify{.name = "verify",
                            .summary = "check the size and sha256 of backups' archives",
                            .operands = "[<backup>...]",
                            .options = kVerifyOptions,
                            .run = backup_verify};
const Command kBackupPrune{.name = "prune",
                           .summary = "remove expired backups, or those a retention policy does not keep",
                           .options = kPruneOptions,
                           .run = backup_prune};

const Command* const kBackupSubcommands[] = {&kBackupCreate, &kBackupList,          &kBackupInfo,
                                             &kBackupGet,    &kBackupVerify,        &kBackupPrune,
                                             &kBackupProtectCommand, &kBackupUnprotectCommand, &kBackupScheduleCommand};

}  // namespace

const Command kBackupCommand{.name = "backup",
                             .summary = "make, list, inspect, copy out, verify and prune backups",
                             .subcommands = kBackupSubcommands};

}  // namespace gp::cli
