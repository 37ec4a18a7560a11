"""Late records: records ingested anywhere from at once to max_delay after
their timestamp (max_delay itself included) over many streams are all
shipped, each once; the scan levels keep records fetched per record shipped
small, and a record ingested at once does not wait for max_delay.

Time is compressed by configuration: poll_interval 1 s and max_delay 8 s
stand for 30 s and 4 minutes, on the fake's real-time data clock."""
import time

from pipeline_common import Pipeline, check, check_exactly_once, done, make_events, tail

MAX_DELAY = 8

with Pipeline(poll=1, max_delay=MAX_DELAY) as p:
    t0 = int(time.time() * 1000) + 1000
    late = p.feed(make_events(4000, 60, t0, 4, (0, MAX_DELAY)))
    # A separate stream of records ingested at once, to time the latency.
    fresh = p.feed(make_events(20, 1, t0 + 2000, 1, (0, 0.2), seed=7, prefix="eni-fresh"))
    p.start()
    end = time.monotonic() + 4 + 1 + 3          # t0 + span + a few polls
    fresh_ids = [e["eventId"] for e in fresh]
    ok = p.wait_shipped(fresh_ids, 12)
    fresh_at = time.monotonic()
    check(ok and fresh_at < end, "records ingested at once are shipped within a few polls, "
          "not after max_delay (%.1f s early)" % (end - fresh_at))
    events = late + fresh
    ok = p.wait_shipped([e["eventId"] for e in events], 40)
    check(ok, "every record ingested up to max_delay late is shipped%s"
          % ("" if ok else ": " + tail(p.stderr())))
    rc, _ = p.stop()
    check(rc == 0, "SIGTERM: exit %s" % rc)
    check_exactly_once(p.lz.counts(), events, "late records")
    at_max = [e for e in late if e["ingestionTime"] - e["timestamp"] == MAX_DELAY * 1000]
    check(at_max and all(p.lz.counts()[e["eventId"]] == 1 for e in at_max),
          "a record ingested exactly max_delay late is shipped")
    ratio = p.fetched() / len(events)
    check(ratio <= 3, "records fetched per record shipped: %.2f (<= 3)" % ratio)
    polls = p.aws.count("FilterLogEvents")
    check(polls < 200, "FilterLogEvents requests: %d (the whole max_delay window is not "
          "re-read at every poll)" % polls)
done()
