#pragma once
// Retention policies as .pantheon.toml and `backup prune` state them: restic's
// forget rules (keep-last/hourly/daily/weekly/monthly/yearly N, keep-within D).
// What they keep is decided in lib/backup/retention.hpp.
#include <optional>
#include <string>
#include <string_view>

namespace gp {

// A calendar span, restic's duration: years, months, days and hours.
struct CalendarSpan {
  int years = 0, months = 0, days = 0, hours = 0;
  bool zero() const noexcept { return years == 0 && months == 0 && days == 0 && hours == 0; }
  // "1y6m", "30d", "12h" (what parse_calendar_span reads back).
  std::string text() const;
  bool operator==(const CalendarSpan&) const = default;
};

// Parses "30d", "12h", "1y6m", "2w" (= 14 days), "1y5m7d2h": one or more
// <number><unit> with units y, m (months), w, d, h, each at most once, in that
// order. nullopt when malformed or zero.
std::optional<CalendarSpan> parse_calendar_span(std::string_view s);

// A count of --keep-<rule>: a whole number 0..1000000, or "unlimited" (-1).
std::optional<int> parse_keep_count(std::string_view s);

// What the accepted forms are, for usage errors.
inline constexpr const char* kKeepCountForms = "a whole number (0 turns the rule off) or 'unlimited'";
inline constexpr const char* kSpanForms = "a span such as 30d, 12h, 2w or 1y6m (y years, m months, w weeks, d days, h hours)";

struct RetentionPolicy {
  int last = 0, hourly = 0, daily = 0, weekly = 0, monthly = 0, yearly = 0;  // 0 off, -1 unlimited
  CalendarSpan within;

  bool empty() const noexcept;
  // "keep 7 daily, 4 weekly and all within 30d of the newest", "no rule" when empty.
  std::string describe() const;
  bool operator==(const RetentionPolicy&) const = default;
};

// A day of the week for --weekly and [schedule] weekly: "sun", "sunday", "Sun"
// (any case), or 0-7 as cron numbers them (0 and 7 are Sunday). 0 = Sunday.
std::optional<int> parse_weekday(std::string_view s);
// "sun", "mon", ... for 0..6.
const char* weekday_name(int day);
inline constexpr const char* kWeekdayForms = "a day such as sun, monday or 0-7 (0 and 7 are Sunday)";

// "HH:MM", 00:00 to 23:59: minutes after midnight.
std::optional<int> parse_time_of_day(std::string_view s);
inline constexpr const char* kTimeOfDayForms = "HH:MM (00:00 to 23:59) or random";

}  // namespace gp
