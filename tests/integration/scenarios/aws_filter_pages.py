"""Pagination: pages without events that carry a nextToken are not the end
(a sparse filter pattern with the service's scan limit, injected empty
pages, a trailing token leading to an empty last page); the whole window is
read, each event once, and the last request is the one without nextToken."""
from aws_filter_common import (FakeAWS, check, check_exactly_once, check_no_secrets,
                               config_text, documents, done, filter_requests,
                               group_events, run_once, tail)

with FakeAWS() as aws:
    aws.generate_events(3000, streams=4)
    nodata = [e for e in group_events(aws) if "NODATA" in e["message"]]
    aws.settings.update({"scan_limit": 40, "page_size": 40, "trailing_token": True})
    aws.inject("empty_pages", 3, target="FilterLogEvents")
    rc, out, err = run_once(aws, config_text(aws, extra='filter_pattern = "NODATA";\n'))
    check(rc == 0, "sparse filter: exit 0 (%d)%s" % (rc, tail(rc, err)))
    docs = documents(out)
    check_exactly_once(docs, nodata, "filter_pattern NODATA")
    reqs = filter_requests(aws)
    empty_more = [r for r in reqs[:-1] if r["events"] == 0 and r["next_token"]]
    check(len(empty_more) >= 40, "%d empty pages with a nextToken were followed by more "
          "requests" % len(empty_more))
    check(sum(1 for r in reqs if r["fault"] == "empty_pages") == 3,
          "the 3 injected empty pages were served")
    check(reqs[-1]["events"] == 0 and not reqs[-1]["next_token"],
          "the last request is the empty page without nextToken (trailing token)")
    check(all(r["params"].get("filterPattern") == "NODATA" for r in reqs),
          "every request carries the filter pattern")
    check(all("nextToken" in r["params"] for r in reqs[1:]),
          "every request after the first carries the previous nextToken")
    check("%d pages (" % len(reqs) in err, "the summary counts %d pages" % len(reqs))
    check_no_secrets(out, err)
done()
