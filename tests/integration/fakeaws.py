#!/usr/bin/env python3
"""fakeaws: a faithful fake of the AWS endpoints vpcflowd talks to (stdlib only).

One process, two listeners, both on 127.0.0.1 with kernel-chosen ports:

* main port (HTTPS with a throwaway CA, or plain HTTP with ``--plain``):
  CloudWatch Logs, KMS and STS, plus the control API. Everything is on path
  "/" (any path is accepted, it is signed like any other) and is routed by
  the request itself, so one endpoint URL serves as ``endpoint``,
  ``aws.sts_endpoint`` and ``aws.kms_endpoint`` at once:
    - ``X-Amz-Target: Logs_20140328.<Op>``  -> CloudWatch Logs (JSON 1.1),
      SigV4 service "logs". Implemented: FilterLogEvents (other operations
      -> UnknownOperationException).
    - ``X-Amz-Target: TrentService.<Op>``   -> KMS (JSON 1.1), service "kms".
      Implemented: Decrypt.
    - form-encoded POST (or GET query) with ``Action=<Op>`` -> STS (query
      protocol, XML), service "sts". Implemented: AssumeRole (signed),
      AssumeRoleWithWebIdentity (unsigned), GetCallerIdentity (signed).
  JSON calls need ``Content-Type: application/x-amz-json-1.1`` and a JSON
  object body (else SerializationException, as are parameters of the wrong
  JSON type). The credential scope region must be the fake's region
  (default us-east-1); STS also accepts "us-east-1" (the global endpoint).
  Only header-signed requests are supported (no presigned query strings).
* meta port (always plain HTTP, like the real services): EC2 IMDSv2 under
  ``/latest/...`` and container credentials on ``settings.container_path``
  (default ``/v2/credentials/vpcflowd``). Point the daemon at it with
  ``AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:<meta>`` and
  ``AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:<meta>/v2/credentials/vpcflowd``.

Starting it
-----------
Script::

    python3 fakeaws.py --port-file P --meta-port-file M --ca-out CA.pem \\
        [--seed-json DOC.json] [--events N --streams M] [--group NAME] \\
        [--control] [--plain] [--region R] [--credentials AK:SECRET[:TOKEN]] \\
        [--log-file REQ.jsonl] [--max-lifetime S] [-v]

writes each port (decimal, newline) to its file once both listeners accept
connections, and serves until SIGTERM/SIGINT, until stdin reaches EOF when
stdin is a pipe or socket (not when it is /dev/null or a tty), or until
--max-lifetime seconds (default 14400) have passed. The control API is only
served with ``--control`` in script mode. ``--seed-json`` is a control
document (see below) applied before the ports are published.
``python3 fakeaws.py --kms-encrypt TEXT [--kms-context K=V ...]`` prints a
ciphertext that the fake KMS decrypts to TEXT under that context.

Python::

    from fakeaws import FakeAWS, kms_encrypt
    with FakeAWS() as aws:          # or aws = FakeAWS(); aws.start(); ... aws.stop()
        aws.url, aws.meta_url, aws.ca_file, aws.port, aws.meta_port
        aws.generate_events(50000, streams=4)          # into aws.default_group
        aws.add_events("/vpc/flowlogs/test", [{"logStreamName": "eni-1-all",
                        "timestamp": ms, "message": "...", "ingestionTime": ms}])
        aws.inject("throttle", 3, target="FilterLogEvents")
        aws.settings.skew = 600      # any Settings field, read at each request
        aws.clock.set(factor=60)     # the data clock (ingestion visibility)
        aws.control({...})           # the same documents as POST /__control
        aws.log(op="FilterLogEvents")  # request log entries (dicts)
        aws.count("FilterLogEvents", 200)
        aws.internal_errors          # exceptions in the fake itself: assert 0
    FakeAWS(tls=False) serves plain HTTP; FakeAWS(meta=False) skips the meta port.

Credentials accepted by default (the AWS SigV4 test-suite key, and one
session credential; add more with --credentials, the "credentials" control
key or ``aws.credentials.add``)::

    AKIDEXAMPLE           / wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY  (no token)
    ASIAFAKESESSION00001  / fakeSessionSecretKey0000000000000000000001
                            token FakeSessionToken0001
Credentials issued by STS, IMDS and the container endpoint are registered
and accepted until their Expiration (session token required).

Authentication (JSON services; STS uses its query-protocol equivalents)
------------------------------------------------------------------------
Checked in this order, each failure answered like AWS with HTTP 400:
no Authorization -> MissingAuthenticationTokenException; malformed ->
IncompleteSignatureException; unknown access key or wrong/missing session
token -> UnrecognizedClientException; expired credentials ->
ExpiredTokenException; X-Amz-Date more than 5 minutes from the server clock
(real time + ``skew``) -> InvalidSignatureException "Signature expired: ...
is now earlier than ..." (or "not yet current"); wrong scope date, region or
service, or host not signed -> InvalidSignatureException; signature mismatch
-> InvalidSignatureException "The request signature we calculated does not
match..." followed, like AWS, by the canonical request and string to sign the
server expected. Every response carries a ``Date`` header from the server
clock (skew included) and ``x-amzn-RequestId``. The service errors (not the
authentication ones) carry a qualified ``__type`` such as
``com.amazonaws.logs#ThrottlingException`` (setting ``qualified_errors``),
and every JSON error has ``X-Amzn-ErrorType: <Code>:http://internal...``.
STS errors are ``<ErrorResponse><Error><Type/><Code/><Message/></Error>``
with the STS codes (SignatureDoesNotMatch 403, InvalidClientTokenId 403,
ExpiredToken 400, Throttling 400, AccessDenied 403, ...).

FilterLogEvents
---------------
logGroupName or logGroupIdentifier (name or ARN without ":*"),
logStreamNames xor logStreamNamePrefix, startTime (inclusive), endTime
(exclusive; AWS's documentation is ambiguous here, so setting
``end_inclusive`` switches it: a client should not depend on it),
filterPattern ("" ; terms, "quoted
terms", ?alternatives, -exclusions; space-delimited [a, b=x*, ..., c>=3]),
limit (1..10000, default 10000), nextToken. Events are returned in
(timestamp, logStreamName, arrival) order, as {logStreamName, timestamp,
message, ingestionTime, eventId} (eventId: 56 digits, unique). A page holds
at most min(limit, ``page_size``) events and at most ``page_bytes`` (1 MiB)
of response. An event is visible only once the data clock >= its
ingestionTime; a page cursor that has passed it does not go back (like
AWS, late events can be missed by a running pagination). nextToken is
opaque (base64 JSON), bound to the query (``token_checks_query``);
unparseable or mismatched -> InvalidParameterException. ``scan_limit``
makes each call examine at most that many candidate events, so sparse
filters yield empty pages that carry a nextToken, as AWS does;
``trailing_token`` makes the last non-empty page carry a nextToken that
leads to one empty final page.

Control API (unsigned; main port and meta port; ``GET``/``POST``)
-------------------------------------------------------------------
``GET /__control``      -> state: ports, region, clocks, settings, pending
                          faults, groups, credentials, request counts per
                          operation and status, internal_errors.
``GET /__control/log[?since=SEQ&op=OP]`` -> {"entries": [...], "next": SEQ}.
    Entry: {seq, time (epoch s, real), duration, port ("main"|"meta"),
    method, path, service, op, params, access_key, status, error, fault,
    events, next_token}. Control requests are not logged.
``POST /__control``     with a JSON object; keys applied in order:
    fault kinds, each ``N`` or {"count": N, "target": T, ...}:
      "throttle"       ThrottlingException (STS: Throttling; meta: 429)
      "server_error"   {"status": 500|502|503|504, default 500} JSON 5xx body
      "expired_token"  ExpiredTokenException (meta: 500)
      "access_denied"  AccessDeniedException (meta: 403)
      "drop"           close the connection without a response
                       ({"mode": "reset"} sends a TCP RST instead of FIN)
      "delay"          sleep {"seconds": S} then answer normally
      "empty_pages"    FilterLogEvents answers {"events": [], nextToken}
                       that resumes at the same place
    A fault's target is an operation (FilterLogEvents, Decrypt, AssumeRole,
    AssumeRoleWithWebIdentity, IMDSToken, IMDS, ContainerCredentials) or a
    service (logs, kms, sts, imds, container); without target it applies to
    any logs/kms/sts request. Faults are consumed in injection order, at
    most one per request, before authentication.
    "settings": {name: value}, or any Settings field at top level:
      region, account_id, skew (s), latency (s per request), page_size,
      page_bytes, scan_limit, trailing_token, end_inclusive,
      token_checks_query, qualified_errors, rate_limit (FilterLogEvents
      req/s enforced with ThrottlingException, 0 = off), rate_burst,
      sts_duration (s, 0 = honour DurationSeconds), meta_duration (s),
      accept_any_role, roles ({arn: {"external_id": X}}),
      web_identity_tokens (list or null = any), imds_role, container_path,
      container_token (required Authorization value, null = none)
    "clock": {"at": epoch_s} | {"offset": s_from_real} | {"advance": s}
             | {"factor": f}   (data clock; combine freely; {"offset": 0,
             "factor": 1} restores real time)
    "add_group": name
    "add_events": {"group": G, "events": [{logStreamName, message,
        timestamp | age_s, ingestionTime | ingest_delay_s, eventId?}]}
        (or a list of such); age_s / ingest_delay_s are relative to the data
        clock, default ingestionTime = timestamp
    "generate": {"group": G, "events": N, "streams": M, "seed": S,
        "span_s": 3600, "end_ms": ms}  VPC flow records, all visible now
    "credentials": [{"access_key_id", "secret_access_key", "session_token",
        "expiration": epoch_s | ISO-8601}]
    "expire_credentials": "issued" | [access_key_id, ...]
    "clear_faults": true, "clear_log": true
  Answer: {"ok": true, "state": {...}} or HTTP 400 {"error": "..."}.

Clocks: the *server clock* (SigV4 window, Date header, credential expiry,
IMDS token TTL) is real time + ``skew``. The *data clock* (ingestion
visibility, age_s) is real time unless changed with "clock": ``factor``
compresses time from the moment it is set, ``advance`` jumps ahead.

Meta port
---------
IMDSv2: ``PUT /latest/api/token`` with ``X-aws-ec2-metadata-token-ttl-seconds``
(1..21600; missing -> 400; X-Forwarded-For -> 403) returns a token; every
GET without a valid ``X-aws-ec2-metadata-token`` -> 401. GET
``/latest/meta-data/iam/security-credentials/`` -> role name,
``.../<role>`` -> {Code, LastUpdated, Type, AccessKeyId, SecretAccessKey,
Token, Expiration}, ``/latest/meta-data/placement/region``,
``.../placement/availability-zone``, ``/latest/meta-data/instance-id``,
``/latest/dynamic/instance-identity/document``. Container: GET
``container_path`` (``Authorization`` must equal ``container_token`` when
set, else 401) -> {RoleArn, AccessKeyId, SecretAccessKey, Token,
Expiration}. Like the real services, both hand out the same credentials
until their remaining lifetime drops below min(5 min, meta_duration / 4),
then new ones (``meta_duration`` defaults to 6 h).

KMS: ``kms_encrypt(plaintext, context)`` makes a CiphertextBlob (base64) that
Decrypt accepts only with the same EncryptionContext (else
InvalidCiphertextException).
"""

