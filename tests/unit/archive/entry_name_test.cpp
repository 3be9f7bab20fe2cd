// The one set of hostile-name rules (archive/entry_name.hpp, archive/reader.hpp)
// and its callers: secure extraction, checking and import into git must agree on
// what they refuse, and on what they keep as data (links, odd names).
#include "archive/entry_name.hpp"

#include <gtest/gtest.h>

#include <map>

#include "archive/tar.hpp"
#include "fixture.hpp"
#include "import/squash.hpp"

namespace gp {
namespace {

TEST(EntryName, SplitsAndRefusesHostileNames) {
  std::vector<std::string> parts;
  EXPECT_EQ(split_entry_name("./site//a/b/", parts), "");
  EXPECT_EQ(parts, (std::vector<std::string>{"site", "a", "b"}));
  EXPECT_EQ(split_entry_name("a/..b/c..", parts), "");
  EXPECT_EQ(split_entry_name("a/../b", parts), "has a '..' component");
  EXPECT_TRUE(parts.empty());
  EXPECT_EQ(split_entry_name("..", parts), "has a '..' component");
  EXPECT_EQ(split_entry_name("/a", parts), "has an absolute path");
  EXPECT_EQ(split_entry_name("", parts), "has an empty name");
  EXPECT_EQ(split_entry_name("a\xff", parts), "is not valid UTF-8");
  EXPECT_EQ(split_entry_name("a\tb", parts), "has a control character in its name");
  EXPECT_EQ(split_entry_name("a\tb", parts, NameCheck::bytes), "");
  EXPECT_EQ(parts, (std::vector<std::string>{"a\tb"}));
  EXPECT_EQ(split_entry_name("a\xff\n/b", parts, NameCheck::bytes), "");
  EXPECT_EQ(parts, (std::vector<std::string>{"a\xff\n", "b"}));
  EXPECT_EQ(split_entry_name(std::string_view("a\0b", 3), parts, NameCheck::bytes), "has a NUL byte in its name");
  EXPECT_EQ(split_entry_name("a\x7f/../b", parts, NameCheck::bytes), "has a '..' component");
}

TEST(EntryName, SymlinkTargetsResolvedLexicallyFromTheLinksDirectory) {
  // composer's vendor/bin links climb and descend again: kept.
  EXPECT_EQ(check_symlink_target({"vendor", "bin", "drush"}, "../drush/drush/drush"), "");
  EXPECT_EQ(check_symlink_target({"web", "link"}, "a/../b"), "");
  EXPECT_EQ(check_symlink_target({"a", "b", "link"}, "./../../x/"), "");
  EXPECT_EQ(check_symlink_target({"link"}, "."), "");
  EXPECT_EQ(check_symlink_target({"link"}, "../x"), "is a symlink pointing outside the archive");
  // Climbing above the root and coming back down is still an escape on the way.
  EXPECT_EQ(check_symlink_target({"a", "link"}, "../../a/x"), "is a symlink pointing outside the archive");
  EXPECT_EQ(check_symlink_target({"a", "link"}, "b/../../../x"), "is a symlink pointing outside the archive");
  EXPECT_EQ(check_symlink_target({"link"}, "/etc/passwd"), "is a symlink with an absolute target");
  EXPECT_EQ(check_symlink_target({"link"}, ""), "is a symlink with an empty target");
  EXPECT_EQ(check_symlink_target({"link"}, "\xc0\xaf"), "");  // bytes are data
  EXPECT_EQ(check_symlink_target({}, "x"), "is a symlink pointing outside the archive");

  EXPECT_TRUE(target_climbs_after_descending("a/../b"));
  EXPECT_TRUE(target_climbs_after_descending("../a/./../b"));
  EXPECT_FALSE(target_climbs_after_descending("../../a/b"));
  EXPECT_FALSE(target_climbs_after_descending("./a..b/c"));
  EXPECT_EQ(join_entry_name({"a", "b", "c"}), "a/b/c");
  EXPECT_EQ(join_entry_name({"a", "b", "c"}, 2), "a/b");
}

// Archives built with Python's tarfile from a list of entries: "f:<name>",
// "d:<name>", "l:<name>:<target>" (a symlink), "h:<name>:<target>" (a hard link).
class EntryNameCallersTest : public test::TempDirTest {
 protected:
  fs::path make_tar(const std::string& file, const std::vector<std::string>& entries) {
    static const char* script = R"PY(
import io, sys, tarfile
with tarfile.open(sys.argv[1], 'w', format=tarfile.PAX_FORMAT) as t:
    for spec in sys.argv[2:]:
        kind, rest = spec[0], spec[2:]
        name, _, target = rest.partition(':')
        ti = tarfile.TarInfo(name)
        ti.mtime = 1600000000
        if kind == 'f':
            data = ('content of ' + name).encode()
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
            continue
        if kind == 'd':
            ti.type, ti.mode = tarfile.DIRTYPE, 0o755
        elif kind == 'l':
            ti.type, ti.linkname = tarfile.SYMTYPE, target
        elif kind == 'h':
            ti.type, ti.linkname = tarfile.LNKTYPE, target
        t.addfile(ti)
)PY";
    fs::path path = root() / file;
    std::vector<std::string> argv = {"python3", "-c", script, path.string()};
    argv.insert(argv.end(), entries.begin(), entries.end());
    run(argv, root());
    return path;
  }
  // "" when extraction succeeded, else the error message.
  std::string extract(const fs::path& archive, const fs::path& dest) {
    NullProgress np;
    try {
      extract_archive(archive, dest, 0, ExtractLimits{}, np);
      return "";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Exit::bad_input) << e.what();
      return e.what();
    }
  }
  std::string import(const fs::path& archive, ArchiveContent* content = nullptr) {
    fs::path repo_dir = root() / ("repo-" + archive.stem().string());
    fs::create_directories(repo_dir);
    run({"git", "init", "-q", "-b", "main", "."}, repo_dir);
    Repo r = Repo::open(repo_dir);
    NullProgress np;
    try {
      ArchiveContent c = read_archive_into_odb(r.get(), archive, 0u, np);
      if (content) *content = c;
      return "";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Exit::bad_input) << e.what();
      return e.what();
    }
  }
};

