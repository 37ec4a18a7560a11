#!/usr/bin/env python3
"""make bench, end to end: fake CloudWatch Logs -> vpcflowd -> fake Logz.io.

The fake CloudWatch Logs (tests/integration/fakeaws.py, in a process of its
own) holds BENCH_E2E_EVENTS (default 1,000,000) VPC flow records over
BENCH_E2E_STREAMS (1,000) log streams, under a delayed-ingestion model:
timestamps spread over SPAN seconds starting a little after the run begins,
each record ingested (visible to FilterLogEvents) a uniform 2..18 s after
its timestamp, as flow logs are minutes late, with time compressed by the
configuration (poll_interval 1 s, max_delay 20 s stand for 30 s and 15
minutes). vpcflowd (the binary given) polls it and ships gzip batches to
the fake Logz.io listener (tests/integration/fakelogzio.py --counts-only,
also a process of its own), until the listener has every eventId; then the
daemon gets SIGTERM and its rusage is read with os.wait4.

Printed: events/s (records acknowledged over the wall time from the first
timestamp to the last acknowledgement), the daemon's CPU seconds (user+sys)
per million records, its peak RSS, and the records FilterLogEvents returned
per distinct record shipped (from the fake's request log), against the
targets (3 CPU-s per million, 32 MB, 3). Figures, never assertions. The
fakes are Python: when they are the bottleneck, the wall time says so, not
the daemon's CPU time. Nothing generated is kept (a temporary directory).

The state_dir is made under BENCH_E2E_STATE_PARENT (default: the temporary
directory); its file system is printed, since every acknowledged batch
rewrites the checkpoint file of each stream it touched (up to 1,000 files):
BENCH_E2E_STATE_PARENT=/dev/shm shows the daemon without that cost.
BENCH_E2E_WRAP="perf record -g -o F" runs the daemon under a profiler;
BENCH_E2E_COMPRESS=false ships without gzip (what the rest of the daemon
costs).
"""
import json
import os
import random
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
IT = os.path.join(os.path.dirname(HERE), "integration")
sys.path.insert(0, IT)

N = int(os.environ.get("BENCH_E2E_EVENTS", "1000000"))
STREAMS = int(os.environ.get("BENCH_E2E_STREAMS", "1000"))
SPAN = int(os.environ.get("BENCH_E2E_SPAN", "120"))          # seconds of timestamps
DELAY = (2.0, 18.0)                                          # ingestion delay, s
MAX_DELAY, POLL = 20, 1
COMPRESS = os.environ.get("BENCH_E2E_COMPRESS", "true")     # "false": without gzip
GROUP = "/vpc/flowlogs/bench"
TOKEN = "benchToken0123456789abcdef012345"
ACCOUNT = "123456789012"
CREDS = ("ASIAFAKESESSION00001", "fakeSessionSecretKey0000000000000000000001",
         "FakeSessionToken0001")


