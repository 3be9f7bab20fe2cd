#pragma once
// The one set of rules for hostile archive entry names and symbolic link
// targets, shared by secure extraction (archive/extract.cpp) and by import
// (import/squash.cpp, import/site.cpp), so that what one refuses the other
// refuses too. Pure functions: nothing here touches the file system.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace gp {

// What a name may hold besides its '/'-separated components.
//  - bytes: anything but NUL. Names in archives: a site's files directory may hold
//    names with newlines or bytes that are not UTF-8, and git stores such paths too;
//    a backup must restore them and an import must keep them.
//  - text: valid UTF-8 without control characters (U+0000-U+001F, U+007F). Paths a
//    person types or a manifest names (--subdir, a drush MANIFEST's docroot).
enum class NameCheck { bytes, text };

// Splits an archive entry name into its components, dropping empty and "."
// components ("./a//b/" -> {"a","b"}). Returns why the name is hostile ("has an
// empty name", "has an absolute path", "has a '..' component"; with
// NameCheck::text also "is not valid UTF-8", "has a control character in its
// name"), or an empty string when it is acceptable. ".." inside a component
// ("a..b") is a plain name.
std::string split_entry_name(std::string_view name, std::vector<std::string>& parts,
                             NameCheck check = NameCheck::text);

// Whether a symbolic link at `link` (its components, relative to the root of the
// tree) pointing at `target` leads outside the tree: why ("is a symlink with an
// absolute target", "is a symlink pointing outside the archive", "is a symlink
// with an empty target"), or an empty string when it stays inside. Links are
// data: extraction recreates every link as archived and import keeps it, as git
// does; this says which ones to name in a warning (or refuse, when asked). A
// relative target stays inside when, resolved lexically against the link's own
// directory, it never climbs above the root ("../drush/drush/drush" from
// vendor/bin/, "a/../b"). Lexical: it cannot see other links the path goes
// through (check_symlink_chain does).
std::string check_symlink_target(const std::vector<std::string>& link, std::string_view target);

// The check a lexical one cannot make: resolves the link at `link` to `target`
// component by component as the file system would, expanding every link met on
// the way (`link_target(path)` gives the target of the link at '/'-joined `path`
// of the same tree, or nullptr when there is none), and says why it leaves the
// root ("is a symlink pointing outside the archive through another symlink"), or
// an empty string when it stays inside (a loop of links leads nowhere: inside).
// Needed only for targets with ".." after a normal component: "a/../x" is "../x"
// on disk when "a" is a link to ".".
std::string check_symlink_chain(const std::vector<std::string>& link, std::string_view target,
                                const std::function<const std::string*(const std::string&)>& link_target);

// True when `target` has a ".." component after a normal one ("a/../b"): such a
// target resolves differently on disk when "a" is itself a symbolic link.
bool target_climbs_after_descending(std::string_view target);

// The components joined with '/' (the first `count` of them).
std::string join_entry_name(const std::vector<std::string>& parts, size_t count = std::string::npos);

}  // namespace gp
