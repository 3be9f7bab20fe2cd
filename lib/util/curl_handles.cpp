#include "util/curl_handles.hpp"

namespace gp {

void curl_check(CURLcode rc, const std::string& what, Exit code) {
  if (rc != CURLE_OK) throw Error(code, what + ": " + curl_easy_strerror(rc));
}

}  // namespace gp
