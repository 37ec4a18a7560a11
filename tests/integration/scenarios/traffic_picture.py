"""tests/integration/traffic_picture.py on what vpcflowd really emits: the
documents `vpcflowd --decode` makes of tests/bench/gen_flows.py records.
The six panels are there in order, within 100 columns, and their first rows
are the right ones: the address with the most bytes, the most frequent port
and protocol, the exact ACCEPT and REJECT counts, at most 24 time rows."""
import collections
import json
import os
import re
import subprocess
import sys
import tempfile

from vtest import check, done, json_lines, run

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(os.path.dirname(HERE))
PICTURE = os.path.join(HERE, "traffic_picture.py")
GEN = os.path.join(ROOT, "tests", "bench", "gen_flows.py")
TITLES = ["ACCEPT vs REJECT", "Bytes and packets over time",
          "Top 10 source addresses (by bytes)", "Top 10 destination addresses (by bytes)",
          "Top destination ports / top source ports (by flows)", "Protocols (by flows)"]
# A heavy IPv6 talker: the longest address form must still fit.
BIG_V6 = "2001:db8:1234:5678:9abc:def0:1234:5678"


def documents(args, extra=""):
    gen = subprocess.run([sys.executable, GEN] + args, stdout=subprocess.PIPE, check=True).stdout
    rc, out, err = run(["--decode"], gen + extra.encode())
    check(rc == 0, "--decode of gen_flows.py %s exits 0 (%s)" % (" ".join(args), err.strip()[:200]))
    return out


