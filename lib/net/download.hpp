#pragma once
// The one HTTP(S) downloader: every URL the program takes (import code/site/db/files,
// restore --from-files) goes through download(). It streams to a file (memory stays
// flat whatever the size), resumes an interrupted transfer with a Range request
// (starting over cleanly when the server answers 200 instead of 206), retries
// transient failures (5xx, 429, resets, timeouts) with exponential backoff a bounded
// number of times, follows at most 10 redirects over http/https only, verifies TLS
// (libcurl's default), and gives up on a transfer that stalls.
//
// URLs are never put in a message with their query string: presigned URLs carry
// their signature there. redact_url() is what every message uses.
#include <chrono>
#include <string>
#include <string_view>

#include "util/fs.hpp"
#include "util/progress.hpp"

namespace gp {

// True for http:// and https:// (case-insensitive scheme).
bool is_url(std::string_view s);

// The URL without its query string and fragment ("https://h/p?X-Amz-...": "https://h/p?...").
std::string redact_url(std::string_view url);

// The file name a URL names: the last component of its path, percent-decoded,
// without query string. gp::Error(bad_input) when the path has no usable name.
std::string url_file_name(std::string_view url);

struct DownloadOptions {
  int max_attempts = 6;                           // first try included
  std::chrono::milliseconds backoff{1000};        // doubled after each failure (capped at 30 s)
  long stall_seconds = 60;                        // below 1 byte/s for this long: a transient failure
  long connect_timeout_seconds = 30;
};

// Downloads `url` into `dest_dir` (created, 0700) under url_file_name(url) and
// returns the path. The transfer goes to "<name>.part" first and is renamed when
// complete. Errors (gp::Error, message with the redacted URL):
//  - 404/410: Exit::bad_input "cannot download '<url>': not found";
//  - 403 whose body is S3's AccessDenied / "Request has expired", or 400 with
//    ExpiredToken: Exit::bad_input "the URL has expired or is not allowed: <url>";
//  - other 4xx: Exit::bad_input with the HTTP status;
//  - 5xx, 429 and network failures after the last attempt: Exit::remote.
// The environment variable GIT_PANTHEON_DOWNLOAD_BACKOFF_MS overrides `backoff`.
fs::path download(const std::string& url, const fs::path& dest_dir, Progress& progress,
                  const DownloadOptions& options = {});

}  // namespace gp
