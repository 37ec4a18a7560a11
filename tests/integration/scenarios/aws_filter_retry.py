"""Transient AWS errors while reading a log group, each recovered from
without losing or repeating an event: a throttling storm (throttled twice in
a row, then by the service's own rate limit), a run of 5xx answers,
connections dropped (FIN and RST), an ExpiredTokenException (credentials
refreshed), a server clock 15 minutes ahead (clock corrected from the Date
header and the request retried), and temporary container credentials that
really expire mid-read (fetched again)."""
from aws_filter_common import (GROUP, FakeAWS, check, check_exactly_once,
                               check_no_secrets, config_text, documents, done,
                               filter_requests, group_events, issued_secrets, on_request,
                               run_once, tail)


def faults_served(reqs):
    return [r["fault"] for r in reqs if r["fault"]]


with FakeAWS() as aws:
    aws.generate_events(1200, streams=3)
    events = group_events(aws)
    aws.settings.page_size = 100

    def plan(n):
        if n == 1:
            aws.inject("throttle", 2, target="FilterLogEvents")
        elif n == 3:
            aws.inject("server_error", 1, target="FilterLogEvents", status=500)
            aws.inject("server_error", 1, target="FilterLogEvents", status=503)
        elif n == 5:
            aws.inject("drop", 1, target="FilterLogEvents")
            aws.inject("drop", 1, target="FilterLogEvents", mode="reset")
        elif n == 7:
            aws.inject("expired_token", 1, target="FilterLogEvents")
        elif n == 9:
            aws.settings.skew = 900
        elif n == 10:
            aws.settings.update({"rate_limit": 4.0, "rate_burst": 1.0})
    on_request(aws, plan)
    rc, out, err = run_once(aws, max_rps=20, args=["-v"])
    check(rc == 0, "transient errors: exit 0 (%d)%s" % (rc, tail(rc, err)))
    check_exactly_once(documents(out), events, "transient errors")
    reqs = filter_requests(aws)
    served = faults_served(reqs)
    check(served[:7] == ["throttle", "throttle", "server_error", "server_error", "drop",
                         "drop", "expired_token"],
          "every injected fault was served in order: %s" % served[:7])
    errors = [r["error"] for r in reqs if r["error"]]
    check(errors.count("ThrottlingException") >= 2 and "InternalFailure" in errors
          and "ServiceUnavailableException" in errors and "ExpiredTokenException" in errors,
          "the errors AWS would send were sent: %s" % sorted(set(errors)))
    skewed = [r for r in reqs if r["error"] == "InvalidSignatureException"]
    check(len(skewed) == 1, "one request rejected for the clock (%d)" % len(skewed))
    check("ahead of" in err or "behind" in err, "the clock correction is logged")
    check("refreshing the credentials" in err, "ExpiredToken: credentials refreshed")
    check("rate_limit" in served, "the service's rate limit throttled a request")
    check(reqs[-1]["status"] == 200 and not reqs[-1]["next_token"],
          "the read ended on a 200 page without nextToken")
    check_no_secrets(out, err, what="transient errors")

with FakeAWS() as aws:
    aws.generate_events(500, streams=2)
    events = group_events(aws)
    aws.settings.page_size = 100
    container = aws.meta_url + aws.settings.container_path

    def expire(n):
        if n == 2:
            aws.credentials.expire("issued", aws.server_time())
    on_request(aws, expire)
    rc, out, err = run_once(aws, creds=None, env={
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": container})
    check(rc == 0, "container credentials expiring: exit 0 (%d)%s" % (rc, tail(rc, err)))
    check_exactly_once(documents(out), events, "container credentials expiring")
    reqs = filter_requests(aws)
    keys = [r["access_key"] for r in reqs if r["status"] == 200]
    check(len(set(keys)) == 2 and all(k.startswith("ASIA") for k in keys),
          "new temporary credentials after the expiry (%d keys)" % len(set(keys)))
    check(any(r["error"] == "ExpiredTokenException" for r in reqs),
          "the expired credentials were refused with ExpiredTokenException")
    check(len(aws.log(op="ContainerCredentials")) >= 2, "container credentials fetched again")
    check_no_secrets(out, err, extra=issued_secrets(aws), what="container credentials")
done()
