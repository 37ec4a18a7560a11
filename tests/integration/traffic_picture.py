#!/usr/bin/env python3
"""traffic_picture: the classic VPC flow dashboard, drawn in the terminal.

  traffic_picture.py [FILE|-] [--width N] [--rows N] [--top N]
                     [--color auto|always|never] [--ascii]

Reads vpcflowd documents (style "logzio"), one JSON object per line, from
FILE or standard input (what `vpcflowd --decode` writes, or the JSONL that
fakelogzio.py --store writes: {"seq": .., "doc": {...}} records), and draws
six panels with text bars:

  1. ACCEPT vs REJECT (flows and bytes)
  2. Bytes and packets over time (by @timestamp, --rows buckets)
  3. Top 10 source addresses (by bytes)
  4. Top 10 destination addresses (by bytes)
  5. Top destination ports and top source ports (by flows), side by side
  6. Protocols (protocol_name, by flows)

The picture fits --width columns (default: the terminal, at most 100).
Colour only when stdout is a terminal (or --color always) and NO_COLOR is
unset. Lines that are not JSON objects are skipped and counted.
Python standard library only.
"""
import argparse
import collections
import datetime
import json
import os
import shutil
import sys

PANELS = ("ACCEPT vs REJECT",
          "Bytes and packets over time",
          "Top 10 source addresses (by bytes)",
          "Top 10 destination addresses (by bytes)",
          "Top destination ports / top source ports (by flows)",
          "Protocols (by flows)")
SERVICES = {20: "ftp-data", 21: "ftp", 22: "ssh", 23: "telnet", 25: "smtp", 53: "dns",
            67: "dhcp", 80: "http", 110: "pop3", 123: "ntp", 143: "imap", 161: "snmp",
            389: "ldap", 443: "https", 445: "smb", 465: "smtps", 587: "submission",
            636: "ldaps", 993: "imaps", 995: "pop3s", 1433: "mssql", 2049: "nfs",
            3306: "mysql", 3389: "rdp", 5432: "postgres", 5439: "redshift",
            6379: "redis", 8080: "http-alt", 8443: "https-alt", 9092: "kafka",
            9200: "elastic", 11211: "memcache", 27017: "mongodb"}
NICE_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800,
              21600, 43200, 86400, 172800, 604800]
EIGHTHS = " \u258f\u258e\u258d\u258c\u258b\u258a\u2589"
FULL = "\u2588"
COLORS = {"ACCEPT": "32", "REJECT": "31", "bytes": "36", "packets": "35", "bar": "34",
          "title": "1"}


class Stats:
    """Everything the panels show, gathered in one pass over the documents."""

    def __init__(self):
        self.docs = self.skipped = self.parse_errors = 0
        self.actions = collections.defaultdict(lambda: [0, 0])     # action -> [flows, bytes]
        self.no_action = collections.Counter()                     # logstatus of the others
        self.times = []                                            # (epoch s, bytes, packets)
        self.src = collections.defaultdict(lambda: [0, 0])         # addr -> [bytes, flows]
        self.dst = collections.defaultdict(lambda: [0, 0])
        self.dport = collections.Counter()
        self.sport = collections.Counter()
        self.protocols = collections.defaultdict(lambda: [0, 0])   # name -> [flows, bytes]
        self.bytes = self.packets = 0

    def add(self, d):
        self.docs += 1
        if "_vpcflow_parse_error" in (d.get("tags") or []):
            self.parse_errors += 1
            return
        nbytes, npackets = number(d.get("bytes")), number(d.get("packets"))
        self.bytes += nbytes
        self.packets += npackets
        if d.get("action"):
            a = self.actions[str(d["action"])]
            a[0] += 1
            a[1] += nbytes
        else:
            self.no_action[str(d.get("logstatus", "no action"))] += 1
        t = timestamp(d.get("@timestamp"))
        if t is not None:
            self.times.append((t, nbytes, npackets))
        for key, table in (("srcaddr", self.src), ("dstaddr", self.dst)):
            if d.get(key):
                table[d[key]][0] += nbytes
                table[d[key]][1] += 1
        if isinstance(d.get("dstport"), int):
            self.dport[d["dstport"]] += 1
        if isinstance(d.get("srcport"), int):
            self.sport[d["srcport"]] += 1
        if d.get("protocol_name") or d.get("protocol") is not None:
            p = self.protocols[str(d.get("protocol_name") or d.get("protocol"))]
            p[0] += 1
            p[1] += nbytes


def number(v):
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else 0


