#pragma once
// Tar archives: written with libarchive (pax format) into a ByteSink
// (usually a GzipWriter), read back and extracted securely.
#include <functional>
#include <string>
#include <vector>

#include "git/repo.hpp"
#include "util/progress.hpp"
#include "util/stream.hpp"

namespace gp {

struct TarStats {
  uint64_t entries = 0;     // archive entries written/read (files, dirs, links)
  uint64_t data_bytes = 0;  // file content bytes
  // extract_archive and check_archive: the archive file's size and sha256, as read
  // (the whole file, in the same pass as the extraction).
  uint64_t archive_bytes = 0;
  std::string archive_sha256;
};

// Writes the tree under `dir` as entries under `prefix/` (e.g. "files_live"):
// regular files, directories (empty ones too), symlinks as symlinks, modes and
// mtimes kept. `excludes` are patterns relative to `dir`: a pattern without '/'
// matches an entry name at the top level ("styles"); with '/' it matches the
// relative path (fnmatch, FNM_PATHNAME: "private/tmp", "*/cache"). `also_skip`
// names absolute paths to leave out (the environment's own SQLite file when it
// lives inside the files directory). Sockets, FIFOs and devices are skipped with a
// warning. Files that change while being read are reported as warnings.
TarStats write_files_tar(const fs::path& dir, const std::string& prefix, const std::vector<std::string>& excludes,
                         const std::vector<fs::path>& also_skip, ByteSink& out, Progress& progress);

// Writes a Pantheon-style code archive: the tree of `commit` (from the object
// database, not the work tree) under `prefix/`, plus `prefix/.git/`, a repository
// holding every branch and tag of `repo` with HEAD at `commit` on a branch named
// `branch` (detached when `branch` is empty) and an index matching the tree, so
// that unpacking it gives a clean clone.
TarStats write_code_tar(const Repo& repo, const git_oid& commit, const std::string& branch, const std::string& prefix,
                        const fs::path& scratch_dir, ByteSink& out, Progress& progress);

// Limits that protect extraction from bombs and absurd archives, checked while
// data streams (a bomb is stopped after at most 64 MiB, not at its end).
// max_ratio is the whole archive's bytes written / compressed bytes read. Deflate
// cannot exceed 1032:1, so a limit of 1000 would let a gzip bomb of zeros (about
// 1010:1 as a whole) run to its end; real sites' archives stay far below 200:1.
struct ExtractLimits {
  uint64_t max_total_bytes = 1ULL << 40;  // 1 TiB
  uint64_t max_entries = 10'000'000;
  uint64_t max_ratio = 200;               // uncompressed/compressed, checked past 64 MiB
  // Bytes of the path of the directory where the tree will live (for a restore,
  // the files directory, not the staging one): entries whose path there would
  // pass PATH_MAX are refused. 0: only the entry's own path is checked.
  size_t base_length = 0;
};

// Extracts the archive at `archive_path` (any format/compression libarchive reads)
// into the directory `dest` (created when missing), dropping `strip` leading
// path components. The rules of archive/reader.hpp decide what is refused (names
// with '..' or absolute, entries under a link or a file of the archive, type
// changes, hard links to no earlier file, sizes beyond limits or the free space
// of `dest`), with gp::Error(Exit::bad_input, "refusing archive '<file>': entry
// '<name>' <why>"); devices, FIFOs and sockets are refused too. Links are
// recreated as archived, whatever their target, after every other entry; nothing
// is ever written through a link (openat2 RESOLVE_NO_SYMLINKS). Modes are kept
// without set-id bits (directories get theirs at the end, deepest first), mtimes
// are kept, ownership never. On failure `dest` holds a partial tree that the
// caller removes. A truncated or corrupt archive throws gp::Error(Exit::integrity).
TarStats extract_archive(const fs::path& archive_path, const fs::path& dest, unsigned strip, const ExtractLimits& limits,
                         Progress& progress);

// Everything extract_archive would refuse, refused without writing anything: the
// archive is read to its end (its data too, unless `names_only`), CRCs checked.
// What backup verify and the pre-checks of import run on a files archive.
TarStats check_files_archive(const fs::path& archive_path, unsigned strip, Progress& progress, bool names_only = false);

// Reads the whole archive, decompressing and listing every entry and all of its
// data, without writing anything; gp::Error(Exit::integrity, "archive '<name>' is
// corrupt: <cause>") when it is truncated or corrupt. Besides tar, zip and the
// other archive formats it accepts a compressed single file (a database .sql.gz:
// one entry), through libarchive's raw format; an uncompressed file that is no
// archive is reported as corrupt.
TarStats check_archive(const fs::path& archive_path, Progress& progress);

}  // namespace gp
