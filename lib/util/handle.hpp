#pragma once
// Handle<T, free_fn>: the RAII owner of a C library's handle, a unique_ptr whose
// deleter calls the library's own free function. Each library's aliases and its
// check helper live in a header of their own (git_handles.hpp, archive_handles.hpp,
// curl_handles.hpp, sqlite_handles.hpp, deflate_handles.hpp), so that a file pulls in
// only the C headers it uses. Each alias owns exactly what the caller of the
// creating function owns (libgit2 docs/conventions.md, libarchive, libcurl, sqlite).
#include <memory>

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

}  // namespace gp
