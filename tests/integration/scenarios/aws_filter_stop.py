"""SIGTERM (and SIGINT) during --once ends the read cleanly and soon, also
in the middle of a retry backoff: exit 0, every document written is whole
and was read once, and the summary says the pass stopped early."""
import os
import signal
import subprocess
import time

from aws_filter_common import (VPCFLOWD, FakeAWS, check, clean_env, config_text, documents,
                               done, write_config)


def stopped_run(aws, sig, after):
    env = dict(os.environ)
    env.pop("JOURNAL_STREAM", None)
    env.update(clean_env())
    path = write_config(config_text(aws, max_rps=50))
    proc = subprocess.Popen([VPCFLOWD, "-c", path, "--once", "--output", "stdout"], env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    time.sleep(after)
    sent = time.monotonic()
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=30)
    return proc.returncode, out, err.decode("utf-8", "replace"), time.monotonic() - sent


with FakeAWS() as aws:
    aws.generate_events(2000, streams=2)
    aws.settings.update({"page_size": 20, "latency": 0.05})
    rc, out, err, took = stopped_run(aws, signal.SIGTERM, 1.0)
    docs = documents(out)
    ids = [d.get("event_id") for d in docs]
    check(rc == 0, "SIGTERM mid-read: exit 0 (%d)" % rc)
    check(took < 2.0, "SIGTERM mid-read: stopped in %.2f s" % took)
    check(0 < len(docs) < 2000 and len(set(ids)) == len(ids),
          "SIGTERM mid-read: %d whole documents, each once" % len(docs))
    check(out.endswith(b"\n"), "SIGTERM mid-read: stdout ends with a whole line")
    check("stopped early" in err, "SIGTERM mid-read: the summary says it stopped early")

    aws.settings.latency = 0
    aws.inject("server_error", 20, target="FilterLogEvents", status=503)
    rc, out, err, took = stopped_run(aws, signal.SIGINT, 1.5)
    check(rc == 0 and took < 2.0,
          "SIGINT during retry backoff: exit %d after %.2f s" % (rc, took))
    check("stopped early" in err, "SIGINT during backoff: the summary says so")
done()
