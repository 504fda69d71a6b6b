#!/usr/bin/env python3
"""Summarises a bench/paging run directory: medians of the repeated latency runs, the
timer lateness / RSS figures and the issue's targets. Writes summary.md and summary.json
into the directory and prints the markdown."""
import json
import statistics
import sys
from pathlib import Path

out = Path(sys.argv[1])
summary = {}
md = []


def f(v, nd=1):
    if v is None:
        return "-"
    if v == float("inf"):
        return "> 10,000"
    return f"{v:,.{nd}f}"


def mib(kb):
    return "-" if kb is None else f"{kb / 1024:,.1f} MiB"


# ---- latency --------------------------------------------------------------------------
lat_path = out / "latency.jsonl"
if lat_path.exists():
    runs = [json.loads(l) for l in lat_path.read_text().splitlines() if l.strip()]
    by = {}
    for r in runs:
        by.setdefault(r["target"], []).append(r)
    md += ["### Alert → first page latency", "",
           "| server | runs | addresses | p50 ms | p90 ms | p99 ms | max ms | POST p50 / p99 ms | missing | p99 per run |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    lat = {}
    for target in ["am", "klaxon", "klaxon-1addr"]:
        rs = by.get(target)
        if not rs:
            continue
        med = lambda k: statistics.median(r[k] for r in rs if r[k] is not None)
        row = {k: med(k) for k in ["p50_ms", "p90_ms", "p99_ms", "max_ms", "post_p50_ms", "post_p99_ms"]}
        row.update(runs=len(rs), missing=sum(r["missing"] for r in rs), lanes=rs[0]["lanes"],
                   p99_all=[round(r["p99_ms"], 1) for r in rs], p50_all=[round(r["p50_ms"], 1) for r in rs],
                   n=rs[0]["n"], rate=rs[0]["rate"])
        if "breakdown" in rs[0]:
            row["breakdown"] = {seg: {q: statistics.median(r["breakdown"][seg][q] for r in rs
                                                          if r["breakdown"][seg][q] is not None)
                                      for q in ("p50_ms", "p99_ms")}
                                for seg in rs[0]["breakdown"] if all(r["breakdown"][seg]["n"] for r in rs)}
        lat[target] = row
        name = {"am": "Alertmanager 0.25", "klaxon": "Klaxon", "klaxon-1addr": "Klaxon, one address (info)"}[target]
        md.append(f"| {name} | {len(rs)} × {row['n']} | {row['lanes']} | {f(row['p50_ms'])} | {f(row['p90_ms'])} | "
                  f"{f(row['p99_ms'])} | {f(row['max_ms'])} | {f(row['post_p50_ms'])} / {f(row['post_p99_ms'])} | "
                  f"{row['missing']} | {', '.join(f(x) for x in row['p99_all'])} |")
    summary["latency"] = lat
    if "am" in lat and "klaxon" in lat:
        r50 = lat["klaxon"]["p50_ms"] / lat["am"]["p50_ms"]
        r99 = lat["klaxon"]["p99_ms"] / lat["am"]["p99_ms"]
        summary["latency_ratio"] = {"p50": r50, "p99": r99}
        md += ["", f"Klaxon / Alertmanager: p50 {r50:.2f}×, p99 {r99:.2f}× "
                   f"(target: Klaxon p99 below Alertmanager's → **{'met' if r99 < 1 else 'missed'}**)."]
    if "klaxon" in lat and "breakdown" in lat["klaxon"]:
        names = {"send_to_declared": "POST → incident.declared (HTTP, parse, writer queue)",
                 "declared_to_step_fired": "declared → escalation.step_fired (intake commit, engine wake, engine tx)",
                 "step_fired_to_arrival": "step_fired → receiver (engine commit, dispatcher, render, HTTP)",
                 "arrival_to_delivered_event": "receiver → notification.delivered (after the page, for info)"}
        md += ["", "Klaxon latency by segment (event-log timestamps, ms resolution; median over runs):", "",
               "| segment | p50 ms | p99 ms |", "|---|---:|---:|"]
        for seg, v in lat["klaxon"]["breakdown"].items():
            md.append(f"| {names.get(seg, seg)} | {f(v['p50_ms'])} | {f(v['p99_ms'])} |")
        rs = by["klaxon"]
        def medk(get):
            vals = [v for v in (get(r) for r in rs) if v is not None]
            return statistics.median(vals) if vals else None
        cm = lambda q: medk(lambda r: r["commits"][q] or 0)
        md += ["", f"Klaxon during the runs (medians): store commits p50 {f(cm('p50_ms'))} ms, p99 {f(cm('p99_ms'))} ms "
                   f"({f(cm('commands_per_commit'))} commands per commit); engine lateness of the step-1 timers "
                   f"(none since step 1 fires in the declaring transaction) p50 "
                   f"{f(medk(lambda r: (r.get('engine_lateness') or {}).get('p50_ms')))} ms, p99 "
                   f"{f(medk(lambda r: (r.get('engine_lateness') or {}).get('p99_ms')))} ms; server CPU "
                   f"{f(medk(lambda r: r['threads']['cpu_s']))} s and run-queue wait "
                   f"{f(medk(lambda r: r['threads']['runqueue_wait_s']))} s over "
                   f"{f(medk(lambda r: r['threads']['seconds']))} s (Alertmanager: CPU "
                   f"{f(statistics.median(r['threads']['cpu_s'] for r in by.get('am', rs)))} s, run-queue wait "
                   f"{f(statistics.median(r['threads']['runqueue_wait_s'] for r in by.get('am', rs)))} s)."]
    md.append("")


def lat_row(name, s, extra=""):
    return (f"| {name} | {s['count']:,} | {f(s['p50_ms'], 2)} | {f(s['p90_ms'], 2)} | {f(s['p99_ms'], 2)} | "
            f"{f(s['p999_ms'], 2)} | {f(s['mean_ms'], 2)} | {100 * (s['frac_le_100ms'] or 0):.1f} % | {extra} |")


# ---- timers, system clock -------------------------------------------------------------
ts_path = out / "timers-system.json"
if ts_path.exists():
    t = json.loads(ts_path.read_text())
    summary["timers_system"] = t
    n = t["n_pending"]
    md += [f"### Engine timers at {n:,} pending escalations (system clock)", "",
           f"Load: {n:,} incidents by intake ({t['load_batch']} alerts per POST, paced to {t['load_rate']:g}/s) in "
           f"{t['load_seconds']} s = {t['load_incidents_per_s']:,}/s; every step 1 fired "
           f"{t['step1_settle_after_load_s']} s after the last POST.", "",
           "| timers | n | p50 ms | p90 ms | p99 ms | p99.9 ms | mean ms | ≤ 100 ms | |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    md.append(lat_row("step 1 (due at declare) during the bulk load", t["step1_lateness_during_load"],
                      "alert storm: intake and engine share the writer"))
    if t.get("probes"):
        md.append(lat_row(f"probe step 1 (due at declare), {t['probe_rate']:g}/s", t["probe_step1_lateness"],
                          f"{n:,} pending"))
        md.append(lat_row(f"**probe step 2** (1-min timer), {t['probe_rate']:g}/s", t["probe_step2_lateness"],
                          f"{n:,} pending, light load"))
    md.append(lat_row(f"**wave**: the {n:,} step-2 timers", t["wave_lateness"],
                      f"due over ~{t['wave_spread_s']} s; all fired {t['wave_all_fired_after_s']} s after the first "
                      f"was due; peak {t.get('wave_peak_fire_rate')}/s; {t['wave_cpu_cores']} cores"))
    cw, th = t.get("commits_during_wave"), t.get("wave_threads")
    if cw and th:
        md += ["", f"During the wave: {cw['count']:,} store commits, p50 {f(cw['p50_ms'])} ms, p99 {f(cw['p99_ms'])} ms, "
                   f"{f(cw['commands_per_commit'])} commands per commit; Klaxon used {th['cpu_s']} s CPU and its threads "
                   f"waited {th['runqueue_wait_s']} s for a CPU (run queue) in {th['seconds']} s; the busiest thread "
                   f"(the store writer) {th['busiest_threads'][0]['cpu_s']} s CPU, {th['busiest_threads'][0]['runqueue_wait_s']} s "
                   f"run-queue wait. Mean load average {t.get('load1_mean')} (2 cores). One scrape of /metrics with "
                   f"{n:,} open incidents: {t.get('metrics_scrape_ms')} ms."]
    md += ["", "Percentiles are estimated from the histogram buckets (…, 50, 100, 250, 500 ms, 1, 2.5, 5, 10 s), "
               "linear within a bucket; \"≤ 100 ms\" is exact (a bucket bound).", "",
           "| memory | |", "|---|---:|",
           f"| RSS idle (after setup) | {mib(t['rss_idle_kb'])} |",
           f"| RSS with {n:,} pending | {mib(t['rss_pending_kb'])} |",
           f"| per pending escalation | {(t['rss_pending_kb'] - t['rss_idle_kb']) * 1024 / n:,.0f} B |",
           f"| peak RSS (VmHWM) during the load | {mib(t['hwm_after_load_kb'])} |",
           f"| RSS after the wave / VmHWM overall | {mib(t['rss_after_wave_kb'])} / {mib(t['hwm_kb'])} |",
           f"| on disk with {n:,} pending | {mib(t['disk_pending_kb'])} ({t['disk_pending_kb'] * 1024 / n:,.0f} B per incident) |",
           ""]
    steady = t.get("probe_step2_lateness") or {}
    wave = t["wave_lateness"]
    def verdict(s):
        if not s or not s.get("count"):
            return "not measured"
        return "**met**" if s["frac_le_100ms"] >= 0.99 else "**missed**"
    md += [f"Target \"timer lateness p99 < 100 ms at {n:,} pending\": light load (probes) {verdict(steady)} "
           f"(p99 {f(steady.get('p99_ms'), 1)} ms); during the wave {verdict(wave)} (p99 {f(wave['p99_ms'], 1)} ms, "
           f"{100 * (wave['frac_le_100ms'] or 0):.1f} % within 100 ms).", ""]

# ---- timers, manual clock -------------------------------------------------------------
tm_path = out / "timers-manual.json"
if tm_path.exists():
    t = json.loads(tm_path.read_text())
    summary["timers_manual"] = t
    md += [f"### Drain of simultaneous waves (manual clock, {t['n_pending']:,} pending at the start)", "",
           f"{t['waves']} waves of {t['wave_size']:,} timers, each due at the same instant: all handled after "
           f"{', '.join(f(x, 2) for x in t['wave_seconds'])} s (median {statistics.median(t['wave_seconds']):.2f} s "
           f"= {t['timers_per_s_median']:,} timers/s). Load {t['load_seconds']} s; RSS {mib(t['rss_idle_kb'])} idle, "
           f"{mib(t['rss_pending_kb'])} with {t['n_pending']:,} pending, VmHWM {mib(t['hwm_kb'])}. "
           f"(The lateness histogram reads p99 {f(t['lateness_manual']['p99_ms'], 2)} ms here: with a manual clock "
           f"it is clock-now − due, 0 when the clock is moved exactly to the due time — not real time.)", ""]

(out / "summary.md").write_text("\n".join(md) + "\n")
(out / "summary.json").write_text(json.dumps(summary, indent=1, default=str) + "\n")
print("\n".join(md))
