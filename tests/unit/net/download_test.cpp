#include "net/download.hpp"

#include <gtest/gtest.h>

#include "fixture.hpp"

namespace gp {
namespace {

TEST(Download, RecognisesUrls) {
  EXPECT_TRUE(is_url("http://example.invalid/a"));
  EXPECT_TRUE(is_url("HTTPS://example.invalid/a"));
  EXPECT_FALSE(is_url("ftp://example.invalid/a"));
  EXPECT_FALSE(is_url("file:///etc/passwd"));
  EXPECT_FALSE(is_url("site_live_code.tar.gz"));
  EXPECT_FALSE(is_url("http:/x"));
}

TEST(Download, RedactsQueryStrings) {
  EXPECT_EQ(redact_url("https://h/p/a.tar.gz?X-Amz-Signature=abc&X-Amz-Expires=60"), "https://h/p/a.tar.gz?...");
  EXPECT_EQ(redact_url("https://h/p/a.tar.gz#frag"), "https://h/p/a.tar.gz?...");
  EXPECT_EQ(redact_url("https://h/p/a.tar.gz"), "https://h/p/a.tar.gz");
}

TEST(Download, NamesTheFileAfterThePath) {
  EXPECT_EQ(url_file_name("https://h/x/site_live_2026-11-25T10-00-00_UTC_database.sql.gz?Signature=s/e/c"),
            "site_live_2026-11-25T10-00-00_UTC_database.sql.gz");
  EXPECT_EQ(url_file_name("http://h:8080/a%20b.tar.gz"), "a b.tar.gz");
  EXPECT_THROW(url_file_name("https://h/"), Error);
  EXPECT_THROW(url_file_name("https://h"), Error);
  EXPECT_THROW(url_file_name("https://h/a/.."), Error);
  EXPECT_THROW(url_file_name("https://h/a%2fb"), Error);  // an encoded slash would leave dest_dir
}

class DownloadRefuses : public test::TempDirTest {};

TEST_F(DownloadRefuses, OtherSchemesWithoutTouchingTheNetwork) {
  NullProgress p;
  try {
    download("ftp://127.0.0.1/x.tar.gz?secret=1", root() / "d", p);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Exit::bad_input);
    EXPECT_EQ(std::string(e.what()).find("secret"), std::string::npos);
  }
}

}  // namespace
}  // namespace gp
