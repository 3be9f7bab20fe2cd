#include "remote/remote.hpp"

#include <git2.h>

#include <algorithm>
#include <system_error>

#include "backup/protect.hpp"
#include "util/error.hpp"
#include "util/git_handles.hpp"
#include "util/signals.hpp"
#include "util/fault.hpp"

namespace gp {

namespace {

struct CredentialState {
  int attempts = 0;
};

// Credentials for ssh/https remotes, best effort: the ssh agent, then libgit2's
// default (negotiate/NTLM) credentials. Local paths and file:// never ask.
int credentials_cb(git_credential** out, const char* /*url*/, const char* username_from_url, unsigned int allowed,
                   void* payload) {
  auto* st = static_cast<CredentialState*>(payload);
  if (++st->attempts > 3) return GIT_EUSER;  // the agent's keys were refused: do not loop
  if (allowed & GIT_CREDENTIAL_SSH_KEY)
    return git_credential_ssh_key_from_agent(out, username_from_url ? username_from_url : "git");
  if (allowed & GIT_CREDENTIAL_DEFAULT) return git_credential_default_new(out);
  if (allowed & GIT_CREDENTIAL_USERNAME) return git_credential_username_new(out, username_from_url ? username_from_url : "git");
  return GIT_PASSTHROUGH;
}

struct PushState {
  CredentialState cred;
  std::vector<std::string> rejected;
};

int push_update_cb(const char* refname, const char* status, void* data) {
  auto* st = static_cast<PushState*>(data);
  if (status) st->rejected.push_back(std::string(refname) + " (" + status + ")");
  return 0;
}

int push_cred_cb(git_credential** out, const char* url, const char* user, unsigned int allowed, void* payload) {
  return credentials_cb(out, url, user, allowed, &static_cast<PushState*>(payload)->cred);
}

GitRemote lookup_remote(Repo& repo, const std::string& remote) {
  git_remote* r = nullptr;
  int rc = git_remote_lookup(&r, repo.get(), remote.c_str());
  if (rc == GIT_ENOTFOUND)
    fail(Exit::config, describe("no git remote named", remote), "add it with 'git remote add " + remote + " <url>'");
  git_check(rc, describe("cannot read git remote", remote), Exit::config);
  return GitRemote(r);
}

std::unique_ptr<Storage> open_for(const Config& config, const std::string& remote, const StorageOptions& options = {}) {
  return open_storage(storage_config(config, remote), options);
}

bool stored_matches(const std::optional<ObjectInfo>& info, const ArchiveRecord& a) {
  return info && info->size == a.size && info->sha256 && *info->sha256 == a.sha256;
}

// Checks, after an upload, that the storage holds what the manifest records (size,
// and the sha256 the storage keeps with the object when it keeps one). A copy that
// differs is removed again (best effort), and Exit::integrity is thrown: a pushed
// tag must never point at a stored archive that does not match it.
void verify_stored(Storage& storage, const std::string& key, const ArchiveRecord& a) {
  auto info = storage.stat(key);
  std::string cause;
  if (!info)
    cause = "it is missing from " + storage.url() + " after the upload";
  else if (info->size != a.size)
    cause = "the stored copy has " + std::to_string(info->size) + " bytes, the manifest " + std::to_string(a.size);
  else if (info->sha256 && *info->sha256 != a.sha256)
    cause = "the stored copy's sha256 is " + *info->sha256 + ", the manifest's " + a.sha256;
  if (cause.empty()) return;
  try {
    if (info) storage.remove(key);
  } catch (const Error&) {
  }
  fail(Exit::integrity, "verification after upload failed: " + cause, "check the storage service, then push again");
}

// Re-throws a storage failure with the archive named first.
[[noreturn]] void rethrow_for(const Error& e, const std::string& what, const ArchiveRecord& a) {
  throw Error(e.code(), describe(what, a.file, e.what()), e.hint());
}

// Moves a downloaded, verified archive from the store's tmp/ into archives/.
void publish_download(const fs::path& tmp, const fs::path& dest) {
  std::error_code ec;
  fs::rename(tmp, dest, ec);
  if (ec) {
    fs::remove(tmp, ec);
    fail(Exit::internal, describe("cannot move downloaded archive into", dest.string(), ec.message()));
  }
}

// Where an archive is downloaded before it is renamed into archives/: under the
// store's partial/, named by content, so that a download a kill interrupted resumes
// in the next run (tmp/ is emptied whenever the lock is taken). A name that is not
// a sha256 (a manifest is checked, but be safe) falls back to tmp/.
fs::path download_path(const Store& store, const ArchiveRecord& a) {
  if (a.sha256.size() == 64 && std::all_of(a.sha256.begin(), a.sha256.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
      })) {
    make_dirs(store.partial_dir(), 0700);
    return store.partial_path(a.sha256, a.size);
  }
  return store.tmp_dir() / a.file;
}

bool is_hex(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}

}  // namespace

