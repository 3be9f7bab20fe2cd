#include "storage/s3_config.hpp"

#include <cstdlib>
#include <map>

#include "util/error.hpp"
#include "util/fs.hpp"

namespace gp::storage_detail {

namespace {

std::string env_or(const char* name, const std::string& fallback = {}) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

struct Endpoint {
  std::string scheme;  // http or https
  std::string host;    // host[:port] as in the URL
  std::string hostname;
};

Endpoint parse_endpoint(const std::string& url) {
  Endpoint e;
  auto p = url.find("://");
  if (p == std::string::npos) fail(Exit::config, describe("invalid s3 endpoint", url, "expected http(s)://host[:port]"));
  e.scheme = url.substr(0, p);
  if (e.scheme != "http" && e.scheme != "https")
    fail(Exit::config, describe("invalid s3 endpoint", url, "expected http(s)://host[:port]"));
  std::string rest = url.substr(p + 3);
  rest = rest.substr(0, rest.find('/'));
  if (rest.empty() || rest.find('@') != std::string::npos)
    fail(Exit::config, describe("invalid s3 endpoint", url, "expected http(s)://host[:port]"));
  e.host = rest;
  if (rest.front() == '[') {
    e.hostname = rest.substr(0, rest.find(']') + 1);
  } else {
    e.hostname = rest.substr(0, rest.find(':'));
  }
  return e;
}

bool is_ip_or_localhost(const std::string& h) {
  if (h == "localhost" || h.front() == '[') return true;
  return h.find_first_not_of("0123456789.") == std::string::npos;
}

// ~/.aws/credentials-style INI: the named section's key = value pairs.
std::map<std::string, std::string> read_ini_section(const fs::path& path, const std::string& section) {
  std::map<std::string, std::string> out;
  std::error_code ec;
  if (!fs::exists(path, ec)) return out;
  std::string current;
  for (std::string line : read_text_lines(path, Exit::config)) {
    auto b = line.find_first_not_of(" \t\r");
    if (b == std::string::npos) continue;
    line = line.substr(b, line.find_last_not_of(" \t\r") - b + 1);
    if (line[0] == '#' || line[0] == ';') continue;
    if (line[0] == '[') {
      current = line.substr(1, line.find(']') - 1);
      if (current.rfind("profile ", 0) == 0) current = current.substr(8);
      continue;
    }
    if (current != section) continue;
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string k = line.substr(0, eq), v = line.substr(eq + 1);
    k = k.substr(0, k.find_last_not_of(" \t") + 1);
    auto vb = v.find_first_not_of(" \t");
    v = vb == std::string::npos ? "" : v.substr(vb);
    out[k] = v;
  }
  return out;
}

fs::path home_path(const char* env_override, const char* rel) {
  std::string o = env_or(env_override);
  if (!o.empty()) return o;
  std::string home = env_or("HOME");
  return home.empty() ? fs::path() : fs::path(home) / rel;
}

}  // namespace

std::string S3Config::path_for(const std::string& obj) const {
  if (obj.empty()) return path_style ? "/" + bucket : "/";
  if (path_style) return "/" + bucket + "/" + obj;
  return "/" + obj;
}

S3Config resolve_s3_config(const StorageConfig& cfg, const std::string& bucket, const std::string& prefix) {
  S3Config c;
  c.bucket = bucket;
  c.prefix = prefix;
  c.url = "s3://" + bucket + (prefix.empty() ? "" : "/" + prefix);
  c.region = !cfg.region.empty() ? cfg.region : env_or("AWS_REGION", env_or("AWS_DEFAULT_REGION"));
  std::string profile = !cfg.profile.empty() ? cfg.profile : env_or("AWS_PROFILE", "default");
  if (c.region.empty()) {
    auto conf = read_ini_section(home_path("AWS_CONFIG_FILE", ".aws/config"), profile);
    c.region = conf.count("region") ? conf["region"] : "us-east-1";
  }
  std::string endpoint = !cfg.endpoint.empty() ? cfg.endpoint
                                               : env_or("AWS_ENDPOINT_URL_S3", env_or("AWS_ENDPOINT_URL"));
  if (endpoint.empty()) endpoint = "https://s3." + c.region + ".amazonaws.com";
  Endpoint ep = parse_endpoint(endpoint);
  c.scheme = ep.scheme;
  c.path_style = cfg.path_style || is_ip_or_localhost(ep.hostname) || bucket.find('.') != std::string::npos;
  c.host = c.path_style ? ep.host : bucket + "." + ep.host;
  // Credentials: an explicitly configured profile wins, then the environment,
  // then the AWS_PROFILE/default profile of the shared credentials file.
  if (cfg.profile.empty() && !env_or("AWS_ACCESS_KEY_ID").empty()) {
    c.creds.access_key_id = env_or("AWS_ACCESS_KEY_ID");
    c.creds.secret_access_key = env_or("AWS_SECRET_ACCESS_KEY");
    c.creds.session_token = env_or("AWS_SESSION_TOKEN");
  } else {
    auto sec = read_ini_section(home_path("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials"), profile);
    c.creds.access_key_id = sec["aws_access_key_id"];
    c.creds.secret_access_key = sec["aws_secret_access_key"];
    c.creds.session_token = sec["aws_session_token"];
  }
  if (c.creds.access_key_id.empty() || c.creds.secret_access_key.empty())
    fail(Exit::config,
         describe("no credentials for", c.url,
                  "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY unset and no profile '" + profile + "' in ~/.aws/credentials"),
         "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or add the profile with 'aws configure'");
  return c;
}

}  // namespace gp::storage_detail
