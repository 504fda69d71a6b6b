#!/usr/bin/env python3
"""bench/paging/paging.py — the measurements behind bench/paging/run.sh (standard library).

Subcommands (run.sh calls them; each writes JSON into --out):
  receiver            the webhook receiver, a separate process: prints its port, records the
                      CLOCK_MONOTONIC arrival time of the first delivery naming each alert id
                      (regex pgb-<run>-<n> anywhere in the body); GET /_arrivals returns them.
  latency             alert -> first page latency, Klaxon vs Alertmanager, REPS interleaved runs
  timers-system       engine timer lateness and RSS at N_PENDING pending escalations (system clock)
  timers-manual       drain time of simultaneous waves of due timers (--clock manual)

time.monotonic() is CLOCK_MONOTONIC, shared by every process on the machine, so the
sender (this process) and the receiver (another process, its own GIL) compare directly.
Every child process is started here and stopped here (SIGTERM, then SIGKILL), also on
SIGINT/SIGTERM and on errors.
"""
import argparse
import atexit
import datetime
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
KLAXON = os.environ.get("KLAXON") or os.path.join(ROOT, "build", "klaxon")
AM_BIN = os.environ.get("AM_BIN") or "/usr/bin/prometheus-alertmanager"
ADMIN_PW = "bench-admin-password-1"
USER_PW = "bench-user-password-1"
ID_RE = re.compile(rb"pgb-[a-z0-9]+-\d+")

CHILDREN = []  # Popen objects we started


def log(msg):
    print("[%s] %s" % (time.strftime("%H:%M:%S"), msg), file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def iso(ts):
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def stop_child(p, grace=3.0):
    if p.poll() is None:
        try:
            p.terminate()
            p.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=5)
        except ProcessLookupError:
            pass
    if p in CHILDREN:
        CHILDREN.remove(p)


@atexit.register
def _cleanup():
    for p in list(CHILDREN):
        try:
            stop_child(p)
        except Exception:
            pass


def _on_signal(signum, _frame):
    raise SystemExit(128 + signum)


def spawn(args, logpath, env=None):
    logf = open(logpath, "ab")
    e = {k: v for k, v in os.environ.items() if not k.startswith("KLAXON_")}
    if env:
        e.update(env)
    p = subprocess.Popen(args, stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=e)
    logf.close()
    CHILDREN.append(p)
    return p


class Perf:
    """perf record -g on `pid` while a phase runs, when PERF_DIR is set (diagnostics; PERF_FREQ
    samples per second, default 999)."""

    def __init__(self, pid, name):
        self.p = None
        d = os.environ.get("PERF_DIR")
        if d and shutil.which("perf"):
            os.makedirs(d, exist_ok=True)
            self.p = subprocess.Popen(["perf", "record", "-F", os.environ.get("PERF_FREQ", "999"), "--call-graph", "dwarf,16384", "-p", str(pid), "-o",
                                       os.path.join(d, name + ".data")],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            CHILDREN.append(self.p)
            time.sleep(0.5)

    def stop(self):
        if self.p:
            self.p.send_signal(signal.SIGINT)
            try:
                self.p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.p.kill()
            CHILDREN.remove(self.p)
            self.p = None


def proc_status(pid, key):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def sched_snapshot(pid):
    """{tid: (ns on CPU, ns runnable but waiting for a CPU)} from /proc/PID/task/*/schedstat."""
    out = {}
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            try:
                with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                    run, wait, _ = f.read().split()
                out[tid] = (int(run), int(wait))
            except (OSError, ValueError):
                pass
    except OSError:
        pass
    return out


def sched_diff(a, b, seconds):
    """Per busy thread: CPU and run-queue wait (s) between two snapshots, busiest first."""
    rows = []
    for tid, (run, wait) in b.items():
        r0, w0 = a.get(tid, (0, 0))
        rows.append(((run - r0) / 1e9, (wait - w0) / 1e9))
    rows.sort(reverse=True)
    return {"seconds": round(seconds, 1), "cpu_s": round(sum(r for r, _ in rows), 2),
            "runqueue_wait_s": round(sum(w for _, w in rows), 2),
            "busiest_threads": [{"cpu_s": round(r, 2), "runqueue_wait_s": round(w, 2)} for r, w in rows[:4]]}


def cpu_seconds(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            parts = f.read().rsplit(")", 1)[1].split()
        return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return 0.0


def du_kb(path):
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for f in files:
            try:
                total += os.stat(os.path.join(dirpath, f)).st_blocks * 512
            except OSError:
                pass
    return total // 1024


# ---------------------------------------------------------------------------------------
# HTTP client (one persistent connection per object; not thread-safe)
# ---------------------------------------------------------------------------------------

class Http:
    def __init__(self, port, token=None, timeout=120):
        self.port, self.token, self.timeout = port, token, timeout
        self.conn = None

    def request(self, method, path, body=None, raw=None, headers=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        h = {"Content-Type": "application/json"} if data is not None else {}
        if self.token:
            h["Authorization"] = "Bearer " + self.token
        h.update(headers or {})
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=data, headers=h)
                r = self.conn.getresponse()
                out = r.read()
                if r.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return r.status, out
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def json(self, method, path, body=None, expect=(200, 201)):
        status, out = self.request(method, path, body)
        if status not in expect:
            raise RuntimeError("%s %s -> %d %s" % (method, path, status, out[:500]))
        return json.loads(out) if out else None

    def close(self):
        if self.conn:
            self.conn.close()
            self.conn = None


def wait_http(port, path, seconds, proc=None):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("process exited with %s" % proc.returncode)
        try:
            st, _ = Http(port, timeout=2).request("GET", path)
            if st == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError("timeout waiting for 127.0.0.1:%d%s" % (port, path))


# ---------------------------------------------------------------------------------------
# the webhook receiver (subcommand `receiver`, runs in its own process)
# ---------------------------------------------------------------------------------------

def receiver_main(_args):
    lock = threading.Lock()
    first = {}    # alert id -> (monotonic, wall) arrival of the first delivery naming it
    stats = {"deliveries": 0, "bytes": 0}

    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def _body(self):
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0], 16)
                    if size == 0:
                        self.rfile.readline()
                        return b"".join(chunks)
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
            n = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(n) if n else b""

        def _answer(self, status, body=b"ok", ctype="text/plain"):
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            body = self._body()
            t = (time.monotonic(), time.time())
            if self.path == "/_reset":
                with lock:
                    first.clear()
                    stats.update(deliveries=0, bytes=0)
                return self._answer(200)
            ids = set(ID_RE.findall(body))
            with lock:
                stats["deliveries"] += 1
                stats["bytes"] += len(body)
                for i in ids:
                    first.setdefault(i.decode(), t)
            self._answer(200)

        do_PUT = do_POST

        def do_GET(self):
            if self.path.startswith("/_arrivals"):
                with lock:
                    out = json.dumps({"stats": dict(stats), "first": dict(first)}).encode()
                return self._answer(200, out, "application/json")
            self._answer(404, b"no")

    srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
    srv.daemon_threads = True
    srv.request_queue_size = 256
    print(srv.server_address[1], flush=True)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=srv.shutdown).start())
    srv.serve_forever(poll_interval=0.05)


