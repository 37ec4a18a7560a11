#!/usr/bin/env python3
"""fakelogzio: a fake of the Logz.io bulk HTTP listener (stdlib only).

One listener on 127.0.0.1 with a kernel-chosen port: HTTPS with a throwaway
CA (tlsutil.py), or plain HTTP with ``--plain`` / ``tls=False``. It behaves
as Logz.io documents its bulk listener (docs.logz.io, "HTTP" shipping: port
8071, ``?token=..&type=..``):

* ``POST`` (or ``PUT``) on any path, ``token`` and ``type`` in the query.
  A missing or unknown token -> 401 with Logz.io's text. ``type`` defaults
  to ``http-bulk``; it is kept with each document.
* The body is newline-delimited JSON, gzip-compressed when the request has
  ``Content-Encoding: gzip`` (a body that does not inflate -> 400, plain
  text). A trailing newline ends the last line; it does not make an empty
  one.
* A body over 10 MB (10,485,760 bytes, raw or inflated) -> 413.
* Each line is judged: empty (or blank) -> ``emptyLogLines``; over 500,000
  bytes -> ``oversizedLines``; not a JSON object (not JSON, not UTF-8, an
  array, a number ...) -> ``malformedLines``; otherwise it counts in
  ``successfulLines`` and is accepted.
* Every line fine -> 200 with an empty body. Otherwise 400 with
  ``{"malformedLines":M,"successfulLines":S,"oversizedLines":O,
  "emptyLogLines":E}``. Choice for partially bad batches: Logz.io's
  ``successfulLines`` are "valid JSON log lines received", i.e. indexed, so
  the fake stores the good lines of a 400 batch too (setting
  ``store_partial``, default true). A client must therefore never resend a
  400 batch: that would index its good lines twice.

Every accepted document is stored, in order, in memory (and appended to a
JSON-lines file with ``store``): ``{"seq": request, "status": 200|400,
"type": T, "doc": {...}}``. Scenarios assert by ``event_id``:
``counts()`` maps each event_id to the times it was stored, ``duplicates()``
keeps those stored more than once. ``counts_only=True`` (``--counts-only``)
keeps only those counts and checks lines cheaply (``{...}`` and an
``"event_id":"..."`` member, no full JSON parse): for benchmarks of a
million documents.

Starting it
-----------
Script::

    python3 fakelogzio.py --port-file F --ca-out CA.pem [--token T ...]
        [--control] [--store FILE] [--plain] [--tls-dir DIR] [--counts-only]
        [--max-lifetime S] [-v]

writes the port (decimal, newline) to F once the listener accepts
connections, and serves until SIGTERM/SIGINT, until stdin reaches EOF when
stdin is a pipe or a socket (not /dev/null or a tty), or until
--max-lifetime seconds (default 14400; 0: never). ``--token`` may be
repeated (several accepted tokens); the default is DEFAULT_TOKEN. The
control API is served only with ``--control`` in script mode.

Python::

    from fakelogzio import FakeLogzio
    with FakeLogzio(token="T") as lz:          # or lz = FakeLogzio().start() ... lz.stop()
        lz.url, lz.port, lz.ca_file            # ca_file None with tls=False
        lz.inject("server_error", 3, status=502)
        lz.inject("reset", 1); lz.inject("stall", 2, seconds=60)
        lz.inject("too_large", 1); lz.inject("unauthorized", 2)
        lz.set_unauthorized(True)              # 401 until set_unauthorized(False)
        lz.set_tokens(["new"])                 # token rotation
        lz.set_outage(True, mode="refuse", seconds=None); lz.set_outage(False)
        lz.control({...})                      # the documents of POST /__control
        lz.documents(status=None)              # stored documents (dicts)
        lz.counts(), lz.duplicates()           # Counter event_id -> times stored
        lz.wait_documents(n, timeout)          # until n documents are stored
        lz.requests(), lz.count(status=None)   # the request log
        lz.internal_errors                     # exceptions in the fake: assert 0
    Arguments (all keywords): token=None and tokens=None (accepted tokens;
    neither: DEFAULT_TOKEN), tls=True, control=True, store=None (JSONL
    path), counts_only=False, tls_dir=None, verbose=False.

Faults
------
Consumed in injection order, at most one per request, before the token is
checked (they stand for the infrastructure in front of the listener):
    "server_error"  answer {"status": 500..599, default 503}
    "reset"         read about half of the body, then reset the connection
                    (TCP RST): the client sees a reset in mid-request
    "stall"         read the request, then answer nothing until the client
                    hangs up (its timeout) or {"seconds": S, default 120}
                    pass; then close
    "too_large"     answer 413
    "unauthorized"  answer 401 (N times; or true / false: every request until
                    told otherwise, like a revoked token)
Nothing of a faulted request is stored. ``"store": true`` on server_error,
reset or stall stores the documents first (the listener took them but the
answer was lost): the one way to make a correct client send duplicates.
Outage: {"outage": true | false | {"mode": "refuse" | "503", "seconds": S}}.
"refuse" (default) closes the listening socket (new connections are
refused; kept-alive ones are closed at their next request) and reopens it
on the same port when the outage ends; "503" answers 503 to every request.
With "seconds" the outage ends by itself. While refusing, the control API
(same port) is unreachable: end it with "seconds" or the Python API.

Control API (unsigned; same port; ``GET``/``POST``)
---------------------------------------------------
``GET /__control``       -> state: port, tls, url, tokens, settings, pending
                            faults, outage, requests per status, documents,
                            distinct and duplicated event_ids,
                            internal_errors.
``GET /__control/log[?since=SEQ]``       -> {"entries": [...], "next": SEQ}
    Entry: {seq, time, duration, method, path, type, token_ok, gzip,
    bytes (wire), body_bytes (inflated), status, fault, lines, successful,
    malformed, oversized, empty}. Control requests are not logged.
``GET /__control/documents[?since=N]``   -> {"documents": [...], "next": N}
``GET /__control/counts``                -> {"counts": {event_id: n},
                                             "duplicates": {event_id: n}}
``POST /__control`` with a JSON object; keys applied in order:
    fault kinds (above), each N or {"count": N, ...}; "unauthorized" also
    true / false; "outage" (above); "tokens": [T, ...] or "token": T (the
    accepted tokens, replaced); "settings": {name: value} or any setting
    at top level: max_body, max_line, store_partial, latency (s before each
    answer); "clear_faults", "clear_documents", "clear_log": true.
  Answer: {"ok": true, "state": {...}} or HTTP 400 {"error": "..."}.
"""

