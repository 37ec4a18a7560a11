"""Listener outage: the Logz.io listener refuses connections for 15 s (15
poll intervals: several minutes at production settings) while records keep
arriving. The batch in flight is retried, polling pauses (CloudWatch Logs
is the buffer, memory stays bounded), the outage is logged, and once the
listener is back every record arrives exactly once. Then the same with a
listener that answers 503 to everything, for 6 s."""
import time

from pipeline_common import Pipeline, check, check_exactly_once, done, make_events, tail

OUTAGES = {"refuse": 12, "503": 6}

with Pipeline(poll=1, max_delay=4) as p:
    now = int(time.time() * 1000)
    events = p.feed(make_events(1500, 6, now + 500, 2, (0, 2)))
    p.start()
    ok = p.wait_shipped([e["eventId"] for e in events], 20)
    check(ok, "before the outage: records are shipped")

    for mode, outage in OUTAGES.items():
        # Records keep arriving during the whole outage and after it.
        now = int(time.time() * 1000)
        more = p.feed(make_events(2000, 6, now + 500, outage + 3, (0, 3),
                                  seed=11 if mode == "refuse" else 12))
        events += more
        p.lz.set_outage(True, mode=mode)
        time.sleep(3)
        polls = p.aws.count("FilterLogEvents")
        time.sleep(outage - 3)
        paused = p.aws.count("FilterLogEvents") - polls
        p.lz.set_outage(False)
        check(paused <= 1, "outage (%s): polling pauses while the batch waits "
              "(%d FilterLogEvents requests in %d s)" % (mode, paused, outage - 3))
        t = time.monotonic()
        ok = p.wait_shipped([e["eventId"] for e in more], 75)
        check(ok, "outage (%s): every record arrives once the listener is back "
              "(%.1f s later)%s" % (mode, time.monotonic() - t,
                                    "" if ok else ": " + tail(p.stderr())))
    rc, _ = p.stop()
    log = p.logs[-1]
    check(rc == 0, "SIGTERM: exit %s" % rc)
    check_exactly_once(p.lz.counts(), events, "listener outages")
    check("127.0.0.1" in log and ("refused" in log.lower() or "connect" in log.lower()),
          "the log names the listener and says it cannot be reached")
    check("503" in log, "the log says the listener answered 503")
    retries = [l for l in log.splitlines() if "Logz.io" in l and "retries" in l]
    check(retries and " 0 Logz.io" not in retries[-1],
          "the summary counts the retries: %s" % (retries[-1][-120:] if retries else "none"))
done()
