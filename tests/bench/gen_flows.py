#!/usr/bin/env python3
"""Generate realistic VPC Flow Log records for benchmarks and the demo.

  gen_flows.py --format v2|v5 --count N [--header] [--seed S]

v2 is the AWS default format (14 fields); v5 is the 29-field format of the
AWS documentation's v5 example. Traffic mix: ~85% ACCEPT, IPv4 with ~8% IPv6,
~2% NODATA/SKIPDATA lines, common ports (443, 80, 22, 53, 3389 ...) and
ephemeral source ports, TCP/UDP/ICMP.
"""
import argparse
import random
import sys

V2 = ("version account-id interface-id srcaddr dstaddr srcport dstport protocol "
      "packets bytes start end action log-status")
V5 = ("version srcaddr dstaddr srcport dstport protocol start end type packets bytes "
      "account-id vpc-id subnet-id instance-id interface-id region az-id "
      "sublocation-type sublocation-id action tcp-flags pkt-srcaddr pkt-dstaddr "
      "pkt-src-aws-service pkt-dst-aws-service traffic-path flow-direction log-status")
PORTS = [443, 443, 443, 80, 22, 53, 3389, 8080, 5432, 3306, 123, 25, 6379]
SERVICES = ["S3", "DYNAMODB", "EC2", "-", "-", "-", "-"]


def addr(rng, v6):
    if v6:
        return "2001:db8:%x:%x::%x" % (rng.randrange(65536), rng.randrange(65536), rng.randrange(65536))
    if rng.random() < 0.6:
        return "10.0.%d.%d" % (rng.randrange(16), rng.randrange(1, 255))
    return "%d.%d.%d.%d" % (rng.choice([52, 54, 3, 18, 34, 203]), rng.randrange(256),
                            rng.randrange(256), rng.randrange(1, 255))


def record(rng, fmt, i, start):
    eni = "eni-%017x" % (rng.randrange(40) * 0x1000003)
    end = start + rng.randrange(1, 60)
    if rng.random() < 0.02:
        status = rng.choice(["NODATA", "NODATA", "SKIPDATA"])
        if fmt == "v2":
            return "2 123456789010 %s - - - - - - - %d %d - %s" % (eni, start, end, status)
        return ("5 - - - - - %d %d - - - 123456789010 vpc-0a1b2c3d4e5f60718 subnet-0123456789abcdef0 "
                "- %s eu-west-1 euw1-az2 - - - - - - - - - - %s" % (start, end, eni, status))
    v6 = rng.random() < 0.08
    proto = rng.choices([6, 17, 1], [80, 17, 3])[0]
    src, dst = addr(rng, v6), addr(rng, v6)
    sport, dport = (0, 0) if proto == 1 else (rng.randrange(1024, 65536), rng.choice(PORTS))
    packets = rng.randrange(1, 5000)
    nbytes = packets * rng.randrange(40, 1500)
    action = "ACCEPT" if rng.random() < 0.85 else "REJECT"
    if fmt == "v2":
        return "2 123456789010 %s %s %s %d %d %d %d %d %d %d %s OK" % (
            eni, src, dst, sport, dport, proto, packets, nbytes, start, end, action)
    return ("5 %s %s %d %d %d %d %d %s %d %d 123456789010 vpc-0a1b2c3d4e5f60718 subnet-0123456789abcdef0 "
            "i-0c50d5961bcb2d47b %s eu-west-1 euw1-az2 - - %s %d %s %s %s %s %d %s OK" % (
                src, dst, sport, dport, proto, start, end, "IPv6" if v6 else "IPv4", packets, nbytes,
                eni, action, rng.choice([2, 3, 18, 19, 1, 4]) if proto == 6 else 0, src, dst,
                rng.choice(SERVICES), rng.choice(SERVICES), rng.randrange(1, 9),
                rng.choice(["ingress", "egress"])))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--format", choices=["v2", "v5"], default="v2")
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--header", action="store_true")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    out = sys.stdout
    if args.header:
        out.write((V2 if args.format == "v2" else V5) + "\n")
    start = 1764000000
    chunk = []
    for i in range(args.count):
        chunk.append(record(rng, args.format, i, start + i // 50))
        if len(chunk) == 10000:
            out.write("\n".join(chunk) + "\n")
            chunk = []
    if chunk:
        out.write("\n".join(chunk) + "\n")


if __name__ == "__main__":
    main()
