#include "import/paths.hpp"

#include <algorithm>
#include <cstring>

namespace gp {

bool is_git_metadata(const std::vector<std::string>& parts) {
  return std::any_of(parts.begin(), parts.end(),
                     [](const std::string& p) { return strcasecmp(p.c_str(), ".git") == 0; });
}

unsigned detect_strip(const std::vector<std::vector<std::string>>& paths) {
  if (paths.empty()) return 0;
  const std::string* first = nullptr;
  bool deeper = false;
  for (auto& p : paths) {
    if (p.empty()) continue;
    if (!first) first = &p[0];
    if (p[0] != *first) return 0;
    if (p.size() > 1) deeper = true;
  }
  return first && deeper ? 1 : 0;
}

namespace {

// Matches a bracket expression at p (just after '['); advances p past ']'.
// Returns nullopt when the class is unterminated (then '[' is literal).
std::optional<bool> match_class(std::string_view pat, size_t& pi, char c) {
  size_t i = pi;
  bool negate = false;
  if (i < pat.size() && (pat[i] == '!' || pat[i] == '^')) {
    negate = true;
    ++i;
  }
  bool matched = false;
  bool first = true;
  while (i < pat.size() && (pat[i] != ']' || first)) {
    first = false;
    char lo = pat[i];
    if (lo == '\\' && i + 1 < pat.size()) lo = pat[++i];
    char hi = lo;
    if (i + 2 < pat.size() && pat[i + 1] == '-' && pat[i + 2] != ']') {
      hi = pat[i + 2];
      if (hi == '\\' && i + 3 < pat.size()) hi = pat[++i + 2];
      i += 2;
    }
    if (static_cast<unsigned char>(c) >= static_cast<unsigned char>(lo) &&
        static_cast<unsigned char>(c) <= static_cast<unsigned char>(hi))
      matched = true;
    ++i;
  }
  if (i >= pat.size()) return std::nullopt;
  pi = i + 1;
  return matched != negate && c != '/';
}

bool glob_at(std::string_view pat, size_t pi, std::string_view s, size_t si) {
  while (pi < pat.size()) {
    char pc = pat[pi];
    if (pc == '*' && pi + 1 < pat.size() && pat[pi + 1] == '*' && (pi == 0 || pat[pi - 1] == '/') &&
        (pi + 2 == pat.size() || pat[pi + 2] == '/')) {
      if (pi + 2 == pat.size()) return true;  // trailing "**": everything below
      // "**/": zero or more directories.
      for (size_t t = si;;) {
        if (glob_at(pat, pi + 3, s, t)) return true;
        size_t slash = s.find('/', t);
        if (slash == std::string_view::npos) return false;
        t = slash + 1;
      }
    }
    switch (pc) {
      case '*': {
        while (pi < pat.size() && pat[pi] == '*') ++pi;
        if (pi == pat.size()) return s.find('/', si) == std::string_view::npos;
        for (size_t t = si;; ++t) {
          if (glob_at(pat, pi, s, t)) return true;
          if (t >= s.size() || s[t] == '/') return false;
        }
      }
      case '?':
        if (si >= s.size() || s[si] == '/') return false;
        ++pi;
        ++si;
        break;
      case '[': {
        if (si >= s.size()) return false;
        size_t np = pi + 1;
        auto m = match_class(pat, np, s[si]);
        if (m) {
          if (!*m) return false;
          pi = np;
          ++si;
          break;
        }
        if (s[si] != '[') return false;
        ++pi;
        ++si;
        break;
      }
      case '\\':
        if (pi + 1 < pat.size()) pc = pat[++pi];
        [[fallthrough]];
      default:
        if (si >= s.size() || s[si] != pc) return false;
        ++pi;
        ++si;
    }
  }
  return si == s.size();
}

}  // namespace

bool glob_match(std::string_view pattern, std::string_view path) { return glob_at(pattern, 0, path, 0); }

void IgnoreRules::add_file(const std::string& dir, std::string_view content) {
  File f;
  f.dir = dir;
  size_t i = 0;
  while (i < content.size()) {
    size_t j = content.find('\n', i);
    if (j == std::string_view::npos) j = content.size();
    std::string line(content.substr(i, j - i));
    i = j + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    // Trailing spaces are trimmed unless escaped with a backslash.
    while (!line.empty() && line.back() == ' ' && !(line.size() >= 2 && line[line.size() - 2] == '\\')) line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    Pattern p;
    if (line[0] == '!') {
      p.negated = true;
      line.erase(0, 1);
    } else if (line[0] == '\\' && line.size() > 1 && (line[1] == '#' || line[1] == '!')) {
      line.erase(0, 1);
    }
    if (!line.empty() && line.back() == '/') {
      p.dir_only = true;
      while (!line.empty() && line.back() == '/') line.pop_back();
    }
    if (line.empty()) continue;
    if (line.find('/') != std::string::npos) {
      p.anchored = true;
      if (line[0] == '/') line.erase(0, 1);
    }
    if (line.empty()) continue;
    p.glob = std::move(line);
    f.patterns.push_back(std::move(p));
  }
  if (!f.patterns.empty()) {
    files_.push_back(std::move(f));
    // Shallower files first, so deeper ones (evaluated later) win.
    std::stable_sort(files_.begin(), files_.end(), [](const File& a, const File& b) {
      return std::count(a.dir.begin(), a.dir.end(), '/') + !a.dir.empty() <
             std::count(b.dir.begin(), b.dir.end(), '/') + !b.dir.empty();
    });
  }
}

std::optional<bool> IgnoreRules::match(const std::string& path, bool is_dir) const {
  std::optional<bool> result;
  for (auto& f : files_) {
    std::string_view rel = path;
    if (!f.dir.empty()) {
      if (path.size() <= f.dir.size() || path.compare(0, f.dir.size(), f.dir) != 0 || path[f.dir.size()] != '/')
        continue;
      rel = std::string_view(path).substr(f.dir.size() + 1);
    }
    size_t slash = rel.rfind('/');
    std::string_view base = slash == std::string_view::npos ? rel : rel.substr(slash + 1);
    // Within one file the last matching pattern decides.
    for (auto it = f.patterns.rbegin(); it != f.patterns.rend(); ++it) {
      if (it->dir_only && !is_dir) continue;
      if (glob_match(it->glob, it->anchored ? rel : base)) {
        result = !it->negated;
        break;
      }
    }
  }
  return result;
}

bool IgnoreRules::ignored(const std::string& path, bool is_dir) const {
  if (files_.empty()) return false;
  // A path inside an ignored directory is ignored, whatever later rules say.
  for (size_t slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1))
    if (match(path.substr(0, slash), true).value_or(false)) return true;
  return match(path, is_dir).value_or(false);
}

}  // namespace gp
