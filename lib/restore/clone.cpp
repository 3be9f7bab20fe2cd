#include "restore/clone.hpp"

namespace gp {

CloneResult clone_content(Repo& repo, const Config& config, const Store& store, const FileLock& lock,
                          const std::string& from, const std::string& to, const std::vector<Element>& elements,
                          Progress& progress, const RewriteRequest& rewrite) {
  if (from == to) fail(Exit::bad_input, describe("cannot clone content of", from, "into itself"));
  config.env(from);
  config.env(to);
  // The pairs are checked before the snapshot is taken.
  if (!rewrite.extra.empty()) UrlRewriter check(rewrite.extra);
  for (auto e : elements)
    if (e == Element::code) fail(Exit::bad_input, "clone-content copies the database and files; deploy moves code");
  BackupRequest b;
  b.env = from;
  b.elements = elements;
  b.initiator = "clone";
  b.keep_for = config.backup.safety_keep_for;
  progress.info("taking a snapshot of " + from);
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
