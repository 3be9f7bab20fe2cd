#include "import/squash.hpp"

#include <algorithm>
#include <set>
#include <vector>

#include "import/paths.hpp"
#include "util/sha256.hpp"
#include "util/signals.hpp"

namespace gp {

namespace {

constexpr size_t kChunk = 64 * 1024;

struct RawEntry {
  std::vector<std::string> parts;
  std::string name;  // as written in the archive, for messages
  TreeLeaf leaf;
  std::string symlink_target;       // for symlinks
  std::optional<std::string> link;  // hard link: the target's joined raw path
  std::string link_name;
};

std::string join(const std::vector<std::string>& parts, size_t from = 0) {
  std::string s;
  for (size_t i = from; i < parts.size(); ++i) {
    if (!s.empty()) s += '/';
    s += parts[i];
  }
  return s;
}

[[noreturn]] void refuse(const fs::path& archive, const std::string& entry, const std::string& why) {
  throw Error(Exit::bad_input, "refusing archive '" + archive.filename().string() + "': entry '" + entry + "' " + why);
}

const char* entry_name(archive_entry* e) {
  const char* n = archive_entry_pathname_utf8(e);
  return n ? n : archive_entry_pathname(e);
}

// Streams the current entry's data into a blob.
git_oid stream_blob(git_repository* repo, git_odb* odb, archive* a, archive_entry* e, const std::string& name,
                    const fs::path& path, uint64_t& bytes, std::vector<char>& buf) {
  git_oid oid;
  if (archive_entry_size_is_set(e)) {
    auto size = archive_entry_size(e);
    if (size < 0) refuse(path, name, "has a negative size");
    git_odb_stream* st = nullptr;
    git_check(git_odb_open_wstream(&st, odb, static_cast<git_object_size_t>(size), GIT_OBJECT_BLOB),
              "cannot write a blob for '" + name + "'");
    GitOdbStream stream(st);
    la_int64_t total = 0;
    for (;;) {
      la_ssize_t n = archive_read_data(a, buf.data(), buf.size());
      // Any negative value is an error, ARCHIVE_WARN (-20) included: it is not a
      // length (found by fuzzing: a zip entry whose data ends early gave -20,
      // which was written as 2^64-20 bytes).
      if (n < 0)
        archive_check(a, ARCHIVE_FAILED, "cannot read '" + name + "' in '" + path.filename().string() + "'",
                      Exit::integrity);
      if (n == 0) break;
      total += n;
      if (total > size) refuse(path, name, "holds more data than its header says");
      git_check(git_odb_stream_write(st, buf.data(), static_cast<size_t>(n)), "cannot write a blob for '" + name + "'");
      bytes += static_cast<uint64_t>(n);
      check_interrupted();
    }
    if (total != size)
      throw Error(Exit::integrity,
                  "cannot read archive '" + path.filename().string() + "': entry '" + name + "' is truncated");
    git_check(git_odb_stream_finalize_write(&oid, st), "cannot write a blob for '" + name + "'");
    return oid;
  }
  // Size unknown (some zip entries): libgit2 buffers to a temporary file in .git.
  git_writestream* ws = nullptr;
  git_check(git_blob_create_from_stream(&ws, repo, nullptr), "cannot write a blob for '" + name + "'");
  for (;;) {
    la_ssize_t n = archive_read_data(a, buf.data(), buf.size());
    if (n < 0) {  // ARCHIVE_WARN too (see above)
      ws->free(ws);
      archive_check(a, ARCHIVE_FAILED, "cannot read '" + name + "' in '" + path.filename().string() + "'",
                    Exit::integrity);
    }
    if (n == 0) break;
    if (ws->write(ws, buf.data(), static_cast<size_t>(n)) < 0) {
      ws->free(ws);
      git_check(-1, "cannot write a blob for '" + name + "'");
    }
    bytes += static_cast<uint64_t>(n);
    check_interrupted();
  }
  git_check(git_blob_create_from_stream_commit(&oid, ws), "cannot write a blob for '" + name + "'");
  return oid;
}

std::string read_small_blob(git_repository* repo, const git_oid& oid) {
  git_blob* b = nullptr;
  git_check(git_blob_lookup(&b, repo, &oid), "cannot read blob " + oid_hex(oid));
  GitBlob blob(b);
  // .gitignore files are small; a pathological one is capped rather than read whole.
  auto size = std::min<git_object_size_t>(git_blob_rawsize(b), 1 << 20);
  return std::string(static_cast<const char*>(git_blob_rawcontent(b)), static_cast<size_t>(size));
}

}  // namespace

ArchiveContent read_archive_into_odb(git_repository* repo, const fs::path& path, std::optional<unsigned> strip,
                                     Progress& progress, const std::string& prefix,
                                     const std::vector<std::string>& exclude) {
  ArchiveContent out;
  std::vector<std::string> prefix_parts;
  if (!prefix.empty()) split_entry_name(prefix, prefix_parts);
  std::vector<std::vector<std::string>> excluded;
  for (auto& x : exclude) {
    std::vector<std::string> xp;
    split_entry_name(x, xp);
    if (!xp.empty()) excluded.push_back(std::move(xp));
  }
  auto under = [](const std::vector<std::string>& parts, const std::vector<std::string>& head) {
    return parts.size() >= head.size() && std::equal(head.begin(), head.end(), parts.begin());
  };
  // Removes the prefix; false when the entry is outside it or excluded.
  auto select = [&](std::vector<std::string>& parts) {
    if (!under(parts, prefix_parts)) return false;
    parts.erase(parts.begin(), parts.begin() + static_cast<std::ptrdiff_t>(prefix_parts.size()));
    for (auto& x : excluded)
      if (under(parts, x)) return false;
    return true;
  };
  ArchiveReader reader(archive_read_new());
  archive* a = reader.get();
  archive_read_support_filter_all(a);
  archive_read_support_format_all(a);
  archive_check(a, archive_read_open_filename(a, path.c_str(), 256 * 1024),
                "cannot open archive '" + path.string() + "'");
  git_odb* o = nullptr;
  git_check(git_repository_odb(&o, repo), "cannot open the object database");
  GitOdb odb(o);

  std::map<std::string, RawEntry> raw;  // joined raw path -> entry (a later duplicate wins, as tar does)
  std::vector<std::vector<std::string>> all_paths;
  std::vector<char> buf(kChunk);
  progress.start("reading " + path.filename().string(), 0);
  for (;;) {
    archive_entry* e = nullptr;
    int r = archive_read_next_header(a, &e);
    if (r == ARCHIVE_EOF) break;
    archive_check(a, r, "cannot read archive '" + path.filename().string() + "'", Exit::integrity);
    check_interrupted();
    ++out.entries;
    const char* n = entry_name(e);
    std::string name = n ? n : "";
    std::vector<std::string> parts;
    if (std::string why = split_entry_name(name, parts); !why.empty()) refuse(path, name, why);
    if (!select(parts)) continue;  // outside the prefix: its data is skipped unread
    if (parts.empty()) continue;  // "./"
    all_paths.push_back(parts);
    if (is_git_metadata(parts)) {
      ++out.git_metadata;
      continue;  // data is skipped by the next read_next_header
    }
    RawEntry re;
    re.parts = parts;
    re.name = name;
    if (const char* hl = archive_entry_hardlink_utf8(e) ? archive_entry_hardlink_utf8(e) : archive_entry_hardlink(e)) {
      std::vector<std::string> tparts;
      if (std::string why = split_entry_name(hl, tparts); !why.empty())
        refuse(path, name, "is a hard link whose target " + why);
      if (!select(tparts)) refuse(path, name, "is a hard link to '" + std::string(hl) + "', outside what is imported");
      re.link = join(tparts);
      re.link_name = hl;
      raw[join(parts)] = std::move(re);
      continue;
    }
    switch (archive_entry_filetype(e)) {
      case AE_IFDIR:
        continue;  // directories exist through their files
      case AE_IFREG: {
        re.leaf.oid = stream_blob(repo, odb.get(), a, e, name, path, out.bytes, buf);
        re.leaf.mode = (archive_entry_perm(e) & 0111) ? GIT_FILEMODE_BLOB_EXECUTABLE : GIT_FILEMODE_BLOB;
        break;
      }
      case AE_IFLNK: {
        const char* t = archive_entry_symlink_utf8(e) ? archive_entry_symlink_utf8(e) : archive_entry_symlink(e);
        re.symlink_target = t ? t : "";
        if (std::string why = check_symlink_target(parts, re.symlink_target); !why.empty()) refuse(path, name, why);
        git_check(git_blob_create_from_buffer(&re.leaf.oid, repo, re.symlink_target.data(), re.symlink_target.size()),
                  "cannot write a blob for '" + name + "'");
        re.leaf.mode = GIT_FILEMODE_LINK;
        break;
      }
      default:
        ++out.skipped_special;
        progress.warn("skipping '" + name + "' in '" + path.filename().string() +
                      "': not a file, directory or symlink");
        continue;
    }
    raw[join(parts)] = std::move(re);
    progress.update(out.bytes, out.entries);
  }
  progress.finish();

  out.stripped = strip ? *strip : detect_strip(all_paths);
  // Hard links become copies of their target's blob.
  for (auto& [key, re] : raw) {
    if (!re.link) continue;
    auto it = raw.find(*re.link);
    if (it == raw.end() || it->second.link || it->second.leaf.mode == GIT_FILEMODE_LINK)
      refuse(path, re.name, "is a hard link to '" + re.link_name + "', which is not a file in the archive");
    re.leaf = it->second.leaf;
  }
  std::set<std::string> gitignores;
  std::map<std::string, std::pair<std::string, std::string>> links;  // path -> (target, name in the archive)
  for (auto& [key, re] : raw) {
    if (re.parts.size() <= out.stripped) continue;  // a top-level file where folders are stripped
    std::vector<std::string> parts(re.parts.begin() + out.stripped, re.parts.end());
    // A stripped symlink must still stay inside what is imported.
    if (re.leaf.mode == GIT_FILEMODE_LINK && out.stripped > 0)
      if (std::string why = check_symlink_target(parts, re.symlink_target); !why.empty()) refuse(path, re.name, why);
    std::string p = join(parts);
    out.files[p] = re.leaf;
    if (re.leaf.mode == GIT_FILEMODE_LINK) links[p] = {re.symlink_target, re.name};
    else links.erase(p);
    if (parts.back() == ".gitignore" && re.leaf.mode != GIT_FILEMODE_LINK) gitignores.insert(p);
  }
  if (!gitignores.empty()) {
    IgnoreRules rules;
    for (auto& g : gitignores) {
      auto slash = g.rfind('/');
      rules.add_file(slash == std::string::npos ? "" : g.substr(0, slash), read_small_blob(repo, out.files[g].oid));
    }
    for (auto it = out.files.begin(); it != out.files.end();) {
      if (rules.ignored(it->first)) {
        ++out.ignored;
        it = out.files.erase(it);
      } else {
        ++it;
      }
    }
  }
  // "a/../x" stays inside lexically but not on disk when "a" is a link to ".":
  // such targets are resolved through the other links that are imported.
  auto lookup = [&](const std::string& p) -> const std::string* {
    auto it = links.find(p);
    return it == links.end() || !out.files.count(p) ? nullptr : &it->second.first;
  };
  for (auto& [p, link] : links) {
    if (!out.files.count(p) || !target_climbs_after_descending(link.first)) continue;
    std::vector<std::string> parts;
    split_entry_name(p, parts);
    if (std::string why = check_symlink_chain(parts, link.first, lookup); !why.empty()) refuse(path, link.second, why);
  }
  return out;
}

SquashResult import_squash(Repo& repo, const Store& store, const SquashOptions& opts, Progress& progress) {
  git_repository* r = repo.get();
  if (repo.is_bare()) throw Error(Exit::bad_input, "cannot import into a bare repository", "run it in a work tree");
  std::vector<std::string> subdir;
  if (!opts.subdir.empty()) {
    std::string why = split_entry_name(opts.subdir, subdir);
    if (!why.empty() || subdir.empty() || is_git_metadata(subdir))
      throw Error(Exit::usage, describe("invalid --subdir", opts.subdir, why.empty() ? "not a directory path" : why));
  }
  std::optional<FileLock> lock;
  if (!opts.lock_held) lock.emplace(store.lock());
  if (auto done = finish_interrupted_head_move(repo.get())) progress.warn(*done);
  if (!opts.force && repo.is_dirty())
    throw Error(Exit::bad_input, "cannot import: the work tree has uncommitted changes",
                "commit or stash them first, or add --force to discard them");

  SquashResult res;
  res.sha256 = sha256_file(opts.archive).sha256;
  res.content = read_archive_into_odb(r, opts.archive, opts.strip, progress, opts.prefix, opts.exclude);
  auto& files = res.content.files;

  HeadState head = read_head(r);
  res.parent = head.commit;
  GitTree head_tree;
  if (head.commit) {
    git_commit* c = nullptr;
    git_check(git_commit_lookup(&c, r, &*head.commit), "cannot read HEAD");
    GitCommit hc(c);
    git_tree* t = nullptr;
    git_check(git_commit_tree(&t, hc.get()), "cannot read HEAD's tree");
    head_tree.reset(t);
  }
  git_oid tree;
  std::string subject = "archive '" + opts.archive.filename().string() + "'";
  if (subdir.empty()) {
    // The site's git-pantheon config survives an archive that does not carry one.
    if (head_tree && !files.count(".pantheon.toml")) {
      if (const git_tree_entry* te = git_tree_entry_byname(head_tree.get(), ".pantheon.toml");
          te && git_tree_entry_type(te) == GIT_OBJECT_BLOB) {
        files[".pantheon.toml"] = TreeLeaf{*git_tree_entry_id(te), git_tree_entry_filemode(te)};
        res.kept_pantheon_toml = true;
      }
    }
    tree = write_tree_from_paths(r, files, subject);
  } else {
    git_oid sub = write_tree_from_paths(r, files, subject);
    tree = graft_tree(r, head_tree.get(), subdir, sub);
  }
  if (head_tree && git_oid_equal(&tree, git_tree_id(head_tree.get())))
    throw Error(Exit::nothing_to_do, describe("nothing to import from", opts.archive.filename().string(),
                                              "its content is already the tree of HEAD"));
  if (!head_tree && files.empty())
    throw Error(Exit::nothing_to_do,
                describe("nothing to import from", opts.archive.filename().string(), "it holds no files"));

  std::string msg = opts.message.empty() ? "Import " + opts.archive.filename().string() : opts.message;
  while (!msg.empty() && msg.back() == '\n') msg.pop_back();
  msg += "\n\nArchive-sha256: " + res.sha256 + "\n";
  git_tree* t = nullptr;
  git_check(git_tree_lookup(&t, r, &tree), "cannot read the new tree");
  GitTree new_tree(t);
  GitSignature sig = repo.signature();
  GitCommit parent;
  if (head.commit) {
    git_commit* c = nullptr;
    git_check(git_commit_lookup(&c, r, &*head.commit), "cannot read HEAD");
    parent.reset(c);
  }
  const git_commit* parents[1] = {parent.get()};
  git_check(git_commit_create(&res.commit, r, nullptr, sig.get(), sig.get(), nullptr, msg.c_str(), new_tree.get(),
                              parent ? 1 : 0, parents),
            "cannot write the import commit");
  advance_head(r, head, res.commit, opts.force, "pantheon import: " + opts.archive.filename().string());
  return res;
}

}  // namespace gp
