#!/usr/bin/env bash
# Runs every fuzz target for a while and fails on the first crash.
#
#   scripts/fuzz-smoke.sh [SECONDS_PER_TARGET] [TARGET...]     (default: 60 s, every target)
#
# Seeds (fixtures/ and examples/) are copied into fuzz/corpus/<target>/ on every run.
# Works on stable Rust: `--sanitizer none` drops the only nightly-only flag cargo-fuzz passes
# (-Zsanitizer); coverage instrumentation (-Cpasses=sancov-module and friends) is stable. Crashes
# land in fuzz/artifacts/<target>/ and are reproduced with `cargo fuzz run --sanitizer none TARGET FILE`.
set -euo pipefail

cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(json_policy terraform yaml tfplan)
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

seed() {
    local target="$1" dir="fuzz/corpus/$1"
    mkdir -p "$dir"
    case "$target" in
        json_policy | tfplan) find fixtures examples -name '*.json' ;;
        terraform) find fixtures examples -name '*.tf' ;;
        yaml) find fixtures examples \( -name '*.yaml' -o -name '*.yml' \) ;;
    esac | while read -r f; do
        cp -n "$f" "$dir/$(echo "$f" | tr '/' '_')"
    done
}

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/fuzz/target}"
status=0
for target in "${targets[@]}"; do
    seed "$target"
    echo "== $target: ${seconds}s"
    if ! cargo fuzz run --sanitizer none "$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1; then
        echo "!! $target crashed: see fuzz/artifacts/$target/"
        status=1
    fi
done
exit $status