const StorageConfig& storage_config(const Config& config, const std::string& remote) {
  auto it = config.storage.find(remote);
  if (it == config.storage.end())
    fail(Exit::config, describe("no storage configured for git remote", remote),
         "add [storage." + remote + "] with url = \"s3://bucket/prefix\" (or file:///path) to " + kConfigFileName);
  return it->second;
}

std::optional<std::string> default_storage_remote(const Config& config, const std::optional<std::string>& remote) {
  if (remote) {
    storage_config(config, *remote);
    return remote;
  }
  if (config.storage.count("origin")) return std::string("origin");
  if (config.storage.empty()) return std::nullopt;
  return config.storage.begin()->first;
}

namespace {

std::string short_sha(const std::string& sha) { return sha.substr(0, 12); }

// Whether the storage's object `key` (described by `info`, which exists) holds the
// bytes `a` records. Without a stored sha256 an object of the right size is
// downloaded into the store's tmp/ and checked (get verifies size and sha256).
// Returns the cause when it does not, empty when it does.
std::string stored_difference(Storage& storage, const Store& store, const std::string& key, const ObjectInfo& info,
                              const ArchiveRecord& a, Progress& progress) {
  auto said = [&](const std::string& theirs) {
    return storage.url() + " already holds '" + a.file + "' with other content (" + theirs + "; the manifest says " +
           std::to_string(a.size) + " bytes, sha256 " + short_sha(a.sha256) + ")";
  };
  if (info.size != a.size) return said(std::to_string(info.size) + " bytes");
  if (info.sha256) return *info.sha256 == a.sha256 ? "" : said("sha256 " + short_sha(*info.sha256));
  store.create();
  TempDir scratch(store.tmp_dir(), "stored-");
  try {
    storage.get(key, scratch.path() / a.file, a.size, a.sha256, progress);
  } catch (const Error& e) {
    if (e.code() != Exit::integrity) throw;
    return said(std::to_string(info.size) + " bytes of another sha256");
  }
  return "";
}

}  // namespace