import argparse
import base64
import bisect
import calendar
import collections
import dataclasses
import datetime
import email.utils
import fnmatch
import hashlib
import hmac
import itertools
import json
import os
import random
import re
import secrets
import signal
import socket
import ssl
import stat
import struct
import sys
import threading
import time
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote
from xml.sax.saxutils import escape as xml_escape

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tlsutil  # noqa: E402  (sibling module)

DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT = "123456789012"
DEFAULT_GROUP = "/vpc/flowlogs/test"
DEFAULT_CREDENTIALS = (
    ("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None),
    ("ASIAFAKESESSION00001", "fakeSessionSecretKey0000000000000000000001",
     "FakeSessionToken0001"),
)
ALGORITHM = "AWS4-HMAC-SHA256"
MAX_SKEW_S = 300
JSON_CT = "application/x-amz-json-1.1"
STS_XMLNS = "https://sts.amazonaws.com/doc/2011-06-15/"
AWS_SERVICES = ("logs", "kms", "sts")
UNSIGNED_OPS = {("sts", "AssumeRoleWithWebIdentity")}
JSON_TARGET_PREFIXES = {"Logs_20140328": "logs", "TrentService": "kms"}


# --------------------------------------------------------------------------
# time helpers and clocks

def amz_date(epoch):
    """20150830T123600Z"""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(epoch))


def iso8601(epoch):
    """2015-08-30T12:36:00Z"""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def parse_amz_date(text):
    """Epoch seconds of '20150830T123600Z', or None."""
    try:
        return float(calendar.timegm(time.strptime(text, "%Y%m%dT%H%M%SZ")))
    except (ValueError, TypeError):
        return None


def parse_epoch(value):
    """Epoch seconds from a number or an ISO-8601 text ('2026-01-01T00:00:00Z')."""
    if value is None or isinstance(value, (int, float)):
        return value
    parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed.timestamp()


class Clock:
    """The data clock: real time, scaled by ``factor`` since the last change."""

    def __init__(self):
        self._lock = threading.Lock()
        self._anchor_real = time.time()
        self._anchor_value = self._anchor_real
        self.factor = 1.0

    def now(self):
        """Seconds since the epoch on the data clock."""
        with self._lock:
            return self._anchor_value + (time.time() - self._anchor_real) * self.factor

    def now_ms(self):
        return int(self.now() * 1000)

    def set(self, at=None, offset=None, advance=None, factor=None):
        """Jump to ``at`` or to real time + ``offset``, then ``advance``;
        ``factor`` sets the speed from now on."""
        value = self.now()
        real = time.time()
        if at is not None:
            value = float(at)
        if offset is not None:
            value = real + float(offset)
        if advance is not None:
            value += float(advance)
        with self._lock:
            if factor is not None:
                if float(factor) <= 0:
                    raise ValueError("clock factor must be > 0")
                self.factor = float(factor)
            self._anchor_real, self._anchor_value = real, value

    def state(self):
        now = self.now()
        return {"now": now, "now_ms": int(now * 1000), "offset": now - time.time(),
                "factor": self.factor}


# --------------------------------------------------------------------------
# SigV4, written from the AWS specification

_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")


def uri_encode(text, keep_slash=False):
    """RFC 3986 percent-encoding of everything but unreserved characters."""
    out = []
    for byte in text.encode("utf-8"):
        if byte in _UNRESERVED or (keep_slash and byte == 0x2F):
            out.append(chr(byte))
        else:
            out.append("%%%02X" % byte)
    return "".join(out)


def normalize_path(path):
    """Remove empty, '.' and '..' segments (non-S3 services normalize)."""
    segments = []
    for seg in path.split("/"):
        if seg in ("", "."):
            continue
        if seg == "..":
            if segments:
                segments.pop()
            continue
        segments.append(seg)
    trailing = path.endswith("/") or path.rsplit("/", 1)[-1] in (".", "..")
    result = "/" + "/".join(segments)
    return result + "/" if segments and trailing else result


def canonical_uri(path, normalize=True):
    """The path as sent on the wire, normalized, encoded once more."""
    return uri_encode(normalize_path(path) if normalize else (path or "/"), keep_slash=True)


def canonical_query(query):
    pairs = []
    for part in query.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        pairs.append((uri_encode(unquote(name)), uri_encode(unquote(value))))
    pairs.sort()
    return "&".join("%s=%s" % pair for pair in pairs)


def canonical_headers(header_pairs, signed):
    """``signed`` lower-case names; raises KeyError for a missing one."""
    values = {}
    for name, value in header_pairs:
        values.setdefault(name.lower(), []).append(" ".join(str(value).split()))
    return "".join("%s:%s\n" % (name, ",".join(values[name])) for name in signed)


def canonical_request(method, path, query, header_pairs, signed, payload_hash):
    return "\n".join([method, canonical_uri(path), canonical_query(query),
                      canonical_headers(header_pairs, signed), ";".join(signed),
                      payload_hash])


def sha256_hex(data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def string_to_sign(date_time, scope, creq):
    return "\n".join([ALGORITHM, date_time, scope, sha256_hex(creq)])


def signing_key(secret, date, region, service):
    key = ("AWS4" + secret).encode("utf-8")
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return key


def signature(secret, date_time, region, service, sts):
    key = signing_key(secret, date_time[:8], region, service)
    return hmac.new(key, sts.encode("utf-8"), hashlib.sha256).hexdigest()


def sign_request(method, path, query, headers, body, *, access_key, secret_key,
                 region, service, session_token=None, epoch=None):
    """Client side: sign every header given (a dict, or a list of (name, value)
    pairs when names repeat; Host must be there). Returns the same kind with
    X-Amz-Date, X-Amz-Security-Token (if any) and Authorization added."""
    pairs = list(headers.items()) if isinstance(headers, dict) else list(headers)
    date_time = amz_date(time.time() if epoch is None else epoch)
    pairs.append(("X-Amz-Date", date_time))
    if session_token:
        pairs.append(("X-Amz-Security-Token", session_token))
    signed = sorted({name.lower() for name, _ in pairs})
    creq = canonical_request(method, path, query, pairs, signed, sha256_hex(body or b""))
    scope = "%s/%s/%s/aws4_request" % (date_time[:8], region, service)
    sig = signature(secret_key, date_time, region, service,
                    string_to_sign(date_time, scope, creq))
    pairs.append(("Authorization", "%s Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (
        ALGORITHM, access_key, scope, ";".join(signed), sig)))
    return dict(pairs) if isinstance(headers, dict) else pairs


@dataclasses.dataclass
class AuthHeader:
    access_key: str
    date: str
    region: str
    service: str
    signed_headers: list
    signature: str

    @property
    def scope(self):
        return "%s/%s/%s/aws4_request" % (self.date, self.region, self.service)


def parse_authorization(value):
    """Parse 'AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...'."""
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise AwsError("IncompleteSignatureException",
                       "Unsupported AWS 'algorithm': '%s'" % algorithm, auth=True)
    fields = {}
    for item in rest.split(","):
        name, _, val = item.strip().partition("=")
        fields[name] = val
    missing = [n for n in ("Credential", "SignedHeaders", "Signature") if not fields.get(n)]
    if missing:
        raise AwsError("IncompleteSignatureException", " ".join(
            "Authorization header requires '%s' parameter." % n for n in missing)
            + " Authorization=" + value, auth=True)
    cred = fields["Credential"].split("/")
    if len(cred) != 5 or cred[4] != "aws4_request":
        raise AwsError("IncompleteSignatureException",
                       "Credential should be scoped to a valid region, service and "
                       "terminator 'aws4_request'. Credential=" + fields["Credential"],
                       auth=True)
    return AuthHeader(cred[0], cred[1], cred[2], cred[3],
                      fields["SignedHeaders"].split(";"), fields["Signature"])


# --------------------------------------------------------------------------
# errors

class AwsError(Exception):
    """An AWS error; rendered as JSON or STS XML by the protocol."""

    def __init__(self, code, message, status=400, auth=False, query=None):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status
        self.auth = auth          # authentication errors are never qualified
        self.query = query        # (code, status) override for STS


# JSON-protocol code -> (STS code, HTTP status)
_QUERY_CODES = {
    "InvalidSignatureException": ("SignatureDoesNotMatch", 403),
    "UnrecognizedClientException": ("InvalidClientTokenId", 403),
    "ExpiredTokenException": ("ExpiredToken", 400),
    "MissingAuthenticationTokenException": ("MissingAuthenticationToken", 403),
    "IncompleteSignatureException": ("IncompleteSignature", 400),
    "ThrottlingException": ("Throttling", 400),
    "AccessDeniedException": ("AccessDenied", 403),
    "ServiceUnavailableException": ("ServiceUnavailable", 503),
    "InternalFailure": ("InternalFailure", 500),
    "InvalidParameterException": ("InvalidParameterValue", 400),
    "SerializationException": ("MalformedInput", 400),
}