TEST_F(EntryNameCallersTest, ComposerBinLinkIsKeptByExtractionAndImport) {
  fs::path tar = make_tar("composer.tar", {"d:vendor", "d:vendor/bin", "d:vendor/drush/drush", "f:vendor/drush/drush/drush",
                                           "l:vendor/bin/drush:../drush/drush/drush", "l:web/up:a/../../vendor"});
  fs::path dest = root() / "dest";
  EXPECT_EQ(extract(tar, dest), "");
  EXPECT_EQ(fs::read_symlink(dest / "vendor/bin/drush"), "../drush/drush/drush");
  EXPECT_EQ(read_text_file(dest / "vendor/bin/drush"), "content of vendor/drush/drush/drush");
  EXPECT_EQ(fs::read_symlink(dest / "web/up"), "a/../../vendor");

  ArchiveContent c;
  EXPECT_EQ(import(tar, &c), "");
  ASSERT_TRUE(c.files.count("vendor/bin/drush"));
  EXPECT_EQ(c.files["vendor/bin/drush"].mode, GIT_FILEMODE_LINK);
}

TEST(EntryName, SymlinkChainsResolvedThroughTheOtherLinks) {
  std::map<std::string, std::string> links = {{"x", "."}, {"a/b", ".."}, {"deep", "a/b/c"}, {"loop1", "loop2"},
                                              {"loop2", "loop1"}, {"abs", "/etc"}};
  auto lookup = [&](const std::string& p) -> const std::string* {
    auto it = links.find(p);
    return it == links.end() ? nullptr : &it->second;
  };
  const std::string out = "is a symlink pointing outside the archive through another symlink";
  EXPECT_EQ(check_symlink_chain({"peek"}, "x/../outside", lookup), out);
  EXPECT_EQ(check_symlink_chain({"a", "peek"}, "b/../../outside", lookup), out);
  EXPECT_EQ(check_symlink_chain({"peek"}, "abs/../x", lookup), out);
  EXPECT_EQ(check_symlink_chain({"peek"}, "deep/../x", lookup), "");   // deep is a/b/c: its parent a/b
  EXPECT_EQ(check_symlink_chain({"peek"}, "y/../x", lookup), "");      // y is no link
  EXPECT_EQ(check_symlink_chain({"peek"}, "loop1/../x", lookup), "");  // leads nowhere
  EXPECT_EQ(check_symlink_chain({"vendor", "bin", "drush"}, "../drush/drush/drush", lookup), "");
}

