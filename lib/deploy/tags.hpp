#pragma once
// Deploy tags as Pantheon names them: pantheon_<env>_<N>, annotated, N counted
// numerically (10 comes after 9); `pantheon.initialize` marks the first code state.
#include <optional>
#include <string>
#include <vector>

#include "git/repo.hpp"

namespace gp {

inline constexpr const char* kInitialTag = "pantheon.initialize";

struct DeployTag {
  TagInfo tag;
  std::string env;
  unsigned long number = 0;
};

// N when `name` is exactly pantheon_<env>_<N> (N without leading zeros), else nullopt.
std::optional<unsigned long> deploy_number(const std::string& name, const std::string& env);

// Deploy tags of `env`, ordered by N ascending.
std::vector<DeployTag> deploy_tags(const Repo& repo, const std::string& env);

// The highest-numbered deploy tag of `env`, if any.
std::optional<DeployTag> latest_deploy_tag(const Repo& repo, const std::string& env);

}  // namespace gp
