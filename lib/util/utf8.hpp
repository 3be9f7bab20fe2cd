#pragma once
// UTF-8 validation, shared by the JSON writer, archive extraction and import.
#include <cstddef>
#include <string>
#include <string_view>

namespace gp {

// Length of the valid UTF-8 sequence starting at s[i] (1 for ASCII), or 0 when it
// is invalid: truncated, overlong, a surrogate, or past U+10FFFF.
size_t utf8_sequence_length(std::string_view s, size_t i);

// True when all of `s` is valid UTF-8 and holds no NUL.
bool valid_utf8(std::string_view s);

// `s` made safe to print on a terminal, as git's quote_path makes paths safe:
// control characters (C0, DEL and the C1 range U+0080-U+009F, which terminals
// also obey: ESC sequences, CSI) become \n, \t, \r or \xNN, and bytes that are
// not valid UTF-8 become \xNN; everything else (valid UTF-8 text, backslashes
// included) is left as it is. The one function every line the program prints
// goes through (errors, hints, warnings, progress), so that a file or entry name
// can never clear the screen or start a new line.
std::string printable(std::string_view s);

}  // namespace gp