def server_error(status):
    if status == 503:
        return AwsError("ServiceUnavailableException",
                        "The service is unavailable. Please try again later.", 503)
    return AwsError("InternalFailure",
                    "The request processing has failed because of an unknown error, "
                    "exception or failure.", status)


def invalid_param(message):
    return AwsError("InvalidParameterException", message)


def serialization_error(message):
    return AwsError("SerializationException", message)


# --------------------------------------------------------------------------
# credentials

@dataclasses.dataclass
class Credential:
    access_key_id: str
    secret_access_key: str
    session_token: str = None
    expires: float = None        # epoch seconds on the server clock, None = never
    source: str = "static"       # static, sts, imds, container
    arn: str = "arn:aws:iam::%s:user/vpcflowd" % DEFAULT_ACCOUNT

    def public(self):
        return {"access_key_id": self.access_key_id, "source": self.source,
                "session_token": bool(self.session_token), "expires": self.expires,
                "arn": self.arn}


def _random_text(alphabet, n):
    return "".join(secrets.choice(alphabet) for _ in range(n))


class CredentialStore:
    """Access key id -> Credential; thread-safe."""

    def __init__(self):
        self._lock = threading.Lock()
        self._creds = {}

    def add(self, access_key_id, secret_access_key, session_token=None, expires=None,
            source="static", arn=Credential.arn):
        cred = Credential(access_key_id, secret_access_key, session_token,
                          parse_epoch(expires), source, arn)
        with self._lock:
            self._creds[access_key_id] = cred
        return cred

    def get(self, access_key_id):
        with self._lock:
            return self._creds.get(access_key_id)

    def issue(self, source, lifetime, now, arn):
        """New temporary credentials, valid ``lifetime`` seconds from ``now``."""
        return self.add("ASIA" + _random_text("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16),
                        _random_text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                     "0123456789+/", 40),
                        "IQoJb3JpZ2luX2VjE" + base64.b64encode(os.urandom(300)).decode(),
                        now + lifetime, source, arn)

    def expire(self, which, now):
        """Expire the listed access keys, or all issued ones for "issued"."""
        if isinstance(which, str) and which != "issued":
            which = [which]
        with self._lock:
            for cred in self._creds.values():
                if (which == "issued" and cred.source != "static") or \
                        (which != "issued" and cred.access_key_id in which):
                    cred.expires = now - 1

    def public(self):
        with self._lock:
            return [c.public() for c in self._creds.values()]


# --------------------------------------------------------------------------
# log groups and FilterLogEvents

@dataclasses.dataclass
class LogEvent:
    stream: str
    timestamp: int
    message: str
    ingestion: int
    event_id: str
    seq: int

    @property
    def key(self):
        return (self.timestamp, self.stream, self.seq)

    def as_json(self):
        return {"logStreamName": self.stream, "timestamp": self.timestamp,
                "message": self.message, "ingestionTime": self.ingestion,
                "eventId": self.event_id}


def _int_field(doc, name, default=None):
    value = doc.get(name, default)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise ValueError("%s must be an integer" % name)
    return value


class LogGroup:
    """The events of one log group, kept sorted by (timestamp, stream, seq)."""

    def __init__(self, name):
        self.name = name
        self.events = []
        self.keys = []
        self.streams = {}        # name -> ordinal, in order of creation
        self._seq = 0

    def add(self, docs, now_ms):
        """Add events given as dicts (see the control API 'add_events')."""
        new = sorted((self._make_event(doc, now_ms) for doc in docs), key=lambda e: e.key)
        if new and self.keys and new[0].key < self.keys[-1]:
            self.events.extend(new)
            self.events.sort(key=lambda e: e.key)
            self.keys = [e.key for e in self.events]
        else:                                  # in order: append only
            self.events.extend(new)
            self.keys.extend(e.key for e in new)
        return len(new)

    def _make_event(self, doc, now_ms):
        stream = doc.get("logStreamName")
        if not isinstance(stream, str) or not stream:
            raise ValueError("event needs a logStreamName")
        timestamp = _int_field(doc, "timestamp")
        if timestamp is None:
            timestamp = now_ms - int(float(doc.get("age_s", 0)) * 1000)
        ingestion = _int_field(doc, "ingestionTime")
        if ingestion is None:
            ingestion = timestamp + int(float(doc.get("ingest_delay_s", 0)) * 1000)
        if timestamp < 0 or ingestion < 0:
            raise ValueError("negative timestamp")
        self._seq += 1
        ordinal = self.streams.setdefault(stream, len(self.streams))
        event_id = doc.get("eventId") or "3%015d%08d%032d" % (timestamp, ordinal, self._seq)
        return LogEvent(stream, timestamp, str(doc.get("message", "")), ingestion,
                        str(event_id), self._seq)


PAGE_OVERHEAD = 1024         # bytes reserved for the page framing and nextToken


@dataclasses.dataclass
class FilterQuery:
    group: str
    stream_names: list
    stream_prefix: str
    start: int
    end: int
    pattern: str
    limit: int
    cursor: tuple

    def fingerprint(self):
        text = json.dumps([self.group, self.stream_names, self.stream_prefix, self.start,
                           self.end, self.pattern], sort_keys=True)
        return sha256_hex(text)[:16]

    def stream_matches(self, stream):
        if self.stream_names is not None:
            return stream in self.stream_names
        return self.stream_prefix is None or stream.startswith(self.stream_prefix)


@dataclasses.dataclass
class PageLimits:
    max_events: int
    max_bytes: int
    scan_limit: int
    now_ms: int
    end_inclusive: bool


def encode_token(query, cursor):
    doc = {"v": 1, "q": query.fingerprint(), "k": None if cursor is None else list(cursor)}
    return base64.b64encode(json.dumps(doc, separators=(",", ":")).encode()).decode()


def decode_token(token, query, check_query):
    """The cursor (timestamp, stream, seq) or None (start) in ``token``;
    raises AwsError for a token this query did not hand out."""
    try:
        doc = json.loads(base64.b64decode(token, validate=True))
        key = doc["k"]
        cursor = None if key is None else (int(key[0]), str(key[1]), int(key[2]))
        if doc["v"] != 1 or (check_query and doc["q"] != query.fingerprint()):
            raise ValueError("query mismatch")
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise invalid_param("The specified nextToken is invalid.") from exc
    return cursor


def scan_page(group, query, match, limits):
    """Collect one page: (events, cursor, more). ``cursor`` is the key of the
    last event examined (or the incoming cursor); ``more`` tells whether the
    scan stopped before the end of the matching, visible events."""
    if query.cursor is not None:
        index = bisect.bisect_right(group.keys, query.cursor)
    else:
        index = bisect.bisect_left(group.keys, (query.start or 0,))
    events, size, examined, cursor = [], PAGE_OVERHEAD, 0, query.cursor
    for event in itertools.islice(group.events, index, None):
        if query.end is not None and (event.timestamp > query.end if limits.end_inclusive
                                      else event.timestamp >= query.end):
            break
        if event.ingestion > limits.now_ms or not query.stream_matches(event.stream):
            continue
        if limits.scan_limit and examined >= limits.scan_limit:
            return events, cursor, True
        examined += 1
        if not match(event.message):
            cursor = event.key
            continue
        doc = event.as_json()
        cost = len(json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()) + 1
        if len(events) >= limits.max_events or (events and size + cost > limits.max_bytes):
            return events, cursor, True
        events.append(doc)
        size += cost
        cursor = event.key
    return events, cursor, False


# -- filter patterns

_TERM_RE = re.compile(r'\s*([?-]?)("(?:[^"\\]|\\.)*"|[^\s"]+)')
_FIELD_RE = re.compile(r'^\s*(\.\.\.|[A-Za-z_][\w.-]*)\s*(?:(<=|>=|!=|=|<|>)\s*(.+?))?\s*$')


def _unquote(token):
    if len(token) >= 2 and token[0] == token[-1] == '"':
        return re.sub(r'\\(.)', r'\1', token[1:-1])
    return token


def compile_filter(pattern):
    """A predicate on messages for a CloudWatch filter pattern (subset)."""
    text = (pattern or "").strip()
    if not text:
        return lambda message: True
    if text.startswith("["):
        return _compile_delimited(text)
    if text.startswith("{"):
        raise invalid_param("JSON filter patterns are not supported by the fake")
    return _compile_terms(text)


def _compile_terms(text):
    groups = {"": [], "?": [], "-": []}
    pos = 0
    while text[pos:].strip():
        found = _TERM_RE.match(text, pos)
        if not found:
            raise invalid_param("Invalid filter pattern: " + text)
        groups[found.group(1)].append(_unquote(found.group(2)))
        pos = found.end()
    required, optional, excluded = groups[""], groups["?"], groups["-"]

    def match(message):
        return (all(t in message for t in required)
                and (not optional or any(t in message for t in optional))
                and not any(t in message for t in excluded))
    return match


def _split_fields(body):
    fields, current, quoted = [], [], False
    for ch in body:
        if ch == '"':
            quoted = not quoted
        if ch == "," and not quoted:
            fields.append("".join(current))
            current = []
        else:
            current.append(ch)
    fields.append("".join(current))
    return fields


def _field_condition(spec):
    found = _FIELD_RE.match(spec)
    if not found:
        raise invalid_param("Invalid filter pattern field: " + spec.strip())
    name, op, raw = found.groups()
    if name == "...":
        return None
    if op is None:
        return lambda value: True
    want = _unquote(raw)
    return _comparison(op, want)


