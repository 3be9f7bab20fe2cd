#pragma once
// A packfile written as an import reads its archive: each object is appended
// (pack object header + zlib data, level 1) to one temporary file in
// objects/pack/ while its SHA-1 id ("<type> <size>\0" + content) is computed on the
// way; finish() writes the object count into the header, the pack checksum, and
// the version 2 .idx (ids, CRC-32s and offsets were collected while writing, so
// nothing is inflated again), then publishes both and refreshes the odb.
//
// Why not git_indexer: it inflates and hashes every object a second time to
// build the .idx; everything it would compute is known here already. `git fsck
// --full --strict` (which verifies the pack against its index) judges the result
// in the tests.
//
// Objects the repository already has, or that this pack already holds, are not
// written again (an object streamed in is dropped from the file afterwards).
// Memory: 1 MiB for whole-object compression and ~40 bytes per object written.
// A PackWriter destroyed before finish() removes its temporary file: nothing of
// an abandoned import remains.
#include <openssl/evp.h>
#include <zlib.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "git/repo.hpp"
#include "util/fs.hpp"
#include "util/git_handles.hpp"
#include "util/deflate_handles.hpp"

namespace gp {

class PackWriter {
 public:
  explicit PackWriter(git_repository* repo);
  PackWriter(const PackWriter&) = delete;
  PackWriter& operator=(const PackWriter&) = delete;
  ~PackWriter();

  // Streams one object of exactly `size` bytes: begin(), write()..., end().
  void begin(git_object_t type, uint64_t size);
  void write(const void* data, size_t n);
  git_oid end();
  // A whole object at once.
  git_oid add(git_object_t type, const void* data, size_t n);

  // Completes and publishes the pack (nothing when it holds no object), then
  // refreshes the repository's odb so its objects can be read. Returns the
  // number of objects in the pack. The writer takes no more objects afterwards.
  uint64_t finish();

  uint64_t objects() const noexcept { return entries_.size(); }
  const fs::path& pack_path() const noexcept { return final_pack_; }  // after finish()

 private:
  struct Entry {
    git_oid oid;
    uint64_t offset;
    uint32_t crc;
  };
  struct OidHash {
    size_t operator()(const git_oid& o) const noexcept;
  };
  struct OidEq {
    bool operator()(const git_oid& a, const git_oid& b) const noexcept { return git_oid_equal(&a, &b); }
  };

  void emit(const void* data, size_t n);  // into the file, through the buffer, CRC'd
  void emit_header(git_object_t type, uint64_t size);
  void flush();
  bool known(const git_oid& oid);  // in the odb or in this pack
  git_oid hash_whole(git_object_t type, const void* data, size_t n);
  void compress_whole(const void* data, size_t n);
  void drop_current();  // removes the object being written from the file

  GitOdb odb_;
  fs::path dir_;
  fs::path tmp_;
  fs::path final_pack_;
  Fd fd_;
  bool finished_ = false;

  std::vector<char> out_;    // write buffer
  uint64_t flushed_ = 0;     // bytes already in the file
  std::vector<Entry> entries_;
  std::unordered_set<git_oid, OidHash, OidEq> seen_;

  // The object being streamed.
  bool open_ = false;
  git_object_t type_ = GIT_OBJECT_BLOB;
  uint64_t size_ = 0, got_ = 0, start_ = 0;
  uint32_t crc_ = 0;
  bool whole_ = false;       // small: buffered in small_, compressed at end()
  std::vector<char> small_;
  std::vector<char> cbuf_;   // compressed output
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> sha_;
  z_stream z_{};
  bool z_init_ = false;
  bool trial_done_ = false;  // compressibility of the streamed object judged
  DeflateCompressor deflater_;
};

}  // namespace gp
