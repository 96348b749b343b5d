#!/usr/bin/env bash
# A long fuzzing campaign of one cargo-fuzz target on stable Rust
# (--sanitizer none), from the committed seeds and dictionary, with the
# figures the README reports: executions per second, corpus size and
# coverage at the start, every minute, and at the end. Crashes stop the run
# and are kept in OUT/TARGET/ as crash-* for a regression seed.
#
#   ci/fuzz-campaign.sh TARGET [SECONDS (default 1800)] [OUT (default results/fuzz-campaign)]
#
# For campaigns longer than a machine can give, .clusterfuzzlite/ builds the
# same targets for ClusterFuzzLite / OSS-Fuzz.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
target=${1:?usage: ci/fuzz-campaign.sh TARGET [SECONDS] [OUT]}
seconds=${2:-1800}
out=$(mkdir -p "${3:-$here/results/fuzz-campaign}" && cd "${3:-$here/results/fuzz-campaign}" && pwd)/$target
cd "$here/fuzz"

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --version 0.13.2
cargo fuzz build --sanitizer none -O "$target"
seeds="corpus/$target"
[ -d "$seeds" ] || { echo "fuzz-campaign: $target has no committed corpus ($seeds)"; exit 1; }
rm -rf "$out" && mkdir -p "$out/corpus"
log="$out/fuzz.log"

# libFuzzer prints no clock, so a sampler notes the latest status line every minute.
sample() {
  local started=$1
  while sleep 60; do
    line=$(grep -aE '^#[0-9]+' "$log" | tail -1 || true)
    [ -n "$line" ] && printf '%s\t%s\n' "$(( $(date +%s) - started ))" "$line" >> "$out/timeline.tsv"
  done
}
sample "$(date +%s)" & sampler=$!
trap 'kill $sampler 2>/dev/null || true' EXIT

status=0
cargo fuzz run --sanitizer none -O "$target" "$out/corpus" "$seeds" -- \
  -max_total_time="$seconds" -dict=isakmp.dict -print_final_stats=1 \
  -artifact_prefix="$out/" > "$log" 2>&1 || status=$?

field() { grep -aoE "$1: *[0-9]+" <<< "$2" | grep -oE '[0-9]+$' || echo 0; }
first=$(grep -aE '^#[0-9]+\s+INITED' "$log" | tail -1)
last=$(grep -aE '^#[0-9]+' "$log" | tail -1)
execs=$(grep -aoE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo 0)
cat > "$out/summary.json" <<JSON
{
  "target": "$target",
  "seconds": $seconds,
  "exit_status": $status,
  "executions": $execs,
  "executions_per_second": $(( execs / seconds )),
  "corpus_files": {"seeds": $(ls "$seeds" | wc -l), "start": $(field corp "$first"), "end": $(field corp "$last")},
  "coverage_edges": {"start": $(field cov "$first"), "end": $(field cov "$last")},
  "features": {"start": $(field ft "$first"), "end": $(field ft "$last")},
  "peak_rss_mb": $(grep -aoE 'stat::peak_rss_mb: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo 0),
  "crashes": [$(ls "$out" | grep -E '^(crash|leak|timeout|oom)-' | sed 's/.*/"&"/' | paste -sd, -)]
}
JSON
cat "$out/summary.json"
exit $status
