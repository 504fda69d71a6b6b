#!/usr/bin/env python3
"""Summarises a bench/intake run directory: medians of the repeated runs, the RSS
figures, and the ratios against the targets of issue 4. Writes summary.md and
summary.json into the directory and prints the markdown."""
import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path

out = Path(sys.argv[1])
runs = [json.loads(l) for l in (out / "runs.jsonl").read_text().splitlines() if l.strip()]
rss = [json.loads(l) for l in (out / "rss.jsonl").read_text().splitlines() if l.strip()]

groups = defaultdict(list)
for r in runs:
    groups[(r["target"], r["mode"], r["batch"], r["conns"])].append(r)

rows = {}
for key, rs in groups.items():
    batch = key[2]
    per = []
    for r in rs:
        w = r["wrk"]
        secs = w["duration_us"] / 1e6
        ok = w["requests"] - w["err_status"]
        # No response at all within the run: latency is "longer than the run", not 0.
        none = w["requests"] == 0
        per.append({"alerts_s": ok * batch / secs, "req_s": ok / secs,
                    "p50_ms": float("inf") if none else w["p50_us"] / 1000,
                    "p99_ms": float("inf") if none else w["p99_us"] / 1000,
                    "errors": w["err_status"] + w["err_timeout"] + w["err_connect"] +
                              w["err_read"] + w["err_write"],
                    "timeouts": w["err_timeout"]})
    med = lambda k: statistics.median(p[k] for p in per)
    rows[key] = {"alerts_s": med("alerts_s"), "req_s": med("req_s"), "p50_ms": med("p50_ms"),
                 "p99_ms": med("p99_ms"), "errors": sum(p["errors"] for p in per),
                 "timeouts": sum(p["timeouts"] for p in per), "reps": len(per),
                 "alerts_s_all": [round(p["alerts_s"]) for p in per]}

def ms(v):
    return "> run (no reply)" if v == float("inf") else f"{v:,.1f}"


order = {"am": 0, "klaxon-full": 1, "klaxon-normal": 2}
lines = ["| server | alerts | batch | conns | alerts/s (median) | req/s | p50 ms | p99 ms | errors | runs (alerts/s) |",
         "|---|---|---:|---:|---:|---:|---:|---:|---:|---|"]
for key in sorted(rows, key=lambda k: (k[2], k[3], order.get(k[0], 9), k[1])):
    r = rows[key]
    lines.append(f"| {key[0]} | {key[1]} | {key[2]} | {key[3]} | {r['alerts_s']:,.0f} | "
                 f"{r['req_s']:,.1f} | {ms(r['p50_ms'])} | {ms(r['p99_ms'])} | "
                 f"{r['errors']} | {', '.join(f'{x:,}' for x in r['alerts_s_all'])} |")

mem = {}
mlines = ["| server | RSS idle | RSS after | alerts held | per alert | load time | on disk |",
          "|---|---:|---:|---:|---:|---:|---:|"]
for m in rss:
    n = max(m["alerts"], 1)
    per_alert = (m["after_kb"] - m["idle_kb"]) * 1024 / n
    mem[m["target"]] = dict(m, per_alert_bytes=per_alert)
    disk = f"{m['disk_kb'] / 1024:,.1f} MiB ({m['disk_kb'] * 1024 / n:,.0f} B/alert)" \
        if m["disk_kb"] else "-"
    mlines.append(f"| {m['target']} | {m['idle_kb'] / 1024:,.1f} MiB | {m['after_kb'] / 1024:,.1f} MiB"
                  f" | {m['alerts']:,} | {per_alert:,.0f} B | {m['load_s']} s | {disk} |")

# Targets (issue 4): Klaxon (durable) vs Alertmanager.
tlines = ["| target | measured | verdict |", "|---|---|---|"]
verdicts = []
def verdict(name, measured, ok):
    tlines.append(f"| {name} | {measured} | {'met' if ok else '**missed**'} |")
    verdicts.append({"target": name, "measured": measured, "met": bool(ok)})

for mode in ("grouped", "distinct"):
    for batch, need in ((100, 2.0), (1, 1.0)):
        for conns in sorted({k[3] for k in rows}):
            am = rows.get(("am", mode, batch, conns)) or rows.get(("am", "grouped", batch, conns))
            kx = rows.get(("klaxon-full", mode, batch, conns))
            if not am or not kx:
                continue
            ratio = kx["alerts_s"] / am["alerts_s"] if am["alerts_s"] else float("inf")
            verdict(f"alerts/s ≥ {need:g}× AM, batch {batch}, {conns} conns ({mode})",
                    f"{kx['alerts_s']:,.0f} vs {am['alerts_s']:,.0f} = {ratio:.2f}×", ratio >= need)
for mode in ("grouped", "distinct"):
    for batch in (1, 100):
        kx = rows.get(("klaxon-full", mode, batch, 16))
        if kx:
            verdict(f"p99 < 20 ms at 16 conns, batch {batch} ({mode})", f"{ms(kx['p99_ms'])} ms",
                    kx["p99_ms"] < 20)
if "am" in mem and "klaxon-full" in mem:
    a, k = mem["am"]["per_alert_bytes"], mem["klaxon-full"]["per_alert_bytes"]
    verdict("less RSS per active alert than AM", f"{k:,.0f} B vs {a:,.0f} B", k < a)

md = ["### Throughput and latency (median of the runs)", "", *lines, "",
      "### Memory", "", *mlines, "", "### Targets (Klaxon with --sqlite-sync full vs Alertmanager)",
      "", *tlines, ""]
text = "\n".join(md)
(out / "summary.md").write_text(text)
def finite(v):
    return None if isinstance(v, float) and v == float("inf") else v


(out / "summary.json").write_text(json.dumps(
    {"rows": [dict(zip(("target", "mode", "batch", "conns"), k),
                   **{f: finite(x) for f, x in v.items()}) for k, v in rows.items()],
     "memory": list(mem.values()), "targets": verdicts}, indent=1))
print(text)
