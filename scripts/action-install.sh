#!/usr/bin/env bash
# Installs iamlint for the GitHub Action (action.yml) into "$IAMLINT_HOME/bin". Two commands:
#
#   action-install.sh plan      writes `release=true` to $GITHUB_OUTPUT when a release binary
#                               will be installed, else `key=...`, the cache key of a source build
#   action-install.sh install   installs
#
# Which iamlint: the version in the Action's own Cargo.toml ($ACTION_PATH/Cargo.toml), never the
# ref the workflow wrote. So `uses: iamlint/iamlint@v0.1.0`, `@<commit SHA> # v0.1.0` (what zizmor
# and GitHub's hardening guide ask for) and `@<a branch at 0.1.0>` all install the v0.1.0 release
# binary for the runner's platform, downloaded with the release's SHA256SUMS and installed only if
# its sha256 matches. A checksum mismatch fails the step; it never falls back to a build.
#
# Built from the Action's own source with `cargo install --locked` (minutes; the workflow caches
# it) only when asked (BUILD_FROM_SOURCE=true, the `build-from-source` input), when the platform
# has no release binary, or when the release cannot be downloaded (e.g. a branch whose version
# is not released yet).
#
# Inputs (environment): ACTION_PATH, ACTION_REPOSITORY (from the action's `github` context),
# RUNNER_OS, RUNNER_ARCH, IAMLINT_HOME, BUILD_FROM_SOURCE, GITHUB_OUTPUT (plan);
# IAMLINT_RELEASE_URL overrides the download base (tests use a file:// URL).
# Linux and macOS runners: `sha256sum` where there is one, else `shasum -a 256` (macOS).
set -euo pipefail

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$ACTION_PATH/Cargo.toml" | head -n1)
tag="v$version"

case "${RUNNER_OS:-}/${RUNNER_ARCH:-}" in
    Linux/X64) target=x86_64-unknown-linux-musl ;;
    Linux/ARM64) target=aarch64-unknown-linux-musl ;;
    macOS/X64) target=x86_64-apple-darwin ;;
    macOS/ARM64) target=aarch64-apple-darwin ;;
    Windows/X64) target=x86_64-pc-windows-msvc ;;
    *) target="" ;;
esac

# The sha256 command, printing `HASH  NAME` lines.
if command -v sha256sum >/dev/null 2>&1; then
    sha256=(sha256sum)
else
    sha256=(shasum -a 256)
fi

from_release() {
    [ "${BUILD_FROM_SOURCE:-false}" != true ] && [ -n "$target" ]
}

build() {
    echo "iamlint: building iamlint $version from the Action's source with cargo ($1)"
    cargo install --locked --path "$ACTION_PATH" --root "$IAMLINT_HOME"
}

plan() {
    if from_release; then
        echo "release=true" >>"$GITHUB_OUTPUT"
        return
    fi
    local parts=() p hash
    for p in Cargo.toml Cargo.lock src rules crates; do
        if [ -e "$ACTION_PATH/$p" ]; then parts+=("$p"); fi
    done
    hash=$(cd "$ACTION_PATH" && find "${parts[@]}" -type f -print0 | LC_ALL=C sort -z |
        xargs -0 "${sha256[@]}" | "${sha256[@]}" | cut -c1-16)
    echo "key=iamlint-${RUNNER_OS:-unknown}-${RUNNER_ARCH:-unknown}-${hash}" >>"$GITHUB_OUTPUT"
}

install() {
    if [ "${BUILD_FROM_SOURCE:-false}" = true ]; then
        build "build-from-source: true"
        return
    fi
    if [ -z "$target" ]; then
        echo "::notice title=iamlint::no release binary for ${RUNNER_OS:-?}/${RUNNER_ARCH:-?}"
        build "no release binary for this platform"
        return
    fi

    local archive base tmp expected actual
    if [ "$target" = x86_64-pc-windows-msvc ]; then archive="iamlint-$target.zip"; else archive="iamlint-$target.tar.gz"; fi
    base="${IAMLINT_RELEASE_URL:-https://github.com/${ACTION_REPOSITORY}/releases/download/$tag}"
    tmp=$(mktemp -d)
    # shellcheck disable=SC2064  # expand now: $tmp is local
    trap "rm -rf '$tmp'" EXIT
    if ! curl --fail --silent --show-error --location --retry 3 -o "$tmp/$archive" "$base/$archive" ||
        ! curl --fail --silent --show-error --location --retry 3 -o "$tmp/SHA256SUMS" "$base/SHA256SUMS"; then
        echo "::warning title=iamlint::the $tag release ($archive, SHA256SUMS) cannot be downloaded: building from source"
        build "release $tag not downloadable"
        return
    fi

    expected=$(awk -v f="$archive" '$2 == f || $2 == "*" f { print $1 }' "$tmp/SHA256SUMS")
    actual=$("${sha256[@]}" "$tmp/$archive" | cut -d' ' -f1)
    if [ -z "$expected" ] || [ "$expected" != "$actual" ]; then
        echo "::error title=iamlint::checksum of $archive does not match the release's SHA256SUMS (expected '${expected:-none}', got '$actual')"
        exit 1
    fi

    mkdir -p "$IAMLINT_HOME/bin"
    case "$archive" in
        *.zip) unzip -o -q "$tmp/$archive" -d "$IAMLINT_HOME/bin" ;;
        *) tar -xzf "$tmp/$archive" -C "$IAMLINT_HOME/bin" ;;
    esac
    echo "iamlint: installed the $tag release binary for $target (sha256 $actual)"
}

case "${1:-}" in
    plan) plan ;;
    install) install ;;
    *)
        echo "usage: action-install.sh plan|install" >&2
        exit 2
        ;;
esac
