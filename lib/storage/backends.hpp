#pragma once
// Internal to lib/storage: the backends open_storage() chooses from.
#include <memory>
#include <string>

#include "storage/storage.hpp"

namespace gp::storage_detail {

std::unique_ptr<Storage> make_file_storage(const fs::path& root);
// `bucket` and `prefix` (no leading or trailing '/') from "s3://bucket/prefix".
std::unique_ptr<Storage> make_s3_storage(const StorageConfig& cfg, const std::string& bucket,
                                         const std::string& prefix, const StorageOptions& options);

#ifdef GP_FAULT_INJECTION
// Test builds only: `inner` behind a decorator injecting the fault `spec` describes
// (the value of GP_STORAGE_FAULT; fault_storage.cpp lists the faults). A malformed
// spec is Exit::config.
std::unique_ptr<Storage> wrap_with_faults(std::unique_ptr<Storage> inner, const std::string& spec);
#endif

// Name of the directory under a file:// root that holds files being written.
inline constexpr const char* kFileTmpDir = ".gp-tmp";

}  // namespace gp::storage_detail
