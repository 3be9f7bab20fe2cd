#pragma once
// libdeflate's handles (util/handle.hpp).
#include <libdeflate.h>

#include "util/handle.hpp"

namespace gp {

using DeflateCompressor = Handle<libdeflate_compressor, libdeflate_free_compressor>;
using DeflateDecompressor = Handle<libdeflate_decompressor, libdeflate_free_decompressor>;

}  // namespace gp
