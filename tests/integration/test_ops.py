"""Operating the server: health and readiness, Prometheus metrics, graceful shutdown
with requests in flight, flag/env parsing, the manual clock, --db, and the
server-sent event stream with replay."""

import http.client
import json
import os
import tempfile
import re
import subprocess
import threading
import time
import unittest

from harness import (KLAXON_BIN, Client, Server, child_env, free_port, login_token, parse_time,
                     sse_connect, sse_messages, start_server)

API = "/api/v1"
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[^"}]|"(?:[^"\\]|\\.)*")*\})? '
                    r'(-?[0-9.eE+\-]+|NaN|[+-]Inf)( -?\d+)?$')


def parse_metrics(text):
    """Prometheus text format -> {name: [(labels, value)]}; asserts every line parses."""
    samples = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            if line.startswith("# TYPE"):
                parts = line.split()
                assert len(parts) == 4 and parts[3] in ("counter", "gauge", "histogram", "summary", "untyped"), line
            continue
        m = SAMPLE.match(line)
        assert m, "not a Prometheus sample line: %r" % line
        samples.setdefault(m.group(1), []).append((m.group(2) or "", float(m.group(3))))
    return samples


class TestHealthAndMetrics(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = start_server(cls, cls=True)
        cls.c = Client(cls.server, token=login_token(cls.server, "admin"))

    def test_healthz_readyz_without_auth(self):
        r = Client(self.server).get("/healthz")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body.strip() if isinstance(r.body, str) else r.body, "ok")
        r = Client(self.server).get("/readyz")
        self.assertEqual(r.status, 200, r)

    def test_web_console_is_served(self):
        for path in ("/", "/ui/incidents"):
            r = Client(self.server).get(path, headers={"Accept": "text/html"})
            self.assertEqual(r.status, 200, "%s: %r" % (path, r))
            self.assertEqual(r.content_type, "text/html", path)
            self.assertIn("<html", r.body.lower())

    def test_metrics(self):
        a = self.c.declare("metrics a")
        self.c.declare("metrics b")
        self.c.post("%s/incidents/%d/resolve" % (API, a["id"]), {})
        self.c.get(API + "/incidents")
        r = Client(self.server).get("/metrics")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.content_type, "text/plain")
        text = r.body
        for name in ("klaxon_http_requests_total", "klaxon_http_request_duration_seconds_bucket",
                     "klaxon_store_commit_duration_seconds", "klaxon_incidents_open",
                     "klaxon_events_appended_total"):
            self.assertIn(name, text, "metric %s missing" % name)
        samples = parse_metrics(text)
        open_now = len(self.c.list_all(API + "/incidents", {"status": "open"}))
        self.assertEqual(sum(v for _, v in samples["klaxon_incidents_open"]), open_now)
        self.assertGreaterEqual(sum(v for _, v in samples["klaxon_http_requests_total"]), 4)
        n_events = self.c.get(API + "/events", params={"limit": 200}).body["items"]
        self.assertGreaterEqual(sum(v for _, v in samples["klaxon_events_appended_total"]), len(n_events))
        buckets = samples["klaxon_http_request_duration_seconds_bucket"]
        self.assertTrue(any('le="+Inf"' in labels for labels, _ in buckets), "histogram lacks +Inf bucket")
        commit = [k for k in samples if k.startswith("klaxon_store_commit_duration_seconds")]
        self.assertTrue(commit)
        # counters grow
        before = sum(v for _, v in samples["klaxon_http_requests_total"])
        for _ in range(3):
            self.c.get(API + "/severities")
        after = sum(v for _, v in parse_metrics(Client(self.server).get("/metrics").body)["klaxon_http_requests_total"])
        self.assertGreaterEqual(after, before + 3)