UploadResult upload_archives(Storage& storage, const Store& store, const std::vector<Backup>& backups,
                             Progress& progress) {
  // First every archive is looked up, and nothing is sent while any name the
  // storage holds has other bytes than ours (a backup name reused elsewhere, or a
  // damaged copy): the storage's bytes may be what some pushed tag records.
  UploadResult result;
  std::vector<const ArchiveRecord*> to_send;
  std::vector<std::string> seen;
  for (auto& b : backups) {
    for (auto& a : b.manifest.archives) {
      if (std::find(seen.begin(), seen.end(), a.file) != seen.end()) continue;
      seen.push_back(a.file);
      check_interrupted();
      std::string key = archive_key(a);
      std::string differs;
      std::optional<ObjectInfo> info;
      try {
        info = storage.stat(key);
        if (info) differs = stored_difference(storage, store, key, *info, a, progress);
      } catch (const Error& e) {
        rethrow_for(e, "cannot upload archive", a);
      }
      if (!differs.empty())
        fail(Exit::bad_input, describe("refusing to upload archive", a.file, differs),
             "nothing was uploaded or pushed; the stored copy is another backup's or damaged: compare it, then remove "
             "it from the storage yourself if it is not needed");
      if (info) {
        progress.step("already in " + storage.url() + ": " + a.file);
        result.skipped.push_back(a.file);
        continue;
      }
      std::error_code ec;
      if (!fs::exists(store.archive_path(a.file), ec))
        fail(Exit::bad_input, describe("cannot upload archive", a.file, "it is neither in the local store nor in " + storage.url()),
             "fetch it from another remote with 'git pantheon fetch --archives'");
      to_send.push_back(&a);
    }
  }
  for (const ArchiveRecord* ap : to_send) {
    const ArchiveRecord& a = *ap;
    check_interrupted();
    std::string key = archive_key(a);
    progress.step("uploading " + a.file + " (" + human_size(a.size) + ") to " + storage.url());
    GP_FAULT_POINT("push.upload.before");
    try {
      storage.put(key, store.archive_path(a.file), a.sha256, progress);
      verify_stored(storage, key, a);
    } catch (const Error& e) {
      rethrow_for(e, "cannot upload archive", a);
    }
    GP_FAULT_POINT("push.upload.after");
    result.uploaded.push_back(a.file);
  }
  return result;
}

void check_git_remote(Repo& repo, const std::string& remote) { lookup_remote(repo, remote); }

namespace {

// Refspecs as libgit2 takes them: a git_strarray over strings this object owns.
class Refspecs {
 public:
  explicit Refspecs(std::vector<std::string> specs) : specs_(std::move(specs)) {
    for (auto& s : specs_) ptrs_.push_back(s.data());
    array_ = {ptrs_.data(), ptrs_.size()};
  }
  Refspecs(const Refspecs&) = delete;
  Refspecs& operator=(const Refspecs&) = delete;
  const git_strarray* get() const noexcept { return &array_; }

 private:
  std::vector<std::string> specs_;
  std::vector<char*> ptrs_;
  git_strarray array_{};
};

// Pushes `specs` ("src:dst", ":dst" deletes) to the git remote in one push.
void push_refspecs(Repo& repo, const std::string& remote, std::vector<std::string> specs, const std::string& what) {
  GitRemote git_remote = lookup_remote(repo, remote);
  Refspecs refspecs(std::move(specs));
  PushState st;
  git_push_options opts = GIT_PUSH_OPTIONS_INIT;
  opts.callbacks.credentials = push_cred_cb;
  opts.callbacks.push_update_reference = push_update_cb;
  opts.callbacks.payload = &st;
  git_check(git_remote_push(git_remote.get(), refspecs.get(), &opts), describe(what, remote), Exit::remote);
  if (!st.rejected.empty()) {
    std::string list;
    for (auto& r : st.rejected) list += (list.empty() ? "" : ", ") + r;
    fail(Exit::remote, describe("git remote", remote, "rejected " + list));
  }
}

// Fetches `specs` from the git remote (no tags followed).
void fetch_refspecs(Repo& repo, const std::string& remote, std::vector<std::string> specs, const std::string& what) {
  GitRemote git_remote = lookup_remote(repo, remote);
  Refspecs refspecs(std::move(specs));
  CredentialState cred;
  git_fetch_options opts = GIT_FETCH_OPTIONS_INIT;
  opts.callbacks.credentials = credentials_cb;
  opts.callbacks.payload = &cred;
  opts.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
  git_check(git_remote_fetch(git_remote.get(), refspecs.get(), &opts, "pantheon: fetch"), describe(what, remote),
            Exit::remote);
}

}  // namespace