def picture(data, *args, env=None):
    full = dict(os.environ, **(env or {}))
    proc = subprocess.run([sys.executable, PICTURE] + list(args), input=data, env=full,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    check(proc.returncode == 0, "traffic_picture %s exits 0 (%s)"
          % (" ".join(args), proc.stderr.decode()[-300:]))
    return proc.stdout.decode("utf-8")


def panels(text):
    """Title -> the panel's lines below its title."""
    out, current = {}, None
    for line in text.splitlines():
        title = next((t for t in TITLES if re.match(r"^(\u2500\u2500|==) %s " % re.escape(t), line)), None)
        if title:
            current = out.setdefault(title, [])
        elif not line.strip():
            current = None
        elif current is not None:
            current.append(line)
    return out


def first_row(rows):
    return next((r for r in rows if re.match(r"^\s+1 ", r)), "")


def check_picture(name, docs, text, width=100):
    lines = text.splitlines()
    check(all(len(l) <= width for l in lines), "%s: every line fits %d columns (widest %d)"
          % (name, width, max(map(len, lines))))
    check("\x1b[" not in text, "%s: no colour when stdout is not a terminal" % name)
    order = [next((i for i, l in enumerate(lines) if t in l), -1) for t in TITLES]
    check(-1 not in order and order == sorted(order), "%s: the six panel titles, in order" % name)
    got = panels(text)

    flows = collections.Counter(d["action"] for d in docs if "action" in d)
    for action, n in flows.items():
        check(any(r.split()[0] == action and "{:,} flows".format(n) in r
                  for r in got.get(TITLES[0], [])), "%s: %s counted %d times" % (name, action, n))

    time_rows = [r for r in got.get(TITLES[1], []) if re.match(r"^  \d\d:\d\d", r)]
    check(0 < len(time_rows) <= 24, "%s: 1 to 24 time rows (%d)" % (name, len(time_rows)))

    for title, key in ((TITLES[2], "srcaddr"), (TITLES[3], "dstaddr")):
        by_bytes = collections.Counter()
        for d in docs:
            if key in d:
                by_bytes[d[key]] += d.get("bytes", 0)
        most = max(by_bytes.values())
        row = first_row(got.get(title, [])).split()
        shown = row[1] if len(row) > 1 else None
        check(by_bytes.get(shown) == most, "%s: the top %s shown, %s, has the most bytes, %d "
              "(it has %s)" % (name, key, shown, most, by_bytes.get(shown)))
        check(len([r for r in got.get(title, []) if re.match(r"^\s+\d+ ", r)]) == min(10, len(by_bytes)),
              "%s: ten %s rows" % (name, key))

    ports = got.get(TITLES[4], [])
    dport = collections.Counter(d["dstport"] for d in docs if "dstport" in d).most_common(1)[0]
    check(len(ports) > 1 and ports[1].split()[0] == str(dport[0]),
          "%s: the top destination port is %d (%d flows)" % (name, dport[0], dport[1]))
    proto = collections.Counter(d["protocol_name"] for d in docs if "protocol_name" in d).most_common(1)[0]
    rows = got.get(TITLES[5], [])
    check(rows[:1] and rows[0].split()[0] == proto[0] and "{:,} flows".format(proto[1]) in rows[0],
          "%s: the top protocol is %s (%d flows)" % (name, proto[0], proto[1]))


# The AWS default format, as the demo ships it.
out = documents(["--count", "3000", "--header", "--seed", "5"])
docs = json_lines(out)
text = picture(out, "-")
check_picture("v2 from stdin", docs, text)
check(text.startswith("VPC flow traffic: 3,000 documents"), "the headline counts the documents")

# The same from a file, with lines that are not documents (skipped, counted).
with tempfile.NamedTemporaryFile("wb", suffix=".ndjson", delete=False) as f:
    f.write(b"not json\n" + out + b"\n[1, 2]\n")
text2 = picture(b"", f.name)
os.unlink(f.name)
check(text2.replace(", 2 lines skipped (not JSON objects)", "") == text,
      "a file gives the same picture; 2 lines skipped and said so")

# What fakelogzio.py --store keeps: one {"seq", "status", "type", "doc"} record a line.
stored = b"".join(json.dumps({"seq": n // 100, "status": 200, "type": "vpcflow", "doc": d},
                             separators=(",", ":")).encode() + b"\n" for n, d in enumerate(docs))
check(picture(stored, "-") == text, "records of the fake listener give the same picture")

# v5 records with a heavy IPv6 talker in front; a narrower terminal.
heavy = ("5 %s 2001:db8::1 50000 443 6 1764000001 1764000050 IPv6 900000 1300000000 123456789010 "
         "vpc-0a1b2c3d4e5f60718 subnet-0123456789abcdef0 i-0c50d5961bcb2d47b eni-0000000000000abcd "
         "eu-west-1 euw1-az2 - - ACCEPT 2 %s 2001:db8::1 - - 1 egress OK\n" % (BIG_V6, BIG_V6))
out5 = documents(["--format", "v5", "--count", "2000", "--header", "--seed", "11"])
out5 += run(["--decode", "--format", "version srcaddr dstaddr srcport dstport protocol start end "
             "type packets bytes account-id vpc-id subnet-id instance-id interface-id region az-id "
             "sublocation-type sublocation-id action tcp-flags pkt-srcaddr pkt-dstaddr "
             "pkt-src-aws-service pkt-dst-aws-service traffic-path flow-direction log-status"],
            heavy.encode())[1]
docs5 = json_lines(out5)
text5 = picture(out5, "--width", "100")
check_picture("v5 + IPv6", docs5, text5)
check(first_row(panels(text5).get(TITLES[2], [])).split()[1:2] == [BIG_V6],
      "the heavy IPv6 source leads its panel")
check_picture("80 columns", docs5, picture(out5, "--width", "80"), width=80)

ascii_text = picture(out, "--ascii")
check(all(ord(c) < 128 for c in ascii_text), "--ascii draws with ASCII only")
colour = picture(out, "--color", "always")
check("\x1b[32m" in colour and "\x1b[31m" in colour, "--color always paints ACCEPT and REJECT")
check(re.sub(r"\x1b\[[0-9;]*m", "", colour) == text, "colour changes nothing but the colour")
empty = picture(b"", "-")
check("0 documents" in empty and all(t in empty for t in TITLES), "no documents: empty panels, no crash")
done()