class ReceiverProc:
    def __init__(self, workdir):
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "receiver"],
                                     stdout=subprocess.PIPE, stderr=open(os.path.join(workdir, "receiver.log"), "ab"),
                                     stdin=subprocess.DEVNULL)
        CHILDREN.append(self.proc)
        self.port = int(self.proc.stdout.readline())
        self.http = Http(self.port)

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def arrivals(self):
        return self.http.json("GET", "/_arrivals")

    def reset(self):
        self.http.request("POST", "/_reset", raw=b"")

    def stop(self):
        self.http.close()
        stop_child(self.proc)


# ---------------------------------------------------------------------------------------
# servers
# ---------------------------------------------------------------------------------------

class Klaxon:
    def __init__(self, workdir, clock="system", name="klaxon", extra=()):
        self.dir = tempfile.mkdtemp(prefix=name + ".", dir=workdir)
        self.data = os.path.join(self.dir, "data")
        self.port = free_port()
        self.log = os.path.join(self.dir, "log")
        args = [KLAXON, "serve", "--listen", "127.0.0.1:%d" % self.port, "--data", self.data,
                "--admin-password", ADMIN_PW, "--drain-timeout", "1", "--clock", clock] + list(extra)
        args += os.environ.get("KX_EXTRA_ARGS", "").split()  # diagnostics only (e.g. --sqlite-sync normal)
        self.proc = spawn(args, self.log)
        wait_http(self.port, "/readyz", 30, self.proc)
        tok = Http(self.port).json("POST", "/api/v1/auth/login",
                                   {"username": "admin", "password": ADMIN_PW, "token_name": "bench"})
        self.token = tok["token"]
        self.api = Http(self.port, self.token)

    @property
    def pid(self):
        return self.proc.pid

    def client(self):
        return Http(self.port, self.token)

    def metrics(self):
        st, out = Http(self.port, timeout=60).request("GET", "/metrics")
        if st != 200:
            raise RuntimeError("/metrics -> %d" % st)
        return out.decode()

    # setup helpers -------------------------------------------------------------------
    def user(self, name, webhook=None):
        self.api.json("POST", "/api/v1/users", {"username": name, "name": name, "role": "responder",
                                                "password": USER_PW})
        if webhook:
            self.api.json("POST", "/api/v1/users/%s/contact-methods" % name, {"kind": "webhook", "address": webhook})

    def policy(self, name, user, delays):
        return self.api.json("POST", "/api/v1/escalation-policies", {
            "name": name, "repeat": 0,
            "steps": [{"delay_minutes": d, "targets": [{"type": "user", "name": user}]} for d in delays]})["id"]

    def service_with(self, name, policy_id):
        svc = self.api.json("POST", "/api/v1/services", {"name": name})
        self.api.json("PATCH", "/api/v1/services/%d" % svc["id"], {"escalation_policy": policy_id})
        return svc["id"]

    def integration(self, name, service_id):
        i = self.api.json("POST", "/api/v1/integrations", {"name": name, "kind": "prometheus", "service": service_id,
                                                          "group_by": ["alertname"]})
        return "/intake/prometheus/%s/api/v2/alerts" % i["key"]

    def stop(self):
        self.api.close()
        stop_child(self.proc)
        if not os.environ.get("KEEP_DIRS"):
            shutil.rmtree(self.dir, ignore_errors=True)


