#!/usr/bin/env python3
"""make bench: figures for `vpcflowd --decode`, printed, never asserted.

Generates a 1,000,000-record corpus in the AWS default (v2) format and one in
the 29-field v5 format (once, cached under build/bench/), then runs
--decode over each (style logzio, and ecs for v2) several times and prints
records/s, MB/s in and out, and peak RSS (median of the runs).
"""
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = sys.argv[1] if len(sys.argv) > 1 else "build/vpcflowd"
OUT = os.path.join("build", "bench")
N = int(os.environ.get("BENCH_RECORDS", "1000000"))
RUNS = int(os.environ.get("BENCH_RUNS", "5"))


def corpus(fmt):
    path = os.path.join(OUT, "corpus-%s-%d.log" % (fmt, N))
    if not os.path.exists(path):
        with open(path + ".tmp", "w") as f:
            subprocess.run([sys.executable, os.path.join(HERE, "gen_flows.py"),
                            "--format", fmt, "--count", str(N), "--header"], stdout=f, check=True)
        os.rename(path + ".tmp", path)
    return path


def one_run(path, style):
    """Decode path to /dev/null (the disk is not what is measured); the
    daemon's own -v summary says how many bytes it wrote."""
    with open(path, "rb") as fin, open(os.devnull, "wb") as fout:
        t0 = time.monotonic()
        proc = subprocess.Popen([BIN, "--decode", "-v", "--style", style], stdin=fin,
                                stdout=fout, stderr=subprocess.PIPE)
        err = proc.stderr.read().decode()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - t0
    m = re.search(r"(\d+) bytes out", err)
    if status != 0 or not m:
        sys.exit("vpcflowd --decode failed (status %d): %s" % (status, err))
    return wall, usage.ru_maxrss, int(m.group(1))


def main():
    os.makedirs(OUT, exist_ok=True)
    print("vpcflowd --decode, %d records, median of %d runs" % (N, RUNS))
    print("%-22s %14s %10s %10s %12s" % ("corpus / style", "records/s", "MB/s in", "MB/s out", "peak RSS"))
    for fmt, style in (("v2", "logzio"), ("v2", "ecs"), ("v5", "logzio")):
        path = corpus(fmt)
        size_in = os.path.getsize(path)
        runs = [one_run(path, style) for _ in range(RUNS)]
        wall = statistics.median(r[0] for r in runs)
        rss = statistics.median(r[1] for r in runs)
        size_out = runs[0][2]
        print("%-22s %14s %10.1f %10.1f %9.1f MB" % (
            "%s / %s" % (fmt, style), "{:,.0f}".format(N / wall),
            size_in / wall / 1e6, size_out / wall / 1e6, rss / 1024.0), flush=True)


if __name__ == "__main__":
    main()
