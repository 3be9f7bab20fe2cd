#pragma once
// libarchive's handles (util/handle.hpp) and its check helper.
#include <archive.h>
#include <archive_entry.h>

#include <string>

#include "util/error.hpp"
#include "util/handle.hpp"

namespace gp {

using ArchiveReader = Handle<archive, archive_read_free>;
using ArchiveWriter = Handle<archive, archive_write_free>;
using ArchiveEntry = Handle<archive_entry, archive_entry_free>;

// Throws gp::Error(code, "<what>: <archive_error_string(a)>") when rc < ARCHIVE_WARN.
int archive_check(archive* a, int rc, const std::string& what, Exit code = Exit::bad_input);

}  // namespace gp
