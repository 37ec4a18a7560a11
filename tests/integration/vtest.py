"""Small helpers shared by the scenario scripts: run vpcflowd, check results.

A scenario calls check(...) for each assertion and finally done(), which
exits 1 when any check failed. Everything runs on loopback or in temporary
directories and stops by itself.
"""
import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile

VPCFLOWD = os.environ.get("VPCFLOWD", "build/vpcflowd")
SHARED = os.environ.get("VPCFLOWD_SHARED") or next(
    (p for p in ("../shared", "/work/shared") if os.path.isdir(p)), "")
FLOWLOGS = os.path.join(SHARED, "testdata", "flowlogs")

_failures = []

# Every temporary file or directory a scenario makes (tempfile.*) goes into
# one directory of its own, removed when the scenario exits.
tempfile.tempdir = tempfile.mkdtemp(prefix="vpcflowd-it-run-")
atexit.register(shutil.rmtree, tempfile.tempdir, True)


def check(cond, what):
    """Record one assertion; print it either way so logs show what ran."""
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        _failures.append(what)
    return cond


def done():
    if _failures:
        print("%d check(s) failed" % len(_failures))
        sys.exit(1)
    sys.exit(0)


def run(args, stdin=b"", env=None, timeout=60):
    """Run vpcflowd with args; return (exit status, stdout bytes, stderr text)."""
    full_env = dict(os.environ)
    full_env.pop("JOURNAL_STREAM", None)
    if env:
        full_env.update(env)
    proc = subprocess.run([VPCFLOWD] + list(args), input=stdin, env=full_env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    return proc.returncode, proc.stdout, proc.stderr.decode("utf-8", "replace")


def json_lines(data):
    """Parse NDJSON output; a line that is not JSON raises ValueError."""
    return [json.loads(line) for line in data.decode("utf-8").splitlines()]


def flowlog_files():
    """The AWS example files: (name, format line, [records])."""
    if not os.path.isdir(FLOWLOGS):
        check(False, "shared test data found at %s" % FLOWLOGS)
        done()
    out = []
    for name in sorted(os.listdir(FLOWLOGS)):
        if not name.endswith(".log"):
            continue
        with open(os.path.join(FLOWLOGS, name), encoding="utf-8") as f:
            lines = f.read().splitlines()
        out.append((name, lines[0], [l for l in lines[1:] if l.strip()]))
    return out


def write_config(text, mode=0o600, directory=None):
    """Write a configuration file into a temporary directory; return its path."""
    directory = directory or tempfile.mkdtemp(prefix="vpcflowd-it-")
    path = os.path.join(directory, "test.conf")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(path, mode)
    return path
