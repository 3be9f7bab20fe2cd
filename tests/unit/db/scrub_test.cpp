// Password scrubbing of the clients' error lines: whole tokens only, so that a short
// password never mangles the words of the message it is scrubbed from.
#include <gtest/gtest.h>

#include "db/internal.hpp"

namespace gp::db {
namespace {

const std::string kLine =
    "mysqldump: Got error: 2002: \"Can't connect to server on '127.0.0.1' (115)\" when trying to connect; "
    "ERROR 1045 (28000): Access denied for user 'wp'@'localhost' (using password: YES)";

TEST(Scrub, ShortPasswordsNeverChangeTheWordsAroundThem) {
  for (const char* pw : {"e", "a", "rror", "o", "ERR", "ccess"}) EXPECT_EQ(scrub(kLine, std::string(pw)), kLine) << pw;
}

TEST(Scrub, WholeTokensAreReplaced) {
  EXPECT_EQ(scrub("password e was refused", std::string("e")), "password *** was refused");
  EXPECT_EQ(scrub("e", std::string("e")), "***");
  EXPECT_EQ(scrub("(e)", std::string("e")), "(***)");
  EXPECT_EQ(scrub("'a' and a, but not aa or ba", std::string("a")), "'***' and ***, but not aa or ba");
  EXPECT_EQ(scrub("user 'wp' (wp@host)", std::string("wp")), "user '***' (***@host)");
  // A long password with punctuation inside, and one with punctuation at its ends.
  const std::string long_pw = "s3cr\"et #pw\\x' y-Very-Long-Secret-2026";
  EXPECT_EQ(scrub("near '" + long_pw + "' at line 1, " + long_pw, long_pw), "near '***' at line 1, ***");
  EXPECT_EQ(scrub("pw=#!" + std::string("x") + "#!;", std::string("#!x#!")), "pw=***;");
  // Inside a word it stays: "rror" in "error", "Secret" in "Secrets".
  EXPECT_EQ(scrub("error: no Secrets", std::string("rror")), "error: no Secrets");
  EXPECT_EQ(scrub("error: no Secrets", std::string("Secret")), "error: no Secrets");
  // Letters beyond ASCII are part of words.
  EXPECT_EQ(scrub("caf\xc3\xa9", std::string("caf")), "caf\xc3\xa9");
  EXPECT_EQ(scrub("anything", std::nullopt), "anything");
  EXPECT_EQ(scrub("anything", std::string()), "anything");
}

}  // namespace
}  // namespace gp::db
