#!/usr/bin/env bash
# Benchmark of `qrcp-scan org` (issue 15): how many repositories a minute one
# machine scans, sharded 1, 2 and 4 ways, and how long the merge takes, so that a
# team can size N for its organisation (README, "Organisations").
#
#   benches/org.sh [REPOS] [SHARDS...]     (default 200 repositories; 1 2 4 shards)
#   QRCP_SCAN_BIN=path/to/qrcp-scan benches/org.sh   (skip the release build)
#
# Generates REPOS repositories once (benches/gen_repo.py, each with its own seed:
# 100 to 400 commits, ~1,500 files, planted keys; into bench-work/org/, which is
# gitignored), lists them as file:// URLs so that every shard clones what it scans,
# as it would over the network, and for each shard count:
#   - runs the N shards at once as separate processes, each from an empty cache,
#     each with ceil(CPUs / N) scan threads;
#   - prints the wall time, repositories a minute, and the clone and scan time
#     summed over repositories (from the shards' `repository` lines);
#   - times `org merge` of the N outputs (human and JSON), and checks that the
#     merge covers every repository once and has the keys of the 1-shard run.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$root/bench-work/org
count=${1:-200}
shift || true
shard_counts=("${@:-1 2 4}")
# shellcheck disable=SC2206
shard_counts=(${shard_counts[*]})
mkdir -p "$work"

say() { printf '==> %s\n' "$*"; }

if [ -n "${QRCP_SCAN_BIN:-}" ]; then
    qrcp=$QRCP_SCAN_BIN    # a release binary built already
else
    say "building qrcp-scan (release)"
    cargo build --release --locked -q
    qrcp=${CARGO_TARGET_DIR:-$root/target}/release/qrcp-scan
fi
cpus=$(nproc)

say "generating $count repositories (once; kept in bench-work/org/repos)"
gen() {
    local i=$1 dir
    dir=$work/repos/r$(printf '%04d' "$i")
    if [ ! -f "$dir/planted.json" ]; then
        rm -rf "$dir"
        python3 benches/gen_repo.py history "$dir" --commits $((100 + (i * 37) % 300)) --seed "$((1000 + i))" >/dev/null
    fi
}
export -f gen
export work
seq 0 $((count - 1)) | xargs -P "$cpus" -I{} bash -c 'gen {}'
list=$work/repos-$count.txt
: >"$list"
for i in $(seq 0 $((count - 1))); do
    echo "file://$work/repos/r$(printf '%04d' "$i")" >>"$list"
done
du -sh "$work/repos" | awk '{print "    repositories on disk: " $1}'

printf '\n%-7s %9s %12s %10s %10s %10s %8s %7s\n' shards "wall (s)" repos/minute "clone (s)" "scan (s)" "merge (s)" findings keys
for n in "${shard_counts[@]}"; do
    out=$work/out-$n
    rm -rf "$out" "$work/cache-$n"
    mkdir -p "$out"
    threads=$(((cpus + n - 1) / n))
    start=$(date +%s.%N)
    pids=()
    for k in $(seq 1 "$n"); do
        "$qrcp" org scan --repos "$list" --shard "$k/$n" --cache "$work/cache-$n" \
            --threads "$threads" --output "$out/shard-$k.jsonl" 2>"$out/shard-$k.log" &
        pids+=($!)
    done
    for p in "${pids[@]}"; do
        wait "$p" || [ $? -eq 1 ] || { echo "a shard failed: see $out" >&2; exit 1; }
    done
    end=$(date +%s.%N)
    mstart=$(date +%s.%N)
    "$qrcp" org merge "$out"/shard-*.jsonl >/dev/null || true
    "$qrcp" org merge "$out"/shard-*.jsonl --format json --output "$out/org.json" || true
    mend=$(date +%s.%N)
    python3 - "$out" "$count" "$start" "$end" "$mstart" "$mend" "$n" "$work" <<'PY'
import glob, json, sys
out, count, start, end, mstart, mend, n, work = sys.argv[1:]
count, n = int(count), int(n)
wall = float(end) - float(start)
merge = (float(mend) - float(mstart)) / 2
clone = scan = 0
for f in glob.glob(f"{out}/shard-*.jsonl"):
    for line in open(f):
        r = json.loads(line)
        if r["type"] == "repository":
            clone += r["fetch_ms"] / 1000
            scan += (r["elapsed_ms"] - r["fetch_ms"]) / 1000
org = json.load(open(f"{out}/org.json"))
repos = [r["repository"] for r in org["repositories"]]
assert len(repos) == count == len(set(repos)), "every repository once"
assert not org["shards"]["missing"] and not org["failures"]
keys = sorted(k["fingerprint"] for k in org["keys"])
ref = f"{work}/out-1/org.json"
try:
    base = sorted(k["fingerprint"] for k in json.load(open(ref))["keys"])
    assert keys == base, "the same keys as the 1-shard run"
except FileNotFoundError:
    pass
print(f"{n:<7} {wall:9.1f} {count / wall * 60:12.0f} {clone:10.1f} {scan:10.1f} {merge:10.2f} {len(org['findings']):8} {len(keys):7}")
PY
done
echo
echo "clone and scan: summed over repositories (shards overlap in time); merge: mean of human and JSON."
echo "machine: $cpus CPUs ($(uname -m)), $(free -g | awk '/Mem:/ {print $2}') GB; load before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
