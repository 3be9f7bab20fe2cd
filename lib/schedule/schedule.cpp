#include "schedule/schedule.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <ctime>
#include <sstream>

#include "restore/trial.hpp"
#include "util/process.hpp"
#include "util/signals.hpp"

namespace gp {

std::string schedule_unit_name(const ScheduleJob& job) { return "git-pantheon-" + job.site + "-" + job.env; }

std::string shell_quote(const std::string& w) {
  bool plain = !w.empty();
  for (unsigned char c : w)
    if (!(std::isalnum(c) || c == '/' || c == '.' || c == '-' || c == '_' || c == '=' || c == ':' || c == ',' || c == '+'))
      plain = false;
  if (plain) return w;
  std::string out = "'";
  for (char c : w) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::vector<std::string> schedule_command(const ScheduleJob& job) {
  return {job.program.string(), "-C", job.repo.string(), "-q", "backup", "schedule", "run", "--env", job.env,
          "--weekly", weekday_name(job.weekly_day), "--verify-restore", job.verify_restore};
}

namespace {
std::string joined(const std::vector<std::string>& words, bool systemd) {
  std::string s;
  for (auto& w : words) {
    std::string q = shell_quote(w);
    if (systemd) {  // systemd expands % specifiers and $: escape them
      std::string e;
      for (char c : q) e += c == '%' ? std::string("%%") : c == '$' ? std::string("$$") : std::string(1, c);
      q = e;
    }
    s += (s.empty() ? "" : " ") + q;
  }
  return s;
}
std::string two(int n) { return (n < 10 ? "0" : "") + std::to_string(n); }
}  // namespace

std::string render_service_unit(const ScheduleJob& job) {
  std::ostringstream o;
  o << "# Written by git pantheon backup schedule enable; removed by 'disable'.\n"
    << "[Unit]\n"
    << "Description=git-pantheon automatic backup of " << job.site << " " << job.env << "\n"
    << "Documentation=man:git-pantheon-backup(1)\n\n"
    << "[Service]\n"
    << "Type=oneshot\n"
    << "WorkingDirectory=" << job.repo.string() << "\n"
    << "ExecStart=" << joined(schedule_command(job), true) << "\n"
    << "Nice=10\n"
    << "IOSchedulingClass=idle\n";
  return o.str();
}

std::string render_timer_unit(const ScheduleJob& job) {
  std::ostringstream o;
  o << "# Written by git pantheon backup schedule enable; removed by 'disable'.\n"
    << "[Unit]\n"
    << "Description=git-pantheon automatic backup of " << job.site << " " << job.env << " (daily; weekly on "
    << weekday_name(job.weekly_day) << ")\n\n"
    << "[Timer]\n";
  if (job.daily_minute) {
    o << "OnCalendar=*-*-* " << two(*job.daily_minute / 60) << ":" << two(*job.daily_minute % 60) << ":00\n"
      << "RandomizedDelaySec=60\n";
  } else {
    // A random time of day, the same every day (Pantheon's daily backups).
    o << "OnCalendar=*-*-* 00:00:00\n"
      << "RandomizedDelaySec=86340\n"
      << "FixedRandomDelay=true\n";
  }
  o << "Persistent=true\n"
    << "Unit=" << schedule_unit_name(job) << ".service\n\n"
    << "[Install]\n"
    << "WantedBy=timers.target\n";
  return o.str();
}

std::string cron_marker(const std::string& site, const std::string& env) { return "# git-pantheon schedule " + site + " " + env; }

std::string render_cron_line(const ScheduleJob& job, int random_minute) {
  int m = job.daily_minute.value_or(((random_minute % 1440) + 1440) % 1440);
  std::string cmd = joined(schedule_command(job), false);
  std::string esc;  // cron turns an unescaped % into a newline
  for (char c : cmd) esc += c == '%' ? std::string("\\%") : std::string(1, c);
  return std::to_string(m % 60) + " " + std::to_string(m / 60) + " * * * " + esc + " >/dev/null " +
         cron_marker(job.site, job.env);
}

namespace {
bool ends_with_marker(const std::string& line, const std::string& marker) {
  std::string l = line;
  if (!l.empty() && l.back() == '\r') l.pop_back();
  return l.size() >= marker.size() && l.compare(l.size() - marker.size(), marker.size(), marker) == 0;
}
// Splits keeping each line's newline, so that rejoining is byte for byte.
std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    size_t nl = text.find('\n', i);
    size_t end = nl == std::string::npos ? text.size() : nl + 1;
    out.push_back(text.substr(i, end - i));
    i = end;
  }
  return out;
}
std::string strip_nl(std::string s) {
  if (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}
}  // namespace

std::string crontab_without(const std::string& crontab, const std::string& marker) {
  std::string out;
  for (auto& l : lines_of(crontab))
    if (!ends_with_marker(strip_nl(l), marker)) out += l;
  return out;
}

std::string crontab_with(const std::string& crontab, const std::string& line, const std::string& marker) {
  std::string out = crontab_without(crontab, marker);
  if (!out.empty() && out.back() != '\n') out += '\n';
  return out + line + "\n";
}

std::optional<std::string> crontab_line(const std::string& crontab, const std::string& marker) {
  for (auto& l : lines_of(crontab))
    if (ends_with_marker(strip_nl(l), marker)) return strip_nl(l);
  return std::nullopt;
}

fs::path systemd_user_dir() {
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  if (xdg && *xdg) return fs::path(xdg) / "systemd" / "user";
  const char* home = std::getenv("HOME");
  if (!home || !*home) fail(Exit::config, "HOME is not set: cannot find the systemd user unit directory");
  return fs::path(home) / ".config" / "systemd" / "user";
}

bool systemd_user_available() {
  if (!program_available("systemctl")) return false;
  ProcessSpec s;
  s.argv = {"systemctl", "--user", "show-environment"};
  return run_capture(s).status == 0;
}

namespace {
RunResult run_tool(std::vector<std::string> argv) {
  ProcessSpec s;
  s.argv = std::move(argv);
  return run_capture(s);
}
std::string first_line(const std::string& s) {
  auto l = s.substr(0, s.find('\n'));
  return l.empty() ? "no message" : l;
}
void systemctl(std::vector<std::string> args) {
  std::vector<std::string> argv{"systemctl", "--user"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run_tool(argv);
  if (r.status != 0) {
    std::string cmd;
    for (auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
    fail(Exit::remote, describe("'" + cmd + "' failed", first_line(r.err)),
         "is there a user systemd manager (loginctl enable-linger)? or use --scheduler cron");
  }
}
std::string read_crontab() {
  if (!program_available("crontab")) fail(Exit::config, "crontab not found on PATH", "install cron, or use --scheduler print");
  auto r = run_tool({"crontab", "-l"});
  if (r.status == 0) return r.out;
  if (r.err.find("no crontab") != std::string::npos) return {};
  fail(Exit::remote, describe("'crontab -l' failed", first_line(r.err)));
}
void write_crontab(const std::string& text) {
  TempDir tmp(fs::temp_directory_path(), "gp-crontab-");
  fs::path f = tmp.path() / "crontab";
  write_file_atomic(f, text, 0600);
  auto r = run_tool({"crontab", f.string()});
  if (r.status != 0) fail(Exit::remote, describe("'crontab' refused the new table", first_line(r.err)), "nothing was changed");
}
}  // namespace

std::vector<std::string> install_schedule(const ScheduleJob& job, Scheduler s) {
  std::vector<std::string> done;
  if (s == Scheduler::systemd) {
    fs::path dir = systemd_user_dir();
    fs::create_directories(dir);
    std::string name = schedule_unit_name(job);
    write_file_atomic(dir / (name + ".service"), render_service_unit(job), 0644);
    write_file_atomic(dir / (name + ".timer"), render_timer_unit(job), 0644);
    done.push_back("wrote " + (dir / (name + ".service")).string());
    done.push_back("wrote " + (dir / (name + ".timer")).string());
    systemctl({"daemon-reload"});
    systemctl({"enable", "--now", name + ".timer"});
    done.push_back("enabled " + name + ".timer");
  } else {
    std::string current = read_crontab();
    std::string marker = cron_marker(job.site, job.env);
    // A random minute chosen once: keep the one already installed.
    int minute = 0;
    if (auto old = crontab_line(current, marker)) {
      std::istringstream in(*old);
      int m = 0, h = 0;
      if (in >> m >> h) minute = h * 60 + m;
    } else {
      std::srand(static_cast<unsigned>(std::time(nullptr)) ^ static_cast<unsigned>(::getpid()));
      minute = std::rand() % 1440;
    }
    std::string line = render_cron_line(job, minute);
    write_crontab(crontab_with(current, line, marker));
    done.push_back("crontab: " + line);
  }
  return done;
}

std::vector<std::string> remove_schedule(const std::string& site, const std::string& env, Scheduler s) {
  std::vector<std::string> done;
  if (s == Scheduler::systemd) {
    fs::path dir = systemd_user_dir();
    std::string name = "git-pantheon-" + site + "-" + env;
    std::error_code ec;
    if (fs::exists(dir / (name + ".timer"), ec)) {
      if (systemd_user_available()) systemctl({"disable", "--now", name + ".timer"});
      fs::remove(dir / (name + ".timer"), ec);
      fs::remove(dir / (name + ".service"), ec);
      if (systemd_user_available()) systemctl({"daemon-reload"});
      done.push_back("removed " + (dir / (name + ".timer")).string() + " and its .service");
    }
  } else {
    std::string current = read_crontab();
    std::string marker = cron_marker(site, env);
    if (crontab_line(current, marker)) {
      write_crontab(crontab_without(current, marker));
      done.push_back("removed the crontab line of " + site + " " + env);
    }
  }
  return done;
}

InstalledSchedule installed_schedule(const std::string& site, const std::string& env) {
  InstalledSchedule r;
  std::error_code ec;
  try {
    fs::path t = systemd_user_dir() / ("git-pantheon-" + site + "-" + env + ".timer");
    if (fs::exists(t, ec)) r.timer = t;
  } catch (const Error&) {
  }
  if (program_available("crontab")) {
    auto c = run_tool({"crontab", "-l"});
    if (c.status == 0) r.cron_line = crontab_line(c.out, cron_marker(site, env));
  }
  return r;
}

fs::path schedule_log_path(const Store& store) { return store.root() / "log" / "schedule.log"; }

void append_schedule_log(const Store& store, const std::string& line) {
  fs::path p = schedule_log_path(store);
  fs::create_directories(p.parent_path());
  int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) fail(Exit::internal, describe("cannot write", p.string(), std::strerror(errno)));
  std::string l = line + "\n";
  ssize_t n = ::write(fd, l.data(), l.size());  // one write: lines of concurrent runs never interleave
  ::close(fd);
  if (n != static_cast<ssize_t>(l.size())) fail(Exit::internal, describe("cannot write", p.string(), "short write"));
}

std::vector<std::string> schedule_log_tail(const Store& store, const std::string& env, size_t n) {
  std::vector<std::string> all;
  std::error_code ec;
  fs::path p = schedule_log_path(store);
  if (!fs::exists(p, ec)) return all;
  std::istringstream in(read_text_file(p, Exit::internal));
  std::string l;
  while (std::getline(in, l))
    if (env.empty() || l.find(" env=" + env + " ") != std::string::npos) all.push_back(l);
  if (all.size() > n) all.erase(all.begin(), all.end() - static_cast<long>(n));
  return all;
}

namespace {
int local_weekday(TimePoint t) {
  std::time_t secs = std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
  std::tm tm{};
  ::localtime_r(&secs, &tm);
  return tm.tm_wday;
}
std::string oneline(std::string s) {
  for (auto& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}
}  // namespace

ScheduleRunResult run_schedule(Repo& repo, const Config& config, const fs::path& root, const ScheduleRunRequest& req,
                               Progress& progress) {
  ScheduleRunResult r;
  Store store(repo);
  store.create();
  const ScheduleConfig& sc = config.schedule;
  auto log = [&](const std::string& status, const std::string& details) {
    r.status = status;
    r.line = iso8601(current_time()) + " env=" + req.env + " " + status + " " + oneline(details);
    append_schedule_log(store, r.line);
  };
  try {
    config.env(req.env);
    auto wait = req.lock_wait.value_or(std::chrono::duration_cast<std::chrono::milliseconds>(sc.lock_wait));
    std::optional<FileLock> lock;
    try {
      lock.emplace(store.lock(wait));
    } catch (const Error& e) {
      if (e.code() != Exit::locked) throw;
      log("skipped", std::string("store lock still held after the wait: ") + e.what());
      return r;
    }
    TimePoint now = current_time();
    auto all = list_backups(repo, progress);
    std::optional<TimePoint> last_auto, last_weekly;
    for (auto& b : all) {
      if (b.manifest.env != req.env || b.manifest.initiator != "automated") continue;
      if (!last_auto) last_auto = b.manifest.created;
      if (!last_weekly && b.manifest.schedule == "weekly") last_weekly = b.manifest.created;
    }
    if (last_auto && now - *last_auto < sc.min_interval && now >= *last_auto) {
      log("skipped", "an automated backup was made at " + iso8601(*last_auto) + " (min_interval)");
      return r;
    }
    int weekly_day = req.weekly_day.value_or(sc.weekly_day);
    bool weekly = local_weekday(now) == weekly_day && (!last_weekly || now - *last_weekly > std::chrono::hours(6 * 24));
    BackupRequest breq;
    breq.env = req.env;
    breq.initiator = "automated";
    breq.schedule = weekly ? "weekly" : "daily";
    breq.keep_for = weekly ? sc.keep_weekly : sc.keep_daily;
    Backup b = create_backup(repo, config, store, *lock, breq, progress);
    r.backup = b;
    std::string details = "backup=" + b.tag + " kind=" + breq.schedule;
    PruneRequest preq;
    preq.now = current_time();
    preq.env = req.env;
    preq.retention = &config.retention;
    try {
      auto pr = prune_backups(repo, store, *lock, preq, progress);
      details += " pruned=" + std::to_string(pr.removed.size());
    } catch (const Error& e) {
      details += " prune-failed: " + std::string(e.what());
      log("FAILED", details);
      return r;
    }
    std::string verify = req.verify_restore.value_or(sc.verify_restore);
    if (verify == "daily" || (verify == "weekly" && weekly)) {
      auto t = trial_restore(config, root, store, b, progress);
      std::string what;
      for (auto& e : t.elements) what += (what.empty() ? "" : ",") + to_string(e.element) + ":" + e.status;
      details += " trial-restore=" + std::string(t.ok() ? "ok" : "FAILED") + "(" + what + ")";
      if (!t.ok()) {
        for (auto& e : t.elements)
          if (e.status == "FAILED") details += " " + e.file + ": " + e.detail;
        log("FAILED", details);
        return r;
      }
    }
    log("ok", details);
  } catch (const Error& e) {
    log("FAILED", e.what());
  }
  return r;
}

}  // namespace gp
