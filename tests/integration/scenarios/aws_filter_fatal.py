"""Errors that retrying cannot fix end the run at once with exit 1, a clear
message naming the error and what to do, and no further requests (no
hammering): AccessDenied, a log group that does not exist, an unknown
access key, a wrong secret key (whose AWS message quotes the canonical
request: the session token must not reach the output), no credentials."""
import time

from aws_filter_common import (GROUP, SESSION, FakeAWS, check, check_no_secrets,
                               config_text, done, filter_requests, run_once, tail)


def fatal_case(aws, what, says, conf=None, creds=SESSION, max_requests=1):
    aws.clear_log()
    start = time.monotonic()
    rc, out, err = run_once(aws, conf, creds=creds)
    took = time.monotonic() - start
    check(rc == 1, "%s: exit 1 (%d)%s" % (what, rc, tail(rc, err, 1)))
    check(out == b"", "%s: nothing on stdout" % what)
    missing = [s for s in says if s not in err]
    check(not missing, "%s: stderr says %s%s" % (what, says, tail(len(missing), err)))
    n = len(filter_requests(aws))
    check(n <= max_requests and took < 10,
          "%s: %d request(s) in %.1f s, no hammering" % (what, n, took))
    check_no_secrets(out, err, extra=[c for c in (creds or ())[1:] if c], what=what)
    print("     | " + err.strip().replace("\n", "\n     | "))
    return err


with FakeAWS() as aws:
    aws.generate_events(100)
    aws.inject("access_denied", 20, target="FilterLogEvents")
    fatal_case(aws, "AccessDenied", ["AccessDeniedException", "not authorized",
                                     "logs:FilterLogEvents", GROUP])
    aws.faults.clear()
    fatal_case(aws, "missing log group", ["ResourceNotFoundException",
                                          "/vpc/flowlogs/missing", "check log_group"],
               conf=config_text(aws, group="/vpc/flowlogs/missing"))
    fatal_case(aws, "unknown access key", ["UnrecognizedClientException"],
               creds=("AKIAUNKNOWNKEY000000", "x" * 40, None))
    err = fatal_case(aws, "wrong secret key", ["InvalidSignatureException",
                                               "does not match"],
                     creds=(SESSION[0], "wrongSecret" * 4, SESSION[2]))
    check("Canonical String" not in err and "x-amz-security-token" not in err,
          "wrong secret key: AWS's quoted canonical request is not logged")
    fatal_case(aws, "no credentials", ["credentials"], creds=None, max_requests=0)
done()