void push_tags(Repo& repo, const std::string& remote, const std::vector<std::string>& tags) {
  if (tags.empty()) return;
  std::vector<std::string> specs;
  for (auto& t : tags) specs.push_back("refs/tags/" + t + ":refs/tags/" + t);
  push_refspecs(repo, remote, std::move(specs), "cannot push tags to");
}

PushResult push_backups(Repo& repo, const Config& config, const Store& store, const std::string& remote,
                        const std::vector<Backup>& backups, Progress& progress, const StorageOptions& options) {
  const StorageConfig& sc = storage_config(config, remote);
  GitRemote git_remote = lookup_remote(repo, remote);  // an unknown remote fails before any upload
  PushResult result;
  if (backups.empty()) return result;
  auto storage = open_storage(sc, options);
  result.archives = upload_archives(*storage, store, backups, progress);

  std::vector<std::string> tags;
  for (auto& b : backups) tags.push_back(b.tag);
  progress.step("pushing " + std::to_string(tags.size()) + " backup tags to " + remote);
  // A protection travels with its backup (backup/protect.hpp).
  for (auto& b : backups)
    if (repo.tag(protect_tag_name(b.tag))) tags.push_back(protect_tag_name(b.tag));
  GP_FAULT_POINT("push.tags.before");
  push_tags(repo, remote, tags);
  GP_FAULT_POINT("push.tags.after");
  result.tags_pushed = std::move(tags);
  return result;
}

FetchResult fetch_backups(Repo& repo, const Config& config, const Store& store, const FileLock& lock,
                          const std::string& remote, bool archives, Progress& progress) {
  if (archives) storage_config(config, remote);  // say so before fetching anything
  progress.step("fetching backup tags from " + remote);
  fetch_refspecs(repo, remote,
                 {std::string("refs/tags/") + kBackupTagPrefix + "*:refs/tags/" + kBackupTagPrefix + "*",
                  std::string("refs/tags/") + kProtectTagPrefix + "*:refs/tags/" + kProtectTagPrefix + "*"},
                 "cannot fetch backup tags from");
  FetchResult result;
  auto backups = list_backups(repo, progress);
  for (auto& b : backups) result.tags.push_back(b.tag);
  if (!archives) return result;
  auto storage = open_for(config, remote);
  store.create();
  store.clean_partials(kPartialMaxAge);
  std::vector<std::string> seen;
  for (auto& b : backups) {
    for (auto& a : b.manifest.archives) {
      if (std::find(seen.begin(), seen.end(), a.file) != seen.end()) continue;
      seen.push_back(a.file);
      std::error_code ec;
      if (fs::exists(store.archive_path(a.file), ec)) continue;
      check_interrupted();
      fs::path tmp = download_path(store, a);
      progress.step("downloading " + a.file + " (" + human_size(a.size) + ") from " + storage->url());
      try {
        storage->get(archive_key(a), tmp, a.size, a.sha256, progress);
      } catch (const Error& e) {
        rethrow_for(e, "cannot download archive", a);
      }
      publish_download(tmp, store.archive_path(a.file));
      result.downloaded.push_back(a.file);
    }
  }
  (void)lock;
  return result;
}