class TestAccessLog(unittest.TestCase):
    """Accepted alert deliveries are counted, not logged at info (an alert storm would
    write thousands of lines a second); refused ones are logged; --log-level debug logs
    both. The integration's secret key is never in the log either way."""

    def intake_lines(self, server):
        lines = []
        with open(server.log_path, "rb") as f:
            for raw in f.read().decode(errors="replace").splitlines():
                try:
                    line = json.loads(raw)
                except ValueError:
                    continue
                if line.get("msg") == "request" and str(line.get("path", "")).startswith("/intake/"):
                    lines.append(line)
        return lines

    def deliver(self, server):
        admin = Client(server, token=login_token(server, "admin"))
        prom = admin.post(API + "/integrations", {"name": "logged", "kind": "prometheus"}).body
        path = "/intake/prometheus/%s/api/v2/alerts" % prom["key"]
        alert = [{"labels": {"alertname": "Logged", "instance": "a"}, "annotations": {"summary": "x"}}]
        for _ in range(3):
            self.assertEqual(admin.request("POST", path, raw=json.dumps(alert), auth=False).status, 200)
        self.assertEqual(admin.request("POST", path, raw="[{", auth=False).status, 400)
        # The request line is written after the answer: wait for the refused one.
        deadline = time.time() + 10
        while time.time() < deadline and not any(l["status"] == 400 for l in self.intake_lines(server)):
            time.sleep(0.05)
        metrics = parse_metrics(Client(server).get("/metrics").body)["klaxon_http_requests_total"]
        accepted = sum(v for labels, v in metrics if "/intake/prometheus/" in labels and 'status="200"' in labels)
        self.assertEqual(accepted, 3, metrics)
        with open(server.log_path, "rb") as f:
            self.assertNotIn(prom["key"].encode(), f.read(), "the secret key is in the log")

    def test_accepted_alerts_are_counted_not_logged_at_info(self):
        server = start_server(self)
        self.deliver(server)
        self.assertEqual([l["status"] for l in self.intake_lines(server)], [400])
        self.assertEqual(self.intake_lines(server)[0]["level"], "info")

    def test_debug_level_logs_every_delivery(self):
        server = start_server(self, extra_args=["--log-level", "debug"])
        self.deliver(server)
        statuses = [l["status"] for l in self.intake_lines(server)]
        self.assertEqual(sorted(statuses), [200, 200, 200, 400], statuses)
        self.assertTrue(all(l["path"] == "/intake/prometheus/{key}/api/v2/alerts" for l in self.intake_lines(server)))


