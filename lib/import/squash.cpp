#include "import/squash.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include <fcntl.h>
#include <limits.h>

#include "archive/reader.hpp"
#include "import/paths.hpp"
#include "util/sha256.hpp"
#include "util/signals.hpp"

namespace gp {

namespace {

constexpr size_t kChunk = 64 * 1024;

// Kept for every entry until the whole archive was read: its path is the key of
// the map holding it (split again when needed), so memory per entry stays small.
// One entry of the archive while it is read: 32 bytes for a plain file (there
// is one per file, ~50,000 in a Drupal tree); what few entries need besides lives
// apart.
struct RawEntry {
  struct Extra {
    std::string name;                 // as written in the archive when it differs from the key, for messages
    std::string symlink_target;       // for symlinks
    std::optional<std::string> link;  // hard link: the target's joined raw path
    std::string link_name;
  };
  TreeLeaf leaf;
  std::unique_ptr<Extra> extra;
  Extra& more() {
    if (!extra) extra = std::make_unique<Extra>();
    return *extra;
  }
  bool is_hardlink() const { return extra && extra->link; }
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

// Streams the current entry's data into a pack entry and, at the same time, into
// a staged file (the work tree's copy); both in 64 KiB chunks. The reader checks
// that the data is exactly what the header claims.
git_oid stream_blob(PackWriter& pack, StagedBlobs& staged, EntryReader& in, const ArchiveEntryInfo& e, uint64_t& bytes,
                    std::vector<char>& buf) {
  fs::path file = staged.next_path();
  Fd out = open_file(file, O_WRONLY | O_CREAT | O_EXCL, 0666);
  git_oid oid;
  if (e.has_size) {
    pack.begin(GIT_OBJECT_BLOB, e.size);
    while (size_t n = in.read(buf.data(), buf.size())) {
      pack.write(buf.data(), n);
      write_all(out.get(), buf.data(), n, file.string());
      bytes += n;
    }
    oid = pack.end();
  } else {
    // Size unknown (some zip entries): the staged file first, then the pack from it.
    uint64_t total = 0;
    while (size_t n = in.read(buf.data(), buf.size())) {
      write_all(out.get(), buf.data(), n, file.string());
      total += n;
    }
    bytes += total;
    Fd back = open_file(file, O_RDONLY);
    pack.begin(GIT_OBJECT_BLOB, total);
    while (size_t n = read_some(back.get(), buf.data(), buf.size(), file.string())) pack.write(buf.data(), n);
    oid = pack.end();
  }
  staged.add(oid, file);
  return oid;
}

}  // namespace

ArchiveContent read_archive_into_odb(git_repository* repo, const fs::path& path, std::optional<unsigned> strip,
                                     Progress& progress, const std::string& prefix,
                                     const std::vector<std::string>& exclude) {
  PackWriter pack(repo);
  StagedBlobs staged(git_repository_path(repo));
  ArchiveContent out = read_archive_into_pack(pack, staged, path, strip, progress, prefix, exclude);
  pack.finish();
  return out;
}

ArchiveContent read_archive_into_pack(PackWriter& pack, StagedBlobs& staged, const fs::path& path,
                                      std::optional<unsigned> strip, Progress& progress, const std::string& prefix,
                                      const std::vector<std::string>& exclude, size_t base_length) {
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
  EntryReader in(path, EntryRules{});
  std::map<std::string, RawEntry> raw;  // joined raw path -> entry (a later duplicate wins, as tar does)
  // What detect_strip needs: each distinct first component, and whether entries go deeper.
  std::set<std::pair<std::string, bool>> tops;
  std::vector<char> buf(kChunk);
  progress.start("reading " + path.filename().string(), 0);
  while (const ArchiveEntryInfo* e = in.next()) {
    ++out.entries;
    std::vector<std::string> parts = e->parts;
    if (!select(parts)) continue;  // outside the prefix: its data is skipped unread
    if (parts.empty()) continue;
    tops.emplace(parts[0], parts.size() > 1);
    if (is_git_metadata(parts)) {
      ++out.git_metadata;
      continue;  // data is skipped by the next entry
    }
    RawEntry re;
    if (e->name != join(parts)) re.more().name = e->name;
    switch (e->type) {
      case EntryType::directory:
        continue;  // directories exist through their files
      case EntryType::hardlink: {
        std::vector<std::string> tparts;
        split_entry_name(e->target, tparts, NameCheck::bytes);
        if (!select(tparts)) in.refuse("is a hard link to '" + e->target + "', outside what is imported");
        re.more().link = join(tparts);
        re.more().link_name = e->target;
        raw[join(parts)] = std::move(re);
        continue;
      }
      case EntryType::file:
        re.leaf.oid = stream_blob(pack, staged, in, *e, out.bytes, buf);
        // git keeps the owner's execute bit only (100755 or 100644).
        re.leaf.mode = (e->mode & 0100) ? GIT_FILEMODE_BLOB_EXECUTABLE : GIT_FILEMODE_BLOB;
        break;
      case EntryType::symlink:
        // Links are data, as in git: any target is kept (those leading out of the
        // tree are listed once the tree is known).
        re.more().symlink_target = e->target;
        re.leaf.oid = pack.add(GIT_OBJECT_BLOB, e->target.data(), e->target.size());
        re.leaf.mode = GIT_FILEMODE_LINK;
        break;
      case EntryType::special:
        ++out.skipped_special;
        progress.warn("skipping '" + e->name + "' in '" + path.filename().string() + "': a " + e->special_kind +
                      " is not a file, directory or symlink");
        continue;
    }
    raw[join(parts)] = std::move(re);
    progress.update(out.bytes, out.entries);
  }
  in.finish();  // the gzip trailer and CRC of what follows the last entry
  progress.finish();

  if (!strip) {
    std::vector<std::vector<std::string>> firsts;
    for (auto& [first, deeper] : tops) {
      firsts.push_back({first});
      if (deeper) firsts.back().push_back({});
    }
    out.stripped = detect_strip(firsts);
  } else {
    out.stripped = *strip;
  }
  auto shown = [](const std::string& key, const RawEntry& re) -> const std::string& {
    return re.extra && !re.extra->name.empty() ? re.extra->name : key;
  };
  // Hard links become copies of their target's blob.
  for (auto& [key, re] : raw) {
    if (!re.is_hardlink()) continue;
    auto it = raw.find(*re.extra->link);
    if (it == raw.end() || it->second.is_hardlink() || it->second.leaf.mode == GIT_FILEMODE_LINK)
      refuse(path, shown(key, re),
             "is a hard link to '" + re.extra->link_name + "', which is not a file in the archive");
    re.leaf = it->second.leaf;
  }
  std::set<std::string> gitignores;
  std::map<std::string, std::pair<std::string, std::string>> links;  // path -> (target, name in the archive)
  // Each entry is dropped once it is in out.files: the two maps are not held whole at once.
  for (auto node = raw.begin(); node != raw.end(); node = raw.erase(node)) {
    const std::string& key = node->first;
    RawEntry& re = node->second;
    std::vector<std::string> parts;
    for (size_t i = 0, j; i <= key.size(); i = j + 1) {
      j = key.find('/', i);
      if (j == std::string::npos) j = key.size();
      parts.push_back(key.substr(i, j - i));
    }
    if (parts.size() <= out.stripped) continue;  // a top-level file where folders are stripped
    parts.erase(parts.begin(), parts.begin() + out.stripped);
    std::string p = join(parts);
    if (base_length && base_length + 1 + p.size() > PATH_MAX - 1)
      refuse(path, shown(key, re), "would have a path of " + std::to_string(base_length + 1 + p.size()) +
                                       " bytes in the work tree (the limit is " + std::to_string(PATH_MAX - 1) + ")");
    out.files[p] = re.leaf;
    if (re.leaf.mode == GIT_FILEMODE_LINK) links[p] = {re.extra->symlink_target, shown(key, re)};
    else links.erase(p);
    if (parts.back() == ".gitignore" && re.leaf.mode != GIT_FILEMODE_LINK) gitignores.insert(p);
  }
  if (!gitignores.empty()) {
    IgnoreRules rules;
    for (auto& g : gitignores) {
      auto slash = g.rfind('/');
      // .gitignore files are small; a pathological one is capped rather than read whole.
      rules.add_file(slash == std::string::npos ? "" : g.substr(0, slash),
                     staged.read_prefix(out.files[g].oid, 1 << 20).value_or(""));
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
  // Links leading out of the tree are kept (git stores any target) and listed.
  // "a/../x" stays inside lexically but not on disk when "a" is a link to ".":
  // such targets are resolved through the other links that are imported.
  auto lookup = [&](const std::string& p) -> const std::string* {
    auto it = links.find(p);
    return it == links.end() || !out.files.count(p) ? nullptr : &it->second.first;
  };
  for (auto& [p, link] : links) {
    if (!out.files.count(p)) continue;
    std::vector<std::string> parts;
    split_entry_name(p, parts, NameCheck::bytes);
    std::string why = check_symlink_target(parts, link.first);
    if (why.empty() && target_climbs_after_descending(link.first)) why = check_symlink_chain(parts, link.first, lookup);
    if (!why.empty()) out.outside_links.emplace_back(p, link.first);
  }
  return out;
}

SquashResult import_squash(Repo& repo, const Store& store, const FileLock& /*lock*/, const SquashOptions& opts,
                           Progress& progress) {
  git_repository* r = repo.get();
  if (repo.is_bare()) throw Error(Exit::bad_input, "cannot import into a bare repository", "run it in a work tree");
  std::vector<std::string> subdir;
  if (!opts.subdir.empty()) {
    std::string why = split_entry_name(opts.subdir, subdir);
    if (!why.empty() || subdir.empty() || is_git_metadata(subdir))
      throw Error(Exit::usage, describe("invalid --subdir", opts.subdir, why.empty() ? "not a directory path" : why));
  }
  if (auto done = finish_interrupted_head_move(repo.get())) progress.warn(*done);
  if (!opts.force && repo.is_dirty())
    throw Error(Exit::bad_input, "cannot import: the work tree has uncommitted changes",
                "commit or stash them first, or add --force to discard them");

  SquashResult res;
  res.sha256 = sha256_file(opts.archive).sha256;
  PackWriter pack(r);
  StagedBlobs staged(store.tmp_dir());  // on the repository's file system, cleared by the next lock holder
  size_t base = std::string_view(git_repository_workdir(r)).size();
  if (!opts.subdir.empty()) base += opts.subdir.size() + 1;
  res.content =
      read_archive_into_pack(pack, staged, opts.archive, opts.strip, progress, opts.prefix, opts.exclude, base);
  auto& files = res.content.files;
  if (auto& out = res.content.outside_links; !out.empty()) {
    if (opts.refuse_outside_links)
      throw Error(Exit::bad_input,
                  "refusing archive '" + opts.archive.filename().string() + "': entry '" + out[0].first +
                      "' is a symlink to '" + out[0].second + "', outside the imported tree",
                  "without --refuse-outside-links such links are kept, as git keeps them");
    std::string list;
    for (size_t i = 0; i < out.size() && i < 5; ++i)
      list += (i ? ", '" : "'") + out[i].first + "' -> '" + out[i].second + "'";
    if (out.size() > 5) list += " and " + std::to_string(out.size() - 5) + " more";
    progress.warn("keeping " + std::to_string(out.size()) + " symbolic link" + (out.size() == 1 ? "" : "s") +
                  " that lead" + (out.size() == 1 ? "s" : "") + " outside the imported tree, as git does: " + list);
  }

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
    tree = write_tree_from_paths(r, files, subject, &pack);
    res.packed = pack.finish();
  } else {
    git_oid sub = write_tree_from_paths(r, files, subject, &pack);
    res.packed = pack.finish();
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
  advance_head_staged(r, head, res.commit, opts.force, "pantheon import: " + opts.archive.filename().string(), staged);
  return res;
}

}  // namespace gp
