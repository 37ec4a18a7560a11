#!/usr/bin/env python3
"""Integration-test runner for vpcflowd.

Runs every scenario script (tests/integration/scenarios/*.py) and every
self-test of the fakes (tests/integration/test_*.py) as its own process, with
a time limit, and ends with one line "N passed, N failed". Exit status is
non-zero when anything failed.

Each script gets the daemon under test in $VPCFLOWD and the shared test data
directory in $VPCFLOWD_SHARED, and exits 0 when it passed.
"""
import argparse
import concurrent.futures
import glob
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SLOW_FIRST = ("pipeline_outage", "pipeline_throttle", "aws_creds_refresh", "pipeline_faults",
              "pipeline_sigkill", "pipeline_sigterm")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True, help="the vpcflowd binary under test")
    ap.add_argument("--timeout", type=int, default=300, help="seconds per script")
    ap.add_argument("--jobs", type=int, default=int(os.environ.get("VPCFLOWD_TEST_JOBS", "2")),
                    help="scripts run side by side (default 2, $VPCFLOWD_TEST_JOBS)")
    ap.add_argument("only", nargs="*", help="run only scripts whose name contains one of these")
    args = ap.parse_args()

    # Shared helper modules (a leading "_" or a "_common" suffix) are not scenarios.
    scripts = sorted(s for s in glob.glob(os.path.join(HERE, "scenarios", "*.py"))
                     if not os.path.basename(s).startswith("_")
                     and not s.endswith("_common.py"))
    scripts += sorted(glob.glob(os.path.join(HERE, "test_*.py")))
    if args.only:
        scripts = [s for s in scripts if any(o in os.path.basename(s) for o in args.only)]
    env = dict(os.environ)
    env["VPCFLOWD"] = os.path.abspath(args.bin)
    env["PYTHONPATH"] = HERE + os.pathsep + os.path.join(HERE, "scenarios") + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONDONTWRITEBYTECODE"] = "1"

    def run_one(script):
        name = os.path.relpath(script, HERE)
        start = time.monotonic()
        try:
            proc = subprocess.run([sys.executable, script], env=env, cwd=HERE,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  timeout=args.timeout)
            ok = proc.returncode == 0
            output = proc.stdout.decode("utf-8", "replace")
            why = "exit %d" % proc.returncode
        except subprocess.TimeoutExpired as e:
            ok = False
            output = (e.stdout or b"").decode("utf-8", "replace")
            why = "timed out after %ds" % args.timeout
        return name, ok, output, why, time.monotonic() - start

    # Scenarios mostly wait (compressed time, backoffs), so two run side by
    # side; the slow ones start first.
    scripts.sort(key=lambda s: (not any(k in s for k in SLOW_FIRST), s))
    passed = failed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for name, ok, output, why, took in pool.map(run_one, scripts):
            if ok:
                passed += 1
                print("PASS %-45s %6.1fs" % (name, took), flush=True)
            else:
                failed += 1
                print("FAIL %-45s %6.1fs (%s)" % (name, took, why), flush=True)
                for line in output.rstrip().splitlines()[-40:]:
                    print("    | " + line)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed or not scripts else 0


if __name__ == "__main__":
    sys.exit(main())
