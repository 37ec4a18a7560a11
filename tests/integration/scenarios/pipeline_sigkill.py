"""SIGKILL at random moments, 10 times, while records arrive for 20 s: in
the end every record was shipped, and a record shipped twice was in the
batch in flight at a kill (the last one the listener acknowledged before
it), never elsewhere. Checkpoint files are replaced atomically, so a kill
in the middle of a write leaves only a temporary file, removed at the next
start."""
import collections
import random
import signal
import time

from pipeline_common import Pipeline, check, check_exactly_once, done, make_events, tail

CYCLES = 10
rng = random.Random(int(time.time()))

with Pipeline(poll=1, max_delay=3, batch_bytes=30000, flush_interval=1) as p:
    now = int(time.time() * 1000)
    events = p.feed(make_events(5000, 20, now + 500, 20, (0, 3)))
    windows = []                  # listener request seqs of each incarnation
    for cycle in range(CYCLES):
        first = p.lz.state()["next_seq"]
        p.start()
        time.sleep(rng.uniform(0.3, 2.0))
        rc, _ = p.stop(signal.SIGKILL)
        windows.append((first, p.lz.state()["next_seq"]))
        check(rc == -signal.SIGKILL, "cycle %d: killed (%s)" % (cycle, rc))
    p.start()
    ok = p.wait_shipped([e["eventId"] for e in events], 60)
    check(ok, "after %d kills, a last run ships everything%s"
          % (CYCLES, "" if ok else ": " + tail(p.stderr())))
    rc, _ = p.stop()
    check(rc == 0, "the last run stops cleanly (exit %s)" % rc)
    check(all("corrupt" not in log and "checksum" not in log for log in p.logs),
          "no checkpoint was ever damaged by a kill")

    rows = p.stored()
    in_flight = set()
    for first, end in windows:
        acked = [seq for seq, status, _ in rows if first <= seq < end and status == 200]
        if acked:
            last = max(acked)
            in_flight.update(i for seq, _, i in rows if seq == last)
    got = collections.Counter(i for _, _, i in rows)
    repeated = [i for i, n in got.items() if n > 1]
    check_exactly_once(got, events, "%d SIGKILLs" % CYCLES, allowed_repeats=in_flight)
    print("     (%d records repeated, %d were in batches in flight at a kill)"
          % (len(repeated), len(in_flight)))
done()
