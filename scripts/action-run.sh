#!/usr/bin/env bash
# The Action's run step (called by action.yml, tested by tests/action.rs): runs iamlint in the
# mode the workflow asked for and writes `exit-code` (and `diff-file` in diff mode) to
# $GITHUB_OUTPUT. Always exits 0 itself: action.yml's last step turns the code into the result.
#
# Environment: MODE (annotations | sarif | diff), PATHS and ARGS (space-separated lists), SARIF
# (where sarif mode writes), BASE (diff mode's base revision; PR_BASE is the pull request's base
# commit, used when BASE is empty), FAIL_ON (diff mode's --fail-on), DIFF_FILE (where diff mode
# writes its markdown; default $RUNNER_TEMP/iamlint-diff.md), IAMLINT (the binary; default
# ~/.iamlint/bin/iamlint), GITHUB_OUTPUT and GITHUB_STEP_SUMMARY (set by the runner).
set -u

IAMLINT=${IAMLINT:-$HOME/.iamlint/bin/iamlint}
iamlint() { "$IAMLINT" "$@"; }

# Word splitting of PATHS and ARGS is intended: they are space-separated lists.
# shellcheck disable=SC2086
case "${MODE:-annotations}" in
  annotations)
    iamlint check --format github ${ARGS:-} ${PATHS:-.}
    code=$?
    ;;
  sarif)
    iamlint check --format sarif --output-file "${SARIF:-iamlint.sarif}" ${ARGS:-} ${PATHS:-.}
    code=$?
    # The findings in the log as well, for whoever reads the job.
    iamlint check --color always ${ARGS:-} ${PATHS:-.} >&2
    ;;
  diff)
    base=${BASE:-${PR_BASE:-}}
    file=${DIFF_FILE:-${RUNNER_TEMP:-.}/iamlint-diff.md}
    if [ -z "$base" ]; then
      echo "::error title=iamlint::mode diff needs a base revision: set the \`base\` input, or run on a pull_request event"
      code=2
    else
      # A shallow checkout (actions/checkout's default) lacks the base commit: fetch that one.
      if ! git cat-file -e "$base^{commit}" 2>/dev/null; then
        git fetch --no-tags --depth=1 origin "$base" >&2 || true
      fi
      iamlint diff --base "$base" --format markdown --fail-on "${FAIL_ON:-widening}" \
        --output-file "$file" ${ARGS:-} ${PATHS:-}
      code=$?
      if [ "$code" != 2 ]; then
        if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
          cat "$file" >>"$GITHUB_STEP_SUMMARY"
        fi
        # Annotations on the changed lines; the verdict is the run above.
        iamlint diff --base "$base" --format github --fail-on none ${ARGS:-} ${PATHS:-}
        echo "diff-file=$file" >>"${GITHUB_OUTPUT:-/dev/null}"
      fi
    fi
    ;;
  *)
    echo "::error title=iamlint::unknown mode \`$MODE\` (expected \`annotations\`, \`sarif\` or \`diff\`)"
    code=2
    ;;
esac
echo "exit-code=$code" >>"${GITHUB_OUTPUT:-/dev/null}"
exit 0
