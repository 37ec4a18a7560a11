#!/usr/bin/env python3
"""Self-test of the fake Logz.io listener (fakelogzio.py):
python3 tests/integration/test_fakelogzio.py

Drives the fake over real sockets on 127.0.0.1 (TLS with its throwaway CA,
and plain HTTP): tokens and types, NDJSON with and without gzip, the 10 MB
and 500,000-byte limits, 400 counts, storage and counts by event_id, every
injected fault (5xx, resets mid-body, stalls, 413, 401 runs and standing
401, outages refusing connections or answering 503), the control API and
the command line. Bounded: every socket has a timeout and a watchdog ends
the process after WATCHDOG_S seconds.
"""

import faulthandler
import gzip
import http.client
import json
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fakelogzio  # noqa: E402
import tlsutil  # noqa: E402

WATCHDOG_S = 60
TOKEN = "testToken0123456789abcdefghijklm"
MB10 = fakelogzio.MAX_BODY
NO_PROXY_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
TRANSPORT_ERRORS = (ConnectionError, http.client.HTTPException, socket.timeout,
                    ssl.SSLError, OSError)


def ndjson(*ids, pad=0):
    """Documents {"event_id": id, "pad": "x" * pad}, one a line."""
    return b"".join(json.dumps({"event_id": i, "pad": "x" * pad}).encode() + b"\n"
                    for i in ids)


class Client:
    """A kept-alive connection to the fake; reconnects after an error."""

    def __init__(self, lz, timeout=5):
        self.lz, self.timeout, self.conn = lz, timeout, None

    def connect(self):
        if self.lz.tls:
            ctx = tlsutil.client_context(self.lz.ca_file)
            return http.client.HTTPSConnection("127.0.0.1", self.lz.port,
                                               timeout=self.timeout, context=ctx)
        return http.client.HTTPConnection("127.0.0.1", self.lz.port, timeout=self.timeout)

    def request(self, method, target, body=b"", headers=None):
        """(status, body bytes); transport errors propagate (connection closed)."""
        if self.conn is None:
            self.conn = self.connect()
        try:
            self.conn.request(method, target, body=body, headers=headers or {})
            resp = self.conn.getresponse()
            return resp.status, resp.read()
        except TRANSPORT_ERRORS:
            self.close()
            raise

    def post(self, body, token=TOKEN, doc_type="vpcflow", gz=False):
        query = "/?token=%s&type=%s" % (token, doc_type) if token is not None else "/"
        headers = {"Content-Type": "text/plain"}
        if gz:
            body = gzip.compress(body, 1)
            headers["Content-Encoding"] = "gzip"
        return self.request("POST", query, body, headers)

    def control(self, doc):
        status, body = self.request("POST", "/__control", json.dumps(doc).encode(),
                                    {"Content-Type": "application/json"})
        return status, json.loads(body)

    def get(self, path):
        status, body = self.request("GET", path)
        return status, json.loads(body) if body[:1] in (b"{", b"[") else body

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class FakeCase(unittest.TestCase):
    """One fake (TLS unless tls = False) and one client per test."""

    tls = True
    kwargs = {}

    def setUp(self):
        self.lz = fakelogzio.FakeLogzio(token=TOKEN, tls=self.tls, **self.kwargs).start()
        self.client = Client(self.lz)

    def tearDown(self):
        self.client.close()
        errors = self.lz.internal_errors
        self.lz.stop()
        self.assertEqual(errors, 0, "exceptions inside the fake")

    def assert_transport_error(self, body, **kw):
        with self.assertRaises(TRANSPORT_ERRORS):
            self.client.post(body, **kw)


