#!/usr/bin/env python3
"""A/B of alert -> first page latency: Klaxon servers side by side in one run.

    python3 bench/paging/ab.py NAME=SETTINGS NAME=SETTINGS ...

Each NAME=SETTINGS starts one server; SETTINGS is a comma-separated list of KEY:VALUE,
each an environment variable for that server, except BIN:PATH (the klaxon binary, default
build/klaxon) and TASKSET:CPUS (run it under `taskset -c CPUS`). Example, two builds:

    python3 bench/paging/ab.py "old=BIN:/tmp/old/klaxon" "new="

Each server gets 20 lanes (user, policy, service, integration) paging one receiver; the
alerts alternate between the servers (the order flips every round), GAP seconds apart,
so the machine's noise falls on all of them alike. Prints p50/p90/p99 per server (ms,
from the client's send to the receiver's arrival). N=500 alerts per server, GAP=0.02;
SLOW_MS=5 also lists the alerts later than 5 ms, in the order sent.
"""
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import paging  # noqa: E402

_spawn = paging.spawn
_env = {}


def spawn(args, log, env=None):
    e = dict(env or {}, **_env)
    cpus = e.pop("TASKSET", None)
    if cpus:
        args = ["taskset", "-c", cpus] + list(args)
    return _spawn(args, log, e)


paging.spawn = spawn


def main():
    global _env
    variants = [v.split("=", 1) for v in sys.argv[1:]]
    if not variants or any(len(v) != 2 for v in variants):
        sys.exit(__doc__)
    n, gap = int(os.environ.get("N", "500")), float(os.environ.get("GAP", "0.02"))
    slow_ms = float(os.environ.get("SLOW_MS", "0"))
    wd = tempfile.mkdtemp(prefix="ab.", dir="/tmp")
    rx = paging.ReceiverProc(wd)
    servers = []
    try:
        for vi, (name, settings) in enumerate(variants):
            _env = dict(kv.split(":", 1) for kv in settings.split(",") if kv)
            paging.KLAXON = _env.pop("BIN", paging.KLAXON)
            kx = paging.Klaxon(wd, name="kx%d" % vi)
            servers.append((name, kx, [], kx.client()))
            for j in range(20):
                kx.user("u%d" % j, webhook=rx.url("/k%d/%d" % (vi, j)))
                sid = kx.service_with("s%d" % j, kx.policy("p%d" % j, "u%d" % j, [60]))
                servers[-1][2].append(kx.integration("i%d" % j, sid))
        sent = {name: [] for name, *_ in servers}
        warmup = 20
        for i in range(n + warmup):
            for name, _kx, paths, c in (servers if i % 2 == 0 else servers[::-1]):
                aid = "pgb-%s-%06d" % (name.lower().replace("-", ""), i)
                t0 = time.monotonic()
                c.request("POST", paths[i % len(paths)], body=[paging.alert(aid, time.time())])
                if i >= warmup:
                    sent[name].append((aid, t0))
                time.sleep(gap)
        time.sleep(1)
        first = rx.arrivals()["first"]
        for name, ids in sent.items():
            lat = sorted((first[a][0] - t0) * 1000 for a, t0 in ids if a in first)
            if not lat:
                print("%-10s no pages arrived" % name)
                continue
            pick = lambda q: lat[min(len(lat) - 1, int(len(lat) * q))]  # noqa: E731
            print("%-10s n=%d missing=%d p50=%.2f p90=%.2f p99=%.2f ms"
                  % (name, len(lat), len(ids) - len(lat), pick(0.5), pick(0.9), pick(0.99)))
            if slow_ms > 0:  # which alerts were late, in the order sent
                start = ids[0][1]
                late = ["#%d at %.1fs: %.1f ms" % (k, t0 - start, (first[a][0] - t0) * 1000)
                        for k, (a, t0) in enumerate(ids)
                        if a in first and (first[a][0] - t0) * 1000 > slow_ms]
                print("%-10s over %g ms: %s" % (name, slow_ms, ", ".join(late) or "none"))
    finally:
        for _name, kx, _paths, _c in servers:
            kx.stop()
        rx.stop()


if __name__ == "__main__":
    main()
