#!/usr/bin/env python3
"""Summarises a bench/statuspage run directory: medians of the repeated runs per (server,
path, kind, conns), the Klaxon/nginx ratios and the targets of issue 7 (Klaxon at least
half of nginx's requests/s and p99 under 10 ms at 256 connections). Writes summary.md and
summary.json into the directory and prints the markdown.

  summarize.py DIR            one run directory (writes DIR/summary.{md,json})
  summarize.py DIR DIR...     pooled: the medians over all runs of all directories
                              (prints only; writes nothing)"""
import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path

dirs = [Path(a) for a in sys.argv[1:]]
out = dirs[0]
pooled = len(dirs) > 1
runs = [json.loads(l) for d in dirs for l in (d / "runs.jsonl").read_text().splitlines()
        if l.strip()]
TARGET_CONNS, TARGET_RATIO, TARGET_P99_MS = 256, 0.5, 10.0

groups = defaultdict(list)
for r in runs:
    groups[(r["server"], r["path"], r["kind"], r["conns"])].append(r)

rows = {}
for key, rs in groups.items():
    per = []
    for r in rs:
        w = r["wrk"]
        secs = w["duration_us"] / 1e6
        errors = (w["err_status"] + w["err_timeout"] + w["err_connect"] + w["err_read"] +
                  w["err_write"])
        none = w["requests"] == 0
        per.append({
            "req_s": (w["requests"] - w["err_status"]) / secs,
            "p50_ms": float("inf") if none else w["p50_us"] / 1000,
            "p99_ms": float("inf") if none else w["p99_us"] / 1000,
            "p999_ms": float("inf") if none else w["p999_us"] / 1000,
            "bytes_per_resp": w["bytes"] / max(1, w["requests"]),
            "cpu_us_per_req": r["server_cpu_s"] * 1e6 / max(1, w["requests"]),
            "server_cores": r["server_cpu_s"] / secs,
            "ctx_per_req": ((r["ctx_voluntary"] + r["ctx_involuntary"]) / max(1, w["requests"])
                            if "ctx_voluntary" in r else float("nan")),
            "machine_busy_cores": r["machine_busy_cores"],
            "loadavg1": r["loadavg1"],
            "errors": errors,
            "n304": r.get("n304", 0),
            "requests": w["requests"],
        })
    def med(k):  # runs without the figure (older run directories) are left out
        vals = [p[k] for p in per if p[k] == p[k]]
        return statistics.median(vals) if vals else float("nan")
    rows[key] = {k: med(k) for k in ("req_s", "p50_ms", "p99_ms", "p999_ms", "bytes_per_resp",
                                     "cpu_us_per_req", "server_cores", "ctx_per_req", "machine_busy_cores",
                                     "loadavg1")}
    rows[key].update(errors=sum(p["errors"] for p in per), reps=len(per),
                     n304=sum(p["n304"] for p in per), requests=sum(p["requests"] for p in per),
                     req_s_all=[round(p["req_s"]) for p in per],
                     p99_all=[round(p["p99_ms"], 2) for p in per])


def ms(v):
    return "> run (no reply)" if v == float("inf") else f"{v:,.2f}"


paths = sorted({k[1] for k in rows}, key=lambda p: (p != "/status", p))
conns_list = sorted({k[3] for k in rows if k[2] == "get"})
lines = ["| server | path | conns | req/s (median) | p50 ms | p99 ms | Klaxon/nginx req/s | "
         "server CPU µs/req | server cores | ctx switches/req | bytes/resp | errors | runs (req/s) | runs (p99 ms) |",
         "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"]
ratios = {}
for conns in conns_list:
    for path in paths:
        ng = rows.get(("nginx", path, "get", conns))
        kx = rows.get(("klaxon", path, "get", conns))
        ratio = kx["req_s"] / ng["req_s"] if ng and kx and ng["req_s"] else None
        ratios[(path, conns)] = ratio
        for server, r in (("nginx", ng), ("klaxon", kx)):
            if not r:
                continue
            rt = f"**{ratio:.2f}×**" if server == "klaxon" and ratio is not None else ""
            lines.append(
                f"| {server} | `{path}` | {conns} | {r['req_s']:,.0f} | {ms(r['p50_ms'])} | "
                f"{ms(r['p99_ms'])} | {rt} | {r['cpu_us_per_req']:,.1f} | {r['server_cores']:.2f} | "
                f"{'-' if r['ctx_per_req'] != r['ctx_per_req'] else format(r['ctx_per_req'], '.2f')} | {r['bytes_per_resp']:,.0f} | {r['errors']} | "
                f"{', '.join(f'{x:,}' for x in r['req_s_all'])} | "
                f"{', '.join(f'{x:g}' for x in r['p99_all'])} |")

