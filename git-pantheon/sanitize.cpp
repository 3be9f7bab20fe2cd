#include "sanitize.hpp"

#include "content/sanitize.hpp"
#include "db/database.hpp"

namespace gp::cli {

bool sanitize_option(Args& args) { return args.flag("sanitize"); }

void refuse_sanitize_live(bool flag, const std::string& target) {
  if (flag && target == "live")
    throw Error(Exit::usage, "--sanitize never runs on live, not even with --confirm-env live: its users are real");
}

bool sanitizing(const Config& config, const std::string& target, const std::string& from, bool flag) {
  if (target == "live" || from == target) return false;
  return flag || config.env(target).sanitize;
}

void sanitize_plan(std::vector<std::string>& plan, const Config& config, const std::string& target,
                   const std::string& from, bool flag) {
  if (!sanitizing(config, target, from, flag)) return;
  const auto& extra = config.env(target).sanitize_sql;
  plan.push_back("then the database of " + target + " is sanitised (users' e-mails and passwords, sessions" +
                 (extra.empty() ? std::string() : ", " + std::to_string(extra.size()) + " sanitize_sql statements") + ")");
}

void sanitize_database(Context& ctx, const Store& store, const std::string& target) {
  const Config& cfg = ctx.config();
  const EnvConfig& env = cfg.env(target);
  auto db = open_database(env, ctx.root(), store.secrets_dir(), store.tmp_dir());
  try {
    auto statements = sanitize_statements(cfg.framework, env.require_database().kind, db->tables(), env.sanitize_sql);
    if (statements.empty()) {
      ctx.progress().info("nothing to sanitise in the database of " + target + " (no users or sessions table of " +
                          to_string(cfg.framework) + ", no sanitize_sql)");
      return;
    }
    std::string sql;
    for (auto& s : statements) sql += s + "\n";
    db->execute(sql);
    ctx.progress().info("sanitised the database of " + target + " (" + std::to_string(statements.size()) +
                        " statements)");
  } catch (const Error& e) {
    if (e.code() == Exit::interrupted) throw;
    throw Error(Exit::remote, "the database of '" + target + "' is in place but not sanitised: " + e.what(),
                "fix the cause and sanitise it yourself; do not share this copy meanwhile");
  }
}

}  // namespace gp::cli
