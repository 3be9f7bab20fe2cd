#include "util/env.hpp"

#include <cstdlib>
#include <string>

#include "util/error.hpp"

namespace gp {

std::optional<uint64_t> env_number(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return std::nullopt;
  std::string s(v);
  if (s.size() > 15 || s.find_first_not_of("0123456789") != std::string::npos || std::stoull(s) == 0)
    fail(Exit::config, describe("invalid", std::string(name) + "=" + s, "expected a positive whole number"));
  return std::stoull(s);
}

}  // namespace gp
