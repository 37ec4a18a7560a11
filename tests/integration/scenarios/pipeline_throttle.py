"""CloudWatch Logs throttling storms: an account-wide quota (the fake
enforces 2 FilterLogEvents requests/s while the daemon may send 50), then a
run of ThrottlingException and a few 5xx, while records arrive late. The
daemon backs off, says so, reads every range again until it works, and
every record arrives exactly once."""
import time

from pipeline_common import Pipeline, check, check_exactly_once, done, make_events, tail

with Pipeline(poll=1, max_delay=4) as p:
    now = int(time.time() * 1000)
    events = p.feed(make_events(2000, 10, now + 500, 8, (0, 4)))
    p.aws.settings.update({"rate_limit": 2.0, "rate_burst": 1.0})
    p.start()
    time.sleep(6)
    p.aws.settings.update({"rate_limit": 0.0})
    # The storm below starts after a success: backoff grows with failures
    # in a row (full jitter, 2 s doubling up to 60 s), and a streak carried
    # over from the quota phase could push the wait past a minute.
    answered = p.aws.count("FilterLogEvents", 200)
    settle = time.time() + 90
    while p.aws.count("FilterLogEvents", 200) <= answered and time.time() < settle:
        time.sleep(0.2)
    p.aws.inject("throttle", 3, target="FilterLogEvents")
    p.aws.inject("server_error", 1, target="FilterLogEvents", status=503)
    ok = p.wait_shipped([e["eventId"] for e in events], 60)
    check(ok, "every record is shipped through the throttling%s"
          % ("" if ok else ": " + tail(p.stderr())))
    rc, _ = p.stop()
    log = p.logs[-1]
    check(rc == 0, "SIGTERM: exit %s" % rc)
    check_exactly_once(p.lz.counts(), events, "throttling storm")
    throttled = p.aws.count("FilterLogEvents", 400)
    check(throttled >= 4, "FilterLogEvents was throttled %d times" % throttled)
    check("Throttling" in log, "the log says CloudWatch Logs throttled the requests")
    summary = [l for l in log.splitlines() if "stopped: read" in l]
    check(summary and " 0 AWS" not in summary[-1],
          "the summary counts the AWS retries: %s" % (summary[-1][-100:] if summary else "none"))
    check(p.aws.internal_errors == 0, "the fake had no internal errors")
done()
