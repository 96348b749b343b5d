#!/usr/bin/env bash
# Runs every cargo-fuzz target for a bounded time on stable Rust
# (--sanitizer none) from the committed corpus and dictionary, and fails on
# any crash. New inputs go to a scratch directory, never into fuzz/corpus.
#
#   ci/fuzz-smoke.sh [SECONDS_PER_TARGET]   (default 60, or $FUZZ_SECONDS)
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

seconds=${1:-${FUZZ_SECONDS:-60}}
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --version 0.13.2

cargo fuzz build --sanitizer none -O
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

status=0
for target in $(cargo fuzz list); do
  mkdir -p "$scratch/$target"
  seeds="corpus/$target"
  [ -d "$seeds" ] || { echo "fuzz-smoke: $target has no committed corpus ($seeds)"; exit 1; }
  echo "fuzz-smoke: $target for ${seconds}s"
  if ! cargo fuzz run --sanitizer none -O "$target" "$scratch/$target" "$seeds" -- \
      -max_total_time="$seconds" -dict=isakmp.dict -print_final_stats=1 \
      -artifact_prefix="$scratch/" > "$scratch/$target.log" 2>&1; then
    echo "fuzz-smoke: $target FAILED"; tail -40 "$scratch/$target.log"
    mkdir -p artifacts && cp "$scratch"/crash-* "$scratch"/leak-* "$scratch"/timeout-* artifacts/ 2>/dev/null || true
    status=1
  else
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb|cov:" "$scratch/$target.log" | tail -3 | sed "s/^/fuzz-smoke: $target: /"
  fi
done
exit $status