def _comparison(op, want):
    try:
        number = float(want)
    except ValueError:
        number = None
    if op in ("<", ">", "<=", ">="):
        if number is None:
            raise invalid_param("Numeric comparison needs a number: " + want)
        compare = {"<": float.__lt__, ">": float.__gt__,
                   "<=": float.__le__, ">=": float.__ge__}[op]
        return lambda value: _as_float(value) is not None and compare(_as_float(value), number)

    def equal(value):
        if number is not None and _as_float(value) is not None:
            return _as_float(value) == number
        return fnmatch.fnmatchcase(value, want) if "*" in want else value == want
    return equal if op == "=" else (lambda value: not equal(value))


def _as_float(value):
    try:
        return float(value)
    except ValueError:
        return None


def _compile_delimited(text):
    if not text.endswith("]"):
        raise invalid_param("Invalid filter pattern: " + text)
    conditions = [_field_condition(spec) for spec in _split_fields(text[1:-1])]

    def match_from(tokens, ti, ci):
        if ci == len(conditions):
            return ti == len(tokens)
        if conditions[ci] is None:      # '...' matches any number of fields
            return any(match_from(tokens, k, ci + 1) for k in range(ti, len(tokens) + 1))
        return ti < len(tokens) and conditions[ci](tokens[ti]) and \
            match_from(tokens, ti + 1, ci + 1)
    return lambda message: match_from(message.split(), 0, 0)


# -- generated VPC flow records

def make_flow_events(count, streams=1, *, end_ms=None, span_s=3600, seed=1,
                     account_id=DEFAULT_ACCOUNT, delay_s=(60, 180)):
    """``count`` VPC flow records (default format, version 2) over ``streams``
    ENI streams, timestamps spread over ``span_s`` seconds before ``end_ms``.
    Each record's timestamp is its start; ingestion comes after its end (start
    + 60 s) plus a publishing delay in ``delay_s``. The default ``end_ms``
    makes every record visible now. About 1% are NODATA records."""
    rng = random.Random(seed)
    if end_ms is None:
        end_ms = int(time.time() * 1000) - (60 + delay_s[1]) * 1000
    enis = ["eni-0%016x" % rng.getrandbits(64) for _ in range(max(1, streams))]
    step = span_s * 1000 / max(1, count)
    events = []
    for i in range(count):
        eni = enis[i % len(enis)]
        start = int((end_ms - span_s * 1000 + i * step) // 1000)
        events.append({"logStreamName": eni + "-all", "timestamp": start * 1000,
                       "ingestionTime": (start + 60 + rng.randint(*delay_s)) * 1000,
                       "message": _flow_record(rng, account_id, eni, start, i)})
    return events


def _flow_record(rng, account_id, eni, start, i):
    if i % 100 == 99:
        return "2 %s %s - - - - - - - %d %d - NODATA" % (account_id, eni, start, start + 60)
    proto = rng.choice((6, 6, 6, 17, 17, 1))
    packets = rng.randint(1, 500)
    return "2 %s %s 10.0.%d.%d 10.1.%d.%d %d %d %d %d %d %d %d %s OK" % (
        account_id, eni, rng.randint(0, 255), rng.randint(1, 254), rng.randint(0, 255),
        rng.randint(1, 254), rng.randint(1024, 65535), rng.choice((443, 80, 22, 53, 5432)),
        proto, packets, packets * rng.randint(40, 1500), start, start + 60,
        "REJECT" if rng.random() < 0.1 else "ACCEPT")


# --------------------------------------------------------------------------
# KMS (fake scheme: magic + digest of the context + reversed plaintext)

KMS_MAGIC = b"FAKEKMS1"


def _context_digest(context):
    canonical = json.dumps(context or {}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).digest()[:8]


def kms_encrypt(plaintext, context=None):
    """A base64 CiphertextBlob that the fake KMS decrypts under ``context``."""
    data = plaintext.encode("utf-8") if isinstance(plaintext, str) else bytes(plaintext)
    return base64.b64encode(KMS_MAGIC + _context_digest(context) + data[::-1]).decode()


def kms_decrypt(blob, context=None):
    """The plaintext bytes; ValueError for foreign blobs or a wrong context."""
    if not blob.startswith(KMS_MAGIC) or len(blob) < len(KMS_MAGIC) + 8:
        raise ValueError("not a fake KMS ciphertext")
    digest = blob[len(KMS_MAGIC):len(KMS_MAGIC) + 8]
    if not hmac.compare_digest(digest, _context_digest(context)):
        raise ValueError("encryption context mismatch")
    return blob[len(KMS_MAGIC) + 8:][::-1]


# --------------------------------------------------------------------------
# settings and faults

@dataclasses.dataclass
class Settings:
    """Knobs read at each request; change them directly or via the control API."""

    region: str = DEFAULT_REGION
    account_id: str = DEFAULT_ACCOUNT
    skew: float = 0.0                 # server clock = real time + skew (s)
    latency: float = 0.0              # added to every request (s)
    page_size: int = 10000            # max events per FilterLogEvents page
    page_bytes: int = 1048576         # max FilterLogEvents response size
    scan_limit: int = 0               # candidate events examined per call, 0 = all
    trailing_token: bool = False
    end_inclusive: bool = False
    token_checks_query: bool = True
    qualified_errors: bool = True
    rate_limit: float = 0.0           # FilterLogEvents requests/s, 0 = unlimited
    rate_burst: float = 0.0           # bucket size, 0 = max(1, rate_limit)
    sts_duration: int = 0             # issued STS lifetime (s), 0 = DurationSeconds
    meta_duration: int = 21600        # IMDS / container credential lifetime (s)
    accept_any_role: bool = True
    roles: dict = dataclasses.field(default_factory=dict)
    web_identity_tokens: list = None
    imds_role: str = "vpcflowd-role"
    container_path: str = "/v2/credentials/vpcflowd"
    container_token: str = None

    def update(self, doc):
        if not isinstance(doc, dict):
            raise ValueError("settings must be an object")
        for name, value in doc.items():
            setattr(self, name, self._coerce(name, value))

    @classmethod
    def names(cls):
        return {f.name for f in dataclasses.fields(cls)}

    @classmethod
    def _coerce(cls, name, value):
        types = {f.name: f.type for f in dataclasses.fields(cls)}
        if name not in types:
            raise ValueError("unknown setting: %s" % name)
        kind = types[name]
        if value is None and kind in (str, list):
            return None
        ok = {bool: lambda v: isinstance(v, bool),
              int: lambda v: isinstance(v, int) and not isinstance(v, bool),
              float: lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)}
        if not ok.get(kind, lambda v: isinstance(v, kind))(value):
            raise ValueError("setting %s must be of type %s" % (name, kind.__name__))
        return float(value) if kind is float else value


FAULT_KINDS = ("throttle", "server_error", "expired_token", "access_denied", "drop",
               "delay", "empty_pages")
REQUEST_FAULTS = FAULT_KINDS[:-1]


@dataclasses.dataclass
class Fault:
    kind: str
    count: int = 1
    target: str = None        # operation or service; None = any logs/kms/sts call
    status: int = 500         # server_error
    seconds: float = 1.0      # delay
    mode: str = "close"       # drop: close | reset

    def matches(self, service, op):
        if self.target is None:
            return service in AWS_SERVICES
        return self.target in (service, op)


class FaultQueue:
    """Pending faults, consumed in injection order."""

    def __init__(self):
        self._lock = threading.Lock()
        self._faults = []

    def add(self, kind, count=1, **params):
        if kind not in FAULT_KINDS:
            raise ValueError("unknown fault: %s" % kind)
        fault = Fault(kind, int(count), **params)
        if fault.kind == "server_error" and not 500 <= fault.status <= 599:
            raise ValueError("server_error status must be 5xx")
        if fault.mode not in ("close", "reset"):
            raise ValueError("drop mode must be close or reset")
        if fault.count > 0:
            with self._lock:
                self._faults.append(fault)
        return fault

    def take(self, service, op, kinds):
        """Consume one matching fault of ``kinds``; None if there is none."""
        with self._lock:
            for fault in self._faults:
                if fault.kind in kinds and fault.matches(service, op):
                    fault.count -= 1
                    if fault.count == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def clear(self):
        with self._lock:
            self._faults.clear()

    def pending(self):
        with self._lock:
            return [dataclasses.asdict(f) for f in self._faults]


# --------------------------------------------------------------------------
# HTTP plumbing

@dataclasses.dataclass
class Request:
    method: str
    path: str
    query: str
    headers: object           # http.client.HTTPMessage
    body: bytes
    port: str                 # "main" | "meta"

    def header(self, name, default=None):
        return self.headers.get(name, default)


@dataclasses.dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "text/plain"
    headers: dict = dataclasses.field(default_factory=dict)
    drop: str = None          # "close" | "reset": no response at all
    error: str = None         # error code, for the request log


@dataclasses.dataclass
class Call:
    """One API call as routed: service, operation, protocol and parameters."""

    service: str
    op: str
    protocol: str             # "json" | "query" | "meta"
    params: dict
    parse_error: AwsError = None
    access_key: str = None
    info: dict = dataclasses.field(default_factory=dict)


def text_response(status, text=""):
    return Response(status, text.encode("utf-8"), "text/plain")


