#include "restore/restore.hpp"

#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <memory>
#include <regex>

#include "archive/decompress.hpp"
#include "archive/gzip.hpp"
#include "archive/reader.hpp"
#include "archive/tar.hpp"
#include "content/rewrite.hpp"
#include "db/database.hpp"
#include "archive/git_dir.hpp"
#include "util/fault.hpp"
#include "util/process.hpp"
#include "util/signals.hpp"

namespace gp {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

fs::path anchored(const fs::path& root, const std::string& p) { return fs::path(p).is_absolute() ? fs::path(p) : root / p; }

// Guesses the element of an archive from its first entries.
std::optional<Element> sniff_element(const fs::path& path) {
  bool archive = false;
  try {
    EntryReader in(path, EntryRules{});
    archive = true;
    for (int i = 0; i < 200; ++i) {
      const ArchiveEntryInfo* e = in.next();
      if (!e) break;
      const std::string& n = e->path;
      if (n.rfind("files_", 0) == 0 || n == "files" || n.rfind("files/", 0) == 0) return Element::files;
      if (n.find("/.git/") != std::string::npos || n.rfind(".git/", 0) == 0) return Element::code;
    }
  } catch (const Error&) {
    // Not an archive: the caller says it cannot tell what it is. An archive whose
    // entries are refused or damaged: that is the answer.
    if (archive) throw;
  }
  return std::nullopt;
}

bool has_element(const std::vector<Element>& v, Element e) { return std::find(v.begin(), v.end(), e) != v.end(); }

// The elements to restore into `env`: the requested ones (all the source has when
// none were requested); gp::Error(bad_input) when a requested one is missing from
// the source, or one to restore is missing from `env` (a code environment has no
// database and no files to replace).
std::vector<Element> chosen_elements(const EnvConfig& env, const RestoreSource& src, const RestoreRequest& req) {
  std::vector<Element> available;
  if (src.backup) available = src.backup->manifest.elements;
  for (auto& [e, _] : src.files) available.push_back(e);
  std::vector<Element> out;
  if (req.elements.empty()) {
    out = available;
  } else {
    for (auto e : req.elements)
      if (!has_element(available, e))
        fail(Exit::bad_input,
             describe("nothing to restore for element", to_string(e), src.label + " has no such archive"));
    for (auto e : {Element::code, Element::database, Element::files})
      if (has_element(req.elements, e)) out.push_back(e);
  }
  for (auto e : out) {
    std::string hint;
    if (req.elements.empty()) {
      for (auto a : available)
        if (has_element(env_elements(env), a)) hint += " --element " + to_string(a);
      if (!hint.empty()) hint = "restore only what " + env.name + " has with" + hint;
    }
    require_element(env, e, describe("cannot restore the " + to_string(e) + " of", src.label, "") + " into " + env.name,
                    hint);
  }
  return out;
}

fs::path source_path(const Store& store, const RestoreSource& src, Element e) {
  if (src.backup) return store.archive_path(src.backup->manifest.archive(e)->file);
  for (auto& [el, p] : src.files)
    if (el == e) return p;
  throw InternalError("no source for element " + to_string(e));
}

// Reads a database dump once, to its end: a backup's archive (`record`) against
// the manifest's size and sha256, and any dump for the completion trailer of
// `kind`, the engine that will load it. A dump cut short at a line end is still
// valid gzip: only its missing trailer shows it, and the load would find that out
// only after the safety backup.
void check_dump(const fs::path& path, const ArchiveRecord* record, DbKind kind, Progress& progress) {
  DumpTrailer trailer(kind);
  std::vector<char> buf(1 << 20);
  if (record && record->compression == "gzip") {
    check_archive_size(path, *record);
    Fd fd = open_file(path, O_RDONLY, 0, Exit::bad_input);
    FdSource raw(fd.get(), path.string());
    progress.start(record->file, record->size);
    std::optional<Error> undecodable;  // reported after the sha256, which says more
    try {
      GzipReader gz(raw, "cannot read archive '" + record->file + "'");
      for (size_t n; (n = gz.read(buf.data(), buf.size())) > 0;) {
        trailer.add(buf.data(), n);
        progress.update(raw.bytes(), 0);
      }
    } catch (const Error& e) {
      if (e.code() == Exit::interrupted) throw;
      undecodable = e;
    }
    while (raw.read(buf.data(), buf.size()) > 0) {
    }  // every byte counts for the sha256
    progress.finish();
    if (raw.bytes() != record->size || raw.sha256() != record->sha256)
      fail(Exit::integrity, describe("archive", record->file, "sha256 does not match the manifest (corrupt)"));
    if (undecodable) throw *undecodable;
  } else {
    DecompressSource in(path);
    for (size_t n; (n = in.read(buf.data(), buf.size())) > 0;) trailer.add(buf.data(), n);
  }
  if (!trailer.complete())
    fail(Exit::integrity, describe("archive", record ? record->file : path.string(),
                                   "the dump is cut short: it lacks the " + trailer.name() +
                                       " trailer that ends a complete dump"));
}

// Checks every archive to be restored before the target changes. The files
// archive of a backup is only fetched and its size checked here: its sha256 is
// taken while it is extracted beside the files directory (stage_files), before
// anything changes, so the largest archive is read once, not twice. A dump is
// hashed and checked for its trailer in one read (check_dump).
void check_sources(const EnvConfig& env, const Store& store, const RestoreSource& src,
                   const std::vector<Element>& elements, Progress& progress, const ArchiveFetcher* fetch) {
  for (auto e : elements) {
    check_interrupted();
    if (src.backup) {
      const ArchiveRecord& record = *src.backup->manifest.archive(e);
      // The sha256 of the manifest was taken of what the writer produced, so a match
      // proves the archive is that one; decoding it is left to the extraction and
      // the load, which fail before the swap if anything is wrong. One read, not two.
      if (e == Element::files) check_archive_size(ensure_in_store(store, record, fetch), record);
      else if (e == Element::database)
        check_dump(ensure_in_store(store, record, fetch), &record, env.require_database().kind, progress);
      else check_archive_hash(store, record, progress, fetch);
      continue;
    }
    fs::path p = source_path(store, src, e);
    std::error_code dec;
    if (e == Element::files && fs::is_directory(p, dec)) continue;  // extracted and checked already
    if (e == Element::database)
      check_dump(p, nullptr, env.require_database().kind, progress);
    else if (e != Element::files) check_archive(p, progress);  // files: checked by their extraction, before the swap
  }
}

#if defined(GP_FAULT_INJECTION)
// Forwards to the caller's Progress, with a fault point per extracted entry.
class FaultPointProgress final : public Progress {
 public:
  explicit FaultPointProgress(Progress& next) : next_(next) {}
  void start(const std::string& label, uint64_t total) override { next_.start(label, total); }
  void update(uint64_t bytes, uint64_t items) override {
    if (items != items_) {
      items_ = items;
      GP_FAULT_POINT("restore.files.entry");
    }
    next_.update(bytes, items);
  }
  void finish() override { next_.finish(); }
  void warn(const std::string& m) override { next_.warn(m); }
  void info(const std::string& m) override { next_.info(m); }
  void step(const std::string& m) override { next_.step(m); }

