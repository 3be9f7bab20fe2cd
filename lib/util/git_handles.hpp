#pragma once
// libgit2's handles (util/handle.hpp) and its check helper.
#include <git2.h>

#include <string>

#include "util/error.hpp"
#include "util/handle.hpp"

namespace gp {

using GitRepository = Handle<git_repository, git_repository_free>;
using GitObject = Handle<git_object, git_object_free>;
using GitCommit = Handle<git_commit, git_commit_free>;
using GitTree = Handle<git_tree, git_tree_free>;
using GitTreeEntry = Handle<git_tree_entry, git_tree_entry_free>;
using GitTag = Handle<git_tag, git_tag_free>;
using GitBlob = Handle<git_blob, git_blob_free>;
using GitReference = Handle<git_reference, git_reference_free>;
using GitReferenceIterator = Handle<git_reference_iterator, git_reference_iterator_free>;
using GitSignature = Handle<git_signature, git_signature_free>;
using GitIndex = Handle<git_index, git_index_free>;
using GitConfig = Handle<git_config, git_config_free>;
using GitOdb = Handle<git_odb, git_odb_free>;
using GitOdbStream = Handle<git_odb_stream, git_odb_stream_free>;
using GitPackbuilder = Handle<git_packbuilder, git_packbuilder_free>;
using GitRevwalk = Handle<git_revwalk, git_revwalk_free>;
using GitStatusList = Handle<git_status_list, git_status_list_free>;
using GitTreeBuilder = Handle<git_treebuilder, git_treebuilder_free>;
using GitRemote = Handle<git_remote, git_remote_free>;
using GitWorktree = Handle<git_worktree, git_worktree_free>;

// Throws gp::Error(code, "<what>: <git_error_last()>") when rc < 0; returns rc otherwise.
int git_check(int rc, const std::string& what, Exit code = Exit::internal);

// libgit2's message for the last error, or "unknown error".
std::string git_last_error();

}  // namespace gp