class Alertmanager:
    def __init__(self, workdir, webhook_url):
        self.dir = tempfile.mkdtemp(prefix="am.", dir=workdir)
        self.port = free_port()
        cfg = os.path.join(self.dir, "am.yml")
        with open(cfg, "w") as f:
            f.write("""route:
  receiver: rx
  group_by: ['alertname']
  group_wait: 0s
  group_interval: 5m
  repeat_interval: 4h
receivers:
  - name: rx
    webhook_configs:
      - url: '%s'
        send_resolved: false
""" % webhook_url)
        self.proc = spawn([AM_BIN, "--config.file=" + cfg, "--storage.path=" + os.path.join(self.dir, "data"),
                           "--web.listen-address=127.0.0.1:%d" % self.port, "--cluster.listen-address=",
                           "--log.level=warn"], os.path.join(self.dir, "log"))
        wait_http(self.port, "/-/ready", 30, self.proc)
        self.path = "/api/v2/alerts"

    @property
    def pid(self):
        return self.proc.pid

    def client(self):
        return Http(self.port)

    def stop(self):
        stop_child(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)


# ---------------------------------------------------------------------------------------
# alerts, metrics
# ---------------------------------------------------------------------------------------

def alert(aid, now):
    return {"labels": {"alertname": aid, "instance": "host-%s:9100" % aid[-4:], "job": "node",
                       "severity": "critical"},
            "annotations": {"summary": aid + " is firing"},
            "startsAt": iso(now), "endsAt": iso(now + 3600), "generatorURL": "http://prometheus.local/graph"}


def alerts_body(ids):
    now = time.time()
    return json.dumps([alert(a, now) for a in ids]).encode()


METRIC_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)$')


def parse_metrics(text):
    out = {}
    for line in text.splitlines():
        if not line or line[0] == "#":
            continue
        m = METRIC_RE.match(line)
        if m:
            out[(m.group(1), m.group(2) or "")] = float(m.group(3))
    return out


def counter(metrics, name, labels):
    return metrics.get((name, labels), 0.0)


def histogram(metrics, name, kind="escalation"):
    """{le: cumulative count} for name{kind=...} (kind None: no labels); plus _sum, _count."""
    buckets = {}
    for (n, labels), v in metrics.items():
        if n == name + "_bucket" and (kind is None or 'kind="%s"' % kind in labels):
            le = re.search(r'le="([^"]+)"', labels).group(1)
            buckets[float("inf") if le == "+Inf" else float(le)] = v
    lab = '{kind="%s"}' % kind if kind is not None else ""
    return {"buckets": buckets, "sum": metrics.get((name + "_sum", lab), 0.0),
            "count": metrics.get((name + "_count", lab), 0.0)}


def hist_diff(a, b):
    return {"buckets": {le: b["buckets"].get(le, 0) - a["buckets"].get(le, 0) for le in b["buckets"]},
            "sum": b["sum"] - a["sum"], "count": b["count"] - a["count"]}


def hist_quantile(h, q):
    """Prometheus-style estimate (linear within the bucket); inf above the last bound."""
    items = sorted(h["buckets"].items())
    total = h["count"] or (items[-1][1] if items else 0)
    if not total:
        return None
    rank = q * total
    prev_le, prev_c = 0.0, 0.0
    for le, c in items:
        if c >= rank:
            if le == float("inf"):
                return float("inf")
            if c == prev_c:
                return le
            return prev_le + (le - prev_le) * (rank - prev_c) / (c - prev_c)
        prev_le, prev_c = le, c
    return float("inf")


