"""Every listener fault, one after the other, on a running daemon with
records arriving: a run of 5xx answers, connections reset in mid-body, a
stall past logzio.timeout, 413 (the batch is split), 400 (the batch is kept
in state_dir/rejected/ and not sent again), and 401 until the listener's
token is put in the file and SIGHUP reloads it (a SIGHUP that also changes
log_group is refused first, naming the key). After each fault the records
of that phase are all acknowledged, and over the whole run none twice."""
import glob
import json
import os
import time

from pipeline_common import (GROUP, Pipeline, check, check_exactly_once, done, make_events,
                             tail)

NEW_TOKEN = "rotatedTestToken0123456789abcdef"


def phase(p, name, seed, fault=None, wait=40, n=300, **params):
    """Inject fault, feed n records visible within a second, wait for them."""
    if fault is not None:
        p.lz.inject(fault, params.pop("count", 1), **params)
    since = p.lz.state()["next_seq"]
    now = int(time.time() * 1000)
    events = p.feed(make_events(n, 5, now + 300, 1, (0, 0.5), seed=seed))
    ok = p.wait_shipped([e["eventId"] for e in events], wait)
    seen = [r.get("fault") for r in p.lz.requests(since)]
    if fault is not None:
        check(fault in seen, "%s: the listener injected it (%s)" % (name, seen[:8]))
    check(ok, "%s: every record of the phase is acknowledged%s"
          % (name, "" if ok else ": " + tail(p.stderr())))
    return events


with Pipeline(poll=1, max_delay=2, timeout=2, batch_bytes=60000) as p:
    p.start()
    events = phase(p, "warm-up", 1)
    events += phase(p, "5xx run", 2, "server_error", count=3, status=502)
    events += phase(p, "reset in mid-body", 3, "reset", count=2)
    events += phase(p, "stall past the timeout", 4, "stall", seconds=30)
    events += phase(p, "413", 5, "too_large")

    # 400: the listener takes lines of at most 560 bytes, so some documents
    # are refused; the batch goes to state_dir/rejected/, never again.
    p.lz.settings.update({"max_line": 560})
    since = p.lz.state()["next_seq"]
    now = int(time.time() * 1000)
    rejected_phase = p.feed(make_events(200, 5, now + 300, 1, (0, 0.5), seed=6))
    end = time.monotonic() + 20
    while time.monotonic() < end and not glob.glob(os.path.join(p.state, "rejected", "*")):
        time.sleep(0.2)
    time.sleep(2)
    p.lz.settings.update({"max_line": 500000})
    statuses = [r["status"] for r in p.lz.requests(since)]
    check(400 in statuses and statuses.count(400) == len([s for s in statuses if s != 200]),
          "400: the listener refused lines and the batch was not sent again (%s)" % statuses)
    files = glob.glob(os.path.join(p.state, "rejected", "*"))
    kept = set()
    for path in files:
        with open(path, encoding="utf-8") as f:
            kept.update(json.loads(line)["event_id"] for line in f if line.strip())
    got = p.lz.counts()
    lost = [e for e in rejected_phase if e["eventId"] not in got and e["eventId"] not in kept]
    check(files and not lost, "400: %d file(s) in state_dir/rejected/ hold what the listener "
          "refused (%d records neither stored nor kept)" % (len(files), len(lost)))
    log = p.stderr()
    check("malformed" in log.lower() or "oversized" in log.lower(),
          "400: the log gives the listener's line counts")

    # 401: the listener now wants another token.
    p.lz.set_tokens([NEW_TOKEN])
    t = time.monotonic()
    now = int(time.time() * 1000)
    unauth = p.feed(make_events(300, 5, now + 300, 1, (0, 0.5), seed=7))
    time.sleep(4)
    check(p.lz.count(401) >= 1 and not any(e["eventId"] in p.lz.counts() for e in unauth),
          "401: the batch is refused and kept")
    check("token" in p.stderr().lower(), "401: the log says the token is refused")
    p.write_config(token=NEW_TOKEN, extra='log_stream_prefix = "eni-";\n')
    with open(p.conf) as f:
        text = f.read()
    with open(p.conf, "w") as f:
        f.write(text.replace(GROUP, GROUP + "-other"))
    p.sighup()
    time.sleep(2)
    log = p.stderr()
    check("log_group" in log and "cannot change" in log,
          "SIGHUP with a new log_group: refused, naming the key")
    check(not any(e["eventId"] in p.lz.counts() for e in unauth),
          "SIGHUP refused: the old token stays (still 401)")
    p.write_config(token=NEW_TOKEN)
    p.sighup()
    ok = p.wait_shipped([e["eventId"] for e in unauth], 20)
    check(ok, "401: the token from SIGHUP delivers the kept batch at once (%.1f s after the "
          "401s began)%s" % (time.monotonic() - t, "" if ok else ": " + tail(p.stderr())))
    events += unauth
    events += phase(p, "after the reload", 8)

    rc, _ = p.stop()
    log = p.logs[-1]
    check(rc == 0, "SIGTERM: exit %s" % rc)
    got = p.lz.counts()
    refused = [e for e in rejected_phase if e["eventId"] not in got]
    check_exactly_once(got, events + [e for e in rejected_phase if e["eventId"] in got],
                       "listener faults")
    check(refused, "400: %d refused records were not sent again" % len(refused))
    check(NEW_TOKEN not in log and "pipelineTestToken" not in log,
          "no token in the log")
    check(p.lz.internal_errors == 0, "the fake listener had no internal errors")
done()
