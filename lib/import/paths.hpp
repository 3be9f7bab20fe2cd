#pragma once
// Pure helpers for importing archives into git: checking entry names as a secure
// extraction would, finding the single top-level folder to strip, and a matcher
// for the archive's own .gitignore files. Nothing here touches the file system.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "archive/entry_name.hpp"
#include "util/utf8.hpp"

namespace gp {

// valid_utf8() is in util/utf8.hpp.

// split_entry_name() and check_symlink_target() are in archive/entry_name.hpp:
// one set of hostile-name rules for import and extraction.

// True when a component is ".git" (compared case-insensitively, as git's path
// checks do): the entry is repository metadata, never content.
bool is_git_metadata(const std::vector<std::string>& parts);

// 1 when every path has the same first component and at least one path goes
// below it (the archive was made of one folder: "site/..."), else 0.
unsigned detect_strip(const std::vector<std::vector<std::string>>& paths);

// A subset of gitignore(5): blank lines and '#' comments, '\' escapes, trailing
// spaces trimmed, '!' negation, trailing '/' for directories only, a '/' at the
// start or in the middle anchoring the pattern to the .gitignore's directory,
// '*', '?', '[...]' (with '!'/'^' negation and ranges), and '**' as a leading
// "**/", trailing "/**" or middle "/**/". As in git, a file inside an ignored
// directory cannot be re-included, and rules of deeper .gitignore files win.
// Not supported: core.excludesFile, .git/info/exclude, per-user rules.
class IgnoreRules {
 public:
  // Adds the rules of the .gitignore found in `dir` ("" for the root, else
  // "a/b" without trailing slash). Add parents before children.
  void add_file(const std::string& dir, std::string_view content);
  // True when `path` ('/'-separated, relative to the root) is ignored.
  bool ignored(const std::string& path, bool is_dir = false) const;
  bool empty() const noexcept { return files_.empty(); }

 private:
  struct Pattern {
    std::string glob;
    bool negated = false;
    bool dir_only = false;
    bool anchored = false;  // matched against the path relative to the base, not the base name
  };
  struct File {
    std::string dir;
    std::vector<Pattern> patterns;
  };
  // nullopt when no rule speaks about `path`; else whether it is ignored.
  std::optional<bool> match(const std::string& path, bool is_dir) const;
  std::vector<File> files_;
};

// wildmatch-style glob with '/' never matched by '*', '?' or a class, and '**'
// as described above. Exposed for tests.
bool glob_match(std::string_view pattern, std::string_view path);

}  // namespace gp
