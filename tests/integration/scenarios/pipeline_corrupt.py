"""Corrupt checkpoints: a stream file with a flipped byte, a truncated one, a
journal or a group.state of the wrong kind, each stops the daemon at start with exit 1
and a message naming the file and the way out (--status names it too);
nothing is read or shipped meanwhile. Moving the file away lets the daemon
start again. A second daemon on the same state_dir is refused."""
import os
import shutil
import subprocess
import time

from pipeline_common import VPCFLOWD, Pipeline, check, clean_env, done, make_events, tail

with Pipeline(poll=1, max_delay=2) as p:
    now = int(time.time() * 1000)
    events = p.feed(make_events(300, 3, now + 200, 1, (0, 0.5)))
    p.start()
    ok = p.wait_shipped([e["eventId"] for e in events], 20)
    rc, _ = p.stop()
    check(ok and rc == 0, "a first run writes checkpoints")
    streams = os.path.join(p.state, "streams")
    names = sorted(f for f in os.listdir(streams) if f.endswith(".ckpt"))
    backup = os.path.join(p.dir, "backup")
    shutil.copytree(p.state, backup)

    def damage(path, how):
        with open(path, "rb") as f:
            data = f.read()
        if how == "flip":
            i = len(data) // 2
            data = data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1:]
        elif how == "truncate":
            data = data[:len(data) // 3]
        elif how == "swap":
            with open(os.path.join(streams, names[0]), "rb") as f:
                data = f.read()
        with open(path, "wb") as f:
            f.write(data)

    cases = [(os.path.join(streams, names[1]), "flip"),
             (os.path.join(streams, names[2]), "truncate"),
             (os.path.join(p.state, "journal"), "swap"),
             (os.path.join(p.state, "group.state"), "swap")]
    for path, how in cases:
        shutil.rmtree(p.state)
        shutil.copytree(backup, p.state)
        damage(path, how)
        requests = p.aws.count()
        t = time.monotonic()
        rc, err = p.run(timeout=20)
        name = os.path.relpath(path, p.state)
        check(rc == 1 and time.monotonic() - t < 5,
              "%s (%s): exit 1 at once (%s)" % (name, how, rc))
        check(path in err and "move it away" in err,
              "%s (%s): the message names the file and the way out: %s"
              % (name, how, tail(err.strip(), 300)))
        check(p.aws.count() == requests, "%s (%s): nothing is read from AWS" % (name, how))
        rc, err = p.run(["--status"])
        check(rc == 1 and path in err, "--status: exit 1 naming %s" % name)
    os.rename(path, path + ".bad")
    rc, _ = p.run(["--once"], timeout=30)
    check(rc == 0, "with the damaged file moved away, the daemon starts again (exit %s)" % rc)

    p.start()
    time.sleep(1)
    second = subprocess.run([VPCFLOWD, "-c", p.conf], env=clean_env(), timeout=20,
                            stdin=subprocess.DEVNULL, capture_output=True)
    rc, err = second.returncode, second.stderr.decode("utf-8", "replace")
    check(rc == 1 and "in use by another vpcflowd" in err,
          "a second daemon on the same state_dir is refused: %s" % tail(err.strip(), 200))
    rc, _ = p.stop()
    check(rc == 0, "the first one still stops cleanly (exit %s)" % rc)
    check(set(p.lz.counts()) == set(e["eventId"] for e in events), "nothing was lost")
done()
