// git pantheon version (also --version): this program's version and the
// versions of the libraries actually loaded.
#include <archive.h>
#include <curl/curl.h>
#include <git2.h>
#include <openssl/crypto.h>
#include <sqlite3.h>
#include <zlib.h>

#include <cstdio>

#include "commands.hpp"
#include "util/version.hpp"

namespace gp::cli {

namespace {

int run_version(Context&, Args& args) {
  args.operands(0, 0);
  int major = 0, minor = 0, rev = 0;
  git_libgit2_version(&major, &minor, &rev);
  std::printf("git-pantheon version %s\n", kVersion);
  std::printf("libgit2 %d.%d.%d\n", major, minor, rev);
  std::printf("%s\n", archive_version_details());
  std::printf("%s\n", curl_version());
  std::printf("sqlite %s, zlib %s, %s\n", sqlite3_libversion(), zlibVersion(), OpenSSL_version(OPENSSL_VERSION));
  return 0;
}

}  // namespace

const Command kVersionCommand{.name = "version",
                              .summary = "print the version of git-pantheon and of its libraries",
                              .run = run_version,
                              .man = "git-pantheon",
                              .needs_repo = false};

}  // namespace gp::cli