def timestamp(s):
    """Seconds since the epoch of an ISO-8601 UTC @timestamp, or None."""
    if not isinstance(s, str):
        return None
    try:
        return datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def read(stream, stats):
    for line in stream:
        line = line.strip()
        if not line:
            continue
        try:
            d = json.loads(line)
        except ValueError:
            d = None
        if isinstance(d, dict) and isinstance(d.get("doc"), dict) and "seq" in d:
            d = d["doc"]    # a record of fakelogzio.py --store
        if isinstance(d, dict):
            stats.add(d)
        else:
            stats.skipped += 1


def human_bytes(n):
    for unit in ("B", "kB", "MB", "GB", "TB", "PB"):
        if abs(n) < 1000 or unit == "PB":
            return ("%d %s" % (n, unit)) if unit == "B" else ("%.1f %s" % (n, unit))
        n /= 1000.0
    return str(n)


def human_count(n):
    for unit in ("", "k", "M", "G"):
        if abs(n) < 1000 or unit == "G":
            return ("%d" % n) if unit == "" else ("%.1f%s" % (n, unit))
        n /= 1000.0
    return str(n)


def pct(part, whole):
    return "%5.1f%%" % (100.0 * part / whole) if whole else "    -%"


def duration(s):
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if s >= size and s % size == 0:
            return "%d%s" % (s // size, unit)
    return "%ds" % s


class Painter:
    """Bars and colour for one output: Unicode eighths or ASCII, ANSI or not."""

    def __init__(self, color, ascii_only):
        self.color, self.ascii = color, ascii_only

    def paint(self, text, what):
        code = COLORS.get(what)
        if not self.color or not code or not text.strip():
            return text
        return "\x1b[%sm%s\x1b[0m" % (code, text)

    def bar(self, value, top, width, what="bar"):
        """A bar of value/top of width cells, padded to width; never empty for value > 0."""
        cells = (value / top * width) if top > 0 else 0
        full = min(int(cells), width)
        if self.ascii:
            s = "#" * full
            if value > 0 and full == 0:
                s = "#"
        else:
            s = FULL * full
            eighth = int((cells - full) * 8)
            if full < width and eighth:
                s += EIGHTHS[eighth]
            elif value > 0 and full == 0:
                s = EIGHTHS[1]
        return self.paint(s, what) + " " * (width - len(s))


def title(p, text, width):
    head = "\u2500\u2500 " if not p.ascii else "== "
    line = head + text + " "
    fill = ("\u2500" if not p.ascii else "=") * max(0, width - len(line))
    return p.paint(line + fill, "title")


def panel_actions(s, p, w):
    out = [title(p, PANELS[0], w)]
    flows = sum(v[0] for v in s.actions.values())
    top = max([v[0] for v in s.actions.values()] or [0])
    bar_w = w - 52
    for action in sorted(s.actions, key=lambda a: (-s.actions[a][0], a)):
        n, b = s.actions[action]
        out.append("  %-7s %s %9s flows %s  %9s %s" % (
            action[:7], p.bar(n, top, bar_w, action), "{:,}".format(n), pct(n, flows),
            human_bytes(b), pct(b, s.bytes)))
    if s.no_action:
        out.append("  (records without an action: %s)" % ", ".join(
            "%s %s" % (k, "{:,}".format(v)) for k, v in s.no_action.most_common()))
    if not s.actions:
        out.append("  (no flow has an action)")
    return out


def panel_time(s, p, w, rows):
    out = [title(p, PANELS[1], w)]
    if not s.times:
        return out + ["  (no @timestamp)"]
    lo, hi = min(t[0] for t in s.times), max(t[0] for t in s.times)
    step = next((x for x in NICE_STEPS if (hi - lo) / x < rows), NICE_STEPS[-1])
    start = int(lo // step * step)
    n = int((hi - start) // step) + 1
    byts, pkts = [0] * n, [0] * n
    for t, b, k in s.times:
        i = int((t - start) // step)
        byts[i] += b
        pkts[i] += k
    if step < 60:
        fmt = "%H:%M:%S"
    elif n * step <= 86400:
        fmt = "%H:%M"
    else:
        fmt = "%m-%d %H:%M"
    utc = datetime.timezone.utc
    label = lambda x: datetime.datetime.fromtimestamp(x, utc).strftime(fmt)  # noqa: E731
    lw = max(len(label(start + i * step)) for i in range(n))
    bar_b = (w - lw - 24) * 3 // 5
    bar_p = w - lw - 24 - bar_b
    out.append(("  %s .. %s UTC, %s a row; %s, %s packets" % (
        datetime.datetime.fromtimestamp(start, utc).strftime("%Y-%m-%d %H:%M:%S"),
        datetime.datetime.fromtimestamp(start + n * step, utc).strftime("%Y-%m-%d %H:%M"),
        duration(step), human_bytes(s.bytes), human_count(s.packets)))[:w])
    out.append("  %-*s %-*s %9s %-*s %8s" % (lw, "", bar_b, "bytes", "", bar_p, "packets", ""))
    mb, mp = max(byts), max(pkts)
    for i in range(n):
        out.append("  %-*s %s %9s %s %8s" % (lw, label(start + i * step),
                                             p.bar(byts[i], mb, bar_b, "bytes"),
                                             human_bytes(byts[i]),
                                             p.bar(pkts[i], mp, bar_p, "packets"),
                                             human_count(pkts[i])))
    return out


def panel_addresses(table, heading, p, w, top):
    out = [title(p, heading, w)]
    rows = sorted(table.items(), key=lambda kv: (-kv[1][0], kv[0]))[:top]
    if not rows:
        return out + ["  (none)"]
    aw = max(len(a) for a, _ in rows)
    bar_w = max(6, w - aw - 35)
    for rank, (addr, (b, flows)) in enumerate(rows, 1):
        out.append("  %2d %-*s %s %9s %9s flow%s" % (rank, aw, addr, p.bar(b, rows[0][1][0], bar_w),
                                                     human_bytes(b), "{:,}".format(flows),
                                                     "s" if flows != 1 else ""))
    return out


def port_lines(counter, heading, p, width, top):
    rows = counter.most_common()
    rows.sort(key=lambda kv: (-kv[1], kv[0]))
    rows = rows[:top]
    lines = ["%-*s" % (width, heading)]
    bar_w = width - 27
    for port, n in rows:
        name = "%5d %-10s" % (port, SERVICES.get(port, "")[:10])
        lines.append("%s %s %9s" % (name, p.bar(n, rows[0][1], bar_w), "{:,}".format(n)))
    return lines


def panel_ports(s, p, w, top):
    out = [title(p, PANELS[4], w)]
    half = (w - 4) // 2
    left = port_lines(s.dport, "destination ports", p, half, top)
    right = port_lines(s.sport, "source ports", p, half, top)
    for i in range(max(len(left), len(right))):
        a = left[i] if i < len(left) else " " * half
        b = right[i] if i < len(right) else ""
        out.append("  " + a + "  " + b)
    return out


def panel_protocols(s, p, w):
    out = [title(p, PANELS[5], w)]
    flows = sum(v[0] for v in s.protocols.values())
    rows = sorted(s.protocols.items(), key=lambda kv: (-kv[1][0], kv[0]))[:10]
    if not rows:
        return out + ["  (none)"]
    bar_w = w - 52
    for name, (n, b) in rows:
        out.append("  %-8s %s %9s flows %s %9s" % (name[:8], p.bar(n, rows[0][1][0], bar_w),
                                                  "{:,}".format(n), pct(n, flows),
                                                  human_bytes(b)))
    return out


def render(s, width=100, rows=24, top=10, color=False, ascii_only=False):
    """The whole picture as a list of lines."""
    p = Painter(color, ascii_only)
    head = "VPC flow traffic: %s documents" % "{:,}".format(s.docs)
    if s.parse_errors:
        head += ", %s did not parse" % "{:,}".format(s.parse_errors)
    if s.skipped:
        head += ", %s lines skipped (not JSON objects)" % "{:,}".format(s.skipped)
    out = [head, ""]
    for part in (panel_actions(s, p, width), panel_time(s, p, width, rows),
                 panel_addresses(s.src, PANELS[2], p, width, top),
                 panel_addresses(s.dst, PANELS[3], p, width, top),
                 panel_ports(s, p, width, top), panel_protocols(s, p, width)):
        out.extend(part)
        out.append("")
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("file", nargs="?", default="-", help="NDJSON documents (default: stdin)")
    ap.add_argument("--width", type=int, default=0, help="columns (default: terminal, at most 100)")
    ap.add_argument("--rows", type=int, default=24, help="time buckets (at most)")
    ap.add_argument("--top", type=int, default=10, help="rows of the top-N panels")
    ap.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    ap.add_argument("--ascii", action="store_true", help="ASCII bars only")
    args = ap.parse_args(argv)
    width = args.width or min(100, shutil.get_terminal_size((100, 24)).columns)
    width = max(80, min(width, 200))
    color = args.color == "always" or (args.color == "auto" and sys.stdout.isatty()
                                       and "NO_COLOR" not in os.environ
                                       and os.environ.get("TERM") != "dumb")
    enc = (sys.stdout.encoding or "").lower().replace("-", "")
    ascii_only = args.ascii or enc not in ("utf8", "utf8sig")
    stats = Stats()
    if args.file == "-":
        read(sys.stdin, stats)
    else:
        try:
            with open(args.file, encoding="utf-8", errors="replace") as f:
                read(f, stats)
        except OSError as e:
            print("traffic_picture: %s" % e, file=sys.stderr)
            return 1
    lines = render(stats, width, max(1, args.rows), max(1, args.top), color, ascii_only)
    sys.stdout.write("".join(line.rstrip() + "\n" for line in lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
