// git pantheon init: writes a commented .pantheon.toml for the repository
// (detecting Drupal or WordPress; dev with its database and files, test and live
// as code environments), creates the local store and installs the hooks.
#include <iostream>

#include "commands.hpp"
#include "hooks/hooks.hpp"
#include "store/store.hpp"

namespace gp::cli {

namespace {
std::string site_name_from(const fs::path& root) {
  std::string raw = root.filename().string(), out;
  for (char c : raw) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') out += c;
    else if (!out.empty() && out.back() != '-') out += '-';
  }
  while (!out.empty() && !std::isalnum(static_cast<unsigned char>(out.front()))) out.erase(out.begin());
  if (out.size() > 64) out.resize(64);
  return valid_site_name(out) ? out : "site";
}

std::string default_database(Framework f, const std::string& files_dir) {
  switch (f) {
    case Framework::drupal: return "sqlite:" + files_dir + "/.ht.sqlite";  // where Drupal's installer puts it
    case Framework::wordpress: return "sqlite:wp-content/database/.ht.sqlite";  // the SQLite integration plugin's place
    case Framework::other: return "sqlite:db/dev.sqlite";
  }
  return "sqlite:db/dev.sqlite";
}
}  // namespace

int run_init(Context& ctx, Args& args) {
  auto framework_opt = args.value("framework");
  auto site_opt = args.value("site");
  auto files_opt = args.value("files");
  auto db_opt = args.value("database");
  bool force = args.flag("force", 'f');
  args.operands(0, 0);

  fs::path root = ctx.root();
  fs::path file = root / kConfigFileName;
  std::error_code ec;
  if (fs::exists(file, ec) && !force)
    throw Error(Exit::bad_input, describe("refusing to overwrite", kConfigFileName, "it already exists"),
                "use --force to replace it");

  Framework fw = detect_framework(root);
  if (framework_opt) {
    auto f = parse_framework(*framework_opt);
    if (!f) args.usage_error("--framework must be drupal, wordpress or other, not '" + *framework_opt + "'");
    fw = *f;
  }
  std::string site = site_opt.value_or(site_name_from(root));
  if (!valid_site_name(site)) args.usage_error("invalid site name '" + site + "': use letters, digits, '-' or '_'");
  std::string files = files_opt.value_or(default_files_dir(fw, root));
  std::string database = db_opt.value_or(default_database(fw, files));

  std::string text = render_initial_config(site, fw, files, database);
  parse_config(text, file);  // what we write must be what we accept
  write_file_atomic(file, text, 0644);

  Store store(ctx.repo());
  store.create();
  std::vector<std::string> hook_lines;
  try {
    hook_lines = install_hooks(ctx.repo(), false);
  } catch (const Error& e) {
    ctx.progress().warn(std::string("hooks not installed: ") + e.what());
    if (!e.hint().empty()) std::cerr << "hint: " << e.hint() << "\n";
  }

  if (!ctx.quiet()) {
    ctx.out() << "Wrote " << kConfigFileName << " for " << to_string(fw) << " site '" << site << "' (dev: " << database
              << ", files: " << files << ")\n"
              << "test, live: code environments (deploys, checkout, code backups); give one a database and files"
                 " by uncommenting its lines in "
              << kConfigFileName << "\n"
              << "Created the local store in " << store.root().string() << "\n";
    for (auto& l : hook_lines) ctx.out() << "Hooks: " << l << "\n";
  }
  return 0;
}

}  // namespace gp::cli
