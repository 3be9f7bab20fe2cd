#pragma once
// ASCII case folding for protocol text (URL schemes and hosts, HTTP header names,
// SigV4's canonical headers), where case is ASCII by definition and locale must not
// play a part.
#include <string>
#include <string_view>

namespace gp {

inline std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace gp
