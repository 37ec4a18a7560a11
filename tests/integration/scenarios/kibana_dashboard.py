"""etc/kibana/vpcflow-dashboard.ndjson: a Kibana saved-objects export that
imports as it is. Valid NDJSON, every reference and every panel or index
reference name resolves inside the file, the panels cover the classic VPC
flow dashboard, and every field it uses is one vpcflowd emits: the field set
comes from `vpcflowd --decode` on the AWS example flow logs, not from a list
kept here."""
import json
import os
import re

from vtest import check, done, flowlog_files, json_lines, run

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
EXPORT = os.path.join(ROOT, "etc", "kibana", "vpcflow-dashboard.ndjson")
TYPES = ("index-pattern", "visualization", "dashboard")
# The fields the six panels cannot do without.
PANEL_FIELDS = {"@timestamp", "action", "bytes", "packets", "srcaddr", "dstaddr",
                "dstport", "srcport", "protocol_name"}


def emitted_fields():
    """Every member of every document --decode writes for the AWS examples."""
    fields = set()
    for name, fmt, records in flowlog_files():
        rc, out, err = run(["--decode", "--format", fmt], ("\n".join(records) + "\n").encode())
        docs = json_lines(out)
        check(rc == 0 and len(docs) == len(records) and not any("tags" in d for d in docs),
              "--decode %s: every record parses (%s)" % (name, err.strip()[:200]))
        for doc in docs:
            fields.update(doc)
    return fields


def embedded(obj, key):
    """Parse a JSON string attribute; a broken one is a failed check."""
    text = obj["attributes"].get(key)
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError as e:
        check(False, "%s %s: %s is JSON (%s)" % (obj["type"], obj["id"], key, e))
        return None


def used_fields(node, out):
    """Collect the values of every "field" member inside a visState."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "field" and isinstance(v, str):
                out.add(v)
            else:
                used_fields(v, out)
    elif isinstance(node, list):
        for v in node:
            used_fields(v, out)


def query_fields(source, out):
    """Field names in a KQL or Lucene query ("name:value")."""
    query = (source or {}).get("query") or {}
    text = query.get("query", "") if isinstance(query, dict) else ""
    out.update(re.findall(r"(?<![\w.@])([A-Za-z_@][\w.@]*)\s*:", text))
    for f in (source or {}).get("filter", []):
        key = f.get("meta", {}).get("key")
        if key:
            out.add(key)


with open(EXPORT, encoding="utf-8") as f:
    raw = f.read()
check(raw.endswith("\n") and "\r" not in raw, "one object per line, LF line ends")
objects, summary = [], None
for n, line in enumerate(raw.splitlines(), 1):
    try:
        obj = json.loads(line)
    except ValueError as e:
        check(False, "line %d is JSON (%s)" % (n, e))
        continue
    if "exportedCount" in obj:
        summary = obj
    elif check(obj.get("type") in TYPES and isinstance(obj.get("id"), str)
               and isinstance(obj.get("attributes"), dict),
               "line %d is a saved object of a known type (%s)" % (n, obj.get("type"))):
        objects.append(obj)
if summary is not None:
    check(summary["exportedCount"] == len(objects) and summary.get("missingRefCount") == 0,
          "the export summary counts %d objects and no missing reference" % len(objects))

by_key = {(o["type"], o["id"]): o for o in objects}
check(len(by_key) == len(objects), "no two objects share a type and id")
dashboards = [o for o in objects if o["type"] == "dashboard"]
check(len(dashboards) == 1, "exactly one dashboard")
for o in objects:
    names = set()
    for ref in o.get("references", []):
        names.add(ref["name"])
        check((ref["type"], ref["id"]) in by_key, "%s %s: reference %s -> %s %s is in the file"
              % (o["type"], o["id"], ref["name"], ref["type"], ref["id"]))
    source = (o["attributes"].get("kibanaSavedObjectMeta") or {}).get("searchSourceJSON")
    if source is not None:
        source = json.loads(source)
        if "indexRefName" in source:
            check(source["indexRefName"] in names, "%s %s: its index reference name resolves"
                  % (o["type"], o["id"]))
    if o["type"] == "dashboard":
        panels = embedded(o, "panelsJSON") or []
        check(len(panels) >= 6, "the dashboard has the panels (%d)" % len(panels))
        for p in panels:
            check(p.get("panelRefName") in names, "dashboard panel %s: its reference resolves"
                  % p.get("panelIndex"))
        embedded(o, "optionsJSON")

FIELDS = emitted_fields()
check(PANEL_FIELDS <= FIELDS, "vpcflowd emits every field the panels need (missing: %s)"
      % sorted(PANEL_FIELDS - FIELDS))
used = set()
for o in objects:
    if o["type"] == "index-pattern":
        used.add(o["attributes"].get("timeFieldName", ""))
        check(o["attributes"].get("timeFieldName") == "@timestamp",
              "index pattern %s has @timestamp as its time field" % o["id"])
    if o["type"] == "visualization":
        vis = embedded(o, "visState") or {}
        check(vis.get("title") == o["attributes"]["title"], "visualization %s: visState title" % o["id"])
        embedded(o, "uiStateJSON")
        used_fields(vis, used)
    source = (o["attributes"].get("kibanaSavedObjectMeta") or {}).get("searchSourceJSON")
    query_fields(json.loads(source) if source else None, used)
for field in sorted(used):
    check(field in FIELDS, "field %s is one vpcflowd emits" % field)
check(PANEL_FIELDS <= used, "the panels use %s (missing: %s)"
      % (", ".join(sorted(PANEL_FIELDS)), sorted(PANEL_FIELDS - used)))
check(any("ACCEPT" in o["attributes"]["title"] and "REJECT" in o["attributes"]["title"]
          for o in objects if o["type"] == "visualization"), "an ACCEPT vs REJECT panel")
done()
