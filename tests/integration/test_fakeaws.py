#!/usr/bin/env python3
"""Self-test of the fake AWS (fakeaws.py): python3 tests/integration/test_fakeaws.py

Proves the fake's SigV4 code against cases of the AWS SigV4 test suite
(../shared/testdata/aws-sigv4-test-suite/v4, read at run time; set
SIGV4_SUITE to override), then drives every endpoint over real sockets on
127.0.0.1: pagination, empty pages, filters, ingestion delay, every injected
fault, STS, KMS, IMDSv2, container credentials, the control API and the
command line. Bounded: every socket has a timeout and a watchdog ends the
process after WATCHDOG_S seconds.
"""

import base64
import email.utils
import faulthandler
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fakeaws  # noqa: E402
import tlsutil  # noqa: E402

WATCHDOG_S = 90
SHARED = os.environ.get("VPCFLOWD_SHARED") or next(
    (p for p in (os.path.join(HERE, "..", "..", "..", "shared"), "/work/shared") if os.path.isdir(p)), "")
SUITE = os.environ.get("SIGV4_SUITE") or os.path.normpath(
    os.path.join(SHARED, "testdata", "aws-sigv4-test-suite", "v4"))
REQUIRED_CASES = ("get-vanilla", "post-vanilla", "get-vanilla-query-order-key-case",
                  "get-vanilla-with-session-token")
