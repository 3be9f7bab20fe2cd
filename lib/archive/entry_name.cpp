#include "archive/entry_name.hpp"

#include <deque>

#include "util/utf8.hpp"

namespace gp {

namespace {

// Calls f(component) for each '/'-separated component of s, empty ones included.
template <typename F>
void for_each_component(std::string_view s, F&& f) {
  size_t i = 0;
  while (i <= s.size()) {
    size_t j = s.find('/', i);
    if (j == std::string_view::npos) j = s.size();
    f(s.substr(i, j - i));
    i = j + 1;
  }
}

}  // namespace

std::string split_entry_name(std::string_view name, std::vector<std::string>& parts, NameCheck check) {
  parts.clear();
  if (name.empty()) return "has an empty name";
  if (name.find('\0') != std::string_view::npos) return "has a NUL byte in its name";
  if (check == NameCheck::text) {
    if (!valid_utf8(name)) return "is not valid UTF-8";
    for (unsigned char c : name)
      if (c < 0x20 || c == 0x7f) return "has a control character in its name";
  }
  if (name.front() == '/') return "has an absolute path";
  bool dotdot = false;
  for_each_component(name, [&](std::string_view part) {
    if (part == "..") dotdot = true;
    else if (!part.empty() && part != ".") parts.emplace_back(part);
  });
  if (dotdot) {
    parts.clear();
    return "has a '..' component";
  }
  return {};
}

std::string check_symlink_target(const std::vector<std::string>& link, std::string_view target) {
  if (target.empty()) return "is a symlink with an empty target";
  if (target.front() == '/') return "is a symlink with an absolute target";
  // Resolved lexically from the link's directory; going above the root escapes.
  // A link with no components (the root itself) has no directory inside the root.
  long depth = static_cast<long>(link.size()) - 1;
  bool escapes = depth < 0;
  for_each_component(target, [&](std::string_view part) {
    if (part == "..") {
      if (--depth < 0) escapes = true;
    } else if (!part.empty() && part != ".") {
      ++depth;
    }
  });
  if (escapes) return "is a symlink pointing outside the archive";
  return {};
}

std::string check_symlink_chain(const std::vector<std::string>& link, std::string_view target,
                                const std::function<const std::string*(const std::string&)>& link_target) {
  if (link.empty()) return "is a symlink pointing outside the archive";
  std::vector<std::string> cur(link.begin(), link.end() - 1);  // the directory resolved so far
  std::deque<std::string> todo;                                // components still to walk
  auto push_front_target = [&](std::string_view t) {
    std::vector<std::string> parts;
    for_each_component(t, [&](std::string_view part) { parts.emplace_back(part); });
    todo.insert(todo.begin(), parts.begin(), parts.end());
  };
  push_front_target(target);
  // Linux gives up (ELOOP) after 40 links; so do we, and such a path leads nowhere.
  int hops = 0;
  while (!todo.empty()) {
    std::string part = std::move(todo.front());
    todo.pop_front();
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (cur.empty()) return "is a symlink pointing outside the archive through another symlink";
      cur.pop_back();
      continue;
    }
    cur.push_back(std::move(part));
    const std::string* next = link_target(join_entry_name(cur));
    if (!next) continue;
    if (++hops > 40) return {};
    if (next->empty() || next->front() == '/') return "is a symlink pointing outside the archive through another symlink";
    cur.pop_back();
    push_front_target(*next);
  }
  return {};
}

bool target_climbs_after_descending(std::string_view target) {
  bool down = false, climbs = false;
  for_each_component(target, [&](std::string_view part) {
    if (part == "..") {
      if (down) climbs = true;
    } else if (!part.empty() && part != ".") {
      down = true;
    }
  });
  return climbs;
}

std::string join_entry_name(const std::vector<std::string>& parts, size_t count) {
  std::string s;
  for (size_t i = 0; i < parts.size() && i < count; ++i) {
    if (!s.empty()) s += '/';
    s += parts[i];
  }
  return s;
}

}  // namespace gp