TEST_F(EntryNameCallersTest, LinksLeadingOutAreDataForEveryCaller) {
  // Absolute, climbing, dangling and through-another-link targets: all recreated
  // as archived by extraction, accepted by the check, kept (and listed) by import.
  fs::path base = root() / "box";
  fs::create_directories(base);
  fs::path tar = make_tar("out.tar", {"l:private:/var/private", "l:shared:../../../shared-uploads",
                                      "l:gone:../outside-target", "l:x:.", "l:peek:x/../outside", "f:a/file",
                                      "l:a/up:../file-in-root", "l:a/b:.."});
  EXPECT_EQ(extract(tar, base / "dest"), "");
  EXPECT_EQ(fs::read_symlink(base / "dest/private"), "/var/private");
  EXPECT_EQ(fs::read_symlink(base / "dest/shared"), "../../../shared-uploads");
  EXPECT_EQ(fs::read_symlink(base / "dest/gone"), "../outside-target");
  EXPECT_EQ(fs::read_symlink(base / "dest/peek"), "x/../outside");
  EXPECT_EQ(fs::read_symlink(base / "dest/a/b"), "..");
  EXPECT_EQ(read_text_file(base / "dest/a/file"), "content of a/file");
  NullProgress np;
  EXPECT_NO_THROW(check_files_archive(tar, 0, np));
  ArchiveContent c;
  EXPECT_EQ(import(tar, &c), "");
  std::map<std::string, std::string> out(c.outside_links.begin(), c.outside_links.end());
  EXPECT_EQ(out, (std::map<std::string, std::string>{{"private", "/var/private"},
                                                     {"shared", "../../../shared-uploads"},
                                                     {"gone", "../outside-target"},
                                                     {"peek", "x/../outside"}}));
  EXPECT_EQ(c.files.at("private").mode, GIT_FILEMODE_LINK);
  EXPECT_EQ(c.files.at("a/up").mode, GIT_FILEMODE_LINK);
  // Nothing was written outside dest.
  std::vector<std::string> names;
  for (auto& e : fs::directory_iterator(base)) names.push_back(e.path().filename().string());
  EXPECT_EQ(names, (std::vector<std::string>{"dest"}));
}

TEST_F(EntryNameCallersTest, LaterEntriesReplaceEarlierOnesAsTarDoes) {
  fs::path tar = make_tar("dup.tar", {"l:a:/etc", "f:a", "f:b", "l:b:a", "f:c", "f:c"});
  fs::path dest = root() / "dest";
  EXPECT_EQ(extract(tar, dest), "");
  EXPECT_EQ(fs::symlink_status(dest / "a").type(), fs::file_type::regular);
  EXPECT_EQ(read_text_file(dest / "a"), "content of a");
  EXPECT_EQ(fs::read_symlink(dest / "b"), "a");
  EXPECT_EQ(read_text_file(dest / "c"), "content of c");
  ArchiveContent c;
  EXPECT_EQ(import(tar, &c), "");
  EXPECT_EQ(c.files.at("a").mode, GIT_FILEMODE_BLOB);
  EXPECT_EQ(c.files.at("b").mode, GIT_FILEMODE_LINK);
}

TEST_F(EntryNameCallersTest, EveryCallerRefusesTheSameHostileEntries) {
  struct Case {
    std::vector<std::string> entries;
    std::string why;  // the reason all give
  };
  const std::string long_name(256, 'n');
  std::vector<Case> cases = {
      {{"f:../x"}, "entry '../x' has a '..' component"},
      {{"f:a/../../x"}, "entry 'a/../../x' has a '..' component"},
      {{"f:/abs"}, "entry '/abs' has an absolute path"},
      {{"f:x", "h:hl:../x"}, "entry 'hl' is a hard link whose target has a '..' component"},
      {{"f:x", "h:hl:/x"}, "entry 'hl' is a hard link whose target has an absolute path"},
      {{"l:x:y", "h:hl:x"}, "entry 'hl' is a hard link to 'x', not a file before it in the archive"},
      {{"h:hl:later", "f:later"}, "entry 'hl' is a hard link to 'later', not a file before it in the archive"},
      {{"l:a:/tmp", "f:a/x"}, "entry 'a/x' lies under the symbolic link 'a'"},
      {{"l:a:.", "d:a/d"}, "entry 'a/d/' lies under the symbolic link 'a'"},
      {{"f:a", "f:a/x"}, "entry 'a/x' lies under 'a', which is not a directory"},
      {{"f:a", "d:a"}, "entry 'a/' is a directory where the archive has a file of the same name before it"},
      {{"f:d/x", "f:d"}, "entry 'd' replaces a directory of the same name"},
      {{"d:d", "l:d:/tmp"}, "entry 'd' replaces a directory of the same name"},
      {{"f:" + long_name}, "entry '" + long_name + "' has a name component of 256 bytes (the limit is 255)"},
  };
  int n = 0;
  for (auto& c : cases) {
    SCOPED_TRACE(c.entries.back());
    std::string file = "case" + std::to_string(n++) + ".tar";
    fs::path tar = make_tar(file, c.entries);
    EXPECT_EQ(extract(tar, root() / ("dest-" + file)), "refusing archive '" + file + "': " + c.why);
    EXPECT_EQ(import(tar), "refusing archive '" + file + "': " + c.why);
    NullProgress np;
    std::string checked;
    try {
      check_files_archive(tar, 0, np);
    } catch (const Error& e) {
      checked = e.what();
    }
    EXPECT_EQ(checked, "refusing archive '" + file + "': " + c.why);
  }
}

}  // namespace
}  // namespace gp
