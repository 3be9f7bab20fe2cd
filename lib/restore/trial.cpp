#include "restore/trial.hpp"

#include "archive/decompress.hpp"
#include "archive/tar.hpp"
#include "db/database.hpp"
#include "util/sha256.hpp"

namespace gp {

bool TrialResult::ok() const {
  for (auto& e : elements)
    if (e.status == "FAILED") return false;
  return true;
}

namespace {

// Takes the scratch's dump back and keeps only its end: whether it is complete is
// judged here from the bytes, beside the engine's own check in dump().
class TrailerSink final : public ByteSink {
 public:
  explicit TrailerSink(DbKind kind) : trailer(kind) {}
  void write(const char* data, size_t size) override { trailer.add(data, size); }
  DumpTrailer trailer;
};

const char* scratch_kind(DbKind kind) {
  switch (kind) {
    case DbKind::sqlite: return "SQLite file";
    case DbKind::mysql: return "MariaDB database";
    case DbKind::postgres: return "PostgreSQL database";
  }
  return "database";
}

// The database element into a scratch database on the server of the backup's own
// environment (db/database.hpp, Database::trial), judged by its dump back: complete,
// and holding as many tables as the manifest says. An environment that has no
// database now (a code environment) has no server to try it on: FAILED, saying so.
std::string trial_database(const Config& config, const fs::path& root, const Store& store, const Backup& b,
                           const ArchiveRecord& rec, const fs::path& archive, const fs::path& scratch,
                           Progress& progress) {
  const EnvConfig& env = config.env(b.manifest.env);
  const DbKind kind = env.require_database().kind;
  auto db = open_database(env, root, store.secrets_dir(), scratch);
  TrailerSink sink(kind);
  DumpStats st;
  {
    DecompressSource in(archive);
    st = db->trial(in, sink, progress);
  }
  if (!sink.trailer.complete()) fail(Exit::integrity, "the restored database dumps incompletely");
  if (rec.entries && st.tables != rec.entries)
    fail(Exit::integrity, "restored " + std::to_string(st.tables) + " tables, the manifest says " + std::to_string(rec.entries));
  return std::to_string(st.tables) + " tables restored into a scratch " + scratch_kind(kind) +
         ", dumped back complete";
}

std::string trial_tree(const ArchiveRecord& rec, const fs::path& archive, const fs::path& scratch, Progress& progress) {
  fs::path dest = scratch / "tree";
  ExtractLimits limits;
  TarStats st = extract_archive(archive, dest, 0, limits, progress);
  if (rec.entries && st.entries != rec.entries)
    fail(Exit::integrity, "extracted " + std::to_string(st.entries) + " entries, the manifest says " + std::to_string(rec.entries));
  if (!st.archive_sha256.empty() && st.archive_sha256 != rec.sha256)
    fail(Exit::integrity, "the archive read has sha256 " + st.archive_sha256 + ", the manifest says " + rec.sha256);
  uint64_t on_disk = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dest, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    ++on_disk;
  return std::to_string(st.entries) + " entries extracted (" + std::to_string(on_disk) + " paths on disk), sha256 matches";
}

}  // namespace

TrialResult trial_restore(const Config& config, const fs::path& root, const Store& store, const Backup& b,
                          Progress& progress, const ArchiveFetcher* fetch) {
  TrialResult r;
  store.create();
  for (auto& rec : b.manifest.archives) {
    TrialElement e{rec.element, rec.file, "ok", {}};
    try {
      fs::path archive = check_archive_hash(store, rec, progress, fetch);
      TempDir scratch(store.tmp_dir(), "trial-");
      if (rec.element == Element::database)
        e.detail = trial_database(config, root, store, b, rec, archive, scratch.path(), progress);
      else
        e.detail = trial_tree(rec, archive, scratch.path(), progress);
    } catch (const Error& err) {
      e.status = "FAILED";
      e.detail = err.what();
      if (!err.hint().empty()) e.detail += " (" + err.hint() + ")";
    }
    r.elements.push_back(std::move(e));
  }
  return r;
}

}  // namespace gp
