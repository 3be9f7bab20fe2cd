#include "net/download.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <optional>

#include "util/ascii.hpp"
#include "util/curl_handles.hpp"
#include "util/signals.hpp"

namespace gp {

namespace {

struct Transfer {
  CURL* curl = nullptr;
  int fd = -1;
  fs::path part;
  uint64_t offset = 0;        // bytes already in the .part file when the request was sent
  uint64_t written = 0;       // bytes appended by this request
  bool decided = false;       // the status line of the final response has been seen
  long status = 0;
  bool error_body = false;    // the response is an error: its body is kept (bounded), not written
  std::string body;
  std::string content_range;  // of the final response
  std::string content_type;   // of the final response, lower case
  bool web_page = false;      // the final response is an HTML page: refused, nothing written
  Progress* progress = nullptr;
  std::string write_error;
};

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) {  // a new response (redirects)
    t->content_range.clear();
    t->content_type.clear();
  }
  auto value_of = [&](std::string_view key) -> std::optional<std::string> {
    if (line.size() <= key.size() || ascii_lower(line.substr(0, key.size())) != key) return std::nullopt;
    auto v = line.substr(key.size());
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ')) v.remove_suffix(1);
    return std::string(v);
  };
  if (auto v = value_of("content-range:")) t->content_range = *v;
  if (auto v = value_of("content-type:")) t->content_type = ascii_lower(*v);
  return size * n;
}

// A web page where a file was asked for: by its type, or by its first bytes (a
// page served as application/octet-stream still begins like one).
bool is_web_page(const std::string& content_type, std::string_view first) {
  if (content_type.rfind("text/html", 0) == 0 || content_type.rfind("application/xhtml", 0) == 0) return true;
  if (first.rfind("\xef\xbb\xbf", 0) == 0) first.remove_prefix(3);
  while (!first.empty() && std::isspace(static_cast<unsigned char>(first.front()))) first.remove_prefix(1);
  std::string head = ascii_lower(first.substr(0, 14));
  return head.rfind("<!doctype html", 0) == 0 || head.rfind("<html", 0) == 0;
}

// Start offset of "bytes N-M/T", or -1.
long long range_start(const std::string& cr) {
  if (cr.rfind("bytes ", 0) != 0) return -1;
  char* end = nullptr;
  long long v = std::strtoll(cr.c_str() + 6, &end, 10);
  return (end && *end == '-') ? v : -1;
}

size_t on_data(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * n;
  if (!t->decided) {
    t->decided = true;
    curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &t->status);
    if (t->status >= 300) {
      t->error_body = true;
    } else if (is_web_page(t->content_type, std::string_view(data, len))) {
      t->web_page = true;
      return 0;  // stops the transfer: nothing of it is written
    } else if (t->offset > 0 && (t->status != 206 || range_start(t->content_range) != static_cast<long long>(t->offset))) {
      // The server ignored the range (or answered another one): start over cleanly.
      if (::ftruncate(t->fd, 0) != 0 || ::lseek(t->fd, 0, SEEK_SET) != 0) {
        t->write_error = errno_text(errno);
        return 0;
      }
      t->offset = 0;
    }
  }
  if (t->error_body) {
    if (t->body.size() < 64 * 1024) t->body.append(data, std::min(len, 64 * 1024 - t->body.size()));
    return len;
  }
  try {
    write_all(t->fd, data, len, t->part.string());
  } catch (const Error& e) {
    t->write_error = e.what();
    return 0;
  }
  t->written += len;
  if (t->progress) t->progress->update(t->offset + t->written, 0);
  return len;
}

int on_progress(void*, curl_off_t, curl_off_t, curl_off_t, curl_off_t) { return interrupted() ? 1 : 0; }

