#include "restore/clone.hpp"

#include <algorithm>

namespace gp {

namespace {

// The refusals of clone_content, before anything is written.
void check_clone(const Config& config, const std::string& from, const std::string& to,
                 const std::vector<Element>& elements) {
  if (from == to) fail(Exit::bad_input, describe("cannot clone content of", from, "into itself"));
  const EnvConfig& source = config.env(from);
  const EnvConfig& target = config.env(to);
  for (auto e : elements)
    if (e == Element::code) fail(Exit::bad_input, "clone-content copies the database and files; deploy moves code");
  // A hint only where a narrower clone would work: both have the other element.
  auto hint_for = [&](Element e) -> std::string {
    if (elements.size() < 2) return "";
    Element other = e == Element::database ? Element::files : Element::database;
    auto has = [&](const EnvConfig& env) {
      auto v = env_elements(env);
      return std::find(v.begin(), v.end(), other) != v.end();
    };
    if (!has(source) || !has(target)) return "";
    return other == Element::files ? "copy the files alone with --files-only"
                                   : "copy the database alone with --db-only";
  };
  for (auto e : elements) {
    const std::string doing = describe("cannot clone the " + to_string(e) + " of", from, "") + " into " + to;
    require_element(target, e, doing, hint_for(e));
    require_element(source, e, doing, hint_for(e));
  }
}

}  // namespace

std::vector<std::string> describe_clone(const Config& config, const std::string& from, const std::string& to,
                                        const std::vector<Element>& elements, const RewriteRequest& rewrite) {
  check_clone(config, from, to, elements);
  const EnvConfig& target = config.env(to);
  std::vector<std::string> out;
  for (auto e : elements) {
    if (e == Element::database) {
      out.push_back("database " + target.database->display() + " is replaced by " + from + "'s");
      RestoreSource src;
      src.env = from;
      for (auto& p : plan_rewrite(config, src, to, rewrite).pairs) out.push_back("  with " + p.from + " rewritten to " + p.to);
    }
    if (e == Element::files) out.push_back("files directory " + *target.files + " is replaced by " + from + "'s");
  }
  out.push_back("a safety backup of " + to + " is made first ('restore --undo --to-env " + to + "' brings it back)");
  return out;
}

CloneResult clone_content(Repo& repo, const Config& config, const Store& store, const FileLock& lock,
                          const std::string& from, const std::string& to, const std::vector<Element>& elements,
                          Progress& progress, const RewriteRequest& rewrite) {
  check_clone(config, from, to, elements);
  // The pairs are checked before the snapshot is taken.
  if (!rewrite.extra.empty()) UrlRewriter check(rewrite.extra);
  BackupRequest b;
  b.env = from;
  b.elements = elements;
  b.initiator = "clone";
  b.keep_for = config.backup.safety_keep_for;
  progress.step("taking a snapshot of " + from);
  CloneResult r;
  r.source_backup = create_backup(repo, config, store, lock, b, progress);
  RestoreSource src;
  src.backup = r.source_backup;
  src.label = r.source_backup.tag.substr(std::string(kBackupTagPrefix).size());
  RestoreRequest req;
  req.target_env = to;
  req.elements = elements;
  req.rewrite = rewrite;
  r.restore = restore(repo, config, store, lock, src, req, progress);
  return r;
}

}  // namespace gp