def serve_aws(port_file, ca_out, t0_ms):
    """Child process: the fake CloudWatch Logs with the generated records."""
    from fakeaws import FakeAWS
    rng = random.Random(1)
    enis = ["eni-%017x" % rng.getrandbits(68) for _ in range(STREAMS)]
    aws = FakeAWS(meta=False)
    docs = []
    for i in range(N):
        ts = t0_ms + int(rng.random() * SPAN * 1000)
        eni = enis[i % STREAMS]
        packets = rng.randint(1, 500)
        docs.append({"logStreamName": eni + "-all", "timestamp": ts,
                     "ingestionTime": ts + int(rng.uniform(*DELAY) * 1000),
                     "message": "2 %s %s 10.0.%d.%d 10.1.%d.%d %d %d 6 %d %d %d %d %s OK" % (
                         ACCOUNT, eni, rng.randint(0, 255), rng.randint(1, 254),
                         rng.randint(0, 255), rng.randint(1, 254),
                         rng.randint(1024, 65535), rng.choice((443, 80, 22, 5432)),
                         packets, packets * rng.randint(40, 1500), ts // 1000,
                         ts // 1000 + 60, rng.choice(("ACCEPT", "REJECT")))})
    aws.add_events(GROUP, docs)
    del docs
    aws.start()
    with open(ca_out + ".tmp", "w") as f, open(aws.ca_file) as ca:
        f.write(ca.read())
    os.rename(ca_out + ".tmp", ca_out)
    with open(port_file + ".tmp", "w") as f:
        f.write("%d\n" % aws.port)
    os.rename(port_file + ".tmp", port_file)
    sys.stdin.read()                # until the parent closes the pipe
    aws.stop()


def wait_file(path, proc, timeout):
    end = time.monotonic() + timeout
    while not os.path.exists(path):
        if proc.poll() is not None or time.monotonic() > end:
            sys.exit("bench_e2e: a fake did not start (%s)" % path)
        time.sleep(0.1)
    with open(path) as f:
        return f.read().strip()


def fs_type(path):
    """The file system that holds path, from /proc/mounts ("ext4, discard")."""
    best, kind = "", "?"
    path = os.path.realpath(path)
    try:
        with open("/proc/mounts") as f:
            for line in f:
                _, mnt, fstype, opts = line.split()[:4]
                inside = path == mnt or path.startswith(mnt.rstrip("/") + "/")
                if inside and len(mnt) >= len(best):
                    best = mnt
                    kind = fstype + (", discard" if "discard" in opts.split(",") else "")
    except OSError:
        pass
    return kind


def control(url, ctx, path=""):
    with urllib.request.urlopen(url + "/__control" + path, context=ctx, timeout=60) as r:
        return json.load(r)


def main():
    state_parent = None
    if len(sys.argv) > 1 and sys.argv[1] == "--serve-aws":
        serve_aws(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    binary = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/vpcflowd")
    tmp = tempfile.TemporaryDirectory(prefix="vpcflowd-bench-e2e-")
    d = tmp.name
    print("end to end: %d records, %d streams, timestamps over %d s, ingested 2-18 s "
          "late; poll_interval %d s, max_delay %d s, gzip %s" % (N, STREAMS, SPAN, POLL,
                                                                  MAX_DELAY, "on" if COMPRESS == "true" else "off"), flush=True)
    gen_s = max(10.0, N / 40000)     # time to generate the records, then a margin
    t0_ms = int((time.time() + gen_s + 10) * 1000)
    aws = subprocess.Popen([sys.executable, __file__, "--serve-aws", d + "/aws.port",
                            d + "/aws-ca.pem", str(t0_ms)], stdin=subprocess.PIPE)
    lz = subprocess.Popen([sys.executable, os.path.join(IT, "fakelogzio.py"), "--port-file",
                           d + "/lz.port", "--ca-out", d + "/lz-ca.pem", "--token", TOKEN,
                           "--counts-only", "--control"], stdin=subprocess.PIPE)
    try:
        aws_port = wait_file(d + "/aws.port", aws, gen_s * 4 + 60)
        lz_port = wait_file(d + "/lz.port", lz, 60)
        with open(d + "/ca.pem", "w") as out:
            for name in ("aws-ca.pem", "lz-ca.pem"):
                with open(os.path.join(d, name)) as f:
                    out.write(f.read())
        ctx = ssl.create_default_context(cafile=d + "/ca.pem")
        aws_url, lz_url = "https://127.0.0.1:" + aws_port, "https://127.0.0.1:" + lz_port
        conf = d + "/bench.conf"
        state_parent = tempfile.mkdtemp(prefix="vpcflowd-bench-state-",
                                        dir=os.environ.get("BENCH_E2E_STATE_PARENT", d))
        with open(conf, "w") as f:
            f.write('log_group = "%s";\nregion = "us-east-1";\nendpoint = "%s";\n'
                    'ca_file = "%s";\nstate_dir = "%s/state";\nstart_position = "-10s";\n'
                    'poll_interval = %d;\nmax_delay = %d;\naws : { max_rps = 100.0; };\n'
                    'logzio : { url = "%s"; token = "%s"; compress = %s; };\n'
                    % (GROUP, aws_url, d + "/ca.pem", state_parent, POLL, MAX_DELAY, lz_url,
                       TOKEN, COMPRESS))
        os.chmod(conf, 0o600)
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update({"AWS_ACCESS_KEY_ID": CREDS[0], "AWS_SECRET_ACCESS_KEY": CREDS[1],
                    "AWS_SESSION_TOKEN": CREDS[2], "AWS_EC2_METADATA_DISABLED": "true",
                    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
                    "AWS_CONFIG_FILE": "/nonexistent"})
        env.pop("JOURNAL_STREAM", None)
        env.pop("NOTIFY_SOCKET", None)
        log = open(d + "/vpcflowd.log", "w+")
        wrap = os.environ.get("BENCH_E2E_WRAP", "").split()   # e.g. "strace -c -o F"
        daemon = subprocess.Popen(wrap + [binary, "-c", conf], env=env, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=log)
        deadline = time.time() + (t0_ms / 1000 - time.time()) + SPAN + 600
        shipped, last = 0, 0
        while time.time() < deadline and daemon.poll() is None:
            shipped = control(lz_url, ctx)["event_ids"]
            if shipped >= N:
                break
            if shipped != last:
                last, last_change = shipped, time.time()
            time.sleep(1)
        done_at = time.time()
        daemon.send_signal(signal.SIGTERM)
        _, status, usage = os.wait4(daemon.pid, 0)
        state = control(lz_url, ctx)
        fetched = sum(e.get("events") or 0 for e in
                      control(aws_url, ctx, "/log?op=FilterLogEvents")["entries"])
        calls = control(aws_url, ctx, "/log?op=FilterLogEvents")["entries"]
        wall = done_at - t0_ms / 1000
        cpu = usage.ru_utime + usage.ru_stime
        shipped = state["event_ids"]
        log.seek(0)
        summary = [l for l in log.read().splitlines() if "stopped: read" in l]
        print("  state_dir              on %s (%s)" % (fs_type(state_parent), state_parent))
        print("  records shipped        %d of %d (%d duplicates), daemon exit %d"
              % (shipped, N, state["duplicated_event_ids"], os.waitstatus_to_exitcode(status)))
        print("  events/s               %.0f  (wall %.1f s from the first timestamp; the data "
              "itself arrives over %d + %.0f s)" % (shipped / wall, wall, SPAN, DELAY[1]))
        print("  CPU-s per million      %.2f  (user %.2f + sys %.2f s; target <= 3)"
              % (cpu / max(shipped, 1) * 1e6, usage.ru_utime, usage.ru_stime))
        print("  peak RSS               %.1f MB  (target <= 32)" % (usage.ru_maxrss / 1024))
        print("  fetched / shipped      %.2f  (%d records returned by %d FilterLogEvents "
              "calls; target <= 3)" % (fetched / max(shipped, 1), fetched, len(calls)))
        if summary:
            print("  daemon: " + summary[-1].split(": ", 1)[-1][:200])
        if shipped < N:
            print("  INCOMPLETE: the run timed out; last log lines:")
            log.seek(0)
            print("\n".join(log.read().splitlines()[-15:]))
    finally:
        for p in (aws, lz):
            try:
                p.stdin.close()
            except OSError:
                pass
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
        tmp.cleanup()
        shutil.rmtree(state_parent, ignore_errors=True)


if __name__ == "__main__":
    main()