def hist_summary(h):
    total = h["count"]
    within = lambda s: (h["buckets"].get(s, 0) / total) if total else None
    q = lambda x: hist_quantile(h, x)
    ms = lambda v: None if v is None else (v if v == float("inf") else round(v * 1000, 2))
    return {"count": int(total), "mean_ms": round(h["sum"] / total * 1000, 2) if total else None,
            "p50_ms": ms(q(0.50)), "p90_ms": ms(q(0.90)), "p99_ms": ms(q(0.99)), "p999_ms": ms(q(0.999)),
            "frac_le_100ms": within(0.1), "frac_le_1s": within(1.0), "frac_le_10s": within(10.0),
            "buckets": {("+Inf" if k == float("inf") else repr(k)): int(v) for k, v in sorted(h["buckets"].items())}}


def pct(sorted_vals, q):
    if not sorted_vals:
        return None
    k = (len(sorted_vals) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(sorted_vals) - 1)
    return sorted_vals[lo] + (sorted_vals[hi] - sorted_vals[lo]) * (k - lo)


# ---------------------------------------------------------------------------------------
# paced sender
# ---------------------------------------------------------------------------------------

# ---------------------------------------------------------------------------------------
# 1. alert -> first page latency
# ---------------------------------------------------------------------------------------

def one_latency_run(target, rx, workdir, run_id, args, lanes):
    """One fresh server; WARMUP + N alerts, one per request, at RATE/s; returns (result, latencies)."""
    rx.reset()
    if target == "am":
        srv = Alertmanager(workdir, rx.url("/am"))
        paths = [srv.path]
    else:
        srv = Klaxon(workdir, name="klaxon-lat")
        paths = []
        for j in range(lanes):  # lane j: user j (webhook /k/j) <- policy j <- service j <- integration j
            u = "bench-u%d" % j
            srv.user(u, webhook=rx.url("/k/%d" % j))
            sid = srv.service_with("bench-s%d" % j, srv.policy("bench-p%d" % j, u, [60]))
            paths.append(srv.integration("bench-i%d" % j, sid))
    try:
        total = args.warmup + args.n
        ids = ["pgb-%s-%06d" % (run_id, i) for i in range(total)]
        path_of = [paths[i % len(paths)] for i in range(total)]  # round robin over the lanes
        cpu0, sch0, t_run = cpu_seconds(srv.pid), sched_snapshot(srv.pid), time.monotonic()
        m_before = parse_metrics(srv.metrics()) if target != "am" else None
        perf = Perf(srv.pid, "latency-%s-%s" % (target, run_id))
        results = paced_send_paths(srv.client, path_of, [[a] for a in ids], args.rate, args.senders)
        deadline = time.monotonic() + args.wait
        while time.monotonic() < deadline:
            arr = rx.arrivals()
            if all(a in arr["first"] for a in ids):
                break
            time.sleep(0.2)
        arr = rx.arrivals()
        perf.stop()
        cpu = cpu_seconds(srv.pid) - cpu0
        threads = sched_diff(sch0, sched_snapshot(srv.pid), time.monotonic() - t_run)
        lat, missing, post_ms, bad = [], 0, [], 0
        for i, a in enumerate(ids):
            if i < args.warmup:
                continue
            ts, st, resp, _wall = results[i]
            post_ms.append(resp * 1000)
            if not (200 <= st < 300):
                bad += 1
            t = arr["first"].get(a)
            if t is None:
                missing += 1
            else:
                lat.append((t[0] - ts) * 1000)
        lat.sort()
        post_ms.sort()
        res = {"target": target, "run": run_id, "n": args.n, "rate": args.rate, "lanes": len(paths),
               "received": len(lat), "missing": missing, "non2xx": bad,
               "deliveries": arr["stats"]["deliveries"],
               "p50_ms": pct(lat, 0.5), "p90_ms": pct(lat, 0.9), "p99_ms": pct(lat, 0.99),
               "max_ms": lat[-1] if lat else None, "min_ms": lat[0] if lat else None,
               "mean_ms": statistics.fmean(lat) if lat else None,
               "post_p50_ms": pct(post_ms, 0.5), "post_p99_ms": pct(post_ms, 0.99),
               "server_cpu_s": round(cpu, 2), "threads": threads, "rss_kb": proc_status(srv.pid, "VmRSS"),
               "loadavg": os.getloadavg()[0]}
        if target != "am":
            m_after = parse_metrics(srv.metrics())
            res["commits"] = commit_summary(m_before, m_after)
            el = hist_summary(hist_diff(lateness(m_before), lateness(m_after)))
            el.pop("buckets")
            res["engine_lateness"] = el
            res["breakdown"] = klaxon_breakdown(srv, ids[args.warmup:], results[args.warmup:], arr["first"])
        return res, lat
    finally:
        srv.stop()


