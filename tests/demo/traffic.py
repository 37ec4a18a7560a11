#!/usr/bin/env python3
"""traffic: a day of generated VPC Flow Log traffic, as CloudWatch Logs events.

  traffic.py [--records N] [--enis M] [--seed S] [--late L] [--raw]

The VPC of a small web shop, one log stream per network interface (ENI),
named as AWS names them ("eni-0123456789abcdef0-all"), records in the AWS
default format (version 2):

  web      internet clients (IPv4 and some IPv6) -> web ENIs on 443 and 80,
           with the responses, on a diurnal curve (quiet at 03:00 UTC, busy
           at 15:00 UTC); a few heavy clients (proxies, a CDN)
  app      web -> app servers on 8080, logged on both ENIs, both directions
  db       app -> PostgreSQL 5432 and Redis 6379; primary -> replica
           replication (the heavy hitter of the day)
  dns      every instance -> the VPC's DNS resolver instances, 53/udp (the
           Amazon-provided resolver at .2 is not logged by AWS; these are
           resolver instances of the VPC's own)
  ssh      three admin addresses -> the bastion on 22, bastion -> servers
  egress   app servers -> internet APIs on 443 (through the NAT gateway)
  icmp     monitoring pings (ICMP, ICMPv6)
  noise    internet background: 22, 23, 445, 3389 ... REJECTed by the
           security groups
  scan     one address sweeping ports 1..1024 and common service ports of a
           web server in a few minutes, every probe REJECTed
  idle     idle ENIs (spare, Lambda): NODATA records; a few SKIPDATA

External addresses are from the documentation ranges (RFC 5737 and RFC 3849),
never anyone's real address. Deterministic for a seed and a "now".

Each event: {logStreamName, timestamp (ms: the flow's start), ingestionTime
(ms: the flow's end plus a publishing delay of 1 to 10 minutes), eventId
(56 digits, unique), message}, as fakeaws.py's add_events takes them.

Python::

    from traffic import Network, day, late
    net = Network(enis=40, seed=7)
    events = day(net, now_s, records=60000)   # 24 h ending 64 s before now,
                                              # every event ingested before now
    extra = late(net, now_s, records=600, ages=(40, 50))
                                              # flows 40..50 s old, ingested
                                              # 1..10 min after they ended

As a script it prints a summary of the generated day (or, with --raw, the
flow records themselves, one per line: `traffic.py --raw | vpcflowd --decode
| traffic_picture.py` draws the day without any daemon). Python standard
library only.
"""
import argparse
import collections
import ipaddress
import math
import random
import sys

ACCOUNT = "123456789012"
VPC_V6 = "2001:db8:1f00:%x::%x"           # the VPC's IPv6 /56 (documentation prefix)
DOC_V4 = ("192.0.2.", "198.51.100.", "203.0.113.")
SCANNER = "203.0.113.66"
ADMINS = ("192.0.2.10", "192.0.2.11", "198.51.100.200")
DAY_S = 86400
BACKLOG_END_S = 64          # the day ends this long before "now" (see day())
SCAN_PORTS = sorted(set(range(1, 1025)) | {1433, 1521, 2049, 2375, 3000, 3306, 3389, 5000,
                                            5432, 5601, 5900, 6379, 8000, 8080, 8081, 8443,
                                            8888, 9000, 9090, 9200, 11211, 27017})

# Share of the records of each kind (the scan and idle ENIs are counted apart).
MIX = (("web", 0.42), ("app", 0.13), ("db", 0.14), ("dns", 0.12), ("egress", 0.05),
       ("ssh", 0.015), ("noise", 0.045), ("icmp", 0.02))


def v6addr(text):
    """The canonical (RFC 5952) spelling, as AWS writes addresses."""
    return str(ipaddress.IPv6Address(text))


class Eni:
    """One network interface: its id, role, private IPv4 and maybe IPv6."""

    def __init__(self, eni_id, role, v4, v6=None):
        self.id, self.role, self.v4, self.v6 = eni_id, role, v4, v6

    @property
    def stream(self):
        return self.id + "-all"


