#include "util/timeutil.hpp"

#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "util/error.hpp"

namespace gp {

TimePoint now_utc() { return std::chrono::time_point_cast<std::chrono::microseconds>(Clock::now()); }

bool test_clock() {
#if defined(GP_FAULT_INJECTION)
  const char* t = std::getenv("GP_TEST_NOW");
  return t && *t;
#else
  return false;
#endif
}

TimePoint current_time() {
#if defined(GP_FAULT_INJECTION)
  if (const char* t = std::getenv("GP_TEST_NOW"); t && *t) {
    auto when = parse_iso8601(t);
    if (!when) fail(Exit::config, describe("invalid GP_TEST_NOW", t, "expected ISO 8601 such as 2026-11-25T12:00:00Z"));
    return *when;
  }
#endif
  return now_utc();
}

namespace {
std::tm to_tm(TimePoint t) {
  // floor, not truncation: before 1970 a fraction belongs to the second before.
  std::time_t secs = std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  return tm;
}
}  // namespace

std::string pantheon_stamp(TimePoint t) {
  std::tm tm = to_tm(t);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H-%M-%S", &tm);
  return buf;
}

std::string iso8601(TimePoint t) {
  std::tm tm = to_tm(t);
  auto us = t.time_since_epoch().count() % 1000000;
  if (us < 0) us += 1000000;
  // The year always has four digits (strftime's %Y writes "999"), so that
  // parse_iso8601 reads back every time it writes.
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(us));
  return buf;
}

std::string display_time(TimePoint t, bool utc, bool date_only) {
  std::time_t secs = std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
  std::tm tm{};
  if (utc) ::gmtime_r(&secs, &tm);
  else ::localtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
  std::string out = buf;
  if (date_only) return out;
  std::snprintf(buf, sizeof buf, " %02d:%02d:%02d ", tm.tm_hour, tm.tm_min, tm.tm_sec);
  out += buf;
  if (utc) return out + "UTC";
  // %Z gives the zone's abbreviation; zones without one (tzdata writes "+0530")
  // and an empty result fall back to the numeric offset.
  char zone[16] = "";
  std::strftime(zone, sizeof zone, "%Z", &tm);
  if (!zone[0]) std::strftime(zone, sizeof zone, "%z", &tm);
  return out + zone;
}

std::string age_text(TimePoint then, TimePoint now) {
  bool future = then > now;
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(future ? then - now : now - then).count();
  if (secs < 60) return future ? "in under a minute" : "just now";
  long long n;
  const char* unit;
  if (secs < 3600) {
    n = secs / 60, unit = " min";
  } else if (secs < 48 * 3600) {
    n = secs / 3600, unit = " h";
  } else if (secs < 100LL * 86400) {
    n = secs / 86400, unit = " days";
  } else if (secs < 730LL * 86400) {
    n = secs / (30LL * 86400), unit = " months";
  } else {
    n = secs / (365LL * 86400), unit = " years";
  }
  std::string text = std::to_string(n) + unit;
  return future ? "in " + text : text + " ago";
}

std::optional<TimePoint> parse_iso8601(std::string_view s) {
  // Exactly "YYYY-MM-DDTHH:MM:SS": no signs, spaces or short fields (sscanf's %d
  // accepts all three), and a date that exists (timegm would turn February 31
  // into March 3 silently).
  std::string str(s);
  static constexpr const char* kShape = "dddd-dd-ddTdd:dd:dd";
  if (str.size() < 19) return std::nullopt;
  for (size_t k = 0; k < 19; ++k) {
    if (kShape[k] == 'd' ? (str[k] < '0' || str[k] > '9') : str[k] != kShape[k]) return std::nullopt;
  }
  auto num = [&](size_t at, size_t len) {
    int v = 0;
    for (size_t k = at; k < at + len; ++k) v = v * 10 + (str[k] - '0');
    return v;
  };
  const int Y = num(0, 4), M = num(5, 2), D = num(8, 2), h = num(11, 2), m = num(14, 2), sec = num(17, 2);
  if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 59) return std::nullopt;
  long long micros = 0;
  size_t i = 19;
  if (i < str.size() && str[i] == '.') {
    ++i;
    int digits = 0;
    while (i < str.size() && str[i] >= '0' && str[i] <= '9') {
      if (digits < 6) micros = micros * 10 + (str[i] - '0'), ++digits;
      ++i;
    }
    if (digits == 0) return std::nullopt;
    while (digits++ < 6) micros *= 10;
  }
  if (i + 1 != str.size() || str[i] != 'Z') return std::nullopt;
  std::tm tm{};
  tm.tm_year = Y - 1900;
  tm.tm_mon = M - 1;
  tm.tm_mday = D;
  tm.tm_hour = h;
  tm.tm_min = m;
  tm.tm_sec = sec;
  std::time_t secs = ::timegm(&tm);
  std::tm back{};
  if (!::gmtime_r(&secs, &back) || back.tm_year != Y - 1900 || back.tm_mon != M - 1 || back.tm_mday != D)
    return std::nullopt;
  return TimePoint(std::chrono::microseconds(static_cast<long long>(secs) * 1000000 + micros));
}

namespace {
std::chrono::seconds parse_with_units(std::string_view s, const std::string& what, bool m_is_month) {
  auto bad = [&] {
    fail(Exit::bad_input,
         describe("invalid duration", std::string(s),
                  m_is_month ? "expected a number and a unit: h, d, w, m (30 days) or y, e.g. 30d"
                             : "expected a number and a unit: s, m (minutes), h or d, e.g. 15m") +
             " (" + what + ")");
  };
  if (s.size() < 2) bad();
  long long n = 0;
  for (char c : s.substr(0, s.size() - 1)) {
    if (c < '0' || c > '9') bad();
    n = n * 10 + (c - '0');
    if (n > 100000000) bad();
  }
  if (n == 0) bad();
  long long unit;
  switch (s.back()) {
    case 's': unit = m_is_month ? 0 : 1; break;
    case 'm': unit = m_is_month ? 30LL * 86400 : 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    case 'w': unit = m_is_month ? 7LL * 86400 : 0; break;
    case 'y': unit = m_is_month ? 365LL * 86400 : 0; break;
    default: unit = 0;
  }
  if (unit == 0) bad();
  return std::chrono::seconds(n * unit);
}
}  // namespace

std::chrono::seconds parse_duration(std::string_view s, const std::string& what) {
  return parse_with_units(s, what, true);
}

std::chrono::seconds parse_short_duration(std::string_view s, const std::string& what) {
  return parse_with_units(s, what, false);
}

}  // namespace gp
