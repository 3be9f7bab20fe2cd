// git pantheon push [REMOTE] [--all | <backup>...]  and  git pantheon fetch [REMOTE] [--archives]
#include <iostream>

#include "commands.hpp"
#include "remote/remote.hpp"
#include "util/json.hpp"

namespace gp::cli {

namespace {
void json_list(JsonWriter& j, const char* key, const std::vector<std::string>& v) {
  j.key(key).begin_array();
  for (auto& s : v) j.value(s);
  j.end_array();
}
int run_push(Context& ctx, Args& args) {
  Format fmt = ctx.format(args);
  bool all = args.flag("all");
  auto ops = args.operands(0, SIZE_MAX);
  std::string remote = "origin";
  std::vector<std::string> specs;
  if (!ops.empty()) {
    remote = ops[0];
    specs.assign(ops.begin() + 1, ops.end());
  }
  if (all && !specs.empty()) args.usage_error("--all takes no backup names");
  const Config& cfg = ctx.config();
  storage_config(cfg, remote);
  // The store lock, held from listing the backups to pushing their tags: a
  // concurrent prune must not remove a backup being pushed, nor its archives
  // while they are being read.
  Store store(ctx.repo());
  auto lock = store.lock();
  std::vector<Backup> backups;
  if (specs.empty()) backups = list_backups(ctx.repo(), ctx.progress());
  else
    for (auto& s : specs) backups.push_back(resolve_backup(ctx.repo(), s, ctx.progress()));
  PushResult r = push_backups(ctx.repo(), cfg, store, lock, remote, backups, ctx.progress());
  if (fmt == Format::json) {
    JsonWriter j;
    j.begin_object();
    json_list(j, "uploaded", r.archives.uploaded);
    json_list(j, "skipped", r.archives.skipped);
    json_list(j, "tags_pushed", r.tags_pushed);
    j.end_object();
    ctx.out() << j.str() << "\n";
    return 0;
  }
  if (backups.empty()) {
    if (!ctx.quiet()) ctx.out() << "no backups to push\n";
    return 0;
  }
  for (auto& f : r.archives.uploaded) ctx.out() << "uploaded  " << f << "\n";
  if (!ctx.quiet())
    for (auto& f : r.archives.skipped) ctx.out() << "stored    " << f << "\n";
  for (auto& t : r.tags_pushed) ctx.out() << "pushed    " << t << "\n";
  return 0;
}

int run_fetch(Context& ctx, Args& args) {
  Format fmt = ctx.format(args);
  bool archives = args.flag("archives");
  auto ops = args.operands(0, 1);
  std::string remote = ops.empty() ? "origin" : ops[0];
  const Config& cfg = ctx.config();
  Store store(ctx.repo());
  store.create();
  auto lock = store.lock();
  FetchResult r = fetch_backups(ctx.repo(), cfg, store, lock, remote, archives, ctx.progress());
  if (fmt == Format::json) {
    JsonWriter j;
    j.begin_object();
    json_list(j, "tags", r.tags);
    json_list(j, "downloaded", r.downloaded);
    j.end_object();
    ctx.out() << j.str() << "\n";
    return 0;
  }
  for (auto& f : r.downloaded) ctx.out() << "downloaded  " << f << "\n";
  if (!ctx.quiet()) ctx.out() << r.tags.size() << " backups known after fetching from " << remote << "\n";
  return 0;
}

constexpr Option kPushOptions[] = {{"all", 0, nullptr, "every backup (the default)"}, use(kFormatOptions)};
constexpr Option kFetchOptions[] = {
    {"archives", 0, nullptr, "also download the backups' archives into the local store"}, use(kFormatOptions)};

}  // namespace

const Command kPushCommand{.name = "push",
                           .summary = "upload backup archives to a remote's storage, then push their tags",
                           .operands = "[<remote>] [<backup>...]",
                           .options = kPushOptions,
                           .run = run_push,
                           .operand_complete = Complete::remote};
const Command kFetchCommand{.name = "fetch",
                            .summary = "fetch backup tags from a remote, and with --archives their archives",
                            .operands = "[<remote>]",
                            .options = kFetchOptions,
                            .run = run_fetch,
                            .operand_complete = Complete::remote,
                            .man = "git-pantheon-push"};

}  // namespace gp::cli
