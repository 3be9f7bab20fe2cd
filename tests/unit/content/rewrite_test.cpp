// UrlRewriter: the forms of a URL, the whole-host rule, PHP-serialized data.
#include "content/rewrite.hpp"

#include <gtest/gtest.h>

namespace gp {
namespace {

const std::vector<UrlPair> kLiveToTest = {{"https://www.example.com", "https://test.example.com"}};

std::string rw(const std::string& in, const std::vector<UrlPair>& pairs = kLiveToTest, uint64_t* count = nullptr,
               bool* skipped = nullptr) {
  UrlRewriter r(pairs);
  std::string out;
  auto res = r.rewrite(in, out);
  if (count) *count = res.replaced;
  if (skipped) *skipped = res.skipped;
  return out;
}

TEST(UrlRewriter, PlainJsonEncodedProtocolRelativeAndBareHost) {
  uint64_t n = 0;
  EXPECT_EQ(rw("see https://www.example.com/x and https://www.example.com", kLiveToTest, &n),
            "see https://test.example.com/x and https://test.example.com");
  EXPECT_EQ(n, 2u);
  EXPECT_EQ(rw(R"({"u":"https:\/\/www.example.com\/a"})"), R"({"u":"https:\/\/test.example.com\/a"})");
  EXPECT_EQ(rw("u=https%3A%2F%2Fwww.example.com%2Fa&v=https%3a%2f%2fwww.example.com"),
            "u=https%3A%2F%2Ftest.example.com%2Fa&v=https%3a%2f%2ftest.example.com");
  EXPECT_EQ(rw("<img src=\"//www.example.com/i.png\">"), "<img src=\"//test.example.com/i.png\">");
  EXPECT_EQ(rw("www.example.com"), "test.example.com");
  EXPECT_EQ(rw("http://www.example.com/"), "http://test.example.com/");  // the host keeps its scheme
  EXPECT_EQ(rw("mail me@www.example.com."), "mail me@test.example.com.");
  EXPECT_EQ(rw("www.example.com:8080/x"), "test.example.com:8080/x");
}

TEST(UrlRewriter, OnlyWholeHosts) {
  for (std::string s : {"cdn.www.example.com", "www.example.com.evil", "mywww.example.com", "www.example.community",
                        "https://www.example.com.evil/", "www.example.com-old", "x_www.example.com"}) {
    uint64_t n = 1;
    EXPECT_EQ(rw(s, kLiveToTest, &n), s);
    EXPECT_EQ(n, 0u) << s;
  }
  // Already rewritten text stays as it is (the source host is not inside the target's).
  EXPECT_EQ(
      rw("https://www.example.com.test.local", {{"https://www.example.com", "https://www.example.com.test.local"}}),
      "https://www.example.com.test.local");
  // An encoded delimiter before a bare host is a delimiter.
  EXPECT_EQ(rw("a%40www.example.com"), "a%40test.example.com");
}

TEST(UrlRewriter, SeveralPairsSchemeChangeAndPaths) {
  std::vector<UrlPair> pairs = {{"https://www.example.com", "https://test.example.com"},
                                {"https://example.com", "https://test.example.com"}};
  EXPECT_EQ(rw("https://example.com/x https://www.example.com/y example.com", pairs),
            "https://test.example.com/x https://test.example.com/y test.example.com");
  EXPECT_EQ(rw("https://a.com/x http://a.com a.com", {{"https://a.com", "http://b.org"}}),
            "http://b.org/x http://b.org b.org");
  std::vector<UrlPair> blog = {{"https://example.com/blog", "https://test.example.com"}};
  EXPECT_EQ(rw("https://example.com/blog/post https://example.com/blog", blog),
            "https://test.example.com/post https://test.example.com");
  EXPECT_EQ(rw(R"(https:\/\/example.com\/blog\/p)", blog), R"(https:\/\/test.example.com\/p)");
  EXPECT_EQ(rw("https://example.com/blogging", blog), "https://test.example.com/blogging");  // host rule
  // A port: written %3A in URL-encoded text.
  std::vector<UrlPair> ported = {{"http://localhost:8080", "https://test.example.com"}};
  EXPECT_EQ(rw("http%3A%2F%2Flocalhost%3A8080%2Fx http://localhost:8080/y localhost:8080", ported),
            "https%3A%2F%2Ftest.example.com%2Fx https://test.example.com/y test.example.com");
  EXPECT_EQ(rw("r=http%3A%2F%2Fwww.example.com%2Fa", {{"http://www.example.com", "http://localhost:8080"}}),
            "r=http%3A%2F%2Flocalhost%3A8080%2Fa");
  // Bare hosts as pairs.
  EXPECT_EQ(rw("old.example.org/x https://old.example.org", {{"old.example.org", "new.example.org"}}),
            "new.example.org/x https://new.example.org");
}

TEST(UrlRewriter, SerializedStringsGetTheirLengthFixed) {
  EXPECT_EQ(rw(R"(s:23:"https://www.example.com";)"), R"(s:24:"https://test.example.com";)");
  std::string in =
      R"(a:3:{s:4:"home";s:27:"https://www.example.com/abc";i:5;a:1:{s:1:"u";s:15:"www.example.com";}s:1:"n";N;})";
  EXPECT_EQ(
      rw(in),
      R"(a:3:{s:4:"home";s:28:"https://test.example.com/abc";i:5;a:1:{s:1:"u";s:16:"test.example.com";}s:1:"n";N;})");
  // Objects, booleans, floats, integers, references.
  EXPECT_EQ(rw(R"(O:8:"stdClass":4:{s:1:"a";b:1;s:1:"b";d:0.5;s:1:"c";s:15:"www.example.com";s:1:"d";r:2;})"),
            R"(O:8:"stdClass":4:{s:1:"a";b:1;s:1:"b";d:0.5;s:1:"c";s:16:"test.example.com";s:1:"d";r:2;})");
  // Keys are not rewritten.
  EXPECT_EQ(rw(R"(a:1:{s:15:"www.example.com";s:15:"www.example.com";})"),
            R"(a:1:{s:15:"www.example.com";s:16:"test.example.com";})");
  // A string whose bytes hold a quote and a multibyte character.
  EXPECT_EQ(rw("s:28:\"\xc3\xa9\"https://www.example.com\";\";"), "s:29:\"\xc3\xa9\"https://test.example.com\";\";");
}

TEST(UrlRewriter, SerializedInsideSerializedAndText) {
  // WordPress' double serialization: a string holding a serialized array.
  std::string inner = R"(a:1:{i:0;s:23:"https://www.example.com";})";
  std::string in = "s:" + std::to_string(inner.size()) + ":\"" + inner + "\";";
  std::string want_inner = R"(a:1:{i:0;s:24:"https://test.example.com";})";
  EXPECT_EQ(rw(in), "s:" + std::to_string(want_inner.size()) + ":\"" + want_inner + "\";");
  // Serialized data inside JSON, text around it rewritten too.
  EXPECT_EQ(rw(R"({"v":"s:15:"www.example.com";","u":"www.example.com"})"),
            R"({"v":"s:16:"test.example.com";","u":"test.example.com"})");
  // A custom-serialized object (C:) has its payload length fixed.
  std::string payload = R"(x:i:0;a:1:{s:1:"u";s:15:"www.example.com";};m:a:0:{})";
  std::string c = "C:11:\"ArrayObject\":" + std::to_string(payload.size()) + ":{" + payload + "}";
  std::string want_payload = R"(x:i:0;a:1:{s:1:"u";s:16:"test.example.com";};m:a:0:{})";
  EXPECT_EQ(rw(c), "C:11:\"ArrayObject\":" + std::to_string(want_payload.size()) + ":{" + want_payload + "}");
}

TEST(UrlRewriter, BrokenSerializedDataIsLeftAlone) {
  for (std::string s : {R"(s:99:"https://www.example.com";)", R"(a:2:{s:1:"u";s:23:"https://www.example.com";})",
                        R"(a:1:{s:1:"u";s:23:"https://www.example.com")"}) {
    bool skipped = false;
    uint64_t n = 7;
    EXPECT_EQ(rw(s, kLiveToTest, &n, &skipped), s);
    EXPECT_TRUE(skipped) << s;
    EXPECT_EQ(n, 0u);
  }
  // Text before the broken part is still rewritten.
  bool skipped = false;
  EXPECT_EQ(rw(R"(www.example.com then s:99:"www.example.com";)", kLiveToTest, nullptr, &skipped),
            R"(test.example.com then s:99:"www.example.com";)");
  EXPECT_TRUE(skipped);
  // Markers inside words are not serialized data.
  EXPECT_EQ(rw(R"(has:3:"x" www.example.com)"), R"(has:3:"x" test.example.com)");
}

TEST(UrlRewriter, PairsFromEnvironments) {
  EnvConfig live, test, dev;
  live.name = "live";
  live.urls = {"https://www.example.com", "https://example.com"};
  test.name = "test";
  test.urls = {"https://test.example.com"};
  dev.name = "dev";
  auto p = env_url_pairs(live, test);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0], (UrlPair{"https://www.example.com", "https://test.example.com"}));
  EXPECT_EQ(p[1], (UrlPair{"https://example.com", "https://test.example.com"}));
  EXPECT_TRUE(env_url_pairs(live, dev).empty());
  EXPECT_TRUE(env_url_pairs(dev, test).empty());
  EXPECT_TRUE(env_url_pairs(live, live).empty());
}

TEST(UrlRewriter, ParsesRewriteArguments) {
  EXPECT_EQ(parse_url_pair("https://a.example/=https://b.example"),
            (UrlPair{"https://a.example", "https://b.example"}));
  EXPECT_EQ(parse_url_pair("a.example=b.example"), (UrlPair{"a.example", "b.example"}));
  for (std::string bad : {"https://a.example", "=b", "a=", "ftp://a=b", "https://a.example=b.example", "a b=c",
                          "https://a/?q=1=https://b"}) {
    try {
      parse_url_pair(bad);
      ADD_FAILURE() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Exit::usage) << bad;
    }
  }
}

TEST(UrlRewriter, NoPairsNoChange) {
  UrlRewriter r(std::vector<UrlPair>{{"https://a.example", "https://a.example"}});
  EXPECT_TRUE(r.empty());
  std::string out;
  EXPECT_EQ(r.rewrite("https://a.example", out).replaced, 0u);
  EXPECT_EQ(out, "https://a.example");
}

}  // namespace
}  // namespace gp