KEY = ("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None)
GROUP = fakeaws.DEFAULT_GROUP
FILTER = "Logs_20140328.FilterLogEvents"


# --------------------------------------------------------------------------
# the AWS SigV4 test suite

def read_suite_request(path):
    """(method, path, query, [(name, value)], body) from a request.txt."""
    with open(path, "rb") as fh:
        text = fh.read().decode("utf-8")
    head, _, body = text.partition("\n\n")
    lines = head.split("\n")
    method, rest = lines[0].split(" ", 1)
    target = rest.rsplit(" ", 1)[0]
    headers = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and headers:
            headers[-1] = (headers[-1][0], headers[-1][1] + " " + line.strip())
        elif line:
            name, _, value = line.partition(":")
            headers.append((name, value))
    path, _, query = target.partition("?")
    return method, path, query, headers, body.encode("utf-8")


def read_text(case, name):
    with open(os.path.join(SUITE, case, name), encoding="utf-8") as fh:
        return fh.read()


def applicable_cases():
    """Cases that apply to CloudWatch Logs (see the suite's README)."""
    cases = []
    for case in sorted(os.listdir(SUITE)):
        ctx = json.loads(read_text(case, "context.json"))
        if ctx.get("normalize") and not ctx.get("omit_session_token") \
                and case != "post-sts-header-after":
            cases.append(case)
    return cases


class SigV4SuiteTest(unittest.TestCase):
    """The fake's signer and verifier against the AWS test suite."""

    def test_required_cases_present(self):
        self.assertTrue(os.path.isdir(SUITE), "SigV4 test suite not found at " + SUITE)
        for case in REQUIRED_CASES:
            self.assertIn(case, applicable_cases())

    def test_suite(self):
        for case in applicable_cases():
            with self.subTest(case=case):
                self.check_case(case)

    def check_case(self, case):
        ctx = json.loads(read_text(case, "context.json"))
        method, path, query, headers, body = read_suite_request(
            os.path.join(SUITE, case, "request.txt"))
        creds = ctx["credentials"]
        epoch = fakeaws.parse_epoch(ctx["timestamp"])
        signed_headers = self.sign(ctx, method, path, query, headers, body, epoch)
        date_time = fakeaws.amz_date(epoch)
        names = sorted({n.lower() for n, _ in signed_headers if n != "Authorization"})
        payload = fakeaws.sha256_hex(body)
        creq = fakeaws.canonical_request(method, path, query, signed_headers, names, payload)
        self.assertEqual(creq, read_text(case, "header-canonical-request.txt"))
        scope = "%s/%s/%s/aws4_request" % (date_time[:8], ctx["region"], ctx["service"])
        sts = fakeaws.string_to_sign(date_time, scope, creq)
        self.assertEqual(sts, read_text(case, "header-string-to-sign.txt"))
        sig = fakeaws.signature(creds["secret_access_key"], date_time, ctx["region"],
                                ctx["service"], sts)
        self.assertEqual(sig, read_text(case, "header-signature.txt").strip())
        expected_auth = [line.split(":", 1)[1] for line in
                         read_text(case, "header-signed-request.txt").split("\n")
                         if line.startswith("Authorization:")][0]
        self.assertEqual(dict(signed_headers)["Authorization"], expected_auth)
        self.verify_server_side(ctx, method, path, query, signed_headers, body, epoch)

    @staticmethod
    def sign(ctx, method, path, query, headers, body, epoch):
        """Sign with fakeaws.sign_request; returns the signed header pairs."""
        creds = ctx["credentials"]
        if ctx.get("sign_body"):
            headers = headers + [("X-Amz-Content-Sha256", fakeaws.sha256_hex(body))]
        return fakeaws.sign_request(method, path, query, headers, body,
                                    access_key=creds["access_key_id"],
                                    secret_key=creds["secret_access_key"],
                                    region=ctx["region"], service=ctx["service"],
                                    session_token=creds.get("token"), epoch=epoch)

    @staticmethod
    def verify_server_side(ctx, method, path, query, pairs, body, epoch):
        """The fake's verifier accepts what the suite signed."""
        import email.message
        msg = email.message.Message()
        for name, value in pairs:
            msg[name] = value
        aws = fakeaws.FakeAWS(tls=False, meta=False, region=ctx["region"])
        aws.settings.skew = epoch - time.time()
        creds = ctx["credentials"]
        aws.credentials.add(creds["access_key_id"], creds["secret_access_key"],
                            creds.get("token"))
        req = fakeaws.Request(method, path, query, msg, body, "main")
        assert aws._authenticate(req, ctx["service"]) == creds["access_key_id"]


# --------------------------------------------------------------------------
# a small client for the live tests

class Client:
    """HTTP(S) client that signs with fakeaws.sign_request."""

    def __init__(self, aws, creds=KEY):
        self.aws, self.creds, self.conn = aws, creds, None

    def connect(self, port=None, tls=True):
        port = port or self.aws.port
        if tls and self.aws.tls:
            return http.client.HTTPSConnection("127.0.0.1", port, timeout=10,
                                               context=tlsutil.client_context(self.aws.ca_file))
        return http.client.HTTPConnection("127.0.0.1", port, timeout=10)

    def send(self, method, path, body=b"", headers=None):
        """(status, headers, body bytes) over a kept-alive main-port connection."""
        if self.conn is None:
            self.conn = self.connect()
        try:
            self.conn.request(method, path, body=body, headers=headers or {})
            resp = self.conn.getresponse()
            return resp.status, resp.headers, resp.read()
        except (ConnectionError, http.client.HTTPException, OSError):
            self.close()
            raise

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def signed_headers(self, service, body, extra, creds=None, epoch=None, region=None):
        access_key, secret, token = creds or self.creds
        headers = {"Host": "127.0.0.1:%d" % self.aws.port, **extra}
        return fakeaws.sign_request("POST", "/", "", headers, body, access_key=access_key,
                                    secret_key=secret, session_token=token, epoch=epoch,
                                    region=region or self.aws.settings.region, service=service)

    def json(self, target, params, service="logs", **sign):
        """(status, headers, decoded JSON) of a signed JSON 1.1 call."""
        body = json.dumps(params).encode()
        headers = self.signed_headers(service, body, {"X-Amz-Target": target,
                                                      "Content-Type": fakeaws.JSON_CT}, **sign)
        status, resp_headers, data = self.send("POST", "/", body, headers)
        return status, resp_headers, json.loads(data)

    def sts(self, params, signed=True, **sign):
        """(status, headers, XML root with namespaces stripped) of an STS call."""
        body = "&".join("%s=%s" % (k, fakeaws.uri_encode(v)) for k, v in params.items()).encode()
        extra = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        if signed:
            headers = self.signed_headers("sts", body, extra, **sign)
        else:
            headers = {"Host": "127.0.0.1:%d" % self.aws.port, **extra}
        status, resp_headers, data = self.send("POST", "/", body, headers)
        root = ET.fromstring(data)
        for elem in root.iter():
            elem.tag = elem.tag.split("}")[-1]
        return status, resp_headers, root

    def filter_all(self, params, max_calls=1000):
        """All events of a paginated FilterLogEvents; returns (events, pages)."""
        events, pages, token = [], [], None
        for _ in range(max_calls):
            call = dict(params, **({"nextToken": token} if token else {}))
            status, _, doc = self.json(FILTER, call)
            assert status == 200, doc
            pages.append(doc)
            events.extend(doc["events"])
            token = doc.get("nextToken")
            if not token:
                return events, pages
        raise AssertionError("pagination did not end")


def meta_request(aws, method, path, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", aws.meta_port, timeout=10)
    try:
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.headers, resp.read().decode()
    finally:
        conn.close()


def control(aws, doc=None, path="/__control"):
    """POST (doc) or GET the control API over HTTPS."""
    client = Client(aws)
    try:
        if doc is None:
            status, _, data = client.send("GET", path)
        else:
            status, _, data = client.send("POST", path, json.dumps(doc).encode(),
                                          {"Content-Type": "application/json"})
        return status, json.loads(data)
    finally:
        client.close()


class LiveTest(unittest.TestCase):
    """One FakeAWS (TLS + meta port) for all live tests; each test resets it."""

    @classmethod
    def setUpClass(cls):
        cls.aws = fakeaws.FakeAWS().start()
        cls.big = cls.aws.generate_events(50000, streams=7, group="/big", seed=7)

    @classmethod
    def tearDownClass(cls):
        cls.aws.stop()

    def setUp(self):
        self.aws.faults.clear()
        self.aws.settings = fakeaws.Settings()
        self.aws.clock.set(offset=0, factor=1)
        self.aws.clear_log()
        self.client = Client(self.aws)

    def tearDown(self):
        self.client.close()
        self.assertEqual(self.aws.internal_errors, 0, "the fake raised; see stderr")

    def error_of(self, target=FILTER, params=None, **sign):
        if params is None:
            params = {"logGroupName": GROUP}
        status, headers, doc = self.client.json(target, params, **sign)
        return status, doc.get("__type"), doc.get("message", ""), headers

    # -- pagination

    def assert_exactly_once(self, events):
        ids = [e["eventId"] for e in events]
        self.assertEqual(len(ids), 50000)
        self.assertEqual(set(ids), {ev.event_id for ev in self.aws.groups["/big"].events})
        self.assertTrue(all(len(i) == 56 and i.isdigit() for i in ids))
        keys = [(e["timestamp"], e["logStreamName"]) for e in events]
        self.assertEqual(keys, sorted(keys))

    def test_pagination_limit_10000(self):
        self.aws.settings.page_bytes = 64 << 20
        events, pages = self.client.filter_all({"logGroupName": "/big", "limit": 10000})
        self.assertEqual([len(p["events"]) for p in pages], [10000] * 5)
        self.assert_exactly_once(events)
        self.assertEqual(self.aws.count("FilterLogEvents", 200), 5)

    def test_pagination_1mb_pages(self):
        sizes = []
        token, events = None, []
        while True:
            params = {"logGroupName": "/big", **({"nextToken": token} if token else {})}
            body = json.dumps(params).encode()
            headers = self.client.signed_headers("logs", body, {
                "X-Amz-Target": FILTER, "Content-Type": fakeaws.JSON_CT})
            status, _, data = self.client.send("POST", "/", body, headers)
            self.assertEqual(status, 200)
            sizes.append(len(data))
            doc = json.loads(data)
            events.extend(doc["events"])
            token = doc.get("nextToken")
            if not token:
                break
        self.assertGreater(len(sizes), 5)
        self.assertLessEqual(max(sizes), 1048576)
        self.assertGreater(max(sizes), 1000000)
        self.assert_exactly_once(events)

    def test_empty_pages_carry_token(self):
        self.aws.inject("empty_pages", 3)
        events, pages = self.client.filter_all({"logGroupName": "/big", "limit": 10000,
                                                "startTime": self.big[40000]["timestamp"]})
        self.assertEqual([len(p["events"]) for p in pages[:3]], [0, 0, 0])
        self.assertTrue(all("nextToken" in p for p in pages[:3]))
        self.assertEqual(len(events), sum(1 for e in self.big
                                          if e["timestamp"] >= self.big[40000]["timestamp"]))

    def test_scan_limit_gives_empty_pages(self):
        self.aws.settings.scan_limit = 1000
        events, pages = self.client.filter_all({"logGroupName": "/big",
                                                "filterPattern": '"NODATA"'})
        self.assertEqual(len(events), 500)
        self.assertTrue(all("NODATA" in e["message"] for e in events))
        self.assertEqual(len(pages), 50)
        self.aws.add_events("/sparse", [{"logStreamName": "s", "timestamp": 1000 + i,
                                         "message": "needle" if i in (55, 99) else "hay"}
                                        for i in range(100)])
        self.aws.settings.scan_limit = 10
        events, pages = self.client.filter_all({"logGroupName": "/sparse",
                                                "filterPattern": "needle"})
        self.assertEqual([e["timestamp"] for e in events], [1055, 1099])
        self.assertEqual([len(p["events"]) for p in pages], [0] * 5 + [1] + [0] * 3 + [1])
        self.assertTrue(all(p.get("nextToken") for p in pages[:-1]))

    def test_trailing_token(self):
        self.aws.settings.trailing_token = True
        events, pages = self.client.filter_all({"logGroupName": "/big", "limit": 10000})
        self.assertEqual(len(events), 50000)
        self.assertEqual(pages[-1], {"events": [], "searchedLogStreams": []})

    # -- query parameters

    def add_small_group(self):
        now = int(time.time() * 1000)
        events = [{"logStreamName": "eni-a-all" if i % 2 else "eni-b-all",
                   "timestamp": now - 100000 + i * 1000,
                   "message": "2 123456789012 eni-x 10.0.0.1 10.0.0.2 443 5000 6 1 40 1 2 %s OK"
                   % ("REJECT" if i % 3 == 0 else "ACCEPT")} for i in range(30)]
        self.aws.groups.pop("/small", None)
        self.aws.add_events("/small", events)
        return events

    def filter_ids(self, **params):
        events, _ = self.client.filter_all({"logGroupName": "/small", **params})
        return [e["timestamp"] for e in events]

    def test_time_range_streams_and_patterns(self):
        events = self.add_small_group()
        ts = [e["timestamp"] for e in events]
        self.assertEqual(self.filter_ids(startTime=ts[5], endTime=ts[10]), ts[5:10])
        self.aws.settings.end_inclusive = True
        self.assertEqual(self.filter_ids(startTime=ts[5], endTime=ts[10]), ts[5:11])
        self.assertEqual(self.filter_ids(logStreamNamePrefix="eni-a"), ts[1::2])
        self.assertEqual(self.filter_ids(logStreamNames=["eni-b-all"]), ts[0::2])
        self.assertEqual(self.filter_ids(filterPattern='"REJECT"'), ts[0::3])
        self.assertEqual(self.filter_ids(filterPattern="[v, a, i, s, d, sp, dp, p, pk, b, st, "
                                                       "en, action=REJECT, status]"), ts[0::3])
        self.assertEqual(self.filter_ids(filterPattern="[..., action=ACC*, status]"),
                         [t for i, t in enumerate(ts) if i % 3])
        self.assertEqual(self.filter_ids(filterPattern="?REJECT ?nothing"), ts[0::3])
        arn = "arn:aws:logs:us-east-1:123456789012:log-group:/small"
        events, _ = self.client.filter_all({"logGroupIdentifier": arn, "limit": 7})
        self.assertEqual([e["timestamp"] for e in events], ts)

    def test_parameter_errors(self):
        self.add_small_group()
        cases = [
            ({"logGroupName": "/nope"}, "ResourceNotFoundException"),
            ({"logGroupName": "/small", "nextToken": "garbage"}, "InvalidParameterException"),
            ({"logGroupName": "/small", "limit": 0}, "InvalidParameterException"),
            ({"logGroupName": "/small", "limit": 10001}, "InvalidParameterException"),
            ({"logGroupName": "/small", "logStreamNames": ["a"], "logStreamNamePrefix": "a"},
             "InvalidParameterException"),
            ({"logGroupIdentifier": "arn:aws:logs:us-east-1:123456789012:log-group:/small:*"},
             "InvalidParameterException"),
            ({"logGroupName": "/small", "startTime": "yesterday"}, "SerializationException"),
            ({}, "InvalidParameterException"),
        ]
        for params, want in cases:
            with self.subTest(params=params):
                status, kind, _, headers = self.error_of(params=params)
                self.assertEqual(status, 400)
                self.assertEqual(kind, "com.amazonaws.logs#" + want)
                self.assertTrue(headers["X-Amzn-ErrorType"].startswith(want + ":"))

    def test_token_bound_to_query(self):
        self.add_small_group()
        _, _, doc = self.client.json(FILTER, {"logGroupName": "/small", "limit": 5})
        status, kind, _, _ = self.error_of(params={"logGroupName": "/small", "limit": 5,
                                                   "startTime": 1,
                                                   "nextToken": doc["nextToken"]})
        self.assertEqual((status, kind), (400, "com.amazonaws.logs#InvalidParameterException"))

    def test_delayed_ingestion(self):
        now = self.aws.clock.now_ms()
        self.aws.add_events("/late", [
            {"logStreamName": "s", "timestamp": now - 60000, "message": "early"},
            {"logStreamName": "s", "timestamp": now - 50000, "ingestionTime": now + 600000,
             "message": "late"}])
        events, _ = self.client.filter_all({"logGroupName": "/late"})
        self.assertEqual([e["message"] for e in events], ["early"])
        self.aws.control({"clock": {"advance": 601}})
        events, _ = self.client.filter_all({"logGroupName": "/late"})
        self.assertEqual([e["message"] for e in events], ["early", "late"])
        self.assertEqual(events[1]["ingestionTime"], now + 600000)
        self.aws.clock.set(offset=0, factor=1000)
        time.sleep(0.05)
        self.assertGreater(self.aws.clock.now() - time.time(), 40)

    # -- authentication

    def test_auth_errors(self):
        bad = (KEY[0], "not-the-secret", None)
        status, kind, message, headers = self.error_of(creds=bad)
        self.assertEqual((status, kind), (400, "InvalidSignatureException"))
        self.assertTrue(message.startswith("The request signature we calculated does not "
                                           "match the signature you provided"))
        self.assertIn("The Canonical String for this request should have been", message)
        status, kind, _, _ = self.error_of(creds=("AKIDUNKNOWN", "x", None))
        self.assertEqual((status, kind), (400, "UnrecognizedClientException"))
        self.aws.credentials.add("ASIAEXPIRED", "secret", "tok", expires=time.time() - 1)
        status, kind, _, _ = self.error_of(creds=("ASIAEXPIRED", "secret", "tok"))
        self.assertEqual((status, kind), (400, "ExpiredTokenException"))
        status, kind, _, _ = self.error_of(creds=("ASIAFAKESESSION00001",
                                                  fakeaws.DEFAULT_CREDENTIALS[1][1], "wrong"))
        self.assertEqual((status, kind), (400, "UnrecognizedClientException"))
        status, kind, message, _ = self.error_of(region="eu-west-1")
        self.assertEqual((status, kind), (400, "InvalidSignatureException"))
        status, kind, message, _ = self.error_of(service="kms")
        self.assertIn("correct service: 'logs'", message)
        status, _, data = self.client.send("POST", "/", b"{}", {
            "X-Amz-Target": FILTER, "Content-Type": fakeaws.JSON_CT})
        self.assertEqual(json.loads(data)["__type"], "MissingAuthenticationTokenException")

    def test_session_credentials_accepted(self):
        ak, secret, token = fakeaws.DEFAULT_CREDENTIALS[1]
        status, _, _, _ = self.error_of(creds=(ak, secret, token))
        self.assertEqual(status, 200)

    def test_request_time_too_skewed(self):
        status, kind, message, headers = self.error_of(epoch=time.time() - 600)
        self.assertEqual((status, kind), (400, "InvalidSignatureException"))
        self.assertRegex(message, r"^Signature expired: \d{8}T\d{6}Z is now earlier than "
                                  r"\d{8}T\d{6}Z \(\d{8}T\d{6}Z - 5 min\.\)$")
        self.aws.control({"skew": 900})
        status, kind, message, headers = self.error_of()
        self.assertEqual(status, 400)
        self.assertTrue(message.startswith("Signature expired: "))
        server_date = email.utils.parsedate_to_datetime(headers["Date"]).timestamp()
        self.assertAlmostEqual(server_date - time.time(), 900, delta=5)
        status, _, _, _ = self.error_of(epoch=server_date)       # client corrects skew
        self.assertEqual(status, 200)
        self.aws.settings.skew = -900
        _, _, message, _ = self.error_of()
        self.assertTrue(message.startswith("Signature not yet current: "))

    # -- faults

    def test_throttle_then_success(self):
        self.aws.inject("throttle", 2, target="FilterLogEvents")
        results = [self.error_of()[:2] for _ in range(3)]
        self.assertEqual(results, [(400, "com.amazonaws.logs#ThrottlingException")] * 2
                         + [(200, None)])
        status, doc = control(self.aws, path="/__control/log?op=FilterLogEvents")
        self.assertEqual([e["status"] for e in doc["entries"]], [400, 400, 200])
        self.assertEqual([e["fault"] for e in doc["entries"]], ["throttle", "throttle", None])

    def test_server_errors_expired_access_denied(self):
        self.assertEqual(control(self.aws, {"server_error": 1})[0], 200)
        self.aws.inject("expired_token", 1)
        self.aws.inject("access_denied", 1)
        self.aws.inject("server_error", 1, status=503)
        got = [self.error_of()[:2] for _ in range(5)]
        self.assertEqual(got, [(500, "com.amazonaws.logs#InternalFailure"),
                               (400, "ExpiredTokenException"),
                               (400, "com.amazonaws.logs#AccessDeniedException"),
                               (503, "com.amazonaws.logs#ServiceUnavailableException"),
                               (200, None)])

    def test_drop_and_reset(self):
        for mode in ("close", "reset"):
            self.aws.inject("drop", 1, mode=mode)
            with self.assertRaises((ConnectionError, http.client.HTTPException, OSError)):
                self.error_of()
            self.assertEqual(self.error_of()[0], 200)
        self.assertEqual([e["status"] for e in self.aws.log()], [None, 200, None, 200])

    def test_delay_latency_and_targets(self):
        self.aws.inject("delay", 1, seconds=0.4)
        self.aws.inject("throttle", 1, target="kms")
        started = time.monotonic()
        self.assertEqual(self.error_of()[0], 200)
        self.assertGreaterEqual(time.monotonic() - started, 0.4)
        self.aws.settings.latency = 0.2
        started = time.monotonic()
        self.assertEqual(self.error_of()[0], 200)              # kms fault not consumed
        self.assertGreaterEqual(time.monotonic() - started, 0.2)
        self.assertEqual(len(self.aws.faults.pending()), 1)

    def test_rate_limit(self):
        self.aws.control({"rate_limit": 5.0, "rate_burst": 2})
        statuses = [self.error_of()[0] for _ in range(6)]
        self.assertEqual(statuses[:2], [200, 200])
        self.assertIn(400, statuses)
        time.sleep(0.45)
        self.assertEqual(self.error_of()[0], 200)

    def test_control_api_errors_and_state(self):
        status, doc = control(self.aws, {"no_such_key": 1})
        self.assertEqual(status, 400)
        self.assertIn("no_such_key", doc["error"])
        status, doc = control(self.aws, {"page_size": "big"})
        self.assertEqual(status, 400)
        status, doc = control(self.aws, {"throttle": 4, "page_size": 3,
                                         "add_events": {"group": "/c", "events": [
                                             {"logStreamName": "s", "age_s": 10,
                                              "message": "m"}]}})
        self.assertEqual(status, 200)
        self.assertEqual(doc["state"]["faults"][0]["count"], 4)
        self.assertEqual(doc["state"]["settings"]["page_size"], 3)
        self.assertEqual(doc["state"]["groups"]["/c"], {"events": 1, "streams": 1})
        status, doc = control(self.aws, {"clear_faults": True})
        self.assertEqual(doc["state"]["faults"], [])
        status, _, body = meta_request(self.aws, "GET", "/__control")
        self.assertEqual(status, 200)

    # -- STS

    def assume_role(self, creds=None, **extra):
        params = {"Action": "AssumeRole", "Version": "2011-06-15",
                  "RoleArn": "arn:aws:iam::123456789012:role/vpcflowd-reader",
                  "RoleSessionName": "vpcflowd", **extra}
        return self.client.sts(params, creds=creds)

    def creds_from(self, elem):
        c = elem.find(".//Credentials")
        return (c.findtext("AccessKeyId"), c.findtext("SecretAccessKey"),
                c.findtext("SessionToken")), fakeaws.parse_epoch(c.findtext("Expiration"))

    def test_sts_assume_role(self):
        self.aws.settings.sts_duration = 60
        status, _, root = self.assume_role()
        self.assertEqual((status, root.tag), (200, "AssumeRoleResponse"))
        creds, expires = self.creds_from(root)
        self.assertTrue(creds[0].startswith("ASIA"))
        self.assertAlmostEqual(expires - time.time(), 60, delta=5)
        self.assertIn("assumed-role/vpcflowd-reader/vpcflowd",
                      root.findtext(".//AssumedRoleUser/Arn"))
        self.assertEqual(self.error_of(creds=creds)[0], 200)
        self.aws.control({"expire_credentials": "issued"})
        self.assertEqual(self.error_of(creds=creds)[:2], (400, "ExpiredTokenException"))
        status, _, root = self.client.sts({"Action": "GetCallerIdentity",
                                           "Version": "2011-06-15"})
        self.assertEqual(root.findtext(".//Account"), "123456789012")

    def test_sts_errors(self):
        self.aws.settings.roles = {"arn:aws:iam::123456789012:role/vpcflowd-reader":
                                   {"external_id": "ext-1"}}
        status, _, root = self.assume_role(ExternalId="wrong")
        self.assertEqual((status, root.tag, root.findtext(".//Code"), root.findtext(".//Type")),
                         (403, "ErrorResponse", "AccessDenied", "Sender"))
        self.assertEqual(self.assume_role(ExternalId="ext-1")[0], 200)
        status, _, root = self.client.sts({"Action": "AssumeRole", "RoleArn": "bad",
                                           "RoleSessionName": "x1"})
        self.assertEqual((status, root.findtext(".//Code")), (400, "ValidationError"))
        status, _, root = self.assume_role(creds=(KEY[0], "bad", None))
        self.assertEqual((status, root.findtext(".//Code")), (403, "SignatureDoesNotMatch"))
        self.aws.inject("throttle", 1, target="sts")
        status, _, root = self.assume_role(ExternalId="ext-1")
        self.assertEqual((status, root.findtext(".//Code")), (400, "Throttling"))
        self.aws.inject("server_error", 1, target="AssumeRole", status=503)
        status, _, root = self.assume_role(ExternalId="ext-1")
        self.assertEqual((status, root.findtext(".//Type")), (503, "Receiver"))

    def test_sts_web_identity(self):
        params = {"Action": "AssumeRoleWithWebIdentity", "Version": "2011-06-15",
                  "RoleArn": "arn:aws:iam::123456789012:role/irsa",
                  "RoleSessionName": "vpcflowd", "WebIdentityToken": "eyJhbGciOi.jwt.sig"}
        status, _, root = self.client.sts(params, signed=False)
        self.assertEqual((status, root.tag), (200, "AssumeRoleWithWebIdentityResponse"))
        creds, _ = self.creds_from(root)
        self.assertEqual(self.error_of(creds=creds)[0], 200)
        self.aws.settings.web_identity_tokens = ["other"]
        status, _, root = self.client.sts(params, signed=False)
        self.assertEqual((status, root.findtext(".//Code")), (400, "InvalidIdentityToken"))
        self.aws.inject("expired_token", 1, target="AssumeRoleWithWebIdentity")
        status, _, root = self.client.sts(params, signed=False)
        self.assertEqual((status, root.findtext(".//Code")), (400, "ExpiredTokenException"))

    # -- KMS

    def test_kms_decrypt(self):
        context = {"LambdaFunctionName": "logzio-vpcflow"}
        blob = fakeaws.kms_encrypt("s3cr3t-token", context)
        status, _, doc = self.client.json("TrentService.Decrypt", {
            "CiphertextBlob": blob, "EncryptionContext": context}, service="kms")
        self.assertEqual(status, 200)
        self.assertEqual(base64.b64decode(doc["Plaintext"]), b"s3cr3t-token")
        self.assertTrue(doc["KeyId"].startswith("arn:aws:kms:us-east-1:123456789012:key/"))
        status, _, doc = self.client.json("TrentService.Decrypt", {
            "CiphertextBlob": blob, "EncryptionContext": {"LambdaFunctionName": "x"}},
            service="kms")
        self.assertEqual((status, doc["__type"]),
                         (400, "com.amazonaws.kms#InvalidCiphertextException"))
        status, _, doc = self.client.json("TrentService.Decrypt", {"CiphertextBlob": blob},
                                          service="logs")
        self.assertEqual(doc["__type"], "InvalidSignatureException")

    # -- IMDSv2 and container credentials

    def test_imds(self):
        base = "/latest/meta-data/iam/security-credentials/"
        self.assertEqual(meta_request(self.aws, "GET", base)[0], 401)
        self.assertEqual(meta_request(self.aws, "PUT", "/latest/api/token")[0], 400)
        status, headers, token = meta_request(self.aws, "PUT", "/latest/api/token", {
            "X-aws-ec2-metadata-token-ttl-seconds": "21600"})
        self.assertEqual((status, headers["X-aws-ec2-metadata-token-ttl-seconds"]),
                         (200, "21600"))
        auth = {"X-aws-ec2-metadata-token": token}
        self.assertEqual(meta_request(self.aws, "GET", base, {
            "X-aws-ec2-metadata-token": "forged"})[0], 401)
        status, _, role = meta_request(self.aws, "GET", base, auth)
        self.assertEqual((status, role), (200, "vpcflowd-role"))
        status, _, body = meta_request(self.aws, "GET", base + role, auth)
        doc = json.loads(body)
        self.assertEqual((status, doc["Code"], doc["Type"]), (200, "Success", "AWS-HMAC"))
        creds = (doc["AccessKeyId"], doc["SecretAccessKey"], doc["Token"])
        self.assertEqual(self.error_of(creds=creds)[0], 200)
        self.assertEqual(json.loads(meta_request(self.aws, "GET", base + role, auth)[2])
                         ["AccessKeyId"], creds[0])                    # stable until rotation
        self.assertEqual(meta_request(self.aws, "GET", "/latest/meta-data/placement/region",
                                      auth)[2], "us-east-1")
        self.aws.inject("server_error", 1, target="imds")
        self.assertEqual(meta_request(self.aws, "GET", base, auth)[0], 500)

    def test_container_credentials(self):
        path = self.aws.settings.container_path
        status, _, body = meta_request(self.aws, "GET", path)
        self.assertEqual(status, 200)
        self.aws.settings.container_token = "Bearer-abc"
        self.assertEqual(meta_request(self.aws, "GET", path)[0], 401)
        self.assertEqual(meta_request(self.aws, "GET", path, {"Authorization": "x"})[0], 401)
        status, _, body = meta_request(self.aws, "GET", path, {"Authorization": "Bearer-abc"})
        doc = json.loads(body)
        self.assertEqual(status, 200)
        self.assertEqual(set(doc), {"RoleArn", "AccessKeyId", "SecretAccessKey", "Token",
                                    "Expiration"})
        self.assertEqual(self.error_of(creds=(doc["AccessKeyId"], doc["SecretAccessKey"],
                                              doc["Token"]))[0], 200)


# --------------------------------------------------------------------------
# command line

class CommandLineTest(unittest.TestCase):

    def start(self, tmp, *extra, stdin=subprocess.PIPE):
        port_file, meta_file = os.path.join(tmp, "port"), os.path.join(tmp, "meta")
        proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "fakeaws.py"), "--port-file", port_file,
             "--meta-port-file", meta_file, "--ca-out", os.path.join(tmp, "ca.pem"), *extra],
            stdin=stdin, stderr=subprocess.PIPE)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        deadline = time.monotonic() + 20
        while not os.path.exists(meta_file):
            self.assertIsNone(proc.poll(), "fakeaws exited early")
            self.assertLess(time.monotonic(), deadline, "no port file")
            time.sleep(0.05)
        with open(port_file) as fh:
            port = int(fh.read())
        return proc, port

    def test_script_stdin_eof(self):
        with tempfile.TemporaryDirectory() as tmp:
            seed = os.path.join(tmp, "seed.json")
            with open(seed, "w") as fh:
                json.dump({"page_size": 50, "add_events": {"group": "/seeded", "events": [
                    {"logStreamName": "s", "age_s": 5, "message": "hello"}]}}, fh)
            proc, port = self.start(tmp, "--control", "--events", "120", "--streams", "3",
                                    "--seed-json", seed)
            ctx = tlsutil.client_context(os.path.join(tmp, "ca.pem"))
            conn = http.client.HTTPSConnection("localhost", port, timeout=10, context=ctx)
            conn.request("GET", "/__control")
            state = json.loads(conn.getresponse().read())
            conn.close()
            self.assertEqual(state["groups"][GROUP], {"events": 120, "streams": 3})
            self.assertEqual(state["groups"]["/seeded"]["events"], 1)
            self.assertEqual(state["settings"]["page_size"], 50)
            proc.stdin.close()
            self.assertEqual(proc.wait(timeout=10), 0)
            proc.stderr.close()

    def test_script_sigterm_and_control_disabled(self):
        with tempfile.TemporaryDirectory() as tmp:
            proc, port = self.start(tmp, "--plain", stdin=subprocess.DEVNULL)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/__control")
            self.assertEqual(conn.getresponse().status, 404)
            conn.close()
            time.sleep(0.3)
            self.assertIsNone(proc.poll(), "stdin /dev/null must not stop it")
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(timeout=10), 0)
            proc.stderr.close()

    def test_kms_encrypt_cli(self):
        out = subprocess.run([sys.executable, os.path.join(HERE, "fakeaws.py"),
                              "--kms-encrypt", "tok", "--kms-context", "A=b"],
                             capture_output=True, text=True, timeout=30, check=True).stdout
        blob = base64.b64decode(out.strip())
        self.assertEqual(fakeaws.kms_decrypt(blob, {"A": "b"}), b"tok")


if __name__ == "__main__":
    faulthandler.dump_traceback_later(WATCHDOG_S, exit=True)
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(0 if result.wasSuccessful() else 1)
