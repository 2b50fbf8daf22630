#!/usr/bin/env bash
# Benchmarks iamlint against its peers and writes BENCHMARKS.md. Runnable from a clean clone:
#
#   bench/run.sh                 everything (peers in venvs, corpora, timings, report)
#   bench/run.sh --only small,managed      only these cases (results of others are kept)
#   bench/run.sh --only managed --tools iamlint   only iamlint on them
#
# Environment: BENCH_TARGET_DIR (release build dir, default bench/out/target),
# BENCH_TIMEOUT (seconds per tool run, default 300), BENCH_MANY (files in the big folder case,
# default 100000), BENCH_SKIP_INSTALL=1 (reuse the venvs), BENCH_SKIP_VERDICTS=1 (skip
# bench/verdicts.py, ~10 min: parliament and checkov on the same inputs as iamlint).
# Needs: python3 (3.9+), cargo; installs hyperfine and GNU time with apt-get when missing.
set -euo pipefail

cd "$(dirname "$0")/.."
root="$PWD"
out="$root/bench/out"
mkdir -p "$out"
only=""
tools=""
while [ $# -gt 0 ]; do
    case "$1" in
        --only) only="$2"; shift 2 ;;
        --tools) tools="$2"; shift 2 ;;
        *) echo "usage: bench/run.sh [--only CASE,...] [--tools TOOL,...]" >&2; exit 2 ;;
    esac
done

# -- tools ---------------------------------------------------------------------------------
need_apt=()
command -v hyperfine >/dev/null || need_apt+=(hyperfine)
[ -x /usr/bin/time ] || need_apt+=(time)
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "== apt-get install ${need_apt[*]}"
    apt-get update -qq && apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# Each peer gets its own venv: checkov pins cloudsplaining and boto3 versions that clash with
# the newest cloudsplaining. A peer that fails to install is reported and skipped.
if [ "${BENCH_SKIP_INSTALL:-0}" != 1 ]; then
    grep -v '^\s*#' bench/requirements.txt | grep -v '^\s*$' | while read -r req; do
        name="${req%%==*}"
        venv="$out/venv/$name"
        if [ -x "$venv/bin/pip" ] && "$venv/bin/pip" show -q "$name" >/dev/null 2>&1 &&
            [ "$("$venv/bin/pip" show "$name" | sed -n 's/^Version: //p')" = "${req#*==}" ]; then
            echo "== $req already installed"
            continue
        fi
        echo "== pip install $req"
        python3 -m venv "$venv"
        if ! "$venv/bin/pip" install -q "$req" >"$out/pip-$name.log" 2>&1; then
            echo "!! $req failed to install (see bench/out/pip-$name.log): skipped"
            rm -rf "$venv"
        fi
    done
fi

# -- iamlint -------------------------------------------------------------------------------
target="${BENCH_TARGET_DIR:-$out/target}"
echo "== cargo build --release (target dir $target)"
CARGO_TARGET_DIR="$target" cargo build --release --quiet --bin iamlint
iamlint="$target/release/iamlint"

# -- corpora -------------------------------------------------------------------------------
echo "== corpora"
python3 bench/gen_corpora.py --out "$out/corpora" --big --scaled --many "${BENCH_MANY:-100000}"

# -- measure -------------------------------------------------------------------------------
echo "== measuring (load average now: $(cut -d' ' -f1-3 /proc/loadavg))"
python3 bench/measure.py --iamlint "$iamlint" --venv "$out/venv" --out "$out" \
    --timeout "${BENCH_TIMEOUT:-300}" ${only:+--only "$only"} ${tools:+--tools "$tools"}
python3 bench/report.py --results "$out/results.json" --markdown BENCHMARKS.md
echo "== wrote BENCHMARKS.md (generated section; the verdict tables are written by hand)"

if [ "${BENCH_SKIP_VERDICTS:-0}" != 1 ]; then
    echo "== verdicts (bench/out/verdicts/)"
    python3 bench/verdicts.py --iamlint "$iamlint" --venv "$out/venv" --out "$out" >/dev/null
    echo "== wrote bench/out/verdicts/summary.json and report-*.md"
fi
