#!/usr/bin/env bash
# The `iamlint usage` benchmark (BENCHMARKS.md, "iamlint usage"): a generated CloudTrail corpus in
# the delivery layout, read by `iamlint usage` (release build) and by trailscraper (`select |
# generate`, installed from PyPI into a virtualenv under target/), both on the same records, timed
# with /usr/bin/time -v.
#
#   bench/usage/run.sh                 # 2,000,000 events
#   EVENTS=200000 bench/usage/run.sh   # a smaller corpus (the output folder holds one size)
#
# trailscraper's `select` holds every selected record in memory (about 8 KB each), so it is run
# per shard: one day of the delivery layout (both regions' day folders, linked into one folder),
# `select --log-dir <shard> | generate` each; its CPU time is the sum over the shards, its peak
# RSS the largest shard's, and its policy the union of the shard policies' actions (compare.py;
# BENCHMARKS.md says why that union is the whole corpus's policy for this comparison).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=target/bench-usage
EVENTS=${EVENTS:-2000000}
BIN=target/release/iamlint
VENV=target/trailscraper-venv
TRAILSCRAPER_VERSION=0.10.0
TS="$VENV/bin/trailscraper"
APP_ARN=arn:aws:iam::111122223333:role/app-role

[ -x "$TS" ] || {
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet "trailscraper==$TRAILSCRAPER_VERSION"
}
[ -d "$OUT/full" ] || python3 bench/usage/gen_logs.py "$OUT/full" --events "$EVENTS"

# One shard per day: $OUT/shards/<yyyy-mm-dd>/ holds links to that day's files of every region
# (trailscraper walks --log-dir and reads files whose names match the delivery pattern).
rm -rf "$OUT/shards" "$OUT/ts"
mkdir -p "$OUT/ts/all" "$OUT/ts/app"
for dir in "$OUT"/full/AWSLogs/*/CloudTrail/*/*/*/*/; do
  day=$(echo "$dir" | awk -F/ '{print $(NF-3) "-" $(NF-2) "-" $(NF-1)}')
  mkdir -p "$OUT/shards/$day"
  for f in "$dir"*.json.gz; do ln -s "$(realpath "$f")" "$OUT/shards/$day/"; done
done

timed() { # time-file, out-file, command...
  local t=$1 o=$2; shift 2
  /usr/bin/time -v "$@" > "$o" 2> "$t" || true
}
summary() { # name, time files...: wall and CPU summed, peak RSS the largest
  local name=$1; shift
  awk -v n="$name" -F': ' '
    /Elapsed \(wall clock\)/ {k=split($2, p, ":"); s=0; for (i=1; i<=k; i++) s=s*60+p[i]; wall+=s}
    /User time/ {user+=$2}
    /System time/ {sys+=$2}
    /Maximum resident set size/ {if ($2>rss) rss=$2}
    END {printf "%-18s wall %.1f s  user %.2f s  sys %.2f s  CPU %.2f s  peak RSS %.0f MB\n", n, wall, user, sys, user+sys, rss/1024}
  ' "$@"
}

echo "corpus: $(du -sh --apparent-size "$OUT/full/AWSLogs" | cut -f1) gzip, $(find "$OUT/full/AWSLogs" -name '*.json.gz' | wc -l) files, $(ls "$OUT/shards" | wc -l) day shards"
# The two trailscraper passes (every record, app-role's alone) run side by side, each one shard
# at a time: CPU time and peak RSS are per pass; only the wall time of the whole gains.
pass() { # folder, extra select arguments...
  local dir=$1; shift
  for shard in "$OUT"/shards/*/; do
    day=$(basename "$shard")
    timed "$OUT/ts/$dir/$day.time" "$OUT/ts/$dir/$day.json" sh -c "'$TS' select --log-dir '$shard' --from 2024-04-30 --to 2024-07-01 $* | '$TS' generate"
  done
}
# They start first (the longest part); iamlint is built and measured meanwhile, so every number
# is taken under the same load.
start=$(date +%s)
pass all & all=$!
pass app --filter-assumed-role-arn "$APP_ARN" & app=$!
cargo build --release --quiet
timed "$OUT/iamlint.time" "$OUT/iamlint.out" "$BIN" usage "$OUT/full/infra" --logs "$OUT/full/AWSLogs" --format json
summary iamlint "$OUT/iamlint.time"
wait "$all" "$app"
echo "trailscraper passes: $(( $(date +%s) - start )) s wall for both"
summary trailscraper "$OUT"/ts/all/*.time
summary trailscraper-app "$OUT"/ts/app/*.time
python3 bench/usage/compare.py "$OUT/iamlint.out" "$OUT/ts/all" "$OUT/ts/app"
