"""The basic read: a log group given by ARN is read whole, one request per
page, with logGroupIdentifier, the stream prefix and (only when not empty)
the filter pattern sent as configured; documents carry the group's name;
a one-line summary at info; no secret in the output even at -vv (trace);
start_position "end" reads nothing and sends nothing; a stdout that refuses
the documents (a full disk) is a failure, said once."""
import os
import subprocess

from aws_filter_common import (GROUP, VPCFLOWD, FakeAWS, clean_env, write_config, check, check_exactly_once, check_no_secrets,
                               config_text, documents, done, filter_requests, group_events,
                               run_once, tail)

with FakeAWS() as aws:
    account, region = aws.settings.account_id, aws.settings.region
    arn = "arn:aws:logs:%s:%s:log-group:%s" % (region, account, GROUP)
    aws.generate_events(600, streams=3)
    aws.add_events(GROUP, [{"logStreamName": "other-stream", "age_s": 30,
                            "message": "2 1 eni-x - - - - - - - 1 2 - NODATA"}])
    events = [e for e in group_events(aws) if e["logStreamName"].startswith("eni-")]
    aws.settings.page_size = 100
    conf = config_text(aws, group=arn, extra='log_stream_prefix = "eni-";\n'
                       'filter_pattern = "";\n')
    rc, out, err = run_once(aws, conf, args=["-vv"])
    check(rc == 0, "ARN log group: exit 0 (%d)%s" % (rc, tail(rc, err)))
    docs = documents(out)
    check_exactly_once(docs, events, "ARN log group, stream prefix")
    reqs = filter_requests(aws)
    first = reqs[0]["params"] if reqs else {}
    check(first.get("logGroupIdentifier") == arn and "logGroupName" not in first,
          "an ARN is sent as logGroupIdentifier: %r" % first)
    check(first.get("logStreamNamePrefix") == "eni-" and "filterPattern" not in first,
          "the prefix is sent, an empty pattern is not")
    check(all(d.get("log_group") == GROUP for d in docs[:50]),
          "documents carry the log group's name, not its ARN")
    check(len(reqs) == 6 and all(r["status"] == 200 for r in reqs),
          "one request per page (%d)" % len(reqs))
    check(" info: once: log group %s: 600 events (" % GROUP in err
          and "6 pages" in err, "a one-line summary at info")
    check_no_secrets(out, err, what="-vv run")

    env = dict(os.environ)
    env.update(clean_env())
    with open("/dev/full", "wb") as full:
        proc = subprocess.run([VPCFLOWD, "-c", write_config(config_text(aws)), "--once",
                               "--output", "stdout"], env=env, stdout=full,
                              stderr=subprocess.PIPE, timeout=60)
    err = proc.stderr.decode("utf-8", "replace")
    check(proc.returncode == 1 and err.count("stdout: No space left on device") == 1,
          "stdout on a full disk: exit 1, said once (%d)%s"
          % (proc.returncode, tail(proc.returncode, err, 1)))

    aws.clear_log()
    rc, out, err = run_once(aws, start="end")
    check(rc == 0 and out == b"", "start_position end: nothing to read, exit 0")
    check(len(filter_requests(aws)) == 0, "start_position end: no request")
done()
