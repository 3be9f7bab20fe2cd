#include <gtest/gtest.h>

#include "remote/remote.hpp"
#include "util/error.hpp"

namespace gp {
namespace {

const std::string kA(40, 'a'), kZ(40, '0'), kB(40, 'b');

TEST(PrePush, ParsesLines) {
  auto u = parse_pre_push("refs/heads/main " + kA + " refs/heads/main " + kB + "\n" +
                          "refs/tags/pantheon/backup/dev/2026-11-25T10-00-00 " + kB +
                          " refs/tags/pantheon/backup/dev/2026-11-25T10-00-00 " + kZ + "\n");
  ASSERT_EQ(u.size(), 2u);
  EXPECT_EQ(u[0].local_ref, "refs/heads/main");
  EXPECT_EQ(u[0].local_oid, kA);
  EXPECT_EQ(u[1].remote_oid, kZ);
  EXPECT_FALSE(u[1].deletion());
  auto tags = pushed_backup_tags(u);
  ASSERT_EQ(tags.size(), 1u);
  EXPECT_EQ(tags[0].first, "pantheon/backup/dev/2026-11-25T10-00-00");
  EXPECT_EQ(tags[0].second, kB);
}

TEST(PrePush, EmptyInputAndBlankLines) {
  EXPECT_TRUE(parse_pre_push("").empty());
  EXPECT_TRUE(parse_pre_push("\n\n").empty());
  EXPECT_EQ(parse_pre_push("refs/heads/x " + kA + " refs/heads/x " + kZ).size(), 1u);  // no final newline
}

TEST(PrePush, DeletionsAndOtherTagsAreNotBackups) {
  auto u = parse_pre_push("(delete) " + kZ + " refs/tags/pantheon/backup/dev/x " + kA + "\n" +
                          "refs/tags/v1 " + kA + " refs/tags/v1 " + kZ + "\n" +
                          "refs/tags/pantheon/backupx " + kA + " refs/tags/pantheon/backupx " + kZ + "\n");
  ASSERT_EQ(u.size(), 3u);
  EXPECT_TRUE(u[0].deletion());
  EXPECT_TRUE(pushed_backup_tags(u).empty());
}

TEST(PrePush, Sha256ObjectIds) {
  std::string o(64, 'c');
  EXPECT_EQ(parse_pre_push("refs/heads/m " + o + " refs/heads/m " + std::string(64, '0') + "\n").size(), 1u);
}

void expect_malformed(const std::string& text, const std::string& what) {
  try {
    parse_pre_push(text);
    FAIL() << "accepted: " << text;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Exit::bad_input);
    EXPECT_NE(std::string(e.what()).find("malformed pre-push input line"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
  }
}

TEST(PrePush, MalformedLinesAreClearErrors) {
  expect_malformed("refs/heads/main " + kA + " refs/heads/main\n", "expected 4 fields");
  expect_malformed("refs/heads/main " + kA + " refs/heads/main " + kB + " extra\n", "got 5");
  expect_malformed("refs/heads/main  " + kA + " refs/heads/main " + kB + "\n", "empty field");
  expect_malformed("refs/heads/main xyz refs/heads/main " + kB + "\n", "'xyz' is not an object id");
  expect_malformed("refs/heads/main " + kA.substr(1) + " refs/heads/main " + kB + "\n", "not an object id");
  expect_malformed("refs/heads/main " + kA + " main " + kB + "\n", "does not start with refs/");
  expect_malformed("refs/heads/m " + kA + " refs/heads/m " + kB + "\ngarbage\n", "line 2");
}

}  // namespace
}  // namespace gp
