#pragma once
// The URL-rewrite options and output shared by restore, env clone-content,
// deploy --sync-content and import (lib/content, lib/restore's RewriteRequest).
#include <iosfwd>
#include <string>

#include "cli.hpp"
#include "restore/restore.hpp"
#include "util/json.hpp"

namespace gp::cli {

// The rows rewrite_options() reads, a shared group of the option tables.
inline constexpr Option kRewriteOptions[] = {{"no-rewrite", 0, nullptr, "load the database as it is (no URL rewrite)"},
                                             {"rewrite", 0, "<from=to>", "also replace the URL from with to", true},
                                             {"rewrite-guid", 0, nullptr, "rewrite the guid columns too"}};
// The environment loose files (or a dump) come from, whose URLs are rewritten.
inline constexpr Option kFromEnvOptions[] = {
    {"from-env", 0, "<env>", "the environment the files come from (its URLs are rewritten)", false, Complete::env}};

// --no-rewrite, --rewrite FROM=TO (repeatable), --rewrite-guid; gp::Error(usage)
// for a malformed pair or --rewrite with --no-rewrite.
RewriteRequest rewrite_options(const Args& args);

// "  rewrote 12 URLs in wp_options, 3 in wp_posts (https://a -> https://b)", or
// "  no URL to rewrite found (...)"; nothing when no pair was in effect.
void print_rewrite(std::ostream& out, const RewriteReport& report);
// One line for Progress::info (deploy --sync-content), "" when nothing to say.
std::string rewrite_summary(const RewriteReport& report);

// The "rewrite" member of --format=json output: null when the database was not
// restored, else {"from_env", "pairs": [{"from","to"}], "urls", "values",
// "tables": {"<table>": {"urls","values","unparsable","oversized"}}, "note"}.
void json_rewrite(JsonWriter& j, const std::optional<RewriteReport>& report);

}  // namespace gp::cli
