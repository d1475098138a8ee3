#!/usr/bin/env python3
"""Builds a repository whose pack holds one delta chain DEPTH deep (default 20,000).

    gen_chain.py OUT [--depth N] [--lines L]

One file, `config.txt` (L lines), edited once per commit in a linear history of
DEPTH commits. `git repack` cannot write such a pack (pack-objects caps --depth at
4095), but a pushed pack can hold one, so this writes the pack itself: commits and
trees stored whole, and every version of the file stored as an offset delta on the
previous version, so version N sits N-1 deltas from the one stored whole. The pack
is indexed by `git index-pack` (which checks every object) and replaces the one
`git fast-import` wrote.

One version in the middle of the history holds a generated key (removed by the next
commit); its value is written to OUT/planted.json as in gen_repo.py, so a scan can
be checked to find it at the bottom of the chain.
"""

import argparse
import hashlib
import json
import os
import random
import subprocess
import sys
import zlib

ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
ENV = dict(os.environ, GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1")
TYPES = {"commit": 1, "tree": 2, "blob": 3, "tag": 4}


def git(repo, *args, **kw):
    return subprocess.run(["git", *args], cwd=repo, check=True, env=ENV, **kw)


def versions(depth, nlines, rng):
    """Every version of the file, oldest first: each differs from the previous in one line."""
    lines = [f"setting_{i:04d} = {rng.randrange(10**9):09d}  # a line of configuration" for i in range(nlines)]
    body = "".join(rng.choice(ALNUM) for _ in range(32))
    key = f"qrcp_live_{body}"
    leak_at = depth // 2
    out = []
    for v in range(depth):
        i = v % nlines
        lines[i] = f"setting_{i:04d} = {v:09d}  # edited in version {v}"
        text = "\n".join(lines) + "\n"
        if v == leak_at:
            text += f'api_key = "{key}"\n'
        out.append(text.encode())
    return out, key, leak_at


def varint(n):
    """Size in a delta header: 7 bits at a time, least significant first."""
    b = bytearray()
    while True:
        c = n & 0x7F
        n >>= 7
        if n:
            b.append(c | 0x80)
        else:
            b.append(c)
            return bytes(b)


def copy_op(off, size):
    assert 0 < size <= 0xFFFFFF and off <= 0xFFFFFFFF
    op, args = 0x80, bytearray()
    for i in range(4):
        byte = (off >> (8 * i)) & 0xFF
        if byte:
            op |= 1 << i
            args.append(byte)
    for i in range(3):
        byte = (size >> (8 * i)) & 0xFF
        if byte:
            op |= 1 << (4 + i)
            args.append(byte)
    return bytes([op]) + bytes(args)


def delta(src, dst):
    """A git delta from src to dst: copy the common prefix and suffix, insert the middle."""
    n = min(len(src), len(dst))
    pre = 0
    while pre < n and src[pre] == dst[pre]:
        pre += 1
    suf = 0
    while suf < n - pre and src[len(src) - 1 - suf] == dst[len(dst) - 1 - suf]:
        suf += 1
    out = bytearray(varint(len(src)) + varint(len(dst)))
    if pre:
        out += copy_op(0, pre)
    mid = dst[pre:len(dst) - suf]
    for i in range(0, len(mid), 127):
        chunk = mid[i:i + 127]
        out.append(len(chunk))
        out += chunk
    if suf:
        out += copy_op(len(src) - suf, suf)
    return bytes(out)


def entry_header(kind, size):
    b = bytearray([(kind << 4) | (size & 15)])
    size >>= 4
    while size:
        b[-1] |= 0x80
        b.append(size & 0x7F)
        size >>= 7
    return bytes(b)


def ofs(back):
    """Distance to a delta's base in git's offset encoding."""
    b = [back & 0x7F]
    back >>= 7
    while back:
        back -= 1
        b.insert(0, 0x80 | (back & 0x7F))
        back >>= 7
    return bytes(b)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--depth", type=int, default=20000)
    ap.add_argument("--lines", type=int, default=120)
    a = ap.parse_args()
    rng = random.Random(14)
    os.makedirs(a.out, exist_ok=True)
    git(a.out, "init", "-q", "--bare")
    texts, key, leak_at = versions(a.depth, a.lines, rng)

    # The history, written by fast-import (blobs inline).
    imp = subprocess.Popen(["git", "fast-import", "--quiet", "--done"], cwd=a.out,
                           stdin=subprocess.PIPE, env=ENV)
    w = imp.stdin.write
    t = 1_600_000_000
    for v, text in enumerate(texts):
        msg = f"edit {v}\n".encode()
        w(f"commit refs/heads/main\nmark :{v + 1}\n".encode())
        w(f"committer Dev <dev@example.com> {t + 60 * v} +0000\n".encode())
        w(b"data %d\n%s\n" % (len(msg), msg))
        if v:
            w(f"from :{v}\n".encode())
        w(b"M 100644 inline config.txt\ndata %d\n%s\n" % (len(text), text))
    w(b"done\n")
    imp.stdin.close()
    if imp.wait() != 0:
        sys.exit("git fast-import failed")
    git(a.out, "symbolic-ref", "HEAD", "refs/heads/main")

    # Every object that is not a version of the file, read back whole.
    blob_ids = [hashlib.sha1(b"blob %d\0" % len(x) + x).hexdigest() for x in texts]
    chain = set(blob_ids)
    if len(chain) != len(texts):
        sys.exit("two versions are equal: the chain would not be linear")
    listing = git(a.out, "cat-file", "--batch-all-objects", "--batch-check=%(objectname) %(objecttype)",
                  capture_output=True).stdout.decode().split("\n")
    others = [line.split() for line in listing if line and line.split()[0] not in chain]
    cat = git(a.out, "cat-file", "--batch", input="".join(f"{i}\n" for i, _ in others).encode(),
              capture_output=True).stdout
    objects, at = [], 0
    for oid, kind in others:
        nl = cat.index(b"\n", at)
        head = cat[at:nl].split()
        assert head[0].decode() == oid, (head, oid)
        size = int(head[2])
        objects.append((TYPES[kind], cat[nl + 1:nl + 1 + size]))
        at = nl + 1 + size + 1

    # The pack: other objects whole, then the chain, each version a delta on the one before.
    pack_dir = os.path.join(a.out, "objects", "pack")
    tmp = os.path.join(pack_dir, "tmp-chain.pack")
    sha = hashlib.sha1()
    with open(tmp, "wb") as f:
        def put(b):
            sha.update(b)
            f.write(b)
        put(b"PACK" + (2).to_bytes(4, "big") + (len(objects) + len(texts)).to_bytes(4, "big"))
        pos = 12
        for kind, data in objects:
            b = entry_header(kind, len(data)) + zlib.compress(data, 1)
            put(b)
            pos += len(b)
        prev_pos = None
        for v, text in enumerate(texts):
            if v == 0:
                b = entry_header(3, len(text)) + zlib.compress(text, 1)
            else:
                d = delta(texts[v - 1], text)
                b = entry_header(6, len(d)) + ofs(pos - prev_pos) + zlib.compress(d, 1)
            put(b)
            prev_pos = pos
            pos += len(b)
        f.write(sha.digest())
    old = [p for p in os.listdir(pack_dir) if p.startswith("pack-")]
    git(pack_dir, "index-pack", "tmp-chain.pack", stdout=subprocess.DEVNULL)
    name = f"pack-{sha.hexdigest()}"
    for p in old:
        os.remove(os.path.join(pack_dir, p))
    os.rename(tmp, os.path.join(pack_dir, name + ".pack"))
    for ext in (".idx", ".rev"):
        if os.path.exists(os.path.join(pack_dir, "tmp-chain" + ext)):
            os.rename(os.path.join(pack_dir, "tmp-chain" + ext), os.path.join(pack_dir, name + ext))
    with open(os.path.join(a.out, "planted.json"), "w") as f:
        json.dump([{"case": f"chain-depth-{leak_at}", "key": key}], f, indent=1)


if __name__ == "__main__":
    main()
