#!/usr/bin/env python3
"""Writes the table of src/detect/quads.rs: the four-byte strings most frequent
in a corpus of code and text, in parts per million of positions, each kind of
file weighted alike, then hex literals (`0x74`) counted in every file, then the
QRCodePro words and the strings of files made of one trigger repeated, each at
a fixed weight.

    python3 scripts/common_quads.py NODE_MODULES PYTHON_LIB CARGO_SRC > rows

(the table of 2026-12-05 was made from an npm install's node_modules, Python
3.11's standard library and ~/.cargo/registry/src, with random.seed(1)).
"""
import collections
import glob
import os
import random
import re
import sys

random.seed(1)
TOP = 192
DOMAIN = [b"qrco", b"rcod", b"QRCo", b"RCod", b"Qrco", b"QRCO", b"RCOD", b"odep", b"dePr"]
DOMAIN_PPM = 400
# Files made of one trigger repeated (the adversarial cases): every
# position is one of a few strings, and each bucket that fires on them costs a
# comparison at each. Their four-byte strings are weighed as common words are.
DENSE = [b"qrcp_live_\\", b"qrcp%5F", b'"qrcp_live_"+', b"qrcp\\u005f", b"NEXT_PUBLIC_QRCP_KEY="]
DENSE_PPM = 200


def files(pattern, limit):
    paths = [p for p in glob.glob(pattern, recursive=True) if os.path.isfile(p)]
    random.shuffle(paths)
    out, n = [], 0
    for p in paths:
        try:
            d = open(p, "rb").read()
        except OSError:
            continue
        if len(d) > 2_000_000:
            continue
        out.append(d)
        n += len(d)
        if n > limit:
            break
    return b"\n".join(out)


def main():
    nm, py, rs = sys.argv[1:4]
    corpora = {
        "js": files(nm + "/**/*.js", 6 << 20),
        "json": files(nm + "/**/*.json", 3 << 20),
        "md": files(nm + "/**/*.md", 2 << 20),
        "py": files(py + "/**/*.py", 4 << 20),
        "rs": files(rs + "/*/*/src/**/*.rs", 4 << 20),
        "html": files(py + "/**/*.html", 1 << 20) + files(nm + "/**/*.html", 1 << 20),
    }
    total = collections.Counter()
    for data in corpora.values():
        counts = collections.Counter(data[i:i + 4] for i in range(len(data) - 3))
        for q, v in counts.items():
            total[q] += v / len(data) / len(corpora)
    rows = [(q, round(v * 1e6)) for q, v in total.most_common(TOP)]
    # Hex literals (`0x74`): each rare, together common in Rust, C and
    # Python, where a bucket that holds `0x71` fires on many of them. Counted
    # in every file of each kind (a sample misses the tables that hold most).
    hexcount = collections.Counter()
    for pattern in (rs + "/*/*/src/**/*.rs", py + "/**/*.py", nm + "/**/*.js", nm + "/**/*.json"):
        found, size = collections.Counter(), 0
        for p in glob.glob(pattern, recursive=True):
            if os.path.isfile(p):
                data = open(p, "rb").read()
                size += len(data)
                found.update(re.findall(rb"0x[0-9a-f]{2}", data))
        for q, v in found.items():
            hexcount[q] += v / max(size, 1) / len(corpora)
    have = {q for q, _ in rows}
    rows += [(q, max(1, round(v * 1e6))) for q, v in hexcount.most_common() if q not in have]
    have = {q for q, _ in rows}
    rows += [(q, DOMAIN_PPM) for q in DOMAIN if q not in have]
    have = {q for q, _ in rows}
    for unit in DENSE:
        for i in range(len(unit)):
            q = (unit * 2)[i : i + 4]
            if q not in have:
                rows.append((q, DENSE_PPM))
                have.add(q)
    for q, ppm in rows:
        text = "".join(
            {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(chr(b), chr(b))
            if 32 <= b < 127 or b in (9, 10, 13) else f"\\x{b:02x}"
            for b in q
        )
        print(f'    (*b"{text}", {ppm}),')


if __name__ == "__main__":
    main()
