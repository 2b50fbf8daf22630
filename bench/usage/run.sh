#!/usr/bin/env bash
# The `iamlint usage` benchmark (BENCHMARKS.md, "iamlint usage"): a generated CloudTrail corpus in
# the delivery layout, read by `iamlint usage` (release build) and by trailscraper (`select |
# generate`, installed from PyPI into a virtualenv under target/), timed with /usr/bin/time -v.
#
#   bench/usage/run.sh                 # 2,000,000 events for iamlint, 200,000 for both tools
#   EVENTS=500000 SUB_EVENTS=50000 bench/usage/run.sh
#
# trailscraper reads every selected record into memory, so it runs on the smaller corpus (the
# same records for both tools); iamlint runs on both.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=target/bench-usage
EVENTS=${EVENTS:-2000000}
SUB_EVENTS=${SUB_EVENTS:-200000}
BIN=target/release/iamlint
VENV=target/trailscraper-venv
TRAILSCRAPER_VERSION=0.10.0

cargo build --release --quiet
[ -x "$VENV/bin/trailscraper" ] || {
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet "trailscraper==$TRAILSCRAPER_VERSION"
}
[ -d "$OUT/full" ] || python3 bench/usage/gen_logs.py "$OUT/full" --events "$EVENTS"
[ -d "$OUT/sub" ] || python3 bench/usage/gen_logs.py "$OUT/sub" --events "$SUB_EVENTS" --seed 2

measure() { # name, command...
  local name=$1; shift
  /usr/bin/time -v "$@" > "$OUT/$name.out" 2> "$OUT/$name.time" || true
  awk -v n="$name" -F': ' '
    /Elapsed \(wall clock\)/ {wall=$2}
    /User time/ {user=$2}
    /System time/ {sys=$2}
    /Maximum resident set size/ {rss=$2}
    END {printf "%-22s wall %s  user %ss  sys %ss  peak RSS %.0f MB\n", n, wall, user, sys, rss/1024}
  ' "$OUT/$name.time"
}

echo "corpus: $(du -sh --apparent-size "$OUT/full/AWSLogs" | cut -f1) gzip, $(find "$OUT/full/AWSLogs" -name '*.json.gz' | wc -l) files"
measure iamlint-full "$BIN" usage "$OUT/full/infra" --logs "$OUT/full/AWSLogs" --format json
measure iamlint-sub "$BIN" usage "$OUT/sub/infra" --logs "$OUT/sub/AWSLogs" --format json
measure trailscraper-sub sh -c "'$VENV/bin/trailscraper' select --log-dir '$OUT/sub' --from 2024-04-30 --to 2024-07-01 | '$VENV/bin/trailscraper' generate"
measure trailscraper-app sh -c "'$VENV/bin/trailscraper' select --log-dir '$OUT/sub' --from 2024-04-30 --to 2024-07-01 --filter-assumed-role-arn arn:aws:iam::111122223333:role/app-role | '$VENV/bin/trailscraper' generate"
python3 bench/usage/compare.py "$OUT/iamlint-sub.out" "$OUT/trailscraper-sub.out" "$OUT/trailscraper-app.out"
