#pragma once
// Automatic backups on the machine's own scheduler (never a daemon of ours):
// systemd user timers, or a crontab line, or the text of either printed for people
// who manage their own. The job runs `git-pantheon -C <repo> -q backup schedule
// run --env E [--weekly DAY] [--verify-restore daily|weekly|never]`; run_schedule
// makes the backup (initiator "automated"), prunes by policy and logs one line.
//
// Everything that renders or edits text is a pure function (unit-tested); the
// functions that install call `systemctl --user` and `crontab` found on PATH.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "backup/backup.hpp"

namespace gp {

struct ScheduleJob {
  std::string site;
  std::string env;
  fs::path repo;                      // the work tree root (the job's -C)
  fs::path program;                   // absolute path of git-pantheon
  std::optional<int> daily_minute;    // minutes after midnight; nullopt: random
  int weekly_day = 0;                 // 0 = Sunday
  std::string verify_restore = "weekly";
};

// "git-pantheon-<site>-<env>": the systemd unit base name.
std::string schedule_unit_name(const ScheduleJob& job);
// The job's command line, every word shell-quoted (for cron and ExecStart).
std::vector<std::string> schedule_command(const ScheduleJob& job);
std::string shell_quote(const std::string& word);

std::string render_service_unit(const ScheduleJob& job);
std::string render_timer_unit(const ScheduleJob& job);

// The marker comment that ends our crontab line: "# git-pantheon schedule <site> <env>".
std::string cron_marker(const std::string& site, const std::string& env);
// "M H * * * <command> # git-pantheon schedule <site> <env>"; `random_minute`
// (0..1439) is used when the job's time is random (cron has no random delay).
std::string render_cron_line(const ScheduleJob& job, int random_minute);
// `crontab` text with our line for (site, env) replaced or appended; every other
// line stays byte for byte.
std::string crontab_with(const std::string& crontab, const std::string& line, const std::string& marker);
// `crontab` text without the lines ending in `marker`; every other line byte for byte.
std::string crontab_without(const std::string& crontab, const std::string& marker);
// The line of `crontab` ending in `marker`, if any.
std::optional<std::string> crontab_line(const std::string& crontab, const std::string& marker);

// Where systemd looks for user units: $XDG_CONFIG_HOME/systemd/user (default ~/.config/...).
fs::path systemd_user_dir();
// True when `systemctl --user` talks to a user manager.
bool systemd_user_available();

enum class Scheduler { systemd, cron };
// Installs (replacing ours) or removes the job. Returns what was done, one line each.
std::vector<std::string> install_schedule(const ScheduleJob& job, Scheduler s);
std::vector<std::string> remove_schedule(const std::string& site, const std::string& env, Scheduler s);
// What is installed for (site, env): the timer file and/or the crontab line.
struct InstalledSchedule {
  std::optional<fs::path> timer;
  std::optional<std::string> cron_line;
};
InstalledSchedule installed_schedule(const std::string& site, const std::string& env);

// The schedule log, <store>/log/schedule.log: one line per run,
// "<ISO time> env=<env> <ok|skipped|FAILED> <details>".
fs::path schedule_log_path(const Store& store);
void append_schedule_log(const Store& store, const std::string& line);
// The last `n` lines of the log about `env` (all envs when empty).
std::vector<std::string> schedule_log_tail(const Store& store, const std::string& env, size_t n);

struct ScheduleRunRequest {
  std::string env;
  std::optional<int> weekly_day;           // default: [schedule] weekly
  std::optional<std::string> verify_restore;  // default: [schedule] verify_restore
  std::optional<std::chrono::milliseconds> lock_wait;  // default: [schedule] lock_wait
};

struct ScheduleRunResult {
  std::string status;  // "ok", "skipped", "FAILED"
  std::string line;    // the log line written
  std::optional<Backup> backup;
};

// One scheduled run: takes the store lock (waiting a bounded time; still held:
// "skipped"), skips when an automated backup of the env is younger than
// [schedule] min_interval, else makes the daily or (on the weekly day, once a
// week) the weekly backup with its keep-for, prunes the env by policy, runs a
// trial restore when due, and appends one line to the log. Never throws for the
// run's own failures (they are logged, status "FAILED").
ScheduleRunResult run_schedule(Repo& repo, const Config& config, const fs::path& repo_root,
                               const ScheduleRunRequest& request, Progress& progress);

}  // namespace gp