def json_body(doc):
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeAWS"
    sys_version = ""
    disable_nagle_algorithm = True  # no 40 ms delayed-ACK stall per request
    timeout = 60

    def do_GET(self):  # noqa: N802 (http.server naming)
        self._handle()

    do_POST = do_PUT = do_DELETE = do_GET

    def _handle(self):
        app = self.server.app
        try:
            body = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            self._send(text_response(400, "bad request body\n"))
            return
        path, _, query = self.path.partition("?")
        req = Request(self.command, path, query, self.headers, body, self.server.kind)
        resp = app.handle(req)
        if resp.drop:
            self._drop(resp.drop)
        else:
            self._send(resp)

    def _read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _read_chunked(self):
        parts = []
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline().strip():   # trailers
                    pass
                return b"".join(parts)
            parts.append(self.rfile.read(size))
            self.rfile.readline()

    def _send(self, resp):
        self.send_response(resp.status)
        self.send_header("Content-Type", resp.content_type)
        self.send_header("Content-Length", str(len(resp.body)))
        for name, value in resp.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(resp.body)

    def _drop(self, mode):
        self.close_connection = True
        if mode == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.server.reset_fds.add(self.connection.fileno())
        else:
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def version_string(self):
        return self.server_version

    def date_time_string(self, timestamp=None):
        """The Date header follows the (skewed) server clock."""
        when = self.server.app.server_time() if timestamp is None else timestamp
        return email.utils.formatdate(when, usegmt=True)

    def log_message(self, fmt, *args):
        if self.server.app.verbose:
            sys.stderr.write("fakeaws %s: %s\n" % (self.server.kind, fmt % args))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def __init__(self, app, kind, ssl_context):
        self.app, self.kind, self.ssl_context = app, kind, ssl_context
        self.reset_fds = set()    # connections to close with RST (no FIN first)
        super().__init__(("127.0.0.1", 0), _Handler)

    def shutdown_request(self, request):
        try:
            fd = request.fileno()
        except OSError:
            fd = -1
        if fd in self.reset_fds:
            self.reset_fds.discard(fd)
            request.close()
        else:
            super().shutdown_request(request)

    def finish_request(self, request, client_address):
        """TLS handshake in the connection's own thread, not in accept()."""
        if self.ssl_context is None:
            super().finish_request(request, client_address)
            return
        request.settimeout(30)
        try:
            tls_sock = self.ssl_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            super().finish_request(tls_sock, client_address)
        finally:
            self.shutdown_request(tls_sock)

    def handle_error(self, request, client_address):
        if self.app.verbose:
            super().handle_error(request, client_address)


# --------------------------------------------------------------------------
# the fake

LOG_MAX = 200000
INSTANCE_ID = "i-0fa4e0c0ffee00001"
KMS_KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
_GROUP_NAME_RE = re.compile(r"[\.\-_/#A-Za-z0-9]{1,512}")
_GROUP_ARN_RE = re.compile(r"arn:aws[\w-]*:logs:([\w-]+):(\d{12}):log-group:([^:*]+)")
_ROLE_ARN_RE = re.compile(r"arn:aws[\w-]*:iam::(\d{12}):role/([\w+=,.@/-]+)")
_SESSION_RE = re.compile(r"[\w+=,.@-]{2,64}")
SIGNATURE_MISMATCH = ("The request signature we calculated does not match the signature "
                      "you provided. Check your AWS Secret Access Key and signing method. "
                      "Consult the service documentation for details.")


