"""Temporary credentials are refreshed before they expire, within one run of
the daemon (`--once --output stdout` over many slow pages): STS credentials
of aws.role_arn living 4 s, IMDSv2 credentials living 12 s. Every
FilterLogEvents is accepted (none signed with expired credentials), more
than one access key signs them, and an ExpiredToken answer makes the daemon
fetch new credentials at once. No secret in any output."""
from aws_creds_common import AKID, SECRET, clean_env, config, no_secret, static_env
from fakeaws import FakeAWS
from vtest import check, done, json_lines, run

ROLE = "arn:aws:iam::123456789012:role/vpcflowd-reader"
EVENTS = 600
READ_ALL = 'start_position = "beginning";'


def once(aws, env, extra_aws, what):
    rc, out, err = run(["-c", config(aws, "max_rps = 50.0; " + extra_aws, READ_ALL),
                        "--once", "--output", "stdout"], env=env, timeout=120)
    check(rc == 0, "%s: --once exits 0 (%d: %s)" % (what, rc, err.strip()[-400:]))
    docs = json_lines(out) if rc == 0 else []
    check(len(docs) == EVENTS, "%s: all %d events shipped (%d)" % (what, EVENTS, len(docs)))
    text = out.decode("utf-8", "replace") + err
    issued = []
    for c in list(aws.credentials._creds.values()):  # the fake's own store
        issued += [s for s in (c.secret_access_key, c.session_token) if s]
    no_secret(text, [SECRET] + issued, what)
    return err


def filter_calls(aws, since):
    return [e for e in aws.log(op="FilterLogEvents") if e["seq"] >= since]


def next_seq(aws):
    log = aws.log()
    return log[-1]["seq"] + 1 if log else 0


with FakeAWS() as aws:
    # The daemon must have --once: one clear failure otherwise.
    rc, out, err = run(["-c", config(aws, extra=READ_ALL), "--once", "--output", "stdout"],
                       env=static_env(), timeout=120)
    if not check(rc != 2, "--once --output stdout is supported (rc %d %r)"
                 % (rc, err.strip()[-200:])):
        done()

    aws.generate_events(EVENTS, streams=2)
    aws.control({"settings": {"page_size": 25, "latency": 0.25, "sts_duration": 4,
                              "meta_duration": 12}})

    # 1. aws.role_arn: STS credentials of 4 s, fetched again as they age.
    since = next_seq(aws)
    once(aws, static_env(),
         'role_arn = "%s";' % ROLE, "STS refresh")
    calls = filter_calls(aws, since)
    keys = {c["access_key"] for c in calls}
    bad = [(c["status"], c.get("error")) for c in calls if c["status"] != 200]
    assumes = [e for e in aws.log(op="AssumeRole") if e["seq"] >= since]
    check(len(calls) >= 20, "STS refresh: many pages (%d)" % len(calls))
    check(not bad, "STS refresh: no FilterLogEvents refused (%s)" % bad[:3])
    check(len(keys) >= 2 and AKID not in keys,
          "STS refresh: signed with %d role session keys, never the base key" % len(keys))
    check(len(assumes) >= 2 and all(a["access_key"] == AKID for a in assumes),
          "STS refresh: %d AssumeRole calls, signed with the base key" % len(assumes))

    # 2. IMDSv2 credentials of 12 s (the fake renews them in the last 3 s),
    #    over a run of about 15 s.
    aws.control({"settings": {"latency": 0.6}})
    since = next_seq(aws)
    once(aws, clean_env(imds=True, AWS_EC2_METADATA_SERVICE_ENDPOINT=aws.meta_url), "",
         "IMDS refresh")
    calls = filter_calls(aws, since)
    keys = {c["access_key"] for c in calls}
    bad = [(c["status"], c.get("error")) for c in calls if c["status"] != 200]
    check(not bad, "IMDS refresh: no FilterLogEvents refused (%s)" % bad[:3])
    gets = [e for e in aws.log(op="IMDS") if e["seq"] >= since]
    check(len(keys) >= 2, "IMDS refresh: %d instance credentials used over the run "
          "(%d metadata GETs)" % (len(keys), len(gets)))

    # 3. ExpiredToken: new credentials at once, the call then succeeds.
    aws.control({"settings": {"sts_duration": 3600, "latency": 0}})
    aws.control({"expired_token": {"count": 1, "target": "FilterLogEvents"}})
    since = next_seq(aws)
    once(aws, static_env(),
         'role_arn = "%s";' % ROLE, "ExpiredToken")
    assumes = [e for e in aws.log(op="AssumeRole") if e["seq"] >= since]
    check(len(assumes) == 2, "ExpiredToken: credentials fetched again (%d AssumeRole)"
          % len(assumes))

done()
