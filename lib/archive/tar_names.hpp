#pragma once
// Internal to lib/archive: the names of a tar stream's entries exactly as the
// archive holds them. libarchive converts the UTF-8 of pax headers to the
// locale's charset and normalises it to NFC on the way (archive_string.c: any
// conversion from UTF-8 gets SCONV_NORMALIZATION_C, and its libarchive-2 escape
// hatch is a no-op where wchar_t is Unicode), so a name written in NFD (as files
// uploaded from macOS are named) would come back as another name, and a site's
// links to it would break. This follows the same bytes libarchive reads, header
// by header (ustar name and prefix, GNU long names, pax path/linkpath and
// GNU.sparse.name), and gives each entry's raw name and link target in order.
// It only reads headers; data is skipped by its size. Anything it does not
// understand (a bad header checksum, a stream that is not tar) switches it off,
// and libarchive's names are used as they are.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>

namespace gp::archive_detail {

class TarNameTracker {
 public:
  struct Names {
    std::string path, link;
    char type = '0';  // the ustar typeflag ('0' file, '1' hard link, '2' symlink, '5' directory ...)
  };
  // The next bytes of the uncompressed tar stream.
  void feed(const char* data, size_t size);
  // The names of the next entry, in archive order; nullopt when off or unknown.
  std::optional<Names> pop();
  bool on() const noexcept { return on_; }
  void off() noexcept { on_ = false; }

 private:
  void header(const char* h);
  void extended_data();

  bool on_ = true;
  char block_[512];
  size_t have_ = 0;         // bytes of block_ filled
  uint64_t skip_ = 0;       // data bytes (padded) still to skip
  uint64_t collect_ = 0;    // data bytes of a pax or long-name entry still to collect
  char collecting_ = 0;     // its typeflag
  int sparse_blocks_ = 0;   // old GNU sparse extension headers still to come
  uint64_t pending_skip_ = 0;  // the data after them
  bool saw_pax_ = false;    // a pax archive: hard links may have data
  std::optional<uint64_t> pax_size_;
  std::string data_;        // what is collected
  std::string pax_path_, pax_link_, gnu_path_, gnu_link_, sparse_name_;
  std::deque<Names> ready_;
};

}  // namespace gp::archive_detail
