"""systemd notification protocol of the running daemon, on a fake
$NOTIFY_SOCKET: READY=1 once it polls, RELOADING=1 then READY=1 around a
SIGHUP (a SIGHUP that comes during an AWS backoff waits for its end),
STATUS= lines, STOPPING=1 on SIGTERM, and WATCHDOG=1 at half of
$WATCHDOG_USEC all along, also while CloudWatch Logs throttles and the AWS
client backs off for seconds, and while the listener is down."""
import os
import socket
import tempfile
import threading
import time

from pipeline_common import Pipeline, check, done, make_events

WATCHDOG_S = 1.0

sock_dir = tempfile.mkdtemp(prefix="vpcflowd-it-notify-")
path = os.path.join(sock_dir, "notify")
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(path)
sock.settimeout(0.2)
messages = []                      # (monotonic time, assignment)
stop = threading.Event()


def receive():
    while not stop.is_set():
        try:
            data = sock.recv(4096)
        except socket.timeout:
            continue
        now = time.monotonic()
        messages.extend((now, line) for line in data.decode().split("\n") if line)


reader = threading.Thread(target=receive, daemon=True)
reader.start()

with Pipeline(poll=1, max_delay=2) as p:
    env = {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": str(int(WATCHDOG_S * 1e6))}
    now = int(time.time() * 1000)
    events = p.feed(make_events(200, 2, now + 300, 1, (0, 0.5)))
    p.start(env=env)
    ok = p.wait_shipped([e["eventId"] for e in events], 15)
    check(ok and any(m == "READY=1" for _, m in messages), "READY=1, then records shipped")
    statuses = [m for _, m in messages if m.startswith("STATUS=")]
    check(any(m.startswith("STATUS=started: waiting for the first CloudWatch") for m in statuses) and
          any(m.startswith("STATUS=polling ") for m in statuses),
          "STATUS says it waits for CloudWatch, then that CloudWatch answers: %r" % statuses[:3])
    p.sighup()
    time.sleep(1)
    started = time.monotonic()
    p.aws.inject("throttle", 3, target="FilterLogEvents")
    time.sleep(4)
    p.lz.set_outage(True)
    p.feed(make_events(50, 2, int(time.time() * 1000) + 200, 1, (0, 0.2), seed=2))
    time.sleep(3)
    p.lz.set_outage(False)
    time.sleep(1.5)
    ended = time.monotonic()
    rc, _ = p.stop()
    check(rc == 0, "SIGTERM: exit %s" % rc)
    time.sleep(0.3)
    stop.set()
    reader.join(2)
    pings = [t for t, m in messages if m == "WATCHDOG=1" and started <= t <= ended]
    gaps = [b - a for a, b in zip(pings, pings[1:])]
    worst = max(gaps) if gaps else None
    check(pings and worst < WATCHDOG_S and pings[0] - started < WATCHDOG_S
          and ended - pings[-1] < WATCHDOG_S,
          "WATCHDOG=1 kept coming through AWS throttling backoff and a listener outage "
          "(%d pings, longest gap %s s)" % (len(pings), "%.2f" % worst if worst else "-"))
    check(p.aws.count("FilterLogEvents", 400) >= 3, "the AWS client did back off (throttled)")
    names = [m.split("=")[0] for _, m in messages]
    check("RELOADING" in names and names.index("RELOADING") < len(names) - 1 and
          "READY" in names[names.index("RELOADING"):], "SIGHUP: RELOADING=1, then READY=1")
    check(any(m.startswith("STATUS=") and "shipped" in m for _, m in messages),
          "STATUS= says what was shipped")
    check(names and names[-1] == "STOPPING" or "STOPPING" in names[-3:],
          "SIGTERM: STOPPING=1 (%s)" % names[-3:])
sock.close()
os.unlink(path)
os.rmdir(sock_dir)
done()
