#!/usr/bin/env bash
# Builds the web pages' WebAssembly (crates/urna-wasm → web/assets/pkg/), which `urna serve`
# embeds. Installs what it needs: the wasm32 target and the wasm-bindgen CLI of exactly the
# version in Cargo.lock (they must match). Run it before building the server; it is quick
# when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."

profile="${URNA_WASM_PROFILE:-wasm-release}"
version="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)"
if [ -z "$version" ]; then
  echo "web/build.sh: wasm-bindgen is not in Cargo.lock" >&2
  exit 1
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$version" ]; then
  echo "web/build.sh: installing wasm-bindgen-cli $version"
  cargo install wasm-bindgen-cli --version "$version" --force
fi

cargo build -p urna-wasm --target wasm32-unknown-unknown --locked --profile "$profile"
out=web/assets/pkg
mkdir -p "$out"
dir="$profile"
[ "$profile" = dev ] && dir=debug
wasm-bindgen --target web --no-typescript --out-dir "$out" \
  "target/wasm32-unknown-unknown/$dir/urna_wasm.wasm"
echo "web/build.sh: $(du -h "$out/urna_wasm_bg.wasm" | cut -f1) of WebAssembly in $out"
