#!/usr/bin/env bash
# Benchmarks the suite: wall time and peak memory of `nodecompat run` per
# implementation, over a few repetitions. Speed is measured here, never
# asserted in tests.
#   scripts/bench.sh [RUNS] [IMPL...]      (default: 3 runs, reference node)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
shift || true
impls=("$@")
[ ${#impls[@]} -eq 0 ] && impls=(reference node)
cargo build --release -q
bin=target/release/nodecompat
cases=$($bin list | wc -l)
echo "suite: $cases cases, $(git describe --always --dirty 2>/dev/null || echo unknown), $(nproc) cores"
for imp in "${impls[@]}"; do
  for i in $(seq "$runs"); do
    out=$( { /usr/bin/time -f '%e %M' "$bin" run --impl "$imp" --format json > /tmp/nodecompat-bench.json; } 2>&1 | tail -1 ) || true
    read -r secs kb <<<"$out"
    passed=$(grep -o '"passed": [0-9]*' /tmp/nodecompat-bench.json | grep -o '[0-9]*$' || echo "?")
    printf '%-10s run %d: %6.2f s wall, %6d KiB peak RSS (largest of the harness and its drivers), %s passed\n' "$imp" "$i" "$secs" "$kb" "$passed"
  done
done
