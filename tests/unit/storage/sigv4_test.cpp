// SigV4 against published vectors: the AWS SigV4 test suite (2015), aws-c-auth's
// suite with its query-signed (presigned) variants, and the S3 examples from the AWS
// documentation (tests/testdata/README.md says where each comes from). No network.
#include "storage/sigv4.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "util/sha256.hpp"

namespace gp::sigv4 {
namespace {

namespace fs = std::filesystem;

const fs::path kData = fs::path(GP_TESTDATA_DIR) / "sigv4";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  EXPECT_TRUE(in) << "missing " << p;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Parsed {
  Request req;
  std::string body;
};

Params parse_query(const std::string& q) {
  Params out;
  if (q.empty()) return out;
  size_t pos = 0;
  for (;;) {
    size_t amp = q.find('&', pos);
    std::string item = q.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
    size_t eq = item.find('=');
    if (eq == std::string::npos)
      out.emplace_back(uri_decode(item), "");
    else
      out.emplace_back(uri_decode(item.substr(0, eq)), uri_decode(item.substr(eq + 1)));
    if (amp == std::string::npos) break;
    pos = amp + 1;
  }
  return out;
}

// A raw request file: "METHOD URI HTTP/1.1", "Name:value" lines (continuation lines
// start with white space), a blank line, the body.
Parsed parse_request(const std::string& text) {
  Parsed p;
  size_t eol = text.find('\n');
  std::string first = text.substr(0, eol);
  size_t sp1 = first.find(' ');
  size_t sp2 = first.rfind(' ');
  p.req.method = first.substr(0, sp1);
  std::string uri = first.substr(sp1 + 1, sp2 - sp1 - 1);
  size_t qm = uri.find('?');
  p.req.path = uri.substr(0, qm);
  if (qm != std::string::npos) p.req.query = parse_query(uri.substr(qm + 1));
  size_t pos = eol == std::string::npos ? text.size() : eol + 1;
  while (pos < text.size()) {
    size_t e = text.find('\n', pos);
    std::string line = text.substr(pos, e == std::string::npos ? std::string::npos : e - pos);
    pos = e == std::string::npos ? text.size() : e + 1;
    if (line.empty()) {
      p.body = text.substr(pos);
      break;
    }
    if ((line[0] == ' ' || line[0] == '\t') && !p.req.headers.empty()) {
      p.req.headers.back().second += "\n" + line;
      continue;
    }
    size_t colon = line.find(':');
    p.req.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }
  p.req.payload_hash = sha256_hex(p.body);
  return p;
}

const Credentials kSuiteCreds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
const char* kSuiteDate = "20150830T123600Z";

// ---------------------------------------------------------------------------
// aws-sig-v4-test-suite: canonical request, string to sign, Authorization header.
TEST(SigV4Suite, AllApplicableCases) {
  // Skipped, and why:
  //  - normalize-path/* with dot segments or repeated slashes: they expect RFC 3986
  //    path normalisation, which S3 must NOT do (normalize-path.txt says so; the
  //    unnormalized variants run in the aws-c-auth suite below). get-space runs.
  //  - get-header-value-multiline: this edition joins folded lines with ','; the
  //    newer aws-c-auth suite (run below) joins them with a space, and AWS signs that.
  const std::set<std::string> skipped = {"get-relative",       "get-relative-relative", "get-slash",
                                         "get-slash-dot-slash", "get-slash-pointless-dot", "get-slashes",
                                         "get-header-value-multiline"};
  //  - post-x-www-form-urlencoded{,-parameters}: only the canonical request is
  //    checked; the suite's .sts is not the hash of its own .creq (sha256 of the
  //    .creq file differs from the hash line of the .sts), so .sts/.authz cannot match
  //    any signer. aws-c-auth's fixed version of both cases runs below.
  const std::set<std::string> creq_only = {"post-x-www-form-urlencoded", "post-x-www-form-urlencoded-parameters"};
  int ran = 0, skips = 0;
  for (auto& e : fs::recursive_directory_iterator(kData / "aws-sig-v4-test-suite")) {
    if (e.path().extension() != ".req") continue;
    std::string name = e.path().stem().string();
    if (skipped.count(name)) {
      ++skips;
      continue;
    }
    SCOPED_TRACE(name);
    auto base = e.path().parent_path() / name;
    Parsed p = parse_request(slurp(e.path()));
    Credentials creds = kSuiteCreds;
    auto s = sign_headers(p.req, creds, "us-east-1", "service", kSuiteDate);
    EXPECT_EQ(s.canonical_request, slurp(base.string() + ".creq"));
    ++ran;
    if (creq_only.count(name)) continue;
    EXPECT_EQ(s.string_to_sign, slurp(base.string() + ".sts"));
    EXPECT_EQ(s.authorization, slurp(base.string() + ".authz"));
  }
  EXPECT_EQ(skips, 7);
  EXPECT_EQ(ran, 24);  // every other case of the suite
}

// ---------------------------------------------------------------------------
// aws-c-auth v4 suite: header signing and query signing (presigned URLs).
struct Context {
  Credentials creds;
  bool normalize = true, sign_body = false, omit_token = false;
};

std::string json_string(const std::string& json, const std::string& key) {
  size_t k = json.find("\"" + key + "\"");
  if (k == std::string::npos) return {};
  size_t colon = json.find(':', k);
  size_t q1 = json.find('"', colon);
  size_t q2 = json.find('"', q1 + 1);
  return json.substr(q1 + 1, q2 - q1 - 1);
}
bool json_true(const std::string& json, const std::string& key) {
  size_t k = json.find("\"" + key + "\"");
  if (k == std::string::npos) return false;
  size_t colon = json.find(':', k);
  return json.compare(json.find_first_not_of(" \t\n", colon + 1), 4, "true") == 0;
}

Context read_context(const fs::path& p) {
  std::string j = slurp(p);
  Context c;
  c.creds = {json_string(j, "access_key_id"), json_string(j, "secret_access_key"), json_string(j, "token")};
  c.normalize = json_true(j, "normalize");
  c.sign_body = json_true(j, "sign_body");
  c.omit_token = json_true(j, "omit_session_token");
  EXPECT_EQ(json_string(j, "region"), "us-east-1");
  EXPECT_EQ(json_string(j, "service"), "service");
  return c;
}

std::multiset<std::string> query_params_of_request_line(const std::string& signed_request) {
  std::string first = signed_request.substr(0, signed_request.find('\n'));
  std::string uri = first.substr(first.find(' ') + 1);
  uri = uri.substr(0, uri.rfind(' '));
  std::multiset<std::string> out;
  std::string q = uri.substr(uri.find('?') + 1);
  std::stringstream ss(q);
  std::string item;
  while (std::getline(ss, item, '&')) out.insert(uri_decode(item));
  return out;
}

TEST(SigV4AwsCAuth, HeaderAndQuerySigning) {
  // Skipped: the "*-normalized" cases of paths with dot segments or repeated
  // slashes expect path normalisation, which S3 does not do; their "*-unnormalized"
  // twins (S3 semantics) run.
  const std::set<std::string> skipped = {
      "get-relative-normalized",          "get-relative-relative-normalized", "get-slash-dot-slash-normalized",
      "get-slash-normalized",             "get-slash-pointless-dot-normalized", "get-slashes-normalized"};
  int ran = 0, skips = 0;
  for (auto& e : fs::directory_iterator(kData / "aws-c-auth-v4")) {
    if (!e.is_directory()) continue;
    std::string name = e.path().filename().string();
    if (skipped.count(name)) {
      ++skips;
      continue;
    }
    SCOPED_TRACE(name);
    Context ctx = read_context(e.path() / "context.json");
    Parsed p = parse_request(slurp(e.path() / "request.txt"));

    // Header signing: the signer adds X-Amz-Date, the token (unless it goes on
    // after signing) and, when the body is signed, x-amz-content-sha256.
    Request hreq = p.req;
    hreq.headers.emplace_back("X-Amz-Date", kSuiteDate);
    if (!ctx.creds.session_token.empty() && !ctx.omit_token)
      hreq.headers.emplace_back("X-Amz-Security-Token", ctx.creds.session_token);
    if (ctx.sign_body) hreq.headers.emplace_back("x-amz-content-sha256", hreq.payload_hash);
    auto h = sign_headers(hreq, ctx.creds, "us-east-1", "service", kSuiteDate);
    EXPECT_EQ(h.canonical_request, slurp(e.path() / "header-canonical-request.txt"));
    EXPECT_EQ(h.string_to_sign, slurp(e.path() / "header-string-to-sign.txt"));
    EXPECT_EQ(h.signature, slurp(e.path() / "header-signature.txt"));

    // Query signing (presigned URL).
    auto q = presign(p.req, ctx.creds, "us-east-1", "service", kSuiteDate, 3600, ctx.omit_token);
    EXPECT_EQ(q.canonical_request, slurp(e.path() / "query-canonical-request.txt"));
    EXPECT_EQ(q.string_to_sign, slurp(e.path() / "query-string-to-sign.txt"));
    EXPECT_EQ(q.signature, slurp(e.path() / "query-signature.txt"));
    std::multiset<std::string> ours;
    std::stringstream ss(q.query);
    std::string item;
    while (std::getline(ss, item, '&')) ours.insert(uri_decode(item));
    EXPECT_EQ(ours, query_params_of_request_line(slurp(e.path() / "query-signed-request.txt")));
    ++ran;
  }
  EXPECT_EQ(skips, 6);
  EXPECT_EQ(ran, 32);
}

// ---------------------------------------------------------------------------
// S3 examples from the AWS documentation (sigv4/presign-vectors.md).
const Credentials kS3Creds{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};

TEST(SigV4S3Docs, PresignedGet) {
  Request r;
  r.method = "GET";
  r.path = "/test.txt";
  r.headers = {{"host", "examplebucket.s3.amazonaws.com"}};
  r.payload_hash = kUnsignedPayload;
  auto s = presign(r, kS3Creds, "us-east-1", "s3", "20130524T000000Z", 86400);
  EXPECT_EQ(s.canonical_request,
            "GET\n/test.txt\nX-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-"
            "east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\n"
            "host:examplebucket.s3.amazonaws.com\n\nhost\nUNSIGNED-PAYLOAD");
  EXPECT_EQ(s.string_to_sign,
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04");
  EXPECT_EQ(s.signature, "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
  EXPECT_EQ("https://examplebucket.s3.amazonaws.com" + canonical_uri(r.path) + "?" + s.query,
            "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
            "AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-"
            "Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature="
            "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

Request s3_doc_request(std::string method, std::string path, Params query, std::string payload) {
  Request r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.query = std::move(query);
  r.headers = {{"host", "examplebucket.s3.amazonaws.com"},
               {"x-amz-content-sha256", payload},
               {"x-amz-date", "20130524T000000Z"}};
  r.payload_hash = payload;
  return r;
}

TEST(SigV4S3Docs, HeaderSigningExamples) {
  {  // 2a: GET with Range
    auto r = s3_doc_request("GET", "/test.txt", {}, kEmptySha256);
    r.headers.emplace_back("Range", "bytes=0-9");
    auto s = sign_headers(r, kS3Creds, "us-east-1", "s3", "20130524T000000Z");
    EXPECT_EQ(sha256_hex(s.canonical_request), "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
    EXPECT_EQ(s.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    EXPECT_EQ(s.authorization,
              "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
              "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
              "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  }
  {  // 2b: PUT with '$' in the key
    std::string body = "Welcome to Amazon S3.";
    auto r = s3_doc_request("PUT", "/test$file.text", {}, sha256_hex(body));
    EXPECT_EQ(r.payload_hash, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
    r.headers.emplace_back("Date", "Fri, 24 May 2013 00:00:00 GMT");
    r.headers.emplace_back("x-amz-storage-class", "REDUCED_REDUNDANCY");
    auto s = sign_headers(r, kS3Creds, "us-east-1", "s3", "20130524T000000Z");
    EXPECT_NE(s.canonical_request.find("\n/test%24file.text\n"), std::string::npos);
    EXPECT_EQ(sha256_hex(s.canonical_request), "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d");
    EXPECT_EQ(s.signature, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
  }
  {  // 2c: ?lifecycle, a query key without a value
    auto r = s3_doc_request("GET", "/", {{"lifecycle", ""}}, kEmptySha256);
    auto s = sign_headers(r, kS3Creds, "us-east-1", "s3", "20130524T000000Z");
    EXPECT_EQ(sha256_hex(s.canonical_request), "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca");
    EXPECT_EQ(s.signature, "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
  }
  {  // 2d: list objects, query given out of order
    auto r = s3_doc_request("GET", "/", {{"prefix", "J"}, {"max-keys", "2"}}, kEmptySha256);
    auto s = sign_headers(r, kS3Creds, "us-east-1", "s3", "20130524T000000Z");
    EXPECT_EQ(sha256_hex(s.canonical_request), "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7");
    EXPECT_EQ(s.signature, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
  }
}

TEST(SigV4S3Docs, SigningKeyDerivation) {
  EXPECT_EQ(to_hex(signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam")),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST(SigV4, S3PathRules) {
  // Each segment encoded once; no normalisation; '/' kept; unreserved kept.
  EXPECT_EQ(canonical_uri("/b/a b/../c//d.tar.gz"), "/b/a%20b/../c//d.tar.gz");
  EXPECT_EQ(canonical_uri("/b/x+y=z~_-.!"), "/b/x%2By%3Dz~_-.%21");
  EXPECT_EQ(canonical_query({{"uploads", ""}}), "uploads=");
  EXPECT_EQ(canonical_query({{"b", "2"}, {"a", "x y"}, {"a", "1"}}), "a=1&a=x%20y&b=2");
}

}  // namespace
}  // namespace gp::sigv4
