#!/usr/bin/env bash
# Ecosystem check: iamlint from the root of each public checkout laid out by
# ../shared/ecosystem/materialize.sh, summarised per repository, rule and severity.
#
#   bench/ecosystem.sh [CHECKOUTS] [SUMMARY]
#
# CHECKOUTS defaults to /tmp/iamlint-ecosystem (materialize.sh's default). SUMMARY defaults to
# bench/ecosystem/summary.tsv; the committed one is diffed against the new one and the diff printed.
# The raw JSON of each run stays in bench/out/ecosystem/ (never committed: other people's code).
# IAMLINT names the binary (default: target/release/iamlint, built if missing).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
checkouts=${1:-/tmp/iamlint-ecosystem}
summary=${2:-$here/bench/ecosystem/summary.tsv}
bin=${IAMLINT:-$here/target/release/iamlint}
[ -x "$bin" ] || (cd "$here" && cargo build --release --quiet)
[ -d "$checkouts" ] || { echo "no checkouts in $checkouts: run ../shared/ecosystem/materialize.sh first" >&2; exit 2; }
raw="$here/bench/out/ecosystem"
mkdir -p "$raw"
new=$(mktemp)
for dest in "$checkouts"/*/; do
  name=$(basename "$dest")
  set +e
  (cd "$dest" && "$bin" check . --format json --no-config >"$raw/$name.json" 2>"$raw/$name.stderr")
  code=$?
  set -e
  python3 "$here/bench/ecosystem_summary.py" "$name" "$code" "$raw/$name.json" >>"$new"
done
sort -o "$new" "$new"
{ printf 'repository\tkind\tname\tseverity\tcount\n'; cat "$new"; } >"$new.tsv"
if [ -f "$summary" ]; then
  diff -u "$summary" "$new.tsv" && echo "ecosystem: no change against $summary" || true
fi
if [ "${ECOSYSTEM_WRITE:-1}" = 1 ]; then cp "$new.tsv" "$summary"; fi
python3 "$here/bench/ecosystem_summary.py" --totals "$new.tsv"
rm -f "$new" "$new.tsv"
