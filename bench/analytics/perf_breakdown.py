#!/usr/bin/env python3
"""bench/analytics/perf_breakdown.py — where the analytics requests spend their CPU, from a
`perf record --call-graph dwarf` of the server (bench.py --profile --call-graph dwarf).

  perf_breakdown.py PERF_DATA [KLAXON_BINARY] > perf-breakdown.txt

Each sample is put under the request whose handler is on its stack (GetAnalytics = the
dashboard JSON, GetQuarterlyReport, GetAnalyticsChart) and under the first phase in this
list found anywhere on its stack: SQL (sqlite3_step), copying rows out of SQLite, the
facts loader's C++ (alertname parse, LoadPages, the rest), analytics::Compute, ToJson
(building the nlohmann document), dump (serializing it), the HTML renderer, other JSON
work. Then the top frames under a few phases (what inside them is hot), and, given the
binary, the SQL samples by the line of src/insights/facts.cc that ran the statement
(addr2line on the innermost facts-loader frame)."""

import collections
import subprocess
import sys

PHASES = [("sqlite3_step", "SQL (sqlite3_step)"), ("Connection::Run", "store: rows copied out"),
          ("Alertname", "facts: alertname parse"), ("LoadPages", "facts: LoadPages"),
          ("LoadFacts", "facts: other C++"), ("analytics::Compute", "analytics::Compute"),
          ("analytics::ToJson", "ToJson (build the document)"), ("serializer", "dump (serialize)"),
          ("ComparisonHtml", "ComparisonHtml"), ("ComparisonMarkdown", "ComparisonMarkdown"),
          ("basic_json", "json: other (free the document...)"),
          ("ComputeReports", "ComputeReports: other"), ("Session", "http: other")]
REQUESTS = [("GetAnalyticsChart", "chart"), ("GetAnalytics", "dashboard JSON / CSV"),
            ("GetQuarterlyReport", "quarterly report")]
INSIDE = [("sqlite3_step", 0, "leaf frames under sqlite3_step (kernel ones = pread of pages)"),
          ("analytics::Compute", 1, "frames just under analytics::Compute"),
          ("LoadPages", 1, "frames just under LoadPages"),
          ("analytics::ToJson", 1, "frames just under ToJson")]


def samples(perf_data):
    out = subprocess.run(["perf", "script", "-i", perf_data, "-F", "ip,sym"], capture_output=True,
                         text=True, errors="replace").stdout
    cur = []
    for line in out.splitlines():
        if not line.strip():
            if cur:
                yield cur
            cur = []
            continue
        p = line.strip().split(" ", 1)
        cur.append((p[0], p[1] if len(p) > 1 else ""))
    if cur:
        yield cur


FACTS_FRAMES = ("ForEach", "LoadIncidentDetails", "LoadIncidents", "LoadPages", "MarkDrillPages",
                "LoadFacts")


def sql_sites(with_ips, binary):
    """SQL samples by the facts.cc line that ran the statement."""
    by_ip = collections.Counter()
    n = 0
    for s in with_ips:
        if not any("sqlite3_step" in x for _, x in s):
            continue
        n += 1
        f = next((ip for ip, x in s if any(k in x for k in FACTS_FRAMES)), "?")
        by_ip[f] += 1
    by_line = collections.Counter()
    for ip, k in by_ip.items():
        where = "?"
        if ip != "?":
            out = subprocess.run(["addr2line", "-e", binary, "-i", "0x" + ip], capture_output=True,
                                 text=True).stdout.splitlines()
            lines = [l.split("/")[-1].split(" ")[0] for l in out if "facts.cc" in l]
            where = ", ".join(lines[:2]) or (out[0].split("/")[-1] if out else ip)
        by_line[where] += k
    print("\nSQL samples by facts.cc call site (%d samples; 'facts.cc:95, facts.cc:N' = "
          "IncidentIndex::ForEach called at line N)" % n)
    for where, k in by_line.most_common(15):
        print("  %5.1f%%  %s" % (100 * k / n, where))


def main():
    with_ips = list(samples(sys.argv[1]))
    all_samples = [[x for _, x in s] for s in with_ips]
    n = len(all_samples)
    phase = collections.Counter()
    per_req = collections.Counter()
    inside = {m: collections.Counter() for m, _, _ in INSIDE}
    for s in all_samples:
        req = next((r for m, r in REQUESTS if any(m in x for x in s)), "other (not a request)")
        ph = next((name for m, name in PHASES if any(m in x for x in s)), "other")
        phase[(req, ph)] += 1
        per_req[req] += 1
        for m, depth, _ in INSIDE:
            idx = next((i for i, x in enumerate(s) if m in x), None)
            if idx is not None:
                inside[m][(s[0] if depth == 0 else s[max(0, idx - depth)])[:120]] += 1
    print("%d samples" % n)
    for req, k in per_req.most_common():
        print("\n%s: %.1f%% of all samples" % (req, 100 * k / n))
        for (r, ph), c in phase.most_common():
            if r == req and c / k >= 0.005:
                print("  %-36s %5.1f%% of the request" % (ph, 100 * c / k))
    for m, _, title in INSIDE:
        total = sum(inside[m].values())
        if not total:
            continue
        print("\n%s (%d samples)" % (title, total))
        for k, c in inside[m].most_common(12):
            print("  %5.1f%%  %s" % (100 * c / total, k))
    if len(sys.argv) > 2:
        sql_sites(with_ips, sys.argv[2])


if __name__ == "__main__":
    main()
