# Shared by the benchmarks: timing with peak RSS, and ratio printing.
# measure NAME cmd...: runs cmd under GNU time; sets T_<NAME> (seconds), C_<NAME> (CPU
# seconds, user + system: steadier than wall time on a shared machine) and R_<NAME>
# (peak RSS KiB).
measure() {
  local name=$1
  shift
  local out
  out=$(mktemp)
  /usr/bin/time -f '%e %M %U %S' -o "$out" "$@" >/dev/null || { echo "bench: '$*' failed" >&2; cat "$out" >&2; exit 1; }
  read -r t r u s <"$out"
  rm -f "$out"
  printf -v "T_$name" '%s' "$t"
  printf -v "R_$name" '%s' "$r"
  printf -v "C_$name" '%s' "$(python3 -c "print(f'{$u + $s:.2f}')")"
  printf '  %-34s %8.2f s  cpu %7.2f s  peak RSS %6d KiB\n' "$name" "$t" "$(eval echo "\$C_$name")" "$r"
}
# ratio A B: A's time divided by B's
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1]) / max(float(sys.argv[2]), 1e-9):.2f}')" "$1" "$2"; }

# Every benchmark prints the load average when it starts and when it ends: figures
# are read only from runs on an idle machine (nothing else building or testing).
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores), commit $(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --short HEAD 2>/dev/null || echo unknown)"
trap_load_average() { echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"; }
