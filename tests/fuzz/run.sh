#!/usr/bin/env bash
# Runs a libFuzzer target of a GP_FUZZ=ON build (see README.md here).
#   tests/fuzz/run.sh TARGET [SECONDS]   fuzz TARGET for SECONDS (default: $GP_FUZZ_SECONDS,
#                                        else the build's GP_FUZZ_SECONDS, else 30) starting
#                                        from its seeds and regression inputs
#   tests/fuzz/run.sh --replay TARGET    run every seed and regression input once
#   tests/fuzz/run.sh --list             the targets
# The build directory is $GP_FUZZ_BUILD_DIR (default: build-asan). New inputs go to
# <build>/fuzz/TARGET/corpus, a crashing input to <build>/fuzz/TARGET/artifacts/.
# Extra libFuzzer flags can be given in $GP_FUZZ_FLAGS (e.g. "-jobs=2 -workers=2").
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${GP_FUZZ_BUILD_DIR:-$here/../../build-asan}
targets=(archive manifest config prepush sigv4 rewrite)

if [ "${1:-}" = "--list" ]; then
  printf '%s\n' "${targets[@]}"
  exit 0
fi
replay=0
if [ "${1:-}" = "--replay" ]; then
  replay=1
  shift
fi
target=${1:?usage: run.sh TARGET [SECONDS] | --replay TARGET | --list}
bin=$build/tests/fuzz/gp-fuzz-$target
[ -x "$bin" ] || { echo "run.sh: $bin not built (configure with CXX=clang++ -DGP_FUZZ=ON)" >&2; exit 2; }

# Reports go to stderr whatever the caller's sanitizer settings; a leak is a failure
# (narrow suppressions for system libraries live in tests/sanitizer/lsan.supp).
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:symbolize=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$here/../sanitizer/lsan.supp:print_suppressions=0"

seeds=$here/corpus/$target
regressions=$here/regressions/$target
if [ $replay -eq 1 ]; then
  inputs=()
  for d in "$seeds" "$regressions"; do
    [ -d "$d" ] || continue
    while IFS= read -r -d '' f; do inputs+=("$f"); done < <(find "$d" -type f ! -name README.md -print0 | sort -z)
  done
  [ ${#inputs[@]} -gt 0 ] || { echo "run.sh: no seeds for $target" >&2; exit 1; }
  echo "replaying ${#inputs[@]} inputs of $target"
  exec "$bin" "${inputs[@]}"
fi

seconds=${2:-${GP_FUZZ_SECONDS:-${GP_FUZZ_DEFAULT_SECONDS:-30}}}
work=$build/fuzz/$target
mkdir -p "$work/corpus" "$work/artifacts"
flags=(-max_total_time="$seconds" -timeout=20 -rss_limit_mb=2560 -print_final_stats=1
       -artifact_prefix="$work/artifacts/")
case $target in
  archive) flags+=(-max_len=65536) ;;
  *) flags+=(-max_len=8192) ;;
esac
[ -f "$here/$target.dict" ] && flags+=(-dict="$here/$target.dict")
dirs=("$work/corpus")
for d in "$seeds" "$regressions"; do [ -d "$d" ] && dirs+=("$d"); done
# shellcheck disable=SC2086
if ! "$bin" "${flags[@]}" ${GP_FUZZ_FLAGS:-} "${dirs[@]}"; then
  echo "run.sh: $target failed; the input is in $work/artifacts/." >&2
  echo "run.sh: reproduce with $bin <input>; make it a regression test: copy it into $regressions/" >&2
  exit 1
fi
