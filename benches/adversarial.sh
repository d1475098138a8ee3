#!/usr/bin/env bash
# Adversarial inputs (issue 10): 50 MB files made of one trigger repeated must
# scan within 5x the time of 50 MB of ordinary minified JavaScript, with peak
# memory under 2x the file plus 64 MB. Also a source map with 300,000
# sourcesContent entries and a notebook with 100,000 cells (linear: compared with
# the same file at a tenth of the size).
#
#   benches/adversarial.sh            # 50 MB each
#   MB=10 benches/adversarial.sh      # quicker
#
# Files go under bench-work/adversarial (gitignored). Prints one line per case
# with seconds, the ratio to plain JS and peak RSS; exits 1 if a bound is broken.
set -euo pipefail
cd "$(dirname "$0")/.."
MB=${MB:-50}
WORK=bench-work/adversarial-$MB
BIN=target/release/qrcp-scan
[ -x /usr/bin/time ] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null; }
[ "${SKIP_BUILD:-}" = 1 ] || cargo build --release --locked --quiet
mkdir -p "$WORK"
python3 - "$WORK" "$MB" <<'PY'
import base64, json, os, random, sys
work, mb = sys.argv[1], int(sys.argv[2])
size = mb << 20
rnd = random.Random(10)
def rep(name, unit):
    p = os.path.join(work, name)
    if os.path.exists(p):
        return
    data = (unit * (size // len(unit) + 1))[:size]
    open(p, "wb").write(data)
# Ordinary minified JavaScript: short names, calls, strings, numbers, one line.
if not os.path.exists(os.path.join(work, "plain.js")):
    words = ["function", "return", "var", "const", "if", "else", "for", "new", "this"]
    out, n = [], 0
    while n < size:
        a = "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rnd.randint(1, 3)))
        s = rnd.choice([
            f'{a}=function(e,t){{return e+t*{rnd.randint(0, 999)}}};',
            f'{a}.push("{"".join(rnd.choice("abcdefghij ") for _ in range(12))}");',
            f'if({a}&&{a}.length>{rnd.randint(0, 9)}){{{a}[0]=null}}',
            f'{rnd.choice(words)} {a}=[{rnd.randint(0, 99)},{rnd.randint(0, 99)}];',
        ])
        out.append(s); n += len(s)
    open(os.path.join(work, "plain.js"), "w").write("".join(out)[:size])
rep("backslash.txt", b"qrcp_live_\\")
rep("percent.txt", b"qrcp%5F")
rep("concat.js", b'"qrcp_live_"+')
rep("unicode.js", b"qrcp\\u005f")
rep("base64.txt", base64.b64encode(b"qrcp_live_" * 3))
rep("env.txt", b"NEXT_PUBLIC_QRCP_KEY=")
rep("split-prefix.js", b'"qrcp_"+')
rep("template.js", b"var e=\"x\";r=`qrcp_live_${e}`;")
rep("join.js", b'["qrcp_live_",o()].join("");')
def sourcemap(name, n):
    p = os.path.join(work, name)
    if not os.path.exists(p):
        m = {"version": 3, "sources": [f"src/m{i}.js" for i in range(n)],
             "sourcesContent": [f"export const v{i} = \"qrcp_\" + \"x{i}\";\n" for i in range(n)],
             "mappings": "AAAA"}
        open(p, "w").write(json.dumps(m))
def notebook(name, n):
    p = os.path.join(work, name)
    if not os.path.exists(p):
        nb = {"nbformat": 4, "cells": [{"cell_type": "code", "source": [f"k = 'qrcp_live_' + x{i}\n"], "outputs": []} for i in range(n)]}
        open(p, "w").write(json.dumps(nb))
sourcemap("map-30k.js.map", 30_000); sourcemap("map-300k.js.map", 300_000)
notebook("nb-10k.ipynb", 10_000); notebook("nb-100k.ipynb", 100_000)
PY

run() { # file -> "seconds peak_kib"
    /usr/bin/time -f "%e %M" "$BIN" dir "$1" --format json >/dev/null 2>"$WORK/time.txt" || true
    tail -1 "$WORK/time.txt"
}
fail=0
read -r base base_mem < <(run "$WORK/plain.js")
printf '%-18s %7ss  %6s  %8s\n' case seconds ratio peakMiB
printf '%-18s %7s   %6s  %8d\n' plain.js "$base" 1.00 $((base_mem / 1024))
for f in backslash.txt percent.txt concat.js unicode.js base64.txt env.txt split-prefix.js template.js join.js; do
    read -r s mem < <(run "$WORK/$f")
    size_kib=$(( $(stat -c %s "$WORK/$f") / 1024 ))
    ratio=$(python3 -c "print(f'{max($s,0.01)/max($base,0.01):.2f}')")
    ok=$(python3 -c "print(int($s <= 5*max($base,0.2) and $mem <= 2*$size_kib + 65536))")
    [ "$ok" = 1 ] || fail=1
    printf '%-18s %7s   %6s  %8d %s\n' "$f" "$s" "$ratio" $((mem / 1024)) "$([ "$ok" = 1 ] || echo FAIL)"
done
for pair in "map-30k.js.map map-300k.js.map" "nb-10k.ipynb nb-100k.ipynb"; do
    set -- $pair
    read -r s1 _ < <(run "$WORK/$1")
    read -r s2 m2 < <(run "$WORK/$2")
    r=$(python3 -c "print(f'{max($s2,0.01)/max($s1,0.01):.1f}')")
    ok=$(python3 -c "print(int($s2 <= 20*max($s1,0.05)))")
    [ "$ok" = 1 ] || fail=1
    printf '%-18s %7s   10x entries: %sx time, %d MiB %s\n' "$2" "$s2" "$r" $((m2 / 1024)) "$([ "$ok" = 1 ] || echo FAIL)"
done
exit $fail