uint64_t file_size(int fd) {
  struct stat st {};
  return ::fstat(fd, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The host of a URL, lower case, without user info and port.
std::string url_host(std::string_view url) {
  auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return {};
  std::string_view rest = url.substr(scheme + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (auto at = rest.rfind('@'); at != std::string_view::npos) rest.remove_prefix(at + 1);
  rest = rest.substr(0, rest.find(':'));
  return ascii_lower(rest);
}

bool host_is(const std::string& host, std::string_view domain) {
  return host == domain ||
         (host.size() > domain.size() && host.compare(host.size() - domain.size(), domain.size(), domain) == 0 &&
          host[host.size() - domain.size() - 1] == '.');
}

}  // namespace

std::string direct_download_url(std::string_view url) {
  std::string host = url_host(url);
  if (host != "dropbox.com" && host != "www.dropbox.com") return std::string(url);
  std::string_view base = url.substr(0, url.find_first_of("?#"));
  std::string_view query;
  if (auto q = url.find('?'); q != std::string_view::npos) query = url.substr(q + 1, url.find('#', q) - q - 1);
  std::string out(base);
  bool dl = false;
  char sep = '?';
  while (!query.empty()) {
    std::string_view part = query.substr(0, query.find('&'));
    query = part.size() < query.size() ? query.substr(part.size() + 1) : std::string_view{};
    if (part.empty()) continue;
    if (part.rfind("dl=", 0) == 0) {
      if (dl) continue;
      part = "dl=1";
      dl = true;
    }
    out += sep;
    out += part;
    sep = '&';
  }
  if (!dl) out += std::string(1, sep) + "dl=1";
  return out;
}

std::string share_link_hint(std::string_view url) {
  std::string host = url_host(url);
  if (host == "drive.google.com" || host == "docs.google.com") {
    std::string_view path = url.substr(0, url.find_first_of("?#"));
    std::string id;
    if (auto d = path.find("/file/d/"); d != std::string_view::npos) {
      std::string_view rest = path.substr(d + 8);
      id = std::string(rest.substr(0, rest.find('/')));
    }
    return "Google Drive shows a page for share links; its direct form is https://drive.google.com/uc?export=download&id=" +
           (id.empty() ? std::string("<file id>") : id) +
           " (files over 100 MB still answer with a confirmation page: download those in a browser)";
  }
  if (host == "1drv.ms" || host_is(host, "onedrive.live.com") || host_is(host, "sharepoint.com"))
    return "OneDrive and SharePoint show a page for share links; add download=1 to the link's query "
           "(...?download=1, or &download=1 when it has one) for the file itself";
  return {};
}

bool is_url(std::string_view s) {
  auto starts = [&](std::string_view p) {
    if (s.size() < p.size()) return false;
    for (size_t i = 0; i < p.size(); ++i)
      if (std::tolower(static_cast<unsigned char>(s[i])) != p[i]) return false;
    return true;
  };
  return starts("http://") || starts("https://");
}

std::string redact_url(std::string_view url) {
  auto q = url.find_first_of("?#");
  if (q == std::string_view::npos) return std::string(url);
  return std::string(url.substr(0, q)) + "?...";
}

std::string url_file_name(std::string_view url) {
  std::string_view u = url.substr(0, url.find_first_of("?#"));
  auto scheme = u.find("://");
  std::string_view path = scheme == std::string_view::npos ? u : u.substr(scheme + 3);
  auto slash = path.find('/');
  path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash);
  std::string_view last = path.substr(path.rfind('/') + 1);
  std::string name;
  for (size_t i = 0; i < last.size(); ++i) {
    if (last[i] == '%' && i + 2 < last.size() + 0 && hex(last[i + 1]) >= 0 && hex(last[i + 2]) >= 0) {
      name += static_cast<char>(hex(last[i + 1]) * 16 + hex(last[i + 2]));
      i += 2;
    } else {
      name += last[i];
    }
  }
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
      name.find('\0') != std::string::npos)
    fail(Exit::bad_input, describe("cannot download", redact_url(url), "its path names no file"));
  return name;
}

