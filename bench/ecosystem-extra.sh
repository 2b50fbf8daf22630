#!/usr/bin/env bash
# The ecosystem check on the project's extra list (bench/ecosystem/sources-extra.txt): lays each
# repository out at its pinned commit with shared's materialize.sh, then runs bench/ecosystem.sh on
# those checkouts only, writing bench/ecosystem/summary-extra.tsv (same TSV as summary.tsv).
#
#   bench/ecosystem-extra.sh MIRROR [CHECKOUTS]
#
# MIRROR: the folder the fetch verb puts snapshots in (fetch github:OWNER/NAME for every line first).
# CHECKOUTS defaults to /tmp/iamlint-ecosystem-extra. SHARED names the steering repo's shared/
# folder (default: ../shared beside the project). Nothing laid out is ever committed.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
mirror=${1:?usage: bench/ecosystem-extra.sh MIRROR [CHECKOUTS]}
checkouts=${2:-/tmp/iamlint-ecosystem-extra}
shared=${SHARED:-$here/../shared}
bash "$shared/ecosystem/materialize.sh" "$mirror" "$checkouts" "$here/bench/ecosystem/sources-extra.txt"
exec bash "$here/bench/ecosystem.sh" "$checkouts" "$here/bench/ecosystem/summary-extra.tsv"