def parse_iso(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp()


def klaxon_breakdown(kx, ids, results, first):
    """Where the time goes, from the event log's timestamps (ms, wall clock):
    send -> incident.declared (in the intake tx) -> escalation.step_fired (in the engine's tx)
    -> receiver arrival. Read after the run, so it does not disturb it."""
    c = kx.client()
    after, events = 0, []
    while True:
        page = c.json("GET", "/api/v1/events?after=%d&limit=200" % after)
        events += page["items"]
        if not page["items"] or len(page["items"]) < 200:
            break
        after = page["items"][-1]["seq"]
    c.close()
    by_inc, name_of = {}, {}
    for e in events:
        if e["incident_id"] is None:
            continue
        by_inc.setdefault(e["incident_id"], {}).setdefault(e["kind"], parse_iso(e["at"]))
        if e["kind"] == "alert.fired":
            name_of[e["data"].get("alertname")] = e["incident_id"]
    seg = {"send_to_declared": [], "declared_to_step_fired": [], "step_fired_to_arrival": [],
           "arrival_to_delivered_event": []}
    for a, r in zip(ids, results):
        inc = by_inc.get(name_of.get(a))
        if not inc or a not in first or "incident.declared" not in inc or "escalation.step_fired" not in inc:
            continue
        wall_send, wall_arr = r[3], first[a][1]
        seg["send_to_declared"].append((inc["incident.declared"] - wall_send) * 1000)
        seg["declared_to_step_fired"].append((inc["escalation.step_fired"] - inc["incident.declared"]) * 1000)
        seg["step_fired_to_arrival"].append((wall_arr - inc["escalation.step_fired"]) * 1000)
        if "notification.delivered" in inc:
            seg["arrival_to_delivered_event"].append((inc["notification.delivered"] - wall_arr) * 1000)
    out = {}
    for k, v in seg.items():
        v.sort()
        out[k] = {"p50_ms": pct(v, 0.5), "p99_ms": pct(v, 0.99), "n": len(v)}
    return out


def paced_send_paths(make_client, path_of, batches, rate_per_s, threads):
    n = len(batches)
    out = [None] * n
    nxt = [0]
    lock = threading.Lock()
    t0 = time.monotonic() + 0.3
    errors = []

    def worker():
        c = make_client()
        try:
            while True:
                with lock:
                    i = nxt[0]
                    nxt[0] += 1
                if i >= n:
                    return
                body = alerts_body(batches[i])
                delay = t0 + i / rate_per_s - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                ts, wall = time.monotonic(), time.time()
                try:
                    st, _ = c.request("POST", path_of[i], raw=body)
                except Exception as e:  # noqa: BLE001
                    st = 0
                    errors.append(repr(e))
                out[i] = (ts, st, time.monotonic() - ts, wall)
        finally:
            c.close()

    ths = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    if errors:
        log("send errors: %d, first: %s" % (len(errors), errors[0]))
    return out


def latency_main(args):
    os.makedirs(args.out, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="klaxon-paging.")
    rx = ReceiverProc(workdir)
    runs_path = os.path.join(args.out, "latency.jsonl")
    try:
        seq = 0
        plan = []
        for rep in range(1, args.reps + 1):
            for target in args.targets.split():
                plan.append((target, rep, args.lanes))
        if args.single_n > 0:
            plan.append(("klaxon-1addr", 1, 1))
        for target, rep, lanes in plan:
            seq += 1
            run_id = "r%d" % seq
            a = args
            if target == "klaxon-1addr":
                a = argparse.Namespace(**vars(args))
                a.n = args.single_n
                a.wait = max(args.wait, args.single_n / 4 + 30)
            log("latency %s rep %d (%d alerts at %g/s, %d address%s)" % (
                target, rep, a.n, a.rate, lanes if target != "am" else 1, "es" if lanes > 1 else ""))
            res, lat = one_latency_run("am" if target == "am" else "klaxon", rx, workdir, run_id, a, lanes)
            res["target"] = target
            res["rep"] = rep
            with open(runs_path, "a") as f:
                f.write(json.dumps(res) + "\n")
            with open(os.path.join(args.out, "latency-%s-%s-%d.txt" % (run_id, target, rep)), "w") as f:
                f.write("\n".join("%.3f" % x for x in lat) + "\n")
            log("  p50 %.1f ms  p90 %.1f ms  p99 %.1f ms  max %.1f ms  missing %d  (POST p50 %.1f / p99 %.1f ms)" % (
                res["p50_ms"] or -1, res["p90_ms"] or -1, res["p99_ms"] or -1, res["max_ms"] or -1,
                res["missing"], res["post_p50_ms"] or -1, res["post_p99_ms"] or -1))
    finally:
        rx.stop()
        shutil.rmtree(workdir, ignore_errors=True)


# ---------------------------------------------------------------------------------------
# 2. engine timers at N pending escalations
# ---------------------------------------------------------------------------------------

def load_incidents(kx, path, ids, batch, rate, threads):
    """Bulk intake of `ids` (one incident each) in requests of `batch`, paced to `rate` alerts/s
    (0 = as fast as `threads` connections go). Returns seconds taken and non-2xx count."""
    batches = [ids[i:i + batch] for i in range(0, len(ids), batch)]
    req_rate = (rate / batch) if rate > 0 else 1e9
    t = time.monotonic()
    res = paced_send_paths(kx.client, [path] * len(batches), batches, req_rate, threads)
    bad = sum(1 for r in res if not (200 <= r[1] < 300))
    return time.monotonic() - t, bad


def step_fired(kx):
    m = parse_metrics(kx.metrics())
    return counter(m, "klaxon_events_appended_total", '{kind="escalation.step_fired"}'), m


class Sampler:
    """Samples RSS and CPU of the server every `every` s (from /proc, no HTTP) in a thread."""

    def __init__(self, kx, every=1.0):
        self.kx, self.every = kx, every
        self.samples = []
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self):
        while not self._stop.is_set():
            self.samples.append({"t": time.monotonic(), "rss_kb": proc_status(self.kx.pid, "VmRSS"),
                                 "cpu_s": cpu_seconds(self.kx.pid), "load1": os.getloadavg()[0]})
            self._stop.wait(self.every)

    def stop(self):
        self._stop.set()
        self._t.join()
        return self.samples


