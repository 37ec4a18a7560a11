"""Pacing: requests go out at aws.max_rps after a burst of at most
max(1, max_rps) (the FilterLogEvents quota is shared by the account): in the
fake's request log no 1-second window holds more than max_rps + burst
requests, the rate after the burst stays at max_rps, and a service that
enforces (about) the same rate never has to throttle."""
from aws_filter_common import (FakeAWS, check, check_exactly_once, check_no_secrets,
                               documents, done, filter_requests, group_events, run_once,
                               tail)

RPS = 12.0
BURST = max(1.0, RPS)

with FakeAWS() as aws:
    aws.generate_events(960, streams=2)
    events = group_events(aws)
    # The service's bucket has two requests of slack: the client paces when
    # it sends, the service counts when requests arrive, and under load (or
    # sanitizers) two paced requests can arrive closer than they left.
    aws.settings.update({"page_size": 20, "rate_limit": RPS * 1.1, "rate_burst": BURST + 2})
    rc, out, err = run_once(aws, max_rps=RPS)
    check(rc == 0, "paced read: exit 0 (%d)%s" % (rc, tail(rc, err)))
    check_exactly_once(documents(out), events, "paced read")
    reqs = filter_requests(aws)
    times = sorted(r["time"] for r in reqs)
    n = len(times)
    worst = max(sum(1 for t in times if t0 <= t < t0 + 1.0) for t0 in times)
    check(n >= 48, "%d requests" % n)
    check(worst <= RPS + BURST, "at most %d requests in any second (worst %d)"
          % (RPS + BURST, worst))
    # Token-bucket conformance: any run of k requests over dt seconds has
    # k <= burst + max_rps * dt (+1 for the clock resolution of the log).
    excess = max(j - i + 1 - RPS * (times[j] - times[i])
                 for i in range(n) for j in range(i, n))
    check(excess <= BURST + 1, "the requests conform to a bucket of %d at %.0f/s "
          "(worst excess %.2f)" % (BURST, RPS, excess))
    rate = (n - BURST) / (times[-1] - times[0])
    check(rate >= RPS * 0.7, "pacing does not go much slower than max_rps "
          "(%.2f/s beyond the burst)" % rate)
    throttled = [r for r in reqs if r["error"] == "ThrottlingException"]
    check(not throttled, "a service enforcing max_rps never throttled (%d)" % len(throttled))
    check_no_secrets(out, err)
done()
