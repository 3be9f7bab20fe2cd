#!/usr/bin/env bash
# Installs the dependencies, builds with warnings as errors, and runs every test
# (unit tests and end-to-end tests against real git, SQLite, MariaDB, PostgreSQL
# and an S3 service on loopback). The test runner is CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh -DGP_WERROR=ON -DGP_TESTS=ON -DGP_FAULT_INJECTION=ON
cd "${GP_BUILD_DIR:-build}"
ctest --output-on-failure -j "$(nproc)" "$@"