def wait_fired(kx, target, timeout, every=0.5, curve=None):
    t0 = time.monotonic()
    while True:
        fired, m = step_fired(kx)
        if curve is not None:
            curve.append((time.monotonic(), fired))
        if fired >= target:
            return time.monotonic() - t0, fired, m
        if time.monotonic() - t0 > timeout:
            return None, fired, m
        time.sleep(every)


def lateness(m):
    return histogram(m, "klaxon_engine_timer_lateness_seconds")


def commits(m):
    h = histogram(m, "klaxon_store_commit_duration_seconds", None)
    h["commands"] = counter(m, "klaxon_store_commands_total", "")
    return h


def commit_summary(a, b):
    """Write transactions (group commits) between two /metrics snapshots."""
    d = hist_diff(commits(a), commits(b))
    s = hist_summary(d)
    s.pop("buckets")
    s["commands_per_commit"] = round((commits(b)["commands"] - commits(a)["commands"]) / d["count"], 1) if d["count"] else None
    return s


def timers_system_main(args):
    os.makedirs(args.out, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="klaxon-paging.")
    rx = ReceiverProc(workdir) if args.target == "webhook" else None
    res = {"n_pending": args.n_pending, "wave_delay_min": args.wave_delay, "load_rate": args.load_rate,
           "load_batch": args.load_batch, "probe_rate": args.probe_rate, "target": args.target}
    kx = Klaxon(workdir, name="klaxon-timers")
    try:
        kx.user("bench-t", webhook=rx.url("/t") if rx else None)
        # Step 2's own delay is 60 min so that nothing after step 2 comes due during the run
        # (since 6b0309b the policy ends with an "exhausted" timer one last-step delay later).
        p_bulk = kx.policy("bulk", "bench-t", [args.wave_delay, 60])
        p_probe = kx.policy("probe", "bench-t", [1, 60])
        bulk_path = kx.integration("bulk", kx.service_with("bulk", p_bulk))
        probe_path = kx.integration("probe", kx.service_with("probe", p_probe))
        time.sleep(1)
        res["rss_idle_kb"] = proc_status(kx.pid, "VmRSS")
        N = args.n_pending
        ids = ["pgb-bulk-%06d" % i for i in range(N)]
        sampler = Sampler(kx, 1.0)
        _, m0 = step_fired(kx)
        h0 = lateness(m0)
        log("timers/system: loading %d incidents (%d per request, paced %s alerts/s)" % (
            N, args.load_batch, args.load_rate or "unpaced"))
        t_load = time.monotonic()
        load_s, bad = load_incidents(kx, bulk_path, ids, args.load_batch, args.load_rate, 2)
        settle_s, fired, m1 = wait_fired(kx, N, args.settle_max)
        res.update(load_seconds=round(load_s, 1), load_non2xx=bad, load_incidents_per_s=round(N / load_s),
                   step1_settle_after_load_s=None if settle_s is None else round(settle_s, 1),
                   step1_fired=fired)
        log("  loaded in %.1f s (%d/s), step 1 fired for all %.1f s later (fired %d)" % (
            load_s, N / load_s, settle_s or -1, fired))
        res["step1_lateness_during_load"] = hist_summary(hist_diff(h0, lateness(m1)))
        res["commits_during_load"] = commit_summary(m0, m1)
        time.sleep(2)
        res["rss_pending_kb"] = proc_status(kx.pid, "VmRSS")
        res["hwm_after_load_kb"] = proc_status(kx.pid, "VmHWM")
        res["disk_pending_kb"] = du_kb(kx.data)
        # what one scrape of /metrics costs now (it counts the open incidents by severity)
        ts_ = []
        for _ in range(3):
            t_ = time.monotonic()
            kx.metrics()
            ts_.append((time.monotonic() - t_) * 1000)
        res["metrics_scrape_ms"] = round(statistics.median(ts_), 1)
        log("  RSS with %d pending: %d kB (idle %d kB, peak %d kB), disk %d kB" % (
            N, res["rss_pending_kb"], res["rss_idle_kb"], res["hwm_after_load_kb"], res["disk_pending_kb"]))

        # steady phase: a light stream of probe escalations whose step-2 timers come due while
        # N bulk timers are pending (their own step 1 fires at creation, outside the window)
        wave_at = t_load + args.wave_delay * 60  # the first bulk step-2 timer is due about then
        now = time.monotonic()
        window = min(args.probe_seconds, 50, wave_at - now - 60 - 20)
        if window >= 5:
            P = int(window * args.probe_rate)
            pids = ["pgb-probe-%06d" % i for i in range(P)]
            log("  probes: %d escalations at %g/s while %d are pending" % (P, args.probe_rate, N))
            t_probe = time.monotonic()
            load_incidents(kx, probe_path, pids, 1, args.probe_rate, 2)
            ok, fired, m2 = wait_fired(kx, N + P, 20, 0.2)
            hp0 = lateness(m2)  # before the first probe's step 2 is due (60 s after its step 1)
            res["probe_step1_lateness"] = hist_summary(hist_diff(lateness(m1), hp0))
            time.sleep(max(0.0, t_probe + 60 + window - time.monotonic()))
            ok, fired, m3 = wait_fired(kx, N + 2 * P, 30, 1.0)
            res["probe_step2_lateness"] = hist_summary(hist_diff(hp0, lateness(m3)))
            res["commits_during_probe_step2"] = commit_summary(m2, m3)
            res["probes"] = P
            res["probe_window_s"] = round(window, 1)
            res["probe_step2_all_fired"] = ok is not None
            log("  probe step-2 lateness at %d pending: %s" % (N, short(res["probe_step2_lateness"])))
        else:
            P = 0
            m3 = m1
            log("  probes skipped: the bulk wave is due too soon (%.0f s)" % (wave_at - now))
            res["probes"] = 0

        # the wave: N bulk step-2 timers come due, spread like their step 1 fired
        wait = wave_at - time.monotonic() - 5
        if wait > 0:
            log("  waiting %.0f s for the wave of %d step-2 timers" % (wait, N))
            time.sleep(wait)
        _, m4 = step_fired(kx)
        hw0 = lateness(m4)
        cpu_w0, t_w0, sch0 = cpu_seconds(kx.pid), time.monotonic(), sched_snapshot(kx.pid)
        curve = []
        perf = Perf(kx.pid, "wave")
        # poll every 3 s only: a scrape of /metrics costs tens of ms of CPU at this size
        ok, fired, m5 = wait_fired(kx, 2 * N + 2 * P, load_s + (settle_s or 300) + 240, 3.0, curve)
        cpu_w1, t_w1 = cpu_seconds(kx.pid), time.monotonic()
        res["wave_threads"] = sched_diff(sch0, sched_snapshot(kx.pid), t_w1 - t_w0)
        perf.stop()
        # the first bulk step-2 timer was due about wave_at (the load started then, minus delay)
        res["wave_spread_s"] = round(load_s + (settle_s or 0), 1)
        res["wave_all_fired_after_s"] = None if ok is None else round(t_w1 - wave_at, 1)
        res["wave_fired"] = fired - (N + 2 * P)
        res["wave_lateness"] = hist_summary(hist_diff(hw0, lateness(m5)))
        res["commits_during_wave"] = commit_summary(m4, m5)
        res["wave_cpu_cores"] = round((cpu_w1 - cpu_w0) / max(t_w1 - t_w0, 1e-9), 2)
        samples = sampler.stop()
        res["rss_after_wave_kb"] = proc_status(kx.pid, "VmRSS")
        res["hwm_kb"] = proc_status(kx.pid, "VmHWM")
        res["cpu_s_total"] = round(cpu_seconds(kx.pid), 1)
        rates = [(b[1] - a[1]) / (b[0] - a[0]) for a, b in zip(curve, curve[1:]) if b[0] > a[0]]
        res["wave_peak_fire_rate"] = round(max(rates)) if rates else None
        res["load1_max"] = max(s["load1"] for s in samples)
        res["load1_mean"] = round(statistics.fmean(s["load1"] for s in samples), 1)
        log("  wave: %d fired (due over ~%.0f s), all fired %.1f s after the first was due; lateness %s" % (
            res["wave_fired"], res["wave_spread_s"], res["wave_all_fired_after_s"] or -1, short(res["wave_lateness"])))
        with open(os.path.join(args.out, "timers-system-samples.jsonl"), "w") as f:
            for s in samples:
                f.write(json.dumps(s) + "\n")
            for t, n in curve:
                f.write(json.dumps({"t": t, "wave_fired_total": n}) + "\n")
        if args.keep_log:
            shutil.copy(kx.log, os.path.join(args.out, "klaxon-timers-system.log"))
    finally:
        kx.stop()
        if rx:
            rx.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    with open(os.path.join(args.out, "timers-system.json"), "w") as f:
        json.dump(res, f, indent=1)


