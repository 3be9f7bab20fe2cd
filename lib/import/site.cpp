#include "import/site.hpp"

#include <algorithm>

#include "archive/reader.hpp"
#include "archive/tar.hpp"
#include "import/paths.hpp"
#include "util/signals.hpp"
#include "import/tree.hpp"
#include "util/fault.hpp"

namespace gp {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string trim(std::string s) {
  auto b = s.find_first_not_of(" \t\r\n");
  auto e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

std::string unquote(std::string v) {
  v = trim(v);
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) v = v.substr(1, v.size() - 2);
  return v;
}

// "./a/b/" -> "a/b"; gp::Error when hostile.
std::string clean_member(const fs::path& archive, const std::string& what, const std::string& p) {
  std::vector<std::string> parts;
  std::string why = split_entry_name(p, parts);
  if (!why.empty() || is_git_metadata(parts))
    fail(Exit::bad_input, describe("refusing archive", archive.filename().string(), "its manifest's " + what + " '" + p + "' " +
                                                                                       (why.empty() ? "is repository metadata" : why)));
  std::string out;
  for (auto& s : parts) out += (out.empty() ? "" : "/") + s;
  return out;
}

struct TarballInfo {
  bool ini = false, yml = false;
  std::string ini_text;
};

// Looks for MANIFEST.ini / MANIFEST.yml at the root of a tarball (reading names,
// and the .ini's text, capped at 64 KiB).
TarballInfo sniff_tarball(const fs::path& path) {
  TarballInfo info;
  bool archive = false;
  try {
    EntryReader in(path, EntryRules{});
    archive = true;
    while (const ArchiveEntryInfo* e = in.next()) {
      if (e->path == "MANIFEST.yml") info.yml = true;
      if (e->path == "MANIFEST.ini" && e->type == EntryType::file) {
        info.ini = true;
        std::vector<char> buf(64 * 1024);
        size_t got = in.read(buf.data(), buf.size());
        info.ini_text.assign(buf.data(), got);
      }
    }
  } catch (const Error&) {
    // Not an archive: the caller says it cannot tell what it holds. An archive
    // whose entries are refused or damaged: that is the answer.
    if (archive) throw;
  }
  return info;
}

// drush 8's MANIFEST.ini: [Global] then one section per site.
void parse_drush8(const fs::path& archive, const std::string& text, SitePlan& plan) {
  std::string section, site;
  std::map<std::string, std::string> keys;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    std::string line = trim(text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos));
    pos = nl == std::string::npos ? text.size() + 1 : nl + 1;
    if (line.empty() || line[0] == ';' || line[0] == '#') continue;
    if (line.front() == '[' && line.back() == ']') {
      section = line.substr(1, line.size() - 2);
      continue;
    }
    auto eq = line.find('=');
    if (eq == std::string::npos || section.empty() || section == "Global") continue;
    if (site.empty()) site = section;
    if (section != site) continue;  // a multi-site archive: the first site
    keys[trim(line.substr(0, eq))] = unquote(line.substr(eq + 1));
  }
  if (site.empty() || !keys.count("docroot") || !keys.count("database-default-file"))
    fail(Exit::bad_input, describe("cannot read drush archive", archive.filename().string(),
                                   "its MANIFEST.ini has no site section with docroot and database-default-file"));
  plan.code_prefix = clean_member(archive, "docroot", keys["docroot"]);
  plan.db_member = clean_member(archive, "database-default-file", keys["database-default-file"]);
  std::string files = keys.count("files-public") && !keys["files-public"].empty()
                          ? keys["files-public"]
                          : (keys.count("sitedir") ? keys["sitedir"] + "/files" : "sites/default/files");
  std::string rel = clean_member(archive, "files-public", files);
  plan.code_exclude = {rel};
  plan.files_prefix = plan.code_prefix.empty() ? rel : plan.code_prefix + "/" + rel;
}

enum class Part { code, db, files };

std::optional<Part> pantheon_part(const std::string& name) {
  if (ends_with(name, "_code.tar.gz")) return Part::code;
  if (ends_with(name, "_database.sql.gz")) return Part::db;
  if (ends_with(name, "_files.tar.gz")) return Part::files;
  return std::nullopt;
}

}  // namespace

