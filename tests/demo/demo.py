#!/usr/bin/env python3
"""vpcflowd demo: a day of VPC flow logs, from CloudWatch Logs to Logz.io.

  demo.py [--bin build/vpcflowd] [--small] [--records N] [--enis M]
          [--late L] [--seed S] [--keep] [--color auto|always|never]

What `make demo` runs. On 127.0.0.1 only, in a temporary directory:

1. tests/demo/traffic.py generates a day of VPC traffic (web, app, database,
   DNS, SSH, egress, ICMP, internet noise, a port scan, IPv6, NODATA and
   SKIPDATA records) on tens of network interfaces, one log stream per ENI,
   timestamps over the 24 h ending about a minute ago, each record ingested
   by CloudWatch 1-10 minutes after its flow ended.
2. tests/integration/fakeaws.py serves it as CloudWatch Logs (SigV4 checked,
   TLS with a throwaway CA); tests/integration/fakelogzio.py is the Logz.io
   listener (TLS, token checked), storing what it accepts (--store).
3. vpcflowd runs in the foreground on a configuration written here
   (start_position "-1d", a token file of mode 0600, poll_interval 1 s,
   max_delay 11 min); its log lines are shown, prefixed "vpcflowd |".
4. Late arrivals: once vpcflowd runs, records of flows that started 40-50 s
   ago are added, ingested 1-10 min after they ended, and the fake's data
   clock (the ingestion time CloudWatch has reached) runs 100 times faster,
   so they appear over the next seconds, after vpcflowd's first scan of
   their time range: a later scan level picks them up.
5. When the listener holds every record (counted by event_id), vpcflowd is
   stopped with SIGTERM (it must exit 0), the fakes are stopped, and
   tests/integration/traffic_picture.py draws the six panels of the classic
   VPC flow dashboard from the listener's store. Last line, the verdict:
   "N records seeded, N shipped, 0 duplicates, 0 lost".

Exit status 0 only when every record was shipped exactly once, nothing else
arrived and vpcflowd exited 0; 1 otherwise, 2 on usage errors, 130 when
interrupted. Every process it starts is in a process group of its own,
dies with it (PR_SET_PDEATHSIG) and is stopped in a finally block.
--small (the demo_smoke scenario) is the same on 3,000 records and 14 ENIs,
in under 20 s. Python standard library only.
"""
import argparse
import collections
import ctypes
import datetime
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
START_MARGIN_S = 300        # the generated day starts this long after now - 24 h
ROOT = os.path.dirname(os.path.dirname(HERE))
INTEGRATION = os.path.join(ROOT, "tests", "integration")
sys.path[:0] = [HERE, INTEGRATION, os.path.join(INTEGRATION, "scenarios")]
import traffic  # noqa: E402
from fakeaws import DEFAULT_REGION  # noqa: E402
import pipeline_common  # noqa: E402

GROUP = "/vpc/flowlogs/demo"
TOKEN = "demoLogzioShippingToken0123456789"
VERDICT = "%d records seeded, %d shipped, %d duplicates, %d lost"


class Failure(Exception):
    """The demo cannot go on: say why, stop everything, exit 1."""


class Interrupted(BaseException):
    """SIGINT / SIGTERM / SIGHUP while running: clean up, exit 130."""


def say(text=""):
    print(("demo: " + text) if text else "", flush=True)


def n(x):
    return "{:,}".format(x)


try:
    _PRCTL = ctypes.CDLL(None, use_errno=True).prctl    # resolved before any fork
except (OSError, AttributeError):
    _PRCTL = None


def _die_with_parent():
    """preexec_fn (nothing but a system call): SIGKILL when the demo dies."""
    if _PRCTL is not None:
        _PRCTL(1, signal.SIGKILL)           # PR_SET_PDEATHSIG