class Network:
    """The VPC: ENIs by role, and the internet clients that talk to it."""

    # (role, share of the ENIs, subnet third octet, has IPv6)
    LAYOUT = (("web", 0.20, 1, True), ("app", 0.375, 11, False), ("db", 0.10, 21, False),
              ("dns", 0.05, 2, False), ("bastion", 0.025, 0, True), ("nat", 0.025, 0, False),
              ("monitor", 0.025, 3, True), ("idle", 0.15, 31, False))

    def __init__(self, enis=40, seed=7, account=ACCOUNT):
        rng = random.Random("network-%d" % seed)
        self.account = account
        self.enis = []
        self.by_role = collections.defaultdict(list)
        left = max(enis, len(self.LAYOUT) + 4)
        for i, (role, share, octet, v6) in enumerate(self.LAYOUT):
            n = max(2 if role in ("web", "app", "db", "dns") else 1, int(round(enis * share)))
            if i == len(self.LAYOUT) - 1:
                n = max(1, left)
            left -= n
            for k in range(n):
                host = {"bastion": 22, "nat": 100, "dns": 53}.get(role, 10) + k
                subnet = octet
                if role == "db" and k >= 2:     # Redis nodes: a subnet of their own
                    subnet, host = octet + 1, 8 + k
                eni = Eni("eni-0%016x" % rng.getrandbits(64), role, "10.0.%d.%d" % (subnet, host),
                          v6addr(VPC_V6 % (octet, rng.randrange(0x1000, 0xffff))) if v6 else None)
                self.enis.append(eni)
                self.by_role[role].append(eni)
        self.ordinal = {e.id: i for i, e in enumerate(self.enis)}
        db = self.by_role["db"]
        self.db_primary, self.db_replica = db[0], db[1]
        self.redis = db[2:] or db[:1]
        # Internet clients: Zipf-weighted, so a few proxies and a CDN dominate.
        pool = ["%s%d" % (prefix, h) for prefix in DOC_V4 for h in range(1, 255)
                if "%s%d" % (prefix, h) not in (SCANNER,) + ADMINS]
        rng.shuffle(pool)
        self.clients4 = pool[:500]
        self.weights4 = [1.0 / (i + 1) ** 0.9 for i in range(len(self.clients4))]
        self.clients6 = [v6addr("2001:db8:%x:%x::%x" % (rng.randrange(0x2000, 0xffff),
                                                         rng.randrange(0xffff),
                                                         rng.randrange(1, 0xffff)))
                         for _ in range(80)]
        self.weights6 = [1.0 / (i + 1) ** 0.9 for i in range(len(self.clients6))]
        self.apis = pool[500:540]           # internet APIs the app servers call
        self.noise = pool[540:]             # background scanners


def diurnal(t):
    """Relative web load at epoch second t: 0.15 at 03:00 UTC, 1.0 at 15:00 UTC."""
    hour = (t % DAY_S) / 3600.0
    return 0.15 + 0.85 * (0.5 - 0.5 * math.cos(2 * math.pi * (hour - 3) / 24))


def office(t):
    """Admin activity: office hours 07:00-19:00 UTC, a little at night."""
    hour = (t % DAY_S) / 3600.0
    return 1.0 if 7 <= hour < 19 else 0.08


