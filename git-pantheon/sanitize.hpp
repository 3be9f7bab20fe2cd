#pragma once
// --sanitize and [env.<name>] sanitize = true, shared by restore, env clone-content,
// deploy --sync-content and import (lib/content/sanitize.hpp; lib/db's execute()).
#include <string>
#include <vector>

#include "cli.hpp"
#include "restore/restore.hpp"

namespace gp::cli {

// The row sanitize_option() reads, a shared group of the option tables.
inline constexpr Option kSanitizeOptions[] = {
    {"sanitize", 0, nullptr, "sanitise the database that lands (e-mails, passwords, sessions); never into live"}};

// --sanitize.
bool sanitize_option(Args& args);
// gp::Error(usage) for --sanitize into live: live is never sanitised, not even
// with --confirm-env live. Before anything changes.
void refuse_sanitize_live(bool flag, const std::string& target);

// True when a database that lands in `target` from `from` (another environment,
// or "" for content of unknown origin) is to be sanitised: --sanitize or the
// environment's `sanitize = true`, never live, never its own content.
bool sanitizing(const Config& config, const std::string& target, const std::string& from, bool flag);

// Appends "then the database of dev is sanitised (...)" to a confirmation plan.
void sanitize_plan(std::vector<std::string>& plan, const Config& config, const std::string& target,
                   const std::string& from, bool flag);

// Sanitises the database of `target` (the caller holds the store lock, whose tmp/
// holds the client files). gp::Error(remote) "the database of 'dev' is in place
// but not sanitised: ..." when a statement fails.
void sanitize_database(Context& ctx, const Store& store, const std::string& target);

}  // namespace gp::cli
