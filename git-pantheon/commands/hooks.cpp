// git pantheon hooks install|uninstall|status, and `hook <name>` (what the hook files run)
#include <cstdlib>
#include <iostream>
#include <unistd.h>

#include <cerrno>

#include "commands.hpp"
#include "hooks/hooks.hpp"
#include "hooks/post_commit.hpp"
#include "remote/remote.hpp"
#include "util/json.hpp"

namespace gp::cli {

int run_hooks(Context& ctx, Args& args) {
  auto sub = args.subcommand();
  if (!sub) args.usage_error("missing subcommand");
  if (*sub == "install" || *sub == "uninstall") {
    bool force = *sub == "install" && args.flag("force", 'f');
    args.operands(0, 0);
    auto lines = *sub == "install" ? install_hooks(ctx.repo(), force) : uninstall_hooks(ctx.repo());
    if (!ctx.quiet())
      for (auto& l : lines) ctx.out() << l << "\n";
    return 0;
  }
  if (*sub == "status") {
    Format fmt = ctx.format(args);
    args.operands(0, 0);
    auto st = hooks_status(ctx.repo());
    if (fmt == Format::json) {
      JsonWriter j;
      j.begin_array();
      for (auto& s : st)
        j.begin_object()
            .field("hook", s.name)
            .field("path", s.path.string())
            .field("state", s.state)
            .field("chained", s.chained)
            .field("in_work_tree", s.in_work_tree)
            .end_object();
      j.end_array();
      ctx.out() << j.str() << "\n";
      return 0;
    }
    for (auto& s : st)
      ctx.out() << s.name << "\t" << s.state << (s.chained ? " (chained foreign hook runs first)" : "")
                << (s.in_work_tree ? " (the work tree's hooks folder)" : "") << "\t" << s.path.string() << "\n";
    return 0;
  }
  args.usage_error("unknown subcommand 'hooks " + *sub + "'");
}

namespace {

bool env_is_one(const char* name) {
  const char* v = std::getenv(name);
  return v && std::string(v) == "1";
}

// post-commit: never fails the commit. Every problem becomes one warning line.
int run_post_commit(Context& ctx, Args& args) {
  args.operands(0, 0);
  if (env_is_one("GIT_PANTHEON_SKIP_POST_COMMIT") || env_is_one("GIT_PANTHEON_SKIP_HOOKS")) return 0;
  try {
    NullProgress quiet;
    auto r = post_commit(ctx.repo(), quiet);
    if (r.backup && !ctx.quiet()) {
      std::string els;
      for (auto e : r.backup->manifest.elements) els += (els.empty() ? "" : ", ") + to_string(e);
      std::cerr << "git-pantheon: post-commit backup " << r.backup->tag << " (" << els << ", "
                << human_size(r.backup->manifest.total_size()) << ")"
                << (r.pruned.empty() ? "" : "; removed " + std::to_string(r.pruned.size()) + " older") << "\n";
    }
  } catch (const std::exception& e) {
    std::string what = e.what();
    for (auto& c : what)
      if (c == '\n') c = ' ';
    std::cerr << "git-pantheon: warning: post-commit backup not made (the commit is done): " << what << "\n";
  }
  return 0;
}

}  // namespace

int run_hook(Context& ctx, Args& args) {
  auto sub = args.subcommand();
  if (!sub) args.usage_error("missing hook name");
  if (*sub == "post-commit") return run_post_commit(ctx, args);
  if (*sub != "pre-push") args.usage_error("unknown hook '" + *sub + "'");
  auto ops = args.operands(0, 2);
  std::string input;  // git's pre-push input: one short line per ref
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(0, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    input.append(buf, static_cast<size_t>(n));
  }
  if (env_is_one("GIT_PANTHEON_SKIP_PUSH") || env_is_one("GIT_PANTHEON_SKIP_HOOKS")) return 0;
  std::string remote = ops.empty() ? "origin" : ops[0];
  auto updates = parse_pre_push(input);
  try {
    auto r = pre_push(ctx.repo(), remote, updates, ctx.progress());
    for (auto& f : r.uploaded) std::cerr << "git-pantheon: uploaded " << f << "\n";
  } catch (const Error& e) {
    throw Error(e.code(), std::string("pre-push: backup archives not stored, push aborted: ") + e.what(),
                e.hint().empty() ? "set GIT_PANTHEON_SKIP_PUSH=1 to push without them" : e.hint());
  }
  return 0;
}

}  // namespace gp::cli
