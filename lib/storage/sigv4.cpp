#include "storage/sigv4.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>

#include "util/ascii.hpp"
#include "util/error.hpp"
#include "util/sha256.hpp"

namespace gp::sigv4 {

namespace {
bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

// Trims and collapses every run of white space (folded lines included) to one space.
std::string normalize_value(std::string_view v) {
  std::string out;
  bool pending_space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}
}  // namespace

std::string uri_encode(std::string_view s, bool keep_slash) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (unsigned char c : s) {
    if (unreserved(c) || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

std::string uri_decode(std::string_view s) {
  auto val = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && val(s[i + 1]) >= 0 && val(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(val(s[i + 1]) * 16 + val(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string canonical_uri(std::string_view path) {
  if (path.empty()) return "/";
  return uri_encode(path, /*keep_slash=*/true);
}

std::string canonical_query(const Params& query) {
  std::vector<std::pair<std::string, std::string>> enc;
  enc.reserve(query.size());
  for (auto& [k, v] : query) enc.emplace_back(uri_encode(k), uri_encode(v));
  std::sort(enc.begin(), enc.end());
  std::string out;
  for (auto& [k, v] : enc) {
    if (!out.empty()) out.push_back('&');
    out += k;
    out.push_back('=');
    out += v;
  }
  return out;
}

std::pair<std::string, std::string> canonical_headers(const Params& headers) {
  std::map<std::string, std::string> merged;  // sorted by lower-cased name
  for (auto& [name, value] : headers) {
    auto key = ascii_lower(name);
    auto v = normalize_value(value);
    auto it = merged.find(key);
    if (it == merged.end())
      merged.emplace(std::move(key), std::move(v));
    else
      it->second += "," + v;
  }
  std::string block, list;
  for (auto& [name, value] : merged) {
    block += name + ":" + value + "\n";
    if (!list.empty()) list.push_back(';');
    list += name;
  }
  return {block, list};
}

std::string canonical_request(const Request& req) {
  auto [block, list] = canonical_headers(req.headers);
  return req.method + "\n" + canonical_uri(req.path) + "\n" + canonical_query(req.query) + "\n" + block + "\n" +
         list + "\n" + req.payload_hash;
}

std::string credential_scope(std::string_view amz_date, std::string_view region, std::string_view service) {
  return std::string(amz_date.substr(0, 8)) + "/" + std::string(region) + "/" + std::string(service) +
         "/aws4_request";
}

std::string string_to_sign(std::string_view amz_date, std::string_view scope, std::string_view creq) {
  return "AWS4-HMAC-SHA256\n" + std::string(amz_date) + "\n" + std::string(scope) + "\n" + sha256_hex(creq);
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
            data.size(), out, &len))
    throw InternalError("HMAC-SHA256 failed");
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string signing_key(std::string_view secret, std::string_view yyyymmdd, std::string_view region,
                        std::string_view service) {
  std::string k = hmac_sha256("AWS4" + std::string(secret), yyyymmdd);
  k = hmac_sha256(k, region);
  k = hmac_sha256(k, service);
  return hmac_sha256(k, "aws4_request");
}

Signed sign_headers(const Request& req, const Credentials& creds, std::string_view region, std::string_view service,
                    std::string_view amz_date) {
  Signed s;
  s.canonical_request = canonical_request(req);
  auto scope = credential_scope(amz_date, region, service);
  s.string_to_sign = string_to_sign(amz_date, scope, s.canonical_request);
  s.signature = to_hex(hmac_sha256(signing_key(creds.secret_access_key, amz_date.substr(0, 8), region, service),
                                   s.string_to_sign));
  s.authorization = "AWS4-HMAC-SHA256 Credential=" + creds.access_key_id + "/" + scope +
                    ", SignedHeaders=" + canonical_headers(req.headers).second + ", Signature=" + s.signature;
  return s;
}

Signed presign(Request req, const Credentials& creds, std::string_view region, std::string_view service,
               std::string_view amz_date, int64_t expires_seconds, bool token_after_signing) {
  auto scope = credential_scope(amz_date, region, service);
  req.query.emplace_back("X-Amz-Algorithm", "AWS4-HMAC-SHA256");
  req.query.emplace_back("X-Amz-Credential", creds.access_key_id + "/" + scope);
  req.query.emplace_back("X-Amz-Date", std::string(amz_date));
  req.query.emplace_back("X-Amz-Expires", std::to_string(expires_seconds));
  req.query.emplace_back("X-Amz-SignedHeaders", canonical_headers(req.headers).second);
  if (!creds.session_token.empty() && !token_after_signing)
    req.query.emplace_back("X-Amz-Security-Token", creds.session_token);
  Signed s;
  s.canonical_request = canonical_request(req);
  s.string_to_sign = string_to_sign(amz_date, scope, s.canonical_request);
  s.signature = to_hex(hmac_sha256(signing_key(creds.secret_access_key, amz_date.substr(0, 8), region, service),
                                   s.string_to_sign));
  s.query = canonical_query(req.query);
  if (!creds.session_token.empty() && token_after_signing)
    s.query += "&X-Amz-Security-Token=" + uri_encode(creds.session_token);
  s.query += "&X-Amz-Signature=" + s.signature;
  return s;
}

std::string amz_date_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

}  // namespace gp::sigv4
