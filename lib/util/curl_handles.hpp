#pragma once
// libcurl's handles (util/handle.hpp) and its check helper.
#include <curl/curl.h>

#include <string>

#include "util/error.hpp"
#include "util/handle.hpp"

namespace gp {

using Curl = Handle<CURL, curl_easy_cleanup>;
using CurlSlist = Handle<curl_slist, curl_slist_free_all>;
using CurlUrl = Handle<CURLU, curl_url_cleanup>;

// Throws gp::Error(code, "<what>: <curl_easy_strerror(rc)>") when rc != CURLE_OK.
void curl_check(CURLcode rc, const std::string& what, Exit code = Exit::remote);

}  // namespace gp
