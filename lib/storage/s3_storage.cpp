// s3:// storage on libcurl, signed with our SigV4 (storage/sigv4.hpp).
//
// Uploads below StorageOptions::multipart_threshold are one PUT whose
// x-amz-content-sha256 is the caller's expected sha256 (the service checks it) while
// we hash what we stream. Larger ones are multipart: the calling thread reads the
// file part by part into a small pool of buffers (memory = parallel x part size,
// never the file), feeds the whole-file sha256 in order, and hands each part to one
// of `parallel_parts` worker threads, each with its own curl handle, which hashes the
// part for its signature and sends it. The upload id lives in a small state file so
// that an interrupted upload is resumed (ListParts; parts whose size and MD5 ETag
// match are not sent again); a failure that will not be resumed aborts the upload.
//
// Multipart uploads declare CRC32 part checksums (x-amz-checksum-algorithm on
// CreateMultipartUpload, x-amz-checksum-crc32 per part, ChecksumCRC32 in the
// completion), as the AWS SDKs and CLI do by default. Without a declared algorithm
// a service may compute a full-object checksum at completion over the whole
// object: moto_server copies the object twice more in memory to do so, which made
// completing a 1 GB upload take seconds longer than the CLI's (see bench/RESULTS.md).
#include <fcntl.h>
#include <zlib.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "storage/backends.hpp"
#include "storage/partial.hpp"
#include "storage/s3_util.hpp"
#include "storage/sigv4.hpp"
#include "util/curl_handles.hpp"
#include "util/sha256.hpp"
#include "util/signals.hpp"
#include "util/fault.hpp"

namespace gp::storage_detail {

namespace {

constexpr uint64_t kMinPart = 5ull << 20;
constexpr uint64_t kMaxParts = 10000;

// A gp::Error from S3 that retrying or resuming cannot fix (a 4xx answer).
class PermanentError : public Error {
 public:
  using Error::Error;
};

std::string env_or(const char* name, const std::string& fallback = {}) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

// An S3 CRC32 checksum header value: base64 of the big-endian CRC-32 (zlib's).
std::string crc32_b64(const void* data, size_t size) {
  uLong crc = crc32_z(0L, static_cast<const Bytef*>(data), size);
  unsigned char be[4] = {static_cast<unsigned char>(crc >> 24), static_cast<unsigned char>(crc >> 16),
                         static_cast<unsigned char>(crc >> 8), static_cast<unsigned char>(crc)};
  unsigned char out[12] = {0};
  EVP_EncodeBlock(out, be, 4);
  return std::string(reinterpret_cast<const char*>(out));
}

std::string md5_hex(const void* data, size_t size) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!EVP_Digest(data, size, out, &len, EVP_md5(), nullptr)) throw InternalError("MD5 failed");
  return to_hex(std::string(reinterpret_cast<const char*>(out), len));
}

