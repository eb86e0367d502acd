#!/usr/bin/env bash
# Runs every fuzz target for a bounded time (issue 7). Fails on any crash, hang (-timeout),
# leak of memory past -rss_limit_mb, or a failing regression input.
#
#   FUZZ_SECONDS   seconds per target (default 30)
#
# Each target runs on one core, one after the other. Works on the stable toolchain: `-s none`
# (no sanitizer) needs no nightly flag. Builds once, with the committed Cargo.lock: cargo fuzz
# has no --locked, so the build fails if it changed the lock file. rustc-wrapper.sh leaves
# the arithmetic crates uninstrumented, as in the long runs (README.md).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
seconds=${FUZZ_SECONDS:-30}

if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked --version 0.13.2
fi

export RUSTC_WRAPPER="$here/rustc-wrapper.sh"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp Cargo.lock "$scratch/Cargo.lock.before"
start=$(date +%s)
cargo fuzz build -s none
if ! cmp -s Cargo.lock "$scratch/Cargo.lock.before"; then
  echo "fuzz/Cargo.lock changed during the build: commit the new one" >&2
  exit 1
fi
echo "fuzz: built all targets in $(( $(date +%s) - start )) s"

# The longest input each target takes: a few times its largest seed.
max_len() {
  case "$1" in
    point_scalar) echo 256 ;;
    proofs | manifest | roll_csv) echo 16384 ;;
    ballot_mutate) echo 4096 ;;
    ballot_json | ballot_bincode | cast_body | board_event) echo 65536 ;;
    board_jsonl) echo 131072 ;;
    *) echo 65536 ;;
  esac
}

failed=()
for target in $(cargo fuzz list); do
  # Known crashers stay fixed: each file under regressions/<target> runs once.
  if [ -d "regressions/$target" ] && [ -n "$(ls -A "regressions/$target")" ]; then
    if ! cargo fuzz run -s none "$target" regressions/"$target"/* -- -runs=0 \
        -rss_limit_mb=1024 -timeout=10; then
      failed+=("$target (regression)")
      continue
    fi
  fi
  # New inputs go to a scratch corpus; the committed seeds are read only.
  mkdir -p "$scratch/$target"
  echo "fuzz: $target for ${seconds} s"
  if ! cargo fuzz run -s none "$target" "$scratch/$target" "corpus/$target" -- \
      -max_total_time="$seconds" -rss_limit_mb=1024 -max_len="$(max_len "$target")" \
      -timeout=10 -print_final_stats=1 2>"$scratch/$target.log"; then
    tail -n 60 "$scratch/$target.log" >&2
    failed+=("$target")
  else
    grep -E '^stat::number_of_executed_units|^stat::average_exec_per_sec' "$scratch/$target.log" \
      | sed "s/^/fuzz: $target /"
  fi
done
echo "fuzz: total $(( $(date +%s) - start )) s"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (inputs under fuzz/artifacts/)" >&2
  exit 1
fi