class FakeAWS:
    """CloudWatch Logs + STS + KMS on one TLS port, IMDS + container
    credentials on a plain-HTTP port. See the module docstring."""

    def __init__(self, *, tls=True, meta=True, control=True, region=DEFAULT_REGION,
                 group=DEFAULT_GROUP, tls_dir=None, verbose=False, log_file=None):
        self.settings = Settings(region=region)
        self.clock = Clock()
        self.credentials = CredentialStore()
        self.faults = FaultQueue()
        self.groups = {}
        self.default_group = group
        self.tls, self.meta, self.control_enabled = tls, meta, control
        self.verbose, self.tls_files, self.ca_file = verbose, None, None
        self.port = self.meta_port = None
        self.lock = threading.RLock()
        self._tls_dir, self._log_path = tls_dir, log_file
        self._log = collections.deque(maxlen=LOG_MAX)
        self._seq = 0
        self._counts = collections.Counter()
        self._imds_tokens = {}
        self._meta_creds = {}
        self._bucket = None
        self.internal_errors = 0      # exceptions in the fake itself (answered 500)
        self._stopping = threading.Event()
        self._servers = []
        for access_key, secret, token in DEFAULT_CREDENTIALS:
            self.credentials.add(access_key, secret, token)
        self.add_group(group)
        self._handlers = {
            ("logs", "FilterLogEvents"): self._filter_log_events,
            ("kms", "Decrypt"): self._kms_decrypt,
            ("sts", "AssumeRole"): self._sts_assume_role,
            ("sts", "AssumeRoleWithWebIdentity"): self._sts_web_identity,
            ("sts", "GetCallerIdentity"): self._sts_caller_identity,
            ("imds", "IMDSToken"): self._imds_token,
            ("imds", "IMDS"): self._imds_get,
            ("container", "ContainerCredentials"): self._container_credentials,
        }
        self._control_actions = {
            "clock": lambda v: self.clock.set(**v),
            "add_group": self.add_group,
            "add_events": self._control_add_events,
            "generate": lambda v: self.generate_events(**v),
            "credentials": self._control_credentials,
            "expire_credentials": lambda v: self.credentials.expire(v, self.server_time()),
            "clear_faults": lambda v: v and self.faults.clear(),
            "clear_log": lambda v: v and self.clear_log(),
        }

    # -- life cycle

    def start(self):
        context = None
        if self.tls:
            self.tls_files = tlsutil.make_certs(self._tls_dir)
            self.ca_file = self.tls_files.ca_cert
            context = tlsutil.server_context(self.tls_files)
        self.port = self._serve("main", context)
        if self.meta:
            self.meta_port = self._serve("meta", None)
        return self

    def _serve(self, kind, context):
        server = _Server(self, kind, context)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                                  name="fakeaws-" + kind, daemon=True)
        thread.start()
        self._servers.append((server, thread))
        return server.server_address[1]

    def stop(self):
        self._stopping.set()
        for server, thread in self._servers:
            server.shutdown()
            server.server_close()
            thread.join(5)
        self._servers.clear()
        if self.tls_files is not None:
            self.tls_files.cleanup()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def url(self):
        return "%s://127.0.0.1:%d" % ("https" if self.tls else "http", self.port)

    @property
    def meta_url(self):
        return "http://127.0.0.1:%d" % self.meta_port if self.meta_port else None

    def server_time(self):
        """The server clock (SigV4 window, Date header, credential expiry)."""
        return time.time() + self.settings.skew

    def _sleep(self, seconds):
        if seconds > 0:
            self._stopping.wait(seconds)

    # -- Python API

    def add_group(self, name):
        with self.lock:
            return self.groups.setdefault(name, LogGroup(name))

    def add_events(self, group, events):
        """Add event dicts (see 'add_events' in the control API); creates the group."""
        with self.lock:
            return self.add_group(group).add(events, self.clock.now_ms())

    def generate_events(self, events, streams=1, group=None, **kwargs):
        """Add ``events`` generated VPC flow records; returns the event dicts."""
        kwargs.setdefault("account_id", self.settings.account_id)
        if "end_ms" not in kwargs:
            kwargs["end_ms"] = self.clock.now_ms() - 300 * 1000
        docs = make_flow_events(events, streams, **kwargs)
        self.add_events(group or self.default_group, docs)
        return docs

    def inject(self, kind, count=1, target=None, **params):
        """Queue a fault: see FAULT_KINDS and the control API."""
        return self.faults.add(kind, count, target=target, **params)

    def control(self, doc):
        """Apply a control document (the body of POST /__control)."""
        if not isinstance(doc, dict):
            raise ValueError("a control document is a JSON object")
        for key, value in doc.items():
            self._apply_control(key, value)
        return self.state()

    def log(self, op=None, since=0):
        """Request log entries with seq >= since, optionally of one operation."""
        with self.lock:
            return [dict(e) for e in self._log
                    if e["seq"] >= since and (op is None or e["op"] == op)]

    @property
    def requests(self):
        return self.log()

    def count(self, op=None, status=None):
        return sum(1 for e in self.log(op) if status is None or e["status"] == status)

    def clear_log(self):
        with self.lock:
            self._log.clear()
            self._counts.clear()

    def state(self):
        with self.lock:
            groups = {name: {"events": len(g.events), "streams": len(g.streams)}
                      for name, g in self.groups.items()}
            counts = {}
            for (op, status), n in self._counts.items():
                counts.setdefault(op, {})[str(status)] = n
            return {"port": self.port, "meta_port": self.meta_port, "tls": self.tls,
                    "url": self.url if self.port else None, "ca_file": self.ca_file,
                    "server_time": self.server_time(), "clock": self.clock.state(),
                    "settings": dataclasses.asdict(self.settings),
                    "faults": self.faults.pending(), "groups": groups,
                    "credentials": self.credentials.public(), "requests": counts,
                    "next_seq": self._seq + 1, "internal_errors": self.internal_errors}

    # -- control API

    def _apply_control(self, key, value):
        if key in FAULT_KINDS:
            params = value if isinstance(value, dict) else {"count": value}
            self.inject(key, **params)
        elif key == "settings":
            self.settings.update(value)
        elif key in Settings.names():
            self.settings.update({key: value})
        elif key in self._control_actions:
            self._control_actions[key](value)
        else:
            raise ValueError("unknown control key: %s" % key)

    def _control_add_events(self, value):
        for item in value if isinstance(value, list) else [value]:
            self.add_events(item.get("group", self.default_group), item["events"])

    def _control_credentials(self, value):
        for item in value:
            self.credentials.add(item["access_key_id"], item["secret_access_key"],
                                 item.get("session_token"), item.get("expiration"))

    def _control_http(self, req):
        if not self.control_enabled:
            return text_response(404, "control API disabled (start with --control)\n")
        path = req.path.rstrip("/")
        try:
            if req.method == "GET" and path == "/__control":
                return Response(200, json_body(self.state()), "application/json")
            if req.method == "GET" and path == "/__control/log":
                query = dict(parse_qsl(req.query))
                since = int(query.get("since", 0))
                entries = self.log(query.get("op"), since)
                return Response(200, json_body({"entries": entries, "next": self._seq + 1}),
                                "application/json")
            if req.method == "POST" and path == "/__control":
                state = self.control(json.loads(req.body or b"{}"))
                return Response(200, json_body({"ok": True, "state": state}),
                                "application/json")
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            return Response(400, json_body({"error": str(exc)}), "application/json")
        return text_response(404, "unknown control endpoint\n")

    # -- request pipeline

    def handle(self, req):
        """Answer one request (called from the HTTP handler threads)."""
        if req.path == "/__control" or req.path.startswith("/__control/"):
            return self._control_http(req)
        started = time.time()
        call = Call("unknown", "", "json", {})
        try:
            call = self._route(req)
            resp = self._process(call, req)
        except AwsError as err:
            resp = self._error_response(err, call)
        except Exception:  # noqa: BLE001 -- a bug in the fake must not look like a drop
            with self.lock:
                self.internal_errors += 1
            sys.stderr.write("fakeaws: INTERNAL ERROR (a bug in the fake)\n%s"
                             % traceback.format_exc())
            resp = self._error_response(AwsError("InternalFailure", "fakeaws internal "
                                                 "error, see its stderr", 500), call)
        if req.port == "main":
            resp.headers.setdefault("x-amzn-RequestId", str(uuid.uuid4()))
        self._record(req, call, resp, started)
        return resp

    def _route(self, req):
        if req.port == "meta":
            return self._route_meta(req)
        target = req.header("X-Amz-Target")
        if target:
            return self._route_json(req, target)
        params = self._form_params(req)
        if "Action" in params:
            return Call("sts", params.pop("Action"), "query", params)
        return Call("unknown", "", "json", {}, parse_error=AwsError(
            "UnknownOperationException", "No X-Amz-Target and no Action: cannot route"))

    def _route_json(self, req, target):
        prefix, _, op = target.partition(".")
        service = JSON_TARGET_PREFIXES.get(prefix)
        if service is None or not op:
            return Call("unknown", target, "json", {}, parse_error=AwsError(
                "UnknownOperationException", "Unknown X-Amz-Target: " + target))
        call = Call(service, op, "json", {})
        content_type = req.header("Content-Type", "").split(";")[0].strip().lower()
        try:
            if content_type != JSON_CT:
                raise ValueError("Content-Type must be %s, not '%s'" % (JSON_CT, content_type))
            call.params = json.loads(req.body or b"{}")
            if not isinstance(call.params, dict):
                raise ValueError("the body must be a JSON object")
        except ValueError as exc:
            call.parse_error = serialization_error(str(exc))
        return call

    @staticmethod
    def _form_params(req):
        content_type = req.header("Content-Type", "").lower()
        text = req.query
        if req.method == "POST" and content_type.startswith("application/x-www-form-urlencoded"):
            text = req.body.decode("utf-8", "replace")
        return dict(parse_qsl(text, keep_blank_values=True))

    def _route_meta(self, req):
        if req.path == self.settings.container_path:
            return Call("container", "ContainerCredentials", "meta", {})
        if req.path == "/latest/api/token":
            return Call("imds", "IMDSToken", "meta", {})
        if req.path.startswith("/latest/"):
            return Call("imds", "IMDS", "meta", {"path": req.path})
        return Call("meta", "NotFound", "meta", {"path": req.path})

    def _process(self, call, req):
        self._sleep(self.settings.latency)
        fault = self.faults.take(call.service, call.op, REQUEST_FAULTS)
        if fault is not None:
            call.info["fault"] = fault.kind
            resp = self._apply_fault(fault, call)
            if resp is not None:
                return resp
        if call.service == "unknown":
            raise call.parse_error
        if call.protocol != "meta" and (call.service, call.op) not in UNSIGNED_OPS:
            call.access_key = self._authenticate(req, call.service)
        if call.parse_error is not None:
            raise call.parse_error
        handler = self._handlers.get((call.service, call.op))
        if handler is None:
            return self._unknown_operation(call)
        self._rate_check(call)
        return handler(call, req)

    def _unknown_operation(self, call):
        if call.protocol == "meta":
            return text_response(404, "Not Found\n")
        if call.protocol == "query":
            raise AwsError("InvalidAction", "Could not find operation %s for version "
                           "2011-06-15" % call.op, query=("InvalidAction", 400))
        raise AwsError("UnknownOperationException", "Unknown operation " + call.op)

    def _apply_fault(self, fault, call):
        """A Response (drop, meta errors), None (delay), or raises AwsError."""
        if fault.kind == "drop":
            return Response(0, drop=fault.mode)
        if fault.kind == "delay":
            self._sleep(fault.seconds)
            return None
        if call.protocol == "meta":
            status = {"throttle": 429, "access_denied": 403,
                      "server_error": fault.status}.get(fault.kind, 500)
            return text_response(status, "injected %s\n" % fault.kind)
        raise self._fault_error(fault, call)

    def _fault_error(self, fault, call):
        if fault.kind == "throttle":
            return AwsError("ThrottlingException", "Rate exceeded")
        if fault.kind == "server_error":
            return server_error(fault.status)
        if fault.kind == "expired_token":
            web = call.op == "AssumeRoleWithWebIdentity"
            return AwsError("ExpiredTokenException",
                            "The security token included in the request is expired",
                            auth=True, query=("ExpiredTokenException", 400) if web else None)
        return AwsError("AccessDeniedException",
                        "User: arn:aws:iam::%s:user/vpcflowd is not authorized to perform: "
                        "%s:%s" % (self.settings.account_id, call.service, call.op))

    def _rate_check(self, call):
        rate = self.settings.rate_limit
        if call.op != "FilterLogEvents" or rate <= 0:
            return
        burst = self.settings.rate_burst or max(1.0, rate)
        with self.lock:
            now = time.monotonic()
            tokens = burst if self._bucket is None else \
                min(burst, self._bucket[0] + (now - self._bucket[1]) * rate)
            self._bucket = (tokens - 1 if tokens >= 1 else tokens, now)
        if tokens < 1:
            call.info["fault"] = "rate_limit"
            raise AwsError("ThrottlingException", "Rate exceeded")

    def _record(self, req, call, resp, started):
        with self.lock:
            self._seq += 1
            entry = {"seq": self._seq, "time": started, "duration": time.time() - started,
                     "port": req.port, "method": req.method, "path": req.path,
                     "service": call.service, "op": call.op, "params": call.params,
                     "access_key": call.access_key,
                     "status": None if resp.drop else resp.status, "error": resp.error,
                     "fault": None, "events": None, "next_token": None}
            entry.update(call.info)
            self._log.append(entry)
            self._counts[(call.op, entry["status"])] += 1
            if self._log_path:
                with open(self._log_path, "a", encoding="utf-8") as fh:
                    fh.write(json.dumps(entry) + "\n")
        if self.verbose:
            sys.stderr.write("fakeaws: %s %s -> %s %s\n" % (
                call.service, call.op, entry["status"], resp.error or ""))

    # -- error rendering

    def _error_response(self, err, call):
        if call.protocol == "query":
            return self._query_error(err)
        service = call.service if call.service in AWS_SERVICES else "logs"
        qualified = self.settings.qualified_errors and not err.auth
        doc = {"__type": "com.amazonaws.%s#%s" % (service, err.code) if qualified else err.code,
               "message": err.message}
        resp = self._json_response(doc, err.status)
        resp.headers["X-Amzn-ErrorType"] = "%s:http://internal.amazon.com/coral/" \
            "com.amazonaws.%s/" % (err.code, service)
        resp.error = err.code
        return resp

    @staticmethod
    def _query_error(err):
        code, status = err.query or _QUERY_CODES.get(err.code, (err.code, err.status))
        status = err.status if err.status >= 500 else status
        body = ('<ErrorResponse xmlns="%s">\n  <Error>\n    <Type>%s</Type>\n'
                '    <Code>%s</Code>\n    <Message>%s</Message>\n  </Error>\n'
                '  <RequestId>%s</RequestId>\n</ErrorResponse>\n') % (
            STS_XMLNS, "Receiver" if status >= 500 else "Sender", code,
            xml_escape(err.message), uuid.uuid4())
        return Response(status, body.encode("utf-8"), "text/xml", error=code)

    @staticmethod
    def _json_response(doc, status=200):
        return Response(status, json_body(doc), JSON_CT)

    # -- SigV4 verification

    def _authenticate(self, req, service):
        """The access key of a correctly signed request; raises AwsError."""
        value = req.header("Authorization")
        if not value:
            raise AwsError("MissingAuthenticationTokenException", "Missing Authentication Token",
                           auth=True)
        auth = parse_authorization(value)
        cred = self.credentials.get(auth.access_key)
        now = self.server_time()
        self._check_credential(cred, req.header("X-Amz-Security-Token"), now)
        date_time = self._check_request_time(req, auth, now)
        self._check_scope(auth, service)
        self._check_signature(req, auth, cred, date_time)
        return auth.access_key

    @staticmethod
    def _check_credential(cred, token, now):
        if cred is None or (cred.session_token or None) != (token or None):
            raise AwsError("UnrecognizedClientException",
                           "The security token included in the request is invalid.", auth=True)
        if cred.expires is not None and now >= cred.expires:
            raise AwsError("ExpiredTokenException",
                           "The security token included in the request is expired", auth=True)

    @staticmethod
    def _check_request_time(req, auth, now):
        text = req.header("X-Amz-Date")
        if text is None and req.header("Date"):
            parsed = email.utils.parsedate_tz(req.header("Date"))
            text = amz_date(email.utils.mergetz(parsed)) if parsed else req.header("Date")
        if text is None:
            raise AwsError("IncompleteSignatureException", "Authorization header requires "
                           "existence of either a 'X-Amz-Date' or a 'Date' header.", auth=True)
        when = parse_amz_date(text)
        if when is None:
            raise AwsError("IncompleteSignatureException", "Date must be in ISO-8601 'basic "
                           "format'. Got '%s'." % text, auth=True)
        if when < now - MAX_SKEW_S:
            raise AwsError("InvalidSignatureException", "Signature expired: %s is now earlier "
                           "than %s (%s - 5 min.)" % (text, amz_date(now - MAX_SKEW_S),
                                                      amz_date(now)), auth=True)
        if when > now + MAX_SKEW_S:
            raise AwsError("InvalidSignatureException", "Signature not yet current: %s is "
                           "still later than %s (%s + 5 min.)" % (
                               text, amz_date(now + MAX_SKEW_S), amz_date(now)), auth=True)
        if auth.date != text[:8]:
            raise AwsError("InvalidSignatureException", "Date in Credential scope does not "
                           "match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != "
                           "'%s', from '%s'." % (auth.date, text[:8], text), auth=True)
        return text

    def _check_scope(self, auth, service):
        regions = {self.settings.region} | ({"us-east-1"} if service == "sts" else set())
        if auth.region not in regions:
            raise AwsError("InvalidSignatureException", "Credential should be scoped to a "
                           "valid region, not '%s'. " % auth.region, auth=True)
        if auth.service != service:
            raise AwsError("InvalidSignatureException", "Credential should be scoped to "
                           "correct service: '%s'. " % service, auth=True)
        if "host" not in auth.signed_headers:
            raise AwsError("InvalidSignatureException", "'Host' or ':authority' must be a "
                           "'SignedHeader' in the AWS Authorization.", auth=True)

    @staticmethod
    def _check_signature(req, auth, cred, date_time):
        body_hash = sha256_hex(req.body)
        payload = req.header("X-Amz-Content-Sha256") or body_hash
        if payload not in (body_hash, "UNSIGNED-PAYLOAD"):
            raise AwsError("InvalidSignatureException", "The provided 'x-amz-content-sha256' "
                           "header does not match what was computed.", auth=True)
        try:
            creq = canonical_request(req.method, req.path, req.query, req.headers.items(),
                                     auth.signed_headers, payload)
        except KeyError as exc:
            raise AwsError("InvalidSignatureException", SIGNATURE_MISMATCH + " (signed header "
                           "%s is missing)" % exc, auth=True) from exc
        sts = string_to_sign(date_time, auth.scope, creq)
        expected = signature(cred.secret_access_key, date_time, auth.region, auth.service, sts)
        if not hmac.compare_digest(expected, auth.signature):
            raise AwsError("InvalidSignatureException", "%s\n\nThe Canonical String for this "
                           "request should have been\n'%s'\n\nThe String-to-Sign should have "
                           "been\n'%s'\n" % (SIGNATURE_MISMATCH, creq, sts), auth=True)

    # -- CloudWatch Logs

    def _filter_log_events(self, call, req):
        query = self._filter_query(call.params)
        match = compile_filter(query.pattern)
        s = self.settings
        with self.lock:
            group = self._lookup_group(query.group)
            if self.faults.take("logs", call.op, ("empty_pages",)):
                call.info["fault"] = "empty_pages"
                events, cursor, more = [], query.cursor, True
            else:
                limits = PageLimits(min(query.limit, s.page_size), s.page_bytes, s.scan_limit,
                                    self.clock.now_ms(), s.end_inclusive)
                events, cursor, more = scan_page(group, query, match, limits)
                more = more or (s.trailing_token and bool(events))
        doc = {"events": events, "searchedLogStreams": []}
        if more:
            doc["nextToken"] = encode_token(query, cursor)
        call.info.update(events=len(events), next_token=more)
        return self._json_response(doc)

    def _filter_query(self, params):
        names = _param(params, "logStreamNames", list)
        prefix = _param(params, "logStreamNamePrefix", str)
        if names is not None and prefix is not None:
            raise invalid_param("logStreamNames and logStreamNamePrefix are mutually "
                                "exclusive parameters.")
        if names is not None and not (1 <= len(names) <= 100 and
                                      all(isinstance(n, str) for n in names)):
            raise invalid_param("logStreamNames must hold 1 to 100 stream names")
        start, end = _param(params, "startTime", int), _param(params, "endTime", int)
        for name, value in (("startTime", start), ("endTime", end)):
            if value is not None and value < 0:
                raise invalid_param("1 validation error detected: Value '%d' at '%s' failed "
                                    "to satisfy constraint: Member must have value greater "
                                    "than or equal to 0" % (value, name))
        if start is not None and end is not None and start > end:
            raise invalid_param("endTime must be greater than or equal to startTime")
        limit = _param(params, "limit", int, 10000)
        if not 1 <= limit <= 10000:
            raise invalid_param("1 validation error detected: Value '%d' at 'limit' failed to "
                                "satisfy constraint: Member must have value between 1 and "
                                "10000" % limit)
        pattern = _param(params, "filterPattern", str, "")
        if len(pattern) > 1024:
            raise invalid_param("filterPattern is longer than 1024 characters")
        query = FilterQuery(self._group_name(params), names, prefix, start, end, pattern,
                            limit, None)
        token = _param(params, "nextToken", str)
        if token is not None:
            query.cursor = decode_token(token, query, self.settings.token_checks_query)
        return query

    def _group_name(self, params):
        name = _param(params, "logGroupName", str)
        ident = _param(params, "logGroupIdentifier", str)
        if name is not None and ident is not None:
            raise invalid_param("LogGroup name and LogGroup ARN are mutually exclusive "
                                "parameters.")
        if name is None and ident is None:
            raise invalid_param("Either logGroupName or logGroupIdentifier is required.")
        if name is not None or not ident.startswith("arn:"):
            value = name if name is not None else ident
            if not _GROUP_NAME_RE.fullmatch(value):
                raise invalid_param("1 validation error detected: Value '%s' at "
                                    "'logGroupName' failed to satisfy constraint: Member must "
                                    "satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+"
                                    % value)
            return value
        found = _GROUP_ARN_RE.fullmatch(ident)
        if not found:
            raise invalid_param("Invalid logGroupIdentifier '%s' (an ARN without the "
                                "trailing ':*', or a name)" % ident)
        region, account, group = found.groups()
        if region != self.settings.region or account != self.settings.account_id:
            raise AwsError("ResourceNotFoundException", "The specified log group does not "
                           "exist.")
        return group

    def _lookup_group(self, name):
        group = self.groups.get(name)
        if group is None:
            raise AwsError("ResourceNotFoundException", "The specified log group does not exist.")
        return group

    # -- KMS

    def _kms_decrypt(self, call, req):
        blob_text = _param(call.params, "CiphertextBlob", str)
        context = _param(call.params, "EncryptionContext", dict)
        if blob_text is None:
            raise AwsError("ValidationException", "1 validation error detected: Value null at "
                           "'ciphertextBlob' failed to satisfy constraint: Member must not be "
                           "null")
        try:
            blob = base64.b64decode(blob_text, validate=True)
        except ValueError as exc:
            raise serialization_error("CiphertextBlob is not valid base64") from exc
        try:
            plaintext = kms_decrypt(blob, context)
        except ValueError as exc:
            raise AwsError("InvalidCiphertextException", "The ciphertext is invalid, was not "
                           "made by this KMS, or was encrypted under a different encryption "
                           "context (%s)." % exc) from exc
        key_arn = "arn:aws:kms:%s:%s:key/%s" % (self.settings.region, self.settings.account_id,
                                               KMS_KEY_ID)
        return self._json_response({"KeyId": key_arn, "EncryptionAlgorithm": "SYMMETRIC_DEFAULT",
                                    "Plaintext": base64.b64encode(plaintext).decode()})

    # -- STS

    def _sts_assume_role(self, call, req):
        role_arn, session = _role_params(call.params)
        caller = self.credentials.get(call.access_key)
        spec = self.settings.roles.get(role_arn)
        wanted = (spec or {}).get("external_id")
        if (spec is None and not self.settings.accept_any_role) or \
                (wanted is not None and call.params.get("ExternalId") != wanted):
            raise AwsError("AccessDeniedException", "User: %s is not authorized to perform: "
                           "sts:AssumeRole on resource: %s" % (caller.arn, role_arn))
        cred = self._issue_sts(role_arn, session, call.params)
        return self._sts_ok("AssumeRole", _assumed_role_xml(cred, role_arn, session)
                            + _credentials_xml(cred) + _xml_fields(("PackedPolicySize", 6)))

    def _sts_web_identity(self, call, req):
        role_arn, session = _role_params(call.params)
        token = call.params.get("WebIdentityToken") or ""
        allowed = self.settings.web_identity_tokens
        if not token or (allowed is not None and token not in allowed):
            raise AwsError("InvalidIdentityToken", "The web identity token that was passed "
                           "could not be validated by AWS. Get a new identity token from the "
                           "identity provider and then retry the request.",
                           query=("InvalidIdentityToken", 400))
        cred = self._issue_sts(role_arn, session, call.params)
        extra = ("    <SubjectFromWebIdentityToken>system:serviceaccount:vpcflowd</"
                 "SubjectFromWebIdentityToken>\n    <Audience>sts.amazonaws.com</Audience>\n"
                 "    <Provider>arn:aws:iam::%s:oidc-provider/fake</Provider>\n"
                 % self.settings.account_id)
        return self._sts_ok("AssumeRoleWithWebIdentity", extra + _assumed_role_xml(
            cred, role_arn, session) + _credentials_xml(cred))

    def _sts_caller_identity(self, call, req):
        cred = self.credentials.get(call.access_key)
        return self._sts_ok("GetCallerIdentity", _xml_fields(
            ("Arn", cred.arn), ("UserId", cred.access_key_id),
            ("Account", self.settings.account_id)))

    def _issue_sts(self, role_arn, session, params):
        duration = params.get("DurationSeconds", "3600")
        if not duration.isdigit() or not 900 <= int(duration) <= 43200:
            raise AwsError("ValidationError", "1 validation error detected: Value '%s' at "
                           "'durationSeconds' failed to satisfy constraint: Member must have "
                           "value between 900 and 43200" % duration,
                           query=("ValidationError", 400))
        lifetime = self.settings.sts_duration or int(duration)
        arn = "arn:aws:sts::%s:assumed-role/%s/%s" % (
            self.settings.account_id, role_arn.rsplit("/", 1)[-1], session)
        return self.credentials.issue("sts", lifetime, self.server_time(), arn)

    @staticmethod
    def _sts_ok(action, inner):
        body = ('<%sResponse xmlns="%s">\n  <%sResult>\n%s  </%sResult>\n'
                '  <ResponseMetadata>\n    <RequestId>%s</RequestId>\n'
                '  </ResponseMetadata>\n</%sResponse>\n') % (
            action, STS_XMLNS, action, inner, action, uuid.uuid4(), action)
        return Response(200, body.encode("utf-8"), "text/xml")

    # -- IMDSv2 and container credentials (meta port)

    def _imds_token(self, call, req):
        if req.method != "PUT":
            return text_response(405, "Method Not Allowed\n")
        if req.header("X-Forwarded-For"):
            return text_response(403, "Forbidden\n")
        ttl = req.header("X-aws-ec2-metadata-token-ttl-seconds", "")
        if not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
            return text_response(400, "Bad Request\n")
        token = "AQAEA" + secrets.token_urlsafe(40)
        with self.lock:
            now = self.server_time()
            self._imds_tokens = {t: exp for t, exp in self._imds_tokens.items() if exp > now}
            self._imds_tokens[token] = now + int(ttl)
        resp = text_response(200, token)
        resp.headers["X-aws-ec2-metadata-token-ttl-seconds"] = ttl
        return resp

    def _imds_get(self, call, req):
        if req.method != "GET":
            return text_response(405, "Method Not Allowed\n")
        with self.lock:
            expiry = self._imds_tokens.get(req.header("X-aws-ec2-metadata-token", ""))
        if expiry is None or expiry <= self.server_time():
            return text_response(401, "Unauthorized\n")
        value = self._imds_value(call.params["path"])
        if value is None:
            return text_response(404, "Not Found\n")
        return text_response(200, value)

    def _imds_value(self, path):
        s = self.settings
        base = "/latest/meta-data/iam/security-credentials"
        if path in (base, base + "/"):
            return s.imds_role
        if s.imds_role and path == base + "/" + s.imds_role:
            cred = self._meta_credential("imds")
            return json.dumps({"Code": "Success", "LastUpdated": iso8601(self.server_time()),
                               "Type": "AWS-HMAC", "AccessKeyId": cred.access_key_id,
                               "SecretAccessKey": cred.secret_access_key,
                               "Token": cred.session_token,
                               "Expiration": iso8601(cred.expires)}, indent=2)
        zone = s.region + "a"
        identity = {"accountId": s.account_id, "region": s.region, "availabilityZone": zone,
                    "instanceId": INSTANCE_ID, "instanceType": "t3.micro",
                    "imageId": "ami-0fa4e0c0ffee00001", "architecture": "x86_64"}
        return {"/latest/meta-data/placement/region": s.region,
                "/latest/meta-data/placement/availability-zone": zone,
                "/latest/meta-data/instance-id": INSTANCE_ID,
                "/latest/dynamic/instance-identity/document": json.dumps(identity, indent=2),
                }.get(path)

    def _container_credentials(self, call, req):
        if req.method != "GET":
            return text_response(405, "Method Not Allowed\n")
        token = self.settings.container_token
        if token and req.header("Authorization") != token:
            return Response(401, json_body({"code": "InvalidToken",
                                            "message": "Authorization token is not valid"}),
                            "application/json")
        cred = self._meta_credential("container")
        return Response(200, json_body({
            "RoleArn": self._role_arn(), "AccessKeyId": cred.access_key_id,
            "SecretAccessKey": cred.secret_access_key, "Token": cred.session_token,
            "Expiration": iso8601(cred.expires)}), "application/json")

    def _role_arn(self):
        return "arn:aws:iam::%s:role/%s" % (self.settings.account_id,
                                            self.settings.imds_role or "vpcflowd-role")

    def _meta_credential(self, source):
        """The current IMDS/container credentials, rotated like the real ones:
        new ones once less than a quarter of the lifetime (max 5 min) is left."""
        lifetime = self.settings.meta_duration
        with self.lock:
            cred = self._meta_creds.get(source)
            now = self.server_time()
            if cred is None or now >= cred.expires - min(300, lifetime / 4):
                arn = "arn:aws:sts::%s:assumed-role/%s/%s" % (
                    self.settings.account_id, self.settings.imds_role or "vpcflowd-role",
                    INSTANCE_ID if source == "imds" else "ecs-task")
                cred = self.credentials.issue(source, lifetime, now, arn)
                self._meta_creds[source] = cred
            return cred


