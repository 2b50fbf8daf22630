#!/usr/bin/env bash
# Builds the playground into target/playground/: the static page (playground/) and iamlint's
# engine compiled to WebAssembly (crates/iamlint-wasm, release profile). Serve that folder with
# any static file server, e.g. `python3 -m http.server -d target/playground 8000`.
set -euo pipefail
cd "$(dirname "$0")/.."

target=wasm32-unknown-unknown
if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx "$target"; then
    rustup target add "$target"
fi
# IAMLINT_PLAYGROUND_PROFILE=dev builds faster and runs slower (what .ci/run tests); the page
# served to users is the release build.
profile=${IAMLINT_PLAYGROUND_PROFILE:-release}
cargo build --locked --profile "$profile" -p iamlint-wasm --target "$target"
dir=$profile
[ "$profile" = dev ] && dir=debug

out=target/playground
rm -rf "$out"
mkdir -p "$out"
cp playground/index.html playground/playground.js playground/playground.css "$out/"
cp "target/$target/$dir/iamlint_wasm.wasm" "$out/iamlint.wasm"
wasm=$(wc -c <"$out/iamlint.wasm")
gz=$(gzip -9 -c "$out/iamlint.wasm" | wc -c)
echo "playground built in $out: iamlint.wasm $wasm bytes ($gz gzipped)"
