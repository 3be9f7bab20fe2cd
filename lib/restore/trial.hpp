#pragma once
// Trial restores (backup verify --restore): proof that a backup restores, not only
// that its bytes are intact. Nothing of any environment is touched:
//   - database: loaded into a scratch database on the server of the backup's own
//     environment by Database::trial (MariaDB: a database `<db>__gp_trial_<rnd>`,
//     PostgreSQL: a database of that name, SQLite: a file under the store's tmp/),
//     then dumped again and dropped; the dump must be complete and its table count
//     match the manifest's `entries`.
//   - files and code: extracted with the restore's own secure extraction into a
//     scratch directory under the store's tmp/; the entry count and the sha256 of
//     the bytes read must match the manifest.
// The scratch is removed whatever happens.
#include <string>
#include <vector>

#include "backup/backup.hpp"

namespace gp {

struct TrialElement {
  Element element{};
  std::string file;
  std::string status;  // "ok", "FAILED"
  std::string detail;  // "12 tables", "340 entries, sha256 matches", the error
};

struct TrialResult {
  std::vector<TrialElement> elements;
  bool ok() const;
};

// Runs a trial restore of every archive of `backup`; per-element failures are
// recorded, not thrown (gp::Error only for what stops everything, e.g. no store).
TrialResult trial_restore(const Config& config, const fs::path& repo_root, const Store& store, const Backup& backup,
                          Progress& progress, const ArchiveFetcher* fetch = nullptr);

}  // namespace gp
