#!/usr/bin/env python3
"""The layering check: run from the project root (`python3 scripts/layers.py`). Reads src/:
the graph of top-level modules (src/X.rs or src/X/) from `crate::` paths must have no
cycle; reporters and sources take options, not `cli`/`config`; the detector imports no
decoder, source, reporter or configuration; no source file is longer than 700 lines.
Prints its figure last."""
import os, re, sys
from collections import defaultdict

SRC = "src"
if not os.path.isdir(SRC):
    print("no src/"); sys.exit(1)

def strip_comments(t):
    t = re.sub(r"/\*.*?\*/", "", t, flags=re.S)
    return re.sub(r"//[^\n]*", "", t)

def targets(text):
    out = set()
    for m in re.finditer(r"crate::(\{|[A-Za-z_]\w*)", text):
        if m.group(1) != "{":
            out.add(m.group(1)); continue
        depth, i, start = 1, m.end(), m.end()
        while i < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0); i += 1
        inner, items, d, cur = text[start:i - 1], [], 0, ""
        for ch in inner:
            if ch == "," and d == 0:
                items.append(cur); cur = ""; continue
            d += {"{": 1, "}": -1}.get(ch, 0); cur += ch
        items.append(cur)
        for it in items:
            w = re.match(r"\s*([A-Za-z_]\w*)", it)
            if w and w.group(1) != "self":
                out.add(w.group(1))
    return out

mods = set()
for n in os.listdir(SRC):
    if n.endswith(".rs") and n != "main.rs" and n != "lib.rs":
        mods.add(n[:-3])
    elif os.path.isdir(os.path.join(SRC, n)):
        mods.add(n)
graph, long_files = defaultdict(set), []
for root, _, files in os.walk(SRC):
    for f in files:
        if not f.endswith(".rs"):
            continue
        p = os.path.join(root, f)
        rel = os.path.relpath(p, SRC).split(os.sep)
        mod = rel[0][:-3] if len(rel) == 1 else rel[0]
        raw = open(p, encoding="utf-8", errors="replace").read()
        n = raw.count("\n")
        body = raw.split("#[cfg(test)]")[0]  # unit tests at the bottom are not counted
        if body.count("\n") > 700:
            long_files.append(f"{os.path.relpath(p)} {body.count(chr(10))}")
        for t in targets(strip_comments(raw.split("#[cfg(test)]")[0])):
            if t in mods and t != mod:
                graph[mod].add(t)

# cycles: strongly connected components of size > 1
index, low, stack, on, sccs, counter = {}, {}, [], set(), [], [0]
def strong(v):
    index[v] = low[v] = counter[0]; counter[0] += 1; stack.append(v); on.add(v)
    for w in graph.get(v, ()):
        if w not in index:
            strong(w); low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop(); on.discard(w); comp.append(w)
            if w == v:
                break
        if len(comp) > 1:
            sccs.append(sorted(comp))
sys.setrecursionlimit(10000)
for v in list(mods) + ["main"]:
    if v not in index:
        strong(v)

problems = []
for c in sccs:
    problems.append("module cycle: " + " <-> ".join(c))
for a, forbidden in (("report", {"cli", "config"}), ("org", {"cli", "config", "app"}),
                     ("source", {"cli", "config", "report"}),
                     ("detect", {"decode", "source", "report", "config", "cli", "scan"})):
    bad = graph.get(a, set()) & forbidden
    if bad:
        problems.append(f"{a} imports {', '.join(sorted(bad))}")
for lf in long_files:
    problems.append("over 700 lines: " + lf)
for p in problems:
    print(p)
edges = sum(len(v) for v in graph.values())
print(f"{len(mods)} modules, {edges} arrows, {len(sccs)} cycles, {len(long_files)} files over 700 lines")
sys.exit(1 if problems else 0)
