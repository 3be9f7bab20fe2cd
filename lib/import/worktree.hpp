#pragma once
// The work-tree side of a squash import without reading blobs back: while the
// archive is read, each regular file's content is also written to a staging
// directory on the repository's file system (one file per distinct blob), and
// once the commit exists those files are renamed into the work tree. Memory stays
// flat whatever the size of the largest file (libgit2's checkout inflates each
// blob whole), and no content is read twice.
#include <array>
#include <cstring>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

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
  // The staged file holding `oid`'s content, if it is there and not used up.
  std::optional<fs::path> find(const git_oid& oid) const;
  // One more path of the work tree will take `oid`'s content (counted for every
  // such path before the first use()).
  void will_use(const git_oid& oid);
  // The staged file for the next path taking `oid`'s content; `last` when it is
  // the last such path, which may move the file away (the blob is then used up).
  struct Use {
    fs::path file;
    bool last;
  };
  std::optional<Use> use(const git_oid& oid);
  // Up to `max` bytes of `oid`'s staged content (a .gitignore); nullopt when not staged.
  std::optional<std::string> read_prefix(const git_oid& oid, size_t max) const;
  const fs::path& dir() const noexcept { return dir_.path(); }

 private:
  using Key = std::array<unsigned char, GIT_OID_RAWSZ>;
  struct KeyHash {
    size_t operator()(const Key& k) const noexcept {
      size_t h;
      std::memcpy(&h, k.data(), sizeof h);  // an object id is already uniformly spread
      return h;
    }
  };
  // Per blob: the number of its staged file and the paths still to take it.
  // About 70 bytes an entry: an import of 100,000 files keeps ~7 MB here.
  struct Entry {
    uint64_t n = 0;
    uint32_t uses = 0;
    bool taken = false;
  };
  static Key key(const git_oid& oid) {
    Key k;
    std::memcpy(k.data(), oid.id, k.size());
    return k;
  }
  TempDir dir_;
  uint64_t next_ = 0;
  std::unordered_map<Key, Entry, KeyHash> files_;
};

// A file or link a work tree needs written.
struct TreeWrite {
  std::string path;
  git_oid oid;
  git_filemode_t mode;
  bool tracked = false;  // the old tree had this path (it is replaced, not new)
};

// The difference between two trees (`old_tree` may be null) as a work tree needs
// it: paths to remove and files and links to write, as git_diff_tree_to_tree gives
// them (a type change between a file and a directory is a removal and writes).
// Subtrees with the same id are skipped unread, so only what changed is visited,
// and memory is what the two lists hold (libgit2's diff kept about 600 bytes per
// added file besides). Returns false, the lists partial, when a submodule is
// involved (a gitlink added, removed or changed; an unchanged one is skipped).
bool tree_changes(git_repository* repo, const git_tree* old_tree, const git_tree* new_tree,
                  std::vector<std::string>& removals, std::vector<TreeWrite>& writes);

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
