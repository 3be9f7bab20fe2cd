#pragma once
// RAII owners for the C libraries' handles, and one check helper per library.
// Each alias owns exactly what the caller of the creating function owns (see each
// library's ownership rules: libgit2 docs/conventions.md, libarchive, libcurl, sqlite).
// The check helpers turn a library failure into gp::Error carrying the library's own text.
#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <git2.h>
#include <libdeflate.h>
#include <sqlite3.h>

#include <memory>
#include <string>

#include "util/error.hpp"

namespace gp {

template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* p) const noexcept {
    if (p) Free(p);
  }
};

template <typename T, auto Free>
using Handle = std::unique_ptr<T, Deleter<Free>>;

// libgit2
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

// libarchive
using ArchiveReader = Handle<archive, archive_read_free>;
using ArchiveWriter = Handle<archive, archive_write_free>;
using ArchiveEntry = Handle<archive_entry, archive_entry_free>;

// libdeflate
using DeflateCompressor = Handle<libdeflate_compressor, libdeflate_free_compressor>;
using DeflateDecompressor = Handle<libdeflate_decompressor, libdeflate_free_decompressor>;

// libcurl
using Curl = Handle<CURL, curl_easy_cleanup>;
using CurlSlist = Handle<curl_slist, curl_slist_free_all>;
using CurlUrl = Handle<CURLU, curl_url_cleanup>;

// sqlite
using Sqlite = Handle<sqlite3, sqlite3_close_v2>;
using SqliteStmt = Handle<sqlite3_stmt, sqlite3_finalize>;

// Throws gp::Error(code, "<what>: <git_error_last()>") when rc < 0; returns rc otherwise.
int git_check(int rc, const std::string& what, Exit code = Exit::internal);

// Throws gp::Error(code, "<what>: <archive_error_string(a)>") when rc < ARCHIVE_WARN.
int archive_check(archive* a, int rc, const std::string& what, Exit code = Exit::bad_input);

// Throws gp::Error(code, "<what>: <curl_easy_strerror(rc)>") when rc != CURLE_OK.
void curl_check(CURLcode rc, const std::string& what, Exit code = Exit::remote);

// Throws gp::Error(code, "<what>: <sqlite3_errmsg(db)>") unless rc is SQLITE_OK, ROW or DONE.
int sqlite_check(sqlite3* db, int rc, const std::string& what, Exit code = Exit::remote);

// libgit2's message for the last error, or "unknown error".
std::string git_last_error();

}  // namespace gp
