#pragma once
// Protected backups: no prune, retention policy, keep-for expiry or the post-commit
// hook's count removes them.
//
// Where protection lives: in git, as an annotated tag
//   refs/tags/pantheon/protected/<env>/<stamp>
// pointing at the backup's own tag object (pantheon/backup/<env>/<stamp>), its
// message saying who protected it and why. A ref, not a file in the store, so that
// it travels where the backup's tag travels: `git pantheon push` pushes it with the
// backup tag, `git pantheon fetch` fetches it, `git push --follow-tags` carries it
// (it peels to the backed-up commit), and a prune of a storage remote honours the
// remote's protection tags as well as this repository's. Not in the manifest: a
// tag message cannot change without a new tag object, which remotes would refuse
// as a moved tag.
//
// Protected by default, without a tag (the content that went with every live
// deploy stays), for each deploy tag pantheon_live_N:
//   - the backup of live taken right before it: the newest backup of live created
//     no later than the deploy tag (at one-second resolution, the tag's), which is
//     the one `deploy live` takes first (initiator "deploy", manifest
//     before_deploy = "pantheon_live_N");
//   - the newest backup of live taken while live ran pantheon_live_N (manifest
//     deploy_tag).
// [retention] protect_live_deploys = false turns this off.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "backup/backup.hpp"

namespace gp {

inline constexpr const char* kProtectTagPrefix = "pantheon/protected/";

// pantheon/backup/<env>/<stamp> -> pantheon/protected/<env>/<stamp>.
std::string protect_tag_name(const std::string& backup_tag);
// The inverse; nullopt for a name outside the protection namespace.
std::optional<std::string> protected_backup_tag(const std::string& protect_tag);

// ProtectionMap (backup.hpp): backup tag -> why it is protected ("protected by
// Name <mail>: note", "taken before live deploy pantheon_live_3", "newest backup
// at pantheon_live_3").

// The backups that protection tags name (explicit protections), whether or not
// the backup tag is here.
ProtectionMap explicit_protections(const Repo& repo);

// The backups of `all` the live-deploy rule above protects.
ProtectionMap deploy_protections(const Repo& repo, const std::vector<Backup>& all);

// Both, as prune sees them (deploy rule unless `deploy_rule` is false).
ProtectionMap protections(const Repo& repo, const std::vector<Backup>& all, bool deploy_rule);

// Protects a backup: creates its protection tag with `note` in the message.
// False when it was protected already (nothing changes). The caller holds the lock.
bool protect_backup(Repo& repo, const FileLock& lock, const Backup& backup, const std::string& note);

// Removes a backup's protection tag; false when it had none. Protection by the
// live-deploy rule cannot be removed this way (see deploy_protections).
bool unprotect_backup(Repo& repo, const FileLock& lock, const Backup& backup);

}  // namespace gp