RemotePruneResult prune_remote(Repo& repo, const Config& config, const Store& store, const FileLock& lock,
                               const std::string& remote, const PruneRequest& req, Progress& progress,
                               const StorageOptions& options) {
  const StorageConfig& sc = storage_config(config, remote);  // say so before fetching anything
  lookup_remote(repo, remote);
  // What the remote holds, read through refs of our own (never the local tags: a
  // backup pruned here may still be there, one made here may not be yet).
  const std::string ns = "refs/pantheon/remotes/" + remote + "/";
  struct DropRefs {
    Repo& repo;
    std::string ns;
    ~DropRefs() {
      try {
        repo.delete_refs_under(ns);
      } catch (...) {
      }
    }
  } drop{repo, ns};
  repo.delete_refs_under(ns);
  progress.step("reading the backups " + remote + " holds");
  fetch_refspecs(repo, remote,
                 {std::string("+refs/tags/") + kBackupTagPrefix + "*:" + ns + "backup/*",
                  std::string("+refs/tags/") + kProtectTagPrefix + "*:" + ns + "protected/*"},
                 "cannot fetch backup tags from");
  std::vector<TagInfo> tags = repo.refs_under(ns + "backup/");
  for (auto& t : tags) t.name = kBackupTagPrefix + t.name;
  RemotePruneResult r;
  std::vector<Backup> all = backups_of(tags, progress, "kept on " + remote, &r.unreadable);
  ProtectionMap theirs;
  for (auto& t : repo.refs_under(ns + "protected/")) {
    std::string why = "protected on " + remote;
    if (!t.tagger.empty()) why += " by " + t.tagger;
    theirs.emplace(kBackupTagPrefix + t.name, why);
  }
  r.decisions = plan_prune(repo, all, theirs, req);
  for (auto& d : r.decisions)
    if (!d.keep) r.removed.push_back(d.backup);
  std::set<std::string> kept = archives_kept(all, r.removed);
  std::vector<std::string> objects;
  for (auto& b : r.removed)
    for (auto& a : b.manifest.archives)
      if (!kept.count(a.file) && std::find(objects.begin(), objects.end(), a.file) == objects.end())
        objects.push_back(a.file);
  if (req.dry_run || r.removed.empty()) {
    r.objects = std::move(objects);
    return r;
  }
  store.record_names(lock, names_of(r.removed));
  std::vector<std::string> deletions;
  for (auto& b : r.removed) deletions.push_back(":refs/tags/" + b.tag);
  progress.step("deleting " + std::to_string(deletions.size()) + " backup tags on " + remote);
  GP_FAULT_POINT("prune.remote.tags.before");
  push_refspecs(repo, remote, std::move(deletions), "cannot delete backup tags on");
  GP_FAULT_POINT("prune.remote.tags.after");
  // Unreadable remote tags may reference any archive: none is removed then.
  if (r.unreadable) {
    progress.warn(std::to_string(r.unreadable) + " backup tags on " + remote +
                  " cannot be read: no archive was removed from its storage");
    return r;
  }
  auto storage = open_storage(sc, options);
  for (auto& name : objects) {
    check_interrupted();
    try {
      storage->remove(name);
    } catch (const Error& e) {
      std::string left;
      for (auto it = std::find(objects.begin(), objects.end(), name); it != objects.end(); ++it)
        left += (left.empty() ? "" : ", ") + *it;
      throw Error(e.code(), describe("cannot remove archive", name, e.what()),
                  "the backup tags are gone from " + remote + "; these archives stay in " + storage->url() +
                      " unreferenced: " + left);
    }
    r.objects.push_back(name);
  }
  return r;
}

bool ensure_local(const Store& store, const FileLock& /*lock*/, const Config& config, const ArchiveRecord& record,
                  const std::optional<std::string>& remote, Progress& progress) {
  std::error_code ec;
  if (fs::exists(store.archive_path(record.file), ec)) return false;
  auto name = default_storage_remote(config, remote);
  if (!name) return false;
  auto storage = open_for(config, *name);
  store.create();
  store.clean_partials(kPartialMaxAge);
  fs::path tmp = download_path(store, record);
  progress.step("downloading " + record.file + " (" + human_size(record.size) + ") from " + storage->url());
  try {
    storage->get(archive_key(record), tmp, record.size, record.sha256, progress);
  } catch (const Error& e) {
    if (e.code() == Exit::remote || e.code() == Exit::integrity) rethrow_for(e, "cannot download archive", record);
    throw;
  }
  publish_download(tmp, store.archive_path(record.file));
  return true;
}