import argparse
import collections
import dataclasses
import json
import os
import re
import signal
import socket
import ssl
import struct
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, parse_qsl

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import tlsutil  # noqa: E402  (sibling module)
import fakeaws  # noqa: E402  (its server plumbing and script helpers)
from fakeaws import _watch_stdin as watch_stdin  # noqa: E402
from fakeaws import _write_atomic as write_atomic  # noqa: E402

DEFAULT_TOKEN = "fakeLogzioShippingToken000000001"
DEFAULT_TYPE = "http-bulk"
MAX_BODY = 10 * 1024 * 1024         # Logz.io: 10 MB (10,485,760 bytes)
MAX_LINE = 500000                   # Logz.io: bytes per line
HARD_BODY = 64 * 1024 * 1024        # above: 413 without reading, connection closed
LOG_MAX = 200000
UNAUTHORIZED_TEXT = ("The token query string parameter is missing or not valid. "
                     "Make sure you're using the right account token.\n")
FAULT_KINDS = ("server_error", "reset", "stall", "too_large", "unauthorized")
_EVENT_ID_RE = re.compile(rb'"event_id"\s*:\s*"((?:[^"\\]|\\.)*)"')


@dataclasses.dataclass
class Settings:
    """Knobs read at each request (control API "settings")."""

    max_body: int = MAX_BODY
    max_line: int = MAX_LINE
    store_partial: bool = True
    latency: float = 0.0

    def update(self, values):
        for name, value in values.items():
            if name not in Settings.names():
                raise ValueError("unknown setting: %s" % name)
            kind = type(getattr(self, name))
            if kind is bool and not isinstance(value, bool):
                raise ValueError("%s must be true or false" % name)
            if kind is not bool and (isinstance(value, bool) or
                                     not isinstance(value, (int, float)) or value < 0):
                raise ValueError("%s must be a number >= 0" % name)
            setattr(self, name, kind(value))

    @staticmethod
    def names():
        return [f.name for f in dataclasses.fields(Settings)]


