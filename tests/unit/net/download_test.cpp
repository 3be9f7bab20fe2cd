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

TEST(Download, DropboxShareLinksAskForTheFile) {
  EXPECT_EQ(direct_download_url("https://www.dropbox.com/s/abc/site_live_files.tar.gz?dl=0"),
            "https://www.dropbox.com/s/abc/site_live_files.tar.gz?dl=1");
  EXPECT_EQ(direct_download_url("https://www.dropbox.com/scl/fi/x/a.tar.gz?rlkey=K&dl=0"),
            "https://www.dropbox.com/scl/fi/x/a.tar.gz?rlkey=K&dl=1");
  EXPECT_EQ(direct_download_url("https://dropbox.com/s/abc/a.tar.gz"), "https://dropbox.com/s/abc/a.tar.gz?dl=1");
  EXPECT_EQ(direct_download_url("https://WWW.DROPBOX.COM/s/abc/a.tar.gz?dl=1&dl=0#x"),
            "https://WWW.DROPBOX.COM/s/abc/a.tar.gz?dl=1");
  // Only Dropbox itself: not a look-alike host, not a path that mentions it.
  for (auto u : {"https://dropbox.com.evil.invalid/a.tar.gz?dl=0", "https://evil.invalid/www.dropbox.com/a.tar.gz?dl=0",
                 "https://h.invalid/a.tar.gz?dl=0", "https://user@h.invalid/x?dl=0"})
    EXPECT_EQ(direct_download_url(u), u);
  EXPECT_EQ(direct_download_url("https://u:p@www.dropbox.com:443/s/a/b.zip?dl=0"), "https://u:p@www.dropbox.com:443/s/a/b.zip?dl=1");
}

TEST(Download, ShareLinkHintsNameTheDirectForm) {
  auto drive = share_link_hint("https://drive.google.com/file/d/1AbC_dEf/view?usp=sharing");
  EXPECT_NE(drive.find("https://drive.google.com/uc?export=download&id=1AbC_dEf"), std::string::npos) << drive;
  EXPECT_NE(share_link_hint("https://1drv.ms/u/s!Abc").find("download=1"), std::string::npos);
  EXPECT_NE(share_link_hint("https://contoso-my.sharepoint.com/:u:/g/x").find("download=1"), std::string::npos);
  EXPECT_EQ(share_link_hint("https://notsharepoint.com/x"), "");
  EXPECT_EQ(share_link_hint("https://example.invalid/a.tar.gz"), "");
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