std::string presign_archive(const Config& config, const std::string& remote, const ArchiveRecord& record,
                            std::chrono::seconds expires) {
  auto storage = open_for(config, remote);
  std::string key = archive_key(record);
  if (storage->url().rfind("s3://", 0) != 0)
    fail(Exit::bad_input, describe("cannot make a download URL for", storage->url(), "only s3:// storage can presign URLs"),
         "copy the archive out with 'git pantheon backup get --file " + record.file + "' instead");
  auto info = storage->stat(key);
  if (!stored_matches(info, record))
    fail(Exit::bad_input, describe("archive", record.file, "is not in " + storage->url()),
         "upload it with 'git pantheon push " + remote + "'");
  return storage->presign_get(key, expires);
}

// ---- pre-push ---------------------------------------------------------------

bool PushUpdate::deletion() const {
  return !local_oid.empty() && std::all_of(local_oid.begin(), local_oid.end(), [](char c) { return c == '0'; });
}

std::vector<PushUpdate> parse_pre_push(std::string_view input) {
  std::vector<PushUpdate> out;
  size_t lineno = 0;
  while (!input.empty()) {
    size_t nl = input.find('\n');
    std::string_view line = input.substr(0, nl);
    input = nl == std::string_view::npos ? std::string_view{} : input.substr(nl + 1);
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    auto bad = [&](const std::string& why) {
      fail(Exit::bad_input, "malformed pre-push input line " + std::to_string(lineno) + ": " + why);
    };
    std::vector<std::string> f;
    size_t pos = 0;
    while (true) {
      size_t sp = line.find(' ', pos);
      f.emplace_back(line.substr(pos, sp == std::string_view::npos ? std::string_view::npos : sp - pos));
      if (sp == std::string_view::npos) break;
      pos = sp + 1;
    }
    for (auto& x : f)
      if (x.empty()) bad("empty field (fields are separated by one space)");
    if (f.size() != 4) bad("expected 4 fields '<local ref> <local oid> <remote ref> <remote oid>', got " + std::to_string(f.size()));
    for (int i : {1, 3})
      if (!is_hex(f[i]) || (f[i].size() != 40 && f[i].size() != 64)) bad("'" + f[i] + "' is not an object id");
    if (f[2].rfind("refs/", 0) != 0) bad("remote ref '" + f[2] + "' does not start with refs/");
    out.push_back(PushUpdate{f[0], f[1], f[2], f[3]});
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> pushed_backup_tags(const std::vector<PushUpdate>& updates) {
  const std::string prefix = std::string("refs/tags/") + kBackupTagPrefix;
  std::vector<std::pair<std::string, std::string>> out;
  for (auto& u : updates)
    if (!u.deletion() && u.remote_ref.rfind(prefix, 0) == 0) out.emplace_back(u.remote_ref.substr(10), u.local_oid);
  return out;
}

UploadResult pre_push(Repo& repo, const std::string& remote, const std::vector<PushUpdate>& updates,
                      Progress& progress) {
  auto tags = pushed_backup_tags(updates);
  if (tags.empty()) return {};
  std::vector<Backup> backups;
  for (auto& [name, oid_hex_str] : tags) {
    git_oid oid;
    if (git_oid_fromstr(&oid, oid_hex_str.c_str()) < 0)
      fail(Exit::bad_input, describe("pushed tag", name, "has an invalid object id"));
    git_tag* t = nullptr;
    if (git_tag_lookup(&t, repo.get(), &oid) < 0)
      fail(Exit::bad_input, describe("pushed backup tag", name, "is not an annotated tag in this repository"));
    GitTag tag(t);
    const char* msg = git_tag_message(t);
    backups.push_back(Backup{name, parse_manifest(msg ? msg : "", name)});
  }
  fs::path root = repo.is_bare() ? repo.common_dir() : repo.workdir();
  Config config = load_config(root);
  auto storage = open_for(config, remote);
  Store store(repo);
  return upload_archives(*storage, store, backups, progress);
}

}  // namespace gp
