"""Shared helpers of the aws_filter_* scenarios: `vpcflowd --once --output
stdout` against tests/integration/fakeaws.py (in this process, TLS with a
throwaway CA), and checks on its output and the fake's request log.

Every run has a clean environment: the given credentials only, no shared
files, no IMDS, no proxy, an empty HOME, so nothing on the host leaks in.
"""
import collections
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from fakeaws import DEFAULT_CREDENTIALS, FakeAWS  # noqa: E402
from vtest import VPCFLOWD, check, done, run, write_config  # noqa: E402,F401

GROUP = "/vpc/flowlogs/test"
LONG_TERM = DEFAULT_CREDENTIALS[0]          # (AKIDEXAMPLE, secret, None)
SESSION = DEFAULT_CREDENTIALS[1]            # (ASIA..., secret, token)
SECRETS = [c[1] for c in DEFAULT_CREDENTIALS] + [SESSION[2]]


def require_once():
    """One clear failure, not one per check, while main.c lacks --once."""
    rc, out, err = run(["-h"])
    if not check(rc == 0 and b"--once" in out and b"--output" in out,
                 "vpcflowd has --once and --output stdout (main.c calls once_run)"):
        done()


require_once()


def config_text(aws, group=GROUP, start="beginning", max_rps=50.0, extra=""):
    """A configuration that points every AWS endpoint at the fake."""
    state = tempfile.mkdtemp(prefix="vpcflowd-it-state-")
    return ('log_group = "%s";\nregion = "%s";\nendpoint = "%s";\nca_file = "%s";\n'
            'start_position = "%s";\nstate_dir = "%s";\n'
            'aws : { max_rps = %s; kms_endpoint = "%s"; sts_endpoint = "%s"; };\n%s'
            % (group, aws.settings.region, aws.url, aws.ca_file, start, state,
               repr(float(max_rps)), aws.url, aws.url, extra))


def clean_env(creds=SESSION, extra=None):
    """Environment variables for one run: only these AWS settings apply."""
    env = {name: "" for name in os.environ if name.startswith("AWS_")
           or name.lower() in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")}
    env.update({"HOME": tempfile.mkdtemp(prefix="vpcflowd-it-home-"),
                "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials",
                "AWS_CONFIG_FILE": "/nonexistent/config",
                "AWS_EC2_METADATA_DISABLED": "true",
                "AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:9"})
    if creds is not None:
        env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"] = creds[0], creds[1]
        if creds[2]:
            env["AWS_SESSION_TOKEN"] = creds[2]
    env.update(extra or {})
    return env


def run_once(aws, conf=None, creds=SESSION, env=None, args=(), timeout=60, **kw):
    """Run --once --output stdout; returns (status, stdout bytes, stderr text)."""
    path = write_config(conf if conf is not None else config_text(aws, **kw))
    return run(["-c", path, "--once", "--output", "stdout"] + list(args),
               env=clean_env(creds, env), timeout=timeout)


def documents(out):
    """The NDJSON documents on stdout; a line that is not JSON is a failure."""
    docs = []
    for n, line in enumerate(out.decode("utf-8", "replace").splitlines(), 1):
        try:
            docs.append(json.loads(line))
        except ValueError:
            check(False, "stdout line %d is JSON: %r" % (n, line[:200]))
    return docs


def check_exactly_once(docs, events, what):
    """Each of the fake's events is in docs once, and nothing else is."""
    want = collections.Counter(e["eventId"] for e in events)
    got = collections.Counter(d.get("event_id") for d in docs)
    missing = sum(1 for i in want if i not in got)
    repeated = sum(1 for i, n in got.items() if n > 1)
    foreign = sum(1 for i in got if i not in want)
    check(missing == 0 and repeated == 0 and foreign == 0 and len(docs) == len(want),
          "%s: %d events each read exactly once (got %d documents; %d missing, "
          "%d repeated, %d unknown)" % (what, len(want), len(docs), missing, repeated,
                                        foreign))


def group_events(aws, group=GROUP):
    """The fake's events of group as FilterLogEvents would return them."""
    with aws.lock:
        return [e.as_json() for e in aws.groups[group].events]


def check_no_secrets(out, err, extra=(), what="run"):
    """No credential secret, session token or token is in the output."""
    text = out.decode("utf-8", "replace") + err
    leaked = [s for s in list(SECRETS) + list(extra) if s and s in text]
    check(not leaked, "%s: no secret in stdout/stderr (%d leaked)" % (what, len(leaked)))


def issued_secrets(aws):
    """Secrets and tokens of the credentials the fake issued (STS, IMDS, ECS)."""
    with aws.credentials._lock:
        creds = list(aws.credentials._creds.values())
    return [x for c in creds if c.source != "static"
            for x in (c.secret_access_key, c.session_token)]


def tail(rc, err, want=0):
    """The end of stderr, to show when the exit status is not the one wanted."""
    return "" if rc == want else ": " + err[-1500:]


def filter_requests(aws):
    return aws.log(op="FilterLogEvents")


def on_request(aws, action):
    """Call action(n) after the n-th FilterLogEvents answer (n from 1), e.g.
    to queue a fault for the next request or change a setting."""
    handlers = aws._handlers
    inner = handlers[("logs", "FilterLogEvents")]
    count = [0]

    def wrapper(call, req):
        resp = inner(call, req)
        count[0] += 1
        action(count[0])
        return resp
    handlers[("logs", "FilterLogEvents")] = wrapper