def short(s):
    return "n=%d p50 %s ms p99 %s ms, %.1f%% <= 100 ms" % (
        s["count"], s["p50_ms"], s["p99_ms"], 100 * (s["frac_le_100ms"] or 0))


def timers_manual_main(args):
    os.makedirs(args.out, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="klaxon-paging.")
    res = {"n_pending": args.n_pending, "waves": args.waves}
    kx = Klaxon(workdir, clock="manual", name="klaxon-manual")
    try:
        kx.user("bench-t")
        path = kx.integration("bulk", kx.service_with("bulk", kx.policy("bulk", "bench-t", [10, 60])))
        N, W = args.n_pending, args.waves
        per = N // W
        res["rss_idle_kb"] = proc_status(kx.pid, "VmRSS")
        log("timers/manual: loading %d incidents in %d chunks, the clock +1 s between chunks" % (per * W, W))
        t = time.monotonic()
        for w in range(W):
            ids = ["pgb-man%d-%06d" % (w, i) for i in range(per)]
            load_incidents(kx, path, ids, args.load_batch, 0, 2)
            ok, fired, _ = wait_fired(kx, per * (w + 1), args.settle_max, 0.2)
            if ok is None:
                raise RuntimeError("step 1 did not fire for chunk %d (fired %d)" % (w, fired))
            kx.api.json("POST", "/api/v1/admin/clock/advance", {"seconds": 1})
        res["load_seconds"] = round(time.monotonic() - t, 1)
        time.sleep(2)
        res["rss_pending_kb"] = proc_status(kx.pid, "VmRSS")
        _, m = step_fired(kx)
        h0 = lateness(m)
        # chunk k's step-2 timers are due at T0 + k + 600 s; now = T0 + W
        kx.api.json("POST", "/api/v1/admin/clock/advance", {"seconds": 600 - W - 1})
        waves = []
        for w in range(W):
            t = time.monotonic()
            kx.api.json("POST", "/api/v1/admin/clock/advance", {"seconds": 1})
            ok, fired, m = wait_fired(kx, per * (W + w + 1), 120, 0.05)
            dt = time.monotonic() - t
            waves.append(round(dt, 2))
            log("  wave %d: %d timers due at once, all handled after %.2f s (%.0f/s)" % (w + 1, per, dt, per / dt))
        res["wave_seconds"] = waves
        res["wave_size"] = per
        res["timers_per_s_median"] = round(per / statistics.median(waves))
        res["lateness_manual"] = hist_summary(hist_diff(h0, lateness(m)))
        res["rss_after_kb"] = proc_status(kx.pid, "VmRSS")
        res["hwm_kb"] = proc_status(kx.pid, "VmHWM")
    finally:
        kx.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    with open(os.path.join(args.out, "timers-manual.json"), "w") as f:
        json.dump(res, f, indent=1)


