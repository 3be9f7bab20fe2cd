#pragma once
// The one reader of archives. Every part of the program that reads a tar, a zip
// or a compressed file (restore, import code/site/files, backup verify, the
// archive sniffers) reads it through EntryReader, so that one set of rules
// decides what an archive may hold:
//  - gzip is decoded by GzipReader (CRC-32 and size of every member checked, on a
//    thread of its own, ahead of the consumer); other formats and compressions by
//    libarchive; the whole file is hashed in the same pass (finish());
//  - names: split by archive/entry_name.hpp; absolute names and '..' are refused;
//    any other bytes are data (a site's files may have names with newlines or
//    bytes that are not UTF-8, and git stores them too); components longer than
//    255 bytes and paths that would be longer than PATH_MAX where they land are
//    refused when the entry is read, before the consumer writes anything of it;
//  - the tree an archive describes: an entry under a symbolic link or a file of
//    the archive is refused (nothing is ever written through a link); a directory
//    where a file or link was before, or a file or link where a directory was, is
//    refused; a file or link where a file or link was before replaces it, as tar
//    does (the later one wins: `replaces` says so); a hard link must name a regular
//    file that came before it;
//  - sizes: a file must hold exactly the bytes its header claims (else
//    Exit::integrity: truncated); the claims of all entries together must stay
//    within the limits and, when the consumer says how much space it has, within
//    the free space; past 64 MiB the expansion ratio is checked (bombs);
//  - devices, FIFOs and sockets are reported as EntryType::special: the consumer
//    decides (extraction refuses them, import skips them).
// Errors: gp::Error(Exit::bad_input, "refusing archive '<file>': entry '<name>'
// <why>") for a hostile entry; gp::Error(Exit::integrity, "archive '<file>' is
// corrupt: <cause>") for damaged data. Names in messages are raw: the program
// makes them printable where it prints (util/utf8.hpp printable()).
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "archive/tar.hpp"
#include "util/fs.hpp"
#include "util/archive_handles.hpp"

namespace gp {

enum class EntryType { file, directory, symlink, hardlink, special };

struct ArchiveEntryInfo {
  EntryType type = EntryType::file;
  std::string name;                // as written in the archive
  std::vector<std::string> parts;  // components after `strip`
  std::string path;                // parts joined with '/'
  std::string target;              // symlink: its target (any bytes); hardlink: the path (after strip) of its file
  unsigned mode = 0;               // permission bits (07777) as archived
  bool has_mtime = false;
  int64_t mtime_sec = 0;
  long mtime_nsec = 0;
  bool has_size = false;
  uint64_t size = 0;               // file: the size its header claims
  bool sparse = false;             // file: holes between data blocks
  bool replaces = false;           // a file, link or hard link of the same path came before
  const char* special_kind = "";   // special: "device", "named pipe", "socket", "entry of an unknown type"
};

struct EntryRules {
  unsigned strip = 0;               // leading components dropped ('.' does not count)
  ExtractLimits limits;
  // Bytes of the directory the tree will live in (not counting a '/'): with the
  // entry's path, must stay under PATH_MAX. 0: the path alone is checked.
  size_t base_length = 0;
  // Bytes the consumer can write (the free space where it extracts); the entries'
  // claimed sizes together must fit. 0: not checked.
  uint64_t free_bytes = 0;
  // A compressed single file (a database .sql.gz) is one entry named "data".
  bool raw_file = false;
};

class EntryReader {
 public:
  // Opens `archive`; gp::Error(bad_input) when it cannot be opened or is no archive.
  EntryReader(const fs::path& archive, EntryRules rules);
  ~EntryReader();
  EntryReader(const EntryReader&) = delete;
  EntryReader& operator=(const EntryReader&) = delete;

  // The next entry (entries stripped away entirely are skipped), or nullptr at
  // the end. The data of the previous entry that was not read is skipped.
  const ArchiveEntryInfo* next();
  // The current file entry's data, block by block: false at its end (where its
  // size is checked against the header). `offset` is where the block goes in the
  // file (a sparse file's holes are skipped).
  bool read_block(const char*& data, size_t& size, uint64_t& offset);
  // The same as a plain stream (holes are not expanded: sparse entries need read_block).
  size_t read(char* out, size_t size);

  // Throws the refusal of the current entry: "refusing archive '<file>': entry '<name>' <why>".
  [[noreturn]] void refuse(const std::string& why) const;
  // After next() returned nullptr: reads what follows the archive's end (so that
  // the gzip trailer is checked) and returns the file's size and sha256.
  std::pair<uint64_t, std::string> finish();

  // Compressed bytes read so far (for bomb checks and progress).
  uint64_t compressed_bytes() const;
  const std::string& file_name() const noexcept { return file_; }
  uint64_t entries() const noexcept { return entries_; }
  uint64_t data_bytes() const noexcept { return total_; }
  // Whether libarchive saw no format but the raw one and no compression (only with raw_file).
  bool plain_bytes() const;

 private:
  struct Input;
  void check_tree(ArchiveEntryInfo& e);
  // The entry's name and link target as the archive holds them (TarNameTracker),
  // where libarchive's conversion may have changed them.
  void raw_names(archive_entry* e, bool hardlink, std::string& name, std::string& link);
  void end_of_data();

  fs::path path_;
  std::string file_;
  EntryRules rules_;
  std::unique_ptr<Input> in_;
  ArchiveEntryInfo cur_;
  bool in_data_ = false;     // the current entry's data has not been read to its end
  uint64_t data_end_ = 0;    // the end of the data delivered for the current entry
  // read(): the rest of the block being handed out, and the position in the file.
  const char* pend_data_ = nullptr;
  size_t pend_size_ = 0;
  uint64_t pend_offset_ = 0, read_pos_ = 0;
  uint64_t entries_ = 0, total_ = 0, claimed_ = 0;
  // The tree so far: every path (after strip) and what it is.
  enum class Kind : uint8_t { dir, file, link, other };
  std::unordered_map<std::string, Kind> tree_;
  std::string last_parent_;  // the last entry's parent, known to be a directory
};

}  // namespace gp
