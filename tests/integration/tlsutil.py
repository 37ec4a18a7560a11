"""Throwaway TLS material for the integration fakes (fake AWS, fake Logz.io).

Everything is made with the ``openssl`` command-line tool, so nothing but the
Python standard library and the openssl CLI is needed:

    from tlsutil import make_certs, server_context, client_context
    tls = make_certs()              # new temp dir, removed by tls.cleanup()
    tls.ca_cert                     # PEM of the throwaway CA (give it to the
                                    # daemon as ca_file / curl --cacert)
    tls.cert, tls.key               # server certificate + key, signed by the CA,
                                    # subjectAltName IP:127.0.0.1, DNS:localhost
    ctx = server_context(tls)       # ssl.SSLContext for a server socket
    cctx = client_context(tls.ca_cert)  # verifying client context

Keys are EC P-256 (fast to make). The certificates carry the extensions that
strict verifiers want (basicConstraints, keyUsage, SKI/AKI, serverAuth), and
are valid from now for ``days`` days.

As a script: ``python3 tlsutil.py DIR`` makes the files in DIR and prints
their paths as JSON.
"""

import ipaddress
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
from dataclasses import dataclass

DEFAULT_NAMES = ("127.0.0.1", "localhost")


@dataclass
class TLSFiles:
    """Paths of one set of throwaway certificates."""

    directory: str
    ca_cert: str
    ca_key: str
    cert: str
    key: str
    owns_directory: bool = False

    def cleanup(self):
        """Remove the directory if make_certs created it."""
        if self.owns_directory:
            shutil.rmtree(self.directory, ignore_errors=True)

    def as_dict(self):
        return {"directory": self.directory, "ca_cert": self.ca_cert,
                "ca_key": self.ca_key, "cert": self.cert, "key": self.key}


def _openssl(*args, cwd):
    proc = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=60, check=False)
    if proc.returncode != 0:
        raise RuntimeError("openssl %s failed: %s" % (args[0], proc.stderr.strip()))


def _subject_alt_names(names):
    entries = []
    for name in names:
        try:
            ipaddress.ip_address(name)
            entries.append("IP:" + name)
        except ValueError:
            entries.append("DNS:" + name)
    return ",".join(entries)


def _write(path, text):
    with open(path, "w", encoding="ascii") as fh:
        fh.write(text)


def _make_key(path, cwd):
    _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-out", path, cwd=cwd)


def _make_ca(d, days):
    _make_key("ca.key", d)
    _openssl("req", "-x509", "-new", "-key", "ca.key", "-sha256", "-days", str(days),
             "-subj", "/CN=vpcflowd throwaway test CA",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign",
             "-addext", "subjectKeyIdentifier=hash",
             "-out", "ca.pem", cwd=d)


def _make_server_cert(d, names, days):
    _make_key("server.key", d)
    _write(os.path.join(d, "server.ext"),
           "basicConstraints=critical,CA:FALSE\n"
           "keyUsage=critical,digitalSignature,keyEncipherment\n"
           "extendedKeyUsage=serverAuth\n"
           "subjectKeyIdentifier=hash\n"
           "authorityKeyIdentifier=keyid,issuer\n"
           "subjectAltName=%s\n" % _subject_alt_names(names))
    _openssl("req", "-new", "-key", "server.key", "-subj", "/CN=%s" % names[0],
             "-out", "server.csr", cwd=d)
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-set_serial", "0x%x" % int.from_bytes(os.urandom(8), "big"), "-sha256",
             "-days", str(days), "-extfile", "server.ext", "-out", "server.pem", cwd=d)


def make_certs(directory=None, names=DEFAULT_NAMES, days=7):
    """Make a CA and a server certificate for ``names`` in ``directory``.

    Without ``directory`` a new temporary directory is created (and removed
    by ``TLSFiles.cleanup()``). Returns a TLSFiles with absolute paths.
    """
    owns = directory is None
    d = tempfile.mkdtemp(prefix="vpcflowd-tls-") if owns else directory
    os.makedirs(d, exist_ok=True)
    d = os.path.abspath(d)
    _make_ca(d, days)
    _make_server_cert(d, tuple(names), days)
    for leftover in ("server.csr", "server.ext"):
        try:
            os.unlink(os.path.join(d, leftover))
        except FileNotFoundError:
            pass
    return TLSFiles(directory=d, ca_cert=os.path.join(d, "ca.pem"),
                    ca_key=os.path.join(d, "ca.key"), cert=os.path.join(d, "server.pem"),
                    key=os.path.join(d, "server.key"), owns_directory=owns)


def server_context(tls):
    """An ssl.SSLContext serving ``tls.cert`` (TLS 1.2 minimum)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(tls.cert, tls.key)
    return ctx


def client_context(ca_cert):
    """A verifying client context that trusts only ``ca_cert``."""
    ctx = ssl.create_default_context(cafile=ca_cert)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: tlsutil.py DIR\n")
        return 2
    print(json.dumps(make_certs(argv[1]).as_dict(), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