def main():
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("receiver")
    a = sub.add_parser("latency")
    a.add_argument("--out", required=True)
    a.add_argument("--n", type=int, default=1000)
    a.add_argument("--warmup", type=int, default=20)
    a.add_argument("--rate", type=float, default=50)
    a.add_argument("--reps", type=int, default=3)
    a.add_argument("--lanes", type=int, default=20)
    a.add_argument("--senders", type=int, default=4)
    a.add_argument("--wait", type=float, default=30)
    a.add_argument("--single-n", type=int, default=100)
    a.add_argument("--targets", default="am klaxon")
    t = sub.add_parser("timers-system")
    t.add_argument("--out", required=True)
    t.add_argument("--n-pending", type=int, default=100000)
    t.add_argument("--wave-delay", type=int, default=4)
    t.add_argument("--load-rate", type=float, default=1000)
    t.add_argument("--load-batch", type=int, default=250)
    t.add_argument("--probe-rate", type=float, default=20)
    t.add_argument("--probe-seconds", type=float, default=30)
    t.add_argument("--settle-max", type=float, default=300)
    t.add_argument("--target", choices=["user", "webhook"], default="user")
    t.add_argument("--keep-log", action="store_true")
    m = sub.add_parser("timers-manual")
    m.add_argument("--out", required=True)
    m.add_argument("--n-pending", type=int, default=100000)
    m.add_argument("--waves", type=int, default=10)
    m.add_argument("--load-batch", type=int, default=1000)
    m.add_argument("--settle-max", type=float, default=300)
    args = ap.parse_args()
    {"receiver": receiver_main, "latency": latency_main, "timers-system": timers_system_main,
     "timers-manual": timers_manual_main}[args.cmd](args)


if __name__ == "__main__":
    main()
