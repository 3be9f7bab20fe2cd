#pragma once
// AWS Signature Version 4, as S3 wants it: the canonical request (each path
// segment URI-encoded once, never normalised; the query sorted by encoded name then
// value; header names lower-cased, values trimmed with inner runs of white space
// collapsed), the string to sign, the HMAC-SHA256 signing-key chain, the
// Authorization header, and query-string signing for presigned URLs.
// Pure functions, no I/O; the secret key never appears in any returned string.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gp::sigv4 {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty when not temporary credentials
};

using Params = std::vector<std::pair<std::string, std::string>>;

// One request to sign. Names and values are raw (not percent-encoded): the signer
// encodes them. Every header in `headers` is signed (include `host`).
struct Request {
  std::string method;
  std::string path = "/";  // e.g. "/bucket/my key.tar.gz"
  Params query;
  Params headers;
  std::string payload_hash;  // hex sha256 of the body, or "UNSIGNED-PAYLOAD"
};

struct Signed {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;      // hex
  std::string authorization;  // header signing: the Authorization header's value
  std::string query;          // presigning: the full encoded query string, signature last
};

inline constexpr const char* kUnsignedPayload = "UNSIGNED-PAYLOAD";
inline constexpr const char* kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// RFC 3986 percent-encoding of everything but A-Z a-z 0-9 - . _ ~ (and '/' when
// keep_slash), upper-case hex, as SigV4 requires.
std::string uri_encode(std::string_view s, bool keep_slash = false);
// Decodes %XX escapes (for parsing request lines in tests and URLs); '+' stays '+'.
std::string uri_decode(std::string_view s);

// The canonical URI: each '/'-separated segment encoded, no normalisation (S3).
std::string canonical_uri(std::string_view path);
// The canonical query string: encoded pairs sorted by encoded name, then value.
std::string canonical_query(const Params& query);
// Canonical header block (each "name:value\n") and the ';'-joined signed header list.
std::pair<std::string, std::string> canonical_headers(const Params& headers);
std::string canonical_request(const Request& req);

// "<yyyymmdd>/<region>/<service>/aws4_request"
std::string credential_scope(std::string_view amz_date, std::string_view region, std::string_view service);
std::string string_to_sign(std::string_view amz_date, std::string_view scope, std::string_view canonical_request);
// The raw 32-byte signing key: HMAC chain over date, region, service, "aws4_request".
std::string signing_key(std::string_view secret, std::string_view yyyymmdd, std::string_view region,
                        std::string_view service);
// Raw HMAC-SHA256.
std::string hmac_sha256(std::string_view key, std::string_view data);

// Signs `req` as it is (the caller has added host, x-amz-date, x-amz-content-sha256
// and x-amz-security-token headers as wanted). `amz_date` is "YYYYMMDDTHHMMSSZ".
Signed sign_headers(const Request& req, const Credentials& creds, std::string_view region,
                    std::string_view service, std::string_view amz_date);

// Presigns `req`: adds X-Amz-Algorithm, -Credential, -Date, -Expires, -SignedHeaders
// (and X-Amz-Security-Token, inside the signature unless `token_after_signing`) to the
// query, signs, and returns the query string with X-Amz-Signature last. For S3 the
// payload hash is UNSIGNED-PAYLOAD.
Signed presign(Request req, const Credentials& creds, std::string_view region, std::string_view service,
               std::string_view amz_date, int64_t expires_seconds, bool token_after_signing = false);

// The current UTC time as "YYYYMMDDTHHMMSSZ".
std::string amz_date_now();

}  // namespace gp::sigv4
