#include "storage/s3_transport.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>
#include <vector>

#include "storage/s3_util.hpp"
#include "util/ascii.hpp"
#include "util/signals.hpp"

namespace gp::storage_detail {

namespace {

void curl_global() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

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
    std::string name = ascii_lower(line.substr(0, colon));
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

}  // namespace

S3Transport::S3Transport(S3Config config, const StorageOptions& options)
    : cfg_(std::move(config)),
      // No cap of its own: the wait stops doubling after 10 failures (backoff x 1024).
      retry_{std::max(1u, options.max_attempts), options.backoff, options.backoff * 1024, true},
      low_speed_time_(options.low_speed_time) {
  curl_global();
}

Response S3Transport::request(Call& c, CURL* handle) {
  if (!handle) {
    if (!easy_) easy_.reset(curl_easy_init());
    handle = easy_.get();
  }
  if (!handle) throw InternalError("curl_easy_init failed");
  std::string last_error;
  for (unsigned attempt = 1;; ++attempt) {
    check_cancelled(c.cancel);
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
    sreq.path = cfg_.path_for(c.object);
    sreq.query = c.query;
    std::string date = sigv4::amz_date_now();
    sreq.headers = {{"host", cfg_.host}, {"x-amz-date", date}, {"x-amz-content-sha256", c.payload_hash}};
    if (!cfg_.creds.session_token.empty()) sreq.headers.emplace_back("x-amz-security-token", cfg_.creds.session_token);
    std::vector<std::string> unsigned_headers;
    for (auto& h : c.headers) {
      if (h.first == "range")
        unsigned_headers.push_back("Range: " + h.second);
      else
        sreq.headers.push_back(h);
    }
    sreq.payload_hash = c.payload_hash;
    auto sig = sigv4::sign_headers(sreq, cfg_.creds, cfg_.region, "s3", date);
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
    std::string url = cfg_.scheme + "://" + cfg_.host + sigv4::canonical_uri(sreq.path);
    std::string q = sigv4::canonical_query(sreq.query);
    if (!q.empty()) url += "?" + q;

    curl_easy_reset(handle);
    curl_easy_setopt(handle, CURLOPT_URL, url.c_str());
    curl_easy_setopt(handle, CURLOPT_HTTPHEADER, hdrs.get());
    curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(handle, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(handle, CURLOPT_LOW_SPEED_TIME, c.slow_answer ? std::max(low_speed_time_, 600L) : low_speed_time_);
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
      retry = transient_curl(rc);
      if (!retry || retry_.exhausted(attempt))
        fail(Exit::remote,
             describe("cannot " + c.what, cfg_.subject(c.object),
                      last_error + (attempt > 1 ? ", after " + std::to_string(attempt) + " attempts" : "")),
             "check the endpoint and the network; the transfer resumes where it stopped when run again");
    } else {
      curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &resp.status);
      // A 200 from CompleteMultipartUpload can still carry an error.
      bool body_error = resp.status == 200 && c.method == "POST" && resp.body.find("<Error>") != std::string::npos;
      retry = transient_http(resp.status) || body_error;
      if (!retry || retry_.exhausted(attempt)) {
        if (body_error) resp.status = 500;
        return resp;
      }
    }
    // Exponential backoff with jitter (net/retry.hpp); a Retry-After (seconds)
    // from the service is honoured, up to a minute.
    auto delay = retry_.delay(attempt);
    if (std::string ra = resp.header("retry-after"); !ra.empty() && ra.size() < 6 &&
                                                      ra.find_first_not_of("0123456789") == std::string::npos)
      delay = std::max<std::chrono::milliseconds>(delay, std::chrono::seconds(std::min(std::stoi(ra), 60)));
    wait_interruptibly(delay, c.cancel);
  }
}


void S3Transport::fail_response(const Call& c, const Response& r) const {
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
    throw PermanentError(Exit::remote, describe("cannot " + c.what, cfg_.subject(c.object), cause), hint);
  throw Error(Exit::remote, describe("cannot " + c.what, cfg_.subject(c.object), cause), hint);
}

std::optional<ObjectInfo> S3Transport::head(const std::string& obj) {
  Call c;
  c.what = "stat";
  c.method = "HEAD";
  c.head = true;
  c.object = obj;
  auto r = request(c);
  if (r.status == 404) return std::nullopt;
  if (r.status != 200) fail_response(c, r);
  ObjectInfo o;
  o.size = std::strtoull(r.header("content-length").c_str(), nullptr, 10);
  if (!r.header("etag").empty()) o.etag = unquote(r.header("etag"));
  if (!r.header("x-amz-meta-sha256").empty()) o.sha256 = r.header("x-amz-meta-sha256");
  return o;
}

std::string S3Transport::presign_get(const std::string& obj, int64_t seconds) const {
  sigv4::Request req;
  req.method = "GET";
  req.path = cfg_.path_for(obj);
  req.headers = {{"host", cfg_.host}};
  req.payload_hash = sigv4::kUnsignedPayload;
  auto s = sigv4::presign(req, cfg_.creds, cfg_.region, "s3", sigv4::amz_date_now(), seconds);
  return cfg_.scheme + "://" + cfg_.host + sigv4::canonical_uri(req.path) + "?" + s.query;
}

}  // namespace gp::storage_detail
