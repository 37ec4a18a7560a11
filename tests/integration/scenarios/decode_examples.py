"""--decode on the AWS documentation's example records, both styles, with the
format given by --format and found from a plain header line."""
import re

from vtest import check, done, flowlog_files, json_lines, run

for name, fmt, records in flowlog_files():
    body = ("\n".join(records) + "\n").encode()
    rc, out, err = run(["--decode", "--format", fmt], body)
    check(rc == 0, "%s: --decode exits 0 (got %d: %s)" % (name, rc, err.strip()))
    docs = json_lines(out)
    check(len(docs) == len(records), "%s: one document per record (%d)" % (name, len(docs)))
    check(all("tags" not in d for d in docs), "%s: every record parses" % name)
    check([d.get("message") for d in docs] == records, "%s: message is the raw record" % name)
    names = [f.strip("${}") for f in fmt.split()]
    for doc, rec in zip(docs, records):
        for field, value in zip(names, rec.split()):
            key = {"log-status": "logstatus", "type": "traffic_type"}.get(field, field.replace("-", "_"))
            if value == "-":
                check(key not in doc, "%s: '-' omits %s" % (name, key))
            elif re.fullmatch(r"[0-9]+", value) and field not in ("account-id",):
                check(doc.get(key) == int(value), "%s: %s is the number %s" % (name, key, value))
            else:
                check(doc.get(key) == value, "%s: %s is \"%s\"" % (name, key, value))
        if "start" in names and doc.get("start") is not None:
            check(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z", doc["@timestamp"]) is not None,
                  "%s: @timestamp has milliseconds" % name)

    # The same file as AWS writes it to S3: a plain header line instead of --format.
    plain = " ".join(names) + "\n"
    rc, out2, err = run(["--decode"], plain.encode() + body)
    check(rc == 0 and out2 == out, "%s: a header line works as the format" % name)

    rc, out3, err = run(["--decode", "--style", "ecs", "--format", fmt], body)
    ecs = json_lines(out3)
    check(rc == 0 and len(ecs) == len(records), "%s: ecs style decodes" % name)

    def keys(o):
        if isinstance(o, dict):
            for k, v in o.items():
                yield k
                yield from keys(v)
        elif isinstance(o, list):
            for v in o:
                yield from keys(v)
    check(all("." not in k for d in ecs for k in keys(d)), "%s: ecs keys have no dots" % name)

# The default format applies when there is no header and no --format.
name, fmt, records = flowlog_files()[0]
rc, out, err = run(["--decode"], ("\n".join(records) + "\n").encode())
docs = json_lines(out)
check(docs[0].get("srcaddr") == "172.31.16.139" and docs[0].get("dstport") == 22,
      "default format when no header: srcaddr and dstport")
check(docs[0].get("protocol_name") == "TCP", "protocol_name TCP for 6")
check(docs[0].get("@timestamp") == "2014-12-14T04:06:50.000Z", "@timestamp from start")
check(docs[2].get("logstatus") == "NODATA" and "srcaddr" not in docs[2], "NODATA record")
done()