class JudgeTest(unittest.TestCase):
    """The listener's verdict on bodies, without sockets."""

    def test_lines(self):
        v = fakelogzio.judge(b'{"a":1}\n\n  \n[1]\n42\nnot json\n"s"\n\xff\xfe\n'
                             b'{"event_id":"e"}\n' + b'{"p":"' + b"x" * 500000 + b'"}\n')
        self.assertEqual(v.counts(), {"malformedLines": 5, "successfulLines": 2,
                                      "oversizedLines": 1, "emptyLogLines": 2})
        self.assertEqual(v.status, 400)
        self.assertEqual(v.ids, [None, "e"])

    def test_final_newline_is_no_empty_line(self):
        self.assertEqual(fakelogzio.judge(b'{"a":1}\n{"b":2}').counts()["successfulLines"], 2)
        self.assertEqual(fakelogzio.judge(b'{"a":1}\n').status, 200)
        self.assertEqual(fakelogzio.judge(b"").status, 200)
        self.assertEqual(fakelogzio.judge(b'{"a":1}\n\n').counts()["emptyLogLines"], 1)

    def test_line_limit_exact(self):
        line = b'{"p":"' + b"x" * (fakelogzio.MAX_LINE - 8) + b'"}'
        self.assertEqual(len(line), fakelogzio.MAX_LINE)
        self.assertEqual(fakelogzio.judge(line + b"\n").status, 200)
        self.assertEqual(fakelogzio.judge(line + b" \n").counts()["oversizedLines"], 1)

    def test_light(self):
        v = fakelogzio.judge(b'{"event_id":"a\\"b","x":1}\n{"x":2}\n[3]\n', light=True)
        self.assertEqual(v.ids, ['a"b', None])
        self.assertEqual(v.malformed, 1)
        self.assertEqual(v.docs, [])