class TestHandlerThreads(unittest.TestCase):
    """--threads sets the HTTP I/O threads; the API's handlers run on the klaxon-api pool,
    so one HTTP thread serves intake, the console's API and /metrics side by side."""

    def thread_names(self, server):
        names = []
        task_dir = "/proc/%d/task" % server.proc.pid
        for tid in os.listdir(task_dir):
            try:
                with open(os.path.join(task_dir, tid, "comm")) as f:
                    names.append(f.read().strip())
            except OSError:
                pass
        return names

    def test_one_http_thread_serves_api_and_intake_at_once(self):
        server = start_server(self, extra_args=["--threads", "1"])
        names = self.thread_names(server)
        self.assertEqual(names.count("klaxon-http"), 1, names)
        self.assertGreaterEqual(names.count("klaxon-api"), 2, names)
        token = login_token(server, "admin")
        admin = Client(server, token=token)
        prom = admin.post(API + "/integrations", {"name": "threads", "kind": "prometheus"}).body
        path = "/intake/prometheus/%s/api/v2/alerts" % prom["key"]
        statuses, errors = [], []

        def api_client(i):
            try:
                c = Client(server, token=token)
                for _ in range(5):
                    statuses.append(("api", c.get(API + "/incidents").status))
                    statuses.append(("metrics", Client(server).get("/metrics").status))
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(repr(e))

        def intake_client(i):
            try:
                c = Client(server)
                for k in range(5):
                    alert = [{"labels": {"alertname": "Threads%d" % i, "instance": str(k)}}]
                    statuses.append(("intake", c.request("POST", path, raw=json.dumps(alert), auth=False).status))
            except Exception as e:  # noqa: BLE001
                errors.append(repr(e))

        threads = [threading.Thread(target=api_client, args=(i,)) for i in range(8)]
        threads += [threading.Thread(target=intake_client, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(errors, [])
        self.assertEqual(len(statuses), 8 * 10 + 8 * 5)
        self.assertTrue(all(st == 200 for _, st in statuses), statuses)
        # Every alert made its incident (one group per alertname).
        incidents = admin.list_all(API + "/incidents")
        self.assertEqual(len([i for i in incidents if i["title"].startswith("Threads")]), 8)


class TestGracefulShutdown(unittest.TestCase):
    def test_sigterm_with_requests_in_flight(self):
        server = start_server(self)
        token = login_token(server, "responder")
        acked, errors = [], []
        lock = threading.Lock()
        stop = threading.Event()
        started = threading.Barrier(21)

        def worker(n):
            c = Client(server.url, token=token, timeout=10)
            started.wait()
            i = 0
            deadline = time.monotonic() + 15
            while not stop.is_set() and time.monotonic() < deadline:
                title = "inflight-%d-%d" % (n, i)
                i += 1
                try:
                    r = c.post(API + "/incidents", {"title": title})
                except (OSError, http.client.HTTPException):
                    return  # the server went away: this request's outcome is unknown
                if r.status == 201:
                    with lock:
                        acked.append((r.body["id"], title))
                elif r.status == 503:
                    return  # draining: refused, not written
                else:
                    with lock:
                        errors.append("%s: %r" % (title, r))
                    return

        threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(20)]
        for t in threads:
            t.start()
        started.wait()
        time.sleep(0.5)
        t0 = time.monotonic()
        code = server.stop(check=False, timeout=40)
        drain_seconds = time.monotonic() - t0
        stop.set()
        for t in threads:
            t.join(20)
        self.assertEqual(code, 0, "exit code after SIGTERM with requests in flight\n" + server.log_tail())
        self.assertEqual(errors, [])
        self.assertGreater(len(acked), 0, "no request succeeded before SIGTERM")
        server.start()
        c = Client(server, token=token)
        stored = {i["id"]: i["title"] for i in c.list_all(API + "/incidents")}
        missing = [(i, t) for i, t in acked if stored.get(i) != t]
        self.assertEqual(missing, [], "acknowledged (201) incidents lost after SIGTERM")
        self.assertEqual(len({i for i, _ in acked}), len(acked), "duplicate ids handed out")
        # requests take milliseconds; draining them must not wait for a timeout
        self.assertLess(drain_seconds, 10, "SIGTERM took %.1f s to drain millisecond requests" % drain_seconds)


class TestFlags(unittest.TestCase):
    def run_serve(self, *args, env=None):
        try:
            return subprocess.run([KLAXON_BIN, "serve"] + list(args), capture_output=True, text=True,
                                  timeout=15, env=child_env(env), stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            self.fail("klaxon serve %s kept running; expected it to refuse the arguments" % " ".join(args))

    def base(self):
        d = self.enterContext(tempfile.TemporaryDirectory())
        return ["--listen", "127.0.0.1:%d" % free_port(), "--data", d, "--admin-password", "pw-pw-pw-123"]

    def test_unknown_flag(self):
        p = self.run_serve(*(self.base() + ["--no-such-flag", "1"]))
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("no-such-flag", p.stderr)

    def test_bad_values(self):
        for flag, value in (("--max-body", "lots"), ("--clock", "sundial"), ("--listen", "not-an-address"),
                            ("--db", "oracle:whatever")):
            args = self.base()
            if flag in args:
                i = args.index(flag)
                args[i + 1] = value
            else:
                args += [flag, value]
            with self.subTest(flag=flag):
                p = self.run_serve(*args)
                self.assertNotEqual(p.returncode, 0, "%s %s accepted" % (flag, value))
                self.assertTrue(p.stderr.strip(), "no message on stderr for %s %s" % (flag, value))
                self.assertIn(flag.lstrip("-"), p.stderr, "stderr should name %s: %r" % (flag, p.stderr))

    def test_flags_from_environment(self):
        server = Server(name=self.id(), use_env=True, clock="manual", max_body=2048)
        self.addCleanup(server.close)
        server.start()
        c = Client(server, token=login_token(server, "admin"))
        self.assertEqual(c.get(API + "/admin/clock").body["mode"], "manual", "KLAXON_CLOCK ignored")
        r = c.post(API + "/incidents", {"title": "x", "description": "d" * 3000})
        self.assertEqual(r.status, 413, "KLAXON_MAX_BODY ignored: %r" % r)
        server.stop()

    def test_bad_env_value(self):
        args = self.base()
        p = self.run_serve(*args, env={"KLAXON_MAX_BODY": "lots"})
        self.assertNotEqual(p.returncode, 0)
        self.assertTrue(p.stderr.strip())

    def test_one_server_per_database(self):
        # Intake's index of stored alerts lives in the server's memory: a second server on
        # the same database would write alerts the first one does not know of.
        server = start_server(self)
        args = ["--listen", "127.0.0.1:%d" % free_port(), "--data", server.data_dir,
                "--admin-password", "pw-pw-pw-123"]
        p = self.run_serve(*args)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("another klaxon serve is using this database", p.stderr)
        self.assertIn(server.data_dir, p.stderr)
        self.assertEqual(Client(server).get("/healthz").status, 200, "the first server was disturbed")
        # Another data directory with --db naming the same database: refused too.
        other = self.enterContext(tempfile.TemporaryDirectory())
        p = self.run_serve("--listen", "127.0.0.1:%d" % free_port(), "--data", other,
                           "--db", "sqlite:" + os.path.join(server.data_dir, "klaxon.db"),
                           "--admin-password", "pw-pw-pw-123")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("another klaxon serve is using this database", p.stderr)
        server.kill()  # the lock goes with the process, however it ends
        server.start()
        self.assertEqual(Client(server).get("/healthz").status, 200)
        server.stop()

    def test_db_flag(self):
        d = self.enterContext(tempfile.TemporaryDirectory())
        db = os.path.join(d, "elsewhere", "klaxon.db")
        os.makedirs(os.path.dirname(db))
        server = start_server(self, extra_args=["--db", "sqlite:" + db])
        c = Client(server, token=login_token(server, "admin"))
        inc = c.declare("stored elsewhere")
        self.assertTrue(os.path.exists(db), "--db sqlite:%s did not create the store there" % db)
        server.stop()
        server.start()
        self.assertEqual(c.get("%s/incidents/%d" % (API, inc["id"])).status, 200)
        server.stop()


class TestManualClock(unittest.TestCase):
    def test_advance(self):
        server = start_server(self, clock="manual")
        c = Client(server, token=login_token(server, "admin"))
        r = c.get(API + "/admin/clock")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body["mode"], "manual")
        t0 = parse_time(r.body["now"])
        r = c.post(API + "/admin/clock/advance", {"seconds": 3600})
        self.assertEqual(r.status, 200, r)
        t1 = parse_time(r.body["now"])
        self.assertAlmostEqual(t1 - t0, 3600, delta=5)
        r = c.get(API + "/admin/clock")
        self.assertAlmostEqual(parse_time(r.body["now"]), t1, delta=5)
        inc = c.declare("at manual time")
        self.assertGreaterEqual(parse_time(inc["created_at"]), t1)
        self.assertLess(parse_time(inc["created_at"]), t1 + 5)
        r = c.post(API + "/admin/clock/advance", {"seconds": 86400})
        self.assertEqual(r.status, 200)
        ack = c.post("%s/incidents/%d/acknowledge" % (API, inc["id"]), {}).body
        self.assertGreaterEqual(parse_time(ack["acknowledged_at"]) - parse_time(inc["created_at"]), 86400)
        r = c.post(API + "/admin/clock/advance", {"seconds": "soon"})
        self.assertEqual(r.status, 422, r)
        self.assertEqual(Client(server, token=login_token(server, "responder"))
                         .post(API + "/admin/clock/advance", {"seconds": 1}).status, 403)

    def test_system_clock_refuses_advance(self):
        server = start_server(self)
        c = Client(server, token=login_token(server, "admin"))
        r = c.get(API + "/admin/clock")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body["mode"], "system")
        self.assertAlmostEqual(parse_time(r.body["now"]), time.time(), delta=60)
        r = c.post(API + "/admin/clock/advance", {"seconds": 60})
        self.assertEqual(r.status, 409, r)
        self.assertEqual(r.content_type, "application/problem+json")


