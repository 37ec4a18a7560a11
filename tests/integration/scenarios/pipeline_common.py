"""Shared helpers of the pipeline_* scenarios: the long-running daemon
(`vpcflowd -c FILE`, `--once`) between tests/integration/fakeaws.py
(CloudWatch Logs with delayed ingestion) and tests/integration/fakelogzio.py
(the Logz.io bulk listener), both on loopback with TLS in this process.

Time is compressed by configuration, not by clocks: poll_interval 1 s and a
max_delay of a few seconds, with the fake's data clock at real time. Events
are added ahead of time with their timestamps and ingestion times; each one
becomes visible to FilterLogEvents once the clock passes its ingestionTime,
so a whole arrival pattern (late records, bursts) is set up in one call.

Every assertion about delivery is by eventId: each expected event in the
documents the listener acknowledged (HTTP 200) exactly once, nothing else.
"""
import atexit
import collections
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from fakeaws import DEFAULT_CREDENTIALS, FakeAWS  # noqa: E402
from fakelogzio import FakeLogzio  # noqa: E402
from vtest import VPCFLOWD, check, done  # noqa: E402,F401

GROUP = "/vpc/flowlogs/test"
TOKEN = "pipelineTestToken0123456789abcdef"
SESSION = DEFAULT_CREDENTIALS[1]
ACCOUNT = "123456789012"


_home = []


def _empty_home():
    """One empty HOME per scenario process, removed when it exits."""
    if not _home:
        _home.append(tempfile.mkdtemp(prefix="vpcflowd-it-home-"))
        atexit.register(shutil.rmtree, _home[0], True)
    return _home[0]


