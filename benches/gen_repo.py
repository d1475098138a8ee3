#!/usr/bin/env python3
"""Builds the benchmark repositories with `git fast-import` (seconds, not minutes).

    gen_repo.py history OUT [--commits N]   a history with realistic churn and planted keys
    gen_repo.py wide OUT [--files N]        one commit of N small files (for `staged`)

`history` writes OUT/planted.json: each planted key (generated here, from a seeded
random source: no key exists anywhere else) with the case it stands for:
  deleted     added in one commit, deleted a few commits later
  side        only on a side branch
  message     only in a commit message
  unreachable only in a commit that no ref reaches (as after `git commit --amend`)
  head        still in the tree at HEAD (several, one in a file edited many times)
  dotenv      inside a committed .env file
"""

import argparse
import json
import os
import random
import subprocess
import sys

WORDS = (
    "const let return function import export from await async if else for while "
    "user order item price total cache client server request response config value "
    "index count result error data list map filter reduce render props state token"
).split()
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def key(rng, kind="live"):
    while True:
        body = "".join(rng.choice(ALNUM) for _ in range(32))
        if any(c.isdigit() for c in body):
            return f"qrcp_{kind}_{body}"


def line(rng):
    n = rng.randint(3, 10)
    indent = "    " * rng.randint(0, 3)
    return indent + " ".join(rng.choice(WORDS) for _ in range(n)) + ";"


