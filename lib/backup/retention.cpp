#include "backup/retention.hpp"

#include <ctime>
#include <functional>
#include <optional>

namespace gp {

namespace {

std::tm local_tm(TimePoint t) {
  std::time_t secs = std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
  std::tm tm{};
  ::localtime_r(&secs, &tm);
  return tm;
}

bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

// ISO 8601 week as YYYYWW: weeks start on Monday; week 1 holds the year's first Thursday.
int iso_year_week(const std::tm& tm) {
  int year = tm.tm_year + 1900;
  int monday_based = (tm.tm_wday + 6) % 7;
  int thursday = tm.tm_yday - monday_based + 3;  // day of the year of this week's Thursday
  if (thursday < 0) {
    --year;
    thursday += leap(year) ? 366 : 365;
  } else if (thursday >= (leap(year) ? 366 : 365)) {
    thursday -= leap(year) ? 366 : 365;
    ++year;
  }
  return year * 100 + thursday / 7 + 1;
}

// `t` moved back by `span` on the local calendar (Go's AddDate, then the hours).
TimePoint calendar_back(TimePoint t, const CalendarSpan& span) {
  std::tm tm = local_tm(t);
  tm.tm_year -= span.years;
  tm.tm_mon -= span.months;
  tm.tm_mday -= span.days;
  tm.tm_isdst = -1;
  std::time_t secs = ::mktime(&tm);
  auto frac = t.time_since_epoch() - std::chrono::floor<std::chrono::seconds>(t.time_since_epoch());
  return TimePoint(std::chrono::seconds(secs) + frac) - std::chrono::hours(span.hours);
}

}  // namespace

std::vector<std::vector<std::string>> apply_retention(const std::vector<TimePoint>& list, const RetentionPolicy& p,
                                                     TimePoint now) {
  std::vector<std::vector<std::string>> reasons(list.size());
  if (list.empty() || p.empty()) return reasons;

  struct Bucket {
    int count;
    std::function<long long(const std::tm&, size_t)> bucket;
    long long last = -1;
    const char* rule;
  };
  Bucket buckets[] = {
      {p.last, [](const std::tm&, size_t nr) { return static_cast<long long>(nr); }, -1, "keep-last"},
      {p.hourly,
       [](const std::tm& t, size_t) {
         return (t.tm_year + 1900LL) * 1000000 + (t.tm_mon + 1) * 10000 + t.tm_mday * 100 + t.tm_hour;
       },
       -1, "keep-hourly"},
      {p.daily, [](const std::tm& t, size_t) { return (t.tm_year + 1900LL) * 10000 + (t.tm_mon + 1) * 100 + t.tm_mday; },
       -1, "keep-daily"},
      {p.weekly, [](const std::tm& t, size_t) { return static_cast<long long>(iso_year_week(t)); }, -1, "keep-weekly"},
      {p.monthly, [](const std::tm& t, size_t) { return (t.tm_year + 1900LL) * 100 + (t.tm_mon + 1); }, -1, "keep-monthly"},
      {p.yearly, [](const std::tm& t, size_t) { return t.tm_year + 1900LL; }, -1, "keep-yearly"},
  };

  // The newest backup that is not in the future anchors keep-within.
  std::optional<TimePoint> latest;
  for (auto t : list)
    if (t < now && (!latest || t > *latest)) latest = t;
  std::optional<TimePoint> within_after;
  if (!p.within.zero() && latest) within_after = calendar_back(*latest, p.within);

  for (size_t nr = 0; nr < list.size(); ++nr) {
    const TimePoint cur = list[nr];
    if (!p.within.zero() && (!within_after || cur > *within_after))
      reasons[nr].push_back("keep-within " + p.within.text());
    std::tm tm = local_tm(cur);
    for (auto& b : buckets) {
      if (b.count == 0) continue;
      long long val = b.bucket(tm, nr);
      bool oldest = nr + 1 == list.size();
      if (val != b.last || oldest) {
        reasons[nr].push_back(val == b.last ? std::string(b.rule) + " (oldest)" : std::string(b.rule));
        b.last = val;
        if (b.count > 0) --b.count;
      }
    }
  }
  return reasons;
}

}  // namespace gp