std::string to_string(SiteFormat f) {
  switch (f) {
    case SiteFormat::pantheon: return "Pantheon backup (code, database and files archives)";
    case SiteFormat::drush8: return "drush 8 archive-dump";
    case SiteFormat::drush11: return "drush archive:dump (11.1+)";
  }
  return "?";
}

SitePlan recognise_site(const std::vector<fs::path>& inputs) {
  if (inputs.empty()) fail(Exit::usage, "name the site archive(s) or directory to import");
  std::vector<fs::path> files;
  std::error_code ec;
  for (auto& in : inputs) {
    if (fs::is_directory(in, ec)) {
      if (inputs.size() != 1) fail(Exit::usage, "give one directory, or archive files, not both");
      for (auto& de : fs::directory_iterator(in))
        if (de.is_regular_file() && pantheon_part(de.path().filename().string())) files.push_back(de.path());
      std::sort(files.begin(), files.end());
      if (files.empty())
        fail(Exit::bad_input, describe("no site backup in directory", in.string(),
                                       "expected *_code.tar.gz, *_database.sql.gz and *_files.tar.gz"));
    } else if (fs::is_regular_file(in, ec)) {
      files.push_back(fs::absolute(in));
    } else {
      fail(Exit::bad_input, describe("cannot read", in.string(), "no such file or directory"));
    }
  }
  SitePlan plan;
  if (files.size() == 1 && !pantheon_part(files[0].filename().string())) {
    TarballInfo info = sniff_tarball(files[0]);
    plan.archive = files[0];
    if (info.yml) {
      plan.format = SiteFormat::drush11;
      plan.code_archive = files[0];
      plan.code_prefix = "code";
      plan.db_member = "database/database.sql";
      plan.files_prefix = "files";
      return plan;
    }
    if (info.ini) {
      plan.format = SiteFormat::drush8;
      plan.code_archive = files[0];
      parse_drush8(files[0], info.ini_text, plan);
      return plan;
    }
    fail(Exit::bad_input, describe("cannot tell what site archive", files[0].string(), "holds"),
         "expected a drush archive (MANIFEST.ini or MANIFEST.yml at its root) or Pantheon's three backup files");
  }
  plan.format = SiteFormat::pantheon;
  for (auto& f : files) {
    auto part = pantheon_part(f.filename().string());
    if (!part)
      fail(Exit::bad_input, describe("cannot tell which part of a Pantheon backup", f.string(), "is"),
           "Pantheon names them <site>_<env>_<date>_code.tar.gz, ..._database.sql.gz, ..._files.tar.gz");
    auto& slot = *part == Part::code ? plan.code_archive : *part == Part::db ? plan.db_file : plan.files_archive;
    if (slot) fail(Exit::bad_input, describe("two archives for one part", slot->string() + "' and '" + f.string()));
    slot = fs::absolute(f);
  }
  if (plan.files_archive) plan.files_strip = detect_files_strip(*plan.files_archive);
  return plan;
}

namespace {

bool has_db_part(const SitePlan& plan) { return plan.db_file || !plan.db_member.empty(); }
bool has_files_part(const SitePlan& plan) { return plan.files_archive || !plan.files_prefix.empty(); }

// The environment `env_name`, refusing (before anything changes) a site whose
// database or files it has nowhere to put (a code environment).
const EnvConfig& target_env(const SitePlan& plan, const Config& config, const std::string& env_name) {
  const EnvConfig& env = config.env(env_name);
  const std::string what = plan.format == SiteFormat::pantheon ? "a Pantheon backup" : "the " + to_string(plan.format);
  if (has_db_part(plan))
    require_element(env, Element::database, "cannot import the database of " + what + " into " + env.name);
  if (has_files_part(plan))
    require_element(env, Element::files, "cannot import the files of " + what + " into " + env.name);
  return env;
}

}  // namespace

