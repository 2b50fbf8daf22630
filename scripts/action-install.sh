#!/usr/bin/env bash
# Installs iamlint for the GitHub Action (action.yml) into "$IAMLINT_HOME/bin":
# - when the action is used at a release tag (`uses: iamlint/iamlint@v0.1.0`, the tag being
#   `v` + this checkout's Cargo.toml version), the release binary for the runner's platform is
#   downloaded with the release's SHA256SUMS, and installed only if its sha256 matches;
# - otherwise (a branch, a commit SHA, a platform without a release binary), it is built from the
#   action's own source with `cargo install --locked`.
# A download or checksum failure at a release tag fails the step: it never falls back to a build.
#
# Inputs (environment): ACTION_PATH, ACTION_REF, ACTION_REPOSITORY (from the action's `github`
# context), RUNNER_OS, RUNNER_ARCH, IAMLINT_HOME; IAMLINT_RELEASE_URL overrides the download base
# (tests use a file:// URL).
set -euo pipefail

dest="$IAMLINT_HOME/bin"
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$ACTION_PATH/Cargo.toml" | head -n1)
ref="${ACTION_REF:-}"

case "${RUNNER_OS:-}/${RUNNER_ARCH:-}" in
    Linux/X64) target=x86_64-unknown-linux-musl ;;
    Linux/ARM64) target=aarch64-unknown-linux-musl ;;
    macOS/X64) target=x86_64-apple-darwin ;;
    macOS/ARM64) target=aarch64-apple-darwin ;;
    Windows/X64) target=x86_64-pc-windows-msvc ;;
    *) target="" ;;
esac

if [ "$ref" != "v$version" ] || [ -z "$target" ]; then
    if [ "$ref" = "v$version" ]; then
        echo "::notice title=iamlint::no release binary for ${RUNNER_OS:-?}/${RUNNER_ARCH:-?}: building iamlint $version with cargo"
    else
        echo "iamlint: action ref \`$ref\` is not the release tag v$version: building from source with cargo"
    fi
    cargo install --locked --path "$ACTION_PATH" --root "$IAMLINT_HOME"
    exit 0
fi

if [ "$target" = x86_64-pc-windows-msvc ]; then archive="iamlint-$target.zip"; else archive="iamlint-$target.tar.gz"; fi
base="${IAMLINT_RELEASE_URL:-https://github.com/${ACTION_REPOSITORY}/releases/download/$ref}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
curl --fail --silent --show-error --location --retry 3 -o "$tmp/$archive" "$base/$archive"
curl --fail --silent --show-error --location --retry 3 -o "$tmp/SHA256SUMS" "$base/SHA256SUMS"

expected=$(awk -v f="$archive" '$2 == f || $2 == "*" f { print $1 }' "$tmp/SHA256SUMS")
if command -v sha256sum >/dev/null; then
    actual=$(sha256sum "$tmp/$archive" | cut -d' ' -f1)
else
    actual=$(shasum -a 256 "$tmp/$archive" | cut -d' ' -f1)
fi
if [ -z "$expected" ] || [ "$expected" != "$actual" ]; then
    echo "::error title=iamlint::checksum of $archive does not match the release's SHA256SUMS (expected '${expected:-none}', got '$actual')"
    exit 1
fi

mkdir -p "$dest"
case "$archive" in
    *.zip) unzip -o -q "$tmp/$archive" -d "$dest" ;;
    *) tar -xzf "$tmp/$archive" -C "$dest" ;;
esac
echo "iamlint: installed the $ref release binary for $target (sha256 $actual)"
