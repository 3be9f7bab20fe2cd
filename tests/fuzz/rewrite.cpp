// Fuzzes the URL rewrite of SQL dumps (content/rewrite.hpp). The first byte picks
// the dialect and a chunk size; the rest is the dump. Properties: the output does
// not depend on how the input is cut into writes; a dump in which no source host
// occurs comes out byte for byte; a rewriter without pairs changes nothing; the
// text rewrite of the whole input as one value changes it only by replacing.
#include "content/rewrite.hpp"

#include "fuzz_util.hpp"
#include "util/error.hpp"

namespace {

struct StringSink final : gp::ByteSink {
  std::string data;
  void write(const char* d, size_t n) override { data.append(d, n); }
};

std::string run(const std::string& sql, const gp::UrlRewriter& urls, gp::DbKind d, size_t chunk) {
  StringSink out;
  gp::SqlRewriteOptions opt;
  opt.max_value = 4096;  // the limit is reached too
  gp::SqlRewriter r(out, urls, d, opt);
  for (size_t i = 0; i < sql.size(); i += chunk) r.write(sql.data() + i, std::min(chunk, sql.size() - i));
  r.close();
  return out.data;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static const gp::UrlRewriter urls(std::vector<gp::UrlPair>{{"https://www.example.com", "https://test.example.com"},
                                                             {"http://ex.org:8080/p", "https://ex.org"}});
  static const gp::UrlRewriter none(std::vector<gp::UrlPair>{});
  const gp::DbKind kinds[] = {gp::DbKind::mysql, gp::DbKind::postgres, gp::DbKind::sqlite};
  gp::DbKind d = kinds[data[0] % 3];
  size_t chunk = 1 + (data[0] >> 2) % 37;
  const std::string sql = gp::fuzz::as_string(data + 1, size - 1);

  std::string whole = run(sql, urls, d, sql.size() + 1);
  GP_FUZZ_CHECK(run(sql, urls, d, chunk) == whole, "chunking changed the output");
  GP_FUZZ_CHECK(run(sql, none, d, chunk) == sql, "a rewriter without pairs changed the dump");
  bool any = false;
  for (auto& n : urls.needles()) any = any || sql.find(n) != std::string::npos;
  if (!any) GP_FUZZ_CHECK(whole == sql, "a dump without a source host changed");

  // The text rewrite of the whole input as one value terminates and stays bounded.
  std::string once;
  auto r = urls.rewrite(sql, once);
  GP_FUZZ_CHECK(r.replaced > 0 || once == sql, "nothing replaced, yet the text changed");
  return 0;
}
