#include "archive/git_dir.hpp"

#include <fcntl.h>

#include <optional>
#include <vector>

#include "archive/reader.hpp"

namespace gp {

bool extract_git_dir(const fs::path& archive_path, const fs::path& dest, Progress& progress) {
  EntryReader in(archive_path, EntryRules{});
  std::optional<size_t> depth;  // where ".git" sits: 0 (top level) or 1 (under one folder)
  std::string top;
  bool found = false;
  std::vector<char> buf(64 * 1024);
  make_dirs(dest, 0700);
  progress.start("extracting history from " + archive_path.filename().string(), 0);
  while (const ArchiveEntryInfo* e = in.next()) {
    const auto& parts = e->parts;
    size_t d;
    if (parts.size() >= 2 && parts[0] == ".git") {
      d = 0;
    } else if (parts.size() >= 3 && parts[1] == ".git") {
      d = 1;
    } else {
      continue;  // work-tree content, or a .git file of a submodule checkout
    }
    if (!depth) {
      depth = d;
      if (d == 1) top = parts[0];
    }
    if (d != *depth || (d == 1 && parts[0] != top)) continue;  // another folder's .git: not ours
    fs::path rel;
    for (size_t i = d + 1; i < parts.size(); ++i) rel /= parts[i];
    fs::path target = dest / rel;
    if (e->type == EntryType::hardlink || e->type == EntryType::symlink) {
      progress.warn("skipping link '" + e->name + "' in the archive's .git");
      continue;
    }
    if (e->type == EntryType::directory) {
      make_dirs(target, 0700);
      continue;
    }
    if (e->type != EntryType::file) {
      progress.warn("skipping '" + e->name + "' in the archive's .git: not a file or directory");
      continue;
    }
    make_dirs(target.parent_path(), 0700);
    // O_NOFOLLOW: we never create symlinks, but refuse to follow one regardless.
    Fd fd = open_file(target, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600);
    while (size_t got = in.read(buf.data(), buf.size())) write_all(fd.get(), buf.data(), got, target.string());
    found = true;
  }
  in.finish();  // the gzip trailer and CRC of what follows the last entry
  progress.finish();
  return found;
}

}  // namespace gp
