#!/usr/bin/env python3
"""Generates the folder-scan benchmark corpus.

A tree of source-like files (default 100,000 files, about 1.1 GB) including
minified JavaScript bundles of several MB on one line, with a known set of
planted keys and placeholders. The planted keys are written to MANIFEST (JSON:
path, line, column, key) so that the benchmark can check that qrcp-scan finds
exactly them. Deterministic for a given --seed: runs are comparable.

Usage: gen_tree.py OUT_DIR [--files N] [--seed S]
"""
import argparse
import json
import os
import random
import string

ALNUM = string.ascii_letters + string.digits
WORDS = ("const let var function return import export from async await if else for "
         "while switch case break continue new this class extends super try catch "
         "finally throw typeof instanceof null undefined true false config api url "
         "user session token handler request response render props state effect "
         "qrcode image size format color margin error level encode decode payload").split()
EXTS = [".js", ".ts", ".tsx", ".py", ".go", ".rs", ".json", ".md", ".css", ".yaml", ".html", ".txt"]


def random_key(rng, live=True):
    return ("qrcp_live_" if live else "qrcp_test_") + "".join(rng.choice(ALNUM) for _ in range(32))


def make_lines(rng, n):
    """A pool of realistic source lines to slice files from."""
    lines = []
    for _ in range(n):
        indent = " " * rng.choice((0, 2, 4, 4, 8))
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 12)))
        tail = rng.choice((";", " {", "", ",", ")", " = " + str(rng.randint(0, 99999)) + ";"))
        ident = "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(3, 14)))
        lines.append(f"{indent}{words} {ident}{tail}\n")
    return lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--files", type=int, default=100_000)
    ap.add_argument("--bundles", type=int, default=48, help="minified one-line bundles of 2-6 MB")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)
    pool = make_lines(rng, 20_000)
    pool_text = "".join(pool)
    # Cumulative offsets so a file is one slice of the pool (fast).
    offsets = [0]
    for line in pool:
        offsets.append(offsets[-1] + len(line))

    manifest = []
    total = 0
    n_dirs = max(1, args.files // 500)
    plant_every = max(1, args.files // 60)  # about 60 keys in ordinary files
    placeholder_every = max(1, args.files // 40)
    for i in range(args.files):
        d = f"pkg{i % n_dirs:03d}/src/mod{(i // n_dirs) % 10}"
        name = f"file{i:06d}{EXTS[i % len(EXTS)]}"
        rel = f"{d}/{name}"
        # File sizes: mostly small, some larger (mean about 10 KB).
        nlines = int(rng.paretovariate(1.6) * 60)
        nlines = min(nlines, 5_000)
        start = rng.randrange(0, len(pool) - nlines - 1) if nlines < len(pool) - 1 else 0
        text = pool_text[offsets[start]:offsets[start + nlines]]
        if i % plant_every == 3:
            key = random_key(rng, live=(i % 2 == 0))
            at_line = text.count("\n") // 2
            lines = text.split("\n")
            prefix = '    const apiKey = "'
            lines.insert(at_line, f'{prefix}{key}";')
            text = "\n".join(lines)
            manifest.append({"path": rel, "line": at_line + 1, "column": len(prefix) + 1, "key": key})
        elif i % placeholder_every == 5:
            text += "// QRCODEPRO_API_KEY=qrcp_live_xxxxxxxxxxxxxxxxxxxx (docs placeholder)\n"
        path = os.path.join(args.out, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        total += len(text)

    # Minified bundles: megabytes on one line, a key near the end of some.
    chunk = "".join(f"function {rng.choice(WORDS)}{k}(a,b){{return a.{rng.choice(WORDS)}(b)+{k}}};" for k in range(4000))
    for b in range(args.bundles):
        size = rng.randint(2, 6) * 1_000_000
        body = (chunk * (size // len(chunk) + 1))[:size]
        rel = f"web{b % 8}/dist/assets/index-{b:04x}.min.js"
        if b % 3 == 0:
            key = random_key(rng, live=True)
            cut = size - rng.randint(200, 5000)
            body = body[:cut] + f'var k="{key}";' + body[cut:]
            manifest.append({"path": rel, "line": 1, "column": cut + len('var k="') + 1, "key": key})
        path = os.path.join(args.out, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(body)
        total += len(body)

    manifest.sort(key=lambda m: (m["path"], m["line"]))
    with open(os.path.join(os.path.dirname(os.path.abspath(args.out)), os.path.basename(args.out.rstrip("/")) + ".manifest.json"), "w") as f:
        json.dump({"files": args.files + args.bundles, "bytes": total, "keys": manifest}, f, indent=1)
    print(f"generated {args.files + args.bundles} files, {total / 1e9:.2f} GB, {len(manifest)} planted keys in {args.out}")


if __name__ == "__main__":
    main()
