#pragma once
// --no-after and the running of [env.<name>.after] steps shared by deploy, restore,
// env clone-content and import (lib/content/after.hpp).
#include <string>
#include <vector>

#include "cli.hpp"
#include "content/after.hpp"

namespace gp::cli {

// The row after_option() reads, a shared group of the option tables.
inline constexpr Option kAfterOptions[] = {
    {"no-after", 0, nullptr, "do not run the environment's after-steps ([env.<name>.after])"}};

// False when --no-after is given.
bool after_option(Args& args);

// Appends "then the after-steps of <env>: drush updb -y; drush cr" to a
// confirmation plan when `enabled` and the environment has steps for `event`.
void after_plan(std::vector<std::string>& plan, const Config& config, const std::string& env, AfterEvent event,
                bool enabled);

// Runs the steps (nothing when !enabled), flushing our stdout first; their output
// goes to our stdout, or to stderr when `json` (stdout then carries one document).
// A failing step is gp::Error(Exit::remote, "after-step 2 of 3 ('drush cr') failed
// with exit status 1: the <event> itself is done").
void run_after(Context& ctx, AfterEvent event, const std::string& env, const std::string& source, bool enabled,
               bool json, std::vector<std::pair<std::string, std::string>> extra_env = {});

}  // namespace gp::cli
