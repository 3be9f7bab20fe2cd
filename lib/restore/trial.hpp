#pragma once
// Trial restores (backup verify --restore): proof that a backup restores, not only
// that its bytes are intact. Nothing of any environment is touched:
//   - database: loaded by the engine's own load() into a scratch database (SQLite:
//     a temporary file under the store's tmp/), then dumped again; the table count
//     must match the manifest's `entries` and the dump must be complete. MariaDB
//     and PostgreSQL scratch databases are not done yet: reported as skipped.
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
  std::string status;  // "ok", "skipped", "FAILED"
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