class TestEventStream(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = start_server(cls, cls=True)
        cls.token = login_token(cls.server, "viewer")
        cls.c = Client(cls.server, token=login_token(cls.server, "responder"))

    def open(self, **kw):
        conn, resp = sse_connect(self.server, self.token, **kw)
        self.addCleanup(conn.close)
        self.assertEqual(resp.status, 200, resp.read(2000) if resp.status != 200 else "")
        self.assertEqual(resp.getheader("Content-Type", "").split(";")[0].strip(), "text/event-stream")
        return resp

    def wait_for(self, resp, pred, seconds=5):
        seen = []
        for msg in sse_messages(resp, time.monotonic() + seconds):
            self.assertIn("id", msg, msg)
            self.assertIn("event", msg, msg)
            ev = json.loads(msg["data"])
            self.assertEqual(str(ev["seq"]), msg["id"])
            self.assertEqual(ev["kind"], msg["event"])
            seen.append(ev)
            if pred(ev):
                return ev, seen
        self.fail("event not received within %d s; got %s" % (seconds, [(e["seq"], e["kind"]) for e in seen]))

    def test_live_and_replay(self):
        resp = self.open()  # once the headers are in, the subscription is live
        a = self.c.declare("sse a")
        ev, _ = self.wait_for(resp, lambda e: e["kind"] == "incident.declared" and e["incident_id"] == a["id"])
        self.assertIsInstance(ev["actor"], dict)
        declared_seq = ev["seq"]
        resp.close()

        # while nobody listens: two more events
        self.assertEqual(self.c.post("%s/incidents/%d/acknowledge" % (API, a["id"]), {}).status, 200)
        self.assertEqual(self.c.post("%s/incidents/%d/notes" % (API, a["id"]), {"text": "replayed"}).status, 201)

        # reconnect with Last-Event-ID: only later events, starting with the ack
        resp = self.open(last_event_id=declared_seq)
        ev, seen = self.wait_for(resp, lambda e: e["kind"] != "incident.acknowledged"
                                 and e["incident_id"] == a["id"] and "replayed" in json.dumps(e["data"]))
        self.assertTrue(all(e["seq"] > declared_seq for e in seen), "replayed an event at or before Last-Event-ID")
        self.assertEqual(seen[0]["kind"], "incident.acknowledged")
        seqs = [e["seq"] for e in seen]
        self.assertEqual(seqs, sorted(seqs))
        self.assertEqual(len(seqs), len(set(seqs)))
        # then live events follow on the same connection
        b = self.c.declare("sse b")
        ev, seen2 = self.wait_for(resp, lambda e: e["kind"] == "incident.declared" and e["incident_id"] == b["id"])
        self.assertTrue(all(e["seq"] > seqs[-1] for e in seen2))
        resp.close()

        # ?after= works like Last-Event-ID
        resp = self.open(params={"after": declared_seq})
        ev, seen = self.wait_for(resp, lambda e: e["incident_id"] == b["id"])
        self.assertTrue(all(e["seq"] > declared_seq for e in seen))
        self.assertEqual(seen[0]["kind"], "incident.acknowledged")

    def test_stream_requires_auth(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=5)
        self.addCleanup(conn.close)
        conn.request("GET", API + "/events/stream", headers={"Accept": "text/event-stream"})
        self.assertEqual(conn.getresponse().status, 401)


if __name__ == "__main__":
    unittest.main()
