"""A nextToken the service rejects (expired or invalid: InvalidParameterException)
restarts the window at the timestamp of the last event delivered; events of
that millisecond already delivered are skipped by eventId, so each event is
still delivered exactly once. Four times, once on the first page after a
restart, with 20 events per millisecond so that pages end inside one."""
from aws_filter_common import (GROUP, FakeAWS, check, check_exactly_once,
                               check_no_secrets, documents, done, filter_requests,
                               group_events, run_once, tail)
from fakeaws import invalid_param

REJECT = {4, 9, 11, 16}     # FilterLogEvents requests (1-based) whose nextToken is refused

with FakeAWS() as aws:
    base = aws.clock.now_ms() - 3600 * 1000
    aws.add_events(GROUP, [{"logStreamName": "eni-%d-all" % (i % 3), "timestamp": base + i // 20,
                            "ingestionTime": base + i // 20 + 1000,
                            "message": "2 123456789012 eni-%d - - - - - - - 1 2 - NODATA" % i}
                           for i in range(2000)])
    events = group_events(aws)
    aws.settings.page_size = 70
    inner = aws._handlers[("logs", "FilterLogEvents")]
    seen = [0]

    def rejecting(call, req):
        seen[0] += 1
        if seen[0] in REJECT and "nextToken" in call.params:
            raise invalid_param("The specified nextToken is invalid.")
        return inner(call, req)
    aws._handlers[("logs", "FilterLogEvents")] = rejecting

    rc, out, err = run_once(aws)
    check(rc == 0, "rejected nextTokens: exit 0 (%d)%s" % (rc, tail(rc, err)))
    docs = documents(out)
    check_exactly_once(docs, events, "rejected nextTokens")
    reqs = filter_requests(aws)
    refused = [i for i, r in enumerate(reqs) if r["error"] == "InvalidParameterException"]
    check(len(refused) == len(REJECT), "%d nextTokens refused" % len(refused))
    restarts = [reqs[i + 1]["params"] for i in refused if i + 1 < len(reqs)]
    stamps = {e["timestamp"] for e in events}
    check(all("nextToken" not in p and p.get("startTime") in stamps
              and p["startTime"] > events[0]["timestamp"] for p in restarts),
          "each restart starts again at an event's timestamp, without nextToken: %s"
          % [p.get("startTime", "none") - base for p in restarts])
    check(all(p.get("endTime") == reqs[0]["params"].get("endTime") for p in restarts),
          "restarts keep the window's end")
    check("4 restarts" in err, "the summary counts 4 restarts")
    check(err.count("nextToken rejected") == 4, "each restart is logged")
    check_no_secrets(out, err)
done()
