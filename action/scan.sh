#!/usr/bin/env bash
# Step 2 of the skimlint GitHub Action: scan and write the SARIF report.
# Reads INPUT_PATHS (space- or newline-separated, default "."), INPUT_CONFIG, INPUT_FAIL_ON
# (default "warning"), INPUT_SARIF_FILE (default "$RUNNER_TEMP/skimlint.sarif", outside the
# scanned tree), INPUT_CATEGORY (the SARIF category, default "skimlint") and INPUT_ANNOTATIONS
# (true | false | auto: workflow annotations, by default only when INPUT_UPLOAD_SARIF is not
# "true"). A markdown job summary goes to $GITHUB_STEP_SUMMARY when the runner sets it. Writes the outputs `sarif-file`, `findings` (number of results) and `exit-code`
# (skimlint's: 0 clean, 1 findings at or above fail-on) to $GITHUB_OUTPUT and exits 0, so the
# report can be uploaded before the action fails. A usage or configuration error (exit 2) fails
# this step at once.
set -uo pipefail
: "${RUNNER_TEMP:?RUNNER_TEMP is not set}"
: "${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set}"

skimlint="${SKIMLINT:-$RUNNER_TEMP/skimlint/bin/skimlint}"
sarif="${INPUT_SARIF_FILE:-}"
if [ -z "$sarif" ]; then
  sarif="$RUNNER_TEMP/skimlint.sarif"
fi
mkdir -p "$(dirname "$sarif")"
fail_on="${INPUT_FAIL_ON:-warning}"

# Split paths on whitespace without expanding globs.
set -f
# shellcheck disable=SC2206
paths=(${INPUT_PATHS:-.})
set +f
if [ "${#paths[@]}" -eq 0 ]; then
  paths=(.)
fi

args=(check "${paths[@]}" --format sarif --output "$sarif" --fail-on "$fail_on")
if [ -n "${INPUT_CONFIG:-}" ]; then
  args+=(--config "$INPUT_CONFIG")
fi
args+=(--category "${INPUT_CATEGORY:-skimlint}")
annotations="${INPUT_ANNOTATIONS:-auto}"
if [ "$annotations" = auto ]; then
  # Code scanning shows the alerts on the pull request; annotations would repeat them.
  if [ "${INPUT_UPLOAD_SARIF:-true}" = true ]; then annotations=false; else annotations=true; fi
fi
if [ "$annotations" = true ]; then
  args+=(--annotate)
fi
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  args+=(--step-summary "$GITHUB_STEP_SUMMARY")
fi

echo "skimlint ${args[*]}"
"$skimlint" "${args[@]}"
code=$?

if [ "$code" -gt 1 ] || [ ! -f "$sarif" ]; then
  echo "::error title=skimlint::skimlint could not scan (exit code $code); see the log above"
  echo "exit-code=$code" >>"$GITHUB_OUTPUT"
  exit "$code"
fi

# The report is pretty-printed: one `"ruleId":` line per result.
findings="$(grep -c '"ruleId":' "$sarif" || true)"
{
  echo "sarif-file=$sarif"
  echo "findings=$findings"
  echo "exit-code=$code"
} >>"$GITHUB_OUTPUT"

echo "skimlint: $findings findings; SARIF report at $sarif"
exit 0
