#include "import/worktree.hpp"

#include "util/fault.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <set>
#include <vector>

#include "util/signals.hpp"

namespace gp {

StagedBlobs::StagedBlobs(const fs::path& parent)
    : dir_((make_dirs(parent, 0700), parent), "import-") {}

fs::path StagedBlobs::next_path() { return dir_.path() / std::to_string(next_++); }

void StagedBlobs::add(const git_oid& oid, const fs::path& file) {
  auto [it, inserted] = files_.emplace(key(oid), file);
  if (!inserted && it->second != file) ::unlink(file.c_str());
}

std::optional<fs::path> StagedBlobs::find(const git_oid& oid) const {
  auto it = files_.find(key(oid));
  if (it == files_.end()) return std::nullopt;
  return it->second;
}

void StagedBlobs::moved(const git_oid& oid, const fs::path& where) { files_[key(oid)] = where; }

std::optional<std::string> StagedBlobs::read_prefix(const git_oid& oid, size_t max) const {
  auto p = find(oid);
  if (!p) return std::nullopt;
  Fd f = open_file(*p, O_RDONLY);
  std::string s(max, '\0');
  size_t got = 0;
  while (got < max) {
    size_t n = read_some(f.get(), s.data() + got, max - got, p->string());
    if (n == 0) break;
    got += n;
  }
  s.resize(got);
  return s;
}

namespace {

using GitDiff = Handle<git_diff, git_diff_free>;

[[noreturn]] void sys_fail(const std::string& what, const fs::path& p) {
  throw Error(Exit::bad_input, describe(what, p.string(), std::strerror(errno)) + " (the branch was not moved)",
              "if files were partly updated, 'git checkout -f HEAD' puts the work tree back");
}

GitTree tree_of(git_repository* repo, const git_oid& commit) {
  git_commit* c = nullptr;
  git_check(git_commit_lookup(&c, repo, &commit), "cannot read commit " + oid_hex(commit));
  GitCommit cc(c);
  git_tree* t = nullptr;
  git_check(git_commit_tree(&t, cc.get()), "cannot read the tree of " + oid_hex(commit));
  return GitTree(t);
}

struct Write {
  std::string path;
  git_oid oid;
  git_filemode_t mode;
};

bool exists(const fs::path& p, struct stat& st) { return ::lstat(p.c_str(), &st) == 0; }

// Copies `from` into a new file `to` (streamed), with `mode`.
void copy_file(const fs::path& from, const fs::path& to, mode_t mode) {
  Fd in = open_file(from, O_RDONLY);
  Fd out = open_file(to, O_WRONLY | O_CREAT | O_TRUNC, mode);
  std::vector<char> buf(256 * 1024);
  for (;;) {
    size_t n = read_some(in.get(), buf.data(), buf.size(), from.string());
    if (n == 0) break;
    write_all(out.get(), buf.data(), n, to.string());
    check_interrupted();
  }
}

// A temporary name beside `p` for writing it and renaming it in. Short, whatever
// the length of p's name (a 255-byte name plus a suffix would be too long).
fs::path beside(const fs::path& p) {
  static unsigned n = 0;
  return p.parent_path() / (".gp-" + std::to_string(::getpid()) + "-" + std::to_string(n++) + ".tmp");
}

void replace_with(const fs::path& tmp, const fs::path& dest) {
  struct stat st;
  if (exists(dest, st) && S_ISDIR(st.st_mode)) remove_tree_noexcept(dest);
  if (::rename(tmp.c_str(), dest.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    errno = e;
    sys_fail("cannot write", dest);
  }
}

// Whether any checkout filter could apply: core.autocrlf=true, or an attributes
// file anywhere git looks (the new tree's .gitattributes, info/attributes,
// core.attributesFile or its XDG default, the system's). When none exists, the
// per-path filter lookup (which loads attributes for every directory) is skipped.
bool filters_possible(git_repository* repo, const git_tree* tree) {
  git_config* c = nullptr;
  git_check(git_repository_config_snapshot(&c, repo), "cannot read the git config");
  GitConfig cfg(c);
  int autocrlf = 0;
  if (git_config_get_bool(&autocrlf, c, "core.autocrlf") == 0 && autocrlf) return true;
  git_buf b = GIT_BUF_INIT;
  if (git_config_get_string_buf(&b, c, "core.attributesFile") == 0) {
    git_buf_dispose(&b);
    return true;
  }
  git_error_clear();
  std::error_code ec;
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  const char* home = std::getenv("HOME");
  std::vector<fs::path> files{fs::path(git_repository_commondir(repo)) / "info/attributes", "/etc/gitattributes"};
  if (xdg && *xdg) files.push_back(fs::path(xdg) / "git/attributes");
  else if (home && *home) files.push_back(fs::path(home) / ".config/git/attributes");
  for (auto& f : files)
    if (fs::exists(f, ec)) return true;
  bool found = false;
  git_tree_walk(
      tree, GIT_TREEWALK_PRE,
      [](const char*, const git_tree_entry* e, void* payload) {
        if (std::strcmp(git_tree_entry_name(e), ".gitattributes") == 0) {
          *static_cast<bool*>(payload) = true;
          return -1;  // stop
        }
        return 0;
      },
      &found);
  git_error_clear();
  return found;
}

}  // namespace

void advance_head_staged(git_repository* repo, const HeadState& head, const git_oid& commit, bool force,
                         const std::string& reflog_message, StagedBlobs& staged) {
  // --force over local changes: libgit2's FORCE checkout also resets tracked files
  // the import does not change; that is its job.
  if (force) {
    git_status_options so = GIT_STATUS_OPTIONS_INIT;
    so.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
    git_status_list* list = nullptr;
    git_check(git_status_list_new(&list, repo, &so), "cannot read the work tree status");
    GitStatusList l(list);
    if (git_status_list_entrycount(l.get()) > 0) return advance_head(repo, head, commit, force, reflog_message);
  }
  GitTree old_tree;
  if (head.commit) old_tree = tree_of(repo, *head.commit);
  GitTree new_tree = tree_of(repo, commit);
  git_diff* d = nullptr;
  git_diff_options dopts = GIT_DIFF_OPTIONS_INIT;
  git_check(git_diff_tree_to_tree(&d, repo, old_tree.get(), new_tree.get(), &dopts), "cannot compare trees");
  GitDiff diff(d);

  std::vector<std::string> removals;
  std::vector<Write> writes;
  const bool check_filters = filters_possible(repo, new_tree.get());
  git_filter_options fo = GIT_FILTER_OPTIONS_INIT;
  fo.flags = GIT_FILTER_ATTRIBUTES_FROM_COMMIT;
  fo.attr_commit_id = commit;
  size_t n = git_diff_num_deltas(diff.get());
  for (size_t i = 0; i < n; ++i) {
    const git_diff_delta* dd = git_diff_get_delta(diff.get(), i);
    if (dd->old_file.mode == GIT_FILEMODE_COMMIT || dd->new_file.mode == GIT_FILEMODE_COMMIT)
      return advance_head(repo, head, commit, force, reflog_message);
    switch (dd->status) {
      case GIT_DELTA_DELETED:
        removals.emplace_back(dd->old_file.path);
        break;
      case GIT_DELTA_ADDED:
      case GIT_DELTA_MODIFIED:
      case GIT_DELTA_TYPECHANGE: {
        Write w{dd->new_file.path, dd->new_file.id, static_cast<git_filemode_t>(dd->new_file.mode)};
        if (check_filters && w.mode != GIT_FILEMODE_LINK) {
          git_filter_list* fl = nullptr;
          git_check(git_filter_list_load_ext(&fl, repo, nullptr, w.path.c_str(), GIT_FILTER_TO_WORKTREE, &fo),
                    "cannot read the attributes of '" + w.path + "'");
          if (fl) {  // eol conversion, ident, a filter driver: libgit2 knows them all
            git_filter_list_free(fl);
            return advance_head(repo, head, commit, force, reflog_message);
          }
        }
        writes.push_back(std::move(w));
        break;
      }
      default:
        throw InternalError("unexpected tree difference for '" + std::string(dd->new_file.path) + "'");
    }
  }

  const fs::path root = git_repository_workdir(repo);
  std::set<std::string> removed(removals.begin(), removals.end());
  auto tracked = [&](const std::string& p) {
    if (!old_tree) return false;
    git_tree_entry* te = nullptr;
    if (git_tree_entry_bypath(&te, old_tree.get(), p.c_str()) != 0) return false;
    git_tree_entry_free(te);
    return true;
  };
  // 1. Refuse before any change when an untracked file or directory is in the way
  // (ignored files are replaced, as git checkout does); --force replaces them.
  if (!force) {
    std::set<std::string> dirs_ok;
    for (auto& w : writes) {
      struct stat st;
      size_t slash = 0;
      while ((slash = w.path.find('/', slash)) != std::string::npos) {
        std::string dir = w.path.substr(0, slash++);
        if (!dirs_ok.insert(dir).second) continue;
        if (exists(root / dir, st) && !S_ISDIR(st.st_mode) && !removed.count(dir))
          throw Error(Exit::bad_input,
                      "cannot update the work tree: untracked file '" + dir + "' is in the way (the branch was not moved)",
                      "move it away, or add --force to replace it");
      }
      if (!exists(root / w.path, st) || tracked(w.path)) continue;
      int ignored = 0;
      git_ignore_path_is_ignored(&ignored, repo, w.path.c_str());
      if (ignored && !S_ISDIR(st.st_mode)) continue;
      throw Error(Exit::bad_input,
                  "cannot update the work tree: untracked " + std::string(S_ISDIR(st.st_mode) ? "directory '" : "file '") +
                      w.path + "' would be overwritten (the branch was not moved)",
                  "move it away, or add --force to replace it");
    }
  }

  // From here the work tree changes: a kill before the branch moved is finished
  // by the next import (finish_interrupted_head_move).
  HeadMoveJournal journal(repo, head, commit);
  GP_FAULT_POINT("import.checkout.before");

  // 2. Files removed upstream, then their emptied directories.
  std::set<std::string, std::greater<>> parents;
  for (auto& p : removals) {
    fs::path f = root / p;
    if (::unlink(f.c_str()) != 0 && errno != ENOENT && errno != EISDIR) sys_fail("cannot remove", f);
    for (size_t s = p.rfind('/'); s != std::string::npos && s > 0; s = p.rfind('/', s - 1)) parents.insert(p.substr(0, s));
  }
  for (auto& dir : parents) ::rmdir((root / dir).c_str());  // deepest first; a non-empty one stays

  // 3. New and changed files.
  mode_t mask = ::umask(0);
  ::umask(mask);
  std::set<std::string> made;
  for (auto& w : writes) {
    check_interrupted();
    fs::path dest = root / w.path;
    if (auto s = w.path.rfind('/'); s != std::string::npos) {
      std::string dir = w.path.substr(0, s);
      if (made.insert(dir).second) {
        // Create each missing component; a file in the way (--force) is replaced.
        size_t pos = 0;
        for (;;) {
          size_t slash = dir.find('/', pos);
          fs::path comp = root / dir.substr(0, slash);
          struct stat st;
          if (exists(comp, st) && !S_ISDIR(st.st_mode)) ::unlink(comp.c_str());
          if (::mkdir(comp.c_str(), 0777) != 0 && errno != EEXIST) sys_fail("cannot create directory", comp);
          if (slash == std::string::npos) break;
          pos = slash + 1;
        }
      }
    }
    fs::path tmp = beside(dest);
    if (w.mode == GIT_FILEMODE_LINK) {
      git_blob* b = nullptr;
      git_check(git_blob_lookup(&b, repo, &w.oid), "cannot read blob " + oid_hex(w.oid));
      GitBlob blob(b);
      std::string target(static_cast<const char*>(git_blob_rawcontent(b)), static_cast<size_t>(git_blob_rawsize(b)));
      if (::symlink(target.c_str(), tmp.c_str()) != 0) sys_fail("cannot write", dest);
      replace_with(tmp, dest);
      continue;
    }
    mode_t mode = (w.mode == GIT_FILEMODE_BLOB_EXECUTABLE ? 0777 : 0666) & ~mask;
    auto from = staged.find(w.oid);
    if (from && from->parent_path() == staged.dir()) {
      // The staged file itself: moved in (no data is copied).
      if (::chmod(from->c_str(), mode) != 0) sys_fail("cannot write", dest);
      struct stat st;
      if (exists(dest, st) && S_ISDIR(st.st_mode)) remove_tree_noexcept(dest);
      if (::rename(from->c_str(), dest.c_str()) == 0) {
        staged.moved(w.oid, dest);
        continue;
      }
      if (errno != EXDEV) sys_fail("cannot write", dest);
    }
    if (from) {
      // Already moved to another path (same content twice), or another file system.
      copy_file(*from, tmp, mode);
    } else {
      // Not from the archive (a file HEAD had): from the object database.
      git_blob* b = nullptr;
      git_check(git_blob_lookup(&b, repo, &w.oid), "cannot read blob " + oid_hex(w.oid));
      GitBlob blob(b);
      Fd out = open_file(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode);
      write_all(out.get(), git_blob_rawcontent(b), static_cast<size_t>(git_blob_rawsize(b)), tmp.string());
    }
    if (::chmod(tmp.c_str(), mode) != 0) sys_fail("cannot write", dest);
    replace_with(tmp, dest);
  }

  // 4. The index: the new tree (entries that did not change keep their stat
  // data), with fresh stat data for what was written, so `git status` is clean
  // without hashing anything.
  // The index entries name objects just written; libgit2 would otherwise read
  // each one's header from the pack to validate it (touching every page of it).
  struct StrictOff {
    StrictOff() { git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, 0); }
    ~StrictOff() { git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, 1); }
  } strict_off;
  git_index* ix = nullptr;
  git_check(git_repository_index(&ix, repo), "cannot open the index");
  GitIndex index(ix);
  git_check(git_index_read(ix, 0), "cannot read the index");
  git_check(git_index_read_tree(ix, new_tree.get()), "cannot update the index");
  for (auto& w : writes) {
    struct stat st;
    fs::path dest = root / w.path;
    if (::lstat(dest.c_str(), &st) != 0) sys_fail("cannot read", dest);
    git_index_entry e{};
    e.ctime.seconds = static_cast<int32_t>(st.st_ctim.tv_sec);
    e.ctime.nanoseconds = static_cast<uint32_t>(st.st_ctim.tv_nsec);
    e.mtime.seconds = static_cast<int32_t>(st.st_mtim.tv_sec);
    e.mtime.nanoseconds = static_cast<uint32_t>(st.st_mtim.tv_nsec);
    e.dev = static_cast<uint32_t>(st.st_dev);
    e.ino = static_cast<uint32_t>(st.st_ino);
    e.mode = w.mode;
    e.uid = st.st_uid;
    e.gid = st.st_gid;
    e.file_size = static_cast<uint32_t>(st.st_size);
    e.id = w.oid;
    e.path = w.path.c_str();
    git_check(git_index_add(ix, &e), "cannot update the index");
  }
  git_check(git_index_write(ix), "cannot write the index");

  GP_FAULT_POINT("import.checkout.after");
  // 5. The branch, last.
  move_branch(repo, head, commit, reflog_message);
}

}  // namespace gp
