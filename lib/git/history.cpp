#include "git/history.hpp"

#include <cstdio>
#include <ctime>

namespace gp {

namespace {
GitCommit lookup_commit(const Repo& repo, const git_oid& oid) {
  git_commit* c = nullptr;
  if (git_commit_lookup(&c, repo.get(), &oid) != 0)
    fail(Exit::bad_input, describe("cannot read commit", oid_hex(oid), git_last_error()));
  return GitCommit(c);
}

std::string signature_text(const git_signature* s) {
  if (!s) return {};
  return std::string(s->name ? s->name : "") + " <" + (s->email ? s->email : "") + ">";
}
}  // namespace

CommitInfo commit_info(const Repo& repo, const git_oid& oid) {
  GitCommit c = lookup_commit(repo, oid);
  CommitInfo info;
  info.oid = oid;
  git_buf buf = GIT_BUF_INIT;
  if (git_object_short_id(&buf, reinterpret_cast<const git_object*>(c.get())) == 0) {
    info.short_id.assign(buf.ptr, buf.size);
    git_buf_dispose(&buf);
  }
  if (info.short_id.size() < 7) info.short_id = oid_hex(oid).substr(0, 7);
  const git_signature* a = git_commit_author(c.get());
  info.author = signature_text(a);
  if (a) {
    info.author_time = a->when.time;
    info.author_offset = a->when.offset;
  }
  const char* summary = git_commit_summary(c.get());
  info.subject = summary ? summary : "";
  return info;
}

std::vector<CommitInfo> first_parent_log(const Repo& repo, const git_oid& start, size_t limit) {
  std::vector<CommitInfo> out;
  git_oid cur = start;
  for (;;) {
    out.push_back(commit_info(repo, cur));
    if (limit && out.size() >= limit) break;
    GitCommit c = lookup_commit(repo, cur);
    if (git_commit_parentcount(c.get()) == 0) break;
    cur = *git_commit_parent_id(c.get(), 0);
  }
  return out;
}

git_oid first_parent_root(const Repo& repo, const git_oid& start) {
  git_oid cur = start;
  for (;;) {
    GitCommit c = lookup_commit(repo, cur);
    if (git_commit_parentcount(c.get()) == 0) return cur;
    cur = *git_commit_parent_id(c.get(), 0);
  }
}

std::string git_time_iso8601(int64_t time, int offset_minutes) {
  std::time_t t = static_cast<std::time_t>(time + int64_t{offset_minutes} * 60);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
  int off = offset_minutes < 0 ? -offset_minutes : offset_minutes;
  char zone[16];
  std::snprintf(zone, sizeof zone, "%c%02d:%02d", offset_minutes < 0 ? '-' : '+', off / 60, off % 60);
  return std::string(date) + zone;
}

}  // namespace gp
