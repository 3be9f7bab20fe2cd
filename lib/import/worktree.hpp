#pragma once
// The work-tree side of a squash import without reading blobs back: while the
// archive is read, each regular file's content is also written to a staging
// directory on the repository's file system (one file per distinct blob), and
// once the commit exists those files are renamed into the work tree. Memory stays
// flat whatever the size of the largest file (libgit2's checkout inflates each
// blob whole), and no content is read twice.
#include <map>
#include <optional>
#include <string>

#include "import/tree.hpp"
#include "util/fs.hpp"

namespace gp {

class StagedBlobs {
 public:
  // A fresh staging directory under `parent` (created when missing); removed with
  // what is left in it on destruction.
  explicit StagedBlobs(const fs::path& parent);
  // A new, unused name in the staging directory for the next file.
  fs::path next_path();
  // Records `file` as the content of `oid`; when `oid` already has one, `file` is
  // removed.
  void add(const git_oid& oid, const fs::path& file);
  // The staged file holding `oid`'s content, if it is still there.
  std::optional<fs::path> find(const git_oid& oid) const;
  // The file was moved away (into the work tree) and now lives at `where`.
  void moved(const git_oid& oid, const fs::path& where);
  // Up to `max` bytes of `oid`'s staged content (a .gitignore); nullopt when not staged.
  std::optional<std::string> read_prefix(const git_oid& oid, size_t max) const;
  const fs::path& dir() const noexcept { return dir_.path(); }

 private:
  static std::string key(const git_oid& oid) { return std::string(reinterpret_cast<const char*>(oid.id), 20); }
  TempDir dir_;
  uint64_t next_ = 0;
  std::map<std::string, fs::path> files_;
};

// As advance_head(): makes `commit` the tip of the current branch with the index
// and the work tree, refusing before any change when a file in the way would be
// lost (unless `force`), and moving the branch last (compare-and-swap against
// `head.commit`; on failure the old tree is checked out again). Content comes from
// `staged` where it is there (renamed in, or copied for a second path with the same
// content) and from the object database otherwise. Falls back to advance_head()
// (libgit2's checkout) when the tree involves submodules or when a checkout filter
// (.gitattributes eol/ident, core.autocrlf) applies to a file to be written.
void advance_head_staged(git_repository* repo, const HeadState& head, const git_oid& commit, bool force,
                         const std::string& reflog_message, StagedBlobs& staged);

}  // namespace gp