class ListenerTest(FakeCase):

    def test_accepts_ndjson_plain_and_gzip(self):
        self.assertEqual(self.client.post(ndjson("1", "2")), (200, b""))
        self.assertEqual(self.client.post(ndjson("3"), gz=True), (200, b""))
        self.assertEqual([d["event_id"] for d in self.lz.documents()], ["1", "2", "3"])
        self.assertEqual(self.lz.counts(), {"1": 1, "2": 1, "3": 1})
        log = self.lz.requests()
        self.assertEqual([e["status"] for e in log], [200, 200])
        self.assertEqual([e["gzip"] for e in log], [False, True])
        self.assertEqual(log[1]["body_bytes"], len(ndjson("3")))
        self.assertEqual({e["type"] for e in log}, {"vpcflow"})
        self.assertEqual(log[0]["lines"], 2)
        self.assertEqual(self.lz.count(200), 2)

    def test_tokens_and_type(self):
        for token in (None, "", "wrong", TOKEN + "x"):
            with self.subTest(token=token):
                status, body = self.client.post(ndjson("a"), token=token)
                self.assertEqual(status, 401)
                self.assertIn(b"token", body)
        self.assertEqual(self.lz.documents(), [])
        self.assertEqual(self.client.request("POST", "/?token=%s" % TOKEN, ndjson("b"))[0], 200)
        self.assertEqual(self.lz.requests()[-1]["type"], "http-bulk")
        self.assertEqual(self.client.post(ndjson("c"), doc_type="vpc%20flow")[0], 200)
        self.assertEqual(self.lz.requests()[-1]["type"], "vpc flow")
        self.assertEqual(self.client.request("GET", "/?token=%s" % TOKEN)[0], 405)

    def test_percent_encoded_token(self):
        self.lz.set_tokens(["a+b/c=d&e f"])
        self.assertEqual(self.client.post(ndjson("1"), token="a%2Bb%2Fc%3Dd%26e%20f")[0], 200)

    def test_bad_lines_give_400_with_counts(self):
        body = ndjson("1") + b"nope\n\n[1]\n" + ndjson("2") + b'{"p":"' + b"x" * 500001 + b'"}\n'
        status, answer = self.client.post(body, gz=True)
        self.assertEqual(status, 400)
        self.assertEqual(json.loads(answer), {"malformedLines": 2, "successfulLines": 2,
                                              "oversizedLines": 1, "emptyLogLines": 1})
        # Logz.io indexes the good lines of such a batch: so does the fake.
        self.assertEqual(self.lz.documents(status=400), [{"event_id": "1", "pad": ""},
                                                         {"event_id": "2", "pad": ""}])
        self.assertEqual(self.lz.documents(status=200), [])
        self.lz.control({"store_partial": False})
        self.assertEqual(self.client.post(ndjson("3") + b"x\n")[0], 400)
        self.assertNotIn("3", self.lz.counts())

    def test_body_limits(self):
        line = ndjson("big", pad=400000)
        body = line * (MB10 // len(line)) + ndjson("last")
        body += b" " * (MB10 - len(body) - 1) + b"\n"      # exactly 10 MB, blank last line
        self.assertEqual(len(body), MB10)
        status, answer = self.client.post(body)
        self.assertEqual((status, json.loads(answer)["emptyLogLines"]), (400, 1))
        self.assertEqual(self.client.post(body + b"\n")[0], 413)
        self.assertEqual(self.client.post(body + b"\n", gz=True)[0], 413)   # inflated size
        self.assertEqual(self.lz.count(413), 2)
        status, answer = self.client.post(b"not gzip", gz=False)
        self.assertEqual(status, 400)
        status, answer = self.client.request("POST", "/?token=%s" % TOKEN, b"\x1f\x8bjunk",
                                             {"Content-Encoding": "gzip"})
        self.assertEqual(status, 400)
        self.assertIn(b"gzip", answer)

    def test_counts_and_duplicates(self):
        self.client.post(ndjson("1", "2"))
        self.client.post(ndjson("2", "3"), gz=True)
        self.assertEqual(self.lz.duplicates(), {"2": 2})
        self.assertEqual(self.lz.state()["duplicated_event_ids"], 1)
        self.assertEqual(self.lz.state()["documents"], 4)
        self.assertTrue(self.lz.wait_documents(4, 1))
        self.assertFalse(self.lz.wait_documents(5, 0.2))
        self.lz.clear_documents()
        self.assertEqual(self.lz.counts(), {})

    def test_binds_loopback_only(self):
        self.assertEqual(self.lz._server.server_address[0], "127.0.0.1")


class FaultTest(FakeCase):

    def test_server_errors_in_order(self):
        self.lz.inject("server_error", 2, status=502)
        self.lz.inject("too_large", 1)
        self.lz.inject("unauthorized", 1)
        got = [self.client.post(ndjson(str(i)))[0] for i in range(5)]
        self.assertEqual(got, [502, 502, 413, 401, 200])
        self.assertEqual(self.lz.counts(), {"4": 1})      # faulted requests store nothing
        self.assertEqual([e["fault"] for e in self.lz.requests()],
                         ["server_error", "server_error", "too_large", "unauthorized", None])

    def test_server_error_default_status_and_store(self):
        self.lz.inject("server_error", 1, store=True)
        self.assertEqual(self.client.post(ndjson("1"))[0], 503)
        self.assertEqual(self.client.post(ndjson("1"))[0], 200)
        self.assertEqual(self.lz.duplicates(), {"1": 2})    # the answer was "lost"

    def test_unauthorized_until_told_otherwise_and_rotation(self):
        self.lz.set_unauthorized(True)
        for _ in range(3):
            self.assertEqual(self.client.post(ndjson("1"))[0], 401)
        self.lz.set_unauthorized(False)
        self.assertEqual(self.client.post(ndjson("1"))[0], 200)
        self.lz.set_tokens(["rotated"])
        self.assertEqual(self.client.post(ndjson("2"))[0], 401)
        self.assertEqual(self.client.post(ndjson("2"), token="rotated")[0], 200)
        self.assertEqual(self.lz.counts(), {"1": 1, "2": 1})

    def test_reset_mid_body(self):
        self.lz.inject("reset", 2)
        body = ndjson(*[str(i) for i in range(2000)], pad=200)
        self.assert_transport_error(body)
        self.assert_transport_error(body, gz=True)
        self.assertEqual(self.client.post(body)[0], 200)
        self.assertEqual(len(self.lz.counts()), 2000)
        self.assertEqual(max(self.lz.counts().values()), 1)
        self.assertEqual(self.lz.count("dropped"), 2)

    def test_reset_or_stall_after_storing(self):
        self.lz.inject("reset", 1, store=True)
        self.lz.inject("stall", 1, store=True, seconds=0.2)
        self.assert_transport_error(ndjson("1"))
        self.assert_transport_error(ndjson("2"), gz=True)
        self.assertEqual(self.lz.counts(), {"1": 1, "2": 1})    # taken, answer lost
        self.assertEqual(self.client.post(ndjson("1", "2"))[0], 200)
        self.assertEqual(self.lz.duplicates(), {"1": 2, "2": 2})

    def test_stall_past_client_timeout(self):
        self.lz.inject("stall", 1)
        self.client.timeout = 0.5
        self.assert_transport_error(ndjson("1"))
        self.client.timeout = 5
        self.assertEqual(self.client.post(ndjson("2"))[0], 200)
        self.assertEqual(self.lz.counts(), {"2": 1})
        # A bounded stall ends by itself: the connection closes, no answer.
        self.lz.inject("stall", 1, seconds=0.3)
        self.assert_transport_error(ndjson("3"))
        self.assertEqual([e["fault"] for e in self.lz.requests()], ["stall", None, "stall"])

    def test_outage_refuse(self):
        self.assertEqual(self.client.post(ndjson("1"))[0], 200)
        port = self.lz.port
        self.lz.set_outage(True)
        self.assert_transport_error(ndjson("2"))           # kept-alive one dropped
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=2)
        self.lz.set_outage(False)
        self.assertEqual(self.lz.port, port)
        self.assertEqual(self.client.post(ndjson("2"))[0], 200)
        self.assertEqual(self.lz.counts(), {"1": 1, "2": 1})

    def test_outage_ends_by_itself(self):
        self.lz.set_outage(True, seconds=0.3)
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", self.lz.port), timeout=2)
        end = time.monotonic() + 10
        while self.lz.outage_mode() is not None and time.monotonic() < end:
            time.sleep(0.05)
        self.assertEqual(self.client.post(ndjson("1"))[0], 200)

    def test_outage_503(self):
        self.lz.inject("server_error", 1, status=500)
        self.lz.set_outage(True, mode="503")
        for _ in range(3):
            self.assertEqual(self.client.post(ndjson("1"))[0], 503)
        self.lz.set_outage(False)
        self.assertEqual(self.client.post(ndjson("1"))[0], 500)   # faults wait meanwhile
        self.assertEqual(self.client.post(ndjson("1"))[0], 200)

    def test_bad_faults(self):
        for args, kw in ((("nope",), {}), (("server_error",), {"status": 404}),
                         (("reset", -1), {}), (("stall",), {"bogus": 1}),
                         (("server_error", "2"), {}), (("stall",), {"seconds": "x"}),
                         (("reset",), {"store": "yes"})):
            with self.subTest(args=args, kw=kw), self.assertRaises(ValueError):
                self.lz.inject(*args, **kw)
        with self.assertRaises(ValueError):
            self.lz.set_outage(True, mode="sometimes")