def _param(params, name, kind, default=None):
    """``params[name]`` checked against ``kind`` (SerializationException)."""
    value = params.get(name)
    if value is None:
        return default
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise serialization_error("Field '%s' must be a %s" % (name, kind.__name__))
    return value


def _role_params(params):
    role_arn, session = params.get("RoleArn"), params.get("RoleSessionName")
    for name, value, regex in (("roleArn", role_arn, _ROLE_ARN_RE),
                               ("roleSessionName", session, _SESSION_RE)):
        if value is None or not regex.fullmatch(value):
            raise AwsError("ValidationError", "1 validation error detected: Value %s at '%s' "
                           "failed to satisfy constraint: Member must %s" % (
                               "null" if value is None else "'%s'" % value, name,
                               "not be null" if value is None else
                               "satisfy regular expression pattern " + regex.pattern),
                           query=("ValidationError", 400))
    return role_arn, session


def _xml_fields(*pairs, indent=4):
    pad = " " * indent
    return "".join("%s<%s>%s</%s>\n" % (pad, k, xml_escape(str(v)), k) for k, v in pairs)


def _credentials_xml(cred):
    return "    <Credentials>\n%s    </Credentials>\n" % _xml_fields(
        ("AccessKeyId", cred.access_key_id), ("SecretAccessKey", cred.secret_access_key),
        ("SessionToken", cred.session_token), ("Expiration", iso8601(cred.expires)), indent=6)


