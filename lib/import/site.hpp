#pragma once
// `git pantheon import site`: a whole site (code, database, files) from
//  - Pantheon's three backup parts (*_code.tar.gz, *_database.sql.gz,
//    *_files.tar.gz), given as files or as a directory holding them;
//  - a drush 8 `archive-dump` tarball (MANIFEST.ini at the root naming the
//    docroot folder, the database dump and the public files path);
//  - a drush 11.1+ `archive:dump` tarball (MANIFEST.yml, code/, files/,
//    database/database.sql).
// The code becomes one squashed import commit (import_squash, reading only the
// code part of the archive); the database and files go through restore() with its
// safety rules (every part checked before anything changes, a safety backup, the
// database load and the atomic files swap).
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "import/squash.hpp"
#include "restore/restore.hpp"

namespace gp {

enum class SiteFormat { pantheon, drush8, drush11 };
std::string to_string(SiteFormat f);

// What was recognised and where each part is.
struct SitePlan {
  SiteFormat format = SiteFormat::pantheon;
  fs::path archive;                       // drush: the one tarball
  // code: an archive, the part of it under code_prefix, without code_exclude
  std::optional<fs::path> code_archive;
  std::string code_prefix;
  std::vector<std::string> code_exclude;
  // database: a loose dump (Pantheon) or a member of the tarball
  std::optional<fs::path> db_file;
  std::string db_member;
  // files: a loose archive (Pantheon) or the subtree of the tarball under files_prefix
  std::optional<fs::path> files_archive;
  std::string files_prefix;
  unsigned files_strip = 1;               // loose files archive
};

// Recognises `inputs` (archive files, or one directory holding Pantheon's parts).
// gp::Error(bad_input) when the inputs are none of the formats above.
SitePlan recognise_site(const std::vector<fs::path>& inputs);

// One line per part: what it is and where it goes.
std::vector<std::string> describe_site_import(const SitePlan& plan, const Config& config, const fs::path& root,
                                              const std::string& env);

struct SiteImportRequest {
  std::string env = "dev";
  bool safety_backup = true;
  bool force = false;  // accept a dirty work tree
  // The environment the site comes from (default: the env of Pantheon's file
  // names); its URLs are rewritten into `env`'s, with `rewrite`.
  std::string from_env;
  RewriteRequest rewrite;
};

struct SiteImportResult {
  std::optional<SquashResult> code;  // unset when the code was already HEAD's tree
  RestoreResult restore;
};

// The caller holds the store lock. The code commit is made first (a hostile code archive is
// refused before the database or files change); then the database and files are
// restored. For drush tarballs the whole tarball is checked, then extracted
// securely into the store's tmp/ (removed at the end) to restore from.
SiteImportResult import_site(Repo& repo, const Config& config, const Store& store, const FileLock& lock,
                             const SitePlan& plan, const SiteImportRequest& req, Progress& progress);

}  // namespace gp
