#include "backup/manifest.hpp"

#include <algorithm>
#include <sstream>
#include <toml++/toml.h>

#include "util/error.hpp"
#include "util/version.hpp"

namespace gp {

std::string to_string(Element e) {
  switch (e) {
    case Element::code: return "code";
    case Element::database: return "database";
    case Element::files: return "files";
  }
  return "?";
}

std::optional<Element> parse_element(const std::string& s) {
  if (s == "code") return Element::code;
  if (s == "db" || s == "database") return Element::database;
  if (s == "files") return Element::files;
  return std::nullopt;
}

std::vector<Element> parse_elements(const std::string& s) {
  if (s == "all") return {Element::code, Element::database, Element::files};
  auto e = parse_element(s);
  if (!e) fail(Exit::bad_input, describe("unknown element", s), "choose all, code, db (or database) or files");
  return {*e};
}

const ArchiveRecord* Manifest::archive(Element e) const {
  for (auto& a : archives)
    if (a.element == e) return &a;
  return nullptr;
}

uint64_t Manifest::total_size() const {
  uint64_t t = 0;
  for (auto& a : archives) t += a.size;
  return t;
}

std::string archive_file_name(const std::string& site, const std::string& env, const std::string& stamp, Element e) {
  const char* suffix = e == Element::code ? "code.tar.gz" : e == Element::database ? "database.sql.gz" : "files.tar.gz";
  return site + "_" + env + "_" + stamp + "_UTC_" + suffix;
}

std::string backup_tag_name(const std::string& env, const std::string& stamp) {
  return std::string(kBackupTagPrefix) + env + "/" + stamp;
}

std::string render_manifest(const Manifest& m) {
  std::ostringstream o;
  o << "git-pantheon backup of " << m.env << " (site " << m.site << "), " << m.archives.size()
    << (m.archives.size() == 1 ? " archive" : " archives") << "\n\n";
  toml::table backup;
  toml::array elements;
  for (auto e : m.elements) elements.push_back(to_string(e));
  backup.insert("format", m.format);
  backup.insert("site", m.site);
  backup.insert("env", m.env);
  backup.insert("elements", elements);
  backup.insert("created", iso8601(m.created));
  backup.insert("expires", iso8601(m.expires));
  backup.insert("initiator", m.initiator);
  backup.insert("deploy_tag", m.deploy_tag);
  if (!m.schedule.empty()) backup.insert("schedule", m.schedule);
  if (!m.before_deploy.empty()) backup.insert("before_deploy", m.before_deploy);
  backup.insert("commit", m.commit);
  backup.insert("dirty", m.dirty);
  backup.insert("version", m.version.empty() ? std::string(kVersion) : m.version);
  toml::array archives;
  for (auto& a : m.archives) {
    toml::table t;
    t.insert("element", to_string(a.element));
    t.insert("file", a.file);
    t.insert("size", static_cast<int64_t>(a.size));
    t.insert("sha256", a.sha256);
    t.insert("compression", a.compression);
    t.insert("entries", static_cast<int64_t>(a.entries));
    archives.push_back(std::move(t));
  }
  toml::table root;
  root.insert("backup", std::move(backup));
  root.insert("archive", std::move(archives));
  o << root << "\n";
  return o.str();
}

namespace {

[[noreturn]] void bad(const std::string& tag, const std::string& why) {
  throw Error(Exit::integrity, describe("malformed backup manifest in tag", tag, why));
}

template <typename T>
T need(const toml::table& t, const char* key, const std::string& tag) {
  // value_exact: no conversion. value<int64_t>() converts a float out of the
  // range of int64_t, which is undefined behaviour (found by fuzzing: size = 3e26).
  auto v = t[key].template value_exact<T>();
  if (!v) bad(tag, std::string("missing or invalid '") + key + "'");
  return *v;
}

bool is_hex(const std::string& s, size_t len) {
  return s.size() == len && std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool plain_file_name(const std::string& s) {
  return !s.empty() && s.size() < 256 && s != "." && s != ".." && s.find('/') == std::string::npos &&
         s.find('\0') == std::string::npos && s.find('\\') == std::string::npos;
}

}  // namespace

Manifest parse_manifest(const std::string& message, const std::string& tag) {
  auto body_at = message.find("\n\n");
  if (body_at == std::string::npos) bad(tag, "no manifest after the summary line");
  toml::table root;
  try {
    root = toml::parse(std::string_view(message).substr(body_at + 2));
  } catch (const toml::parse_error& e) {
    bad(tag, std::string(e.description()));
  }
  const toml::table* b = root["backup"].as_table();
  if (!b) bad(tag, "no [backup] table");
  Manifest m;
  m.format = static_cast<int>(need<int64_t>(*b, "format", tag));
  if (m.format != 1) bad(tag, "unsupported format " + std::to_string(m.format) + " (written by a newer git-pantheon?)");
  m.site = need<std::string>(*b, "site", tag);
  m.env = need<std::string>(*b, "env", tag);
  const toml::array* els = (*b)["elements"].as_array();
  if (!els) bad(tag, "missing 'elements'");
  for (auto& el : *els) {
    auto s = el.value<std::string>();
    auto e = s ? parse_element(*s) : std::nullopt;
    if (!e) bad(tag, "unknown element in 'elements'");
    m.elements.push_back(*e);
  }
  auto created = parse_iso8601(need<std::string>(*b, "created", tag));
  auto expires = parse_iso8601(need<std::string>(*b, "expires", tag));
  if (!created || !expires) bad(tag, "bad 'created' or 'expires' time");
  m.created = *created;
  m.expires = *expires;
  m.initiator = need<std::string>(*b, "initiator", tag);
  m.deploy_tag = (*b)["deploy_tag"].value_or(std::string());
  m.schedule = (*b)["schedule"].value_or(std::string());
  m.before_deploy = (*b)["before_deploy"].value_or(std::string());
  m.commit = need<std::string>(*b, "commit", tag);
  if (!is_hex(m.commit, 40)) bad(tag, "bad 'commit'");
  m.dirty = (*b)["dirty"].value_or(false);
  m.version = (*b)["version"].value_or(std::string());
  if (const toml::array* arr = root["archive"].as_array()) {
    for (auto& node : *arr) {
      const toml::table* t = node.as_table();
      if (!t) bad(tag, "an [[archive]] is not a table");
      ArchiveRecord a;
      auto e = parse_element(need<std::string>(*t, "element", tag));
      if (!e) bad(tag, "unknown archive element");
      a.element = *e;
      a.file = need<std::string>(*t, "file", tag);
      if (!plain_file_name(a.file)) bad(tag, "archive file '" + a.file + "' is not a plain file name");
      int64_t size = need<int64_t>(*t, "size", tag);
      if (size < 0) bad(tag, "negative archive size");
      a.size = static_cast<uint64_t>(size);
      a.sha256 = need<std::string>(*t, "sha256", tag);
      if (!is_hex(a.sha256, 64)) bad(tag, "bad sha256 for '" + a.file + "'");
      a.compression = (*t)["compression"].value_or(std::string("gzip"));
      // value_exact, as need() does: value_or<int64_t> converts an out-of-range float (UB).
      int64_t entries = (*t)["entries"].value_exact<int64_t>().value_or(0);
      a.entries = entries < 0 ? 0 : static_cast<uint64_t>(entries);
      if (m.archive(a.element)) bad(tag, "two archives for element " + to_string(a.element));
      m.archives.push_back(std::move(a));
    }
  }
  for (auto e : m.elements)
    if (!m.archive(e)) bad(tag, "no archive for element " + to_string(e));
  return m;
}

}  // namespace gp