@dataclasses.dataclass
class Fault:
    kind: str
    count: int = 1
    status: int = 503         # server_error
    seconds: float = 120.0    # stall: at most this long
    store: bool = False       # server_error, reset, stall: store the documents first


class Faults:
    """Pending faults (consumed in injection order) and the standing states:
    unauthorized until told otherwise, outage."""

    def __init__(self):
        self.lock = threading.Lock()
        self.queue = []
        self.unauthorized = False

    def add(self, kind, count=1, **params):
        if kind not in FAULT_KINDS:
            raise ValueError("unknown fault: %s" % kind)
        if kind == "unauthorized" and isinstance(count, bool):
            with self.lock:
                self.unauthorized = count
            return None
        unknown = set(params) - {"status", "seconds", "store"}
        if unknown:
            raise ValueError("unknown fault parameter: %s" % ", ".join(sorted(unknown)))
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError("a fault count is an integer >= 0")
        fault = Fault(kind, count, **params)
        fault.status, fault.seconds = int(fault.status), float(fault.seconds)
        if not 500 <= fault.status <= 599:
            raise ValueError("server_error status must be 5xx")
        if not isinstance(fault.store, bool) or fault.seconds < 0:
            raise ValueError("store is true or false, seconds a number >= 0")
        if fault.count > 0:
            with self.lock:
                self.queue.append(fault)
        return fault

    def take(self):
        with self.lock:
            if not self.queue:
                return None
            fault = self.queue[0]
            fault.count -= 1
            if fault.count == 0:
                self.queue.pop(0)
            return dataclasses.replace(fault)

    def clear(self):
        with self.lock:
            self.queue.clear()
            self.unauthorized = False

    def pending(self):
        with self.lock:
            return [dataclasses.asdict(f) for f in self.queue]


@dataclasses.dataclass
class Verdict:
    """What the listener makes of one body."""

    status: int = 200
    docs: list = dataclasses.field(default_factory=list)
    ids: list = dataclasses.field(default_factory=list)
    successful: int = 0
    malformed: int = 0
    oversized: int = 0
    empty: int = 0

    def counts(self):
        return {"malformedLines": self.malformed, "successfulLines": self.successful,
                "oversizedLines": self.oversized, "emptyLogLines": self.empty}


def split_lines(body):
    """The lines of an NDJSON body; a final newline ends the last line."""
    lines = body.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


