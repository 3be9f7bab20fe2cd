#include "util/sha256.hpp"

#include <fcntl.h>

#include <vector>

namespace gp {

Sha256::Sha256() : ctx_(EVP_MD_CTX_new(), &EVP_MD_CTX_free) {
  if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1)
    throw InternalError("cannot initialise sha256");
}

void Sha256::update(const void* data, size_t size) {
  if (EVP_DigestUpdate(ctx_.get(), data, size) != 1) throw InternalError("sha256 update failed");
}

std::string Sha256::digest() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_.get(), md, &len) != 1) throw InternalError("sha256 final failed");
  return std::string(reinterpret_cast<char*>(md), len);
}

std::string Sha256::hex_digest() { return to_hex(digest()); }

std::string sha256_hex(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.hex_digest();
}

FileDigest sha256_file(const fs::path& path) {
  Fd fd = open_file(path, O_RDONLY, 0, Exit::bad_input);
  Sha256 h;
  FileDigest out;
  std::vector<char> buf(1 << 20);
  for (;;) {
    size_t n = read_some(fd.get(), buf.data(), buf.size(), path.string());
    if (n == 0) break;
    h.update(buf.data(), n);
    out.size += n;
  }
  out.sha256 = h.hex_digest();
  return out;
}

std::string to_hex(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

}  // namespace gp
