#pragma once
// Settings read from the environment (GIT_PANTHEON_*): one parser, one message.
#include <cstdint>
#include <optional>

namespace gp {

// A positive whole number from the environment variable `name`, or nullopt when it
// is unset or empty; anything else is gp::Error(Exit::config) naming the variable.
std::optional<uint64_t> env_number(const char* name);

}  // namespace gp
