#!/usr/bin/env bash
# Builds the Python wheel (pyproject.toml, maturin) and checks it as a user would get it: installed
# into a fresh virtualenv, `iamlint --version` works and a real lint of examples/ finds what it
# should. Called by .ci/run; needs python3 and PyPI (maturin is installed into a venv under target/,
# kept between runs).
#
# Profile: the wheels of a release are built in release mode by .github/workflows/release.yml. Here
# the wheel is built with the `dev` profile (WHEEL_SMOKE_PROFILE to change it): what is checked is
# the packaging (the wheel's layout, its entry point, the binary running from a venv), not the
# optimiser, and the dev profile reuses what `cargo test` just built, where a release build from a
# fresh clone (thin LTO) costs several minutes on CI's 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."

profile="${WHEEL_SMOKE_PROFILE:-dev}"
maturin_version="1.16.0"
work="target/wheel-smoke"
tools="$work/tools"

if ! "$tools/bin/maturin" --version 2>/dev/null | grep -qF "$maturin_version"; then
    rm -rf "$tools"
    python3 -m venv "$tools"
    "$tools/bin/pip" install --quiet --disable-pip-version-check "maturin==$maturin_version"
fi

rm -rf "$work/dist" "$work/venv"
"$tools/bin/maturin" build --quiet --profile "$profile" --out "$work/dist"
wheels=("$work"/dist/iamlint-*.whl)
if [ "${#wheels[@]}" -ne 1 ] || [ ! -f "${wheels[0]}" ]; then
    echo "wheel-smoke: expected one wheel in $work/dist, found: ${wheels[*]}" >&2
    exit 1
fi
echo "wheel: ${wheels[0]##*/}"

# A fresh virtualenv with only the wheel (no index: the wheel must need nothing else).
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check --no-index "${wheels[0]}"
bin="$work/venv/bin/iamlint"

version=$("$bin" --version)
expected="iamlint $(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)"
case "$version" in
    "$expected"*) echo "installed: $version" ;;
    *) echo "wheel-smoke: \`iamlint --version\` printed \`$version\`, expected \`$expected ...\`" >&2; exit 1 ;;
esac

# A real lint from outside the repository: examples/ has findings, so the exit code is 1, and the
# README's example finding must be among them.
set +e
out=$(cd "$work" && venv/bin/iamlint check --no-config --color never ../../examples/terraform/ec2-ecr.tf 2>&1)
code=$?
set -e
if [ "$code" -ne 1 ] || ! grep -qF 'error[unknown-action] `GetObjects` is not an action of `s3`' <<<"$out"; then
    echo "wheel-smoke: lint of examples/terraform/ec2-ecr.tf exited $code, expected 1 with the unknown-action finding; output:" >&2
    echo "$out" >&2
    exit 1
fi
echo "wheel-smoke: ok"