class Child:
    """A process of the demo: its own process group, stderr shown with a prefix."""

    def __init__(self, name, argv, env=None, prefix=None, keep_lines=False):
        self.name = name
        self.lines = []
        self.proc = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     start_new_session=True, preexec_fn=_die_with_parent)
        self.prefix = prefix if prefix is not None else "%-8s | " % name
        self.keep = keep_lines
        self.thread = threading.Thread(target=self._pump, name=name + "-stderr", daemon=True)
        self.thread.start()

    def _pump(self):
        for raw in iter(self.proc.stderr.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            if self.keep:
                self.lines.append(line)
            sys.stdout.write(self.prefix + line + "\n")
            sys.stdout.flush()

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def signal(self, sig):
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass

    def wait(self, timeout):
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        self.thread.join(2)
        return rc

    def stop(self, timeout=5):
        """SIGTERM to the group, SIGKILL after timeout; returns the exit status."""
        if self.proc.stdin and not self.proc.stdin.closed:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        if self.alive():
            self.signal(signal.SIGTERM)
        rc = self.wait(timeout)
        if rc is None:
            self.signal(signal.SIGKILL)
            rc = self.wait(timeout)
        self.signal(signal.SIGKILL)       # anything left in its group
        return rc


def start_fake(children, work, name, tag, args):
    """fakeaws.py or fakelogzio.py with the control API, its TLS files, port
    file and CA in work (tag.port, tag-ca.pem, tls-tag/); at most 10 min."""
    script = {"fakeaws": "fakeaws.py", "logzio": "fakelogzio.py"}[name]
    child = Child(name, [sys.executable, os.path.join(INTEGRATION, script), "--control",
                         "--port-file", os.path.join(work, tag + ".port"),
                         "--ca-out", os.path.join(work, tag + "-ca.pem"),
                         "--tls-dir", os.path.join(work, "tls-" + tag),
                         "--max-lifetime", "600"] + args)
    children.append(child)
    return child


def wait_for_file(path, child, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if os.path.exists(path):
            with open(path) as f:
                text = f.read().strip()
            if text:
                return text
        if not child.alive():
            raise Failure("%s exited with status %s before it was ready"
                          % (child.name, child.proc.returncode))
        time.sleep(0.05)
    raise Failure("%s not ready after %d s" % (child.name, timeout))


class Store:
    """Reads the listener's JSONL store as it grows: event_id -> times stored,
    and with findings=True what the demo points out in the documents."""

    def __init__(self, path, findings=False):
        self.path, self.offset, self.rest = path, 0, b""
        self.counts = collections.Counter()
        self.bad = 0
        self.findings = findings
        self.rejected = collections.defaultdict(lambda: [0, set(), collections.Counter()])
        self.ssh = collections.Counter()
        self.ipv6 = 0

    def update(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read()
        except FileNotFoundError:
            return self.counts
        self.offset += len(data)
        data = self.rest + data
        lines = data.split(b"\n")
        self.rest = lines.pop()
        for line in lines:
            if not line.strip():
                continue
            try:
                doc = json.loads(line)["doc"]
                self.counts[doc["event_id"]] += 1
            except (ValueError, KeyError, TypeError):
                self.bad += 1
                continue
            if self.findings:
                self.find(doc)
        return self.counts

    def find(self, doc):
        src = doc.get("srcaddr")
        if not isinstance(src, str):
            return
        if ":" in src:
            self.ipv6 += 1
        if doc.get("action") == "REJECT":
            r = self.rejected[src]
            r[0] += 1
            r[1].add(doc.get("dstport"))
            r[2][doc.get("dstaddr")] += 1
        elif doc.get("dstport") == 22 and doc.get("action") == "ACCEPT":
            self.ssh[src] += 1

    def story(self):
        """A few lines on the seeded stories, as the shipped documents tell them."""
        out = []
        if self.rejected:
            src, (flows, ports, dsts) = max(self.rejected.items(),
                                            key=lambda kv: (len(kv[1][1]), kv[0]))
            dst, hits = dsts.most_common(1)[0]
            out.append("port scan: %s -> %s, %s ports in %s flows, all REJECTed "
                       "(%s REJECTed flows in all)" % (
                           src, dst, n(len(ports)), n(flows),
                           n(sum(v[0] for v in self.rejected.values()))))
        if self.ssh:
            out.append("SSH accepted from %s" % ", ".join(
                "%s (%s)" % (a, n(c)) for a, c in self.ssh.most_common(4)))
        out.append("IPv6: %s flows" % n(self.ipv6))
        return out


def control(url, ca, doc=None, path="/__control"):
    """A fake's control API: GET path, or POST the control document doc."""
    req = urllib.request.Request(url + path, headers={"Content-Type": "application/json"},
                                 data=None if doc is None else json.dumps(doc).encode())
    ctx = ssl.create_default_context(cafile=ca)
    with urllib.request.urlopen(req, timeout=10, context=ctx) as resp:
        return json.loads(resp.read())


def wait_caught_up(url, ca, daemon, deadline):
    """Wait until vpcflowd has read the backlog: the youngest scan levels read
    up to the last 20 s only after the older ones are done (the oldest level
    is served first). From the fake's request log."""
    since = 0
    while time.monotonic() < deadline:
        doc = control(url, ca, path="/__control/log?op=FilterLogEvents&since=%d" % since)
        since = doc["next"]
        now_ms = time.time() * 1000
        for e in doc["entries"]:
            end = (e.get("params") or {}).get("endTime")
            if e.get("status") == 200 and isinstance(end, int) and end >= now_ms - 20000:
                return
        if not daemon.alive():
            raise Failure("vpcflowd exited with status %s" % daemon.proc.returncode)
        time.sleep(0.1)
    raise Failure("vpcflowd did not read the backlog in time")


def daemon_env(home):
    """vpcflowd's environment: pipeline_common.clean_env's (the fake's session
    credentials, nothing that reaches a real AWS or proxy), with HOME in the
    working directory instead of the one clean_env makes in /tmp."""
    env = pipeline_common.clean_env()
    os.rmdir(env["HOME"])           # made by clean_env, empty, never removed by it
    env["HOME"] = home
    env.pop("CREDENTIALS_DIRECTORY", None)
    return env


def write_private(path, text):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


def config_text(group, region, aws_url, ca, state, lz_url, token_file):
    """The demo's configuration, comments aligned."""
    rows = [
        ('log_group      = "%s";' % group, ""),
        ('region         = "%s";' % region, ""),
        ('endpoint       = "%s";' % aws_url, "the fake CloudWatch Logs"),
        ('ca_file        = "%s";' % ca, "the fakes' throwaway CAs"),
        ('start_position = "-1d";', "no checkpoint yet: read the last 24 h"),
        ('poll_interval  = 1;', ""),
        ('max_delay      = "11m";', "flows last <= 60 s, published 1-10 min later"),
        ('state_dir      = "%s";' % state, ""),
        ('aws : { max_rps = 100.0; };', "the fake has no 5 requests/s quota"),
        ('logzio : {', ""),
        ('  url        = "%s";' % lz_url, "the fake Logz.io listener"),
        ('  token_file = "%s";' % token_file, "mode 0600"),
        ('  type       = "vpcflow";', ""),
        ('  flush_interval = 1;', ""),
        ('};', ""),
        ('fields : { style = "logzio"; add = { env = "demo"; }; };', ""),
    ]
    width = max(len(text) for text, comment in rows if comment) + 2
    return "# vpcflowd demo configuration (written by tests/demo/demo.py)\n" + "".join(
        ("%-*s# %s\n" % (width, text, comment)) if comment else text + "\n"
        for text, comment in rows)


def clock_text(epoch_s):
    return datetime.datetime.fromtimestamp(epoch_s, datetime.timezone.utc).strftime(
        "%Y-%m-%d %H:%M UTC")


def run(args, work):
    """The demo itself; returns the exit status. Children are in `children`."""
    t_begin = time.monotonic()
    children = args.children
    # -- 1. traffic
    now = time.time()
    net = traffic.Network(args.enis, args.seed)
    # vpcflowd starts a few seconds from now with start_position "-1d":
    # its window begins then, so the day begins a little later than now - 24 h
    # (else the flows of its first seconds would be older than the window).
    span = traffic.DAY_S - START_MARGIN_S
    events, kinds = traffic.day(net, now, args.records, args.seed, span_s=span)
    say("generated a day of VPC traffic on %d network interfaces, %s .. %s:"
        % (len(net.enis), clock_text(now - span), clock_text(now - traffic.BACKLOG_END_S)))
    for line in traffic.describe(net, events, kinds):
        say("  " + line)
    seed_doc = os.path.join(work, "cloudwatch-seed.json")
    with open(seed_doc, "w") as f:
        json.dump({"add_group": GROUP, "add_events": {"group": GROUP, "events": events}}, f)

    # -- 2. the fakes
    aws = start_fake(children, work, "fakeaws", "aws", ["--group", GROUP, "--seed-json", seed_doc])
    store_path = os.path.join(work, "listener.jsonl")
    lz = start_fake(children, work, "logzio", "lz", ["--token", TOKEN, "--store", store_path])
    aws_port = wait_for_file(os.path.join(work, "aws.port"), aws, 60)
    lz_port = wait_for_file(os.path.join(work, "lz.port"), lz, 60)
    aws_url = "https://127.0.0.1:%s" % aws_port
    lz_url = "https://127.0.0.1:%s" % lz_port
    ca = os.path.join(work, "ca.pem")
    with open(ca, "w") as out:
        for name in ("aws-ca.pem", "lz-ca.pem"):
            with open(os.path.join(work, name)) as f:
                out.write(f.read())

    # -- 3. configuration and the daemon
    token_file = os.path.join(work, "logzio.token")
    write_private(token_file, TOKEN + "\n")
    conf = os.path.join(work, "demo.conf")
    write_private(conf, config_text(GROUP, DEFAULT_REGION, aws_url, ca,
                                    os.path.join(work, "state"), lz_url, token_file))
    say("configuration %s:" % conf)
    with open(conf) as f:
        for line in f.read().splitlines()[1:]:
            print("    " + line)
    home = os.path.join(work, "home")
    os.mkdir(home, 0o700)
    argv = [args.bin, "-c", conf] + (["-v"] if args.verbose else [])
    say("starting: %s" % " ".join(argv))
    daemon = Child("vpcflowd", argv, env=daemon_env(home), keep_lines=True)
    children.append(daemon)
    t_daemon = time.monotonic()

    # -- 4. late arrivals, once vpcflowd has scanned their time
    wait_caught_up(aws_url, ca, daemon, t_daemon + args.timeout)
    say("vpcflowd read the backlog in %.1f s and now scans the last minute every second"
        % (time.monotonic() - t_daemon))
    t_late = time.time()
    extra, _ = traffic.late(net, t_late, args.late, ages=args.late_ages, seed=args.seed)
    control(aws_url, ca, {"add_events": {"group": GROUP, "events": extra},
                          "clock": {"offset": 0, "factor": args.clock_factor}})
    worst = max(e["ingestionTime"] for e in extra) / 1000.0 - t_late
    say("%s late records arrive: flows of %d-%d s ago (a time vpcflowd has scanned already), "
        "ingested 1-10 min after they ended;" % (n(len(extra)), args.late_ages[0],
                                                 args.late_ages[1]))
    say("CloudWatch's ingestion clock now runs %dx: they appear within %.0f s, before the "
        "flows are 64 s old, when the 64 s scan level reads that time again"
        % (args.clock_factor, worst / args.clock_factor))
    seeded = set(e["eventId"] for e in events) | set(e["eventId"] for e in extra)
    late_ids = set(e["eventId"] for e in extra)
    if len(seeded) != len(events) + len(extra):
        raise Failure("the generator made duplicate eventIds")

    # -- 5. wait until the listener has everything
    store = Store(store_path)
    next_report, last = time.monotonic() + 2, None
    got = 0
    while True:
        counts = store.update()
        got = sum(1 for i in counts if i in seeded)
        if got == len(seeded):
            break
        if not daemon.alive():
            raise Failure("vpcflowd exited with status %s while %s records were still "
                          "missing" % (daemon.proc.returncode, n(len(seeded) - got)))
        if time.monotonic() > t_daemon + args.timeout:
            say("only %s of %s records at the listener after %d s" % (
                n(got), n(len(seeded)), args.timeout))
            break
        if time.monotonic() >= next_report and (got != last or
                                                  time.monotonic() >= next_report + 3):
            say("at the listener: %s of %s records, %s of the %s late ones (%.1f s)" % (
                n(got), n(len(seeded)), n(sum(1 for i in late_ids if i in counts)),
                n(len(late_ids)), time.monotonic() - t_daemon))
            next_report, last = time.monotonic() + 2, got
        time.sleep(0.1)
    took = time.monotonic() - t_daemon
    if got == len(seeded):
        say("all %s records at the listener %.1f s after vpcflowd started; "
            "stopping it (SIGTERM)" % (n(got), took))
    daemon.proc.stdin.close()
    daemon.signal(signal.SIGTERM)
    rc = daemon.wait(30)
    if rc is None:
        daemon.stop(1)
        raise Failure("vpcflowd did not exit within 30 s of SIGTERM")
    say("vpcflowd exited with status %d" % rc)
    faults = sum(control(url, ca)["internal_errors"] for url in (aws_url, lz_url))
    for child in (aws, lz):
        child.stop()

    # -- 6. the picture and the verdict
    final = Store(store_path, findings=True)
    counts = final.update()
    shipped = sum(1 for i in seeded if i in counts)
    duplicates = sum(c - 1 for i, c in counts.items() if c > 1)
    lost = len(seeded) - shipped
    unknown = sum(c for i, c in counts.items() if i not in seeded)
    late_shipped = sum(1 for i in late_ids if i in counts)
    print()
    picture = [sys.executable, os.path.join(INTEGRATION, "traffic_picture.py"), store_path,
               "--color", args.color]
    if subprocess.run(picture, timeout=120).returncode != 0:
        raise Failure("traffic_picture.py failed")
    for line in final.story():
        say(line)
    say("late arrivals: %s of %s shipped; %s documents stored by the listener; %.1f s in all"
        % (n(late_shipped), n(len(late_ids)), n(sum(counts.values())),
           time.monotonic() - t_begin))
    ok = (rc == 0 and lost == 0 and duplicates == 0 and unknown == 0 and final.bad == 0
          and faults == 0)
    if faults:
        say("FAIL: %d internal errors in the fakes (see their lines above)" % faults)
    if unknown:
        say("FAIL: %s documents the demo did not seed" % n(unknown))
    if final.bad:
        say("FAIL: %s lines of the listener's store are not documents" % n(final.bad))
    if rc != 0:
        say("FAIL: vpcflowd exited with status %d" % rc)
    print(VERDICT % (len(seeded), shipped, duplicates, lost), flush=True)
    return 0 if ok else 1


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "vpcflowd"))
    ap.add_argument("--small", action="store_true",
                    help="3,000 records on 14 ENIs, late records found sooner (smoke test)")
    ap.add_argument("--records", type=int, help="records of the day (default 60,000)")
    ap.add_argument("--enis", type=int, help="network interfaces (default 40)")
    ap.add_argument("--late", type=int, help="late records (default 600)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--timeout", type=float, help="seconds to wait for the listener")
    ap.add_argument("--keep", action="store_true", help="keep the working directory")
    ap.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    ap.add_argument("-v", "--verbose", action="store_true", help="vpcflowd -v")
    args = ap.parse_args(argv)
    small = args.small
    args.records = args.records or (3000 if small else 60000)
    args.enis = args.enis or (14 if small else 40)
    args.late = args.late if args.late is not None else (150 if small else 600)
    args.timeout = args.timeout or (30 if small else 45)
    # Late flows are added once the young scan levels (<= 16 s) have read
    # their time; the clock factor makes each visible (ingested up to 660 s
    # after its start) a few seconds before it is 64 s old, when the 64 s
    # level reads it: (660 - 44) / 120 = 5.1 s < 64 - 52 = 12 s (full);
    # (660 - 54) / 300 = 2.0 s < 64 - 58 = 6 s (small).
    args.late_ages = (54, 58) if small else (44, 52)
    args.clock_factor = 300 if small else 120
    if not os.access(args.bin, os.X_OK):
        print("demo: %s is not an executable (run make first)" % args.bin, file=sys.stderr)
        return 2
    args.bin = os.path.abspath(args.bin)
    args.children = []

    def interrupt(signum, frame):
        raise Interrupted(signal.Signals(signum).name)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, interrupt)

    work = tempfile.mkdtemp(prefix="vpcflowd-demo-")
    say("working directory %s" % work)
    status, why = 1, None
    try:
        status = run(args, work)
    except Failure as e:
        why = "FAIL: %s" % e
    except Interrupted as e:
        status, why = 130, "interrupted (%s)" % e
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for child in reversed(args.children):
            if child.alive():
                child.stop(5)
        if args.keep:
            say("kept %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    if why:
        say(why)
    return status


if __name__ == "__main__":
    sys.exit(main())