def clean_env(extra=None):
    """The daemon's environment: the fake's session credentials only."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")
           and k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy",
                                 "journal_stream", "notify_socket")}
    env.update({"HOME": _empty_home(),
                "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials",
                "AWS_CONFIG_FILE": "/nonexistent/config",
                "AWS_EC2_METADATA_DISABLED": "true",
                "AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:9",
                "AWS_ACCESS_KEY_ID": SESSION[0], "AWS_SECRET_ACCESS_KEY": SESSION[1],
                "AWS_SESSION_TOKEN": SESSION[2]})
    env.update(extra or {})
    return env


def flow_record(rng, eni, start):
    """One VPC flow record in the AWS default format."""
    packets = rng.randint(1, 500)
    return "2 %s %s 10.0.%d.%d 10.1.%d.%d %d %d 6 %d %d %d %d %s OK" % (
        ACCOUNT, eni, rng.randint(0, 255), rng.randint(1, 254), rng.randint(0, 255),
        rng.randint(1, 254), rng.randint(1024, 65535), rng.choice((443, 80, 22, 5432)),
        packets, packets * rng.randint(40, 1500), start // 1000, start // 1000 + 5,
        rng.choice(("ACCEPT", "ACCEPT", "REJECT")))


def make_events(count, streams, t0_ms, span_s, delay_s, seed=1, prefix="eni-"):
    """count events over streams, timestamps uniform in [t0, t0 + span),
    each ingested delay seconds later (delay uniform in delay_s = (lo, hi),
    the ends included about once each). eventIds are set here, so the
    caller knows them before anything is read."""
    rng = random.Random(seed)
    enis = ["%s%017x" % (prefix, rng.getrandbits(68)) for _ in range(streams)]
    lo, hi = delay_s
    out = []
    for i in range(count):
        ts = t0_ms + int(rng.random() * span_s * 1000)
        if i == 0:
            delay = lo
        elif i == 1:
            delay = hi
        else:
            delay = lo + rng.random() * (hi - lo)
        eni = enis[i % streams]
        out.append({"logStreamName": eni + "-all", "timestamp": ts,
                    "ingestionTime": ts + int(delay * 1000),
                    "eventId": "4%015d%08d%032d" % (ts, seed, i),
                    "message": flow_record(rng, eni, ts)})
    return out


class Pipeline:
    """The fakes, a configuration and the daemon's process."""

    def __init__(self, poll=1, max_delay=6, flush_interval=1, batch_bytes=3000000,
                 start="-20s", timeout=5, shutdown_timeout=5, max_rps=50.0, extra=""):
        self.dir = tempfile.mkdtemp(prefix="vpcflowd-it-pipe-")
        self.aws = FakeAWS(meta=False).start()
        self.aws.add_group(GROUP)
        self.store = os.path.join(self.dir, "listener.jsonl")
        self.lz = FakeLogzio(token=TOKEN, store=self.store).start()
        self.state = os.path.join(self.dir, "state")
        self.conf = os.path.join(self.dir, "test.conf")
        self.ca = os.path.join(self.dir, "ca.pem")
        with open(self.ca, "w") as out:
            for path in (self.aws.ca_file, self.lz.ca_file):
                with open(path) as f:
                    out.write(f.read())
        self.settings = dict(poll=poll, max_delay=max_delay, flush=flush_interval,
                             batch=batch_bytes, start=start, timeout=timeout,
                             shutdown=shutdown_timeout, rps=max_rps, extra=extra,
                             token=TOKEN)
        self.write_config()
        self.proc = None
        self.closed = False
        self.logs = []            # stderr of every run, in order
        self._err = None

    def write_config(self, **changes):
        """(Re)write the configuration file; changes override settings."""
        self.settings.update(changes)
        s = self.settings
        text = ('log_group = "%s";\nregion = "%s";\nendpoint = "%s";\nca_file = "%s";\n'
                'state_dir = "%s";\nstart_position = "%s";\npoll_interval = %d;\n'
                'max_delay = %d;\nshutdown_timeout = %d;\n'
                'aws : { max_rps = %r; };\n'
                'logzio : { url = "%s"; token = "%s"; compress = true; '
                'batch_bytes = %d; flush_interval = %d; timeout = %d; };\n%s'
                % (GROUP, self.aws.settings.region, self.aws.url, self.ca, self.state,
                   s["start"], s["poll"], s["max_delay"], s["shutdown"], float(s["rps"]),
                   self.lz.url, s["token"], s["batch"], s["flush"], s["timeout"],
                   s["extra"]))
        with open(self.conf + ".tmp", "w") as f:
            f.write(text)
        os.chmod(self.conf + ".tmp", 0o600)
        os.rename(self.conf + ".tmp", self.conf)

    # -- the daemon

    def start(self, args=(), env=None):
        """Start `vpcflowd -c FILE -v` (plus args) in the background."""
        assert self.proc is None
        self._err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([VPCFLOWD, "-c", self.conf, "-v"] + list(args),
                                     env=clean_env(env), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=self._err)
        return self.proc

    def stderr(self):
        """What the running (or last) daemon wrote so far."""
        if self._err is None:
            return self.logs[-1] if self.logs else ""
        self._err.seek(0)
        return self._err.read().decode("utf-8", "replace")

    def all_logs(self):
        return "".join(self.logs) + (self.stderr() if self._err is not None else "")

    def wait(self, timeout=30):
        """Wait for the daemon to exit; returns its status (None: still running,
        then it is killed)."""
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            rc = None
        self.logs.append(self.stderr())
        self._err.close()
        self._err = None
        self.proc = None
        return rc

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Send sig and wait; returns (status, seconds it took)."""
        t = time.monotonic()
        self.proc.send_signal(sig)
        rc = self.wait(timeout)
        return rc, time.monotonic() - t

    def run(self, args=(), env=None, timeout=60):
        """Run to completion (--once, --status ...): (status, stderr)."""
        self.start(args, env)
        rc = self.wait(timeout)
        return rc, self.logs[-1]

    def sighup(self):
        self.proc.send_signal(signal.SIGHUP)

    def kill(self):
        if self.proc is not None:
            self.proc.kill()
            self.wait()

    def close(self):
        """Stop everything and remove the temporary directory (once)."""
        self.kill()
        if self.closed:
            return
        self.closed = True
        self.lz.stop()
        self.aws.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- data and results

    def feed(self, events):
        self.aws.add_events(GROUP, events)
        return events

    def shipped(self):
        """Counter eventId -> times acknowledged by the listener."""
        return collections.Counter(d.get("event_id") for d in self.lz.documents())

    def wait_shipped(self, ids, timeout, alive=True):
        """Wait until every id in ids was acknowledged (or the daemon died)."""
        want = set(ids)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            got = self.shipped()
            if want.issubset(got):
                return True
            if alive and self.proc is not None and self.proc.poll() is not None:
                return False
            time.sleep(0.2)
        return False

    def stored(self):
        """What the listener stored, in order: (request seq, status, eventId)."""
        with open(self.store, encoding="utf-8") as f:
            rows = [json.loads(line) for line in f if line.strip()]
        return [(r["seq"], r["status"], r["doc"].get("event_id")) for r in rows]

    def fetched(self, since=0):
        """Events FilterLogEvents returned (from the fake's request log)."""
        return sum(e.get("events") or 0 for e in self.aws.log(op="FilterLogEvents",
                                                                since=since))


def check_exactly_once(got, events, what, allowed_repeats=()):
    """Every event in got once, nothing else; allowed_repeats may repeat."""
    want = set(e["eventId"] for e in events)
    missing = [i for i in want if i not in got]
    foreign = [i for i in got if i not in want]
    repeated = [i for i, n in got.items() if n > 1]
    bad_repeats = [i for i in repeated if i not in allowed_repeats]
    ok = not missing and not foreign and not bad_repeats
    check(ok, "%s: %d events, each shipped %s (%d missing, %d repeated%s, %d unknown)"
          % (what, len(want), "once" if not allowed_repeats else
             "at least once, repeats only from batches in flight",
             len(missing), len(repeated),
             "" if not allowed_repeats else " of %d allowed" % len(allowed_repeats),
             len(foreign)))
    return ok


def tail(text, n=2500):
    return text[-n:]
