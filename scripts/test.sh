#!/usr/bin/env bash
# Installs the dependencies, builds with warnings as errors, and runs every test
# (unit tests and end-to-end tests against real git, SQLite, MariaDB, PostgreSQL
# and an S3 service on loopback). The test runner is CTest.
#
# Then the same whole suite again in a second build directory (build-asan), built
# with clang, AddressSanitizer + UndefinedBehaviorSanitizer (leak detection on),
# which also builds the libFuzzer targets of tests/fuzz and runs each for a short
# time (GP_FUZZ_SECONDS, default 30). Sanitizer reports of any process (the
# installed program run by the end-to-end tests too) are written under
# build-asan/sanitizer-logs/ and fail the run. GP_TEST_SANITIZERS=0 skips this pass.
#
# Between the two, scripts/package-test.sh builds the Debian package from a release
# build (build-deb), installs it with apt-get, checks the installed program and
# removes it again. GP_TEST_PACKAGE=0 skips it.
# Arguments are passed to both ctest runs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# Most end-to-end tests wait on servers, child processes and deliberate stalls
# more than they compute: twice as many at once as there are cores.
jobs=${GP_TEST_JOBS:-$(($(nproc) * 2))}
scripts/build.sh -DGP_WERROR=ON -DGP_TESTS=ON -DGP_FAULT_INJECTION=ON
(cd "${GP_BUILD_DIR:-build}" && ctest --output-on-failure -j "$jobs" "$@")
if [ "${GP_TEST_PACKAGE:-1}" != "0" ]; then
  scripts/package-test.sh -DGP_WERROR=ON
fi

if [ "${GP_TEST_SANITIZERS:-1}" = "0" ]; then
  exit 0
fi
asan=${GP_ASAN_BUILD_DIR:-build-asan}
GP_BUILD_DIR=$asan scripts/build.sh -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DGP_WERROR=ON \
  -DGP_TESTS=ON -DGP_FAULT_INJECTION=ON -DGP_SANITIZE=ON -DGP_FUZZ=ON
logs=$PWD/$asan/sanitizer-logs
export ASAN_OPTIONS="log_path=$logs/asan:detect_leaks=1:symbolize=1"
export UBSAN_OPTIONS="log_path=$logs/ubsan:print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$PWD/tests/sanitizer/lsan.supp:print_suppressions=0"
cd "$asan"
ctest --output-on-failure -j "$jobs" "$@"
