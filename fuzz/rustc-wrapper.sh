#!/usr/bin/env bash
# RUSTC_WRAPPER for fuzz builds: compiles the third-party arithmetic and hashing crates
# without coverage instrumentation; every other crate (ours, serde, csv, ...) keeps all of it.
#
# Why: cargo fuzz instruments every crate. Inside curve25519-dalek's field arithmetic, and in
# keccak and sha2, coverage guides nothing (the code is straight-line or branches on secret-free
# loop counters only), but the comparison tracing and counters there took about half of each
# execution of the ballot and board targets. Our decoders and verifiers around those crates
# stay instrumented, so the fuzzer still sees every branch Urna takes on a bad point, proof or
# hash. Those crates are fuzzed upstream.
#
# Used by ci.sh and by the long runs in README.md (RUSTC_WRAPPER=$PWD/rustc-wrapper.sh).
set -euo pipefail
rustc=$1
shift

crate=""
previous=""
for arg in "$@"; do
  if [ "$previous" = "--crate-name" ]; then
    crate=$arg
    break
  fi
  previous=$arg
done

case "$crate" in
  curve25519_dalek | subtle | keccak | sha2 | merlin) ;;
  *) exec "$rustc" "$@" ;;
esac

args=()
for arg in "$@"; do
  case "$arg" in
    -Cpasses=sancov-module | -Cllvm-args=-sanitizer-coverage-* \
      | -Cllvm-args=-simplifycfg-branch-fold-threshold=0) ;;
    *) args+=("$arg") ;;
  esac
done
exec "$rustc" "${args[@]}"
