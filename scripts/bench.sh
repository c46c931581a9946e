#!/usr/bin/env bash
# Times skimlint and ripgrep over the same files, side by side, in one run.
#   scripts/bench.sh [--threads N] [--skimlint BIN] PATHS...
# Prints wall time, MB/s, files/s and peak RSS (from /usr/bin/time -v) for
#   skimlint check PATHS --format json --no-config --no-cache              (cold)
#   skimlint check PATHS ... --cache-dir TMP, once to fill, then timed        (warm cache rescan)
#   skimlint check PATHS ... --no-cache --known-good M (manifest of PATHS)    (known-good rescan)
#   rg -c 'eval|atob|base64_decode|fromCharCode' PATHS   (same files: hidden included, .gitignore honoured)
#   ast-grep scan with the six peer rules of bench/ast-grep, when ast-grep is installed
#     (AST_GREP=path, or `ast-grep` on PATH; `npm install --prefix DIR @ast-grep/cli`)
# Set BENCH_COLD_ONLY=1 to time only the cold scan and ripgrep.
set -euo pipefail
threads=0
bin="${SKIMLINT:-$(dirname "$0")/../target/release/skimlint}"
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads="$2"; shift 2 ;;
    --skimlint) bin="$2"; shift 2 ;;
    --) shift; break ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || { echo "usage: $0 [--threads N] [--skimlint BIN] PATHS..." >&2; exit 2; }
command -v rg >/dev/null || { echo "ripgrep (rg) is not installed" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time (GNU time) is needed for peak RSS" >&2; exit 2; }
[ -x "$bin" ] || { echo "no skimlint binary at $bin (cargo build --release)" >&2; exit 2; }

# The file set: what ripgrep walks (hidden files, .gitignore honoured, like skimlint).
list=$(mktemp); cache=$(mktemp -d); trap 'rm -rf "$list" "$list".* "$cache"' EXIT
rg --files --hidden --no-require-git --no-messages "$@" > "$list" || true
files=$(wc -l < "$list")
bytes=$(tr '\n' '\0' < "$list" | du -cb --files0-from=- 2>/dev/null | tail -1 | cut -f1)
mb=$(awk -v b="$bytes" 'BEGIN{printf "%.1f", b/1048576}')

run() { # name, command...
  local name="$1"; shift
  /usr/bin/time -v -o "$list.time" "$@" > /dev/null 2> "$list.err" || true
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/{n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$list.time")
  rss=$(awk -F': ' '/Maximum resident set size/{printf "%.0f", $2/1024}' "$list.time")
  awk -v n="$name" -v w="$wall" -v mb="$mb" -v f="$files" -v r="$rss" 'BEGIN{
    if (w <= 0) w = 0.001;
    printf "%-10s %10.3f %10.1f %10.0f %10s\n", n, w, mb/w, f/w, r }'
}

echo "files: $files   size: $mb MB   threads: ${threads/#0/all cores}"
printf "%-10s %10s %10s %10s %10s\n" tool "wall s" "MB/s" "files/s" "peak MB"
run skimlint "$bin" check "$@" --format json --no-config --fail-on none --threads "$threads" --no-cache
if [ -z "${BENCH_COLD_ONLY:-}" ]; then
  # Warm cache: one untimed run fills it.
  "$bin" check "$@" --format json --no-config --fail-on none --threads "$threads" --cache-dir "$cache/c" > /dev/null 2>&1 || true
  run sl-warm "$bin" check "$@" --format json --no-config --fail-on none --threads "$threads" --cache-dir "$cache/c"
  # Known-good: a manifest of each path (as if it were the release), then a rescan with them.
  kg=()
  i=0
  for p in "$@"; do
    i=$((i + 1))
    "$bin" manifest create "$p" -o "$cache/m$i.json" 2>/dev/null && kg+=(--known-good "$cache/m$i.json")
  done
  run sl-known "$bin" check "$@" --format json --no-config --fail-on none --threads "$threads" --no-cache "${kg[@]}"
fi
rgt=()
[ "$threads" != 0 ] && rgt=(-j "$threads")
run ripgrep rg -c --hidden --no-require-git --no-messages "${rgt[@]}" 'eval|atob|base64_decode|fromCharCode' "$@"
sg="${AST_GREP:-$(command -v ast-grep || true)}"
if [ -n "$sg" ] && [ -x "$sg" ]; then
  run ast-grep "$sg" scan -c "$(dirname "$0")/../bench/ast-grep/sgconfig.yml" --json=compact "${rgt[@]}" "$@"
else
  echo "(ast-grep not installed: AST_GREP=path times the six peer rules of bench/ast-grep)"
fi
