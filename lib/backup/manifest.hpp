#pragma once
// The manifest of a backup: the message of its annotated tag. The first line is
// a human summary; after a blank line comes a TOML document (parsed with toml++):
//
//   git-pantheon backup of live (site example), 3 archives
//
//   [backup]
//   format = 1
//   site = "example"
//   env = "live"
//   elements = ["code", "database", "files"]
//   created = "2026-11-25T12:00:00.123456Z"
//   expires = "2027-11-25T12:00:00.123456Z"
//   initiator = "manual"                  # manual | automated | commit | deploy | safety | clone
//   deploy_tag = "pantheon_live_3"        # "" when the env had none
//   schedule = "daily"                    # automated only: daily | weekly (absent otherwise)
//   before_deploy = "pantheon_live_4"     # deploy only: the deploy it was taken before
//   commit = "<40 hex digits>"
//   dirty = false                         # the work tree had uncommitted changes
//   version = "0.1.0"                     # git-pantheon that wrote it
//
//   [[archive]]
//   element = "database"
//   file = "example_live_2026-11-25T12-00-00_UTC_database.sql.gz"
//   size = 123456
//   sha256 = "<64 hex digits>"
//   compression = "gzip"
//   entries = 12                          # tar entries; tables for a database
//
// No secret is ever written here.
#include <optional>
#include <string>
#include <vector>

#include "util/timeutil.hpp"

namespace gp {

enum class Element { code, database, files };

std::string to_string(Element e);
// "code", "db", "database", "files" (db and database are the same element);
// nullopt for anything else.
std::optional<Element> parse_element(const std::string& s);
// "all" -> every element; otherwise one. Throws gp::Error(bad_input) naming the
// valid choices.
std::vector<Element> parse_elements(const std::string& s);

struct ArchiveRecord {
  Element element = Element::code;
  std::string file;  // a plain file name, never a path
  uint64_t size = 0;
  std::string sha256;
  std::string compression = "gzip";
  uint64_t entries = 0;
};

struct Manifest {
  int format = 1;
  std::string site;
  std::string env;
  std::vector<Element> elements;
  TimePoint created{};
  TimePoint expires{};
  std::string initiator = "manual";
  std::string deploy_tag;
  std::string schedule;       // "daily" | "weekly" for automated backups, else empty (not written)
  std::string before_deploy;  // the deploy tag a "deploy" backup was taken before, else empty
  std::string commit;
  bool dirty = false;
  std::string version;
  std::vector<ArchiveRecord> archives;

  const ArchiveRecord* archive(Element e) const;
  uint64_t total_size() const;
};

std::string render_manifest(const Manifest& m);

// Parses a tag message written by render_manifest. Throws gp::Error(Exit::integrity)
// naming `tag` when the manifest is malformed (unknown format, missing field,
// file names that are not plain names, bad sha256).
Manifest parse_manifest(const std::string& message, const std::string& tag);

// Pantheon's archive names: <site>_<env>_<YYYY-MM-DDTHH-MM-SS>_UTC_<code.tar.gz|database.sql.gz|files.tar.gz>.
std::string archive_file_name(const std::string& site, const std::string& env, const std::string& stamp, Element e);

// The tag namespace of backups: pantheon/backup/<env>/<stamp>.
inline constexpr const char* kBackupTagPrefix = "pantheon/backup/";
std::string backup_tag_name(const std::string& env, const std::string& stamp);

}  // namespace gp
