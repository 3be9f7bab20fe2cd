#pragma once
// The URL-rewrite options and output shared by restore, env clone-content,
// deploy --sync-content and import (lib/content, lib/restore's RewriteRequest).
#include <iosfwd>
#include <string>

#include "cli.hpp"
#include "restore/restore.hpp"
#include "util/json.hpp"

namespace gp::cli {

// --no-rewrite, --rewrite FROM=TO (repeatable), --rewrite-guid; gp::Error(usage)
// for a malformed pair or --rewrite with --no-rewrite.
RewriteRequest rewrite_options(Args& args);

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
