// The fuzz targets' regression inputs (tests/fuzz/regressions/<target>/), replayed
// in every build, the g++ one too (where the libFuzzer targets are not built):
// each input must be answered with gp::Error or handled, and keep the property
// the fuzz target checks.
#include <gtest/gtest.h>

#include <algorithm>

#include "archive/tar.hpp"
#include "backup/manifest.hpp"
#include "content/rewrite.hpp"
#include "fixture.hpp"
#include "import/squash.hpp"

namespace gp {
namespace {

fs::path regressions(const std::string& target) {
  return fs::path(GP_UNIT_DIR).parent_path() / "fuzz" / "regressions" / target;
}

std::vector<fs::path> inputs(const std::string& target) {
  std::vector<fs::path> out;
  for (auto& e : fs::directory_iterator(regressions(target)))
    if (e.is_regular_file()) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

class FuzzRegressionsTest : public test::TempDirTest {};

TEST_F(FuzzRegressionsTest, Archives) {
  auto files = inputs("archive");
  ASSERT_FALSE(files.empty());
  fs::path repo_dir = root() / "repo";
  fs::create_directories(repo_dir);
  run({"git", "init", "-q", "-b", "main", "."}, repo_dir);
  Repo repo = Repo::open(repo_dir);
  for (auto& f : files) {
    SCOPED_TRACE(f.filename().string());
    NullProgress np;
    fs::path dest = root() / ("dest-" + f.filename().string());
    try {
      extract_archive(f, dest, 0, ExtractLimits{}, np);
    } catch (const Error&) {
    }
    try {
      read_archive_into_odb(repo.get(), f, std::nullopt, np);
    } catch (const Error&) {
    }
  }
  // The zip whose entry data ends early: archive_read_data's ARCHIVE_WARN was
  // used as a length. Now it is an integrity error.
  NullProgress np;
  try {
    read_archive_into_odb(repo.get(), regressions("archive") / "zip-read-data-warn-as-length.zip", std::nullopt, np);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Exit::integrity) << e.what();
  }
}

TEST_F(FuzzRegressionsTest, Manifests) {
  auto files = inputs("manifest");
  ASSERT_FALSE(files.empty());
  for (auto& f : files) {
    SCOPED_TRACE(f.filename().string());
    std::string text = read_text_file(f);
    Manifest m;
    try {
      m = parse_manifest(text, "t");
    } catch (const Error&) {
      continue;
    }
    std::string once = render_manifest(m);
    EXPECT_EQ(render_manifest(parse_manifest(once, "t")), once);
  }
}


TEST_F(FuzzRegressionsTest, Rewrites) {
  // As tests/fuzz/rewrite.cpp: byte 0 picks the dialect and the chunk size.
  struct Sink final : ByteSink {
    std::string data;
    void write(const char* d, size_t n) override { data.append(d, n); }
  };
  UrlRewriter urls(std::vector<UrlPair>{{"https://www.example.com", "https://test.example.com"},
                                        {"http://ex.org:8080/p", "https://ex.org"}});
  auto run = [&](const std::string& sql, DbKind d, size_t chunk) {
    Sink out;
    SqlRewriteOptions opt;
    opt.max_value = 4096;
    SqlRewriter r(out, urls, d, opt);
    for (size_t i = 0; i < sql.size(); i += chunk) r.write(sql.data() + i, std::min(chunk, sql.size() - i));
    r.close();
    return out.data;
  };
  auto files = inputs("rewrite");
  ASSERT_FALSE(files.empty());
  for (auto& f : files) {
    SCOPED_TRACE(f.filename().string());
    std::string in = read_text_file(f);
    ASSERT_FALSE(in.empty());
    const DbKind kinds[] = {DbKind::mysql, DbKind::postgres, DbKind::sqlite};
    auto b = static_cast<unsigned char>(in[0]);
    std::string sql = in.substr(1);
    EXPECT_EQ(run(sql, kinds[b % 3], 1 + (b >> 2) % 37), run(sql, kinds[b % 3], sql.size() + 1));
  }
}

}  // namespace
}  // namespace gp
