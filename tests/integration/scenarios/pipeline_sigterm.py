"""SIGTERM restarts: records arrive for 16 s while the daemon is stopped with
SIGTERM and started again five times: at random moments, while the listener
stalls a batch past logzio.timeout, and while it answers 503 (the batch in
flight gets shutdown_timeout, then is left for the next start). Every stop
is an exit 0 within shutdown_timeout plus logzio.timeout, and in the end
every record was shipped, none twice."""
import random
import time

from pipeline_common import Pipeline, check, check_exactly_once, done, make_events, tail

SHUTDOWN, TIMEOUT = 2, 2
rng = random.Random(4)

with Pipeline(poll=1, max_delay=3, shutdown_timeout=SHUTDOWN, timeout=TIMEOUT,
              batch_bytes=40000) as p:
    now = int(time.time() * 1000)
    events = p.feed(make_events(4000, 12, now + 500, 16, (0, 3)))
    bounds = []
    for cycle, fault in enumerate((None, None, "stall", "server_error", None)):
        p.start()
        time.sleep(rng.uniform(1.0, 2.5))
        if fault == "stall":
            p.lz.inject("stall", 1, seconds=30)
        elif fault == "server_error":
            p.lz.inject("server_error", 20, status=503)
        if fault is not None:
            time.sleep(1.2)
        rc, took = p.stop()
        p.lz.control({"clear_faults": True})
        check(rc == 0 and took < SHUTDOWN + TIMEOUT + 1.5,
              "cycle %d (%s): SIGTERM exits 0 in %.1f s%s" % (
                  cycle, fault or "random moment", took,
                  "" if rc == 0 else ": " + tail(p.logs[-1])))
        dups = {k: n for k, n in p.lz.counts().items() if n > 1}
        check(not dups, "cycle %d: no record shipped twice so far (%d)" % (cycle, len(dups)))
    check("not acknowledged within" in "".join(p.logs),
          "a batch the listener did not take in time is left for the next start, "
          "and the log says so")
    p.start()
    ok = p.wait_shipped([e["eventId"] for e in events], 40)
    check(ok, "the last run ships everything left%s" % ("" if ok else ": " + tail(p.stderr())))
    rc, _ = p.stop()
    check(rc == 0, "last SIGTERM: exit %s" % rc)
    check_exactly_once(p.lz.counts(), events, "SIGTERM restarts")
done()
