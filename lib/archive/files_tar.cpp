// The files element: a directory tree written as a tar under `prefix/`.
#include <fnmatch.h>
#include <sys/stat.h>

#include <set>
#include <utility>

#include "archive/tar.hpp"
#include "archive/tar_writer.hpp"

namespace gp {

TarStats write_files_tar(const fs::path& dir, const std::string& prefix, const std::vector<std::string>& excludes,
                         const std::vector<fs::path>& also_skip, ByteSink& out, Progress& progress) {
  struct stat root;
  if (::lstat(dir.c_str(), &root) != 0) fail_errno(Exit::bad_input, "cannot read files directory", dir.string());
  if (!S_ISDIR(root.st_mode)) throw Error(Exit::bad_input, "files directory '" + dir.string() + "' is not a directory");

  // Patterns without '/' name top-level entries; with '/' they match relative paths.
  std::vector<std::string> top_patterns, path_patterns;
  for (std::string p : excludes) {
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    while (p.rfind("./", 0) == 0) p.erase(0, 2);
    if (p.empty()) continue;
    (p.find('/') == std::string::npos ? top_patterns : path_patterns).push_back(p);
  }
  // Files to leave out are matched by identity, so that any spelling of the path works.
  std::set<std::pair<dev_t, ino_t>> skip_ids;
  for (auto& p : also_skip) {
    struct stat st;
    if (::lstat(p.c_str(), &st) == 0) skip_ids.insert({st.st_dev, st.st_ino});
  }

  auto skip = [&](const std::string& rel, const struct stat& st) {
    if (skip_ids.count({st.st_dev, st.st_ino})) return true;
    if (rel.find('/') == std::string::npos) {
      for (auto& p : top_patterns)
        if (::fnmatch(p.c_str(), rel.c_str(), 0) == 0) return true;
    }
    for (auto& p : path_patterns)
      if (::fnmatch(p.c_str(), rel.c_str(), FNM_PATHNAME) == 0) return true;
    return false;
  };

  progress.start("files", 0);
  archive_detail::TarWriter w(out, prefix + ".tar");
  archive_detail::add_tree(w, dir, prefix, skip, progress);
  w.finish();
  progress.finish();
  return w.stats;
}

}  // namespace gp
