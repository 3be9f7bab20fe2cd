// decide_prune: which backups stay, and why (see backup.hpp).
#include <map>

#include "backup/backup.hpp"
#include "backup/retention.hpp"

namespace gp {

namespace {
std::string day(TimePoint t) {
  std::string s = iso8601(t);
  return s.substr(0, 10) + " " + s.substr(11, 8) + " UTC";
}
}  // namespace

std::vector<PruneDecision> decide_prune(const std::vector<Backup>& all, const ProtectionMap& protections,
                                        const std::function<const RetentionPolicy&(const std::string& env)>& policy_for,
                                        TimePoint now) {
  std::vector<PruneDecision> out;
  out.reserve(all.size());
  // Per environment, the indexes of the backups its policy decides (newest first).
  std::map<std::string, std::vector<size_t>> by_env;
  for (size_t i = 0; i < all.size(); ++i) {
    const Backup& b = all[i];
    PruneDecision d{b, true, {}};
    if (auto it = protections.find(b.tag); it != protections.end()) d.reasons.push_back(it->second);
    const RetentionPolicy& pol = policy_for(b.manifest.env);
    if (pol.empty() || !user_backup(b.manifest)) {
      if (b.manifest.expires > now) {
        d.reasons.push_back("keep-for until " + day(b.manifest.expires));
      } else if (d.reasons.empty()) {
        d.keep = false;
        d.reasons.push_back("expired " + day(b.manifest.expires));
      }
    } else {
      by_env[b.manifest.env].push_back(i);
    }
    out.push_back(std::move(d));
  }
  for (auto& [env, idx] : by_env) {
    const RetentionPolicy& pol = policy_for(env);
    std::vector<TimePoint> times;
    for (size_t i : idx) times.push_back(all[i].manifest.created);
    auto reasons = apply_retention(times, pol, now);
    size_t kept = 0;
    for (size_t k = 0; k < idx.size(); ++k) {
      PruneDecision& d = out[idx[k]];
      for (auto& r : reasons[k]) d.reasons.push_back(r);
      if (d.reasons.empty()) {
        d.keep = false;
        d.reasons.push_back("not kept by the policy (" + pol.describe() + ")");
      } else {
        ++kept;
      }
    }
    if (kept == 0 && !idx.empty())
      fail(Exit::bad_input,
           describe("refusing to prune environment", env, "the policy (" + pol.describe() + ") would remove all its " +
                                                                std::to_string(idx.size()) + " backups"),
           "check the --keep-* options or [retention] in .pantheon.toml");
  }
  return out;
}

}  // namespace gp
