#pragma once
// Shared by the libFuzzer targets. A target calls the real library entry point;
// gp::Error is the library's answer to bad input and is expected. Anything else
// escaping (gp::InternalError, std::out_of_range, toml::parse_error ...) is a bug:
// it reaches std::terminate, which aborts, and libFuzzer records the input.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace gp::fuzz {

inline std::string as_string(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// A property the library promises was broken: report and abort, so that
// libFuzzer saves the input as a crash.
[[noreturn]] inline void violated(const std::string& what) {
  std::fprintf(stderr, "fuzz invariant violated: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

#define GP_FUZZ_CHECK(cond, what) \
  do {                            \
    if (!(cond)) ::gp::fuzz::violated(std::string(#cond) + ": " + (what)); \
  } while (0)

}  // namespace gp::fuzz
