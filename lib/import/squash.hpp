#pragma once
// `git pantheon import code <archive> --squash`: the archive's content becomes
// one commit on the current branch. Entries are streamed from libarchive (64 KiB
// chunks) into one new packfile (PackWriter) and, at the same time, into staged
// files that become the work tree once the commit exists (StagedBlobs,
// advance_head_staged): the archive is read once, no content is read back, and no
// file is ever held in memory whole.
#include <optional>
#include <string>
#include <vector>

#include "git/repo.hpp"
#include "import/pack_writer.hpp"
#include "import/tree.hpp"
#include "import/worktree.hpp"
#include "store/store.hpp"
#include "util/progress.hpp"

namespace gp {

struct SquashOptions {
  fs::path archive;
  std::string message;            // empty: "Import <archive name>"
  std::optional<unsigned> strip;  // nullopt: strip one single top-level folder (--auto-strip)
  std::string subdir;             // place the content under this path; the rest of HEAD is kept
  bool force = false;             // accept a dirty work tree; local changes to tracked files are lost
  // Only entries under this '/'-separated path of the archive are imported, with the
  // prefix removed (a drush archive's docroot folder or code/); empty: all.
  std::string prefix;
  // Paths (relative to the prefix) left out, with everything under them (the
  // public files directory inside a drush 8 docroot).
  std::vector<std::string> exclude;
  // Refuse symbolic links that lead outside the imported tree (absolute targets,
  // or climbing out) instead of keeping them with a warning, as git would keep them.
  bool refuse_outside_links = false;
};

// What reading an archive into the object database produced.
struct ArchiveContent {
  std::map<std::string, TreeLeaf> files;  // paths after stripping, before --subdir
  unsigned stripped = 0;                  // leading components removed
  uint64_t entries = 0;                   // archive entries read
  uint64_t bytes = 0;                     // content bytes written as blobs
  uint64_t ignored = 0;                   // files left out by the archive's .gitignore rules
  uint64_t git_metadata = 0;              // entries under .git/ dropped
  uint64_t skipped_special = 0;           // devices, FIFOs, sockets
  // Symbolic links (path, target) that lead outside the tree: kept, and named in a warning.
  std::vector<std::pair<std::string, std::string>> outside_links;
};

// Reads every entry of `archive` (through archive/reader.hpp: any format and
// compression, CRCs checked) into blobs of `pack` (regular files' content also into
// `staged`) and returns the resulting path map, with .git/ dropped, the archive's
// .gitignore rules applied and `strip` leading components removed (nullopt:
// auto-detect one top-level folder). Names are kept as git keeps them (any bytes
// but NUL), modes as git does (100755 when the owner may execute, else 100644),
// symbolic links with any target (those leading out are listed in
// `outside_links`). Entries the reader refuses ('..', absolute paths, entries
// under a link, type changes, names too long for the work tree of `base_length`
// bytes) throw gp::Error(bad_input, "refusing archive '<file>': entry '<name>'
// <why>") before anything is written but the pack, which its PackWriter removes.
// With `prefix`, entries outside it are skipped unread and the prefix is removed
// first (strip then counts from there); `exclude` drops paths under the prefix.
ArchiveContent read_archive_into_pack(PackWriter& pack, StagedBlobs& staged, const fs::path& archive,
                                      std::optional<unsigned> strip, Progress& progress,
                                      const std::string& prefix = {}, const std::vector<std::string>& exclude = {},
                                      size_t base_length = 0);

// The same into a pack of its own, finished before returning (staged files discarded).
ArchiveContent read_archive_into_odb(git_repository* repo, const fs::path& archive, std::optional<unsigned> strip,
                                     Progress& progress, const std::string& prefix = {},
                                     const std::vector<std::string>& exclude = {});

struct SquashResult {
  git_oid commit{};
  std::optional<git_oid> parent;
  std::string sha256;  // of the archive file
  ArchiveContent content;
  bool kept_pantheon_toml = false;  // .pantheon.toml carried over from HEAD
  uint64_t packed = 0;              // objects written into the import's pack
};

// Imports the archive as one commit whose tree is exactly the archive's content
// (or, with --subdir, HEAD's tree with that directory replaced), keeping HEAD's
// .pantheon.toml when the archive has none; then checks it out (see
// advance_head). The caller holds the store lock (`lock`). gp::Error(bad_input) for a dirty work tree
// (unless force) or a hostile archive; gp::Error(nothing_to_do) when the tree
// equals HEAD's.
SquashResult import_squash(Repo& repo, const Store& store, const FileLock& lock, const SquashOptions& opts,
                           Progress& progress);

}  // namespace gp
