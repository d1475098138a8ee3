#!/usr/bin/env python3
"""Compares a qrcp-scan JSON report with a generated corpus's manifest.

Every planted key must be found at its place (path, line, column, fingerprint)
and nothing else may be reported. Prints one line; exits 1 on any difference.

Usage: check_findings.py MANIFEST REPORT [--strip PREFIX]
"""
import hashlib
import json
import sys


def main():
    manifest = json.load(open(sys.argv[1]))
    report = json.load(open(sys.argv[2]))
    strip = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--strip" else ""
    want = {(k["path"], k["line"], k["column"], hashlib.sha256(k["key"].encode()).hexdigest()) for k in manifest["keys"]}
    got = set()
    for f in report["findings"]:
        path = f["path"][len(strip):] if strip and f["path"].startswith(strip) else f["path"]
        got.add((path, f["line"], f["column"], f["fingerprint"]))
    missed, extra = want - got, got - want
    ok = not missed and not extra
    print(f"planted {len(want)}, found {len(got & want)}, missed {len(missed)}, unexpected {len(extra)}: {'OK' if ok else 'MISMATCH'}")
    for m in sorted(missed)[:10]:
        print(f"  missed {m[0]}:{m[1]}:{m[2]}")
    for e in sorted(extra)[:10]:
        print(f"  unexpected {e[0]}:{e[1]}:{e[2]}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