def _assumed_role_xml(cred, role_arn, session):
    role_id = "AROA" + hashlib.sha1(role_arn.encode()).hexdigest()[:17].upper()
    return "    <AssumedRoleUser>\n%s    </AssumedRoleUser>\n" % _xml_fields(
        ("Arn", cred.arn), ("AssumedRoleId", "%s:%s" % (role_id, session)), indent=6)


# --------------------------------------------------------------------------
# command line

def _parse_args(argv):
    ap = argparse.ArgumentParser(description="Fake AWS (CloudWatch Logs, STS, KMS, IMDS, "
                                 "container credentials) for vpcflowd integration tests.")
    ap.add_argument("--port-file", help="write the main (TLS) port here when ready")
    ap.add_argument("--meta-port-file", help="write the IMDS/container port here when ready")
    ap.add_argument("--ca-out", help="copy the throwaway CA certificate (PEM) here")
    ap.add_argument("--tls-dir", help="keep the certificates in this directory")
    ap.add_argument("--plain", action="store_true", help="serve plain HTTP on the main port")
    ap.add_argument("--control", action="store_true", help="enable the /__control API")
    ap.add_argument("--seed-json", help="a control document applied at startup")
    ap.add_argument("--events", type=int, default=0, help="generate N flow records")
    ap.add_argument("--streams", type=int, default=1, help="... over M log streams")
    ap.add_argument("--group", default=DEFAULT_GROUP, help="default log group name")
    ap.add_argument("--region", default=DEFAULT_REGION)
    ap.add_argument("--credentials", action="append", default=[],
                    metavar="AK:SECRET[:TOKEN]", help="accept these credentials too")
    ap.add_argument("--log-file", help="append each request log entry here (JSON lines)")
    ap.add_argument("--max-lifetime", type=float, default=14400,
                    help="exit after this many seconds (0: never; default 14400)")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--kms-encrypt", metavar="TEXT",
                    help="print a fake KMS ciphertext of TEXT and exit")
    ap.add_argument("--kms-context", action="append", default=[], metavar="KEY=VALUE")
    return ap.parse_args(argv)


def _write_atomic(path, data):
    """Write ``data`` (str or bytes) so that readers never see a partial file."""
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "wb") as fh:
        fh.write(data.encode("utf-8") if isinstance(data, str) else data)
    os.replace(tmp, path)


def _watch_stdin(stop):
    """Stop at EOF on stdin, if stdin is a pipe or a socket."""
    try:
        mode = os.fstat(sys.stdin.fileno()).st_mode
    except (OSError, ValueError, AttributeError):
        return
    if not (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)):
        return

    def reader():
        while os.read(sys.stdin.fileno(), 65536):
            pass
        stop.set()
    threading.Thread(target=reader, name="stdin-watch", daemon=True).start()


def main(argv=None):
    args = _parse_args(argv)
    if args.kms_encrypt is not None:
        context = dict(kv.split("=", 1) for kv in args.kms_context) or None
        print(kms_encrypt(args.kms_encrypt, context))
        return 0
    aws = FakeAWS(tls=not args.plain, control=args.control, region=args.region,
                  group=args.group, tls_dir=args.tls_dir, verbose=args.verbose,
                  log_file=args.log_file)
    for spec in args.credentials:
        aws.credentials.add(*spec.split(":", 2))
    if args.seed_json:
        with open(args.seed_json, encoding="utf-8") as fh:
            aws.control(json.load(fh))
    if args.events:
        aws.generate_events(args.events, streams=args.streams)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    aws.start()
    try:
        if args.ca_out and aws.ca_file:
            with open(aws.ca_file, "rb") as src:
                _write_atomic(args.ca_out, src.read())
        if args.port_file:
            _write_atomic(args.port_file, "%d\n" % aws.port)
        if args.meta_port_file:
            _write_atomic(args.meta_port_file, "%d\n" % aws.meta_port)
        sys.stderr.write("fakeaws: %s (meta %s)%s\n" % (
            aws.url, aws.meta_url, "" if args.control else ", control API disabled"))
        _watch_stdin(stop)
        deadline = time.monotonic() + args.max_lifetime if args.max_lifetime > 0 else None
        while not stop.wait(0.5):
            if deadline is not None and time.monotonic() >= deadline:
                sys.stderr.write("fakeaws: --max-lifetime reached\n")
                break
    finally:
        aws.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
