#!/usr/bin/env bash
# The steps of the composite action (action.yml), as a script CI can run without GitHub:
# install intransit from the action's checkout unless it is on PATH, check, write SARIF, and
# record the exit code in $GITHUB_OUTPUT. Exit 2 (the run itself failed) fails this step;
# findings (exit 1) are left to the action's last step, after the upload.
#
# Environment: INTRANSIT_PATHS (default "."), INTRANSIT_FAIL_ON (error), INTRANSIT_ARGS,
# INTRANSIT_SARIF (intransit.sarif), INTRANSIT_INSTALL_FLAGS (--locked), GITHUB_ACTION_PATH
# (this repository), GITHUB_OUTPUT, RUNNER_TEMP.
set -euo pipefail
action="${GITHUB_ACTION_PATH:-$(cd "$(dirname "$0")/.." && pwd)}"
output="${GITHUB_OUTPUT:-/dev/null}"
sarif="${INTRANSIT_SARIF:-intransit.sarif}"

if ! command -v intransit >/dev/null 2>&1; then
  root="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/intransit"
  # shellcheck disable=SC2086 # the flags are words
  cargo install --quiet ${INTRANSIT_INSTALL_FLAGS:---locked} --path "$action" --root "$root"
  export PATH="$root/bin:$PATH"
fi
intransit --version

# shellcheck disable=SC2086 # paths and args are words, as a user types them
set +e
intransit check ${INTRANSIT_PATHS:-.} --format sarif -o "$sarif" \
  --fail-on "${INTRANSIT_FAIL_ON:-error}" ${INTRANSIT_ARGS:-}
code=$?
set -e
echo "exit-code=$code" >> "$output"
if [ "$code" -ge 2 ]; then
  echo "intransit could not run (exit $code)" >&2
  exit "$code"
fi
echo "intransit: exit $code, report in $sarif"
