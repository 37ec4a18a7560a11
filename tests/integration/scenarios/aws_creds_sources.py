"""Every AWS credential source end to end against fakeaws, through
`vpcflowd -c FILE -n`, which resolves the region and fetches credentials once
through the whole chain and reports "credentials: <source>, region: <region>
(from <where>)": environment; web identity (token file, STS
AssumeRoleWithWebIdentity); shared files (static keys of a profile, and
role_arn + source_profile: STS AssumeRole signed with the source's keys);
container credentials (full URI with token or token file, relative URI);
IMDSv2 with an endpoint override; aws.role_arn + external_id on top of the
chain. No secret may appear in any output."""
import http.client
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aws_creds_common import AKID, HOME, SECRET, clean_env, config, no_secret, static_env
from fakeaws import FakeAWS
from vtest import check, done, run

WEB_TOKEN = "eyJwebidentity.SECRET-web-token.sig"
CONTAINER_TOKEN = "SECRET-container-token-0042"
ROLE = "arn:aws:iam::123456789012:role/vpcflowd-reader"
ROLE_EXT = "arn:aws:iam::123456789012:role/vpcflowd-external"
EXTERNAL_ID = "ext-id-7731"
SECRETS = [SECRET, WEB_TOKEN, CONTAINER_TOKEN, "FakeSessionToken0001"]
base_env = clean_env
home = HOME


def expect_source(aws, env, source, what, extra_aws=""):
    """Run -n; the report must name source; returns (rc, out, err)."""
    rc, out, err = run(["-c", config(aws, extra_aws), "-n"], env=env)
    text = out.decode("utf-8", "replace")
    line = next((l for l in text.splitlines() if l.startswith("credentials:")), "")
    check(rc == 0, "%s: -n exits 0 (%d: %s)" % (what, rc, err.strip()[-300:]))
    check(line.startswith("credentials: %s, region: us-east-1 (from " % source),
          "%s: -n reports %r (%r)" % (what, source, line))
    no_secret(text + err, SECRETS, what)
    return rc, out, err


def expect_failure(aws, env, words, what, extra_aws=""):
    rc, out, err = run(["-c", config(aws, extra_aws), "-n"], env=env)
    text = out.decode("utf-8", "replace") + err
    check(rc != 0 and all(w in text for w in words),
          "%s: -n fails and says %s (%d: %s)" % (what, words, rc, text.strip()[-400:]))
    no_secret(text, SECRETS, what)


