#pragma once
// Reading commit history through libgit2: first-parent logs, root commits and
// the facts about one commit that listings print.
#include <cstdint>
#include <string>
#include <vector>

#include "git/repo.hpp"

namespace gp {

struct CommitInfo {
  git_oid oid{};
  std::string short_id;     // the shortest unique abbreviation (at least 7 digits), as git prints it
  std::string author;       // "Name <email>"
  int64_t author_time = 0;  // seconds since the epoch
  int author_offset = 0;    // minutes east of UTC
  std::string subject;      // the first line of the message
};

// Reads one commit; gp::Error(bad_input) when `oid` is not a commit in `repo`.
CommitInfo commit_info(const Repo& repo, const git_oid& oid);

// Up to `limit` commits of the first-parent chain starting at `start` (start
// first, newest first). limit 0 means no limit.
std::vector<CommitInfo> first_parent_log(const Repo& repo, const git_oid& start, size_t limit);

// The last commit of the first-parent chain from `start`: the root commit that
// history reaches by always following the first parent.
git_oid first_parent_root(const Repo& repo, const git_oid& start);

// "2026-11-25T13:04:05+01:00": a commit time in ISO 8601 with its own offset.
std::string git_time_iso8601(int64_t time, int offset_minutes);

}  // namespace gp