fs::path download(const std::string& given, const fs::path& dest_dir, Progress& progress, const DownloadOptions& opts) {
  const std::string url = direct_download_url(given);
  if (url != given) progress.info("asking " + url_host(url) + " for the file itself (dl=1) instead of its web page");
  const std::string shown = redact_url(url);
  if (!is_url(url)) fail(Exit::bad_input, describe("cannot download", shown, "only http:// and https:// URLs are supported"));
  std::string name = url_file_name(url);
  make_dirs(dest_dir, 0700);
  fs::path final_path = dest_dir / name;
  Transfer t;
  t.part = dest_dir / (name + ".part");
  Fd fd = open_file(t.part, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600, Exit::internal);
  t.fd = fd.get();
  t.progress = &progress;

  RetryPolicy retry = opts.retry;
  if (const char* env = std::getenv("GIT_PANTHEON_DOWNLOAD_BACKOFF_MS"))
    retry.backoff = std::chrono::milliseconds(std::strtoll(env, nullptr, 10));

  Curl curl(curl_easy_init());
  if (!curl) throw InternalError("curl_easy_init failed");
  CURL* c = curl.get();
  t.curl = c;
  curl_check(curl_easy_setopt(c, CURLOPT_URL, url.c_str()), "cannot download '" + shown + "'", Exit::bad_input);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, opts.connect_timeout_seconds);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, opts.stall_seconds);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "git-pantheon");
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);

  progress.start("downloading " + name, 0);
  std::string last_failure;
  for (unsigned attempt = 1;; ++attempt) {
    check_interrupted();
    t.offset = file_size(t.fd);
    t.written = 0;
    t.decided = false;
    t.status = 0;
    t.error_body = false;
    t.body.clear();
    t.content_range.clear();
    std::string range = std::to_string(t.offset) + "-";
    curl_easy_setopt(c, CURLOPT_RANGE, t.offset > 0 ? range.c_str() : nullptr);
    CURLcode rc = curl_easy_perform(c);
    check_interrupted();
    if (!t.write_error.empty()) fail(Exit::internal, describe("cannot write", t.part.string(), t.write_error));
    if (t.web_page) {
      fd.reset();
      ::unlink(t.part.c_str());
      std::string hint = share_link_hint(url);
      if (hint.empty())
        hint = "a share, login or expired-link page: use the file's direct download link (the one a browser's "
               "download starts from)";
      std::string type = t.content_type.empty() ? "" : " (" + t.content_type.substr(0, t.content_type.find(';')) + ")";
      fail(Exit::bad_input, describe("cannot download", shown, "the server answered with a web page" + type + ", not a file"),
           hint);
    }
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    bool transient = false;
    if (rc == CURLE_OK && status >= 200 && status < 300) {
      // An empty body never reached on_data: a whole (empty) file unless it is a 206.
      if (!t.decided && t.offset > 0 && status != 206 && ::ftruncate(t.fd, 0) != 0)
        fail_errno(Exit::internal, "cannot truncate", t.part.string());
      fsync_fd(t.fd, t.part.string());
      if (::rename(t.part.c_str(), final_path.c_str()) != 0) fail_errno(Exit::internal, "cannot move into place", final_path.string());
      fsync_dir(dest_dir);
      progress.finish();
      return final_path;
    }
    if (rc == CURLE_OK || (status >= 300 && rc == CURLE_PARTIAL_FILE)) {
      if (status == 404 || status == 410) fail(Exit::bad_input, describe("cannot download", shown, "not found (HTTP " + std::to_string(status) + ")"));
      if ((status == 403 || status == 400) &&
          (t.body.find("Request has expired") != std::string::npos || t.body.find("AccessDenied") != std::string::npos ||
           t.body.find("ExpiredToken") != std::string::npos))
        fail(Exit::bad_input, "the URL has expired or is not allowed: " + shown,
             "ask for a new link (Pantheon's backup links are valid for a limited time)");
      if (status == 416 && t.offset > 0) {
        // Our range lies beyond what the server has: what we hold is not its file.
        if (::ftruncate(t.fd, 0) != 0) fail_errno(Exit::internal, "cannot truncate", t.part.string());
        transient = true;
      } else if (transient_http(status) || status == 408) {
        transient = true;
      } else {
        fail(Exit::bad_input, describe("cannot download", shown, "the server answered HTTP " + std::to_string(status)));
      }
      last_failure = "HTTP " + std::to_string(status);
    } else {
      if (rc == CURLE_TOO_MANY_REDIRECTS) fail(Exit::bad_input, describe("cannot download", shown, "too many redirects"));
      if (rc == CURLE_UNSUPPORTED_PROTOCOL)
        fail(Exit::bad_input, describe("cannot download", shown, "redirected to a protocol other than http/https"));
      transient = transient_curl(rc);
      last_failure = curl_easy_strerror(rc);
      if (!transient) fail(Exit::remote, describe("cannot download", shown, last_failure));
    }
    if (retry.exhausted(attempt))
      fail(Exit::remote, describe("cannot download", shown, last_failure + " (after " + std::to_string(attempt) + " attempts)"));
    auto wait = retry.delay(attempt);
    progress.info("download of " + shown + " failed (" + last_failure + "), retrying in " +
                  std::to_string(wait.count()) + " ms");
    wait_interruptibly(wait);
  }
}

}  // namespace gp
