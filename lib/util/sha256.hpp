#pragma once
// Streaming SHA-256 on OpenSSL's libcrypto.
#include <openssl/evp.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "util/fs.hpp"

namespace gp {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t size);
  void update(std::string_view s) { update(s.data(), s.size()); }
  // Lowercase hex digest; the object must not be updated afterwards.
  std::string hex_digest();
  // Raw 32-byte digest.
  std::string digest();

 private:
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_;
};

// Hex SHA-256 of a string.
std::string sha256_hex(std::string_view data);

// Hex SHA-256 and size of a file, streamed.
struct FileDigest {
  std::string sha256;
  uint64_t size = 0;
};
FileDigest sha256_file(const fs::path& path);

// Lowercase hex encoding of raw bytes.
std::string to_hex(std::string_view bytes);

}  // namespace gp
