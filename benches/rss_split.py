#!/usr/bin/env python3
"""Peak memory of a command, split by kind: anonymous (heap) and file-backed pages.

    rss_split.py COMMAND [ARG...]

Samples /proc/PID/status every 10 ms and prints the peak of VmRSS, RssAnon and
RssFile (MiB), and when each peak was reached. GNU time's %M is the peak VmRSS;
this says how much of it is the heap and how much is mapped files (for `git`, the
pack files libgit2 maps), which call for different fixes. Sampling can miss a peak
shorter than 10 ms.
"""

import subprocess
import sys
import time


def status(pid):
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "RssAnon", "RssFile", "RssShmem"):
                    out[k] = int(v.split()[0])
    except OSError:
        pass
    return out


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    start = time.perf_counter()
    p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
    peak = {}
    while p.poll() is None:
        s = status(p.pid)
        t = time.perf_counter() - start
        for k, v in s.items():
            if v > peak.get(k, (0, 0))[0]:
                peak[k] = (v, t)
        time.sleep(0.01)
    total = time.perf_counter() - start
    print(f"exit {p.returncode} after {total:.2f} s")
    for k in ("VmRSS", "RssAnon", "RssFile"):
        v, t = peak.get(k, (0, 0))
        print(f"  peak {k:<8} {v / 1024:8.1f} MiB at {t:6.2f} s")


if __name__ == "__main__":
    main()
