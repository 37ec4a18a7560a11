"""A state_dir that cannot be written: the daemon stops shipping and polling
(the records wait in CloudWatch Logs), says so with the file and the error,
retries every poll_interval, and resumes by itself when writes work again;
no record is lost or shipped twice. SIGTERM while writes fail: exit 1, and
the log says what will be shipped again.

How the writes are made to fail, in order of preference:
  * root that may mount (CAP_SYS_ADMIN): state_dir is a 2 MB tmpfs that is
    filled up with a file: a real ENOSPC, as on a full disk. (Remounting it
    read-only would fail with EBUSY: the daemon holds its lock file open.)
  * another user: nothing (chmod cannot stop appends through the journal
    descriptor the daemon holds open): the scenario says it is skipped.
  * root without mount (chmod does not stop root): state_dir/streams is
    moved aside and a plain file put in its place, and the journal made
    immutable (chattr +i: appends through the open descriptor fail too):
    ENOTDIR, EPERM.
Each stands for the same thing to the daemon: checkpoint_sync fails (it
appends to the journal, and compacts into streams/ after a failure).
PIPELINE_NO_MOUNT=1 in the environment skips the tmpfs."""
import errno
import os
import subprocess
import time

from pipeline_common import Pipeline, check, check_exactly_once, done, make_events, tail


class Blocker:
    """Makes state_dir unwritable and writable again (see the docstring)."""

    def __init__(self, state):
        self.state, self.filler, self.mounted = state, os.path.join(state, "filler"), False
        self.streams = os.path.join(state, "streams")
        self.journal = os.path.join(state, "journal")
        os.makedirs(state)
        if os.geteuid() == 0 and not os.environ.get("PIPELINE_NO_MOUNT") and subprocess.run(
                ["mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "vpcflowd-test", state],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0:
            self.mounted, self.how = True, "full tmpfs (ENOSPC)"
        elif os.geteuid() != 0:
            self.how = None
        else:
            self.how = "streams/ replaced by a file, journal immutable (ENOTDIR, EPERM)"

    def block(self):
        if self.mounted:
            with open(self.filler, "wb") as f:
                try:
                    while True:
                        f.write(b"\0" * 65536)
                        f.flush()
                except OSError as e:
                    assert e.errno == errno.ENOSPC, e
        else:
            os.rename(self.streams, self.streams + ".aside")
            with open(self.streams, "w") as f:
                f.write("not a directory\n")
            subprocess.run(["chattr", "+i", self.journal], check=True)

    def unblock(self):
        if self.mounted:
            os.unlink(self.filler)
        else:
            os.unlink(self.streams)
            os.rename(self.streams + ".aside", self.streams)
            subprocess.run(["chattr", "-i", self.journal], check=True)

    def close(self):
        if self.mounted:
            subprocess.run(["umount", "-l", self.state], stderr=subprocess.DEVNULL)
        elif os.path.exists(self.journal):
            # An immutable file left by a failed check would outlive the run.
            subprocess.run(["chattr", "-i", self.journal], stderr=subprocess.DEVNULL)


def feed_now(p, n, seed):
    now = int(time.time() * 1000)
    return p.feed(make_events(n, 6, now + 300, 2, (0, 0.5), seed=seed))


with Pipeline(poll=1, max_delay=2, batch_bytes=20000) as p:
    blocker = Blocker(p.state)
    if blocker.how is None:
        print("     skipped: a state_dir cannot be made unwritable for a running daemon "
              "without root (tmpfs or chattr)")
        done()
    print("     (unwritable state_dir by: %s)" % blocker.how)
    try:
        events = feed_now(p, 300, 1)
        p.start()
        ok = p.wait_shipped([e["eventId"] for e in events], 20)
        check(ok, "before: records are shipped")

        blocker.block()
        more = feed_now(p, 600, 2)
        end = time.monotonic() + 15
        while time.monotonic() < end and "cannot write checkpoints" not in p.stderr():
            time.sleep(0.2)
        log = p.stderr()
        check("cannot write checkpoints" in log and p.state in log and "paused" in log,
              "the failure is logged with the file and the error: %s" % tail(
                  [l for l in log.splitlines() if "checkpoints" in l][-1:] and
                  [l for l in log.splitlines() if "checkpoints" in l][-1] or log, 300))
        time.sleep(1)
        docs, polls = sum(p.lz.counts().values()), p.aws.count("FilterLogEvents")
        time.sleep(3)
        check(sum(p.lz.counts().values()) == docs and p.aws.count("FilterLogEvents") == polls,
              "shipping and polling stop while checkpoints cannot be written")
        check(p.proc.poll() is None, "the daemon keeps running")

        blocker.unblock()
        ok = p.wait_shipped([e["eventId"] for e in more], 20)
        check(ok, "writable again: shipping resumes by itself%s"
              % ("" if ok else ": " + tail(p.stderr())))
        check("written again" in p.stderr(), "the recovery is logged")
        events += more

        blocker.block()
        last = feed_now(p, 300, 3)
        end = time.monotonic() + 15
        while time.monotonic() < end and p.stderr().count("cannot write checkpoints") < 2:
            time.sleep(0.2)
        rc, _ = p.stop()
        check(rc == 1 and "stopping without checkpoints" in p.logs[-1],
              "SIGTERM while checkpoints cannot be written: exit 1 (%s) and the log says "
              "what is shipped again" % rc)
        acked_unsaved = set(p.lz.counts()) - set(e["eventId"] for e in events)
        blocker.unblock()
        p.start()
        ok = p.wait_shipped([e["eventId"] for e in last], 20)
        rc, _ = p.stop()
        check(ok and rc == 0, "the next start ships the rest (exit %s)" % rc)
        check_exactly_once(p.lz.counts(), events + last, "unwritable state_dir",
                           allowed_repeats=acked_unsaved)
    finally:
        p.kill()
        blocker.close()
        p.close()
done()