class Gen:
    """Builds events for one time window; knows which ENI logs what."""

    def __init__(self, net, rng, lo_s, hi_s, now_s, delay=(60, 599), backlog=True):
        self.net, self.rng = net, rng
        self.lo, self.hi, self.now = lo_s, hi_s, now_s
        self.delay, self.backlog = delay, backlog
        self.events = []
        self.kinds = collections.Counter()
        self.seq = 0

    # -- time

    def when(self, load=None):
        """A flow start in [lo, hi), following the load curve (rejection sampling)."""
        rng = self.rng
        while True:
            t = rng.uniform(self.lo, self.hi)
            if load is None or rng.random() < load(t):
                return int(t)

    # -- records

    def emit(self, kind, eni, fields, start, action="ACCEPT", status="OK"):
        """One record on eni's stream. fields: (src, dst, sport, dport, proto,
        packets, bytes) or None (NODATA / SKIPDATA)."""
        rng = self.rng
        end = start + rng.randint(5, 60)
        if fields is None:
            body = "- - - - - - - %d %d - %s" % (start, end, status)
        else:
            src, dst, sport, dport, proto, packets, nbytes = fields
            body = "%s %s %d %d %d %d %d %d %d %s %s" % (src, dst, sport, dport, proto, packets,
                                                        nbytes, start, end, action, status)
        message = "2 %s %s %s" % (self.net.account, eni.id, body)
        ingest = end + rng.randint(self.delay[0], self.delay[1])
        if self.backlog and ingest > self.now - 1:
            # Already in CloudWatch when the demo starts: published faster.
            ingest = max(end, self.now - 1)
        self.seq += 1
        ts_ms = start * 1000
        self.events.append({
            "logStreamName": eni.stream, "timestamp": ts_ms,
            "ingestionTime": ingest * 1000 + rng.randrange(1000),
            "eventId": "3%015d%08d%032d" % (ts_ms, self.net.ordinal[eni.id], self.seq),
            "message": message})
        self.kinds[kind] += 1

    def pair(self, kind, a, b, src, dst, sport, dport, proto, req, resp, start,
             a_logged=True, b_logged=True):
        """A connection src:sport -> dst:dport with its answer, logged on the ENIs
        at both ends that belong to the VPC (a, b: Eni or None)."""
        for eni, logged in ((a, a_logged), (b, b_logged)):
            if eni is None or not logged:
                continue
            self.emit(kind, eni, (src, dst, sport, dport, proto) + req, start)
            self.emit(kind, eni, (dst, src, dport, sport, proto) + resp, start)

    # -- traffic kinds; each adds about `budget` records

    def client(self, v6):
        net = self.net
        if v6:
            return self.rng.choices(net.clients6, net.weights6)[0]
        return self.rng.choices(net.clients4, net.weights4)[0]

    def web(self, budget):
        rng, net = self.rng, self.net
        while self.kinds["web"] < budget:
            eni = rng.choice(net.by_role["web"])
            v6 = rng.random() < 0.12
            src = self.client(v6)
            dst = eni.v6 if v6 else eni.v4
            start = self.when(diurnal)
            if rng.random() < 0.85:
                req = rng.randint(8, 60)
                resp = rng.randint(10, 400)
                self.pair("web", eni, None, src, dst, rng.randint(32768, 60999), 443, 6,
                          (req, req * rng.randint(60, 700)), (resp, resp * rng.randint(600, 1440)),
                          start)
            else:       # plain http: a redirect to https
                self.pair("web", eni, None, src, dst, rng.randint(32768, 60999), 80, 6,
                          (rng.randint(3, 6), rng.randint(300, 600)),
                          (rng.randint(3, 5), rng.randint(400, 900)), start)

    def app(self, budget):
        rng, net = self.rng, self.net
        while self.kinds["app"] < budget:
            a, b = rng.choice(net.by_role["web"]), rng.choice(net.by_role["app"])
            req, resp = rng.randint(5, 40), rng.randint(8, 300)
            self.pair("app", a, b, a.v4, b.v4, rng.randint(32768, 60999), 8080, 6,
                      (req, req * rng.randint(80, 900)), (resp, resp * rng.randint(500, 1440)),
                      self.when(diurnal))

    def db(self, budget):
        rng, net = self.rng, self.net
        while self.kinds["db"] < budget:
            start = self.when(lambda t: 0.4 + 0.6 * diurnal(t))
            x = rng.random()
            if x < 0.06:      # streaming replication: few records, many bytes
                p, r = net.db_primary, net.db_replica
                n = int(rng.randint(300, 3000) * diurnal(start))
                self.pair("db", p, r, p.v4, r.v4, 5432, rng.randint(40000, 60999), 6,
                          (n, n * rng.randint(1200, 1440)), (n // 8 + 1, (n // 8 + 1) * 66),
                          start)
            elif x < 0.6:
                a, d = rng.choice(net.by_role["app"]), net.db_primary
                req, resp = rng.randint(4, 60), rng.randint(6, 900)
                self.pair("db", a, d, a.v4, d.v4, rng.randint(32768, 60999), 5432, 6,
                          (req, req * rng.randint(80, 600)), (resp, resp * rng.randint(300, 1440)),
                          start)
            else:
                a, d = rng.choice(net.by_role["app"]), rng.choice(net.redis)
                n = rng.randint(10, 400)
                self.pair("db", a, d, a.v4, d.v4, rng.randint(32768, 60999), 6379, 6,
                          (n, n * rng.randint(60, 200)), (n, n * rng.randint(60, 900)), start)

    def dns(self, budget):
        rng, net = self.rng, self.net
        talkers = [e for e in net.enis if e.role in ("web", "app", "bastion", "monitor")]
        while self.kinds["dns"] < budget:
            a, r = rng.choice(talkers), rng.choice(net.by_role["dns"])
            n = rng.randint(1, 6)
            self.pair("dns", a, r, a.v4, r.v4, rng.randint(32768, 60999), 53, 17,
                      (n, n * rng.randint(60, 90)), (n, n * rng.randint(90, 300)),
                      self.when(lambda t: 0.3 + 0.7 * diurnal(t)))

    def egress(self, budget):
        rng, net = self.rng, self.net
        while self.kinds["egress"] < budget:
            a, nat = rng.choice(net.by_role["app"]), rng.choice(net.by_role["nat"])
            api = rng.choice(net.apis)
            req, resp = rng.randint(6, 40), rng.randint(6, 120)
            start = self.when(diurnal)
            sport = rng.randint(32768, 60999)
            self.pair("egress", a, None, a.v4, api, sport, 443, 6,
                      (req, req * rng.randint(100, 800)), (resp, resp * rng.randint(400, 1440)),
                      start)
            self.pair("egress", nat, None, nat.v4, api, rng.randint(1024, 65535), 443, 6,
                      (req, req * rng.randint(100, 800)), (resp, resp * rng.randint(400, 1440)),
                      start)

    def ssh(self, budget):
        rng, net = self.rng, self.net
        bastion = net.by_role["bastion"][0]
        servers = net.by_role["app"] + net.by_role["db"] + net.by_role["web"]
        while self.kinds["ssh"] < budget:
            admin = rng.choice(ADMINS)
            start = self.when(office)
            n = rng.randint(20, 3000)
            self.pair("ssh", bastion, None, admin, bastion.v4, rng.randint(32768, 60999), 22, 6,
                      (n, n * rng.randint(52, 120)), (n, n * rng.randint(80, 400)), start)
            s = rng.choice(servers)
            self.pair("ssh", bastion, s, bastion.v4, s.v4, rng.randint(32768, 60999), 22, 6,
                      (n, n * rng.randint(52, 120)), (n, n * rng.randint(80, 400)), start)

    def icmp(self, budget):
        rng, net = self.rng, self.net
        mon = net.by_role["monitor"][0]
        targets = net.by_role["web"] + net.by_role["app"]
        targets6 = [t for t in targets if t.v6] if mon.v6 else []
        i = 0
        while self.kinds["icmp"] < budget:
            start = self.when()
            if targets6 and i % 4 == 0:     # a quarter of the pings over IPv6
                t = rng.choice(targets6)
                self.pair("icmp", mon, t, mon.v6, t.v6, 0, 0, 58, (4, 416), (4, 416), start)
            else:
                t = rng.choice(targets)
                self.pair("icmp", mon, t, mon.v4, t.v4, 0, 0, 1, (4, 336), (4, 336), start)
            i += 1

    def noise(self, budget):
        rng, net = self.rng, self.net
        exposed = net.by_role["web"] + net.by_role["bastion"]
        while self.kinds["noise"] < budget:
            eni = rng.choice(exposed)
            port = rng.choice((22, 22, 23, 445, 3389, 3389, 5900, 8080, 1433, 6379))
            if eni.role == "bastion" and port == 22:
                port = 2222
            n = rng.randint(1, 3)
            self.emit("noise", eni, (rng.choice(net.noise), eni.v4, rng.randint(1024, 65535),
                                     port, 6, n, n * rng.choice((40, 44, 60))),
                      self.when(), action="REJECT")

    def scan(self, ports):
        """One address sweeps a web server's ports in a few minutes: all REJECTed."""
        rng, net = self.rng, self.net
        target = net.by_role["web"][0]
        t0 = self.when()
        t0 = min(max(t0, self.lo), self.hi - 600)
        sport = rng.randint(40000, 60000)
        for i, port in enumerate(ports):
            self.emit("scan", target, (SCANNER, target.v4, sport, port, 6, 1, 44),
                      t0 + i * 300 // max(1, len(ports)), action="REJECT")

    def idle(self):
        """NODATA every 10 minutes or so on idle ENIs; a few SKIPDATA on busy ones."""
        rng, net = self.rng, self.net
        step = 600
        for eni in net.by_role["idle"]:
            t = self.lo + rng.randrange(step)
            while t < self.hi:
                self.emit("idle", eni, None, int(t), status="NODATA")
                t += step + rng.randrange(-60, 60)
        for _ in range(max(1, (self.hi - self.lo) // 14400)):
            self.emit("idle", rng.choice(net.by_role["app"]), None, self.when(),
                      status="SKIPDATA")


def day(net, now_s, records=60000, seed=7, span_s=DAY_S):
    """span_s of traffic ending BACKLOG_END_S before now_s, about `records`
    events, every one already ingested at now_s. Returns (events, kinds)."""
    rng = random.Random("day-%d" % seed)
    now_s = int(now_s)
    g = Gen(net, rng, now_s - span_s, now_s - BACKLOG_END_S, now_s)
    g.idle()
    scan_n = min(len(SCAN_PORTS), max(50, records // 40))
    ports = SCAN_PORTS if scan_n == len(SCAN_PORTS) else sorted(rng.sample(SCAN_PORTS, scan_n))
    g.scan(ports)
    rest = max(0, records - len(g.events))
    for kind, share in MIX:
        getattr(g, kind)(int(rest * share))
    g.web(g.kinds["web"] + (records - len(g.events)))
    return g.events, g.kinds


def late(net, now_s, records=600, ages=(40, 50), seed=7, delay=(60, 599)):
    """Late arrivals: flows that started ages[0]..ages[1] seconds before now_s,
    ingested 1..10 minutes after they ended (in the future of now_s: visible
    once the CloudWatch data clock gets there). Returns (events, kinds)."""
    rng = random.Random("late-%d" % seed)
    now_s = int(now_s)
    g = Gen(net, rng, now_s - ages[1], now_s - ages[0], now_s, delay=delay, backlog=False)
    g.seq = 10 ** 9          # eventIds apart from the day's
    for kind, share in (("web", 0.6), ("app", 0.15), ("db", 0.1), ("dns", 0.15)):
        getattr(g, kind)(int(records * share))
    g.web(g.kinds["web"] + (records - len(g.events)))
    return g.events, g.kinds


def describe(net, events, kinds):
    """A few lines on what was generated."""
    streams = len(set(e["logStreamName"] for e in events))
    roles = collections.Counter(e.role for e in net.enis)
    v6 = sum(1 for e in events if ":" in e["message"].split(" ")[3])
    lines = ["%s records on %d log streams (ENIs: %s)" % (
        "{:,}".format(len(events)), streams,
        ", ".join("%d %s" % (n, r) for r, n in sorted(roles.items(), key=lambda kv: -kv[1])))]
    lines.append("  " + ", ".join("%s %s" % (k, "{:,}".format(n))
                                  for k, n in kinds.most_common()) + "; IPv6 %s" % "{:,}".format(v6))
    return lines


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--records", type=int, default=60000)
    ap.add_argument("--enis", type=int, default=40)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--now", type=float, default=None, help="epoch seconds (default: now)")
    ap.add_argument("--late", type=int, default=0, help="late records too")
    ap.add_argument("--raw", action="store_true", help="print the flow records only")
    args = ap.parse_args(argv)
    import time
    now = int(args.now if args.now is not None else time.time())
    net = Network(args.enis, args.seed)
    events, kinds = day(net, now, args.records, args.seed)
    if args.late:
        extra, k2 = late(net, now, args.late, seed=args.seed)
        events += extra
        kinds.update(k2)
    if args.raw:
        events.sort(key=lambda e: (e["timestamp"], e["logStreamName"]))
        sys.stdout.write("".join(e["message"] + "\n" for e in events))
        return 0
    for line in describe(net, events, kinds):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
