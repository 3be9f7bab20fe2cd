#include "backup/protect.hpp"

#include <algorithm>

namespace gp {

std::string protect_tag_name(const std::string& backup_tag) {
  std::string tail = backup_tag.rfind(kBackupTagPrefix, 0) == 0 ? backup_tag.substr(std::string(kBackupTagPrefix).size()) : backup_tag;
  return kProtectTagPrefix + tail;
}

std::optional<std::string> protected_backup_tag(const std::string& protect_tag) {
  const std::string prefix = kProtectTagPrefix;
  if (protect_tag.rfind(prefix, 0) != 0 || protect_tag.size() == prefix.size()) return std::nullopt;
  return kBackupTagPrefix + protect_tag.substr(prefix.size());
}

namespace {
std::string first_line(const std::string& s) {
  auto end = s.find('\n');
  std::string line = s.substr(0, end);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}
}  // namespace

ProtectionMap explicit_protections(const Repo& repo) {
  ProtectionMap out;
  for (auto& t : repo.tags(kProtectTagPrefix)) {
    auto b = protected_backup_tag(t.name);
    if (!b) continue;
    std::string why = "protected";
    if (!t.tagger.empty()) why += " by " + t.tagger;
    std::string note = t.annotated ? first_line(t.message) : std::string();
    if (!note.empty()) why += ": " + note;
    out[*b] = why;
  }
  return out;
}

ProtectionMap deploy_protections(const Repo& repo, const std::vector<Backup>& all) {
  ProtectionMap out;
  std::vector<const Backup*> live;  // newest first, as list_backups gives them
  for (auto& b : all)
    if (b.manifest.env == "live") live.push_back(&b);
  std::sort(live.begin(), live.end(), [](const Backup* a, const Backup* b) {
    return a->manifest.created != b->manifest.created ? a->manifest.created > b->manifest.created : a->tag > b->tag;
  });
  for (auto& t : repo.tags("pantheon_live_")) {
    const std::string& name = t.name;
    if (name.size() <= 14 || !std::all_of(name.begin() + 14, name.end(), [](char c) { return c >= '0' && c <= '9'; })) continue;
    // Taken before this deploy: the one that says so, else the newest no later than the tag.
    const Backup* before = nullptr;
    for (auto* b : live)
      if (b->manifest.before_deploy == name) {
        before = b;
        break;
      }
    if (!before) {
      auto tag_time = TimePoint(std::chrono::seconds(t.time));
      for (auto* b : live)
        if (std::chrono::floor<std::chrono::seconds>(b->manifest.created) <= tag_time) {
          before = b;
          break;
        }
    }
    if (before && !out.count(before->tag)) out[before->tag] = "taken before live deploy " + name;
    for (auto* b : live)
      if (b->manifest.deploy_tag == name) {
        if (!out.count(b->tag)) out[b->tag] = "newest backup at " + name;
        break;
      }
  }
  return out;
}

ProtectionMap protections(const Repo& repo, const std::vector<Backup>& all, bool deploy_rule) {
  ProtectionMap out = explicit_protections(repo);
  if (deploy_rule)
    for (auto& [tag, why] : deploy_protections(repo, all)) out.emplace(tag, why);
  return out;
}

bool protect_backup(Repo& repo, const FileLock&, const Backup& backup, const std::string& note) {
  std::string name = protect_tag_name(backup.tag);
  if (repo.tag(name)) return false;
  auto t = repo.tag(backup.tag);
  if (!t || !t.value().annotated) fail(Exit::bad_input, describe("no backup tag", backup.tag));
  std::string msg = note.empty() ? std::string("protected backup ") + backup.tag : note;
  repo.create_annotated_tag_on_object(name, t->tag_oid, msg + "\n");
  return true;
}

bool unprotect_backup(Repo& repo, const FileLock&, const Backup& backup) { return repo.delete_tag(protect_tag_name(backup.tag)); }

}  // namespace gp
