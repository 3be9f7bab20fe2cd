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

#include "net/retry.hpp"
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

// Share links of hosts that answer with a web page unless asked for the file
// itself: Dropbox's (dropbox.com, www.dropbox.com) get dl=1 (replacing dl=0, or
// added). Any other URL is returned unchanged.
std::string direct_download_url(std::string_view url);

// For share links whose direct form cannot be derived safely (Google Drive,
// OneDrive, SharePoint): a hint naming the direct-download form; empty otherwise.
std::string share_link_hint(std::string_view url);

struct DownloadOptions {
  // 6 attempts (first try included), waiting 1 s doubled after each failure, at most 30 s.
  RetryPolicy retry{6, std::chrono::seconds(1), std::chrono::seconds(30)};
  long stall_seconds = 60;                        // below 1 byte/s for this long: a transient failure
  long connect_timeout_seconds = 30;
};

// Downloads `url` (after direct_download_url) into `dest_dir` (created, 0700) under url_file_name(url) and
// returns the path. The transfer goes to "<name>.part" first and is renamed when
// complete. Errors (gp::Error, message with the redacted URL):
//  - 404/410: Exit::bad_input "cannot download '<url>': not found";
//  - 403 whose body is S3's AccessDenied / "Request has expired", or 400 with
//    ExpiredToken: Exit::bad_input "the URL has expired or is not allowed: <url>";
//  - other 4xx: Exit::bad_input with the HTTP status;
//  - a 2xx whose body is a web page (Content-Type text/html or XHTML, or a body
//    that begins "<!DOCTYPE html" / "<html"): Exit::bad_input "the server answered
//    with a web page ..., not a file", refused at its first bytes (nothing kept),
//    with share_link_hint() or a general hint;
//  - 5xx, 429 and network failures after the last attempt: Exit::remote.
// The environment variable GIT_PANTHEON_DOWNLOAD_BACKOFF_MS overrides `retry.backoff`.
fs::path download(const std::string& url, const fs::path& dest_dir, Progress& progress,
                  const DownloadOptions& options = {});

}  // namespace gp
