#pragma once
// The hook files of the source tree's hooks/ folder, embedded byte for byte at
// build time (CMakeLists.txt writes the definition into the build tree). They are
// the same files `cmake --install` puts under share/git-pantheon/hooks/.
#include <span>
#include <string_view>

namespace gp {

struct HookFile {
  std::string_view name;  // the hook's name as git knows it: "pre-push"
  std::string_view text;  // the file's bytes
};

// Every hook git-pantheon manages, in the order CMakeLists.txt lists them (GP_HOOKS).
// Static storage: the views stay valid for the life of the program.
std::span<const HookFile> embedded_hook_files();

}  // namespace gp