class ControlTest(FakeCase):

    def test_control_api(self):
        status, doc = self.client.control({"server_error": {"count": 1, "status": 504},
                                           "too_large": 1, "settings": {"latency": 0.01}})
        self.assertEqual(status, 200)
        self.assertTrue(doc["ok"])
        self.assertEqual([f["kind"] for f in doc["state"]["faults"]],
                         ["server_error", "too_large"])
        self.assertEqual(self.client.post(ndjson("1"))[0], 504)
        self.assertEqual(self.client.post(ndjson("1"))[0], 413)
        self.assertEqual(self.client.control({"unauthorized": True})[0], 200)
        self.assertEqual(self.client.post(ndjson("1"))[0], 401)
        self.client.control({"unauthorized": False, "tokens": ["t2"], "latency": 0})
        self.assertEqual(self.client.post(ndjson("1"))[0], 401)
        self.client.control({"token": TOKEN})
        self.assertEqual(self.client.post(ndjson("1", "1"))[0], 200)
        status, state = self.client.get("/__control")
        self.assertEqual((status, state["documents"], state["tokens"]), (200, 2, [TOKEN]))
        self.assertEqual(state["requests"], {"504": 1, "413": 1, "401": 2, "200": 1})
        status, log = self.client.get("/__control/log?since=5")
        self.assertEqual([e["status"] for e in log["entries"]], [200])
        status, docs = self.client.get("/__control/documents?since=1")
        self.assertEqual(docs, {"documents": [{"event_id": "1", "pad": ""}], "next": 2})
        status, counts = self.client.get("/__control/counts")
        self.assertEqual(counts, {"counts": {"1": 2}, "duplicates": {"1": 2}})
        self.client.control({"clear_log": True, "clear_documents": True, "clear_faults": True})
        self.assertEqual(self.client.get("/__control")[1]["documents"], 0)

    def test_control_errors(self):
        for doc in ({"nope": 1}, {"server_error": {"status": 200}}, {"settings": {"x": 1}},
                    {"latency": "slow"}, {"store_partial": 1}, {"outage": "maybe"},
                    {"tokens": "one"}, [1]):
            with self.subTest(doc=doc):
                status, answer = self.client.control(doc)
                self.assertEqual(status, 400)
                self.assertIn("error", answer)
        status, answer = self.client.request("POST", "/__control", b"{not json")
        self.assertEqual(status, 400)
        self.assertEqual(self.client.request("GET", "/__control/nothing")[0], 404)

    def test_outage_over_http_ends_by_itself(self):
        self.assertEqual(self.client.control({"outage": {"mode": "refuse",
                                                         "seconds": 0.3}})[0], 200)
        end = time.monotonic() + 10
        while time.monotonic() < end:
            try:
                self.assertEqual(self.client.post(ndjson("1"))[0], 200)
                break
            except TRANSPORT_ERRORS:
                time.sleep(0.05)
        self.assertEqual(self.lz.counts(), {"1": 1})