def judge(body, max_line=MAX_LINE, light=False):
    """Judge each line as the listener does (module docstring). light: a
    line is an object if it looks like one; event_ids by regex."""
    v = Verdict()
    for line in split_lines(body):
        if not line.strip():
            v.empty += 1
            continue
        if len(line) > max_line:
            v.oversized += 1
            continue
        if light:
            text = line.strip()
            ok = text[:1] == b"{" and text[-1:] == b"}"
            if ok:
                found = _EVENT_ID_RE.search(line)
                v.ids.append(json.loads(b'"%s"' % found.group(1)) if found else None)
        else:
            try:
                doc = json.loads(line.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                doc = None
            ok = isinstance(doc, dict)
            if ok:
                v.docs.append(doc)
                v.ids.append(doc.get("event_id"))
        if ok:
            v.successful += 1
        else:
            v.malformed += 1
    if v.malformed or v.oversized or v.empty:
        v.status = 400
    return v


def inflate(data, limit):
    """gzip data inflated; None if it is not gzip, or more than limit bytes."""
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = d.decompress(data, limit + 1)
    except zlib.error as exc:
        raise ValueError("body is not valid gzip: %s" % exc) from exc
    if len(out) > limit:
        return None
    if not d.eof:
        raise ValueError("body is not valid gzip: truncated stream")
    return out


def json_body(doc):
    return json.dumps(doc, separators=(",", ":")).encode("utf-8")


# --------------------------------------------------------------------------
# HTTP plumbing

@dataclasses.dataclass
class Answer:
    """An HTTP answer, or (status None) an action instead of one."""

    status: int
    body: bytes = b""
    content_type: str = "text/plain"
    close: bool = False
    action: object = None     # no answer: what to do with the connection


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeLogzio"
    sys_version = ""
    disable_nagle_algorithm = True  # no 40 ms delayed-ACK stall per request
    timeout = 120

    def do_POST(self):  # noqa: N802 (http.server naming)
        app = self.server.app
        started = time.time()
        path, _, query = self.path.partition("?")
        if path == "/__control" or path.startswith("/__control/"):
            self._send(app.control_http(self.command, path, query, self._read_all()))
            return
        entry = {"seq": app.next_seq(), "method": self.command, "path": path, "time": started,
                 "bytes": int(self.headers.get("Content-Length") or 0),
                 "gzip": "gzip" in self.headers.get("Content-Encoding", "").lower()}
        try:
            answer = self._bulk(app, query, entry)
        except Exception:  # noqa: BLE001 -- a bug in the fake must not look like a fault
            app.internal_error()
            answer = Answer(500, b"internal error of the fake\n", close=True)
        # Recorded before the client can see anything of the outcome.
        entry["duration"] = round(time.time() - started, 4)
        entry["status"] = answer.status
        app.record(entry)
        if answer.action is not None:
            answer.action()
        else:
            self._send(answer)

    do_PUT = do_GET = do_HEAD = do_DELETE = do_POST

    def _bulk(self, app, query, entry):
        """The answer to one bulk request (or what to do instead)."""
        if app.outage_mode() == "refuse":
            entry["fault"] = "outage"
            return Answer(None, action=self._hang_up)
        fault = None if app.outage_mode() else app.faults.take()
        entry["fault"] = fault.kind if fault else ("outage" if app.outage_mode() else None)
        if fault is not None and fault.kind == "reset":
            if fault.store:
                body = self._read_all()
                if body is not None:
                    app.accept(self.command, query, self.headers, body, entry)
            return Answer(None, action=lambda: self._reset(not fault.store))
        body = self._read_all()
        if body is None:
            entry["fault"] = entry["fault"] or "too_large"
            return Answer(413, b"Request body is larger than 64 MB\n", close=True)
        if fault is not None and fault.kind == "stall":
            if fault.store:
                app.accept(self.command, query, self.headers, body, entry)
            return Answer(None, action=lambda: self._stall(fault.seconds, app))
        if app.settings.latency > 0:
            app.sleep(app.settings.latency)
        if fault is not None and fault.store:
            app.accept(self.command, query, self.headers, body, entry)
        if app.outage_mode() == "503":
            return Answer(503, b"Service Unavailable (outage)\n")
        if fault is not None:
            return {"server_error": Answer(fault.status, b"Server Error (fault)\n"),
                    "too_large": Answer(413, b"Request Entity Too Large (fault)\n"),
                    "unauthorized": Answer(401, UNAUTHORIZED_TEXT.encode())}[fault.kind]
        return app.accept(self.command, query, self.headers, body, entry)

    def _read_all(self):
        """The request body (Content-Length or chunked); None above HARD_BODY."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts, total = [], 0
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline().strip():
                        pass
                    return b"".join(parts)
                total += size
                if total > HARD_BODY:
                    self.close_connection = True
                    return None
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length > HARD_BODY:
            self.close_connection = True
            return None
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, answer):
        if answer.close:
            self.close_connection = True
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        if answer.close:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(answer.body)

    def _hang_up(self):
        """Close the connection without an answer (FIN)."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _reset(self, mid_body):
        """Read about half of the body (mid_body), then close with a TCP RST."""
        length = int(self.headers.get("Content-Length") or 0)
        if mid_body and length > 1:
            self.rfile.read(min(length // 2, 1 << 20))
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                   struct.pack("ii", 1, 0))
        self.server.reset_fds.add(self.connection.fileno())   # closed without FIN

    def _stall(self, seconds, app):
        """Answer nothing until the client hangs up or seconds pass."""
        self.close_connection = True
        end = time.monotonic() + seconds
        self.connection.settimeout(0.2)
        while time.monotonic() < end and not app.stopping.is_set():
            try:
                if not self.connection.recv(4096):
                    break
            except socket.timeout:
                continue
            except (OSError, ssl.SSLError):
                break

    def log_message(self, fmt, *args):
        if self.server.app.verbose:
            sys.stderr.write("fakelogzio: %s\n" % (fmt % args))


class _Server(fakeaws._Server):
    """fakeaws's server (TLS handshake in the connection's thread, quiet
    errors unless verbose), bound to a given port so that an outage can
    reopen it where it was."""

    def __init__(self, app, port, ssl_context):   # not fakeaws's: port 0 only
        self.app, self.kind, self.ssl_context = app, "main", ssl_context
        self.reset_fds = set()
        ThreadingHTTPServer.__init__(self, ("127.0.0.1", port), _Handler)


# --------------------------------------------------------------------------
# the fake

class FakeLogzio:
    """The Logz.io bulk listener on one port of 127.0.0.1: see the module
    docstring."""

    def __init__(self, *, token=None, tokens=None, tls=True, control=True, store=None,
                 counts_only=False, tls_dir=None, verbose=False):
        self.tokens = list(tokens or []) + ([token] if token else [])
        self.tokens = self.tokens or [DEFAULT_TOKEN]
        self.tls, self.control_enabled, self.counts_only = tls, control, counts_only
        self.verbose, self.tls_files, self.ca_file = verbose, None, None
        self.settings = Settings()
        self.faults = Faults()
        self.port = None
        self.internal_errors = 0
        self.stopping = threading.Event()
        self.lock = threading.RLock()
        self._store_path, self._store = store, None
        self._tls_dir, self._context = tls_dir, None
        self._server = self._thread = None
        self._outage, self._outage_timer = None, None
        self._docs, self._counts = [], collections.Counter()
        self._log = collections.deque(maxlen=LOG_MAX)
        self._seq = 0
        self._status_counts = collections.Counter()
        self._stored = threading.Condition(self.lock)
        self._control_actions = {
            "outage": self._control_outage,
            "tokens": lambda v: self.set_tokens(v),
            "token": lambda v: self.set_tokens([v]),
            "settings": self.settings.update,
            "clear_faults": lambda v: v and self.faults.clear(),
            "clear_documents": lambda v: v and self.clear_documents(),
            "clear_log": lambda v: v and self.clear_log(),
        }

    # -- life cycle

    def start(self):
        if self.tls:
            self.tls_files = tlsutil.make_certs(self._tls_dir)
            self.ca_file = self.tls_files.ca_cert
            self._context = tlsutil.server_context(self.tls_files)
        if self._store_path:
            self._store = open(self._store_path, "a", encoding="utf-8")
        self._listen(0)
        return self

    def _listen(self, port):
        server = _Server(self, port, self._context)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                  name="fakelogzio", daemon=True)
        thread.start()
        self._server, self._thread = server, thread
        self.port = server.server_address[1]

    def _unlisten(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(5)
            self._server = self._thread = None

    def stop(self):
        self.stopping.set()
        with self.lock:
            if self._outage_timer is not None:
                self._outage_timer.cancel()
            self._unlisten()
            if self._store is not None:
                self._store.close()
                self._store = None
        if self.tls_files is not None:
            self.tls_files.cleanup()
            self.tls_files = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def url(self):
        return "%s://127.0.0.1:%d" % ("https" if self.tls else "http", self.port)

    def sleep(self, seconds):
        self.stopping.wait(seconds)

    # -- Python API: faults and tokens

    def inject(self, kind, count=1, **params):
        """Queue a fault (see FAULT_KINDS and the module docstring)."""
        return self.faults.add(kind, count, **params)

    def set_unauthorized(self, on):
        """401 to every request while on (a revoked token)."""
        self.faults.add("unauthorized", bool(on))

    def set_tokens(self, tokens):
        """The tokens accepted from now on (token rotation)."""
        if isinstance(tokens, str) or not all(isinstance(t, str) and t for t in tokens):
            raise ValueError("tokens is a list of non-empty strings")
        with self.lock:
            self.tokens = list(tokens)

    def set_outage(self, on, mode="refuse", seconds=None):
        """Start (mode "refuse" or "503", ending by itself after seconds when
        given) or end an outage."""
        if mode not in ("refuse", "503"):
            raise ValueError("outage mode is refuse or 503")
        with self.lock:
            if self._outage_timer is not None:
                self._outage_timer.cancel()
                self._outage_timer = None
            was, self._outage = self._outage, (mode if on else None)
            if was != "refuse" and self._outage == "refuse":
                self._unlisten()
            elif was == "refuse" and self._outage != "refuse" and not self.stopping.is_set():
                self._listen(self.port)
            if on and seconds:
                self._outage_timer = threading.Timer(float(seconds), self.set_outage, (False,))
                self._outage_timer.daemon = True
                self._outage_timer.start()

    def outage_mode(self):
        return self._outage

    def control(self, doc):
        """Apply a control document (the body of POST /__control)."""
        if not isinstance(doc, dict):
            raise ValueError("a control document is a JSON object")
        for key, value in doc.items():
            if key in FAULT_KINDS:
                if isinstance(value, dict):
                    params = dict(value)
                    self.inject(key, params.pop("count", 1), **params)
                else:
                    self.inject(key, value)
            elif key in Settings.names():
                self.settings.update({key: value})
            elif key in self._control_actions:
                self._control_actions[key](value)
            else:
                raise ValueError("unknown control key: %s" % key)
        return self.state()

    def _control_outage(self, value):
        if isinstance(value, dict):
            self.set_outage(True, value.get("mode", "refuse"), value.get("seconds"))
        elif isinstance(value, bool):
            self.set_outage(value)
        else:
            raise ValueError("outage is true, false or {\"mode\": ..., \"seconds\": ...}")

    # -- Python API: results

    def documents(self, status=None):
        """Stored documents (dicts), in order; status 200 or 400 to filter."""
        with self.lock:
            return [e["doc"] for e in self._docs if status is None or e["status"] == status]

    def counts(self):
        """Counter: event_id -> times stored (None: documents without one)."""
        with self.lock:
            return collections.Counter(self._counts)

    def duplicates(self):
        return {k: n for k, n in self.counts().items() if n > 1}

    def wait_documents(self, n, timeout):
        """Wait until at least n documents are stored; True if they are."""
        end = time.monotonic() + timeout
        with self._stored:
            while sum(self._counts.values()) < n:
                left = end - time.monotonic()
                if left <= 0 or self.stopping.is_set():
                    return False
                self._stored.wait(min(left, 0.5))
            return True

    def requests(self, since=0):
        with self.lock:
            return [dict(e) for e in self._log if e["seq"] >= since]

    def count(self, status=None):
        """Bulk requests answered with status (all with None; None for
        dropped connections is counted under "dropped")."""
        with self.lock:
            if status is None:
                return sum(self._status_counts.values())
            return self._status_counts[status]

    def clear_documents(self):
        with self.lock:
            self._docs.clear()
            self._counts.clear()

    def clear_log(self):
        with self.lock:
            self._log.clear()
            self._status_counts.clear()

    def state(self):
        with self.lock:
            counts = self._counts
            return {"port": self.port, "tls": self.tls, "url": self.url if self.port else None,
                    "ca_file": self.ca_file, "tokens": list(self.tokens),
                    "settings": dataclasses.asdict(self.settings),
                    "faults": self.faults.pending(), "unauthorized": self.faults.unauthorized,
                    "outage": self._outage,
                    "requests": {str(k): n for k, n in self._status_counts.items()},
                    "documents": sum(counts.values()), "event_ids": len(counts),
                    "duplicated_event_ids": sum(1 for n in counts.values() if n > 1),
                    "next_seq": self._seq + 1, "internal_errors": self.internal_errors}

    # -- request pipeline (handler threads)

    def internal_error(self):
        with self.lock:
            self.internal_errors += 1
        if self.verbose:
            import traceback
            traceback.print_exc()

    def next_seq(self):
        with self.lock:
            self._seq += 1
            return self._seq

    def record(self, entry):
        with self.lock:
            self._log.append(entry)
            self._status_counts[entry["status"] if entry["status"] is not None
                                else "dropped"] += 1

    def accept(self, method, query, headers, raw, entry):
        """The listener proper: token, body, lines; stores what it takes."""
        if method not in ("POST", "PUT"):
            return Answer(405, b"Method Not Allowed\n")
        params = parse_qs(query, keep_blank_values=True)
        token = (params.get("token") or [""])[0]
        doc_type = (params.get("type") or [""])[0] or DEFAULT_TYPE
        with self.lock:
            token_ok = token in self.tokens and not self.faults.unauthorized
        entry.update(type=doc_type, token_ok=token_ok)
        if not token_ok:
            return Answer(401, UNAUTHORIZED_TEXT.encode())
        limit = self.settings.max_body
        if len(raw) > limit:
            return Answer(413, b"Request Entity Too Large\n")
        body = raw
        if entry["gzip"]:
            try:
                body = inflate(raw, limit)
            except ValueError as exc:
                return Answer(400, (str(exc) + "\n").encode())
            if body is None:
                return Answer(413, b"Request Entity Too Large (inflated)\n")
        entry["body_bytes"] = len(body)
        verdict = judge(body, self.settings.max_line, light=self.counts_only)
        entry.update(lines=verdict.successful + verdict.malformed + verdict.oversized
                     + verdict.empty, successful=verdict.successful,
                     malformed=verdict.malformed, oversized=verdict.oversized,
                     empty=verdict.empty)
        if verdict.status == 200 or self.settings.store_partial:
            self._keep(verdict, doc_type, entry["seq"])
        if verdict.status == 200:
            return Answer(200)
        return Answer(400, json_body(verdict.counts()), "application/json")

    def _keep(self, verdict, doc_type, seq):
        with self._stored:
            for i, event_id in enumerate(verdict.ids):
                self._counts[event_id] += 1
                if self.counts_only:
                    continue
                item = {"seq": seq, "status": verdict.status, "type": doc_type,
                        "doc": verdict.docs[i]}
                self._docs.append(item)
                if self._store is not None:
                    self._store.write(json.dumps(item, separators=(",", ":")) + "\n")
            if self._store is not None:
                self._store.flush()
            self._stored.notify_all()

    def control_http(self, method, path, query, body):
        if not self.control_enabled:
            return Answer(404, b"control API disabled (start with --control)\n")
        path = path.rstrip("/")
        args = dict(parse_qsl(query))
        try:
            if method == "GET" and path == "/__control":
                doc = self.state()
            elif method == "GET" and path == "/__control/log":
                doc = {"entries": self.requests(int(args.get("since", 0))),
                       "next": self._seq + 1}
            elif method == "GET" and path == "/__control/documents":
                since = int(args.get("since", 0))
                docs = self.documents()
                doc = {"documents": docs[since:], "next": len(docs)}
            elif method == "GET" and path == "/__control/counts":
                doc = {"counts": {str(k): n for k, n in self.counts().items()},
                       "duplicates": {str(k): n for k, n in self.duplicates().items()}}
            elif method == "POST" and path == "/__control":
                doc = {"ok": True, "state": self.control(json.loads(body or b"{}"))}
            else:
                return Answer(404, b"unknown control endpoint\n")
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            return Answer(400, json_body({"error": str(exc)}), "application/json")
        return Answer(200, json_body(doc), "application/json")


# --------------------------------------------------------------------------
# command line

def _parse_args(argv):
    ap = argparse.ArgumentParser(description="Fake Logz.io bulk listener for vpcflowd tests.")
    ap.add_argument("--port-file", help="write the port here when ready")
    ap.add_argument("--ca-out", help="copy the throwaway CA certificate (PEM) here")
    ap.add_argument("--tls-dir", help="keep the certificates in this directory")
    ap.add_argument("--plain", action="store_true", help="serve plain HTTP")
    ap.add_argument("--token", action="append", default=[],
                    help="an accepted token (repeatable; default %s)" % DEFAULT_TOKEN)
    ap.add_argument("--control", action="store_true", help="enable the /__control API")
    ap.add_argument("--store", help="append each stored document here (JSON lines)")
    ap.add_argument("--counts-only", action="store_true",
                    help="keep only counts per event_id (benchmarks)")
    ap.add_argument("--max-lifetime", type=float, default=14400,
                    help="exit after this many seconds (0: never; default 14400)")
    ap.add_argument("-v", "--verbose", action="store_true")
    return ap.parse_args(argv)


def main(argv=None):
    args = _parse_args(argv)
    lz = FakeLogzio(tokens=args.token, tls=not args.plain, control=args.control,
                    store=args.store, counts_only=args.counts_only, tls_dir=args.tls_dir,
                    verbose=args.verbose)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    lz.start()
    try:
        if args.ca_out and lz.ca_file:
            with open(lz.ca_file, "rb") as src:
                write_atomic(args.ca_out, src.read())
        if args.port_file:
            write_atomic(args.port_file, "%d\n" % lz.port)
        sys.stderr.write("fakelogzio: %s%s\n" % (
            lz.url, "" if args.control else ", control API disabled"))
        watch_stdin(stop)
        if not stop.wait(args.max_lifetime if args.max_lifetime > 0 else None):
            sys.stderr.write("fakelogzio: --max-lifetime reached\n")
    finally:
        state = lz.state()
        lz.stop()
        sys.stderr.write("fakelogzio: %d documents, %d duplicated event_ids, %d internal "
                         "errors\n" % (state["documents"], state["duplicated_event_ids"],
                                       state["internal_errors"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
