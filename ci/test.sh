#!/usr/bin/env bash
# The README's test command: everything CI checks, from a fresh clone.
#
#   ci/test.sh            all layers: unit, property, real captures, snapshots, the whole
#                         interop catalogue against both peers, fuzz smoke
#   FUZZ_SECONDS=10 ci/test.sh   shorter fuzz smoke (default 60 s per target)
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "toolchain"
cargo --version
command -v cargo-nextest >/dev/null || cargo install cargo-nextest --locked

step "peers (strongSwan, Libreswan guest, tshark, nftables ...)"
bash peers/install.sh
cargo run --quiet --locked -p harness -- peers

step "Chromium (the HTML report is tested in a real browser)"
if ! command -v chromium >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
chromium --version

step "format and lints"
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings

step "tests (unit, property, real captures, snapshots, corpus replay, real peers, cleanup proof)"
cargo nextest run --workspace --locked --no-fail-fast -E 'not binary(interop)'
# nextest does not run doctests.
cargo test --workspace --locked --doc

step "interop: the whole scenario catalogue against strongSwan and Libreswan"
# Exits non-zero on any case that is neither a pass nor its recorded deviation;
# the reports (matrix.md, index.html, junit.xml, report.json) land in the results.
cargo run --release --locked -p harness -- run --results target/interop-results

step "interop trials (libtest-mimic, one trial per case; a slice here, as nextest partitions them)"
cargo test --locked -p harness --test interop -- ::main-mode

step "fuzz smoke"
ci/fuzz-smoke.sh "${FUZZ_SECONDS:-60}"

step "all green"
