// Fuzzes the archive import path with one input file (tar, zip, tar.gz ... any
// format libarchive reads), through the real entry points:
//  - secure extraction (archive/tar.hpp: extract_archive) into box/dest, with a
//    sentinel directory and a victim file beside it: after every input nothing
//    outside dest may have changed (links are data and may point anywhere, but
//    nothing is ever written through one), and an archive that extracts also
//    passes check_files_archive (what verifies restores, and the reverse);
//  - import into git (import/squash.hpp: read_archive_into_odb, then
//    import/tree.hpp: write_tree_from_paths): every path imported must pass the
//    shared entry-name rules (archive/entry_name.hpp), and every link leading
//    out of the tree must be listed in outside_links.
#include <git2.h>
#include <sys/stat.h>

#include <algorithm>
#include <memory>

#include "archive/entry_name.hpp"
#include "archive/tar.hpp"
#include "fuzz_util.hpp"
#include "import/paths.hpp"
#include "import/squash.hpp"
#include "import/tree.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/git_handles.hpp"

namespace {

using gp::fs::path;
namespace fs = gp::fs;

// Everything lives in one temporary directory, removed at exit.
struct World {
  std::unique_ptr<gp::TempDir> tmp;
  path input, box, dest, sentinel, victim, repo_dir, empty_config;
  git_repository* repo = nullptr;
  unsigned uses = 0;

  World() {
    const char* base = std::getenv("TMPDIR");
    tmp = std::make_unique<gp::TempDir>(base ? base : "/tmp", "gp-fuzz-archive-");
    input = tmp->path() / "input.archive";
    box = tmp->path() / "box";
    dest = box / "dest";
    sentinel = box / "sentinel";
    victim = box / "VICTIM.txt";
    repo_dir = tmp->path() / "repo.git";
    empty_config = tmp->path() / "empty-config";
    fs::create_directories(sentinel);
    fs::create_directories(empty_config);
    gp::write_file_atomic(victim, "victim\n", 0644);
    ::setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
    ::setenv("HOME", empty_config.c_str(), 1);
    git_libgit2_init();
    for (auto level : {GIT_CONFIG_LEVEL_SYSTEM, GIT_CONFIG_LEVEL_XDG, GIT_CONFIG_LEVEL_GLOBAL,
                       GIT_CONFIG_LEVEL_PROGRAMDATA})
      git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, level, empty_config.c_str());
  }
  ~World() {
    if (repo) git_repository_free(repo);
    git_libgit2_shutdown();
  }
  // A bare repository, made afresh now and then so that loose objects do not pile up.
  git_repository* fresh_repo() {
    if (repo && ++uses < 256) return repo;
    if (repo) git_repository_free(repo);
    repo = nullptr;
    gp::remove_tree_noexcept(repo_dir);
    if (git_repository_init(&repo, repo_dir.c_str(), 1) != 0) gp::fuzz::violated("cannot init the scratch repository");
    uses = 0;
    return repo;
  }
};

World& world() {
  static World w;
  return w;
}

// The box must hold exactly dest (maybe), the empty sentinel and the unchanged victim.
void check_box(World& w) {
  for (auto& e : fs::directory_iterator(w.box)) {
    auto name = e.path().filename();
    GP_FUZZ_CHECK(name == "dest" || name == "sentinel" || name == "VICTIM.txt",
                  "something was written outside dest: " + e.path().string());
  }
  GP_FUZZ_CHECK(fs::is_empty(w.sentinel), "the sentinel directory beside dest is not empty");
  GP_FUZZ_CHECK(gp::read_text_file(w.victim) == "victim\n", "the victim file beside dest changed");
  struct stat st;
  GP_FUZZ_CHECK(::lstat(w.victim.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1,
                "the victim file was replaced or hard-linked");
}

void extract(World& w) {
  gp::NullProgress np;
  gp::ExtractLimits limits;
  limits.max_total_bytes = 8ULL << 20;
  limits.max_entries = 20000;
  bool ok = true;
  try {
    gp::extract_archive(w.input, w.dest, 0, limits, np);
  } catch (const gp::Error&) {
    ok = false;
  }
  check_box(w);
  if (ok) {
    try {
      gp::check_files_archive(w.input, 0, np);
    } catch (const gp::Error& e) {
      gp::fuzz::violated(std::string("extracted, but the check refuses it: ") + e.what());
    }
  }
  gp::remove_tree_noexcept(w.dest);
  GP_FUZZ_CHECK(!fs::exists(fs::symlink_status(w.dest)), "dest could not be removed");
  check_box(w);
}

void import(World& w) {
  gp::NullProgress np;
  git_repository* repo = w.fresh_repo();
  gp::ArchiveContent content;
  try {
    content = gp::read_archive_into_odb(repo, w.input, std::nullopt, np);
  } catch (const gp::Error&) {
    return;
  }
  for (auto& [p, leaf] : content.files) {
    std::vector<std::string> parts;
    std::string why = gp::split_entry_name(p, parts, gp::NameCheck::bytes);
    GP_FUZZ_CHECK(why.empty() && gp::join_entry_name(parts) == p, "imported a hostile path '" + p + "': " + why);
    GP_FUZZ_CHECK(!gp::is_git_metadata(parts), "imported repository metadata: " + p);
    if (leaf.mode == GIT_FILEMODE_LINK) {
      git_blob* b = nullptr;
      GP_FUZZ_CHECK(git_blob_lookup(&b, repo, &leaf.oid) == 0, "the blob of link '" + p + "' is missing");
      gp::GitBlob blob(b);
      std::string target(static_cast<const char*>(git_blob_rawcontent(b)), static_cast<size_t>(git_blob_rawsize(b)));
      bool listed = std::find(content.outside_links.begin(), content.outside_links.end(),
                              std::pair<std::string, std::string>(p, target)) != content.outside_links.end();
      GP_FUZZ_CHECK(gp::check_symlink_target(parts, target).empty() || listed,
                    "the link '" + p + "' -> " + target + " leads out of the tree and is not listed");
    }
  }
  try {
    (void)gp::write_tree_from_paths(repo, content.files, "archive 'fuzz'");
  } catch (const gp::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  World& w = world();
  std::FILE* f = std::fopen(w.input.c_str(), "wb");
  if (!f || std::fwrite(data, 1, size, f) != size || std::fclose(f) != 0) gp::fuzz::violated("cannot write the input");
  extract(w);
  import(w);
  return 0;
}
