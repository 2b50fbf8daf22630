#!/usr/bin/env bash
# Builds the playground (scripts/build-playground.sh) and tests it in headless Chromium
# (tests/playground/run.py). Needs /usr/bin/chromium (Debian: `apt-get install chromium`) and
# python3. Leaves a screenshot and the page's timings in target/playground-test/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build-playground.sh
python3 tests/playground/run.py
