#include "schedule/schedule.hpp"

#include <gtest/gtest.h>

#include <regex>

namespace gp {
namespace {

ScheduleJob job() {
  ScheduleJob j;
  j.site = "shop";
  j.env = "live";
  j.repo = "/srv/my site";
  j.program = "/usr/local/bin/git-pantheon";
  j.daily_minute = 3 * 60 + 5;
  j.weekly_day = 6;
  return j;
}

TEST(Schedule, CronLineHasFiveFieldsTheCommandAndTheMarker) {
  auto line = render_cron_line(job(), 0);
  EXPECT_EQ(line,
            "5 3 * * * /usr/local/bin/git-pantheon -C '/srv/my site' -q backup schedule run --env live --weekly sat "
            "--verify-restore weekly >/dev/null # git-pantheon schedule shop live");
  auto j = job();
  j.daily_minute.reset();
  EXPECT_EQ(render_cron_line(j, 23 * 60 + 59).rfind("59 23 * * * ", 0), 0u);
  j.repo = "/srv/100%";
  EXPECT_NE(render_cron_line(j, 0).find("'/srv/100\\%'"), std::string::npos);  // cron's % escaped
}

TEST(Schedule, CrontabEditsTouchOnlyOurLine) {
  std::string mine = cron_marker("shop", "live");
  std::string other = "MAILTO=x\n*/5 * * * * true # git-pantheon schedule shop live-2\n\n# note\n";
  std::string with = crontab_with(other, "1 2 * * * cmd " + mine, mine);
  EXPECT_EQ(with, other + "1 2 * * * cmd " + mine + "\n");
  EXPECT_EQ(crontab_line(with, mine), "1 2 * * * cmd " + mine);
  EXPECT_EQ(crontab_without(with, mine), other);
  // Replacing, not duplicating.
  std::string again = crontab_with(with, "3 4 * * * cmd " + mine, mine);
  EXPECT_EQ(again, other + "3 4 * * * cmd " + mine + "\n");
  EXPECT_EQ(crontab_without("", mine), "");
  EXPECT_EQ(crontab_with("", "l " + mine, mine), "l " + mine + "\n");
  EXPECT_FALSE(crontab_line(other, mine));  // the live-2 marker is not ours
}

TEST(Schedule, SystemdUnitsEscapeSpecifiers) {
  auto j = job();
  j.repo = "/srv/50%$x";
  auto svc = render_service_unit(j);
  EXPECT_NE(svc.find("ExecStart=/usr/local/bin/git-pantheon -C '/srv/50%%$$x' -q backup schedule run --env live"), std::string::npos) << svc;
  auto timer = render_timer_unit(job());
  EXPECT_NE(timer.find("OnCalendar=*-*-* 03:05:00\n"), std::string::npos);
  EXPECT_NE(timer.find("Persistent=true\n"), std::string::npos);
  EXPECT_NE(timer.find("Unit=git-pantheon-shop-live.service\n"), std::string::npos);
  j.daily_minute.reset();
  EXPECT_NE(render_timer_unit(j).find("FixedRandomDelay=true\n"), std::string::npos);
}

}  // namespace
}  // namespace gp
