#include "archive/tar_names.hpp"

#include <algorithm>
#include <cstring>

namespace gp::archive_detail {

namespace {

uint64_t padded(uint64_t n) { return (n + 511) / 512 * 512; }

// A numeric field: octal digits (spaces and NULs around them), or base-256 when
// the first byte has its high bit set (GNU and star for large values).
bool number(const char* f, size_t len, uint64_t& out) {
  out = 0;
  if (static_cast<unsigned char>(f[0]) & 0x80) {
    if (static_cast<unsigned char>(f[0]) & 0x40) return false;  // negative
    out = static_cast<unsigned char>(f[0]) & 0x3f;
    for (size_t i = 1; i < len; ++i) {
      if (out >> 55) return false;
      out = (out << 8) | static_cast<unsigned char>(f[i]);
    }
    return true;
  }
  size_t i = 0;
  while (i < len && (f[i] == ' ' || f[i] == '\0')) ++i;
  for (; i < len && f[i] >= '0' && f[i] <= '7'; ++i) {
    if (out >> 60) return false;
    out = out * 8 + static_cast<uint64_t>(f[i] - '0');
  }
  for (; i < len; ++i)
    if (f[i] != ' ' && f[i] != '\0') return false;
  return true;
}

std::string field(const char* f, size_t len) { return std::string(f, strnlen(f, len)); }

}  // namespace

void TarNameTracker::feed(const char* data, size_t size) {
  while (size > 0 && on_) {
    if (skip_ > 0) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(skip_, size));
      skip_ -= n;
      data += n;
      size -= n;
      continue;
    }
    if (collect_ > 0) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(collect_, size));
      if (data_.size() + n > (16u << 20)) {  // an absurd extended header: leave the names to libarchive
        on_ = false;
        return;
      }
      data_.append(data, n);
      collect_ -= n;
      data += n;
      size -= n;
      if (collect_ == 0) {
        extended_data();
        skip_ = padded(data_.size()) - data_.size();
        data_.clear();
      }
      continue;
    }
    size_t n = std::min(size, sizeof block_ - have_);
    std::memcpy(block_ + have_, data, n);
    have_ += n;
    data += n;
    size -= n;
    if (have_ < sizeof block_) continue;
    have_ = 0;
    if (sparse_blocks_ > 0) {
      // An old GNU sparse extension block: 21 entries, then its own "is extended" flag.
      if (block_[504] == 0) {
        sparse_blocks_ = 0;
        skip_ = pending_skip_;
      }
      continue;
    }
    header(block_);
  }
}

void TarNameTracker::header(const char* h) {
  if (std::all_of(h, h + 512, [](char c) { return c == 0; })) return;  // end-of-archive blocks
  uint64_t sum = 0, want = 0;
  for (int i = 0; i < 512; ++i) sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(h[i]);
  long ssum = 0;
  for (int i = 0; i < 512; ++i) ssum += (i >= 148 && i < 156) ? ' ' : static_cast<signed char>(h[i]);
  if (!number(h + 148, 8, want) || (sum != want && static_cast<uint64_t>(ssum) != want)) {
    on_ = false;
    return;
  }
  uint64_t size = 0;
  if (!number(h + 124, 12, size)) {
    on_ = false;
    return;
  }
  char type = h[156] ? h[156] : '0';
  bool posix = std::memcmp(h + 257, "ustar\0", 6) == 0;
  switch (type) {
    case 'x':
    case 'X':
    case 'L':
    case 'K':
      saw_pax_ |= type == 'x' || type == 'X';
      collecting_ = type;
      collect_ = size;
      data_.clear();
      if (size == 0) skip_ = 0;
      return;
    case 'g':
    case 'V':  // a global header, a volume label: not entries
      skip_ = padded(size);
      return;
    default:
      break;
  }
  Names n;
  n.type = type;
  if (!sparse_name_.empty()) n.path = sparse_name_;
  else if (!pax_path_.empty()) n.path = pax_path_;
  else if (!gnu_path_.empty()) n.path = gnu_path_;
  else {
    std::string prefix = posix ? field(h + 345, 155) : std::string();
    n.path = prefix.empty() ? field(h, 100) : prefix + "/" + field(h, 100);
  }
  if (!pax_link_.empty()) n.link = pax_link_;
  else if (!gnu_link_.empty()) n.link = gnu_link_;
  else n.link = field(h + 157, 100);
  if (pax_size_) size = *pax_size_;
  pax_path_.clear();
  pax_link_.clear();
  gnu_path_.clear();
  gnu_link_.clear();
  sparse_name_.clear();
  pax_size_.reset();
  ready_.push_back(std::move(n));
  // What follows the header, as libarchive reads it: no data for links (but a pax
  // hard link's), devices, FIFOs and directories.
  uint64_t data = size;
  if (type == '2' || type == '3' || type == '4' || type == '5' || type == '6') data = 0;
  if (type == '1' && !saw_pax_) data = 0;
  if (type == 'S' && h[482] != 0) {
    sparse_blocks_ = 1;
    pending_skip_ = padded(data);
    return;
  }
  skip_ = padded(data);
}

void TarNameTracker::extended_data() {
  if (collecting_ == 'L' || collecting_ == 'K') {
    std::string v = data_.substr(0, strnlen(data_.data(), data_.size()));
    (collecting_ == 'L' ? gnu_path_ : gnu_link_) = v;
    return;
  }
  // pax records: "<length> <key>=<value>\n", the length counting the whole record.
  size_t pos = 0;
  while (pos < data_.size()) {
    size_t sp = data_.find(' ', pos);
    if (sp == std::string::npos) break;
    uint64_t len = 0;
    for (size_t i = pos; i < sp; ++i) {
      if (data_[i] < '0' || data_[i] > '9' || len > (1u << 30)) {
        on_ = false;
        return;
      }
      len = len * 10 + static_cast<uint64_t>(data_[i] - '0');
    }
    if (len < sp - pos + 2 || pos + len > data_.size() || data_[pos + len - 1] != '\n') {
      on_ = false;
      return;
    }
    std::string_view rec(data_.data() + sp + 1, pos + len - 1 - (sp + 1));
    auto eq = rec.find('=');
    if (eq != std::string_view::npos) {
      std::string_view key = rec.substr(0, eq), value = rec.substr(eq + 1);
      if (key == "path") pax_path_ = value;
      else if (key == "linkpath") pax_link_ = value;
      else if (key == "GNU.sparse.name") sparse_name_ = value;
      else if (key == "size") {
        uint64_t v = 0;
        for (char c : value) {
          if (c < '0' || c > '9' || v > (uint64_t{1} << 58)) {
            on_ = false;
            return;
          }
          v = v * 10 + static_cast<uint64_t>(c - '0');
        }
        pax_size_ = v;
      }
    }
    pos += len;
  }
}

std::optional<TarNameTracker::Names> TarNameTracker::pop() {
  if (!on_ || ready_.empty()) return std::nullopt;
  Names n = std::move(ready_.front());
  ready_.pop_front();
  return n;
}

}  // namespace gp::archive_detail
