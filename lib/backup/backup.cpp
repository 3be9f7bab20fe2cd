#include "backup/backup.hpp"
#include "backup/protect.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <set>

#include "archive/gzip.hpp"
#include "archive/tar.hpp"
#include "db/database.hpp"
#include "deploy/tags.hpp"
#include "util/fault.hpp"
#include "util/signals.hpp"
#include "util/stream.hpp"
#include "util/version.hpp"

namespace gp {

git_oid backup_commit(const Repo& repo, const EnvConfig& env, std::string* deploy_tag) {
  if (auto t = latest_deploy_tag(repo, env.name)) {
    if (deploy_tag) *deploy_tag = t->tag.name;
    return t->tag.target;
  }
  if (!env.branch.empty()) {
    auto c = repo.resolve_commit("refs/heads/" + env.branch);
    if (!c) fail(Exit::bad_input, describe("branch", env.branch, "does not exist (the 'branch' of env " + env.name + ")"));
    return *c;
  }
  return repo.head_commit();
}

std::vector<Element> env_elements(const EnvConfig& env) {
  std::vector<Element> out{Element::code};
  if (env.database) out.push_back(Element::database);
  if (env.files) out.push_back(Element::files);
  return out;
}

void require_element(const EnvConfig& env, Element e, const std::string& doing, const std::string& hint) {
  if (e == Element::code || (e == Element::database && env.database) || (e == Element::files && env.files)) return;
  std::string why = env.missing_part(e == Element::database ? EnvConfig::Part::database : EnvConfig::Part::files);
  fail(Exit::bad_input, doing.empty() ? why : doing + ": " + why, hint);
}

namespace {

// The archives of a backup being made; unless committed, they are removed, then the
// journal naming them (a failed backup leaves nothing behind).
class PublishedArchives {
 public:
  explicit PublishedArchives(fs::path journal) : journal_(std::move(journal)) {}
  ~PublishedArchives() {
    if (committed_) return;
    for (auto& p : paths_) ::unlink(p.c_str());
    ::unlink(journal_.c_str());
  }
  void add(fs::path p) { paths_.push_back(std::move(p)); }
  void commit() { committed_ = true; }

 private:
  fs::path journal_;
  std::vector<fs::path> paths_;
  bool committed_ = false;
};

#if defined(GP_FAULT_INJECTION)
// Passes writes on to the archive file, with a fault point every 256 KiB (the
// gzip writer hands on 256 KiB parts), so crash tests can stop a backup while an
// archive is half written into tmp/.
class FaultPointSink final : public ByteSink {
 public:
  explicit FaultPointSink(ByteSink& next) : next_(next) {}
  void write(const char* data, size_t size) override {
    next_.write(data, size);
    since_ += size;
    if (since_ >= (256u << 10)) {
      since_ = 0;
      GP_FAULT_POINT("backup.archive.chunk");
    }
  }

