#pragma once
// The history a code archive carries: its `.git/` directory, read by the one
// archive reader (archive/reader.hpp). Used by `import code --merge-history` of an
// archive and by the restore of a code archive.
#include "util/fs.hpp"
#include "util/progress.hpp"

namespace gp {

// Extracts only the `.git/` directory of a code archive (at the top level or
// under its single top-level folder) into `dest` (created), streaming; no
// symlinks, devices or hard links are created, '..'/absolute names are refused.
// Returns false when the archive holds no .git directory.
bool extract_git_dir(const fs::path& archive, const fs::path& dest, Progress& progress);

}  // namespace gp
