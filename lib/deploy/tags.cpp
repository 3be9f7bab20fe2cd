#include "deploy/tags.hpp"

#include <algorithm>

namespace gp {

std::optional<unsigned long> deploy_number(const std::string& name, const std::string& env) {
  std::string prefix = "pantheon_" + env + "_";
  if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
  std::string digits = name.substr(prefix.size());
  if (digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  if (digits.size() > 1 && digits[0] == '0') return std::nullopt;
  return std::stoul(digits);
}

std::vector<DeployTag> deploy_tags(const Repo& repo, const std::string& env) {
  std::vector<DeployTag> out;
  for (auto& t : repo.tags("pantheon_" + env + "_")) {
    if (auto n = deploy_number(t.name, env)) out.push_back({t, env, *n});
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.number < b.number; });
  return out;
}

std::optional<DeployTag> latest_deploy_tag(const Repo& repo, const std::string& env) {
  auto all = deploy_tags(repo, env);
  if (all.empty()) return std::nullopt;
  return all.back();
}

}  // namespace gp
