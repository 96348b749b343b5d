#!/bin/bash -eu
# Builds every cargo-fuzz target of fuzz/ into $OUT for ClusterFuzzLite or
# OSS-Fuzz (run by the base-builder-rust image as $SRC/build.sh), each with
# its seed corpus ($OUT/<target>_seed_corpus.zip, from fuzz/corpus/<target>)
# and the ISAKMP dictionary ($OUT/<target>.dict).
#
# The builder image sets $SRC and $OUT and brings nightly Rust, whose
# cargo-fuzz builds with the address sanitizer by default. To try this
# script elsewhere, point SRC at a directory holding the repository as
# $SRC/ikelab, OUT at an empty directory, and (on stable Rust) set
# CARGO_FUZZ_ARGS="--sanitizer none".
fuzz_dir="$SRC/ikelab/fuzz"
target_dir="$fuzz_dir/target"
triple=$(rustc -vV | sed -n 's/^host: //p')

cd "$fuzz_dir"
# shellcheck disable=SC2086 # CARGO_FUZZ_ARGS is a list of flags.
cargo fuzz build -O --target-dir "$target_dir" ${CARGO_FUZZ_ARGS:-}

for target in $(cargo fuzz list); do
  cp "$target_dir/$triple/release/$target" "$OUT/"
  cp isakmp.dict "$OUT/$target.dict"
  if [ -d "corpus/$target" ]; then
    (cd "corpus/$target" && zip -q -r "$OUT/${target}_seed_corpus.zip" .)
  fi
done
