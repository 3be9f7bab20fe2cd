// git pantheon import code <archive> --squash | <archive|repository> --merge-history
#include <iostream>

#include "commands.hpp"
#include "import/merge_history.hpp"
#include "import/squash.hpp"

namespace gp::cli {

namespace {

int import_code(Context& ctx, Args& args) {
  bool squash = args.flag("squash");
  bool merge = args.flag("merge-history");
  auto message = args.value("message", 'm');
  auto strip = args.value("strip-components");
  bool auto_strip = args.flag("auto-strip");
  auto subdir = args.value("subdir");
  bool force = args.flag("force", 'f');
  bool allow_conflicts = args.flag("allow-conflicts");
  auto tag_prefix = args.value("tag-prefix");
  auto ops = args.operands(1, 1);
  if (squash == merge) args.usage_error("choose one of --squash and --merge-history");
  fs::path base = ctx.globals().cwd.empty() ? fs::current_path() : ctx.globals().cwd;
  fs::path source = fs::path(ops[0]).is_absolute() ? fs::path(ops[0]) : base / ops[0];
  Repo& repo = ctx.repo();
  Store store(repo);
  auto& out = ctx.out();

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
    if (!fs::is_regular_file(source))
      throw Error(Exit::bad_input, describe("cannot open archive", ops[0], "not a file"));
    SquashResult r = import_squash(repo, store, o, ctx.progress());
    out << "Imported " << source.filename().string() << " as commit " << oid_hex(r.commit).substr(0, 12) << ": "
        << r.content.files.size() << " files, " << human_size(r.content.bytes);
    if (r.content.stripped) out << ", top folder stripped";
    out << "\n";
    if (r.content.ignored) out << "  " << r.content.ignored << " files left out by the archive's .gitignore rules\n";
    if (r.content.git_metadata) out << "  " << r.content.git_metadata << " .git entries dropped\n";
    if (r.kept_pantheon_toml) out << "  kept .pantheon.toml from HEAD (the archive has none)\n";
    return 0;
  }

  if (strip || auto_strip || subdir) args.usage_error("--strip-components, --auto-strip and --subdir go with --squash");
  MergeHistoryOptions o;
  o.source = source.string();
  if (tag_prefix) o.tag_prefix = *tag_prefix;
  o.message = message.value_or("");
  o.force = force;
  MergeHistoryResult r = import_merge_history(repo, store, o, ctx.progress());
  if (!r.conflicts.empty()) {
    out << "Conflicts merging the history of " << ops[0] << ":\n";
    for (auto& c : r.conflicts) out << "\t" << c << "\n";
    out.flush();
    if (!allow_conflicts)
      throw Error(Exit::bad_input,
                  describe("merging the history of", ops[0], std::to_string(r.conflicts.size()) + " conflicting paths"),
                  "resolve them, 'git add' them and 'git commit'; or 'git merge --abort'");
    out << "Resolve them, 'git add' them and 'git commit' (or 'git merge --abort').\n";
    return 0;
  }
  if (r.fast_forward)
    out << "The branch was empty: it now holds the history of " << ops[0] << " ("
        << oid_hex(r.source_commit).substr(0, 12) << ")\n";
  else
    out << "Merged the history of " << ops[0] << " as commit " << oid_hex(*r.merge_commit).substr(0, 12) << "\n";
  if (!r.tags.empty()) out << "  " << r.tags.size() << " tags imported under refs/tags/" << o.tag_prefix << "\n";
  return 0;
}

}  // namespace

int run_import(Context& ctx, Args& args) {
  auto sub = args.subcommand();
  if (!sub) args.usage_error("name what to import: code");
  if (*sub == "code") return import_code(ctx, args);
  args.usage_error("unknown import kind '" + *sub + "'");
}

}  // namespace gp::cli
