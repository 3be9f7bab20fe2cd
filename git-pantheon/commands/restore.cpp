// git pantheon restore <backup> | --from-files FILE... | --undo
#include <algorithm>
#include <iostream>

#include "commands.hpp"
#include "net/download.hpp"
#include "remote/remote.hpp"
#include "restore/restore.hpp"
#include "after.hpp"
#include "sanitize.hpp"
#include "rewrite.hpp"

namespace gp::cli {

namespace {

int run_restore(Context& ctx, Args& args) {
  auto to_env = args.value("to-env");
  auto element_args = args.values("element");
  auto branch = args.value("branch");
  auto confirm_env = args.value("confirm-env");
  bool yes = args.flag("yes");
  bool no_safety = args.flag("no-safety-backup");
  bool undo = args.flag("undo");
  bool from_files = args.flag("from-files");
  auto storage_remote = args.value("remote");
  auto from_env = args.value("from-env");
  RewriteRequest rewrite = rewrite_options(args);
  bool after = after_option(args);
  bool sanitize = sanitize_option(args);
  Format fmt = ctx.format(args);
  auto ops = args.operands(0, SIZE_MAX);
  std::vector<Element> elements;
  for (auto& v : element_args)
    for (auto e : option_value([&] { return parse_elements(v); })) elements.push_back(e);
  fs::path base = ctx.globals().cwd.empty() ? fs::current_path() : ctx.globals().cwd;
  // Operands that are archive files or URLs (and not a backup's name) are taken
  // as --from-files: what a user who downloaded Pantheon's archives types.
  if (!undo && !from_files && !ops.empty()) {
    bool all_files = std::all_of(ops.begin(), ops.end(), [&](const std::string& o) {
      std::error_code ec;
      return is_url(o) || (o.find('@') == std::string::npos && !ctx.repo().tag(o).has_value() &&
                           !ctx.repo().tag(std::string(kBackupTagPrefix) + o).has_value() &&
                           fs::is_regular_file(fs::path(o).is_absolute() ? fs::path(o) : base / o, ec));
    });
    if (all_files) {
      from_files = true;
      ctx.progress().info(ops.size() == 1 ? "'" + ops[0] + "' is a file: restoring it as an archive (as --from-files)"
                                          : "the operands are files: restoring them as archives (as --from-files)");
    }
  }

  const Config& cfg = ctx.config();
  Repo& repo = ctx.repo();
  Store store(repo);
  RestoreSource source;
  std::optional<FileLock> lock;
  std::optional<TempDir> downloads;
  if (undo) {
    if (!ops.empty() || from_files) args.usage_error("--undo takes no backup");
    std::string env = to_env.value_or("dev");
    cfg.env(env);
    auto safety = latest_safety_backup(repo, env, ctx.progress());
    if (!safety) throw Error(Exit::bad_input, describe("no safety backup of environment", env, "nothing to undo"));
    source.backup = *safety;
    source.label = safety->tag.substr(std::string(kBackupTagPrefix).size());
  } else if (from_files) {
    std::vector<fs::path> files;
    for (auto& o : ops) {
      if (!is_url(o)) {
        files.push_back(fs::path(o).is_absolute() ? fs::path(o) : base / o);
        continue;
      }
      // Downloads go to the store's tmp/, which belongs to whoever holds the lock.
      if (!lock) lock.emplace(store.lock());
      if (!downloads) {
        make_dirs(store.tmp_dir(), 0700);
        downloads.emplace(store.tmp_dir(), "download-");
      }
      files.push_back(download(o, downloads->path() / std::to_string(files.size()), ctx.progress()));
    }
    if (files.empty()) args.usage_error("--from-files needs at least one archive");
    source = source_from_files(files, elements);
  } else {
    if (ops.size() != 1) args.usage_error(ops.empty() ? "name the backup to restore" : "name one backup");
    source.backup = resolve_backup(repo, ops[0], ctx.progress(), &cfg);
    source.label = source.backup->tag.substr(std::string(kBackupTagPrefix).size());
  }

  if (from_env) {
    if (undo) args.usage_error("--undo restores an environment's own content: no --from-env");
    cfg.env(*from_env);
    source.env = *from_env;
  }
  RestoreRequest req;
  req.rewrite = rewrite;
  // Archives missing locally come from the storage remote (--remote, else the default).
  req.fetch = [&](const ArchiveRecord& r) { return ensure_local(store, *lock, cfg, r, storage_remote, ctx.progress()); };
  req.target_env = to_env.value_or(source.backup ? source.backup->manifest.env : "dev");
  req.elements = elements;
  req.safety_backup = !no_safety;
  req.branch = branch.value_or("");
  cfg.env(req.target_env);
  refuse_sanitize_live(sanitize, req.target_env);
  // The environment the database comes from ("" unknown): its own content is never sanitised.
  const std::string from_env_name = !source.env.empty() ? source.env : source.backup ? source.backup->manifest.env : "";
  const bool wants_db = elements.empty() || std::find(elements.begin(), elements.end(), Element::database) != elements.end();

  auto plan = describe_restore(cfg, ctx.root(), source, req);
  if (!no_safety) plan.push_back("a safety backup of " + req.target_env + " is made first ('restore --undo' brings it back)");
  if (wants_db) sanitize_plan(plan, cfg, req.target_env, from_env_name, sanitize);
  after_plan(plan, cfg, req.target_env, AfterEvent::restore, after);
  require_confirmation("Restoring " + source.label + " into " + req.target_env + ":", plan, req.target_env, yes, confirm_env);

  if (!lock) lock.emplace(store.lock());
  RestoreResult r = restore(repo, cfg, store, *lock, source, req, ctx.progress());
  if (std::find(r.restored.begin(), r.restored.end(), Element::database) != r.restored.end() &&
      sanitizing(cfg, req.target_env, from_env_name, sanitize))
    sanitize_database(ctx, store, req.target_env);
  downloads.reset();  // under the store's tmp/: removed while the lock is held
  lock.reset();       // the steps may run git pantheon themselves
  const std::string after_source = !source.env.empty() ? source.env
                                   : source.backup     ? source.backup->manifest.env
                                                       : source.label;
  auto& out = ctx.out();
  if (fmt == Format::json) {
    JsonWriter j;
    j.begin_object().field("source", source.label).field("env", req.target_env).key("restored").begin_array();
    for (auto e : r.restored) j.value(to_string(e));
    j.end_array().key("branch");
    r.branch.empty() ? j.null() : j.value(r.branch);
    j.key("safety_backup");
    r.safety ? j.value(r.safety->tag) : j.null();
    json_rewrite(j, r.rewrite);
    j.end_object();
    out << j.str() << "\n";
    run_after(ctx, AfterEvent::restore, req.target_env, after_source, after, true);
    return 0;
  }
  out << "Restored " << source.label << " into " << req.target_env << ":";
  for (auto e : r.restored) out << " " << to_string(e);
  out << "\n";
  if (!r.branch.empty()) out << "  code is on branch " << r.branch << "\n";
  if (r.rewrite) print_rewrite(out, *r.rewrite);
  if (r.safety)
    out << "  safety backup " << r.safety->tag << " (undo: git pantheon restore --undo --to-env " << req.target_env << ")\n";
  run_after(ctx, AfterEvent::restore, req.target_env, after_source, after, false);
  return 0;
}

constexpr Option kRestoreOptions[] = {
    {"to-env", 0, "<env>", "the environment to restore into (default: the backup's own)", false, Complete::env},
    {"element", 0, "<element>", "only this element: code, db (or database) or files; or a list: code,db", true},
    {"from-files", 0, nullptr, "the operands are archives (files or URLs), not a backup"},
    {"undo", 0, nullptr, "restore the environment's latest safety backup"},
    {"branch", 0, "<name>", "the branch the code goes into (default: restore/<env>/<backup>)"},
    use(kFromEnvOptions), use(kRemoteOptions), use(kRewriteOptions), use(kConfirmOptions), use(kSafetyOptions),
    use(kFormatOptions), use(kAfterOptions), use(kSanitizeOptions)};

}  // namespace

const Command kRestoreCommand{.name = "restore",
                              .summary = "restore a backup into its own or another environment, safely",
                              .operands = "[<backup> | <archive>...]",
                              .options = kRestoreOptions,
                              .run = run_restore,
                              .operand_complete = Complete::file};

}  // namespace gp::cli
