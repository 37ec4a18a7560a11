"""--decode never drops a record: malformed lines go out tagged, any bytes
yield valid JSON, CRLF and a missing final newline are accepted."""
from vtest import check, done, json_lines, run

GOOD = b"2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK"
lines = [
    GOOD,
    b"2 123456789010 eni-1 172.31.16.139 172.31.16.21 20641 ssh 6 20 4249 1418530010 1418530070 ACCEPT OK",
    b"2 123456789010 eni-1 172.31.16.139",
    b"2 123456789010 eni-1 172.31.16.139 172.31.16.21 20641 70000 6 20 4249 1418530010 1418530070 ACCEPT OK",
    b"\xff\xfe\"quote\\ \x01 garbage",
    b"",
    GOOD + b"\r",
]
rc, out, err = run(["--decode"], b"\n".join(lines))
check(rc == 0, "exit 0 even with malformed records (%d)" % rc)
docs = json_lines(out)
check(len(docs) == 6, "every non-blank line gives a document (%d)" % len(docs))
tagged = [d for d in docs if "_vpcflow_parse_error" in d.get("tags", [])]
check(len(tagged) == 4, "four records tagged _vpcflow_parse_error (%d)" % len(tagged))
check("dstport" in tagged[0].get("parse_error", "") and "7" in tagged[0].get("parse_error", ""),
      "parse_error names field 7 (dstport): %r" % tagged[0].get("parse_error"))
check("14" in tagged[1].get("parse_error", ""), "field count error says 14: %r" % tagged[1].get("parse_error"))
check(all(d.get("message") for d in tagged), "tagged records keep their raw message")
check(tagged[3]["message"].startswith("\ufffd\ufffd\"quote\\"), "invalid UTF-8 becomes U+FFFD, quotes survive")
check(docs[-1].get("dstport") == 22 and docs[-1]["message"] == GOOD.decode(),
      "CRLF and no final newline accepted, CR not in message")
check("4 of 6 records did not parse" in err and "line 2" in err,
      "stderr counts the bad records and names the first line: %r" % err.strip())

rc, out, err = run(["--decode", "--format", "${version} ${bogus-field}"], GOOD)
check(rc == 2 and "bogus-field" in err, "unknown field in --format is a usage error naming it (%d %r)" % (rc, err.strip()))
rc, out, err = run(["--decode", "--style", "kibana"], GOOD)
check(rc == 2 and "logzio or ecs" in err, "bad --style is a usage error")
done()
