#include "config/policy.hpp"

#include <utility>

namespace gp {

std::string CalendarSpan::text() const {
  std::string s;
  if (years) s += std::to_string(years) + "y";
  if (months) s += std::to_string(months) + "m";
  if (days) s += std::to_string(days) + "d";
  if (hours) s += std::to_string(hours) + "h";
  return s.empty() ? "0h" : s;
}

std::optional<CalendarSpan> parse_calendar_span(std::string_view s) {
  static constexpr std::string_view kUnits = "ymwdh";
  CalendarSpan span;
  size_t next_unit = 0;  // units must come in kUnits order, each once
  size_t i = 0;
  if (s.empty()) return std::nullopt;
  while (i < s.size()) {
    long long n = 0;
    size_t digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      n = n * 10 + (s[i] - '0');
      if (n > 100000) return std::nullopt;
      ++i, ++digits;
    }
    if (digits == 0 || i >= s.size()) return std::nullopt;
    size_t u = kUnits.find(s[i], next_unit);
    if (u == std::string_view::npos) return std::nullopt;
    next_unit = u + 1;
    ++i;
    int v = static_cast<int>(n);
    switch (kUnits[u]) {
      case 'y': span.years = v; break;
      case 'm': span.months = v; break;
      case 'w': span.days += 7 * v; break;
      case 'd': span.days += v; break;
      case 'h': span.hours = v; break;
    }
  }
  if (span.zero()) return std::nullopt;
  return span;
}

std::optional<int> parse_keep_count(std::string_view s) {
  if (s == "unlimited") return -1;
  if (s.empty() || s.size() > 7) return std::nullopt;
  int n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  if (n > 1000000) return std::nullopt;
  return n;
}

bool RetentionPolicy::empty() const noexcept {
  return last == 0 && hourly == 0 && daily == 0 && weekly == 0 && monthly == 0 && yearly == 0 && within.zero();
}

std::string RetentionPolicy::describe() const {
  std::string counts;
  for (auto [n, what] : {std::pair{last, "last"}, {hourly, "hourly"}, {daily, "daily"}, {weekly, "weekly"},
                         {monthly, "monthly"}, {yearly, "yearly"}}) {
    if (n == 0) continue;
    counts += (counts.empty() ? "" : ", ") + (n < 0 ? std::string("all") : std::to_string(n)) + " " + what;
  }
  std::string s = counts;
  if (!within.zero()) s += (s.empty() ? "" : " and ") + std::string("all within ") + within.text() + " of the newest";
  return s.empty() ? "no rule" : "keep " + s;
}

namespace {
constexpr const char* kDays[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
constexpr const char* kLongDays[] = {"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"};
}  // namespace

std::optional<int> parse_weekday(std::string_view s) {
  std::string low;
  for (char c : s) low += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (low.size() == 1 && low[0] >= '0' && low[0] <= '7') return (low[0] - '0') % 7;
  for (int d = 0; d < 7; ++d)
    if (low == kDays[d] || low == kLongDays[d]) return d;
  return std::nullopt;
}

const char* weekday_name(int day) { return kDays[((day % 7) + 7) % 7]; }

std::optional<int> parse_time_of_day(std::string_view s) {
  if (s.size() != 5 || s[2] != ':') return std::nullopt;
  for (size_t i : {0, 1, 3, 4})
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
  int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
  if (h > 23 || m > 59) return std::nullopt;
  return h * 60 + m;
}

}  // namespace gp
