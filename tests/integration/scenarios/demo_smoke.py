"""`make demo` in small: tests/demo/demo.py --small (3,000 generated records
on 14 ENIs plus late arrivals, fake CloudWatch Logs and fake Logz.io, the
daemon under test until the listener has everything, SIGTERM, the picture).

It exits 0 and ends with the verdict "N records seeded, N shipped, 0
duplicates, 0 lost"; vpcflowd's own log lines are shown and it exited 0;
every late record was shipped; the six panels and the port scan are in the
picture; its working directory is gone and nothing it started is left
running. A daemon that fails (/bin/false) makes the demo fail, cleanly; so
do records that do not arrive in time (--timeout 6: the late ones)."""
import os
import re
import subprocess
import sys
import time

from vtest import VPCFLOWD, check, done

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(os.path.dirname(HERE))
DEMO = os.path.join(ROOT, "tests", "demo", "demo.py")
TITLES = ["ACCEPT vs REJECT", "Bytes and packets over time",
          "Top 10 source addresses (by bytes)", "Top 10 destination addresses (by bytes)",
          "Top destination ports / top source ports (by flows)", "Protocols (by flows)"]


def demo(*args, timeout=120):
    t = time.monotonic()
    proc = subprocess.run([sys.executable, DEMO, "--color", "never"] + list(args),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
    return proc.returncode, proc.stdout.decode("utf-8", "replace"), time.monotonic() - t


def left_running(workdir):
    """Processes whose command line names the demo's working directory."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
            with open("/proc/%s/stat" % pid) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if workdir in cmd and state != "Z":
            found.append("%s %s" % (pid, cmd[:120]))
    return found


def workdir_of(out):
    m = re.search(r"^demo: working directory (\S+)$", out, re.M)
    return m.group(1) if m else None


rc, out, took = demo("--small", "--bin", VPCFLOWD)
print("\n".join("    | " + line for line in out.splitlines()[-30:]))
check(rc == 0, "demo.py --small exits 0 (%d), in %.1f s" % (rc, took))
last = out.rstrip().splitlines()[-1] if out.strip() else ""
m = re.fullmatch(r"(\d+) records seeded, (\d+) shipped, (\d+) duplicates, (\d+) lost", last)
check(m is not None and m.group(1) == m.group(2) and m.group(3) == "0" and m.group(4) == "0"
      and int(m.group(1)) >= 3000,
      "last line is the verdict, every record shipped once: %r" % last)
check(re.search(r"^vpcflowd \| .*info: log group /vpc/flowlogs/demo: shipping to https://", out,
                re.M) is not None, "vpcflowd's own log lines are shown, prefixed")
check(re.search(r"^vpcflowd \| .*info: stopped: read \d+, shipped \d+", out, re.M) is not None,
      "vpcflowd logged its summary when stopped")
check("demo: vpcflowd exited with status 0" in out, "vpcflowd exited 0 on SIGTERM")
m = re.search(r"^demo: late arrivals: (\d+) of (\d+) shipped", out, re.M)
check(m is not None and m.group(1) == m.group(2) and int(m.group(1)) > 0,
      "every late record shipped (%s)" % (m.group(0) if m else "no late line"))
pos = [out.find(t) for t in TITLES]
check(all(p >= 0 for p in pos) and pos == sorted(pos), "the six panels, in order")
check(re.search(r"^demo: port scan: 203\.0\.113\.66 -> 10\.0\.1\.10, \d+ ports", out, re.M)
      is not None, "the port scan is found in the shipped documents")
m = re.search(r"^demo: IPv6: (\d+) flows$", out, re.M)
check("NODATA" in out and "IPv6-ICM" in out and m is not None and int(m.group(1)) > 0,
      "NODATA records, IPv6 flows and ICMPv6 in the picture")
work = workdir_of(out)
check(work is not None and not os.path.exists(work), "working directory %s removed" % work)
check(work is not None and not left_running(work), "nothing left running: %s"
      % (left_running(work) if work else "?"))
check(took < 60, "well under 60 s (%.1f s; about 15 s when the machine is idle)" % took)

rc, out, took = demo("--small", "--bin", "/bin/false")
work = workdir_of(out)
check(rc == 1 and "demo: FAIL: vpcflowd exited with status 1" in out,
      "a daemon that exits 1 makes the demo fail (%d): %s" % (rc, out.strip().splitlines()[-1:]))
check(work is not None and not os.path.exists(work) and not left_running(work),
      "... and it cleans up after itself")

# The late records are read at the 64 s level, >= 6 s after they are added:
# with 6 s in all they are lost (or, on a slow machine, the backlog is not
# read in time). Either way the demo says so and exits 1.
rc, out, took = demo("--small", "--bin", VPCFLOWD, "--timeout", "6")
last = out.rstrip().splitlines()[-1] if out.strip() else ""
m = re.fullmatch(r"(\d+) records seeded, (\d+) shipped, 0 duplicates, (\d+) lost", last)
check(rc == 1 and ((m is not None and int(m.group(3)) > 0
                    and int(m.group(1)) == int(m.group(2)) + int(m.group(3)))
                   or last == "demo: FAIL: vpcflowd did not read the backlog in time"),
      "records missing at the deadline make the demo fail (%d): %r" % (rc, last))
work = workdir_of(out)
check(work is not None and not os.path.exists(work) and not left_running(work),
      "... and it cleans up after itself")
done()
