// git pantheon backup schedule enable|disable|status|run, backup protect|unprotect:
// thin verbs over lib/schedule and lib/backup/protect. Reached from `backup`'s
// subcommand table (commands/backup.cpp).
#include <iostream>

#include "backup/protect.hpp"
#include "commands.hpp"
#include "schedule/schedule.hpp"
#include "util/fs.hpp"
#include "util/json.hpp"

namespace gp::cli {

namespace {

std::vector<std::string> envs_from(Context& ctx, Args& args) {
  auto envs = args.values("env");
  if (envs.empty()) envs.push_back("dev");
  for (auto& e : envs) ctx.config().env(e);
  return envs;
}

// --scheduler (one of the table's choices); `print` when it is "print".
Scheduler scheduler_from(const Args& args, bool* print) {
  auto s = args.value("scheduler");
  *print = s && *s == "print";
  if (!s) return systemd_user_available() ? Scheduler::systemd : Scheduler::cron;
  return *s == "systemd" ? Scheduler::systemd : Scheduler::cron;
}

int schedule_enable(Context& ctx, Args& args) {
  bool print = false;
  Scheduler s = scheduler_from(args, &print);
  auto daily = args.value("daily");
  auto weekly = args.value("weekly");
  auto verify = args.value("verify-restore");
  auto envs = envs_from(ctx, args);
  args.operands(0, 0);
  const Config& cfg = ctx.config();
  ScheduleJob job;
  job.site = cfg.site;
  job.repo = ctx.root();
  auto self = self_executable();
  if (!self) throw Error(Exit::internal, "cannot find this program's path (/proc/self/exe)");
  job.program = *self;
  job.daily_minute = cfg.schedule.daily_minute;
  if (daily && *daily != "random") {
    auto m = parse_time_of_day(*daily);
    if (!m) args.usage_error(describe("bad --daily", *daily, std::string("expected ") + kTimeOfDayForms));
    job.daily_minute = *m;
  } else if (daily) {
    job.daily_minute.reset();
  }
  job.weekly_day = cfg.schedule.weekly_day;
  if (weekly) {
    auto d = parse_weekday(*weekly);
    if (!d) args.usage_error(describe("bad --weekly", *weekly, std::string("expected ") + kWeekdayForms));
    job.weekly_day = *d;
  }
  job.verify_restore = verify.value_or(cfg.schedule.verify_restore);
  for (auto& env : envs) {
    job.env = env;
    if (print) {
      ctx.out() << "# " << schedule_unit_name(job) << ".service\n" << render_service_unit(job) << "\n"
                << "# " << schedule_unit_name(job) << ".timer\n" << render_timer_unit(job) << "\n"
                << "# crontab line\n" << render_cron_line(job, 0) << "\n";
      continue;
    }
    for (auto& line : install_schedule(job, s)) ctx.out() << line << "\n";
  }
  return 0;
}

int schedule_disable(Context& ctx, Args& args) {
  auto sched = args.value("scheduler");
  auto envs = envs_from(ctx, args);
  args.operands(0, 0);
  const Config& cfg = ctx.config();
  bool any = false;
  for (auto& env : envs) {
    auto inst = installed_schedule(cfg.site, env);
    std::vector<Scheduler> which;
    if (sched == std::optional<std::string>("systemd") || (!sched && inst.timer)) which.push_back(Scheduler::systemd);
    if (sched == std::optional<std::string>("cron") || (!sched && inst.cron_line)) which.push_back(Scheduler::cron);
    for (auto s : which)
      for (auto& line : remove_schedule(cfg.site, env, s)) {
        ctx.out() << line << "\n";
        any = true;
      }
  }
  if (!any && !ctx.quiet()) ctx.out() << "no schedule installed\n";
  return 0;
}

int schedule_status(Context& ctx, Args& args) {
  Format fmt = ctx.format(args);
  auto envs = args.values("env");
  args.operands(0, 0);
  const Config& cfg = ctx.config();
  if (envs.empty())
    for (auto& [n, _] : cfg.envs) envs.push_back(n);
  Store store(ctx.repo());
  JsonWriter j;
  if (fmt == Format::json) j.begin_array();
  for (auto& env : envs) {
    cfg.env(env);
    auto inst = installed_schedule(cfg.site, env);
    auto runs = schedule_log_tail(store, env, 10);
    std::string next;
    if (inst.cron_line) {
      std::istringstream in(*inst.cron_line);
      int m = 0, h = 0;
      in >> m >> h;
      next = "daily at " + std::string(h < 10 ? "0" : "") + std::to_string(h) + ":" + (m < 10 ? "0" : "") + std::to_string(m) + " (cron, local time)";
    } else if (inst.timer) {
      next = "see 'systemctl --user list-timers git-pantheon-" + cfg.site + "-" + env + ".timer'";
    }
    size_t failures = 0;
    for (auto& r : runs)
      if (r.find(" FAILED ") != std::string::npos) ++failures;
    if (fmt == Format::json) {
      j.begin_object().field("env", env);
      j.key("systemd_timer");
      inst.timer ? j.value(inst.timer->string()) : j.null();
      j.key("cron_line");
      inst.cron_line ? j.value(*inst.cron_line) : j.null();
      j.field("next", next).field("failures", static_cast<uint64_t>(failures)).key("runs").begin_array();
      for (auto& r : runs) j.value(r);
      j.end_array().end_object();
      continue;
    }
    auto& o = ctx.out();
    o << env << ": ";
    if (inst.timer) o << "systemd timer " << inst.timer->string();
    if (inst.timer && inst.cron_line) o << "; ";
    if (inst.cron_line) o << "crontab line";
    if (!inst.timer && !inst.cron_line) o << "not scheduled";
    o << "\n";
    if (!next.empty()) o << "  next run: " << next << "\n";
    if (runs.empty()) o << "  no runs logged yet\n";
    for (auto& r : runs) o << "  " << r << "\n";
    if (failures) o << "  " << failures << " of the last " << runs.size() << " runs FAILED\n";
  }
  if (fmt == Format::json) ctx.out() << j.end_array().str() << "\n";
  return 0;
}

int schedule_run(Context& ctx, Args& args) {
  auto env = args.value("env").value_or("dev");
  auto weekly = args.value("weekly");
  auto verify = args.value("verify-restore");
  auto wait = args.value("lock-wait");
  args.operands(0, 0);
  ScheduleRunRequest req;
  req.env = env;
  if (weekly) {
    auto d = parse_weekday(*weekly);
    if (!d) args.usage_error(describe("bad --weekly", *weekly, std::string("expected ") + kWeekdayForms));
    req.weekly_day = *d;
  }
  if (verify) req.verify_restore = *verify;
  if (wait)
    req.lock_wait = std::chrono::duration_cast<std::chrono::milliseconds>(
        option_value([&] { return parse_short_duration(*wait, "--lock-wait"); }));
  auto r = run_schedule(ctx.repo(), ctx.config(), ctx.root(), req, ctx.progress());
  if (!ctx.quiet() || r.status == "FAILED") (r.status == "FAILED" ? std::cerr : ctx.out()) << r.line << "\n";
  return r.status == "FAILED" ? static_cast<int>(Exit::internal) : 0;
}

int protect_or_unprotect(Context& ctx, Args& args, bool protect) {
  auto note = protect ? args.value("note") : std::nullopt;
  auto ops = args.operands(1, SIZE_MAX);
  std::vector<Backup> targets;
  for (auto& spec : ops) targets.push_back(resolve_backup(ctx.repo(), spec, ctx.progress()));
  Store store(ctx.repo());
  store.create();
  auto lock = store.lock();
  for (auto& b : targets) {
    if (protect) {
      bool done = protect_backup(ctx.repo(), lock, b, note.value_or(""));
      ctx.out() << (done ? "protected " : "already protected ") << b.tag << "\n";
    } else {
      bool done = unprotect_backup(ctx.repo(), lock, b);
      if (!done) {
        auto rule = deploy_protections(ctx.repo(), list_backups(ctx.repo(), ctx.progress()));
        if (auto it = rule.find(b.tag); it != rule.end())
          throw Error(Exit::bad_input, describe("backup", b.tag, "is protected by the live-deploy rule (" + it->second + ")"),
                      "set protect_live_deploys = false in [retention] to turn the rule off");
      }
      ctx.out() << (done ? "unprotected " : "was not protected ") << b.tag << "\n";
    }
  }
  return 0;
}

int backup_protect(Context& ctx, Args& args) { return protect_or_unprotect(ctx, args, true); }
int backup_unprotect(Context& ctx, Args& args) { return protect_or_unprotect(ctx, args, false); }

constexpr Option kEnvsOption[] = {
    {"env", 0, "<env>", "the environment (repeatable; default dev)", true, Complete::env}};
constexpr Option kVerifyRestoreOption[] = {
    {"verify-restore", 0, "never|daily|weekly", "how often a run also trial-restores its backup"}};
constexpr Option kEnableOptions[] = {
    use(kEnvsOption),
    {"daily", 0, "<HH:MM|random>", "the time of the daily backup (default: the configured one, or random)"},
    {"weekly", 0, "<day>", "the day of the weekly backup kept longer (monday...)"},
    use(kVerifyRestoreOption),
    {"scheduler", 0, "systemd|cron|print", "install a systemd user timer, a crontab line, or print both"}};
constexpr Option kDisableOptions[] = {
    use(kEnvsOption), {"scheduler", 0, "systemd|cron", "remove only this scheduler's entry"}};
constexpr Option kStatusOptions[] = {
    {"env", 0, "<env>", "the environment (repeatable; default: every one)", true, Complete::env}, use(kFormatOptions)};
constexpr Option kRunOptions[] = {
    use(kEnvOptions), {"weekly", 0, "<day>", "the day of the weekly backup kept longer"}, use(kVerifyRestoreOption),
    {"lock-wait", 0, "<duration>", "how long to wait for the store lock (default 1h)"}};
constexpr Option kProtectOptions[] = {{"note", 'm', "<note>", "why it is kept (shown by backup info)"}};

const Command kScheduleEnable{.name = "enable",
                              .summary = "install a daily backup of each environment",
                              .options = kEnableOptions,
                              .run = schedule_enable};
const Command kScheduleDisable{.name = "disable",
                               .summary = "remove the scheduled backups",
                               .options = kDisableOptions,
                               .run = schedule_disable};
const Command kScheduleStatus{.name = "status",
                              .summary = "show the schedule and the latest runs",
                              .options = kStatusOptions,
                              .run = schedule_status};
const Command kScheduleRun{.name = "run",
                           .summary = "one scheduled run (what the timer or crontab line starts)",
                           .options = kRunOptions,
                           .run = schedule_run};
const Command* const kScheduleSubcommands[] = {&kScheduleEnable, &kScheduleDisable, &kScheduleStatus, &kScheduleRun};

}  // namespace

const Command kBackupScheduleCommand{.name = "schedule",
                                     .summary = "back environments up every day with a systemd timer or cron",
                                     .subcommands = kScheduleSubcommands,
                                     .man = "git-pantheon-backup-schedule"};
const Command kBackupProtectCommand{.name = "protect",
                                    .summary = "keep backups from every prune and retention rule",
                                    .operands = "<backup>...",
                                    .options = kProtectOptions,
                                    .run = backup_protect};
const Command kBackupUnprotectCommand{.name = "unprotect",
                                      .summary = "let prune remove protected backups again",
                                      .operands = "<backup>...",
                                      .run = backup_unprotect};

}  // namespace gp::cli
