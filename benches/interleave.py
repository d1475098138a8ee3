#!/usr/bin/env python3
"""Runs commands interleaved (A B C, A B C, ...) and records medians, for benches/perf.sh.

    interleave.py RESULTS ROW --runs N [--warmup W] [--cwd DIR] [--goal X] [--mem-goal MIB]
                  -- NAME 'COMMAND' [NAME 'COMMAND' ...]

The first command is the one measured; the second is its reference: the row's ratio
is median(first) / median(second), goal met when it is <= X. Every run's wall time
and the child's rusage (user + system CPU, peak RSS: the ru_maxrss that GNU time's
%M reports) come from wait4. Output goes to /dev/null; exit statuses are recorded,
not judged (`git diff --quiet` exits 1 on a change, a scan 1 on findings), except
that a status above 1 (or not in --ok) or a signal fails the row. One JSON line per row is appended
to RESULTS, with the load average before and after; `interleave.py --table RESULTS`
prints them all.
"""

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import time


def load():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def argv(cmd):
    """The command's argv: run directly unless it needs a shell."""
    if any(ch in cmd for ch in "<>|&;$`*?()"):
        return ["sh", "-c", cmd]
    return shlex.split(cmd)


def run_once(cmd, cwd):
    """Wall time and CPU of one run, spawned directly (no wrapper in the timing)."""
    t = time.perf_counter()
    p = subprocess.Popen(argv(cmd), cwd=cwd, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # Read stderr while waiting so that a chatty child cannot block on a full pipe.
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    p.returncode = os.waitstatus_to_exitcode(status)
    return {
        "wall": wall,
        "cpu": ru.ru_utime + ru.ru_stime,
        "status": p.returncode,
        "stderr": err.decode(errors="replace")[-400:],
    }


def peak_rss(cmd, cwd, tmp):
    """Peak RSS in KiB of one run under GNU time (%M). Not from this process's wait4:
    a child forked from Python inherits the interpreter's high-water mark."""
    subprocess.run(["/usr/bin/time", "-f", "%M", "-o", tmp, *argv(cmd)], cwd=cwd,
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(tmp) as f:
        return int(f.read().split()[-1])


def measure(args):
    pairs = args.commands
    if not pairs or len(pairs) % 2:
        sys.exit("interleave.py: expected NAME COMMAND pairs after --")
    cmds = list(zip(pairs[::2], pairs[1::2]))
    if args.spawn_floor:
        cmds.append(("spawn floor (true)", "true"))
    before = load()
    # The warm-up run of each command is the one under GNU time, for its peak RSS.
    tmp = args.results + ".time"
    rss = {n: peak_rss(c, args.cwd, tmp) for n, c in cmds}
    for _ in range(args.warmup - 1):
        for _, c in cmds:
            run_once(c, args.cwd)
    runs = {n: [] for n, _ in cmds}
    for _ in range(args.runs):
        for n, c in cmds:
            runs[n].append(run_once(c, args.cwd))
    after = load()
    out = {"row": args.row, "runs": args.runs, "load_before": before, "load_after": after,
           "goal": args.goal, "mem_goal_mib": args.mem_goal, "note": args.note, "commands": []}
    failed = False
    for n, c in cmds:
        rs = runs[n]
        bad = [r for r in rs if r["status"] not in args.ok]
        if bad:
            failed = True
            print(f"    {n}: exit {bad[0]['status']}: {bad[0]['stderr'].strip()}", file=sys.stderr)
        out["commands"].append({
            "name": n, "command": c,
            "wall_median": statistics.median(r["wall"] for r in rs),
            "wall_min": min(r["wall"] for r in rs),
            "cpu_median": statistics.median(r["cpu"] for r in rs),
            "rss_max_kib": rss[n],
            "status": sorted({r["status"] for r in rs}),
        })
    first, ref = out["commands"][0], (out["commands"][1] if len(cmds) > 1 else None)
    if ref:
        out["ratio"] = first["wall_median"] / ref["wall_median"]
        out["cpu_ratio"] = first["cpu_median"] / max(ref["cpu_median"], 1e-9)
    if args.spawn_floor:
        floor = out["commands"][-1]["wall_median"]
        out["net_ratio"] = (first["wall_median"] - floor) / max(ref["wall_median"] - floor, 1e-9)
    out["failed"] = failed
    with open(args.results, "a") as f:
        f.write(json.dumps(out) + "\n")
    print_row(out)
    return 1 if failed else 0


def fmt_t(s):
    return f"{s * 1000:.1f} ms" if s < 1 else f"{s:.2f} s"


def verdict(out):
    parts = []
    if out.get("goal") is not None and "ratio" in out:
        parts.append("ok" if out["ratio"] <= out["goal"] else "MISSES")
    if out.get("mem_goal_mib") is not None:
        mib = out["commands"][0]["rss_max_kib"] / 1024
        parts.append("mem ok" if mib <= out["mem_goal_mib"] else "mem MISSES")
    return ", ".join(parts)


def print_row(out):
    head = f"  [{out['row']}] {out['runs']} interleaved runs, load {out['load_before']} -> {out['load_after']}"
    print(head)
    for c in out["commands"]:
        print(f"    {c['name']:<24} wall median {fmt_t(c['wall_median']):>10} (min {fmt_t(c['wall_min'])}), "
              f"cpu {fmt_t(c['cpu_median'])}, peak RSS {c['rss_max_kib'] / 1024:.1f} MiB, exit {c['status']}")
    if "ratio" in out:
        goal = f" goal <= {out['goal']}" if out.get("goal") is not None else ""
        print(f"    ratio {out['commands'][0]['name']} / {out['commands'][1]['name']}: "
              f"{out['ratio']:.2f} wall, {out['cpu_ratio']:.2f} cpu"
              + (f", {out['net_ratio']:.2f} net of spawning" if "net_ratio" in out else "")
              + f";{goal} {verdict(out)}")
    elif out.get("mem_goal_mib") is not None:
        print(f"    {verdict(out)}")


def table(path):
    rows = [json.loads(line) for line in open(path) if line.strip()]
    print(f"{'row':<22} {'measured':>10} {'reference':>10} {'ratio':>6} {'min/min':>7} {'goal':>6} "
          f"{'peak RSS':>10} {'load (1/5/15 min)':>18}  verdict")
    for r in rows:
        c = r["commands"]
        ref = c[1] if len(c) > 1 else None
        print(f"{r['row']:<22} {fmt_t(c[0]['wall_median']):>10} "
              f"{fmt_t(ref['wall_median']) if ref else '':>10} "
              f"{(format(r['ratio'], '.2f') if 'ratio' in r else ''):>6} "
              f"{(format(c[0]['wall_min'] / ref['wall_min'], '.2f') if ref else ''):>7} "
              f"{(str(r['goal']) if r.get('goal') is not None else ''):>6} "
              f"{c[0]['rss_max_kib'] / 1024:>6.1f} MiB {r['load_before']:>18}  {verdict(r)}"
              f"{'  FAILED RUN' if r.get('failed') else ''}")
        for extra in c[2:]:
            print(f"{'  ' + extra['name']:<22} {fmt_t(extra['wall_median']):>10} {'':>10} "
                  f"{extra['wall_median'] / c[0]['wall_median']:>5.2f}x of {c[0]['name']}"
                  f"  {extra['rss_max_kib'] / 1024:.1f} MiB")
        if "net_ratio" in r:
            print(f"{'':<22} net of process start-up: {r['net_ratio']:.2f}; cpu ratio {r['cpu_ratio']:.2f}")
        if r.get("note"):
            print(f"{'':<22} {r['note']}")


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--table":
        table(sys.argv[2])
        return 0
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("row")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--cwd")
    ap.add_argument("--goal", type=float)
    ap.add_argument("--mem-goal", type=float)
    ap.add_argument("--note")
    ap.add_argument("--spawn-floor", action="store_true")
    ap.add_argument("--ok", default="0,1", type=lambda v: {int(x) for x in v.split(",")},
                    help="exit statuses that are not failures (Kingfisher exits 200 on findings)")
    argv = sys.argv[1:]
    if "--" not in argv:
        sys.exit("interleave.py: expected -- NAME COMMAND [NAME COMMAND ...]")
    cut = argv.index("--")
    a = ap.parse_args(argv[:cut])
    a.commands = argv[cut + 1:]
    return measure(a)


if __name__ == "__main__":
    sys.exit(main())
