"""A 50,000-event log group over 8 streams, in pages of at most 1 MiB, read
completely and exactly once (by eventId); every record parses; memory stays
bounded by about one page, not by the size of the group (not checked for a
sanitizer build, whose allocator keeps freed memory)."""
import os
import subprocess
import threading
import time

from aws_filter_common import (VPCFLOWD, FakeAWS, check, check_exactly_once,
                               check_no_secrets, clean_env, config_text, documents, done,
                               filter_requests, group_events, tail, write_config)


def run_sampling_memory(args, env):
    """Run vpcflowd; return (status, stdout, stderr, peak RSS in MB) where
    the peak is VmHWM of /proc/PID/status as last seen while it ran."""
    full_env = dict(os.environ)
    full_env.pop("JOURNAL_STREAM", None)
    full_env.update(env)
    proc = subprocess.Popen([VPCFLOWD] + args, env=full_env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = [0]

    def sample():
        while proc.poll() is None:
            try:
                with open("/proc/%d/status" % proc.pid) as f:
                    for line in f:
                        if line.startswith("VmHWM:"):
                            peak[0] = max(peak[0], int(line.split()[1]))
            except OSError:
                break
            time.sleep(0.005)
    sampler = threading.Thread(target=sample)
    sampler.start()
    out, err = proc.communicate(timeout=120)
    sampler.join()
    return proc.returncode, out, err.decode("utf-8", "replace"), peak[0] / 1024.0


with FakeAWS() as aws:
    aws.generate_events(50000, streams=8)
    events = group_events(aws)
    start = time.monotonic()
    path = write_config(config_text(aws, max_rps=50))
    rc, out, err, rss_mb = run_sampling_memory(
        ["-c", path, "--once", "--output", "stdout"], clean_env())
    took = time.monotonic() - start
    check(rc == 0, "50k events: exit 0 (%d)%s" % (rc, tail(rc, err)))
    docs = documents(out)
    check_exactly_once(docs, events, "50,000 events")
    reqs = filter_requests(aws)
    check(len(reqs) >= 10 and all(r["status"] == 200 for r in reqs),
          "%d pages of at most 1 MiB, all answered 200" % len(reqs))
    check(all("parse_error" not in d and "@timestamp" in d for d in docs),
          "every record parsed into a document with @timestamp")
    check(len({d["log_stream"] for d in docs}) == 8, "documents from the 8 streams")
    check(" info: once: log group /vpc/flowlogs/test: 50000 events (0 did not parse)" in err,
          "the summary counts 50000 events, 0 unparsed")
    print("     %.1f s, %d bytes of documents, peak RSS %.1f MB" % (took, len(out), rss_mb))
    with open(VPCFLOWD, "rb") as f:
        binary = f.read()
    # gcc links libasan dynamically: only the __asan_* symbols are in the binary.
    sanitized = b"__asan_init" in binary or b"AddressSanitizer" in binary
    if sanitized:
        print("     (memory bound not checked: AddressSanitizer build)")
    else:
        check(0 < rss_mb < 48, "peak RSS %.1f MB for %.1f MB of documents"
              % (rss_mb, len(out) / 1e6))
    check_no_secrets(out, err)
done()
