#pragma once
// Time points and durations as git-pantheon names and stores them.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gp {

using Clock = std::chrono::system_clock;
using TimePoint = std::chrono::time_point<Clock, std::chrono::microseconds>;

TimePoint now_utc();

// The time decisions are made at (backup creation, prune, schedule runs): now_utc(),
// or in a test build (GP_FAULT_INJECTION) the ISO 8601 time in GP_TEST_NOW when it
// is set, so that tests make and prune histories of any age without sleeping.
// gp::Error(Exit::config) for a malformed GP_TEST_NOW. Release builds never read it.
TimePoint current_time();
// True when current_time() is the test clock (a test build with GP_TEST_NOW set).
bool test_clock();

// "2026-11-25T12-00-00": the timestamp part of Pantheon's archive names.
std::string pantheon_stamp(TimePoint t);

// RFC 3339 UTC with microseconds, "2026-11-25T12:00:00.123456Z" (stored in manifests).
std::string iso8601(TimePoint t);

// For people: "2026-11-25 13:00:00 CET" in the local time zone (TZ honoured; the
// zone's abbreviation, or its offset "+0530" when it has none), or with `utc`
// "2026-11-25 12:00:00 UTC". `date_only`: "2026-11-25".
std::string display_time(TimePoint t, bool utc, bool date_only = false);

// How long ago `then` was at `now`, in the largest unit that gives a count of at
// least 1: "just now" under a minute, "12 min ago", "3 h ago" under 48 hours,
// "9 days ago" under 100 days, then months (of 30 days) under two years, then
// years. A time after `now` reads "in 3 h".
std::string age_text(TimePoint then, TimePoint now);

// Parses what iso8601() writes (fractional part optional); nullopt when malformed.
std::optional<TimePoint> parse_iso8601(std::string_view s);

// Parses a retention such as "30d", "12w", "6m", "1y", "36h" (m = 30 days,
// y = 365 days). Throws gp::Error(bad_input) naming `what` when malformed or zero.
std::chrono::seconds parse_duration(std::string_view s, const std::string& what);

// Parses a short duration for URLs and waits: "90s", "15m", "2h", "7d"
// (here m = minutes). Throws gp::Error(bad_input) naming `what` when malformed.
std::chrono::seconds parse_short_duration(std::string_view s, const std::string& what);

}  // namespace gp
