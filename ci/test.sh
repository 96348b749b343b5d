#!/usr/bin/env bash
# The README's test command: everything CI checks, from a fresh clone.
#
#   ci/test.sh            all layers: unit, property, real captures, interop, fuzz smoke
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

step "format and lints"
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings

step "tests (unit, property, real captures, snapshots, corpus replay, real peers, cleanup proof)"
cargo nextest run --workspace --locked --no-fail-fast -E 'not binary(interop)'
# nextest does not run doctests.
cargo test --workspace --locked --doc

step "interop matrix: the reference engine against strongSwan and Libreswan, one trial per case"
cargo nextest run --locked --no-fail-fast -p harness --test interop

step "fuzz smoke"
ci/fuzz-smoke.sh "${FUZZ_SECONDS:-60}"

step "all green"
