#!/usr/bin/env bash
# The `iamlint` pre-commit hook (.pre-commit-hooks.yaml, `language: script`): builds iamlint
# from the hook's clone of this repository the first time, with the lockfile (`cargo install
# --locked`), then runs it with the hook's arguments and the files pre-commit names.
#
# Why not `language: rust`: pre-commit builds those with `cargo install --bins --root ENV --path
# .`, without `--locked`, so cargo resolves every dependency afresh (crates differing from
# Cargo.lock, possibly past the MSRV), and neither the hook manifest nor cargo's configuration
# can add the flag (`cargo install` reads no project configuration).
#
# The build goes into `.pre-commit-build/` of the clone, which pre-commit keeps per revision and
# deletes with `pre-commit clean` or `gc`. The hook is `require_serial`: one build, never two at
# once. Needs cargo (Rust 1.88 or later) on PATH.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build="$here/.pre-commit-build"
if [ ! -x "$build/bin/iamlint" ]; then
    echo "iamlint: building iamlint with cargo install --locked (once per hook revision; minutes)" >&2
    cargo install --locked --quiet --path "$here" --root "$build" >&2
fi
exec "$build/bin/iamlint" "$@"
