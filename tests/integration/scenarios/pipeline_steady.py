"""Steady state: `vpcflowd -c FILE` polls a log group whose records arrive
with a delay, ships every one exactly once, checkpoints per stream, stops
cleanly on SIGTERM, and --status reports the checkpoints without AWS."""
import os
import time

from pipeline_common import (TOKEN, Pipeline, check, check_exactly_once, done, make_events,
                             tail)

with Pipeline(poll=1, max_delay=4) as p:
    t0 = int(time.time() * 1000) + 1000
    events = p.feed(make_events(3000, 8, t0, 5, (0.2, 3.5)))
    p.start()
    shipped = p.wait_shipped([e["eventId"] for e in events], 40)
    check(shipped, "every record is shipped within max_delay plus a few polls%s"
          % ("" if shipped else ": " + tail(p.stderr())))
    time.sleep(1.5)                 # a few more polls: nothing new, nothing again
    rc, took = p.stop()
    log = p.logs[-1]
    check(rc == 0 and took < 5, "SIGTERM: exit %s after %.1f s" % (rc, took))
    check_exactly_once(p.lz.counts(), events, "steady state")
    fetched = p.fetched()
    check(fetched <= 3 * len(events),
          "records fetched per record shipped: %.2f (<= 3)" % (fetched / len(events)))
    check("stopped: read " in log and "scan lag" in log,
          "the last summary line says what was read, shipped and the scan lag")
    check(TOKEN not in log, "the token is not in the log")
    streams = os.listdir(os.path.join(p.state, "streams"))
    check(len([f for f in streams if f.endswith(".ckpt")]) == 8,
          "one checkpoint file per log stream (%d files)" % len(streams))
    check(os.path.exists(os.path.join(p.state, "group.state")), "group.state is written")

    rc, err = p.run(["--status"])
    p.aws.clear_log()
    check(rc == 0, "--status: exit 0%s" % ("" if rc == 0 else ": " + tail(err)))

    # A restart picks up where the checkpoints are: nothing is shipped again.
    before = sum(p.lz.counts().values())
    late = p.feed(make_events(200, 8, int(time.time() * 1000) + 500, 2, (0.1, 1), seed=2))
    p.start()
    ok = p.wait_shipped([e["eventId"] for e in late], 20)
    rc, took = p.stop()
    check(ok and rc == 0, "after a restart the new records are shipped (exit %s)" % rc)
    check_exactly_once(p.lz.counts(), events + late, "steady state across a restart")
    check(sum(p.lz.counts().values()) - before == len(late),
          "the restart ships only the new records")
    check(p.lz.internal_errors == 0 and p.aws.internal_errors == 0, "the fakes had no errors")
done()
