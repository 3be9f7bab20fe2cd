// Retention policies (restic's forget semantics) over generated backup histories:
// times are given, never slept. Property tests print their seed; rerun one with
// GP_TEST_SEED=<seed>.
#include "backup/retention.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <map>
#include <random>
#include <set>

#include "backup/backup.hpp"
#include "config/config.hpp"
#include "util/error.hpp"

namespace gp {
namespace {

class TzGuard {
 public:
  explicit TzGuard(const char* tz) {
    if (const char* old = std::getenv("TZ")) old_ = old;
    ::setenv("TZ", tz, 1);
    ::tzset();
  }
  ~TzGuard() {
    if (old_) ::setenv("TZ", old_->c_str(), 1);
    else ::unsetenv("TZ");
    ::tzset();
  }

 private:
  std::optional<std::string> old_;
};

TimePoint at(const char* iso) { return *parse_iso8601(iso); }

uint64_t test_seed() {
  static uint64_t seed = [] {
    uint64_t s;
    if (const char* e = std::getenv("GP_TEST_SEED"); e && *e) s = std::strtoull(e, nullptr, 10);
    else s = std::random_device{}();
    std::cout << "[ retention ] seed " << s << " (rerun with GP_TEST_SEED=" << s << ")\n";
    return s;
  }();
  return seed;
}

// Random creation times over about two years, newest first.
std::vector<TimePoint> random_history(std::mt19937_64& rng) {
  TimePoint base = at("2026-01-01T00:00:00Z");
  size_t n = std::uniform_int_distribution<size_t>(0, 80)(rng);
  int shape = std::uniform_int_distribution<int>(0, 2)(rng);
  std::vector<TimePoint> out;
  for (size_t i = 0; i < n; ++i) {
    long long secs;
    if (shape == 0) secs = std::uniform_int_distribution<long long>(0, 2LL * 365 * 86400)(rng);  // spread
    else if (shape == 1) secs = static_cast<long long>(i) * 86400 + std::uniform_int_distribution<long long>(0, 3600)(rng);  // daily
    else secs = std::uniform_int_distribution<long long>(0, 3 * 86400)(rng);  // bursts within days
    out.push_back(base + std::chrono::seconds(secs));
  }
  std::sort(out.begin(), out.end(), std::greater<>());
  return out;
}

RetentionPolicy random_policy(std::mt19937_64& rng) {
  RetentionPolicy p;
  auto count = [&]() {
    int r = std::uniform_int_distribution<int>(0, 9)(rng);
    return r < 4 ? 0 : r == 9 ? -1 : std::uniform_int_distribution<int>(1, 12)(rng);
  };
  p.last = count(), p.hourly = count(), p.daily = count(), p.weekly = count(), p.monthly = count(), p.yearly = count();
  if (std::uniform_int_distribution<int>(0, 2)(rng) == 0) p.within.days = std::uniform_int_distribution<int>(1, 90)(rng);
  return p;
}

std::set<size_t> kept(const std::vector<std::vector<std::string>>& reasons) {
  std::set<size_t> out;
  for (size_t i = 0; i < reasons.size(); ++i)
    if (!reasons[i].empty()) out.insert(i);
  return out;
}

// Reference bucket rule, written independently of the implementation: the newest
// backup of each of the n newest buckets; while fewer than n buckets exist, the
// oldest backup as well.
std::set<size_t> reference_bucket(const std::vector<TimePoint>& t, int n, const std::function<long long(TimePoint)>& key) {
  std::set<size_t> out;
  std::vector<long long> seen;
  for (size_t i = 0; i < t.size(); ++i) {
    long long k = key(t[i]);
    if (std::find(seen.begin(), seen.end(), k) != seen.end()) continue;
    if (n >= 0 && static_cast<int>(seen.size()) >= n) break;
    seen.push_back(k);
    out.insert(i);
  }
  if (!t.empty() && (n < 0 || static_cast<int>(seen.size()) < n)) out.insert(t.size() - 1);
  return out;
}

long long utc_day(TimePoint t) {
  return std::chrono::floor<std::chrono::days>(t.time_since_epoch()).count();
}

TEST(Retention, EmptyPolicyKeepsNothingAndKeepLastKeepsTheNewest) {
  std::vector<TimePoint> t{at("2026-03-03T00:00:00Z"), at("2026-03-02T00:00:00Z"), at("2026-03-01T00:00:00Z")};
  EXPECT_TRUE(kept(apply_retention(t, {}, at("2027-01-01T00:00:00Z"))).empty());
  RetentionPolicy p;
  p.last = 2;
  auto r = apply_retention(t, p, at("2027-01-01T00:00:00Z"));
  EXPECT_EQ(kept(r), (std::set<size_t>{0, 1}));
  EXPECT_EQ(r[0], std::vector<std::string>{"keep-last"});
}

TEST(Retention, ResticDailyWeeklyExample) {
  TzGuard tz("UTC");
  // A backup every day at noon for 60 days, ending Sunday 2026-03-01.
  std::vector<TimePoint> t;
  TimePoint newest = at("2026-03-01T12:00:00Z");
  for (int i = 0; i < 60; ++i) t.push_back(newest - std::chrono::days(i));
  RetentionPolicy p;
  p.daily = 7;
  p.weekly = 4;
  auto r = apply_retention(t, p, newest + std::chrono::hours(1));
  // 7 dailies: indexes 0..6; weeklies: the Sundays 0, 7, 14, 21 (ISO weeks end on Sunday).
  EXPECT_EQ(kept(r), (std::set<size_t>{0, 1, 2, 3, 4, 5, 6, 7, 14, 21}));
  EXPECT_EQ(r[0], (std::vector<std::string>{"keep-daily", "keep-weekly"}));
  EXPECT_EQ(r[7], std::vector<std::string>{"keep-weekly"});
}

TEST(Retention, OldestKeptWhileCountsRemain) {
  TzGuard tz("UTC");
  std::vector<TimePoint> t{at("2026-03-02T10:00:00Z"), at("2026-03-02T09:00:00Z"), at("2026-03-01T10:00:00Z"),
                           at("2026-03-01T09:00:00Z")};
  RetentionPolicy p;
  p.daily = 5;
  auto r = apply_retention(t, p, at("2026-04-01T00:00:00Z"));
  EXPECT_EQ(kept(r), (std::set<size_t>{0, 2, 3}));
  EXPECT_EQ(r[3], std::vector<std::string>{"keep-daily (oldest)"});
}

TEST(Retention, KeepWithinCountsFromTheNewestNotFromNow) {
  std::vector<TimePoint> t{at("2026-03-10T00:00:00Z"), at("2026-03-01T00:00:01Z"), at("2026-02-28T00:00:00Z")};
  RetentionPolicy p;
  p.within = *parse_calendar_span("9d");
  auto r = apply_retention(t, p, at("2030-01-01T00:00:00Z"));
  EXPECT_EQ(kept(r), (std::set<size_t>{0, 1}));
  EXPECT_EQ(r[1], std::vector<std::string>{"keep-within 9d"});
  // A backup "from the future" does not anchor the span.
  std::vector<TimePoint> f{at("2031-01-01T00:00:00Z"), at("2026-03-10T00:00:00Z"), at("2026-02-01T00:00:00Z")};
  EXPECT_EQ(kept(apply_retention(f, p, at("2030-01-01T00:00:00Z"))), (std::set<size_t>{0, 1}));
}

TEST(Retention, IsoWeeksAcrossTheYearEnd) {
  TzGuard tz("UTC");
  // 2026-12-31 (Thursday) and 2027-01-03 (Sunday) are both in ISO week 2026-W53.
  std::vector<TimePoint> t{at("2027-01-04T00:00:00Z"), at("2027-01-03T00:00:00Z"), at("2026-12-31T00:00:00Z"),
                           at("2026-12-27T00:00:00Z")};
  RetentionPolicy p;
  p.weekly = 3;
  EXPECT_EQ(kept(apply_retention(t, p, at("2028-01-01T00:00:00Z"))), (std::set<size_t>{0, 1, 3}));
}

TEST(Retention, LocalTimeZoneDecidesTheDay) {
  std::vector<TimePoint> t{at("2026-06-02T03:00:00Z"), at("2026-06-01T23:00:00Z")};
  RetentionPolicy p;
  p.daily = 1;
  p.last = 0;
  {
    TzGuard tz("UTC");  // two days: the newest, and the oldest while a count is left... daily 1 keeps only the newest
    EXPECT_EQ(kept(apply_retention(t, p, at("2027-01-01T00:00:00Z"))), (std::set<size_t>{0}));
  }
  {
    TzGuard tz("America/New_York");  // both on June 1st local: the newest stands for the day
    EXPECT_EQ(kept(apply_retention(t, p, at("2027-01-01T00:00:00Z"))), (std::set<size_t>{0}));
    p.daily = 2;  // one day only, a count left: the oldest is kept too
    EXPECT_EQ(kept(apply_retention(t, p, at("2027-01-01T00:00:00Z"))), (std::set<size_t>{0, 1}));
  }
}

TEST(RetentionProperty, RulesMatchAReferenceAndUnion) {
  TzGuard tz("UTC");
  std::mt19937_64 rng(test_seed());
  TimePoint now = at("2029-01-01T00:00:00Z");
  for (int round = 0; round < 500; ++round) {
    auto t = random_history(rng);
    auto p = random_policy(rng);
    SCOPED_TRACE("seed " + std::to_string(test_seed()) + " round " + std::to_string(round) + " policy " + p.describe() +
                 " backups " + std::to_string(t.size()));
    auto r = apply_retention(t, p, now);
    std::set<size_t> expected;
    auto add = [&](const std::set<size_t>& s) { expected.insert(s.begin(), s.end()); };
    if (p.last != 0) {
      std::set<size_t> last;
      for (size_t i = 0; i < t.size() && (p.last < 0 || static_cast<int>(i) < p.last); ++i) last.insert(i);
      add(last);
      // keep-last N alone keeps exactly the N newest
      RetentionPolicy only;
      only.last = p.last;
      EXPECT_EQ(kept(apply_retention(t, only, now)), last);
    }
    if (p.daily != 0) {
      auto d = reference_bucket(t, p.daily, utc_day);
      add(d);
      RetentionPolicy only;
      only.daily = p.daily;
      EXPECT_EQ(kept(apply_retention(t, only, now)), d);
    }
    if (p.hourly != 0) add(reference_bucket(t, p.hourly, [](TimePoint x) {
      return std::chrono::floor<std::chrono::hours>(x.time_since_epoch()).count();
    }));
    if (p.weekly != 0) add(reference_bucket(t, p.weekly, [](TimePoint x) {
      // ISO weeks: days since the epoch (a Thursday) shifted so weeks start on Monday.
      return (utc_day(x) + 3) / 7;  // dates here are after 1970, no negative floor
    }));
    if (p.monthly != 0 || p.yearly != 0) {
      auto ym = [](TimePoint x, bool month) {
        std::string s = iso8601(x);
        return std::stoll(s.substr(0, 4)) * (month ? 100 : 1) + (month ? std::stoll(s.substr(5, 2)) : 0);
      };
      if (p.monthly != 0) add(reference_bucket(t, p.monthly, [&](TimePoint x) { return ym(x, true); }));
      if (p.yearly != 0) add(reference_bucket(t, p.yearly, [&](TimePoint x) { return ym(x, false); }));
    }
    if (!p.within.zero() && !t.empty())
      for (size_t i = 0; i < t.size(); ++i)
        if (t[i] > t[0] - std::chrono::days(p.within.days)) expected.insert(i);
    EXPECT_EQ(kept(r), expected);
    // A non-empty policy always keeps the newest; an empty one keeps nothing.
    if (!t.empty()) {
      EXPECT_EQ(!r[0].empty(), !p.empty());
    }
  }
}

// decide_prune over generated backup sets with protections and keep-for.
Backup make_backup(const std::string& env, TimePoint created, TimePoint expires, const std::string& initiator) {
  Backup b;
  b.tag = std::string(kBackupTagPrefix) + env + "/" + pantheon_stamp(created);
  b.manifest.env = env;
  b.manifest.created = created;
  b.manifest.expires = expires;
  b.manifest.initiator = initiator;
  return b;
}

TEST(PruneProperty, EveryDecisionHasAReasonProtectedStayAndNoPolicyPrunesOnlyExpired) {
  TzGuard tz("UTC");
  std::mt19937_64 rng(test_seed() + 1);
  const char* envs[] = {"dev", "test", "live"};
  const char* initiators[] = {"manual", "automated", "commit", "safety", "clone"};
  for (int round = 0; round < 300; ++round) {
    auto times = random_history(rng);
    TimePoint now = at("2027-06-01T00:00:00Z");
    std::vector<Backup> all;
    ProtectionMap prot;
    for (auto t : times) {
      auto expires = t + std::chrono::days(std::uniform_int_distribution<int>(1, 500)(rng));
      auto b = make_backup(envs[std::uniform_int_distribution<int>(0, 2)(rng)], t, expires,
                           initiators[std::uniform_int_distribution<int>(0, 4)(rng)]);
      b.tag += "-" + std::to_string(all.size());  // unique even at equal times
      if (std::uniform_int_distribution<int>(0, 5)(rng) == 0) prot[b.tag] = "protected by test";
      all.push_back(b);
    }
    std::map<std::string, RetentionPolicy> pols;
    for (auto e : envs) pols[e] = std::uniform_int_distribution<int>(0, 2)(rng) ? random_policy(rng) : RetentionPolicy{};
    SCOPED_TRACE("seed " + std::to_string(test_seed() + 1) + " round " + std::to_string(round));
    auto policy_for = [&](const std::string& e) -> const RetentionPolicy& { return pols.at(e); };
    std::vector<PruneDecision> d;
    try {
      d = decide_prune(all, prot, policy_for, now);
    } catch (const Error& e) {
      ADD_FAILURE() << "refused: " << e.what();
      continue;
    }
    ASSERT_EQ(d.size(), all.size());
    std::map<std::string, size_t> kept_per_env, user_per_env;
    for (size_t i = 0; i < d.size(); ++i) {
      EXPECT_EQ(d[i].backup.tag, all[i].tag);
      EXPECT_FALSE(d[i].reasons.empty()) << all[i].tag;  // kept or removed, always a reason
      if (prot.count(all[i].tag)) {
        EXPECT_TRUE(d[i].keep) << all[i].tag;
        EXPECT_EQ(d[i].reasons[0], "protected by test");
      }
      bool policy_applies = !pols[all[i].manifest.env].empty() && user_backup(all[i].manifest);
      if (!policy_applies && !prot.count(all[i].tag)) {
        EXPECT_EQ(d[i].keep, all[i].manifest.expires > now) << all[i].tag;
      }
      if (policy_applies) {
        ++user_per_env[all[i].manifest.env];
        if (d[i].keep) ++kept_per_env[all[i].manifest.env];
      }
    }
    for (auto& [env, n] : user_per_env) EXPECT_GT(kept_per_env[env], 0u) << env;
  }
}

TEST(Prune, NothingSetPrunesNothingUnexpired) {
  std::vector<Backup> all;
  TimePoint now = at("2026-06-01T00:00:00Z");
  for (int i = 0; i < 10; ++i)
    all.push_back(make_backup("dev", now - std::chrono::days(i), now + std::chrono::days(1), "manual"));
  RetentionPolicy none;
  auto d = decide_prune(all, {}, [&](const std::string&) -> const RetentionPolicy& { return none; }, now);
  for (auto& x : d) {
    EXPECT_TRUE(x.keep);
    EXPECT_EQ(x.reasons[0].rfind("keep-for until ", 0), 0u) << x.reasons[0];
  }
}

TEST(Prune, PolicyDecidesUserBackupsAndNamesTheRule) {
  TzGuard tz("UTC");
  TimePoint now = at("2026-06-01T00:00:00Z");
  std::vector<Backup> all;
  for (int i = 0; i < 5; ++i)
    all.push_back(make_backup("dev", now - std::chrono::hours(1 + i), now + std::chrono::days(300), "manual"));
  all.push_back(make_backup("dev", now - std::chrono::hours(10), now + std::chrono::days(3), "safety"));
  RetentionPolicy p;
  p.last = 2;
  auto d = decide_prune(all, {{all[4].tag, "protected by me"}}, [&](const std::string&) -> const RetentionPolicy& { return p; }, now);
  EXPECT_TRUE(d[0].keep);
  EXPECT_EQ(d[0].reasons, std::vector<std::string>{"keep-last"});
  EXPECT_TRUE(d[1].keep);
  EXPECT_FALSE(d[2].keep);
  EXPECT_EQ(d[2].reasons, std::vector<std::string>{"not kept by the policy (keep 2 last)"});
  EXPECT_FALSE(d[3].keep);
  EXPECT_TRUE(d[4].keep);  // protected
  EXPECT_TRUE(d[5].keep);  // safety: its own keep-for
}

TEST(RetentionConfig, ParsesTablesAndPerEnvOverrides) {
  auto c = parse_config(R"(
site = "s"
[retention]
keep_daily = 7
keep_weekly = "unlimited"
keep_within = "1y6m"
protect_live_deploys = false
[schedule]
daily = "03:30"
weekly = "sat"
keep_daily_for = "10d"
[env.dev]
database = "sqlite:db.sqlite"
[env.live]
database = "sqlite:live.sqlite"
files = "live-files"
[env.live.retention]
keep_daily = 30
)", "/x/.pantheon.toml");
  EXPECT_EQ(c.retention.policy.daily, 7);
  EXPECT_EQ(c.retention.policy.weekly, -1);
  EXPECT_EQ(c.retention.policy.within, (CalendarSpan{1, 6, 0, 0}));
  EXPECT_FALSE(c.retention.protect_live_deploys);
  EXPECT_EQ(c.retention.for_env("dev").daily, 7);
  EXPECT_EQ(c.retention.for_env("live").daily, 30);
  EXPECT_EQ(c.retention.for_env("live").weekly, -1);
  EXPECT_EQ(c.schedule.daily_minute, 3 * 60 + 30);
  EXPECT_EQ(c.schedule.weekly_day, 6);
  EXPECT_EQ(c.schedule.keep_daily, std::chrono::seconds(10 * 86400));
  EXPECT_THROW(parse_config("site=\"s\"\n[retention]\nkeep_daily = -3\n[env.dev]\ndatabase=\"sqlite:d\"\n", "/x/.pantheon.toml"), Error);
  EXPECT_THROW(parse_config("site=\"s\"\n[retention]\nkeep_within = \"3q\"\n[env.dev]\ndatabase=\"sqlite:d\"\n", "/x/.pantheon.toml"), Error);
  EXPECT_THROW(parse_config("site=\"s\"\n[schedule]\nweekly = \"someday\"\n[env.dev]\ndatabase=\"sqlite:d\"\n", "/x/.pantheon.toml"), Error);
}

TEST(Policy, ParsesSpansCountsDaysAndTimes) {
  EXPECT_EQ(parse_calendar_span("1y5m7d2h"), (CalendarSpan{1, 5, 7, 2}));
  EXPECT_EQ(parse_calendar_span("2w")->days, 14);
  EXPECT_FALSE(parse_calendar_span("5m1y"));
  EXPECT_FALSE(parse_calendar_span("0d"));
  EXPECT_FALSE(parse_calendar_span("d"));
  EXPECT_EQ(parse_keep_count("unlimited"), -1);
  EXPECT_EQ(parse_keep_count("12"), 12);
  EXPECT_FALSE(parse_keep_count("-1"));
  EXPECT_EQ(parse_weekday("Sunday"), 0);
  EXPECT_EQ(parse_weekday("7"), 0);
  EXPECT_EQ(parse_weekday("fri"), 5);
  EXPECT_EQ(parse_time_of_day("23:59"), 23 * 60 + 59);
  EXPECT_FALSE(parse_time_of_day("24:00"));
}

}  // namespace
}  // namespace gp
