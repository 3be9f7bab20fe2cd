#pragma once
// Copying content (database and/or files) from one environment to another, as
// Pantheon's "clone content" does: a backup of the source (initiator "clone", kept
// for safety_keep_for) restored into the target with every restore safety rule
// (verification, safety backup of the target, atomic swaps). The source is only read.
#include "restore/restore.hpp"

namespace gp {

struct CloneResult {
  Backup source_backup;   // the snapshot of `from` that was copied
  RestoreResult restore;  // what happened to `to` (its safety backup included)
};

// What clone_content would do, for the confirmation prompt: one line per element
// replaced (and per URL pair the database gets rewritten with) and one for the
// safety backup. Refuses as clone_content does.
std::vector<std::string> describe_clone(const Config& config, const std::string& from, const std::string& to,
                                        const std::vector<Element>& elements, const RewriteRequest& rewrite = {});

// `elements` holds Element::database and/or Element::files; the database has
// `from`'s URLs rewritten into `to`'s (`rewrite`, see restore.hpp). gp::Error(bad_input),
// before anything is written, when from == to, an environment is unknown, or
// either lacks one of `elements` (a code environment has no database and no files).
CloneResult clone_content(Repo& repo, const Config& config, const Store& store, const FileLock& lock,
                          const std::string& from, const std::string& to, const std::vector<Element>& elements,
                          Progress& progress, const RewriteRequest& rewrite = {});

}  // namespace gp
