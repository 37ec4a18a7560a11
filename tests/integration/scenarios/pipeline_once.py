"""--once: one cycle of the daemon (every range due now, shipped and
checkpointed), then exit 0; the next --once goes on from there without
repeating anything, also after listener errors it retried through.
start_position "beginning" reaches records of days ago in a few requests
(empty ranges double, ranges with records halve), reading each once.
--once --output stdout stays the debugging pass (no token, no checkpoint),
and a configuration without any token source is a configuration error."""
import os
import subprocess
import time

from pipeline_common import (VPCFLOWD, Pipeline, check, check_exactly_once, clean_env, done,
                             make_events, tail)

with Pipeline(poll=1, max_delay=3, start="-60s") as p:
    now = int(time.time() * 1000)
    events = p.feed(make_events(2000, 10, now - 50000, 45, (0, 3)))
    rc, err = p.run(["--once"])
    check(rc == 0, "--once: exit 0%s" % ("" if rc == 0 else ": " + tail(err)))
    check_exactly_once(p.lz.counts(), events, "--once over a backlog")
    check("once: read" in err, "--once logs its summary")
    ratio = p.fetched() / len(events)
    check(ratio <= 1.5, "a backlog is read about once, not once per level (%.2f)" % ratio)

    rc, err = p.run(["--once"])
    check(rc == 0, "a second --once: exit 0")
    check_exactly_once(p.lz.counts(), events, "a second --once right after")

    now = int(time.time() * 1000)
    more = p.feed(make_events(500, 10, now - 2000, 2, (0, 1), seed=2))
    time.sleep(1.2)
    p.lz.inject("server_error", 2, status=503)
    rc, err = p.run(["--once"], timeout=60)
    check(rc == 0 and p.lz.count(503) == 2, "--once through two 503 answers: exit %s" % rc)
    time.sleep(3.5)
    rc, err = p.run(["--once"])
    check(rc == 0, "--once once max_delay has passed: exit %s" % rc)
    check_exactly_once(p.lz.counts(), events + more, "successive --once runs")

    before = os.path.getmtime(os.path.join(p.state, "group.state"))
    out = subprocess.run([VPCFLOWD, "-c", p.conf, "--once", "--output", "stdout"],
                         env=clean_env(), stdin=subprocess.DEVNULL, capture_output=True,
                         timeout=60)
    lines = out.stdout.decode().splitlines()
    check(out.returncode == 0 and len(lines) == len(events) + len(more),
          "--once --output stdout: the whole window on stdout (%d lines)" % len(lines))
    check(os.path.getmtime(os.path.join(p.state, "group.state")) == before,
          "--once --output stdout writes no checkpoint")

    p.write_config(token="", extra="")
    with open(p.conf) as f:
        text = f.read()
    with open(p.conf, "w") as f:
        f.write(text.replace(' token = "";', ""))
    rc, err = p.run(["--once"])
    check(rc == 78 and "token" in err, "no token source: exit 78 saying how to set one: %s"
          % tail(err.strip(), 200))

with Pipeline(poll=1, max_delay=3, start="beginning") as p:
    now = int(time.time() * 1000)
    old = p.feed(make_events(300, 3, now - 3 * 86400 * 1000, 600, (0, 3), seed=3))
    recent = p.feed(make_events(300, 3, now - 7200 * 1000, 3600, (0, 3), seed=4))
    rc, err = p.run(["--once"], timeout=120)
    check(rc == 0, "start_position beginning: --once exit %s%s" % (rc, "" if rc == 0 else
                                                                  ": " + tail(err)))
    check_exactly_once(p.lz.counts(), old + recent, "start_position beginning")
    calls = p.aws.count("FilterLogEvents")
    check(calls < 250, "from the epoch to records of 3 days ago and now in %d requests" % calls)
    check(p.fetched() <= 1.2 * (len(old) + len(recent)),
          "the backlog is read about once (%d records returned)" % p.fetched())
done()