def write(name, text, mode=0o600):
    path = os.path.join(home, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


class LinkLocalProxy(ThreadingHTTPServer):
    """An HTTP proxy on loopback that answers for http://169.254.170.2 (the
    container credentials host) by forwarding to the fake's meta port."""

    def __init__(self, meta_port):
        self.meta_port = meta_port
        self.seen = []
        super().__init__(("127.0.0.1", 0), _ProxyHandler)


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):  # noqa: N802
        self.server.seen.append(self.path)
        prefix = "http://169.254.170.2/"
        if not self.path.startswith(prefix):
            self.send_error(502)
            return
        conn = http.client.HTTPConnection("127.0.0.1", self.server.meta_port, timeout=10)
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ("host", "proxy-connection", "connection")}
        conn.request("GET", self.path[len(prefix) - 1:], headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        self.send_response(resp.status)
        self.send_header("Content-Type", resp.getheader("Content-Type", "text/plain"))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        conn.close()

    def log_message(self, fmt, *args):
        pass


with FakeAWS() as aws:
    aws.control({"settings": {
        "web_identity_tokens": [WEB_TOKEN],
        "container_token": CONTAINER_TOKEN,
        "accept_any_role": True,
        "roles": {ROLE_EXT: {"external_id": EXTERNAL_ID}},
    }})

    # The daemon must report what it found: one clear failure otherwise.
    rc, out, err = run(["-c", config(aws), "-n"],
                       env=static_env())
    if not check(b"credentials: " in out, "-n reports the credential source "
                 "(main.c calls aws_describe_setup): rc %d %r" % (rc, err.strip()[-200:])):
        done()

    # Nothing anywhere: every source says why, in chain order.
    expect_failure(aws, base_env(), ["environment", "web identity", "shared files",
                                     "container", "IMDSv2"], "no credentials")

    # 1. Environment.
    expect_source(aws, static_env(),
                  "environment", "environment")
    expect_failure(aws, base_env(AWS_ACCESS_KEY_ID=AKID), ["AWS_SECRET_ACCESS_KEY"],
                   "environment without the secret")

    # 2. Web identity: the token file, unsigned AssumeRoleWithWebIdentity.
    tok = write("token", WEB_TOKEN + "\n")
    expect_source(aws, base_env(AWS_WEB_IDENTITY_TOKEN_FILE=tok, AWS_ROLE_ARN=ROLE,
                                AWS_ROLE_SESSION_NAME="it-session"),
                  "web identity (role %s)" % ROLE, "web identity")
    calls = aws.log(op="AssumeRoleWithWebIdentity")
    check(any(c.get("status") == 200 for c in calls),
          "web identity: the fake STS issued credentials (%d calls)" % len(calls))
    bad = write("badtoken", "eyJ.SECRET-web-token-wrong.x\n")
    SECRETS.append("eyJ.SECRET-web-token-wrong.x")
    expect_failure(aws, base_env(AWS_WEB_IDENTITY_TOKEN_FILE=bad, AWS_ROLE_ARN=ROLE),
                   ["web identity", "InvalidIdentityToken"], "web identity with a bad token")

    # 3. Shared files: static keys; AWS_PROFILE and aws.profile; config-only profiles.
    write(".aws/credentials", "[default]\naws_access_key_id = %s\n"
          "aws_secret_access_key = %s\n\n[other]\naws_access_key_id = %s\n"
          "aws_secret_access_key = %s\n" % (AKID, SECRET, AKID, SECRET))
    write(".aws/config", "[default]\nregion = eu-west-3\n\n"
          "[profile prod]\naws_access_key_id = %s\naws_secret_access_key = %s\n\n"
          "[profile assumer]\nrole_arn = %s\nsource_profile = other\n"
          "role_session_name = it-profile\n" % (AKID, SECRET, ROLE))
    expect_source(aws, base_env(), "shared files (profile 'default')", "shared files default")
    expect_source(aws, base_env(AWS_PROFILE="prod"), "shared files (profile 'prod')",
                  "shared files AWS_PROFILE=prod (config file)")
    expect_source(aws, base_env(AWS_PROFILE="nosuch"), "shared files (profile 'prod')",
                  "aws.profile wins over AWS_PROFILE", extra_aws='profile = "prod";')
    expect_failure(aws, base_env(), ["shared files", "profile 'ghost' not found in",
                                     os.path.join(home, ".aws/config")],
                   "a missing explicit profile", extra_aws='profile = "ghost";')

    # 4. role_arn + source_profile: AssumeRole signed with the source's keys.
    before = len(aws.log(op="AssumeRole"))
    expect_source(aws, base_env(AWS_PROFILE="assumer"),
                  "shared files (profile 'assumer', role %s)" % ROLE,
                  "shared files role_arn + source_profile")
    calls = aws.log(op="AssumeRole")[before:]
    check(len(calls) == 1 and calls[0].get("access_key") == AKID and
          calls[0].get("status") == 200,
          "source_profile: AssumeRole signed with the source's key (%s)" %
          [(c.get("access_key"), c.get("status")) for c in calls])
    os.remove(os.path.join(home, ".aws/credentials"))
    os.remove(os.path.join(home, ".aws/config"))

    # 5. Container credentials: full URI with a token, a token file, a relative URI.
    full = aws.meta_url.rstrip("/") + "/v2/credentials/vpcflowd"
    expect_source(aws, base_env(AWS_CONTAINER_CREDENTIALS_FULL_URI=full,
                                AWS_CONTAINER_AUTHORIZATION_TOKEN=CONTAINER_TOKEN),
                  "container", "container full URI + token")
    ctok = write("ctoken", CONTAINER_TOKEN + "\n")
    expect_source(aws, base_env(AWS_CONTAINER_CREDENTIALS_FULL_URI=full,
                                AWS_CONTAINER_AUTHORIZATION_TOKEN="SECRET-ignored",
                                AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=ctok),
                  "container", "container full URI + token file (wins over the variable)")
    SECRETS.append("SECRET-ignored")
    expect_failure(aws, base_env(AWS_CONTAINER_CREDENTIALS_FULL_URI=full,
                                 AWS_CONTAINER_AUTHORIZATION_TOKEN="SECRET-wrong-token"),
                   ["container", "401"], "container with a wrong token")
    SECRETS.append("SECRET-wrong-token")
    proxy = LinkLocalProxy(aws.meta_port)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        expect_source(aws, base_env(
            AWS_CONTAINER_CREDENTIALS_RELATIVE_URI="/v2/credentials/vpcflowd",
            AWS_CONTAINER_AUTHORIZATION_TOKEN=CONTAINER_TOKEN,
            http_proxy="http://127.0.0.1:%d" % proxy.server_address[1],
            no_proxy="127.0.0.1,localhost"), "container", "container relative URI")
        check("http://169.254.170.2/v2/credentials/vpcflowd" in proxy.seen,
              "relative URI: fetched from http://169.254.170.2$URI (%s)" % proxy.seen)
    finally:
        proxy.shutdown()
        proxy.server_close()

    # 6. IMDSv2 with the endpoint override.
    before = len(aws.log())
    imds_env = clean_env(imds=True, AWS_EC2_METADATA_SERVICE_ENDPOINT=aws.meta_url)
    expect_source(aws, imds_env, "IMDSv2 (role vpcflowd-role)", "IMDSv2")
    ops = [e.get("op") for e in aws.log()[before:]]
    check(ops[:1] == ["IMDSToken"] and ops.count("IMDS") >= 2,
          "IMDSv2: a session token first, then the role and its credentials (%s)" % ops)

    # 7. aws.role_arn + external_id on top of the chain (environment here).
    before = len(aws.log(op="AssumeRole"))
    expect_source(aws, static_env(),
                  "assume role %s on top of environment" % ROLE_EXT, "aws.role_arn",
                  extra_aws='role_arn = "%s"; external_id = "%s";' % (ROLE_EXT, EXTERNAL_ID))
    calls = aws.log(op="AssumeRole")[before:]
    check(len(calls) == 1 and calls[0].get("access_key") == AKID and
          calls[0].get("status") == 200,
          "aws.role_arn: AssumeRole signed with the chain's key (%s)" %
          [(c.get("access_key"), c.get("status")) for c in calls])
    expect_failure(aws, static_env(),
                   ["assume role", "AccessDenied"], "aws.role_arn with a wrong external_id",
                   extra_aws='role_arn = "%s"; external_id = "wrong";' % ROLE_EXT)

done()
