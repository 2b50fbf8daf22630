#!/usr/bin/env bash
# Tests the playground: the engine's host tests (`cargo test -p iamlint-wasm`), then the build
# (scripts/build-playground.sh) in headless Chromium (tests/playground/run.py). Needs
# /usr/bin/chromium (Debian: `apt-get install chromium`) and python3. Leaves a screenshot and the
# page's timings in target/playground-test/.
set -euo pipefail
cd "$(dirname "$0")/.."
# The engine's answer on the host first (the C ABI round trip, escaping, fixes): quicker to read
# than a browser failure. IAMLINT_PLAYGROUND_HOST_TESTS=0 skips them where they ran already
# (.ci/run runs them with the other tests).
if [ "${IAMLINT_PLAYGROUND_HOST_TESTS:-1}" != 0 ]; then
    cargo test --locked -p iamlint-wasm
fi
scripts/build-playground.sh
python3 tests/playground/run.py
