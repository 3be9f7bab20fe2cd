// git pantheon import code <archive> --squash | <archive|repository> --merge-history
//                   | site <archive|URL|dir>... | db <dump|URL> | files <archive|URL>
#include <algorithm>
#include <iostream>

#include "commands.hpp"
#include "archive/tar.hpp"
#include "import/merge_history.hpp"
#include "import/site.hpp"
#include "import/squash.hpp"
#include "net/download.hpp"
#include "restore/restore.hpp"
#include "after.hpp"
#include "sanitize.hpp"
#include "rewrite.hpp"

namespace gp::cli {

namespace {

fs::path operand_path(Context& ctx, const std::string& op) {
  fs::path base = ctx.globals().cwd.empty() ? fs::current_path() : ctx.globals().cwd;
  return fs::path(op).is_absolute() ? fs::path(op) : base / op;
}

// Local paths as they are; URLs downloaded into `downloads` (under the store's tmp/,
// so the caller holds the store lock).
std::vector<fs::path> fetch_operands(Context& ctx, const std::vector<std::string>& ops, const Store& store,
                                     std::optional<TempDir>& downloads) {
  std::vector<fs::path> out;
  for (auto& op : ops) {
    if (!is_url(op)) {
      out.push_back(operand_path(ctx, op));
      continue;
    }
    if (!downloads) {
      make_dirs(store.tmp_dir(), 0700);
      downloads.emplace(store.tmp_dir(), "download-");
    }
    // One directory per URL: two URLs may name the same file.
    fs::path dir = downloads->path() / std::to_string(out.size());
    out.push_back(download(op, dir, ctx.progress()));
  }
  return out;
}

// import db / import files: restore() from one loose file.
int import_element(Context& ctx, Args& args, Element element) {
  auto env = args.value("env");
  auto confirm_env = args.value("confirm-env");
  bool yes = args.flag("yes");
  bool no_safety = args.flag("no-safety-backup");
  std::optional<std::string> strip;
  if (element == Element::files) strip = args.value("strip-components");
  std::optional<std::string> from_env;
  RewriteRequest rewrite;
  if (element == Element::database) {
    from_env = args.value("from-env");
    rewrite = rewrite_options(args);
  }
  bool after = after_option(args);
  bool sanitize = element == Element::database && sanitize_option(args);
  auto ops = args.operands(1, 1);
  const Config& cfg = ctx.config();
  Repo& repo = ctx.repo();
  Store store(repo);
  RestoreRequest req;
  req.target_env = env.value_or("dev");
  req.elements = {element};
  req.safety_backup = !no_safety;
  req.rewrite = rewrite;
  // Before any download: an environment without this element refuses at once.
  require_element(cfg.env(req.target_env), element,
                  describe("cannot import the " + to_string(element) + " into", req.target_env));
  if (from_env) cfg.env(*from_env);
  refuse_sanitize_live(sanitize, req.target_env);

  std::optional<FileLock> lock(store.lock());
  std::optional<TempDir> downloads;
  fs::path file = fetch_operands(ctx, ops, store, downloads)[0];
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) throw Error(Exit::bad_input, describe("cannot read", redact_url(ops[0]), "not a file"));
  RestoreSource source;
  source.label = file.filename().string();
  source.files.emplace_back(element, file);
  if (element == Element::database) source.env = from_env.value_or(pantheon_file_env(file));
  if (element == Element::files) {
    if (strip) {
      char* end = nullptr;
      unsigned long n = std::strtoul(strip->c_str(), &end, 10);
      if (strip->empty() || *end || n > 64) args.usage_error("--strip-components takes a number from 0 to 64");
      source.files_strip = static_cast<unsigned>(n);
    } else {
      source.files_strip = detect_files_strip(file);
    }
    // A hostile archive is refused before the safety backup: nothing changes at all.
    check_files_archive(file, source.files_strip, ctx.progress(), true);
  }
  auto plan = describe_restore(cfg, ctx.root(), source, req);
  if (!no_safety) plan.push_back("a safety backup of " + req.target_env + " is made first ('restore --undo' brings it back)");
  if (element == Element::database) sanitize_plan(plan, cfg, req.target_env, source.env, sanitize);
  after_plan(plan, cfg, req.target_env, AfterEvent::import, after);
  require_confirmation("Importing " + source.label + " into " + req.target_env + ":", plan, req.target_env, yes,
                       confirm_env);
  RestoreResult r = restore(repo, cfg, store, *lock, source, req, ctx.progress());
  if (element == Element::database && sanitizing(cfg, req.target_env, source.env, sanitize))
    sanitize_database(ctx, store, req.target_env);
  downloads.reset();  // under the store's tmp/: removed while the lock is held
  lock.reset();       // the steps may run git pantheon themselves
  auto& out = ctx.out();
  out << "Imported " << source.label << " into the " << to_string(element) << " of " << req.target_env << "\n";
  if (r.rewrite) print_rewrite(out, *r.rewrite);
  if (r.safety)
    out << "  safety backup " << r.safety->tag << " (undo: git pantheon restore --undo --to-env " << req.target_env << ")\n";
  run_after(ctx, AfterEvent::import, req.target_env, source.env.empty() ? source.label : source.env, after, false);
  return 0;
}

int import_site_cmd(Context& ctx, Args& args) {
  auto env = args.value("env");
  auto confirm_env = args.value("confirm-env");
  bool yes = args.flag("yes");
  bool no_safety = args.flag("no-safety-backup");
  bool dry_run = args.flag("dry-run");
  bool force = args.flag("force");
  auto from_env = args.value("from-env");
  RewriteRequest rewrite = rewrite_options(args);
  bool after = after_option(args);
  bool sanitize = sanitize_option(args);
  auto ops = args.operands(1, 3);
  const Config& cfg = ctx.config();
  Repo& repo = ctx.repo();
  Store store(repo);
  SiteImportRequest req;
  req.env = env.value_or("dev");
  req.safety_backup = !no_safety;
  req.force = force;
  req.rewrite = rewrite;
  if (from_env) req.from_env = cfg.env(*from_env).name;
  cfg.env(req.env);
  refuse_sanitize_live(sanitize, req.env);
  auto& out = ctx.out();

  if (dry_run) {
    for (auto& op : ops)
      if (is_url(op)) args.usage_error("--dry-run takes local files (URLs would be downloaded)");
    std::vector<fs::path> inputs;
    for (auto& op : ops) inputs.push_back(operand_path(ctx, op));
    SitePlan plan = recognise_site(inputs);
    out << "Would import into " << req.env << " (dry run, nothing changed):\n";
    for (auto& l : describe_site_import(plan, cfg, ctx.root(), req.env)) out << "  " << l << "\n";
    if (!no_safety) out << "  a safety backup of " << req.env << " would be made first\n";
    std::vector<std::string> after_lines;
    after_plan(after_lines, cfg, req.env, AfterEvent::import, after);
    for (auto& l : after_lines) out << "  " << l << " (would run)\n";
    return 0;
  }
  std::optional<FileLock> lock(store.lock());
  std::optional<TempDir> downloads;
  SitePlan plan = recognise_site(fetch_operands(ctx, ops, store, downloads));
  auto lines = describe_site_import(plan, cfg, ctx.root(), req.env);
  if (!no_safety) lines.push_back("a safety backup of " + req.env + " is made first ('restore --undo' brings it back)");
  sanitize_plan(lines, cfg, req.env, req.from_env, sanitize);
  after_plan(lines, cfg, req.env, AfterEvent::import, after);
  require_confirmation("Importing a site into " + req.env + ":", lines, req.env, yes, confirm_env);
  SiteImportResult r = import_site(repo, cfg, store, *lock, plan, req, ctx.progress());
  out << "Imported a " << to_string(plan.format) << " into " << req.env << "\n";
  if (r.code)
    out << "  code: commit " << oid_hex(r.code->commit).substr(0, 12) << ", " << r.code->content.files.size() << " files\n";
  for (auto e : r.restore.restored) out << "  " << to_string(e) << " restored\n";
  if (r.restore.rewrite) print_rewrite(out, *r.restore.rewrite);
  if (r.restore.safety)
    out << "  safety backup " << r.restore.safety->tag << " (undo: git pantheon restore --undo --to-env " << req.env << ")\n";
  if (std::find(r.restore.restored.begin(), r.restore.restored.end(), Element::database) != r.restore.restored.end() &&
      sanitizing(cfg, req.env, req.from_env, sanitize))
    sanitize_database(ctx, store, req.env);
  std::string after_source = req.from_env;
  if (after_source.empty() && !ops.empty()) after_source = redact_url(ops[0]);
  downloads.reset();
  lock.reset();  // the steps may run git pantheon themselves
  run_after(ctx, AfterEvent::import, req.env, after_source, after, false);
  return 0;
}

int import_code(Context& ctx, Args& args) {
  bool squash = args.flag("squash");
  bool merge = args.flag("merge-history");
  auto message = args.value("message");
  auto strip = args.value("strip-components");
  bool auto_strip = args.flag("auto-strip");
  auto subdir = args.value("subdir");
  bool force = args.flag("force");
  bool allow_conflicts = args.flag("allow-conflicts");
  bool refuse_links = args.flag("refuse-outside-links");
  auto tag_prefix = args.value("tag-prefix");
  auto ops = args.operands(1, 1);
  if (squash == merge) args.usage_error("choose one of --squash and --merge-history");
  Repo& repo = ctx.repo();
  Store store(repo);
  auto& out = ctx.out();
  fs::path source = operand_path(ctx, ops[0]);
  std::optional<FileLock> lock;
  std::optional<TempDir> downloads;
  if (is_url(ops[0])) {
    lock.emplace(store.lock());
    source = fetch_operands(ctx, ops, store, downloads)[0];
  }

  if (squash) {
    if (allow_conflicts || tag_prefix) args.usage_error("--allow-conflicts and --tag-prefix go with --merge-history");
    if (strip && auto_strip) args.usage_error("--strip-components and --auto-strip exclude each other");
    SquashOptions o;
    o.archive = source;
    o.message = message.value_or("");
    if (strip) {
      char* end = nullptr;
      unsigned long n = std::strtoul(strip->c_str(), &end, 10);
      if (strip->empty() || *end || n > 64) args.usage_error("--strip-components takes a number from 0 to 64");
      o.strip = static_cast<unsigned>(n);
    }
    o.subdir = subdir.value_or("");
    o.force = force;
    o.refuse_outside_links = refuse_links;
    if (!fs::is_regular_file(source))
      throw Error(Exit::bad_input, describe("cannot open archive", redact_url(ops[0]), "not a file"));
    if (!lock) lock.emplace(store.lock());
    SquashResult r = import_squash(repo, store, *lock, o, ctx.progress());
    out << "Imported " << source.filename().string() << " as commit " << oid_hex(r.commit).substr(0, 12) << ": "
        << r.content.files.size() << " files, " << human_size(r.content.bytes);
    if (r.content.stripped) out << ", top folder stripped";
    out << "\n";
    if (r.content.ignored) out << "  " << r.content.ignored << " files left out by the archive's .gitignore rules\n";
    if (r.content.git_metadata) out << "  " << r.content.git_metadata << " .git entries dropped\n";
    if (r.kept_pantheon_toml) out << "  kept .pantheon.toml from HEAD (the archive has none)\n";
    return 0;
  }

  if (strip || auto_strip || subdir || refuse_links)
    args.usage_error("--strip-components, --auto-strip, --subdir and --refuse-outside-links go with --squash");
  MergeHistoryOptions o;
  o.source = source.string();
  if (tag_prefix) o.tag_prefix = *tag_prefix;
  o.message = message.value_or("");
  o.force = force;
  const std::string shown = redact_url(ops[0]);  // a signed URL's query string is a secret
  if (!lock) lock.emplace(store.lock());
  MergeHistoryResult r = import_merge_history(repo, store, *lock, o, ctx.progress());
  if (!r.conflicts.empty()) {
    out << "Conflicts merging the history of " << shown << ":\n";
    for (auto& c : r.conflicts) out << "\t" << c << "\n";
    out.flush();
    if (!allow_conflicts)
      throw Error(Exit::bad_input,
                  describe("merging the history of", shown, std::to_string(r.conflicts.size()) + " conflicting paths"),
                  "resolve them, 'git add' them and 'git commit'; or 'git merge --abort'");
    out << "Resolve them, 'git add' them and 'git commit' (or 'git merge --abort').\n";
    return 0;
  }
  if (r.fast_forward)
    out << "The branch was empty: it now holds the history of " << shown << " ("
        << oid_hex(r.source_commit).substr(0, 12) << ")\n";
  else
    out << "Merged the history of " << shown << " as commit " << oid_hex(*r.merge_commit).substr(0, 12) << "\n";
  if (!r.tags.empty()) out << "  " << r.tags.size() << " tags imported under refs/tags/" << o.tag_prefix << "\n";
  return 0;
}

int import_db(Context& ctx, Args& args) { return import_element(ctx, args, Element::database); }
int import_files(Context& ctx, Args& args) { return import_element(ctx, args, Element::files); }

constexpr Option kStripOption[] = {
    {"strip-components", 0, "<n>", "drop the archive's first n folders (0 to 64; default: found out)"}};
constexpr Option kCodeOptions[] = {
    {"squash", 0, nullptr, "import the archive's tree as one commit"},
    {"merge-history", 0, nullptr, "merge the history of a repository or a code archive's .git"},
    {"message", 'm', "<message>", "the commit message"}, use(kStripOption),
    {"auto-strip", 0, nullptr, "drop a single top folder"},
    {"subdir", 0, "<path>", "import into this folder of the tree"},
    {"refuse-outside-links", 0, nullptr, "refuse symlinks that point outside the tree"},
    {"allow-conflicts", 0, nullptr, "leave a conflicted merge to resolve (exit 0)"},
    {"tag-prefix", 0, "<prefix>", "import the source's tags under refs/tags/<prefix>"},
    {"force", 'f', nullptr, "import even when the work tree has local changes"}};
constexpr Option kSiteOptions[] = {
    use(kEnvOptions), {"dry-run", 'n', nullptr, "say what would be imported, change nothing"},
    {"force", 'f', nullptr, "import even when the work tree has local changes"}, use(kFromEnvOptions),
    use(kRewriteOptions), use(kConfirmOptions), use(kSafetyOptions), use(kAfterOptions), use(kSanitizeOptions)};
constexpr Option kDbOptions[] = {use(kEnvOptions),     use(kFromEnvOptions), use(kRewriteOptions), use(kConfirmOptions),
                                 use(kSafetyOptions),  use(kAfterOptions),   use(kSanitizeOptions)};
constexpr Option kFilesOptions[] = {use(kEnvOptions), use(kStripOption), use(kConfirmOptions), use(kSafetyOptions),
                                    use(kAfterOptions)};

const Command kImportCode{.name = "code",
                          .summary = "import a code archive as a commit, or merge a repository's history",
                          .operands = "<archive|URL|repository>",
                          .options = kCodeOptions,
                          .run = import_code,
                          .operand_complete = Complete::file};
const Command kImportSite{.name = "site",
                          .summary = "import a whole site: a site archive, or code, database and files archives",
                          .operands = "<archive|URL|dir>...",
                          .options = kSiteOptions,
                          .run = import_site_cmd,
                          .operand_complete = Complete::file};
const Command kImportDb{.name = "db",
                        .summary = "load a database dump into an environment",
                        .operands = "<dump|URL>",
                        .options = kDbOptions,
                        .run = import_db,
                        .operand_complete = Complete::file,
                        .alias = "database"};
const Command kImportFiles{.name = "files",
                           .summary = "replace an environment's files with an archive's",
                           .operands = "<archive|URL>",
                           .options = kFilesOptions,
                           .run = import_files,
                           .operand_complete = Complete::file};

const Command* const kImportSubcommands[] = {&kImportCode, &kImportSite, &kImportDb, &kImportFiles};

}  // namespace

const Command kImportCommand{.name = "import",
                             .summary = "import a site, its code, database or files from archives, directories or URLs",
                             .subcommands = kImportSubcommands};

}  // namespace gp::cli