 private:
  ByteSink& next_;
  size_t since_ = 0;
};
#endif

fs::path anchored(const fs::path& root, const std::string& p) { return fs::path(p).is_absolute() ? fs::path(p) : root / p; }

// The branch name to give HEAD in a code archive, empty for a detached HEAD. As in
// Pantheon's archives: an environment with deploy tags (test, live) runs its
// latest deploy's commit, so HEAD is detached there, even when a branch is at the
// same commit; dev (no deploy tags) is on its branch when the branch is at `commit`.
std::string code_archive_branch(const Repo& repo, const EnvConfig& env, const git_oid& commit) {
  if (latest_deploy_tag(repo, env.name)) return "";
  std::string branch = env.branch.empty() ? repo.head_branch().value_or("") : env.branch;
  if (branch.empty()) return "";
  auto tip = repo.resolve_commit("refs/heads/" + branch);
  return tip && git_oid_equal(&*tip, &commit) ? branch : "";
}

ArchiveRecord write_element(Repo& repo, const Config& config, const EnvConfig& env, const Store& store, Element element,
                            const std::string& file_name, const git_oid& commit, Progress& progress) {
  fs::path root = repo.workdir();
  AtomicFile file(store.archive_path(file_name), 0600, store.tmp_dir());
  FdSink sink(file.fd(), file.temp_path().string());
#if defined(GP_FAULT_INJECTION)
  FaultPointSink gz_out(sink);
#else
  ByteSink& gz_out = sink;
#endif
  GzipWriter gz(gz_out, config.backup.compression_level);
  GP_FAULT_POINT("backup.archive.start");
  ArchiveRecord rec;
  rec.element = element;
  rec.file = file_name;
  // Each writer starts and finishes its own progress phase ("code", "database",
  // "files"): one line per element.
  switch (element) {
    case Element::code: {
      TempDir scratch(store.tmp_dir(), "code-");
      auto stats = write_code_tar(repo, commit, code_archive_branch(repo, env, commit), "code_" + env.name,
                                  scratch.path(), gz, progress);
      rec.entries = stats.entries;
      break;
    }
    case Element::database: {
      auto db = open_database(env, root, store.secrets_dir(), store.tmp_dir());
      auto stats = db->dump(gz, progress);
      rec.entries = stats.tables;
      break;
    }
    case Element::files: {
      const std::string& files = env.require_files();
      fs::path dir = anchored(root, files);
      std::error_code ec;
      if (!fs::is_directory(dir, ec))
        fail(Exit::bad_input, describe("files directory", files, "does not exist (env " + env.name + ")"),
             "create it, or set 'files' of [env." + env.name + "] in .pantheon.toml");
      std::vector<fs::path> skip;
      if (env.database && env.database->kind == DbKind::sqlite) {
        fs::path dbfile = anchored(root, env.database->path);
        for (const char* suffix : {"", "-wal", "-shm", "-journal"}) skip.push_back(dbfile.string() + suffix);
        // A SQLite load killed before its rename leaves <name>.gp-restore-* beside
        // the file (removed by the next load): never part of the files.
        std::error_code lec;
        const std::string stale = dbfile.filename().string() + ".gp-restore-";
        for (auto it = fs::directory_iterator(dbfile.parent_path(), lec); !lec && it != fs::directory_iterator();
             it.increment(lec))
          if (it->path().filename().string().rfind(stale, 0) == 0) skip.push_back(it->path());
      }
      auto stats = write_files_tar(dir, "files_" + env.name, config.files_excludes(env), skip, gz, progress);
      rec.entries = stats.entries;
      break;
    }
  }
  gz.close();
  GP_FAULT_POINT("backup.archive.written");
  file.publish(/*replace=*/false);
  GP_FAULT_POINT("backup.archive.published");
  rec.size = sink.bytes();
  rec.sha256 = sink.sha256();
  return rec;
}

// The names a backup at `stamp` takes: its tag and its archives' file names.
std::vector<std::string> backup_names(const std::string& site, const std::string& env, const std::string& stamp,
                                      const std::vector<Element>& elements) {
  std::vector<std::string> out{backup_tag_name(env, stamp)};
  for (auto e : elements) out.push_back(archive_file_name(site, env, stamp, e));
  return out;
}

}  // namespace

std::vector<std::string> names_of(const std::vector<Backup>& backups) {
  std::vector<std::string> out;
  for (auto& b : backups) {
    out.push_back(b.tag);
    for (auto& a : b.manifest.archives) out.push_back(a.file);
  }
  return out;
}

size_t recover_interrupted_backups(const Repo& repo, const Store& store, const FileLock& lock) {
  size_t removed = 0;
  std::error_code ec;
  for (auto it = fs::directory_iterator(store.pending_dir(), ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    std::string text;
    try {
      text = read_text_file(it->path(), Exit::internal);
    } catch (const Error&) {
      continue;
    }
    std::vector<std::string> lines;
    for (size_t pos = 0; pos < text.size();) {
      size_t nl = text.find('\n', pos);
      if (nl == std::string::npos) nl = text.size();
      if (nl > pos) lines.push_back(text.substr(pos, nl - pos));
      pos = nl + 1;
    }
    // Only a journal whose tag was never written leaves orphans behind.
    if (!lines.empty() && lines[0].rfind(kBackupTagPrefix, 0) == 0 && !repo.tag(lines[0])) {
      store.record_names(lock, lines);  // create_backup did; a journal of an older version had not
      for (size_t i = 1; i < lines.size(); ++i) {
        const std::string& name = lines[i];
        if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") continue;
        std::error_code rm;
        if (fs::remove(store.archive_path(name), rm)) ++removed;
      }
    }
    std::error_code rm;
    fs::remove(it->path(), rm);
  }
  return removed;
}

TimePoint free_backup_time(const Repo& repo, const Store& store, const FileLock& lock, const std::string& site,
                           const std::string& env, TimePoint wanted) {
  static const std::vector<Element> kAll{Element::code, Element::database, Element::files};
  const auto used = store.used_names(lock);
  auto taken = [&](const std::string& stamp) {
    std::error_code ec;
    for (auto& n : backup_names(site, env, stamp, kAll))
      if (used.count(n) || (n.rfind(kBackupTagPrefix, 0) == 0 ? repo.tag(n).has_value()
                                                               : fs::exists(store.archive_path(n), ec)))
        return true;
    return false;
  };
  while (taken(pantheon_stamp(wanted))) wanted += std::chrono::seconds(1);
  return wanted;
}

Backup create_backup(Repo& repo, const Config& config, const Store& store, const FileLock& lock,
                     const BackupRequest& req, Progress& progress) {
  const EnvConfig& env = config.env(req.env);
  const std::vector<Element> wanted = req.elements.empty() ? env_elements(env) : req.elements;
  for (auto e : wanted) require_element(env, e);
  recover_interrupted_backups(repo, store, lock);
  std::string deploy_tag;
  git_oid commit = req.commit ? *req.commit : backup_commit(repo, env, &deploy_tag);

  // Archive names have one-second resolution (Pantheon's scheme) and are never
  // reused (see free_backup_time).
  TimePoint created = free_backup_time(repo, store, lock, config.site, env.name, current_time());
  std::string stamp = pantheon_stamp(created);

  Manifest m;
  m.site = config.site;
  m.env = env.name;
  m.created = created;
  m.initiator = req.initiator;
  m.deploy_tag = deploy_tag;
  m.schedule = req.schedule;
  m.before_deploy = req.before_deploy;
  m.commit = oid_hex(commit);
  m.version = kVersion;
  auto keep = req.keep_for.value_or(req.initiator == "safety" ? config.backup.safety_keep_for : config.backup.keep_for);
  m.expires = created + std::chrono::duration_cast<std::chrono::microseconds>(keep);
  for (auto e : {Element::code, Element::database, Element::files})
    if (std::find(wanted.begin(), wanted.end(), e) != wanted.end()) m.elements.push_back(e);

  if (std::find(m.elements.begin(), m.elements.end(), Element::code) != m.elements.end()) {
    auto head = repo.resolve_commit("HEAD");
    if (head && git_oid_equal(&*head, &commit) && repo.is_dirty())
      progress.warn("the work tree has uncommitted changes: the code archive holds commit " + m.commit.substr(0, 12) +
                    " only");
    m.dirty = head && git_oid_equal(&*head, &commit) && repo.is_dirty();
  }

  // A journal names this backup's tag and archives before any archive becomes
  // visible; a SIGKILL between publishing and tagging leaves complete archives that
  // no tag references, which the next writer removes (recover_interrupted_backups).
  // The names are recorded as used first: whatever happens next, no other backup
  // will have them.
  std::string tag = backup_tag_name(env.name, stamp);
  const auto names = backup_names(config.site, env.name, stamp, m.elements);
  store.record_names(lock, names);
  std::string journal_text;
  for (auto& n : names) journal_text += n + "\n";
  fs::path journal = store.pending_dir() / (env.name + "_" + stamp);
  PublishedArchives published(journal);
  write_file_atomic(journal, journal_text, 0600);
  GP_FAULT_POINT("backup.journal.after");

  for (auto e : m.elements) {
    std::string name = archive_file_name(config.site, env.name, stamp, e);
    m.archives.push_back(write_element(repo, config, env, store, e, name, commit, progress));
    published.add(store.archive_path(name));
  }
  check_interrupted();
  std::string message = render_manifest(m);
  parse_manifest(message, tag);  // never write a manifest we could not read back
  GP_FAULT_POINT("backup.tag.before");
  repo.create_annotated_tag(tag, commit, message);
  GP_FAULT_POINT("backup.tag.after");
  published.commit();
  std::error_code ec;
  fs::remove(journal, ec);
  return {tag, std::move(m)};
}

std::vector<Backup> list_backups(const Repo& repo, Progress& progress) {
  return backups_of(repo.tags(kBackupTagPrefix), progress, "ignored");
}

std::vector<Backup> backups_of(const std::vector<TagInfo>& tags, Progress& progress, const std::string& fate,
                               size_t* unreadable) {
  std::vector<Backup> out;
  for (auto& t : tags) {
    try {
      if (!t.annotated) throw Error(Exit::integrity, "tag '" + t.name + "' is in the backup namespace but is not annotated");
      out.push_back({t.name, parse_manifest(t.message, t.name)});
    } catch (const Error& e) {
      if (unreadable) ++*unreadable;
      progress.warn(std::string(e.what()) + ": " + fate);
    }
  }
  std::sort(out.begin(), out.end(), [](const Backup& a, const Backup& b) {
    if (a.manifest.created != b.manifest.created) return a.manifest.created > b.manifest.created;
    return a.tag > b.tag;
  });
  return out;
}

bool user_backup(const Manifest& m) { return m.initiator != "safety" && m.initiator != "clone"; }

std::optional<Backup> latest_backup(const Repo& repo, const std::string& env, std::optional<Element> element,
                                    Progress& progress) {
  for (auto& b : list_backups(repo, progress))
    if (b.manifest.env == env && user_backup(b.manifest) && (!element || b.manifest.archive(*element))) return b;
  return std::nullopt;
}

Backup resolve_backup(const Repo& repo, const std::string& spec, Progress& progress, const Config* config) {
  std::string full = spec;
  if (full.rfind("refs/tags/", 0) == 0) full = full.substr(10);
  if (full.rfind(kBackupTagPrefix, 0) != 0 && spec.find('@') == std::string::npos) full = kBackupTagPrefix + full;
  if (spec.find('@') == std::string::npos) {
    auto t = repo.tag(full);
    if (!t) fail(Exit::bad_input, describe("no such backup", spec), "list backups with 'git pantheon backup list'");
    if (!t->annotated) fail(Exit::bad_input, describe("not a backup tag", spec));
    return {t->name, parse_manifest(t->message, t->name)};
  }
  std::string env = spec.substr(0, spec.find('@'));
  std::string when = spec.substr(spec.find('@') + 1);
  std::vector<Backup> matches;
  for (auto& b : list_backups(repo, progress)) {
    if (b.manifest.env != env || !user_backup(b.manifest)) continue;
    std::string stamp = pantheon_stamp(b.manifest.created);
    if (when == "latest" || stamp == when || stamp.rfind(when + "T", 0) == 0) matches.push_back(b);
    if (when == "latest" && !matches.empty()) break;
  }
  if (matches.empty()) {
    // A hint that works from here: backing up an environment .pantheon.toml does
    // not have fails the same way.
    std::string hint = "use <env>@latest, <env>@YYYY-MM-DD or <env>@YYYY-MM-DDTHH-MM-SS";
    if (config && !config->envs.count(env)) {
      std::string have;
      for (auto& [name, e] : config->envs) have += (have.empty() ? "" : ", ") + name;
      hint = "there is no environment '" + env + "' in .pantheon.toml (it has " + have + "): add [env." + env +
             "] to back it up, or run 'git pantheon fetch' for the backups a remote holds";
    } else if (when == "latest") {
      hint = "make one with 'git pantheon backup create --env " + env + "'";
    }
    fail(Exit::bad_input, describe("no backup matches", spec), hint);
  }
  if (matches.size() > 1) {
    std::string list;
    for (size_t i = 0; i < matches.size() && i < 5; ++i) list += (i ? ", " : "") + matches[i].tag;
    fail(Exit::bad_input, describe("ambiguous backup", spec, std::to_string(matches.size()) + " backups match"),
         "name one of: " + list);
  }
  return matches.front();
}

namespace {

// Streams `path` through `sink`, checking its size and sha256 against `record`.
void check_fd_size(int fd, const fs::path& path, const ArchiveRecord& record) {
  struct stat st;
  if (::fstat(fd, &st) != 0) fail_errno(Exit::bad_input, "cannot stat", path.string());
  if (static_cast<uint64_t>(st.st_size) != record.size)
    fail(Exit::integrity, describe("archive", record.file,
                                   "size is " + std::to_string(st.st_size) + " bytes, the manifest says " +
                                       std::to_string(record.size) + (static_cast<uint64_t>(st.st_size) < record.size ? " (truncated)" : "")));
}

void check_size_and_hash(const fs::path& path, const ArchiveRecord& record, ByteSink* sink, Progress& progress) {
  Fd fd = open_file(path, O_RDONLY, 0, Exit::bad_input);
  check_fd_size(fd.get(), path, record);
  FdSource src(fd.get(), path.string());
  std::vector<char> buf(1 << 20);
  progress.start(record.file, record.size);
  for (;;) {
    size_t n = src.read(buf.data(), buf.size());
    if (n == 0) break;
    if (sink) sink->write(buf.data(), n);
    progress.update(src.bytes(), 0);
  }
  progress.finish();
  if (src.sha256() != record.sha256)
    fail(Exit::integrity, describe("archive", record.file, "sha256 does not match the manifest (corrupt)"));
}

class NullSink final : public ByteSink {
 public:
  void write(const char*, size_t) override {}
};

}  // namespace

fs::path ensure_in_store(const Store& store, const ArchiveRecord& record, const ArchiveFetcher* fetch) {
  fs::path path = store.archive_path(record.file);
  std::error_code ec;
  if (!fs::exists(path, ec) && !(fetch && *fetch && (*fetch)(record)))
    fail(Exit::bad_input, describe("archive", record.file, "is not in the local store"),
         "with a storage remote in .pantheon.toml ([storage.origin] url = the one the backups were pushed to), "
         "restore, backup get and backup verify fetch it on demand");
  return path;
}

void check_archive_size(const fs::path& path, const ArchiveRecord& record) {
  Fd fd = open_file(path, O_RDONLY, 0, Exit::bad_input);
  check_fd_size(fd.get(), path, record);
}

fs::path check_archive_hash(const Store& store, const ArchiveRecord& record, Progress& progress,
                            const ArchiveFetcher* fetch) {
  fs::path path = ensure_in_store(store, record, fetch);
  check_size_and_hash(path, record, nullptr, progress);
  return path;
}

void verify_archive(const Store& store, const ArchiveRecord& record, Progress& progress, const ArchiveFetcher* fetch) {
  fs::path path = check_archive_hash(store, record, progress, fetch);
  if (record.element == Element::database) {
    Fd fd = open_file(path, O_RDONLY, 0, Exit::bad_input);
    FdSource src(fd.get(), path.string());
    GzipReader gz(src, "cannot read archive '" + record.file + "'");
    std::vector<char> buf(1 << 20);
    while (gz.read(buf.data(), buf.size()) > 0) {
    }
  } else {
    // A files archive gets every check its restore would make (archive/reader.hpp's
    // rules), so that what verifies also restores.
    auto stats = record.element == Element::files ? check_files_archive(path, 1, progress) : check_archive(path, progress);
    if (record.entries && stats.entries != record.entries)
      fail(Exit::integrity, describe("archive", record.file,
                                     "holds " + std::to_string(stats.entries) + " entries, the manifest says " +
                                         std::to_string(record.entries)));
  }
}

void copy_archive_out(const Store& store, const ArchiveRecord& record, const fs::path& dest, bool force,
                      Progress& progress, const ArchiveFetcher* fetch) {
  fs::path src = ensure_in_store(store, record, fetch);
  std::error_code ec;
  if (!force && fs::exists(fs::symlink_status(dest, ec)))
    fail(Exit::bad_input, describe("refusing to overwrite", dest.string(), "file exists"), "use --force to replace it");
  AtomicFile out(dest, 0600);
  FdSink sink(out.fd(), dest.string());
  check_size_and_hash(src, record, &sink, progress);
  out.publish(force);
}

std::vector<PruneDecision> plan_prune(const Repo& repo, const std::vector<Backup>& all, const ProtectionMap& more,
                                      const PruneRequest& req) {
  bool deploy_rule = !req.retention || req.retention->protect_live_deploys;
  ProtectionMap prot = protections(repo, all, deploy_rule);
  for (auto& [tag, why] : more) prot.emplace(tag, why);
  static const RetentionPolicy kNone{};
  auto policy_for = [&](const std::string& env) -> const RetentionPolicy& {
    if (req.policy) return *req.policy;
    if (req.retention) return req.retention->for_env(env);
    return kNone;
  };
  std::vector<Backup> scope;
  for (auto& b : all)
    if (!req.env || b.manifest.env == *req.env) scope.push_back(b);
  return decide_prune(scope, prot, policy_for, req.now);
}

std::set<std::string> archives_kept(const std::vector<Backup>& all, const std::vector<Backup>& removed) {
  std::set<std::string> gone, kept;
  for (auto& b : removed) gone.insert(b.tag);
  for (auto& b : all)
    if (!gone.count(b.tag))
      for (auto& a : b.manifest.archives) kept.insert(a.file);
  return kept;
}

PruneResult prune_backups(Repo& repo, const Store& store, const FileLock& lock, const PruneRequest& req,
                          Progress& progress) {
  PruneResult r;
  if (!req.dry_run) recover_interrupted_backups(repo, store, lock);
  size_t unreadable = 0;  // their archives must not be taken for orphans
  std::vector<Backup> all = backups_of(repo.tags(kBackupTagPrefix), progress, "kept", &unreadable);
  r.decisions = plan_prune(repo, all, {}, req);
  for (auto& d : r.decisions)
    if (!d.keep) r.removed.push_back(d.backup);
  std::set<std::string> referenced = archives_kept(all, r.removed);
  std::error_code ec;
  if (unreadable == 0 && !req.env) {
    for (auto it = fs::directory_iterator(store.archives_dir(), ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
      std::string name = it->path().filename().string();
      bool of_removed = std::any_of(r.removed.begin(), r.removed.end(), [&](const Backup& b) {
        return std::any_of(b.manifest.archives.begin(), b.manifest.archives.end(), [&](auto& a) { return a.file == name; });
      });
      if (!referenced.count(name) && !of_removed) r.orphans.push_back(name);
    }
    std::sort(r.orphans.begin(), r.orphans.end());
  }
  if (req.dry_run) return r;
  auto gone = names_of(r.removed);
  gone.insert(gone.end(), r.orphans.begin(), r.orphans.end());
  store.record_names(lock, gone);  // before anything is removed: a removed name stays used
  for (auto& b : r.removed) {
    check_interrupted();
    repo.delete_tag(b.tag);  // the tag first: a tag must never outlive its archives
    for (auto& a : b.manifest.archives)
      if (!referenced.count(a.file)) fs::remove(store.archive_path(a.file), ec);
  }
  for (auto& name : r.orphans) fs::remove(store.archive_path(name), ec);
  if (!r.removed.empty() || !r.orphans.empty()) fsync_dir(store.archives_dir());
  return r;
}

PruneResult prune_backups(Repo& repo, const Store& store, const FileLock& lock, TimePoint now, bool dry_run,
                          std::optional<std::string> env, Progress& progress) {
  PruneRequest req;
  req.now = now;
  req.dry_run = dry_run;
  req.env = std::move(env);
  return prune_backups(repo, store, lock, req, progress);
}

std::vector<Backup> keep_newest_backups(Repo& repo, const Store& store, const FileLock& lock, const std::string& env,
                                        const std::string& initiator, size_t keep, Progress& progress) {
  std::vector<Backup> removed;
  std::set<std::string> referenced;  // archives of the backups that stay
  size_t seen = 0;
  auto all = list_backups(repo, progress);
  ProtectionMap prot = protections(repo, all, true);
  for (auto& b : all) {  // newest first
    if (b.manifest.env != env || b.manifest.initiator != initiator || prot.count(b.tag) || ++seen <= keep) {
      for (auto& a : b.manifest.archives) referenced.insert(a.file);
      continue;
    }
    removed.push_back(std::move(b));
  }
  store.record_names(lock, names_of(removed));
  for (auto& b : removed) {
    check_interrupted();
    repo.delete_tag(b.tag);  // the tag first: a tag must never outlive its archives
    std::error_code ec;
    for (auto& a : b.manifest.archives)
      if (!referenced.count(a.file)) fs::remove(store.archive_path(a.file), ec);
  }
  if (!removed.empty()) fsync_dir(store.archives_dir());
  return removed;
}

}  // namespace gp