class Importer:
    def __init__(self, repo):
        self.p = subprocess.Popen(
            ["git", "fast-import", "--quiet", "--done"],
            cwd=repo,
            stdin=subprocess.PIPE,
            env=dict(os.environ, GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1"),
        )
        self.out = self.p.stdin
        self.mark = 0
        self.time = 1_600_000_000

    def w(self, s):
        self.out.write(s.encode() if isinstance(s, str) else s)

    def data(self, text):
        b = text.encode()
        self.w(f"data {len(b)}\n")
        self.w(b)
        self.w("\n")

    def commit(self, ref, msg, changes, parent=None, author="Dev One <dev@example.com>"):
        """changes: list of ("M", path, text) or ("D", path)."""
        self.mark += 1
        self.time += 600
        self.w(f"commit {ref}\nmark :{self.mark}\n")
        self.w(f"author {author} {self.time} +0000\ncommitter {author} {self.time} +0000\n")
        self.data(msg)
        if parent:
            self.w(f"from {parent}\n")
        for c in changes:
            if c[0] == "M":
                self.w(f"M 100644 inline {c[1]}\n")
                self.data(c[2])
            else:
                self.w(f"D {c[1]}\n")
        self.w("\n")
        return f":{self.mark}"

    def finish(self):
        self.w("done\n")
        self.out.close()
        if self.p.wait() != 0:
            sys.exit("git fast-import failed")


def git(repo, *args):
    subprocess.run(["git", *args], cwd=repo, check=True,
                   env=dict(os.environ, GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1"))


def history(out, commits, seed=20260):
    rng = random.Random(seed)
    os.makedirs(out, exist_ok=True)
    git(out, "init", "-q", "-b", "main")
    imp = Importer(out)
    files = {}  # path -> list of lines
    dirs = [f"src/mod{i:02d}" for i in range(60)] + [f"lib/pkg{i:02d}/util" for i in range(30)]

    def new_file():
        d = rng.choice(dirs)
        p = f"{d}/{rng.choice(WORDS)}_{rng.randrange(10**6)}.{rng.choice(['js', 'ts', 'py', 'go'])}"
        files[p] = [line(rng) for _ in range(rng.randint(30, 120))]
        return p

    planted = []
    first = [("M", p, "\n".join(files[p]) + "\n") for p in (new_file() for _ in range(1500))]
    last = imp.commit("refs/heads/main", "initial import\n", first)

    k_deleted, k_side, k_msg, k_unreach = key(rng), key(rng), key(rng), key(rng)
    k_head, k_churn, k_dotenv = key(rng), key(rng, "test"), key(rng)
    planted += [
        {"case": "deleted", "key": k_deleted},
        {"case": "side", "key": k_side},
        {"case": "message", "key": k_msg},
        {"case": "unreachable", "key": k_unreach},
        {"case": "head", "key": k_head},
        {"case": "head-churned", "key": k_churn},
        {"case": "dotenv", "key": k_dotenv},
    ]
    churned = new_file()
    at = {
        commits // 10: "deleted-add",
        commits // 10 + 25: "deleted-remove",
        commits // 4: "side",
        commits // 3: "message",
        commits // 2: "unreachable",
        (2 * commits) // 3: "head",
        commits // 5: "churn",
        (3 * commits) // 4: "dotenv",
    }
    leak_path = None
    for n in range(1, commits):
        changes = []
        event = at.get(n)
        msg = f"{rng.choice(WORDS)} {rng.choice(WORDS)}: update {n}\n"
        for _ in range(rng.choice([1, 1, 2, 2, 3, 4])):
            p = rng.choice(list(files)) if rng.random() > 0.02 else new_file()
            lines = files[p]
            for _ in range(rng.randint(1, 6)):
                i = rng.randrange(len(lines) + 1)
                if rng.random() < 0.3 and lines:
                    del lines[min(i, len(lines) - 1)]
                else:
                    lines.insert(i, line(rng))
            changes.append(("M", p, "\n".join(lines) + "\n"))
        if rng.random() < 0.01 and len(files) > 100:
            gone = rng.choice(list(files))
            if gone != churned:
                del files[gone]
                changes = [c for c in changes if c[1] != gone] + [("D", gone)]
        if event == "deleted-add":
            leak_path = "src/settings/api.js"
            files[leak_path] = ["export const config = {", f'  apiKey: "{k_deleted}",', "};"]
            changes.append(("M", leak_path, "\n".join(files[leak_path]) + "\n"))
        elif event == "deleted-remove":
            if len(files[leak_path]) < 2:  # short histories: random edits may have shrunk it
                files[leak_path] = ["export const config = {", "", "};"]
            files[leak_path][1] = "  apiKey: process.env.QRCP_KEY,"
            changes.append(("M", leak_path, "\n".join(files[leak_path]) + "\n"))
        elif event == "side":
            side = imp.commit("refs/heads/feature/payments", "try payments\n",
                              [("M", "src/payments/client.ts", f'const key = "{k_side}";\n')],
                              parent=last)
            imp.commit("refs/heads/feature/payments", "more payments\n",
                       [("M", "src/payments/more.ts", "export {};\n")], parent=side)
        elif event == "message":
            msg = f"fix the client\n\nused {k_msg} while testing\n"
        elif event == "unreachable":
            # Committed, then amended away: only an unreachable commit holds it.
            imp.commit("refs/heads/tmp-amended", "wip\n",
                       [("M", "src/wip.py", f"KEY = '{k_unreach}'\n")], parent=last)
        elif event == "head":
            files["deploy/config.yaml"] = ["service: web", f"key: {k_head}"]
            changes.append(("M", "deploy/config.yaml", "\n".join(files["deploy/config.yaml"]) + "\n"))
        elif event == "churn":
            files[churned].insert(0, f'const TEST_KEY = "{k_churn}";')
        elif event == "dotenv":
            changes.append(("M", "services/api/.env", f"PORT=8080\nQRCP_KEY={k_dotenv}\n"))
        if churned in files and rng.random() < 0.05:
            files[churned].append(line(rng))
            changes.append(("M", churned, "\n".join(files[churned]) + "\n"))
        last = imp.commit("refs/heads/main", msg, changes)
        if n % 5000 == 0:
            imp.w(f"tag v{n // 5000}.0\nfrom {last}\ntagger Rel <rel@example.com> {imp.time} +0000\n")
            imp.data(f"release {n // 5000}.0\n")
    imp.finish()
    git(out, "update-ref", "-d", "refs/heads/tmp-amended")
    git(out, "symbolic-ref", "HEAD", "refs/heads/main")
    with open(os.path.join(out, "planted.json"), "w") as f:
        json.dump(planted, f, indent=1)


def wide(out, n):
    rng = random.Random(7)
    os.makedirs(out, exist_ok=True)
    git(out, "init", "-q", "-b", "main")
    imp = Importer(out)
    changes = []
    for i in range(n):
        d = f"pkg{i % 500:03d}/sub{(i // 500) % 10}"
        changes.append(("M", f"{d}/file{i}.ts", "\n".join(line(rng) for _ in range(8)) + "\n"))
    imp.commit("refs/heads/main", "wide tree\n", changes)
    imp.finish()
    git(out, "symbolic-ref", "HEAD", "refs/heads/main")
    git(out, "checkout", "-q", "-f", "main")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["history", "wide"])
    ap.add_argument("out")
    ap.add_argument("--commits", type=int, default=20000)
    ap.add_argument("--files", type=int, default=100000)
    ap.add_argument("--seed", type=int, default=20260, help="history: another seed, other keys")
    a = ap.parse_args()
    if a.what == "history":
        history(a.out, a.commits, a.seed)
    else:
        wide(a.out, a.files)


if __name__ == "__main__":
    main()