clines = ["| path | conns | req/s (median) | p50 ms | p99 ms | vs plain GET (200) | server CPU µs/req | "
          "bytes/resp | 304s counted / requests | errors |",
          "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|"]
for key in sorted((k for k in rows if k[2] == "conditional"), key=lambda k: (k[1] != "/status", k[3])):
    r = rows[key]
    plain = rows.get(("klaxon", key[1], "get", key[3]))
    vs = f"{r['req_s'] / plain['req_s']:.2f}×" if plain and plain["req_s"] else "-"
    clines.append(f"| `{key[1]}` | {key[3]} | {r['req_s']:,.0f} | {ms(r['p50_ms'])} | "
                  f"{ms(r['p99_ms'])} | {vs} | {r['cpu_us_per_req']:,.1f} | {r['bytes_per_resp']:,.0f} | "
                  f"{r['n304']:,} / {r['requests']:,} | {r['errors']} |")

tlines = ["| target (issue 7) | measured | verdict |", "|---|---|---|"]
verdicts = []


def verdict(name, measured, ok):
    v = "—" if ok is None else ("met" if ok else "**missed**")
    tlines.append(f"| {name} | {measured} | {v} |")
    verdicts.append({"target": name, "measured": measured, "met": ok})


for path in paths:
    ng = rows.get(("nginx", path, "get", TARGET_CONNS))
    kx = rows.get(("klaxon", path, "get", TARGET_CONNS))
    if not ng or not kx:
        verdict(f"`{path}` at {TARGET_CONNS} conns", "not measured", None)
        continue
    ratio = ratios[(path, TARGET_CONNS)]
    verdict(f"`{path}`: req/s ≥ {TARGET_RATIO:g}× nginx at {TARGET_CONNS} conns",
            f"{kx['req_s']:,.0f} vs {ng['req_s']:,.0f} = {ratio:.2f}×", ratio >= TARGET_RATIO)
    verdict(f"`{path}`: p99 < {TARGET_P99_MS:g} ms at {TARGET_CONNS} conns",
            f"{ms(kx['p99_ms'])} ms (nginx {ms(ng['p99_ms'])} ms)", kx["p99_ms"] < TARGET_P99_MS)
for path in paths:
    for conns in conns_list:
        if conns == TARGET_CONNS or ratios.get((path, conns)) is None:
            continue
        kx = rows[("klaxon", path, "get", conns)]
        ng = rows[("nginx", path, "get", conns)]
        tlines.append(f"| (information) `{path}` at {conns} conns | req/s {ratios[(path, conns)]:.2f}× "
                      f"nginx; p99 {ms(kx['p99_ms'])} ms (nginx {ms(ng['p99_ms'])} ms) | — |")

load = [r["loadavg1"] for r in runs]
busy = [r["machine_busy_cores"] for r in runs]
md = ["### Throughput and latency (median of the runs)", "", *lines, "",
      "Klaxon/nginx = ratio of the median req/s. server CPU = user+system time of the server "
      "(Klaxon: all threads; nginx: master + workers) per request; server cores = that CPU "
      "time per second of the run; ctx switches = the server's voluntary + involuntary context "
      "switches per request (/proc). Errors: wrk's connect/read/write/timeout/status>399.", "",
      "### Klaxon's conditional GET (If-None-Match: ETag → 304), for information", "",
      *(clines if len(clines) > 2 else ["(not measured)"]), "",
      "### Targets", "", *tlines, "",
      f"Load average (1 min) at the start of the runs: {min(load):.2f} – {max(load):.2f} "
      f"(median {statistics.median(load):.2f}); machine busy cores during the runs (all "
      f"processes, incl. wrk): median {statistics.median(busy):.2f}.", ""]
if pooled:
    md.insert(0, f"Pooled over {', '.join(str(d) for d in dirs)} ({len(runs)} runs).\n")
text = "\n".join(md)
if pooled:
    print(text)
    sys.exit(0)
(out / "summary.md").write_text(text)


def finite(v):
    return None if isinstance(v, float) and (v == float("inf") or v != v) else v


(out / "summary.json").write_text(json.dumps(
    {"rows": [dict(zip(("server", "path", "kind", "conns"), k),
                   **{f: finite(x) for f, x in v.items()}) for k, v in rows.items()],
     "ratios": [{"path": p, "conns": c, "klaxon_over_nginx": r} for (p, c), r in ratios.items()],
     "targets": verdicts}, indent=1))
print(text)
