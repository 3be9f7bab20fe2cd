#pragma once
// Retention policies with restic's `forget` semantics, as pure functions over
// creation times (no repository, no clock: tests give the times).
//
//   keep-last N       the N newest backups
//   keep-hourly N     the newest backup in each of the last N hours that have one
//   keep-daily N      ... days, keep-weekly N: ISO weeks (Monday to Sunday),
//   keep-monthly N    ... months, keep-yearly N: years
//   keep-within D     every backup created within D (e.g. "1y6m", "30d", "12h") of
//                     the newest backup (not of now: a site that stopped backing up
//                     keeps its last ones), D counted on the calendar as restic
//                     does (1m = one month, 1y = one year)
// N = -1 means unlimited (every bucket). The rules are a union: a backup stays
// when any rule keeps it, and every rule that keeps it is named. As in restic
// 0.17, a bucket rule that still has counts left when it reaches the oldest
// backup keeps that one too ("oldest daily snapshot").
//
// Buckets are taken in the local time of the process (TZ), as restic takes them in
// the time zone the snapshot was recorded in: "daily" means the days of the person
// or machine running the prune. `TZ=UTC git pantheon backup prune ...` prunes by
// UTC days.
#include <string>
#include <vector>

#include "config/policy.hpp"
#include "util/timeutil.hpp"

namespace gp {

// restic's ApplyPolicy over one group's creation times, which the caller gives
// NEWEST FIRST (ties in the caller's order). `now` only bounds which backup counts
// as the newest for keep-within (one from the future does not). Returns, for each
// input, the rules that keep it (empty: the policy does not keep it). An empty
// policy keeps nothing.
std::vector<std::vector<std::string>> apply_retention(const std::vector<TimePoint>& newest_first,
                                                     const RetentionPolicy& policy, TimePoint now);

}  // namespace gp