std::string unquote(std::string s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

void curl_global() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// What one request sends and where its answer goes.
struct Call {
  std::string what;  // "upload", "download"... for messages
  std::string method = "GET";
  std::string object;  // full object name in the bucket ("" for the bucket itself)
  sigv4::Params query;
  sigv4::Params headers;  // extra signed headers
  std::string payload_hash = sigv4::kEmptySha256;
  // Request body: memory, or a file range (pread), or nothing.
  const char* mem = nullptr;
  uint64_t size = 0;
  int fd = -1;
  uint64_t fd_offset = 0;
  bool has_body = false;
  // Called with each chunk of the body as it is sent (file bodies only).
  std::function<void(const char*, size_t)> on_send;
  std::function<void()> on_attempt;  // before every attempt (reset streaming state)
  PartialDownload* download = nullptr;  // GET body goes here (2xx only)
  bool head = false;
  std::function<void(uint64_t up, uint64_t down)> on_progress;
  const std::atomic<bool>* cancel = nullptr;
  // The server works a long time before answering (CompleteMultipartUpload
  // assembles the object): the stall detector waits 10 minutes, not low_speed_time.
  bool slow_answer = false;
};

struct Response {
  long status = 0;
  std::string body;  // small bodies and error bodies only
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// State shared with curl's callbacks during one attempt.
struct Transfer {
  Call* call = nullptr;
  CURL* curl = nullptr;
  Response* resp = nullptr;
  uint64_t sent = 0;
  bool checked_status = false;
  bool to_file = false;
  std::exception_ptr error;
};

size_t read_cb(char* buf, size_t size, size_t nitems, void* user) {
  auto* t = static_cast<Transfer*>(user);
  Call& c = *t->call;
  size_t want = std::min<uint64_t>(size * nitems, c.size - t->sent);
  if (want == 0) return 0;
  try {
    if (c.mem) {
      std::memcpy(buf, c.mem + t->sent, want);
    } else {
      ssize_t n;
      do {
        n = ::pread(c.fd, buf, want, static_cast<off_t>(c.fd_offset + t->sent));
      } while (n < 0 && errno == EINTR);
      if (n < 0) fail_errno(Exit::bad_input, "cannot read", "upload source");
      if (n == 0) fail(Exit::integrity, "upload source shrank while it was being sent");
      want = static_cast<size_t>(n);
      if (c.on_send) c.on_send(buf, want);
    }
  } catch (...) {
    t->error = std::current_exception();
    return CURL_READFUNC_ABORT;
  }
  t->sent += want;
  return want;
}

size_t write_cb(char* data, size_t size, size_t nmemb, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * nmemb;
  try {
    if (!t->checked_status) {
      t->checked_status = true;
      long status = 0;
      curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
      t->to_file = t->call->download && (status == 200 || status == 206);
      // A server that ignores our Range sends the whole object: start over cleanly.
      if (t->to_file && status == 200 && t->call->download->offset() > 0) t->call->download->restart();
    }
    if (t->to_file) {
      t->call->download->write(data, n);
    } else if (t->resp->body.size() < (4u << 20)) {
      t->resp->body.append(data, n);
    }
  } catch (...) {
    t->error = std::current_exception();
    return 0;
  }
  return n;
}

size_t header_cb(char* data, size_t size, size_t nitems, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * nitems;
  std::string line(data, n);
  if (line.rfind("HTTP/", 0) == 0) {
    t->resp->headers.clear();
    return n;
  }
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    std::string value = line.substr(colon + 1);
    auto b = value.find_first_not_of(" \t");
    auto e = value.find_last_not_of(" \t\r\n");
    t->resp->headers[name] = b == std::string::npos ? std::string() : value.substr(b, e - b + 1);
  }
  return n;
}

int xfer_cb(void* user, curl_off_t, curl_off_t dlnow, curl_off_t, curl_off_t ulnow) {
  auto* t = static_cast<Transfer*>(user);
  if (t->error) return 1;
  if ((t->call->cancel && t->call->cancel->load()) || interrupted()) return 1;
  if (t->call->on_progress) {
    try {
      t->call->on_progress(static_cast<uint64_t>(ulnow), static_cast<uint64_t>(dlnow));
    } catch (...) {
      t->error = std::current_exception();
      return 1;
    }
  }
  return 0;
}

bool retryable_curl(CURLcode rc) {
  switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_SEND_FAIL_REWIND:  // curl's own retry on a fresh connection: ours restarts the body
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_COULDNT_RESOLVE_HOST:
      return true;
    default:
      return false;
  }
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
  std::string text = read_text_file(path, Exit::config);
  std::string current;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    std::string line = text.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    pos = end == std::string::npos ? text.size() : end + 1;
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

class S3Storage : public Storage {
 public:
  S3Storage(const StorageConfig& cfg, std::string bucket, std::string prefix, const StorageOptions& opt)
      : bucket_(std::move(bucket)), prefix_(std::move(prefix)), opt_(opt) {
    curl_global();
    url_ = "s3://" + bucket_ + (prefix_.empty() ? "" : "/" + prefix_);
    region_ = !cfg.region.empty() ? cfg.region : env_or("AWS_REGION", env_or("AWS_DEFAULT_REGION"));
    std::string profile = !cfg.profile.empty() ? cfg.profile : env_or("AWS_PROFILE", "default");
    if (region_.empty()) {
      auto conf = read_ini_section(home_path("AWS_CONFIG_FILE", ".aws/config"), profile);
      region_ = conf.count("region") ? conf["region"] : "us-east-1";
    }
    std::string endpoint = !cfg.endpoint.empty() ? cfg.endpoint
                                                 : env_or("AWS_ENDPOINT_URL_S3", env_or("AWS_ENDPOINT_URL"));
    if (endpoint.empty()) endpoint = "https://s3." + region_ + ".amazonaws.com";
    Endpoint ep = parse_endpoint(endpoint);
    scheme_ = ep.scheme;
    path_style_ = cfg.path_style || is_ip_or_localhost(ep.hostname) || bucket_.find('.') != std::string::npos;
    host_ = path_style_ ? ep.host : bucket_ + "." + ep.host;
    // Credentials: an explicitly configured profile wins, then the environment,
    // then the AWS_PROFILE/default profile of the shared credentials file.
    if (cfg.profile.empty() && !env_or("AWS_ACCESS_KEY_ID").empty()) {
      creds_.access_key_id = env_or("AWS_ACCESS_KEY_ID");
      creds_.secret_access_key = env_or("AWS_SECRET_ACCESS_KEY");
      creds_.session_token = env_or("AWS_SESSION_TOKEN");
    } else {
      auto sec = read_ini_section(home_path("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials"), profile);
      creds_.access_key_id = sec["aws_access_key_id"];
      creds_.secret_access_key = sec["aws_secret_access_key"];
      creds_.session_token = sec["aws_session_token"];
    }
    if (creds_.access_key_id.empty() || creds_.secret_access_key.empty())
      fail(Exit::config, describe("no credentials for", url_, "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY unset and no profile '" + profile + "' in ~/.aws/credentials"),
           "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or add the profile with 'aws configure'");
    opt_.parallel_parts = std::max(1u, opt_.parallel_parts);
    opt_.max_attempts = std::max(1u, opt_.max_attempts);
  }

  std::string url() const override { return url_; }

  void put(const std::string& key, const fs::path& local_file, const std::string& expected_sha256,
           Progress& progress) override {
    validate_key(key);
    Fd in = open_file(local_file, O_RDONLY, 0, Exit::bad_input);
    struct stat st;
    if (::fstat(in.get(), &st) != 0) fail_errno(Exit::bad_input, "cannot stat", local_file.string());
    uint64_t size = static_cast<uint64_t>(st.st_size);
    progress.start(key, size);
    if (size < std::max<uint64_t>(opt_.multipart_threshold, 1))
      single_put(key, in.get(), size, expected_sha256, progress);
    else
      multipart_put(key, local_file, in.get(), size, expected_sha256, progress);
    verify_remote(key, size);
    progress.finish();
  }

  void get(const std::string& key, const fs::path& local_path, uint64_t expected_size,
           const std::string& expected_sha256, Progress& progress) override {
    validate_key(key);
    PartialDownload part(local_path, expected_size, key);
    if (part.offset() > 0)
      progress.step("resuming the download of '" + key + "' at byte " + std::to_string(part.offset()) + " of " +
                    std::to_string(expected_size));
    progress.start(key, expected_size);
    if (part.offset() < expected_size || expected_size == 0) {
      Call c;
      c.what = "download";
      c.object = object(key);
      c.download = &part;
      c.on_attempt = [&] {
        if (part.offset() > 0) c.headers = {{"range", "bytes=" + std::to_string(part.offset()) + "-"}};
        else c.headers.clear();
      };
      c.on_progress = [&](uint64_t, uint64_t) { progress.update(part.offset(), 0); };
      auto r = request(c);
      if (r.status == 416 && part.offset() > 0) {  // the partial file was already complete
      } else if (r.status != 200 && r.status != 206) {
        fail_response(c, r);
      }
    }
    progress.update(part.offset(), 0);
    part.finish(expected_sha256);
    progress.finish();
  }

  std::optional<ObjectInfo> stat(const std::string& key) override {
    validate_key(key);
    Call c;
    c.what = "stat";
    c.method = "HEAD";
    c.head = true;
    c.object = object(key);
    auto r = request(c);
    if (r.status == 404) return std::nullopt;
    if (r.status != 200) fail_response(c, r);
    ObjectInfo o;
    o.key = key;
    o.size = std::strtoull(r.header("content-length").c_str(), nullptr, 10);
    if (!r.header("etag").empty()) o.etag = unquote(r.header("etag"));
    if (!r.header("x-amz-meta-sha256").empty()) o.sha256 = r.header("x-amz-meta-sha256");
    return o;
  }

  std::vector<ObjectInfo> list(const std::string& prefix) override {
    std::vector<ObjectInfo> out;
    std::string full = prefix_.empty() ? prefix : prefix_ + "/" + prefix;
    std::string token;
    for (;;) {
      Call c;
      c.what = "list";
      c.query = {{"list-type", "2"}};
      if (!full.empty()) c.query.emplace_back("prefix", full);
      if (!token.empty()) c.query.emplace_back("continuation-token", token);
      auto r = request(c);
      if (r.status != 200) fail_response(c, r);
      for (auto& block : xml_blocks(r.body, "Contents")) {
        ObjectInfo o;
        std::string k = xml_tag(block, "Key");
        if (!prefix_.empty()) {
          if (k.rfind(prefix_ + "/", 0) != 0) continue;
          k = k.substr(prefix_.size() + 1);
        }
        o.key = k;
        o.size = std::strtoull(xml_tag(block, "Size").c_str(), nullptr, 10);
        std::string etag = unquote(xml_tag(block, "ETag"));
        if (!etag.empty()) o.etag = etag;
        out.push_back(std::move(o));
      }
      if (xml_tag(r.body, "IsTruncated") != "true") break;
      token = xml_tag(r.body, "NextContinuationToken");
      if (token.empty()) break;
    }
    std::sort(out.begin(), out.end(), [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
    return out;
  }

  void remove(const std::string& key) override {
    validate_key(key);
    Call c;
    c.what = "remove";
    c.method = "DELETE";
    c.object = object(key);
    auto r = request(c);
    if (r.status != 204 && r.status != 200 && r.status != 404) fail_response(c, r);
  }

  std::string presign_get(const std::string& key, std::chrono::seconds expires) override {
    validate_key(key);
    int64_t secs = expires.count();
    if (secs < 1 || secs > 604800)
      fail(Exit::bad_input, describe("cannot make a URL for", key, "expiry must be between 1 s and 7 days"));
    sigv4::Request req;
    req.method = "GET";
    req.path = path_for(object(key));
    req.headers = {{"host", host_}};
    req.payload_hash = sigv4::kUnsignedPayload;
    auto s = sigv4::presign(req, creds_, region_, "s3", sigv4::amz_date_now(), secs);
    return scheme_ + "://" + host_ + sigv4::canonical_uri(req.path) + "?" + s.query;
  }

  void abandon(const std::string& key, const fs::path& local_file) override {
    validate_key(key);
    fs::path sp = state_path(local_file);
    auto st = read_state(sp, object(key));
    if (st.upload_id.empty()) return;
    abort_upload(object(key), st.upload_id);
    ::unlink(sp.c_str());
  }

 private:
  struct UploadState {
    std::string upload_id;
    uint64_t size = 0, part_size = 0;
    std::string sha256;
    bool crc32 = false;  // created with x-amz-checksum-algorithm CRC32 (older state files: no)
  };

  std::string object(const std::string& key) const { return prefix_.empty() ? key : prefix_ + "/" + key; }
  std::string path_for(const std::string& obj) const {
    if (path_style_) return "/" + bucket_ + "/" + obj;
    return "/" + obj;
  }
  std::string subject(const Call& c) const { return "s3://" + bucket_ + "/" + c.object; }

  // One request, retried with exponential backoff and jitter on connection
  // failures, timeouts, 5xx and 429. Returns the final response (any status);
  // throws when curl itself failed every attempt, or when cancelled.
  Response request(Call& c, CURL* handle = nullptr) {
    Curl own;
    if (!handle) {
      if (!easy_) easy_.reset(curl_easy_init());
      handle = easy_.get();
    }
    if (!handle) throw InternalError("curl_easy_init failed");
    std::mt19937_64 rng(std::random_device{}());
    std::string last_error;
    for (unsigned attempt = 1;; ++attempt) {
      check_interrupted();
      if (c.cancel && c.cancel->load()) fail(Exit::interrupted, "cancelled");
      if (c.on_attempt) c.on_attempt();
      Response resp;
      Transfer t;
      t.call = &c;
      t.curl = handle;
      t.resp = &resp;
      char errbuf[CURL_ERROR_SIZE] = {0};
      CurlSlist hdrs;
      sigv4::Request sreq;
      sreq.method = c.method;
      sreq.path = c.object.empty() ? (path_style_ ? "/" + bucket_ : "/") : path_for(c.object);
      sreq.query = c.query;
      std::string date = sigv4::amz_date_now();
      sreq.headers = {{"host", host_}, {"x-amz-date", date}, {"x-amz-content-sha256", c.payload_hash}};
      if (!creds_.session_token.empty()) sreq.headers.emplace_back("x-amz-security-token", creds_.session_token);
      std::vector<std::string> unsigned_headers;
      for (auto& h : c.headers) {
        if (h.first == "range")
          unsigned_headers.push_back("Range: " + h.second);
        else
          sreq.headers.push_back(h);
      }
      sreq.payload_hash = c.payload_hash;
      auto sig = sigv4::sign_headers(sreq, creds_, region_, "s3", date);
      auto add = [&](const std::string& line) {
        curl_slist* n = curl_slist_append(hdrs.get(), line.c_str());
        if (!n) throw InternalError("curl_slist_append failed");
        (void)hdrs.release();
        hdrs.reset(n);
      };
      for (auto& h : sreq.headers)
        if (h.first != "host") add(h.first + ": " + h.second);
      for (auto& h : unsigned_headers) add(h);
      add("Authorization: " + sig.authorization);
      add("Expect:");
      std::string url = scheme_ + "://" + host_ + sigv4::canonical_uri(sreq.path);
      std::string q = sigv4::canonical_query(sreq.query);
      if (!q.empty()) url += "?" + q;

      curl_easy_reset(handle);
      curl_easy_setopt(handle, CURLOPT_URL, url.c_str());
      curl_easy_setopt(handle, CURLOPT_HTTPHEADER, hdrs.get());
      curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
      curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, errbuf);
      curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT, 30L);
      curl_easy_setopt(handle, CURLOPT_LOW_SPEED_LIMIT, 1024L);
      curl_easy_setopt(handle, CURLOPT_LOW_SPEED_TIME, c.slow_answer ? std::max(opt_.low_speed_time, 600L) : opt_.low_speed_time);
      curl_easy_setopt(handle, CURLOPT_NOPROXY, "localhost,127.0.0.1,::1");
      curl_easy_setopt(handle, CURLOPT_TCP_KEEPALIVE, 1L);
      curl_easy_setopt(handle, CURLOPT_BUFFERSIZE, 512L * 1024);
      curl_easy_setopt(handle, CURLOPT_UPLOAD_BUFFERSIZE, 512L * 1024);
      curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, write_cb);
      curl_easy_setopt(handle, CURLOPT_WRITEDATA, &t);
      curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, header_cb);
      curl_easy_setopt(handle, CURLOPT_HEADERDATA, &t);
      curl_easy_setopt(handle, CURLOPT_NOPROGRESS, 0L);
      curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, xfer_cb);
      curl_easy_setopt(handle, CURLOPT_XFERINFODATA, &t);
      if (c.head) {
        curl_easy_setopt(handle, CURLOPT_NOBODY, 1L);
      } else if (c.method == "PUT") {
        curl_easy_setopt(handle, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(handle, CURLOPT_READFUNCTION, read_cb);
        curl_easy_setopt(handle, CURLOPT_READDATA, &t);
        curl_easy_setopt(handle, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(c.has_body ? c.size : 0));
      } else if (c.method == "POST") {
        curl_easy_setopt(handle, CURLOPT_POST, 1L);
        curl_easy_setopt(handle, CURLOPT_POSTFIELDS, c.mem ? c.mem : "");
        curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(c.mem ? c.size : 0));
      } else if (c.method != "GET") {
        curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, c.method.c_str());
      }
      CURLcode rc = curl_easy_perform(handle);
      curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, nullptr);
      if (t.error) std::rethrow_exception(t.error);
      if (rc == CURLE_ABORTED_BY_CALLBACK) {
        check_interrupted();
        fail(Exit::interrupted, "cancelled");
      }
      bool retry = false;
      if (rc != CURLE_OK) {
        last_error = std::string(curl_easy_strerror(rc)) + (errbuf[0] ? std::string(" (") + errbuf + ")" : "");
        retry = retryable_curl(rc);
        if (!retry || attempt >= opt_.max_attempts)
          fail(Exit::remote,
               describe("cannot " + c.what, subject(c),
                        last_error + (attempt > 1 ? ", after " + std::to_string(attempt) + " attempts" : "")),
               "check the endpoint and the network; the transfer resumes where it stopped when run again");
      } else {
        curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &resp.status);
        // A 200 from CompleteMultipartUpload can still carry an error.
        bool body_error = resp.status == 200 && c.method == "POST" && resp.body.find("<Error>") != std::string::npos;
        retry = resp.status >= 500 || resp.status == 429 || body_error;
        if (!retry || attempt >= opt_.max_attempts) {
          if (body_error) resp.status = 500;
          return resp;
        }
      }
      // Exponential backoff with full jitter; a Retry-After (seconds) from the
      // service is honoured, up to a minute.
      auto base = opt_.backoff.count() << std::min(attempt - 1, 10u);
      std::uniform_int_distribution<long long> dist(base / 2, base);
      auto delay = std::chrono::milliseconds(dist(rng));
      if (std::string ra = resp.header("retry-after"); !ra.empty() && ra.size() < 6 &&
                                                        ra.find_first_not_of("0123456789") == std::string::npos)
        delay = std::max<std::chrono::milliseconds>(delay, std::chrono::seconds(std::min(std::stoi(ra), 60)));
      auto until = std::chrono::steady_clock::now() + delay;
      while (std::chrono::steady_clock::now() < until) {
        check_interrupted();
        if (c.cancel && c.cancel->load()) fail(Exit::interrupted, "cancelled");
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  }

  [[noreturn]] void fail_response(const Call& c, const Response& r) const {
    std::string code = xml_tag(r.body, "Code");
    std::string msg = xml_tag(r.body, "Message");
    std::string cause = "HTTP " + std::to_string(r.status);
    if (!code.empty()) cause += " " + code;
    if (!msg.empty()) cause += ": " + msg;
    if (code.empty() && msg.empty()) {
      if (r.status == 403) cause += " (access denied)";
      if (r.status == 404) cause += " (not found)";
    }
    std::string hint;
    if (r.status == 403 && msg.find("expired") != std::string::npos) {
      cause += " (the URL or the credentials have expired)";
      hint = "renew the credentials, or make a new URL";
    } else if (code == "SignatureDoesNotMatch" || code == "InvalidAccessKeyId") {
      hint = "check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the ~/.aws/credentials profile";
    }
    if (r.status >= 400 && r.status < 500 && r.status != 429)
      throw PermanentError(Exit::remote, describe("cannot " + c.what, subject(c), cause), hint);
    throw Error(Exit::remote, describe("cannot " + c.what, subject(c), cause), hint);
  }

  void single_put(const std::string& key, int fd, uint64_t size, const std::string& expected, Progress& progress) {
    Call c;
    c.what = "upload";
    c.method = "PUT";
    c.object = object(key);
    c.headers = {{"x-amz-meta-sha256", expected}, {"content-type", "application/octet-stream"}};
    c.payload_hash = expected;  // the service checks the body against it
    c.fd = fd;
    c.size = size;
    c.has_body = true;
    std::unique_ptr<Sha256> sha;
    c.on_attempt = [&] { sha = std::make_unique<Sha256>(); };
    c.on_send = [&](const char* d, size_t n) { sha->update(d, n); };
    c.on_progress = [&](uint64_t up, uint64_t) { progress.update(up, 0); };
    GP_FAULT_POINT("storage.s3.put.before");
    auto r = request(c);
    GP_FAULT_POINT("storage.s3.put.after");
    if (r.status != 200) fail_response(c, r);
    std::string got = sha->hex_digest();
    if (got != expected) {
      try {
        remove(key);
      } catch (const Error&) {
      }
      fail(Exit::integrity, describe("cannot upload", subject(c), "sha256 of what was sent is " + got + ", expected " + expected));
    }
  }

  void verify_remote(const std::string& key, uint64_t size) {
    auto info = stat(key);
    if (!info) fail(Exit::remote, describe("cannot upload", "s3://" + bucket_ + "/" + object(key), "the object is missing after the upload"));
    if (info->size != size)
      fail(Exit::integrity, describe("cannot upload", "s3://" + bucket_ + "/" + object(key),
                                     "the stored object has " + std::to_string(info->size) + " bytes, expected " + std::to_string(size)));
  }

  fs::path state_path(const fs::path& local_file) const {
    std::string name = "." + local_file.filename().string() + ".s3-upload-" +
                       sha256_hex(host_ + "/" + bucket_).substr(0, 12);
    if (!opt_.state_dir.empty()) {
      // Unique per local file: the state dir may serve several stores.
      name = local_file.filename().string() + "." + sha256_hex(fs::absolute(local_file).string() + host_ + bucket_).substr(0, 16) + ".s3-upload";
      return opt_.state_dir / name;
    }
    return local_file.parent_path() / name;
  }

  UploadState read_state(const fs::path& sp, const std::string& obj) const {
    UploadState st;
    std::error_code ec;
    if (!fs::exists(sp, ec)) return st;
    std::map<std::string, std::string> kv;
    std::string text = read_text_file(sp, Exit::internal);
    size_t pos = 0;
    while (pos < text.size()) {
      size_t end = text.find('\n', pos);
      std::string line = text.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
      pos = end == std::string::npos ? text.size() : end + 1;
      auto eq = line.find('=');
      if (eq != std::string::npos) kv[line.substr(0, eq)] = line.substr(eq + 1);
    }
    if (kv["endpoint"] != scheme_ + "://" + host_ || kv["bucket"] != bucket_ || kv["object"] != obj) return st;
    st.upload_id = kv["upload_id"];
    st.size = std::strtoull(kv["size"].c_str(), nullptr, 10);
    st.part_size = std::strtoull(kv["part_size"].c_str(), nullptr, 10);
    st.sha256 = kv["sha256"];
    st.crc32 = kv["checksum"] == "crc32";
    return st;
  }

  void write_state(const fs::path& sp, const std::string& obj, const UploadState& st) const {
    if (sp.has_parent_path()) make_dirs(sp.parent_path(), 0700);
    write_file_atomic(sp,
                      "endpoint=" + scheme_ + "://" + host_ + "\nbucket=" + bucket_ + "\nobject=" + obj +
                          "\nupload_id=" + st.upload_id + "\nsize=" + std::to_string(st.size) +
                          "\npart_size=" + std::to_string(st.part_size) + "\nsha256=" + st.sha256 +
                          (st.crc32 ? "\nchecksum=crc32\n" : "\n"),
                      0600);
  }

  void abort_upload(const std::string& obj, const std::string& upload_id) {
    Call c;
    c.what = "abort the upload of";
    c.method = "DELETE";
    c.object = obj;
    c.query = {{"uploadId", upload_id}};
    auto r = request(c);
    if (r.status != 204 && r.status != 200 && r.status != 404) fail_response(c, r);
  }

  // Part number -> (size, etag) of the parts the service already holds, or nullopt
  // when the upload no longer exists.
  std::optional<std::map<int, std::pair<uint64_t, std::string>>> list_parts(const std::string& obj,
                                                                          const std::string& upload_id) {
    std::map<int, std::pair<uint64_t, std::string>> parts;
    std::string marker;
    for (;;) {
      Call c;
      c.what = "list the parts of";
      c.object = obj;
      c.query = {{"uploadId", upload_id}};
      if (!marker.empty()) c.query.emplace_back("part-number-marker", marker);
      auto r = request(c);
      if (r.status == 404) return std::nullopt;
      if (r.status != 200) fail_response(c, r);
      for (auto& b : xml_blocks(r.body, "Part")) {
        int n = std::atoi(xml_tag(b, "PartNumber").c_str());
        parts[n] = {std::strtoull(xml_tag(b, "Size").c_str(), nullptr, 10), unquote(xml_tag(b, "ETag"))};
      }
      if (xml_tag(r.body, "IsTruncated") != "true") break;
      marker = xml_tag(r.body, "NextPartNumberMarker");
      if (marker.empty()) break;
    }
    return parts;
  }

  std::string create_upload(const std::string& obj, const std::string& expected, bool crc32) {
    Call c;
    c.what = "start the upload of";
    c.method = "POST";
    c.object = obj;
    c.query = {{"uploads", ""}};
    c.headers = {{"x-amz-meta-sha256", expected}, {"content-type", "application/octet-stream"}};
    if (crc32) c.headers.emplace_back("x-amz-checksum-algorithm", "CRC32");
    auto r = request(c);
    if (r.status != 200) fail_response(c, r);
    std::string id = xml_tag(r.body, "UploadId");
    if (id.empty()) fail(Exit::remote, describe("cannot start the upload of", subject(c), "no UploadId in the answer"));
    return id;
  }

  void multipart_put(const std::string& key, const fs::path& local_file, int fd, uint64_t size,
                     const std::string& expected, Progress& progress) {
    const std::string obj = object(key);
    uint64_t part_size = std::max(opt_.part_size, kMinPart);
    while ((size + part_size - 1) / part_size > kMaxParts) part_size *= 2;
    const int nparts = static_cast<int>((size + part_size - 1) / part_size);
    fs::path sp = state_path(local_file);

    UploadState st = read_state(sp, obj);
    std::map<int, std::pair<uint64_t, std::string>> existing;
    if (!st.upload_id.empty()) {
      if (st.size == size && st.part_size == part_size && st.sha256 == expected) {
        auto parts = list_parts(obj, st.upload_id);
        if (parts) {
          existing = std::move(*parts);
        } else {
          st.upload_id.clear();
        }
      } else {
        // The file changed: the old upload cannot be continued.
        try {
          abort_upload(obj, st.upload_id);
        } catch (const Error&) {
        }
        st.upload_id.clear();
      }
    }
    if (st.upload_id.empty()) {
      st.crc32 = opt_.part_checksums;
      st.upload_id = create_upload(obj, expected, st.crc32);
      st.size = size;
      st.part_size = part_size;
      st.sha256 = expected;
      write_state(sp, obj, st);
    } else if (!existing.empty()) {
      progress.step("resuming the upload of '" + key + "': " + std::to_string(existing.size()) + " of " +
                    std::to_string(nparts) + " parts already sent");
    }

    // An interruption (Ctrl-C, SIGTERM) keeps the upload for the next put() to
    // resume, as a kill does. Any failure reported to the user aborts it, so that no
    // orphan parts stay billed; when even the abort cannot reach the service, the
    // state file stays and the next put() resumes or replaces it.
    try {
      std::vector<std::string> crcs;
      auto etags = upload_parts(obj, fd, size, part_size, nparts, st.upload_id, existing, expected,
                                st.crc32 ? &crcs : nullptr, progress);
      GP_FAULT_POINT("storage.s3.complete.before");
      complete_upload(key, obj, st.upload_id, etags, crcs, expected, size);
      GP_FAULT_POINT("storage.s3.complete.after");
    } catch (const Error& e) {
      if (e.code() != Exit::interrupted) abandon_noexcept(obj, st.upload_id, sp);
      throw;
    }
    ::unlink(sp.c_str());
  }

  void abandon_noexcept(const std::string& obj, const std::string& upload_id, const fs::path& sp) noexcept {
    try {
      abort_upload(obj, upload_id);
    } catch (...) {
      return;  // keep the state: the next put() of this file resumes or aborts it
    }
    ::unlink(sp.c_str());
  }

  struct Job {
    int part = 0;
    std::string* buf = nullptr;
    size_t len = 0;
  };

  std::vector<std::string> upload_parts(const std::string& obj, int fd, uint64_t size, uint64_t part_size, int nparts,
                                        const std::string& upload_id,
                                        const std::map<int, std::pair<uint64_t, std::string>>& existing,
                                        const std::string& expected, std::vector<std::string>* crcs,
                                        Progress& progress) {
    std::vector<std::string> etags(static_cast<size_t>(nparts));
    if (crcs) crcs->assign(static_cast<size_t>(nparts), std::string());
    const unsigned workers = std::min<unsigned>(opt_.parallel_parts, static_cast<unsigned>(nparts));
    std::vector<std::string> pool(workers);  // memory: workers x part size
    std::mutex mu;
    std::condition_variable cv;
    std::deque<Job> jobs;
    std::vector<std::string*> free_bufs;
    for (auto& b : pool) free_bufs.push_back(&b);
    std::atomic<bool> cancel{false};
    std::exception_ptr worker_error;
    uint64_t bytes_done = 0;
    int parts_done = 0;
    std::deque<std::pair<int, uint64_t>> completed;  // part, bytes: reported by the main thread
    bool no_more_jobs = false;

    auto worker = [&] {
      Curl handle(curl_easy_init());
      for (;;) {
        Job job;
        {
          std::unique_lock lk(mu);
          cv.wait(lk, [&] { return !jobs.empty() || no_more_jobs || cancel.load(); });
          if (cancel.load() || jobs.empty()) return;
          job = jobs.front();
          jobs.pop_front();
        }
        try {
          Call c;
          c.what = "upload part " + std::to_string(job.part) + " of";
          c.method = "PUT";
          c.object = obj;
          c.query = {{"partNumber", std::to_string(job.part)}, {"uploadId", upload_id}};
          c.mem = job.buf->data();
          c.size = job.len;
          c.has_body = true;
          c.payload_hash = sha256_hex(std::string_view(job.buf->data(), job.len));
          std::string crc;
          if (crcs) {
            crc = crc32_b64(job.buf->data(), job.len);
            c.headers = {{"x-amz-checksum-crc32", crc}};
          }
          c.cancel = &cancel;
          auto r = request(c, handle.get());
          if (r.status != 200) fail_response(c, r);
          std::string etag = unquote(r.header("etag"));
          if (etag.empty()) fail(Exit::remote, describe("cannot upload part " + std::to_string(job.part) + " of", subject(c), "no ETag in the answer"));
          std::lock_guard lk(mu);
          etags[static_cast<size_t>(job.part - 1)] = etag;
          if (crcs) (*crcs)[static_cast<size_t>(job.part - 1)] = std::move(crc);
          completed.emplace_back(job.part, job.len);
          free_bufs.push_back(job.buf);
        } catch (...) {
          std::lock_guard lk(mu);
          if (!worker_error) worker_error = std::current_exception();
          cancel = true;
          free_bufs.push_back(job.buf);
        }
        cv.notify_all();
      }
    };

    std::vector<std::thread> threads;
    auto stop_workers = [&] {
      {
        std::lock_guard lk(mu);
        no_more_jobs = true;
      }
      cv.notify_all();
      for (auto& t : threads)
        if (t.joinable()) t.join();
    };
    // Reports finished parts; call with the lock held. May throw (Progress).
    auto report = [&](std::unique_lock<std::mutex>& lk) {
      while (!completed.empty()) {
        auto [part, len] = completed.front();
        completed.pop_front();
        (void)part;
        bytes_done += len;
        ++parts_done;
        lk.unlock();
        GP_FAULT_POINT("storage.s3.part.done");
        progress.update(bytes_done, static_cast<uint64_t>(parts_done));
        lk.lock();
      }
    };

    Sha256 whole;
    try {
      for (unsigned i = 0; i < workers; ++i) threads.emplace_back(worker);
      for (int part = 1; part <= nparts; ++part) {
        uint64_t off = static_cast<uint64_t>(part - 1) * part_size;
        size_t len = static_cast<size_t>(std::min(part_size, size - off));
        std::string* buf;
        {
          std::unique_lock lk(mu);
          for (;;) {
            report(lk);
            if (worker_error) std::rethrow_exception(worker_error);
            if (!free_bufs.empty()) break;
            cv.wait_for(lk, std::chrono::milliseconds(200));
            check_interrupted();
          }
          buf = free_bufs.back();
          free_bufs.pop_back();
        }
        check_interrupted();
        buf->resize(len);
        size_t got = 0;
        while (got < len) {
          ssize_t n = ::pread(fd, buf->data() + got, len - got, static_cast<off_t>(off + got));
          if (n < 0 && errno == EINTR) continue;
          if (n < 0) fail_errno(Exit::bad_input, "cannot read", obj);
          if (n == 0) fail(Exit::integrity, describe("cannot upload", "s3://" + bucket_ + "/" + obj, "the local file shrank"));
          got += static_cast<size_t>(n);
        }
        whole.update(buf->data(), len);
        auto it = existing.find(part);
        if (it != existing.end() && it->second.first == len && it->second.second == md5_hex(buf->data(), len)) {
          std::string crc = crcs ? crc32_b64(buf->data(), len) : std::string();
          std::unique_lock lk(mu);
          etags[static_cast<size_t>(part - 1)] = it->second.second;
          if (crcs) (*crcs)[static_cast<size_t>(part - 1)] = std::move(crc);
          completed.emplace_back(part, len);
          free_bufs.push_back(buf);
          continue;
        }
        {
          std::lock_guard lk(mu);
          jobs.push_back({part, buf, len});
        }
        cv.notify_all();
      }
      // Wait for the last parts.
      {
        std::unique_lock lk(mu);
        for (;;) {
          report(lk);
          if (worker_error) std::rethrow_exception(worker_error);
          if (parts_done == nparts) break;
          cv.wait_for(lk, std::chrono::milliseconds(200));
          check_interrupted();
        }
      }
      stop_workers();
    } catch (...) {
      cancel = true;
      stop_workers();
      throw;
    }
    std::string got = whole.hex_digest();
    if (got != expected)
      fail(Exit::integrity, describe("cannot upload", "s3://" + bucket_ + "/" + obj,
                                     "sha256 of what was sent is " + got + ", expected " + expected));
    return etags;
  }

  void complete_upload(const std::string& key, const std::string& obj, const std::string& upload_id,
                       const std::vector<std::string>& etags, const std::vector<std::string>& crcs,
                       const std::string& expected, uint64_t size) {
    std::string xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
    for (size_t i = 0; i < etags.size(); ++i) {
      xml += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>\"" + etags[i] + "\"</ETag>";
      if (i < crcs.size()) xml += "<ChecksumCRC32>" + crcs[i] + "</ChecksumCRC32>";
      xml += "</Part>";
    }
    xml += "</CompleteMultipartUpload>";
    Call c;
    c.what = "complete the upload of";
    c.method = "POST";
    c.object = obj;
    c.query = {{"uploadId", upload_id}};
    c.headers = {{"content-type", "application/xml"}};
    c.mem = xml.data();
    c.size = xml.size();
    c.payload_hash = sha256_hex(xml);
    c.slow_answer = true;
    int attempts = 0;
    c.on_attempt = [&] { ++attempts; };
    Response r;
    try {
      r = request(c);
    } catch (const Error& e) {
      if (e.code() == Exit::interrupted || attempts < 2 || !completed_already(key, expected, size, upload_id)) throw;
      return;
    }
    if (r.status == 200) return;
    // An earlier attempt may have completed the upload and only its answer was
    // lost: then the upload id is gone, and the object is there with our sha256.
    if (attempts >= 2 && completed_already(key, expected, size, upload_id)) return;
    fail_response(c, r);
  }

  // True when `key` holds `size` bytes stored with sha256 `expected`; then any
  // upload id still open for it is aborted (a no-op when it completed).
  bool completed_already(const std::string& key, const std::string& expected, uint64_t size,
                         const std::string& upload_id) {
    try {
      auto info = stat(key);
      if (!(info && info->size == size && info->sha256 && *info->sha256 == expected)) return false;
    } catch (const Error&) {
      return false;
    }
    try {
      abort_upload(object(key), upload_id);
    } catch (const Error&) {
    }
    return true;
  }

  std::string bucket_, prefix_, url_, region_, scheme_, host_;
  bool path_style_ = false;
  StorageOptions opt_;
  sigv4::Credentials creds_;
  Curl easy_;  // the calling thread's handle, kept for connection reuse
};

}  // namespace

std::unique_ptr<Storage> make_s3_storage(const StorageConfig& cfg, const std::string& bucket,
                                         const std::string& prefix, const StorageOptions& options) {
  return std::make_unique<S3Storage>(cfg, bucket, prefix, options);
}

}  // namespace gp::storage_detail
