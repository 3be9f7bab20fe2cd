#include "import/paths.hpp"

#include <gtest/gtest.h>

namespace gp {
namespace {

TEST(ImportPaths, SplitsAndNormalisesNames) {
  std::vector<std::string> parts;
  EXPECT_EQ(split_entry_name("./site//a/b/", parts), "");
  EXPECT_EQ(parts, (std::vector<std::string>{"site", "a", "b"}));
  EXPECT_EQ(split_entry_name("./", parts), "");
  EXPECT_TRUE(parts.empty());
  EXPECT_EQ(split_entry_name("a/sp ace \xc3\xa9.txt", parts), "");
  EXPECT_EQ(parts.back(), "sp ace \xc3\xa9.txt");
}

TEST(ImportPaths, RefusesHostileNames) {
  std::vector<std::string> parts;
  EXPECT_EQ(split_entry_name("../etc/passwd", parts), "has a '..' component");
  EXPECT_EQ(split_entry_name("a/../../b", parts), "has a '..' component");
  EXPECT_EQ(split_entry_name("/etc/passwd", parts), "has an absolute path");
  EXPECT_EQ(split_entry_name("a/\xff\xfe", parts), "is not valid UTF-8");
  EXPECT_EQ(split_entry_name("a/\xc0\xaf", parts), "is not valid UTF-8");      // overlong '/'
  EXPECT_EQ(split_entry_name("a/\xed\xa0\x80", parts), "is not valid UTF-8");  // surrogate
  EXPECT_EQ(split_entry_name("a\nb", parts), "has a control character in its name");
  EXPECT_EQ(split_entry_name("", parts), "has an empty name");
  // ".." inside a name is fine.
  EXPECT_EQ(split_entry_name("a/..b/c..", parts), "");
}

TEST(ImportPaths, Utf8Validation) {
  EXPECT_TRUE(valid_utf8("plain"));
  EXPECT_TRUE(valid_utf8("\xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(valid_utf8("\xe2\x82"));          // truncated
  EXPECT_FALSE(valid_utf8("\xf4\x90\x80\x80"));  // > U+10FFFF
}

TEST(ImportPaths, GitMetadata) {
  EXPECT_TRUE(is_git_metadata({"site", ".git", "config"}));
  EXPECT_TRUE(is_git_metadata({".GIT", "HEAD"}));
  EXPECT_TRUE(is_git_metadata({"vendor", "x", ".git"}));
  EXPECT_FALSE(is_git_metadata({"site", ".gitignore"}));
  EXPECT_FALSE(is_git_metadata({"site", ".github", "ci.yml"}));
}

TEST(ImportPaths, SymlinkTargets) {
  EXPECT_EQ(check_symlink_target({"link"}, "a/b/x.txt"), "");
  EXPECT_EQ(check_symlink_target({"a", "b", "link"}, "../../x"), "");
  EXPECT_EQ(check_symlink_target({"a", "b", "link"}, "../../../x"), "is a symlink pointing outside the archive");
  EXPECT_EQ(check_symlink_target({"link"}, "../x"), "is a symlink pointing outside the archive");
  EXPECT_EQ(check_symlink_target({"a", "link"}, "b/../../../x"), "is a symlink pointing outside the archive");
  EXPECT_EQ(check_symlink_target({"link"}, "/etc/passwd"), "is a symlink with an absolute target");
  EXPECT_EQ(check_symlink_target({"link"}, ""), "is a symlink with an empty target");
  EXPECT_EQ(check_symlink_target({"a", "link"}, "./../b"), "");
}

TEST(ImportPaths, DetectsOneTopLevelFolder) {
  using P = std::vector<std::vector<std::string>>;
  EXPECT_EQ(detect_strip(P{{"site"}, {"site", "a"}, {"site", "b", "c"}}), 1u);
  EXPECT_EQ(detect_strip(P{{"site", "a"}, {"other", "b"}}), 0u);
  EXPECT_EQ(detect_strip(P{{"index.php"}}), 0u);           // a single file is content, not a folder
  EXPECT_EQ(detect_strip(P{{"site"}}), 0u);                // a lone empty folder
  EXPECT_EQ(detect_strip(P{{"a", "x"}, {"README"}}), 0u);  // a file beside the folder
  EXPECT_EQ(detect_strip(P{}), 0u);
}

TEST(ImportGlob, Wildcards) {
  EXPECT_TRUE(glob_match("*.log", "debug.log"));
  EXPECT_FALSE(glob_match("*.log", "a/debug.log"));  // '*' never crosses '/'
  EXPECT_TRUE(glob_match("a?c", "abc"));
  EXPECT_FALSE(glob_match("a?c", "a/c"));
  EXPECT_TRUE(glob_match("[abc]x", "bx"));
  EXPECT_FALSE(glob_match("[!abc]x", "bx"));
  EXPECT_TRUE(glob_match("[a-c]x", "cx"));
  EXPECT_TRUE(glob_match("\\*x", "*x"));
  EXPECT_FALSE(glob_match("\\*x", "ax"));
  EXPECT_TRUE(glob_match("[x", "[x"));  // unterminated class is literal
}

TEST(ImportGlob, DoubleStar) {
  EXPECT_TRUE(glob_match("**/foo", "foo"));
  EXPECT_TRUE(glob_match("**/foo", "a/b/foo"));
  EXPECT_TRUE(glob_match("a/**/b", "a/b"));
  EXPECT_TRUE(glob_match("a/**/b", "a/x/y/b"));
  EXPECT_FALSE(glob_match("a/**/b", "ab"));
  EXPECT_TRUE(glob_match("a/**", "a/x/y"));
  EXPECT_FALSE(glob_match("a/**", "b/x"));
}

TEST(ImportIgnore, PatternsNegationAndComments) {
  IgnoreRules r;
  r.add_file("", "# comment\n\n*.log\n!keep.log\n\\#hash\nspace\\ \ntrailing   \n");
  EXPECT_TRUE(r.ignored("debug.log"));
  EXPECT_TRUE(r.ignored("a/b/debug.log"));  // unanchored: any depth
  EXPECT_FALSE(r.ignored("keep.log"));
  EXPECT_FALSE(r.ignored("a/keep.log"));
  EXPECT_TRUE(r.ignored("#hash"));
  EXPECT_FALSE(r.ignored("comment"));
  EXPECT_TRUE(r.ignored("trailing"));
  EXPECT_FALSE(r.ignored("index.php"));
}

TEST(ImportIgnore, AnchoredAndDirectoryOnly) {
  IgnoreRules r;
  r.add_file("", "/build\ncache/\ndocs/*.pdf\n");
  EXPECT_TRUE(r.ignored("build"));
  EXPECT_TRUE(r.ignored("build/out.o"));
  EXPECT_FALSE(r.ignored("src/build"));  // anchored to the root
  EXPECT_TRUE(r.ignored("a/cache/x"));   // directory-only, any depth
  EXPECT_FALSE(r.ignored("a/cache"));    // a file named cache is kept
  EXPECT_TRUE(r.ignored("docs/a.pdf"));
  EXPECT_FALSE(r.ignored("x/docs/a.pdf"));  // a middle slash anchors too
  EXPECT_FALSE(r.ignored("docs/sub/a.pdf"));
}

TEST(ImportIgnore, FileInIgnoredDirectoryCannotBeReincluded) {
  IgnoreRules r;
  r.add_file("", "uploads/\n!uploads/keep.txt\n");
  EXPECT_TRUE(r.ignored("uploads/keep.txt"));
  IgnoreRules r2;
  r2.add_file("", "uploads/*\n!uploads/keep.txt\n");
  EXPECT_FALSE(r2.ignored("uploads/keep.txt"));
  EXPECT_TRUE(r2.ignored("uploads/other.txt"));
}

TEST(ImportIgnore, DeeperFilesWinAndAreRelative) {
  IgnoreRules r;
  r.add_file("sub", "!important.log\n/local.txt\n");
  r.add_file("", "*.log\n");  // added after, but shallower: evaluated first
  EXPECT_TRUE(r.ignored("a.log"));
  EXPECT_FALSE(r.ignored("sub/important.log"));
  EXPECT_TRUE(r.ignored("sub/other.log"));
  EXPECT_TRUE(r.ignored("sub/local.txt"));
  EXPECT_FALSE(r.ignored("local.txt"));
  EXPECT_FALSE(r.ignored("sub/x/local.txt"));
}

TEST(ImportIgnore, DoubleStarPatterns) {
  IgnoreRules r;
  r.add_file("", "**/node_modules\nlogs/**\n");
  EXPECT_TRUE(r.ignored("node_modules/x.js"));
  EXPECT_TRUE(r.ignored("a/b/node_modules/x.js"));
  EXPECT_TRUE(r.ignored("logs/2026/x"));
  EXPECT_FALSE(r.ignored("a/logs/x"));
}

}  // namespace
}  // namespace gp
