#!/usr/bin/env bash
# Step 1 of the skimlint GitHub Action: build skimlint from the action's own checkout
# ($GITHUB_ACTION_PATH) into $RUNNER_TEMP/skimlint/bin, unless that version is already there.
# Outputs: `skimlint` (the binary's path). Adds its folder to $GITHUB_PATH when that is set.
set -euo pipefail
: "${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set}"
: "${RUNNER_TEMP:?RUNNER_TEMP is not set}"

root="$RUNNER_TEMP/skimlint"
bin="$root/bin/skimlint"
want="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$GITHUB_ACTION_PATH/Cargo.toml" | head -n 1)"

if [ -x "$bin" ] && [ "$("$bin" --version 2>/dev/null)" = "skimlint $want" ]; then
  echo "skimlint $want is already installed at $bin"
else
  if ! command -v cargo >/dev/null 2>&1; then
    echo "::error title=skimlint::cargo is required to build skimlint (add dtolnay/rust-toolchain@stable before this action)"
    exit 1
  fi
  echo "Building skimlint $want from $GITHUB_ACTION_PATH"
  cargo install --locked --quiet --path "$GITHUB_ACTION_PATH" --root "$root"
fi
"$bin" --version

if [ -n "${GITHUB_PATH:-}" ]; then
  echo "$root/bin" >>"$GITHUB_PATH"
fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  echo "skimlint=$bin" >>"$GITHUB_OUTPUT"
fi
