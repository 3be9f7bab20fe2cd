#pragma once
// UTF-8 validation, shared by the JSON writer, archive extraction and import.
#include <cstddef>
#include <string_view>

namespace gp {

// Length of the valid UTF-8 sequence starting at s[i] (1 for ASCII), or 0 when it
// is invalid: truncated, overlong, a surrogate, or past U+10FFFF.
size_t utf8_sequence_length(std::string_view s, size_t i);

// True when all of `s` is valid UTF-8 and holds no NUL.
bool valid_utf8(std::string_view s);

}  // namespace gp