std::vector<std::string> describe_site_import(const SitePlan& plan, const Config& config, const fs::path& root,
                                              const std::string& env_name) {
  const EnvConfig& env = target_env(plan, config, env_name);
  auto where = [&](const std::optional<fs::path>& p, const std::string& member) {
    return p ? p->filename().string() : plan.archive.filename().string() + ":" + member;
  };
  std::vector<std::string> out;
  out.push_back("recognised: " + to_string(plan.format));
  if (plan.code_archive) {
    std::string from = plan.code_archive->filename().string();
    if (!plan.code_prefix.empty()) from += ":" + plan.code_prefix + "/";
    out.push_back("code " + from + " -> one squashed commit on the current branch");
  }
  if (has_db_part(plan))
    out.push_back("database " + where(plan.db_file, plan.db_member) + " -> " + env.database->display() + " (replaced)");
  if (has_files_part(plan)) {
    fs::path files_dir = fs::path(*env.files).is_absolute() ? fs::path(*env.files) : root / *env.files;
    out.push_back("files " + where(plan.files_archive, plan.files_prefix + "/") + " -> " + files_dir.string() + " (replaced)");
  }
  return out;
}

SiteImportResult import_site(Repo& repo, const Config& config, const Store& store, const FileLock& lock,
                             const SitePlan& plan, const SiteImportRequest& req, Progress& progress) {
  target_env(plan, config, req.env);
  if (repo.is_bare()) fail(Exit::bad_input, "cannot import into a bare repository", "run it in a work tree");
  if (auto done = finish_interrupted_head_move(repo.get())) progress.warn(*done);
  if (!req.force && repo.is_dirty())
    fail(Exit::bad_input, "cannot import: the work tree has uncommitted changes",
         "commit or stash them first, or add --force to discard them");
  SiteImportResult result;

  // 1. Every part is read through before anything changes.
  RestoreSource source;
  source.label = "import";
  std::optional<TempDir> work;
  if (plan.format == SiteFormat::pantheon) {
    if (plan.code_archive) check_archive(*plan.code_archive, progress);
    if (plan.db_file) {
      source.files.emplace_back(Element::database, *plan.db_file);
      source.env = pantheon_file_env(*plan.db_file);
    }
    if (plan.files_archive) {
      check_files_archive(*plan.files_archive, plan.files_strip, progress, true);
      source.files.emplace_back(Element::files, *plan.files_archive);
    }
    source.files_strip = plan.files_strip;
  } else {
    // The tarball is checked whole (CRCs included), then extracted securely.
    // (Its code part is extracted too and read again by the squash import.)
    check_archive(plan.archive, progress);
    make_dirs(store.tmp_dir(), 0700);
    work.emplace(store.tmp_dir(), "site-");
    GP_FAULT_POINT("import.site.extract.before");
    extract_archive(plan.archive, work->path(), 0, ExtractLimits{}, progress);
    GP_FAULT_POINT("import.site.extract.after");
    std::error_code ec;
    fs::path db = work->path() / plan.db_member;
    if (!fs::is_regular_file(fs::symlink_status(db, ec)))
      fail(Exit::bad_input, describe("refusing archive", plan.archive.filename().string(),
                                     "it has no database dump '" + plan.db_member + "'"));
    source.files.emplace_back(Element::database, db);
    fs::path files = work->path() / plan.files_prefix;
    if (fs::is_directory(fs::symlink_status(files, ec))) source.files.emplace_back(Element::files, files);
    else progress.warn("no files directory '" + plan.files_prefix + "' in " + plan.archive.filename().string());
  }

  // 2. The code: a hostile archive is refused here, before the database and files change.
  if (plan.code_archive) {
    SquashOptions o;
    o.archive = *plan.code_archive;
    o.prefix = plan.code_prefix;
    o.exclude = plan.code_exclude;
    o.force = req.force;
    o.lock_held = true;
    o.message = "Import site code from " + plan.code_archive->filename().string();
    GP_FAULT_POINT("import.site.code.before");
    try {
      result.code = import_squash(repo, store, o, progress);
      GP_FAULT_POINT("import.site.code.after");
    } catch (const Error& e) {
      if (e.code() != Exit::nothing_to_do) throw;
      progress.info("the code is already the tree of HEAD");
    }
  }

  // 3. Database and files with restore's safety rules.
  if (!source.files.empty()) {
    RestoreRequest rr;
    rr.target_env = req.env;
    rr.safety_backup = req.safety_backup;
    rr.rewrite = req.rewrite;
    if (!req.from_env.empty()) source.env = req.from_env;
    result.restore = restore(repo, config, store, lock, source, rr, progress);
    GP_FAULT_POINT("import.site.restored");
  }
  return result;
}

}  // namespace gp
