# Run by CPack (CPACK_PRE_BUILD_SCRIPTS, CMakeLists.txt) after it has installed the
# project into its staging directory and before it lists and packs the files.
# A package is a release build: refuse one with the test-only fault points or the
# sanitizers compiled in. Then gzip the man pages as Debian policy asks (-n: no name
# or time stamp, so the same pages give the same bytes); man and `git help` read
# page.1.gz like page.1. build/stage, which the tests lint, keeps plain pages.
foreach(option GP_FAULT_INJECTION GP_SANITIZE)
  if(CPACK_${option})
    message(FATAL_ERROR "git-pantheon: refusing to package a build configured with ${option}=ON "
                        "(a test build); configure a build directory without it (scripts/package-test.sh does)")
  endif()
endforeach()

set(man_dir "${CPACK_TEMPORARY_INSTALL_DIRECTORY}${CPACK_PACKAGING_INSTALL_PREFIX}/share/man")
file(GLOB_RECURSE pages "${man_dir}/*.[1-9]")
if(NOT pages)
  message(FATAL_ERROR "git-pantheon: no man pages under ${man_dir}")
endif()
foreach(page ${pages})
  execute_process(COMMAND gzip -9nf "${page}" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "git-pantheon: gzip ${page} failed: ${rc}")
  endif()
endforeach()

# zsh on Debian reads packages' completions from /usr/share/zsh/vendor-completions
# (its fpath has no /usr/share/zsh/site-functions, the upstream place `cmake
# --install` uses, which is on fpath under /usr/local).
set(zsh_dir "${CPACK_TEMPORARY_INSTALL_DIRECTORY}${CPACK_PACKAGING_INSTALL_PREFIX}/share/zsh")
if(NOT EXISTS "${zsh_dir}/site-functions/_git-pantheon")
  message(FATAL_ERROR "git-pantheon: no zsh completion under ${zsh_dir}/site-functions")
endif()
file(RENAME "${zsh_dir}/site-functions" "${zsh_dir}/vendor-completions")