class PlainStoreTest(FakeCase):
    tls = False

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.kwargs = {"store": os.path.join(self.tmp.name, "docs.jsonl")}
        super().setUp()

    def tearDown(self):
        super().tearDown()
        self.tmp.cleanup()

    def test_plain_http_and_store_file(self):
        self.assertIsNone(self.lz.ca_file)
        self.assertTrue(self.lz.url.startswith("http://127.0.0.1:"))
        self.assertEqual(self.client.post(ndjson("1", "2"), gz=True)[0], 200)
        self.assertEqual(self.client.post(ndjson("3") + b"bad\n")[0], 400)
        with open(self.kwargs["store"], encoding="utf-8") as fh:
            items = [json.loads(line) for line in fh]
        self.assertEqual([(i["doc"]["event_id"], i["status"], i["type"]) for i in items],
                         [("1", 200, "vpcflow"), ("2", 200, "vpcflow"), ("3", 400, "vpcflow")])
        self.assertEqual(items[0]["seq"], self.lz.requests()[0]["seq"])


class CountsOnlyTest(FakeCase):
    kwargs = {"counts_only": True}

    def test_counts_only(self):
        self.assertEqual(self.client.post(ndjson("1", "2", "2"), gz=True)[0], 200)
        self.assertEqual(self.client.post(b"[1]\n")[0], 400)
        self.assertEqual(self.lz.documents(), [])
        self.assertEqual(self.lz.counts(), {"1": 1, "2": 2})


class CommandLineTest(unittest.TestCase):

    def start(self, tmp, *args, stdin=subprocess.PIPE):
        port_file = os.path.join(tmp, "port")
        proc = subprocess.Popen([sys.executable, os.path.join(HERE, "fakelogzio.py"),
                                 "--port-file", port_file, *args], stdin=stdin,
                                stderr=subprocess.PIPE)
        end = time.monotonic() + 20
        while not os.path.exists(port_file):
            self.assertIsNone(proc.poll(), "fakelogzio.py exited early")
            self.assertLess(time.monotonic(), end, "no port file")
            time.sleep(0.05)
        with open(port_file, encoding="ascii") as fh:
            return proc, int(fh.read())

    def test_script_tls_control_store_and_stdin_eof(self):
        with tempfile.TemporaryDirectory() as tmp:
            ca, store = os.path.join(tmp, "ca.pem"), os.path.join(tmp, "s.jsonl")
            proc, port = self.start(tmp, "--ca-out", ca, "--control", "--store", store,
                                    "--token", "A", "--token", "B")
            conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=10,
                                               context=tlsutil.client_context(ca))
            conn.request("POST", "/__control", b'{"server_error": 1}')
            self.assertEqual(conn.getresponse().read()[:11], b'{"ok":true,')
            for token, want in (("A", 503), ("B", 200), ("C", 401)):
                conn.request("POST", "/?token=%s&type=t" % token, ndjson("x"))
                resp = conn.getresponse()
                resp.read()
                self.assertEqual(resp.status, want)
            conn.close()
            proc.stdin.close()
            self.assertEqual(proc.wait(timeout=10), 0)
            self.assertIn(b"1 documents", proc.stderr.read())
            proc.stderr.close()
            with open(store, encoding="utf-8") as fh:
                self.assertEqual(json.loads(fh.read())["doc"]["event_id"], "x")

    def test_script_sigterm_and_control_disabled(self):
        with tempfile.TemporaryDirectory() as tmp:
            proc, port = self.start(tmp, "--plain", "--max-lifetime", "60",
                                    stdin=subprocess.DEVNULL)
            with self.assertRaises(urllib.error.HTTPError) as caught:
                NO_PROXY_OPENER.open("http://127.0.0.1:%d/__control" % port, timeout=10)
            self.assertEqual(caught.exception.code, 404)
            caught.exception.close()
            time.sleep(0.3)
            self.assertIsNone(proc.poll(), "stdin /dev/null must not stop it")
            proc.terminate()
            self.assertEqual(proc.wait(timeout=10), 0)
            self.assertIn(b"control API disabled", proc.stderr.read())
            proc.stderr.close()


if __name__ == "__main__":
    faulthandler.dump_traceback_later(WATCHDOG_S, exit=True)
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(0 if result.wasSuccessful() else 1)
