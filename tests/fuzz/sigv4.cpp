// Fuzzes the SigV4 canonicaliser and signer (storage/sigv4.hpp). The input is
// split on '\n' into: method, path, then "name=value" query pairs until an empty
// line, then "name: value" headers. Checked: uri_decode undoes uri_encode, the
// canonical URI and query use only unreserved characters and escapes, and the
// secret key never shows in anything returned.
#include "fuzz_util.hpp"
#include "storage/sigv4.hpp"
#include "util/error.hpp"

namespace {

const char* kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

bool only_encoded(const std::string& s, const std::string& extra) {
  for (unsigned char c : s) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
              c == '_' || c == '~' || c == '%' || extra.find(static_cast<char>(c)) != std::string::npos;
    if (!ok) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string in = gp::fuzz::as_string(data, size);
  std::vector<std::string> lines;
  for (size_t i = 0; i <= in.size();) {
    size_t nl = in.find('\n', i);
    if (nl == std::string::npos) nl = in.size();
    lines.push_back(in.substr(i, nl - i));
    i = nl + 1;
  }
  gp::sigv4::Request req;
  req.method = lines.size() > 0 ? lines[0] : "GET";
  req.path = lines.size() > 1 ? lines[1] : "/";
  size_t i = 2;
  for (; i < lines.size() && !lines[i].empty(); ++i) {
    auto eq = lines[i].find('=');
    req.query.emplace_back(lines[i].substr(0, eq), eq == std::string::npos ? "" : lines[i].substr(eq + 1));
  }
  for (++i; i < lines.size(); ++i) {
    auto colon = lines[i].find(':');
    req.headers.emplace_back(lines[i].substr(0, colon), colon == std::string::npos ? "" : lines[i].substr(colon + 1));
  }
  req.payload_hash = gp::sigv4::kUnsignedPayload;

  GP_FUZZ_CHECK(gp::sigv4::uri_decode(gp::sigv4::uri_encode(in)) == in, "uri_decode(uri_encode(x)) != x");
  GP_FUZZ_CHECK(gp::sigv4::uri_decode(gp::sigv4::uri_encode(in, true)) == in, "uri_decode(uri_encode(x, true)) != x");
  (void)gp::sigv4::uri_decode(in);
  const std::string uri = gp::sigv4::canonical_uri(req.path);
  GP_FUZZ_CHECK(only_encoded(uri, "/"), "canonical URI not encoded: " + uri);
  const std::string query = gp::sigv4::canonical_query(req.query);
  GP_FUZZ_CHECK(only_encoded(query, "=&"), "canonical query not encoded: " + query);

  const bool secret_in_input = in.find(kSecret) != std::string::npos;
  try {
    (void)gp::sigv4::canonical_headers(req.headers);
    (void)gp::sigv4::canonical_request(req);
    gp::sigv4::Credentials creds{"AKIDEXAMPLE", kSecret, lines.size() > 2 ? lines[2] : ""};
    auto h = gp::sigv4::sign_headers(req, creds, "us-east-1", "s3", "20261125T120000Z");
    GP_FUZZ_CHECK(h.signature.size() == 64, "signature is not 64 hex digits");
    auto p = gp::sigv4::presign(req, creds, "us-east-1", "s3", "20261125T120000Z", 3600, size % 2 == 1);
    if (!secret_in_input) {
      for (const auto* s : {&h.canonical_request, &h.string_to_sign, &h.authorization, &h.query, &p.canonical_request,
                            &p.string_to_sign, &p.authorization, &p.query})
        GP_FUZZ_CHECK(s->find(kSecret) == std::string::npos, "the secret key appears in a signed request");
    }
  } catch (const gp::Error&) {
  }
  return 0;
}
