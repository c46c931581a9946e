#!/usr/bin/env bash
# The full technique matrix (tests/matrix/): every case, with the per-axis report.
# SKIMLINT_MATRIX_DUMP=DIR also writes every wrong case into DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --release --test matrix -- --ignored --nocapture --exact full_matrix
