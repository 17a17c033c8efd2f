#!/usr/bin/env python3
"""Run `nids stats` (with each `--threads` count asked for) and the libnids
harness over one capture, in turn, and compare them.  Called by bench/run.sh
(which builds everything and makes the capture); usable alone:

  bench/run.py --runs 5 --threads 1,2 --nids target/release/nids --libnids WORK/libnids_stats CAPTURE

With more than one thread, nids reports the CPU time of its reader, of each
shard and of the merge (NIDS_SHARD_REPORT=1, from /proc/thread-self/schedstat);
the medians give the projection to more cores printed at the end.

For each run: wall time (perf_counter around fork/wait), CPU time (user+sys
from wait4's rusage), peak RSS (the tool's ru_maxrss, what `/usr/bin/time -v`
prints as "Maximum resident set size"; measured by it) and peak anonymous RSS (RssAnon from
/proc/PID/status, sampled every 2 ms: the file-backed pages of a memory-mapped
capture are page cache, counted in RSS but not in RssAnon).  Medians over the
runs; the ratio is libnids' time over nids-rs' time (> 1: nids-rs is faster).
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time


def child_of(pid):
    """The first child of pid (the tool, under /usr/bin/time and taskset)."""
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            kids = f.read().split()
        return int(kids[0]) if kids else None
    except OSError:
        return None


def run_one(cmd, cpu, tmp, env=None):
    # /usr/bin/time reports the tool's peak RSS (wait4's own ru_maxrss would
    # include the forked Python's pages from before exec).
    if cpu is not None:
        cmd = ["taskset", "-c", str(cpu)] + cmd
    cmd = ["/usr/bin/time", "-f", "%M", "-o", tmp] + cmd
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=dict(os.environ, **(env or {})))
    anon = 0
    tool = None
    while True:
        pid, st, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        if tool is None:
            tool = child_of(p.pid)
        if tool is not None:
            try:
                with open("/proc/%d/status" % tool) as f:
                    for line in f:
                        if line.startswith("RssAnon:"):
                            anon = max(anon, int(line.split()[1]))
            except OSError:
                pass
        time.sleep(0.002)
    wall = time.perf_counter() - t0
    out = p.stdout.read().decode()
    err = p.stderr.read().decode()
    code = os.waitstatus_to_exitcode(st)
    if code != 0:
        sys.exit("failed (%d): %s\n%s%s" % (code, " ".join(cmd), out, err))
    with open(tmp) as f:
        rss = int(f.read().split()[-1])
    return {
        "wall": wall,
        "cpu": ru.ru_utime + ru.ru_stime,
        "user": ru.ru_utime,
        "sys": ru.ru_stime,
        "rss": rss,
        "anon": anon,
        "out": out,
        "err": err,
    }


def num(pattern, text):
    m = re.search(pattern, text, re.M)
    return int(m.group(1)) if m else None


def shard_cpu(err):
    """(reader, [shards], merge) CPU seconds from nids' NIDS_SHARD_REPORT line."""
    m = re.search(r"cpu ms: reader ([\d.-]+), shards \[([^\]]*)\], merge ([\d.-]+)", err)
    if not m:
        return None
    shards = [float(x) / 1e3 for x in m.group(2).split(", ") if x]
    return float(m.group(1)) / 1e3, shards, float(m.group(3)) / 1e3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("capture")
    ap.add_argument("--nids", required=True)
    ap.add_argument("--libnids", required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--streams", type=int, default=None,
                    help="--streams N for nids; libnids gets n_tcp_streams = ceil((N-1)*4/3)")
    ap.add_argument("--cpu", type=int, default=None, help="pin both to this CPU (taskset)")
    ap.add_argument("--threads", default="1",
                    help="comma-separated --threads values for nids (default 1)")
    a = ap.parse_args()
    tmp = tempfile.mktemp(prefix="nids-bench-time.")
    threads = [int(t) for t in a.threads.split(",")]

    nids = [a.nids, "stats", a.capture]
    lib = [a.libnids, a.capture]
    if a.streams:
        nids[2:2] = ["--streams", str(a.streams)]
        # libnids allows 3*n/4+1 streams at once: the smallest n giving N
        n = 4
        while 3 * n // 4 + 1 < a.streams:
            n += 1
        lib[1:1] = ["--streams", str(n)]

    # warm the page cache and check both agree
    w1, w2 = run_one(nids, a.cpu, tmp), run_one(lib, a.cpu, tmp)
    frames = num(r"^frames\s+(\d+)", w1["out"])
    fbytes = num(r"^bytes\s+(\d+)", w1["out"])
    n_bytes = num(r"^tcp bytes\s+(\d+)", w1["out"])
    l_bytes = num(r"^tcp bytes\s+(\d+)", w2["out"])
    n_rep = num(r"^tcp streams\s+\d+ \(\d+ established, (\d+) reported", w1["out"])
    l_rep = num(r"^tcp streams\s+\d+ established, (\d+) reported", w2["out"])
    print("capture: %s: %d frames, %d bytes of frames (%.0f MB)" % (a.capture, frames, fbytes, fbytes / 1e6))
    print("check: tcp bytes delivered nids-rs %d, libnids %d; streams reported nids-rs %d, libnids %d%s" % (
        n_bytes, l_bytes, n_rep, l_rep,
        "  (equal)" if (n_bytes, n_rep) == (l_bytes, l_rep) else "  ** DIFFERENT **"))
    tools = [("nids-t%d" % t, nids + ["--threads", str(t)], {"NIDS_SHARD_REPORT": "1"} if t > 1 else None)
             for t in threads] + [("libnids", lib, None)]
    print("commands: %s%s" % (" | ".join(" ".join(c) for _, c, _ in tools),
                               "  (pinned to CPU %d)" % a.cpu if a.cpu is not None else ""))
    print()

    res = {name: [] for name, _, _ in tools}
    hdr = "%-4s %-8s %8s %8s %8s %8s %9s %9s" % ("run", "tool", "wall s", "cpu s", "user s", "sys s",
                                                 "maxrss", "rss-anon")
    print(hdr)
    for i in range(a.runs):
        # rotate which goes first
        k = i % len(tools)
        for name, cmd, env in tools[k:] + tools[:k]:
            r = run_one(cmd, a.cpu, tmp, env)
            res[name].append(r)
            print("%-4d %-8s %8.3f %8.3f %8.3f %8.3f %7.1fMB %7.1fMB" % (
                i + 1, name, r["wall"], r["cpu"], r["user"], r["sys"], r["rss"] / 1024, r["anon"] / 1024))
        sys.stdout.flush()

    print()
    med = {}
    print("%-8s %10s %12s %10s %12s %10s %10s" % (
        "median", "wall s", "packets/s", "MB/s", "cpu s", "maxrss", "rss-anon"))
    for name, _, _ in tools:
        rs = res[name]
        m = {k: statistics.median(r[k] for r in rs) for k in ("wall", "cpu", "rss", "anon")}
        med[name] = m
        print("%-8s %10.3f %12.0f %10.1f %12.3f %8.1fMB %8.1fMB" % (
            name, m["wall"], frames / m["wall"], fbytes / m["wall"] / 1e6, m["cpu"],
            m["rss"] / 1024, m["anon"] / 1024))
    l = med["libnids"]
    for name, _, _ in tools[:-1]:
        n = med[name]
        per_run = [lr["wall"] / nr["wall"] for nr, lr in zip(res[name], res["libnids"])]
        per_run_cpu = [lr["cpu"] / nr["cpu"] for nr, lr in zip(res[name], res["libnids"]) if nr["cpu"] > 0]
        print()
        print("ratio %s/libnids throughput (median wall): %.2fx   (per-run: %s)" % (
            name, l["wall"] / n["wall"], " ".join("%.2f" % x for x in per_run)))
        print("ratio %s/libnids throughput (median cpu):  %.2fx   (per-run: %s)" % (
            name, l["cpu"] / n["cpu"] if n["cpu"] else float("nan"), " ".join("%.2f" % x for x in per_run_cpu)))
        print("ratio %s/libnids peak RSS:                 %.2fx   (anonymous only: %.2fx)" % (
            name, n["rss"] / l["rss"], n["anon"] / l["anon"] if l["anon"] else float("nan")))

    for t in threads:
        if t < 2:
            continue
        split = [c for c in (shard_cpu(r["err"]) for r in res["nids-t%d" % t]) if c]
        if not split:
            continue
        reader = statistics.median(c[0] for c in split)
        shards = [statistics.median(c[1][i] for c in split) for i in range(t)]
        merge = statistics.median(c[2] for c in split)
        total = reader + sum(shards) + merge
        print()
        print("threads %d, median CPU: reader %.3f s (%.1f %%), shards %s s, merge %.3f s (%.1f %%)" % (
            t, reader, 100 * reader / total, " ".join("%.3f" % x for x in shards), merge, 100 * merge / total))
        # The shards' work divides among more shards; the reader and the
        # merge stay one thread each. With C cores: wall >= the larger of the
        # reader's, the merge's, and all the CPU time over C. Against
        # libnids' CPU time: its wall time on an idle core (a loaded machine
        # inflates wall times, not CPU times).
        for cores in (4, 8, 16):
            wall = max(reader, merge, total / cores)
            print("projection to %2d cores: wall >= %.3f s (%s-bound), %.1fx libnids' median CPU time"
                  % (cores, wall, "reader" if wall == reader else "merge" if wall == merge else "CPU",
                     l["cpu"] / wall))


if __name__ == "__main__":
    main()