 private:
  Progress& next_;
  uint64_t items_ = 0;
};
#endif

// Gives every file of `tree` the owner of `like` (a restore run as root must not
// leave the web server's files owned by root).
void copy_ownership(const fs::path& tree, const struct stat& like) {
  if (::geteuid() != 0) return;
  std::error_code ec;
  ::lchown(tree.c_str(), like.st_uid, like.st_gid);
  for (auto it = fs::recursive_directory_iterator(tree, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    ::lchown(it->path().c_str(), like.st_uid, like.st_gid);
}

// What a restore keeps next to its targets while it works (a staged files tree,
// the old one on its way out, a SQLite file being loaded) is never visible to git.
// It is kept in the store (tmp/, trash/) when the store is on the target's file
// system (renames, and renameat2's exchange, work across its directories), else
// beside the target; there, when that folder is in a git work tree, these names are
// made ignored first (info/exclude, see ignore_in_work_tree).
const std::vector<std::string> kScratchPatterns = {".*.gp-new-*", ".*.gp-old-*", "*.gp-restore-*"};
const std::string kScratchMarker =
    "# git-pantheon: a restore's temporary files trees and database files (see git-pantheon-restore(1))";

// True when what goes next to `dir`'s entries is kept in the store; else it goes
// into `dir`, where names like `sample` are now hidden from git.
bool keep_in_store(const Store& store, const fs::path& dir, const std::string& sample) {
  make_dirs(store.tmp_dir(), 0700);
  if (same_file_system(store.tmp_dir(), dir)) return true;
  ignore_in_work_tree(dir, sample, kScratchPatterns, kScratchMarker);
  return false;
}

// Removes `trees` in a process of its own that outlives this one (rm -rf), or here
// when it cannot be started. Deleting a large tree on disk costs as much as
// extracting one (journal writes for every inode freed).
void remove_in_background(const std::vector<fs::path>& trees) {
  if (trees.empty()) return;
  try {
    ProcessSpec spec;
    spec.argv = {"rm", "-rf", "--one-file-system", "--"};
    for (auto& t : trees) spec.argv.push_back(t.string());
    spec.new_session = true;
    Process(std::move(spec)).disown();
  } catch (const Error&) {
    for (auto& t : trees) remove_tree_noexcept(t);
  }
}

// Removes what a restore killed before it finished left beside the files
// directory: its new tree (extracted but never swapped in) or, after the swap, the
// old one. The caller holds the store lock, so no restore is writing there now.
void remove_stale_trees(const fs::path& dir, const std::string& prefix, Progress& progress) {
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    if (it->path().filename().string().rfind(prefix, 0) != 0) continue;
    progress.warn("removing '" + it->path().string() + "', left by an interrupted restore");
    remove_tree_noexcept(it->path());
  }
}

// Copies an already extracted tree (regular files, directories, symlinks as they are).
void copy_tree(const fs::path& from, const fs::path& to, Progress& progress) {
  uint64_t n = 0;
  for (auto it = fs::recursive_directory_iterator(from); it != fs::recursive_directory_iterator(); ++it) {
    check_interrupted();
    fs::path target = to / it->path().lexically_relative(from);
    auto st = it->symlink_status();
    if (fs::is_symlink(st)) fs::copy_symlink(it->path(), target);
    else if (fs::is_directory(st)) fs::create_directory(target, it->path());
    else if (fs::is_regular_file(st)) fs::copy_file(it->path(), target);
    progress.update(0, ++n);
  }
}

// A files tree extracted on the files directory's file system, ready to take its place.
struct StagedFiles {
  fs::path real;           // the files directory, symlinks resolved
  bool had_old = false;    // it exists (else the new tree is simply renamed in)
  struct stat old_st {};
  std::unique_ptr<TempDir> fresh;  // in the store's tmp/, or beside the files directory
  fs::path trash;                  // where the old tree goes: the store's trash/, or beside
};

// Extracts `archive` (or copies an extracted directory) into a new tree on the
// file system of the files directory of `env` (see keep_in_store); nothing the
// site sees changes. When `record` is given, the archive must match its size and
// sha256 (hashed during the extraction).
StagedFiles stage_files(const EnvConfig& env, const fs::path& root, const Store& store, const fs::path& archive,
                        unsigned strip, const ArchiveRecord* record, Progress& caller_progress) {
#if defined(GP_FAULT_INJECTION)
  FaultPointProgress progress(caller_progress);
#else
  Progress& progress = caller_progress;
#endif
  StagedFiles st;
  const std::string& files = env.require_files();
  fs::path dest = anchored(root, files);
  std::error_code ec;
  st.had_old = fs::exists(fs::symlink_status(dest, ec));
  // A files directory that is a symlink (e.g. to a mounted volume) is swapped where it really is.
  st.real = st.had_old ? fs::canonical(dest) : dest.lexically_normal();
  if (st.had_old && !fs::is_directory(st.real, ec))
    fail(Exit::bad_input, describe("files directory", files, "exists but is not a directory"));
  if (!st.had_old) make_dirs(st.real.parent_path(), 0755);
  if (st.had_old && ::stat(st.real.c_str(), &st.old_st) != 0) fail_errno(Exit::bad_input, "cannot stat", st.real.string());

  // What a killed restore left beside the files directory: its new tree, never
  // swapped in (with a warning), and old trees whose removal (discard_old_tree) was
  // cut short. In the store, tmp/ was cleared when the lock was taken, and old
  // trees in trash/ go in the background, as this restore's will.
  const std::string name = st.real.filename().string();
  const fs::path parent = st.real.parent_path();
  remove_stale_trees(parent, "." + name + ".gp-new-", progress);
  for (auto it = fs::directory_iterator(parent, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
    if (it->path().filename().string().rfind("." + name + ".gp-old-", 0) == 0) remove_tree_noexcept(it->path());
  {
    std::vector<fs::path> stale;
    for (auto it = fs::directory_iterator(store.trash_dir(), ec); !ec && it != fs::directory_iterator(); it.increment(ec))
      stale.push_back(it->path());
    remove_in_background(stale);
  }
  if (keep_in_store(store, parent, "." + name + ".gp-new-XXXXXX")) {
    make_dirs(store.trash_dir(), 0700);
    st.fresh = std::make_unique<TempDir>(store.tmp_dir(), name + ".gp-new-");
    st.trash = store.trash_dir();
  } else {
    st.fresh = std::make_unique<TempDir>(parent, "." + name + ".gp-new-");
    st.trash = parent;
  }
  const fs::path& fresh = st.fresh->path();
  GP_FAULT_POINT("restore.files.extract.before");
  progress.start("files", 0);
  std::error_code dec;
  if (fs::is_directory(archive, dec)) {
    copy_tree(archive, fresh, progress);
  } else {
    // Paths are checked against where the tree will live, not where it is staged.
    ExtractLimits limits;
    limits.base_length = st.real.string().size();
    auto stats = extract_archive(archive, fresh, strip, limits, progress);
    if (record && (stats.archive_bytes != record->size || stats.archive_sha256 != record->sha256))
      fail(Exit::integrity, describe("archive", record->file, "sha256 does not match the manifest (corrupt)"));
  }
  progress.finish();
  ::chmod(fresh.c_str(), st.had_old ? (st.old_st.st_mode & 07777) : 0755);
  if (st.had_old) copy_ownership(fresh, st.old_st);
  return st;
}

// The old files tree, swapped out: renamed to `<trash>/[.]<name>.gp-old-XXXXXX`
// and removed in the background (remove_in_background): the site has its new
// files already. A tree left by a remover that was stopped (a reboot) is removed by
// the next restore (stage_files).
void discard_old_tree(std::unique_ptr<TempDir> old, const fs::path& trash_dir) {
  fs::path from = old->path();
  std::string name = from.filename().string();
  auto at = name.rfind(".gp-new-");
  if (at == std::string::npos) return;  // ~TempDir removes it
  fs::path trash = trash_dir / (name.substr(0, at) + ".gp-old-" + name.substr(at + 8));
  if (::rename(from.c_str(), trash.c_str()) != 0) return;
  old->keep();
  remove_in_background({trash});
}

// Puts a staged tree in place of the files directory in one rename, then has the
// old tree removed.
void swap_in_files(const Config& config, const EnvConfig& env, const fs::path& root, StagedFiles& st) {
  std::error_code ec;
  const fs::path& fresh = st.fresh->path();
  const fs::path& real = st.real;
  // The environment's own SQLite database may live inside the files directory
  // (Drupal's sites/default/files/.ht.sqlite). Files archives leave it out, so it is
  // carried into the new tree by hard link: the same inode, so the exchange below
  // neither loses it nor disturbs a process that has it open. Done at the last
  // moment, after a database restore has put its new file in place.
  if (st.had_old && env.database && env.database->kind == DbKind::sqlite) {
    fs::path dbfile = fs::weakly_canonical(anchored(root, env.database->path));
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
      fs::path p = dbfile.string() + suffix;
      if (!path_within(real, p) || !fs::exists(fs::symlink_status(p, ec))) continue;
      fs::path target = fresh / p.lexically_relative(real);
      make_dirs(target.parent_path(), 0755);
      fs::remove(target, ec);
      if (::link(p.c_str(), target.c_str()) != 0) fail_errno(Exit::internal, "cannot carry the database file over to", target.string());
    }
  }
  check_interrupted();
  GP_FAULT_POINT("restore.files.swap.before");

  if (!st.had_old) {
    if (::rename(fresh.c_str(), real.c_str()) != 0) fail_errno(Exit::internal, "cannot move into place", real.string());
    st.fresh->keep();
    GP_FAULT_POINT("restore.files.swap.after");
    fsync_dir(real.parent_path());
    return;
  }
  // The one instant the files change: old and new trade places.
  exchange_paths(fresh, real);
  GP_FAULT_POINT("restore.files.swap.after");
  fsync_dir(real.parent_path());
  // `fresh` now names the old tree. Regenerable folders the archive left out are
  // carried over from it, so that restoring does not wipe caches the site relies on.
  for (auto& pattern : config.files_excludes(env)) {
    if (pattern.find_first_of("*?[") != std::string::npos) continue;
    fs::path from = fresh / pattern, to = real / pattern;
    if (fs::exists(fs::symlink_status(from, ec)) && !fs::exists(fs::symlink_status(to, ec))) {
      make_dirs(to.parent_path(), 0755);
      ::rename(from.c_str(), to.c_str());
      GP_FAULT_POINT("restore.files.keep-excluded");
    }
  }
  GP_FAULT_POINT("restore.files.remove-old.before");
  discard_old_tree(std::move(st.fresh), st.trash);
}

// Loads the dump `archive` into the environment's database; with `urls`, through
// the URL rewrite (on a thread of its own, beside the load), whose figures go to
// `stats`.
void restore_database(const EnvConfig& env, const fs::path& root, const Store& store, const fs::path& archive,
                      const UrlRewriter* urls, const RewriteRequest& rewrite, RewriteStats* stats, Progress& progress) {
  // A SQLite file is built beside its final place: that folder must exist (in a
  // fresh clone, the files directory that holds Drupal's .ht.sqlite may not yet).
  if (env.require_database().kind == DbKind::sqlite) {
    fs::path file = anchored(root, env.database->path);
    make_dirs(file.parent_path(), 0755);
    keep_in_store(store, file.parent_path(), file.filename().string() + ".gp-restore-0-x");  // where load() builds
  }
  auto db = open_database(env, root, store.secrets_dir(), store.tmp_dir());
  DecompressSource in(archive);
  progress.start("database", 0);
  GP_FAULT_POINT("restore.db.load.before");
  if (urls && !urls->empty()) {
    SqlRewriteOptions options;
    options.rewrite_guid = rewrite.guid;
    SqlRewriteSource rewritten(in, *urls, env.database->kind, options);
    {
      ReadAheadSource ahead(rewritten, 1 << 20, 4);
      db->load(ahead, progress);
    }  // the reader thread has stopped: its figures are final
    if (stats) *stats = rewritten.stats();
  } else {
    db->load(in, progress);
  }
  GP_FAULT_POINT("restore.db.load.after");
  progress.finish();
}

// Warnings for the values a rewrite left as they were.
void warn_unrewritten(const RewriteStats& stats, Progress& progress) {
  for (auto& [table, t] : stats.tables) {
    if (t.unparsable)
      progress.warn("left " + std::to_string(t.unparsable) + (t.unparsable == 1 ? " value" : " values") + " of " + table +
                    " unrewritten: a source URL inside data that looks PHP-serialized but does not parse");
    if (t.oversized)
      progress.warn("left " + std::to_string(t.oversized) + (t.oversized == 1 ? " value" : " values") + " of " + table +
                    " unrewritten: larger than 64 MiB");
  }
}

// The code to restore, settled before anything changes: the commit (its objects
// in this repository by then) and the new branch.
struct CodeTarget {
  git_oid commit{};
  std::string branch;
  bool branch_exists = false;  // already at `commit`: nothing to do
};

// Brings the objects of the repository at `git_dir` that `commit` needs into
// `repo` (a fetch without refs: negotiated, downloaded and indexed; nothing else
// of `repo` changes). `what` names the archive in messages.
void fetch_objects(Repo& repo, const fs::path& git_dir, const git_oid& commit, const std::string& what) {
  git_remote* raw = nullptr;
  git_check(git_remote_create_anonymous(&raw, repo.get(), git_dir.c_str()), "cannot read archive '" + what + "'",
            Exit::integrity);
  GitRemote remote(raw);
  // Every branch and tag, and HEAD (detached in a test or live archive): the wants.
  const char* specs[] = {"+HEAD:refs/pantheon-restore/head", "+refs/heads/*:refs/pantheon-restore/heads/*",
                         "+refs/tags/*:refs/pantheon-restore/tags/*"};
  git_strarray refspecs{const_cast<char**>(specs), 3};
  git_fetch_options fo = GIT_FETCH_OPTIONS_INIT;
  fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
  git_check(git_remote_download(remote.get(), &refspecs, &fo), "cannot read the history in archive '" + what + "'",
            Exit::integrity);
  git_remote_disconnect(remote.get());
  git_commit* c = nullptr;
  git_tree* t = nullptr;
  if (git_commit_lookup(&c, repo.get(), &commit) != 0 || git_commit_tree(&t, c) != 0) {
    git_commit_free(c);
    fail(Exit::integrity, describe("archive", what, "its HEAD commit " + oid_hex(commit).substr(0, 12) + " is missing"));
  }
  git_tree_free(t);
  git_commit_free(c);
}

// Checks the code element before anything changes, and makes its commit
// available: a backup's commit is in this repository (else it comes from its
// code archive); a loose code archive must hold a whole repository (a .git, not
// shallow) whose HEAD commit is there, and its objects are brought in. The branch
// (restore/<label>, or --branch) must be a valid name and not exist at another
// commit. The archive's .git is extracted into the store's tmp/ for as long as
// this takes.
CodeTarget check_code(Repo& repo, const Store& store, const RestoreSource& src, const RestoreRequest& req,
                      Progress& progress) {
  CodeTarget t;
  std::optional<TempDir> scratch;
  t.branch = req.branch.empty() ? "restore/" + src.label : req.branch;
  int valid = 0;
  if (git_reference_name_is_valid(&valid, ("refs/heads/" + t.branch).c_str()) < 0 || !valid)
    fail(Exit::bad_input, describe("invalid branch name", t.branch), "name another with --branch");
  fs::path archive = source_path(store, src, Element::code);
  const std::string what = src.backup ? src.backup->manifest.archive(Element::code)->file : archive.string();
  bool have = false;
  if (src.backup) {
    if (git_oid_fromstr(&t.commit, src.backup->manifest.commit.c_str()) != 0)
      fail(Exit::integrity, describe("backup", src.backup->tag, "names an invalid commit"));
    git_odb* odb = nullptr;
    git_check(git_repository_odb(&odb, repo.get()), "cannot open the object database");
    have = git_odb_exists(odb, &t.commit) == 1;
    git_odb_free(odb);
  }
  if (!have) {
    scratch.emplace(store.tmp_dir(), "restore-code-");
    fs::path git_dir = scratch->path() / "git";
    if (!extract_git_dir(archive, git_dir, progress))
      fail(Exit::bad_input, describe("archive", what, "holds no repository (no .git directory): it is not a code archive"),
           "import plain code with 'git pantheon import code <archive> --squash'");
    git_repository* raw = nullptr;
    if (git_repository_open_ext(&raw, git_dir.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr) != 0)
      fail(Exit::integrity, describe("archive", what, "its .git is not a usable repository: " + git_last_error()));
    GitRepository archived(raw);
    if (git_repository_is_shallow(archived.get()) == 1)
      fail(Exit::bad_input, describe("archive", what, "its repository is a shallow clone (its history is incomplete)"),
           "make the archive from a whole clone ('git fetch --unshallow' there)");
    if (!src.backup && git_reference_name_to_id(&t.commit, archived.get(), "HEAD") != 0)
      fail(Exit::integrity, describe("archive", what, "its repository's HEAD names no commit"));
    // The commit and its tree must be there before the fetch (whose failure
    // paths in libgit2 1.5 also leak).
    {
      git_commit* c = nullptr;
      git_tree* tree = nullptr;
      bool ok = git_commit_lookup(&c, archived.get(), &t.commit) == 0 && git_commit_tree(&tree, c) == 0;
      git_tree_free(tree);
      git_commit_free(c);
      if (!ok)
        fail(Exit::integrity, describe("archive", what, "its HEAD commit " + oid_hex(t.commit).substr(0, 12) + " is missing"));
    }
    fetch_objects(repo, git_dir, t.commit, what);
  }
  if (auto existing = repo.resolve_commit("refs/heads/" + t.branch)) {
    if (!git_oid_equal(&*existing, &t.commit))
      fail(Exit::bad_input, describe("branch", t.branch, "already exists at another commit"), "name another with --branch");
    t.branch_exists = true;
  }
  return t;
}

// Creates the branch (never moving one, checked out or not).
std::string restore_code(Repo& repo, const CodeTarget& t) {
  if (t.branch_exists) return t.branch;
  git_commit* c = nullptr;
  git_check(git_commit_lookup(&c, repo.get(), &t.commit), "cannot read commit " + oid_hex(t.commit), Exit::integrity);
  GitCommit commit(c);
  git_reference* ref = nullptr;
  git_check(git_branch_create(&ref, repo.get(), t.branch.c_str(), commit.get(), 0),
            "cannot create branch '" + t.branch + "'");
  GitReference r(ref);
  return t.branch;
}

// The message about a restore into `env` that was killed while replacing
// elements (its journal is still there), or nullopt.
std::optional<std::string> interrupted_restore(const Store& store, const std::string& env) {
  fs::path p = store.root() / ("restore-" + env);
  std::error_code ec;
  if (!fs::exists(p, ec)) return std::nullopt;
  std::vector<std::string> lines;
  try {
    lines = read_text_lines(p, Exit::internal);
  } catch (const Error&) {
    return std::nullopt;
  }
  std::string from = lines.empty() ? "?" : lines[0];
  std::string safety = lines.size() > 1 ? lines[1] : "";
  std::string elems;
  for (size_t i = 2; i < lines.size(); ++i)
    if (!lines[i].empty()) elems += (elems.empty() ? "" : " and ") + lines[i];
  std::string msg = "an earlier restore of " + from + " into " + env + " was interrupted: its " + elems +
                    " may each be the old or the restored content (never a mix within one)";
  msg += "; this restore replaces them again";
  if (!safety.empty())
    msg += " (the state before the interrupted one is its safety backup: git pantheon restore " + safety + " --yes)";
  return msg;
}

}  // namespace

void exchange_paths(const fs::path& a, const fs::path& b) {
  if (::renameat2(AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE) != 0)
    fail_errno(Exit::internal, "cannot swap directories atomically (renameat2 RENAME_EXCHANGE) at", b.string());
}

unsigned detect_files_strip(const fs::path& path) {
  // Names only: the rules of the reader refuse what extraction would refuse.
  EntryReader in(path, EntryRules{});
  std::optional<std::string> top;
  bool below = false;
  while (const ArchiveEntryInfo* e = in.next()) {
    const std::string& first = e->parts[0];
    if (e->parts.size() > 1) below = true;
    else if (e->type != EntryType::directory) return 0;  // a file at the top
    if (top && *top != first) return 0;
    top = first;
  }
  if (!top || !below) return 0;
  return (*top == "files" || top->rfind("files_", 0) == 0) ? 1 : 0;
}

namespace {

// The label of loose archives (messages, the code's branch restore/<label>):
// "<env>/<stamp>" from a name in Pantheon's scheme
// (<site>_<env>_<YYYY-MM-DDTHH-MM-SS>_UTC_<element>...), else the code archive's
// name without its extension (characters a branch name cannot have as '-'), else
// "files".
const std::regex& pantheon_name() {
  static const std::regex re(R"(^.+_([A-Za-z0-9-]+)_([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}-[0-9]{2}-[0-9]{2})_UTC_(code|database|files)\..*$)");
  return re;
}

std::string loose_label(const std::vector<std::pair<Element, fs::path>>& files) {
  for (auto& [e, p] : files) {
    std::smatch m;
    std::string name = p.filename().string();
    if (std::regex_match(name, m, pantheon_name())) return m[1].str() + "/" + m[2].str();
  }
  for (auto& [e, p] : files) {
    if (e != Element::code) continue;
    std::string stem = p.filename().string();
    for (const char* ext : {".tar.gz", ".tgz", ".tar.zst", ".tar.bz2", ".tar.xz", ".tar", ".zip"})
      if (ends_with(stem, ext)) {
        stem.resize(stem.size() - std::strlen(ext));
        break;
      }
    std::string out;
    for (char c : stem) out += std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' ? c : '-';
    if (!out.empty() && out.front() != '-') return out;
  }
  return "files";
}

}  // namespace

std::string pantheon_file_env(const fs::path& file) {
  std::smatch m;
  std::string name = file.filename().string();
  return std::regex_match(name, m, pantheon_name()) ? m[1].str() : std::string();
}

RewriteReport plan_rewrite(const Config& config, const RestoreSource& source, const std::string& target_env,
                           const RewriteRequest& request) {
  RewriteReport r;
  r.from_env = source.env;
  if (r.from_env.empty() && source.backup) r.from_env = source.backup->manifest.env;
  if (!request.enabled) return r;
  r.pairs = request.extra;
  const EnvConfig& to = config.env(target_env);
  auto from = config.envs.find(r.from_env);
  if (from == config.envs.end() || r.from_env == target_env) return r;
  for (auto& p : env_url_pairs(from->second, to)) r.pairs.push_back(p);
  if (from->second.urls.empty() != to.urls.empty())
    r.note = "URLs are not rewritten from " + r.from_env + " to " + target_env + ": " +
             (to.urls.empty() ? target_env : r.from_env) + " has no url in " + kConfigFileName;
  return r;
}

RestoreSource source_from_files(const std::vector<fs::path>& files, const std::vector<Element>& requested) {
  RestoreSource src;
  auto named = [](const std::string& name, Element e) {
    static const char* const code[] = {"_code.tar.gz", "_code.tgz"};
    static const char* const db[] = {".sql", ".sql.gz", ".sql.zst", ".sql.bz2", ".sql.xz"};
    static const char* const tree[] = {"_files.tar.gz", "_files.tgz", "_files.tar", "_files.zip", "_files.tar.zst"};
    auto any = [&](auto& list) {
      return std::any_of(std::begin(list), std::end(list), [&](const char* x) { return ends_with(name, x); });
    };
    return e == Element::code ? any(code) : e == Element::database ? any(db) : any(tree);
  };
  for (auto& f : files) {
    std::error_code ec;
    if (!fs::is_regular_file(f, ec)) fail(Exit::bad_input, describe("cannot read archive", f.string(), "no such file"));
    std::string name = f.filename().string();
    std::optional<Element> e;
    for (Element c : {Element::code, Element::database, Element::files})
      if (named(name, c)) e = c;
    // One archive and one element asked for: the user has said what it holds.
    if (!e && files.size() == 1 && requested.size() == 1) e = requested[0];
    if (!e) e = sniff_element(f);
    if (!e)
      fail(Exit::bad_input,
           describe("cannot restore archive", f.string(),
                    "neither its name nor its first entries say whether it holds code, a database or files"),
           "name it like Pantheon does (..._code.tar.gz, ..._database.sql.gz, ..._files.tar.gz), or say which "
           "with --element code|db|files");
    for (auto& [have, p] : src.files)
      if (have == *e) fail(Exit::bad_input, describe("two " + to_string(*e) + " archives given", p.string() + "' and '" + f.string()));
    src.files.emplace_back(*e, fs::absolute(f));
    if (*e == Element::files) src.files_strip = detect_files_strip(f);
  }
  if (src.files.empty()) fail(Exit::usage, "no archive files given");
  src.label = loose_label(src.files);
  for (auto& [e, p] : src.files)
    if (src.env.empty()) src.env = pantheon_file_env(p);
  return src;
}

std::vector<std::string> describe_restore(const Config& config, const fs::path& root, const RestoreSource& source,
                                          const RestoreRequest& request) {
  const EnvConfig& env = config.env(request.target_env);
  std::vector<std::string> out;
  for (auto e : chosen_elements(env, source, request)) {
    std::string size;
    if (source.backup) size = " (" + human_size(source.backup->manifest.archive(e)->size) + " compressed)";
    switch (e) {
      case Element::database:
        out.push_back("database " + env.require_database().display() + " is replaced" + size);
        for (auto& p : plan_rewrite(config, source, request.target_env, request.rewrite).pairs)
          out.push_back("  with " + p.from + " rewritten to " + p.to);
        break;
      case Element::files:
        out.push_back("files directory " + anchored(root, env.require_files()).string() + " is replaced" + size);
        break;
      case Element::code:
        out.push_back("code is restored into the new branch " +
                      (request.branch.empty() ? "restore/" + source.label : request.branch) +
                      " (nothing checked out changes)");
        break;
    }
  }
  return out;
}

std::optional<Backup> latest_safety_backup(const Repo& repo, const std::string& env, Progress& progress) {
  for (auto& b : list_backups(repo, progress))
    if (b.manifest.env == env && b.manifest.initiator == "safety") return b;
  return std::nullopt;
}

RestoreResult restore(Repo& repo, const Config& config, const Store& store, const FileLock& lock,
                      const RestoreSource& source, const RestoreRequest& req, Progress& progress) {
  const EnvConfig& env = config.env(req.target_env);
  fs::path root = repo.workdir();
  RestoreResult result;
  auto elements = chosen_elements(env, source, req);
  if (elements.empty()) fail(Exit::bad_input, "nothing to restore");

  // 0. A restore into this environment that was killed: say what it left.
  if (auto prev = interrupted_restore(store, env.name)) progress.warn(*prev);

  // 1. Nothing changes before every archive has been read back and checked.
  check_sources(env, store, source, elements, progress, &req.fetch);
  std::optional<CodeTarget> code;
  if (has_element(elements, Element::code)) code = check_code(repo, store, source, req, progress);
  // The URL rewrite of the database, settled (and its pairs checked) up front.
  std::unique_ptr<UrlRewriter> urls;
  if (has_element(elements, Element::database)) {
    result.rewrite = plan_rewrite(config, source, env.name, req.rewrite);
    urls = std::make_unique<UrlRewriter>(result.rewrite->pairs);
    result.rewrite->pairs = urls->pairs();
    if (!result.rewrite->note.empty()) progress.info(result.rewrite->note);
  }
  GP_FAULT_POINT("restore.verified");
  // A server that cannot be reached refuses the restore before anything changes; a
  // SQLite file that does not exist yet is simply created by the load.
  std::error_code ec;
  const bool had_database =
      has_element(elements, Element::database) &&
      (env.database->kind != DbKind::sqlite || fs::exists(anchored(root, env.database->path), ec));
  if (had_database) open_database(env, root, store.secrets_dir(), store.tmp_dir())->ping();

  // 2. The files are extracted beside their directory (and their archive checked)
  // while nothing has changed yet: a bad archive costs no safety backup.
  std::optional<StagedFiles> staged;
  if (has_element(elements, Element::files)) {
    const ArchiveRecord* record = source.backup ? source.backup->manifest.archive(Element::files) : nullptr;
    staged = stage_files(env, root, store, source_path(store, source, Element::files), source.files_strip, record,
                         progress);
  }

  // 3. The safety backup of what is about to be replaced.
  if (req.safety_backup) {
    BackupRequest b;
    b.env = env.name;
    b.initiator = "safety";
    if (has_element(elements, Element::files) && fs::exists(anchored(root, *env.files), ec))
      b.elements.push_back(Element::files);
    if (had_database) b.elements.push_back(Element::database);
    if (!b.elements.empty()) {
      progress.step("making a safety backup of " + env.name);
      result.safety = create_backup(repo, config, store, lock, b, progress);
      GP_FAULT_POINT("restore.safety.after");
    }
  }

  // A journal says, while elements are being replaced, what is being restored, so
  // that the next restore of this environment can say what a kill interrupted.
  // Removed when this restore ends in any way but a kill.
  struct RestoreJournal {
    fs::path path;
    ~RestoreJournal() {
      std::error_code rm;
      fs::remove(path, rm);
    }
  } journal{store.root() / ("restore-" + env.name)};
  {
    std::string text = source.label + "\n" + (result.safety ? result.safety->tag : "") + "\n";
    for (auto e : elements) text += to_string(e) + "\n";
    write_file_atomic(journal.path, text, 0600);
  }
  GP_FAULT_POINT("restore.journal.after");

  // 4. Each element in turn, each all-or-nothing on its own: the database first (the
  // likeliest to fail), then the files (staged already: only the swap is left), then the code. When one fails after another
  // was restored, the restored ones are put back from the safety backup, so the
  // environment ends wholly as it was.
  auto apply = [&](Element e, const RestoreSource& from) {
    fs::path archive = source_path(store, from, e);
    switch (e) {
      case Element::files:
        if (&from == &source) {
          swap_in_files(config, env, root, *staged);
        } else {
          const ArchiveRecord* record = from.backup ? from.backup->manifest.archive(e) : nullptr;
          auto again = stage_files(env, root, store, archive, from.files_strip, record, progress);
          swap_in_files(config, env, root, again);
        }
        break;
      case Element::database:
        if (&from == &source) {
          restore_database(env, root, store, archive, urls.get(), req.rewrite, &result.rewrite->stats, progress);
          warn_unrewritten(result.rewrite->stats, progress);
        } else {
          restore_database(env, root, store, archive, nullptr, req.rewrite, nullptr, progress);
        }
        break;
      case Element::code: result.branch = restore_code(repo, *code); break;
    }
  };
  try {
    for (auto e : {Element::database, Element::files, Element::code}) {
      if (!has_element(elements, e)) continue;
      check_interrupted();
      apply(e, source);
      result.restored.push_back(e);
      GP_FAULT_POINT("restore.element.done");
    }
  } catch (const Error& err) {
    std::vector<Element> undo;
    for (auto e : result.restored)
      if (e != Element::code) undo.push_back(e);
    if (undo.empty()) throw;
    std::string done = to_string(undo.front()) + (undo.size() > 1 ? " and " + to_string(undo.back()) : "");
    if (!result.safety || err.code() == Exit::interrupted)
      throw Error(err.code(), std::string(err.what()) + " (after the " + done + " of " + env.name + " was restored)",
                  result.safety ? "run 'git pantheon restore --undo --to-env " + env.name + "' to go back" : "");
    RestoreSource back;
    back.backup = result.safety;
    back.label = result.safety->tag;
    try {
      for (auto e : undo)
        if (result.safety->manifest.archive(e)) apply(e, back);
    } catch (const Error& again) {
      throw Error(err.code(), std::string(err.what()) + "; putting back the " + done + " failed too: " + again.what(),
                  "restore the safety backup by hand: git pantheon restore " + result.safety->tag + " --yes --no-safety-backup");
    }
    throw Error(err.code(), std::string(err.what()) + "; the " + done + " of " + env.name +
                                " was put back from the safety backup " + result.safety->tag);
  }
  return result;
}

}  // namespace gp
