"""Real peers: Debian 12's Prometheus 2.42 and Alertmanager 0.25 talking to the real klaxon.

Each test starts its own klaxon, Prometheus and (for the webhook path) Alertmanager on free
127.0.0.1 ports with temporary data/config folders, lets an always-firing rule (`vector(1)`)
open an incident, then rewrites the rule so it no longer fires, reloads Prometheus
(`POST /-/reload`) and waits until the incident is resolved by what the peers send:

- Prometheus -> Alertmanager -> `POST /intake/alertmanager/{key}` (webhook, send_resolved);
- Prometheus -> `/intake/prometheus/{key}/api/v2/alerts` (`path_prefix`, api_version v2);
- Prometheus -> `/api/v2/alerts` with the key as `authorization: {credentials: key}`.

The peers are never the packages' system services. Their logs and configs go to
$KLAXON_TEST_OUTPUT/integration/. A missing binary is a failure, not a skip: `make test`
installs them (scripts/install-deps).
"""

import atexit
import datetime
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

from harness import Client, child_env, free_port, login_token, output_dir, start_server

API = "/api/v1"
PROMETHEUS_BIN = "/usr/bin/prometheus"
ALERTMANAGER_BIN = "/usr/bin/prometheus-alertmanager"
POLL = 0.5
READY_TIMEOUT = 30.0
FIRE_TIMEOUT = 60.0
RESOLVE_TIMEOUT = 40.0
SUMMARY = "checkout p99 > 500ms & café → naïve (value {{ $value }})"  # $labels: only the series's

_live = set()
_live_lock = threading.Lock()
_counter = itertools.count(1)


@atexit.register
def _kill_leftover_peers():
    with _live_lock:
        peers = list(_live)
    for p in peers:
        try:
            p.kill()
        except Exception:
            pass


def am_fingerprint(labels):
    """Alertmanager's fingerprint of a label set (prometheus/common model.LabelSet.Fingerprint:
    FNV-1a 64 over the sorted names and values, each followed by the 0xff separator)."""
    h = 14695981039346656037
    for name in sorted(labels):
        for part in (name, labels[name]):
            for b in part.encode("utf-8") + b"\xff":
                h = ((h ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return "%016x" % h


def http(method, url, body=None, timeout=5):
    """(status, text) of a plain HTTP request to a peer; (None, error) if unreachable."""
    req = urllib.request.Request(url, data=body, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", errors="replace")
    except OSError as e:
        return None, str(e)


def metric_sum(text, name, label_substring=""):
    """Sum of the samples of `name` (Prometheus text format) whose label part contains
    `label_substring`."""
    total = 0.0
    for line in text.splitlines():
        m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)", line)
        if m and m.group(1) == name and label_substring in (m.group(2) or ""):
            total += float(m.group(3))
    return total


def iso(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


class Peer:
    """One Prometheus or Alertmanager process with its own temp folder and log file."""

    def __init__(self, name, binary, args_for):
        self.name = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
        self.binary = binary
        self.args_for = args_for  # Peer -> argv (called once the port is chosen)
        self.dir = tempfile.mkdtemp(prefix="klaxon-peer-")
        self.log_path = os.path.join(output_dir(), "%s-%d-%d.log" % (self.name, os.getpid(), next(_counter)))
        self.proc = None
        self.port = None
        self._log = None

    @property
    def hostport(self):
        return "127.0.0.1:%d" % self.port

    @property
    def url(self):
        return "http://" + self.hostport

    def path(self, rel):
        return os.path.join(self.dir, rel)

    def note(self, text):
        with open(self.log_path, "ab") as f:
            f.write(("\n=== %s %s\n" % (time.strftime("%H:%M:%S"), text)).encode())

    def write(self, rel, text):
        with open(self.path(rel), "w", encoding="utf-8") as f:
            f.write(text)
        self.note("wrote %s:\n%s" % (self.path(rel), text))

    def start(self):
        if not os.access(self.binary, os.X_OK):
            raise AssertionError("%s not found or not executable: install the Debian packages "
                                 "prometheus and prometheus-alertmanager (scripts/install-deps)"
                                 % self.binary)
        for _attempt in range(3):  # retry only if the port was taken meanwhile
            self.port = free_port()
            args = self.args_for(self)
            self.note("start: " + " ".join(args))
            self._log = open(self.log_path, "ab")
            self.proc = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, cwd=self.dir,
                                         env=child_env())
            with _live_lock:
                _live.add(self)
            if self._wait_ready():
                return self
            self._reap()
            if "address already in use" not in self.log_tail().lower():
                break
        raise AssertionError("%s did not become ready (exit code %s)\n%s"
                             % (self.name, self.proc.returncode, self.log_tail()))

    def _wait_ready(self):
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            status, _ = http("GET", self.url + "/-/ready", timeout=2)
            if status == 200:
                return True
            time.sleep(0.1)
        self.kill()
        return False

    def get(self, path):
        return http("GET", self.url + path)

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._reap()

    def _reap(self):
        with _live_lock:
            _live.discard(self)
        if self._log:
            self._log.close()
            self._log = None

    def close(self):
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    def log_tail(self, n=3000):
        try:
            with open(self.log_path, "rb") as f:
                data = f.read()
            return "--- %s (tail) ---\n%s" % (self.log_path, data[-n:].decode(errors="replace"))
        except OSError:
            return "(no log %s)" % self.log_path


class RealPeerCase(unittest.TestCase):
    def setUp(self):
        self.peers = []
        self.server = start_server(self)
        self.admin = Client(self.server, token=login_token(self.server, "admin"))
        r = self.admin.post(API + "/services", {"name": "checkout"})
        self.assertEqual(r.status, 201, r)

    # -- peers -----------------------------------------------------------------
    def start_peer(self, peer):
        self.peers.append(peer)
        self.addCleanup(peer.close)  # registered before start: killed even if start fails
        return peer.start()

    def alertmanager(self, webhook_url):
        config = {
            "route": {"receiver": "klaxon", "group_by": ["alertname", "service"],
                      "group_wait": "1s", "group_interval": "1s", "repeat_interval": "1h"},
            "receivers": [{"name": "klaxon",
                           "webhook_configs": [{"url": webhook_url, "send_resolved": True}]}],
        }
        peer = Peer(self.id() + "-alertmanager", ALERTMANAGER_BIN, lambda p: [
            ALERTMANAGER_BIN, "--config.file=" + p.path("alertmanager.yml"),
            "--storage.path=" + p.path("data"), "--web.listen-address=" + p.hostport,
            "--web.external-url=" + p.url, "--cluster.listen-address=",
            "--alerts.gc-interval=1s", "--log.level=debug"])
        peer.write("alertmanager.yml", json.dumps(config, indent=2))  # JSON is YAML
        return self.start_peer(peer)

    def prometheus(self, alertname, alertmanagers):
        peer = Peer(self.id() + "-prometheus", PROMETHEUS_BIN, lambda p: [
            PROMETHEUS_BIN, "--config.file=" + p.path("prometheus.yml"),
            "--storage.tsdb.path=" + p.path("data"), "--web.listen-address=" + p.hostport,
            "--web.external-url=" + p.url, "--web.enable-lifecycle",
            "--rules.alert.resend-delay=1s", "--log.level=debug"])
        peer.alertname = alertname
        config = {
            "global": {"scrape_interval": "15s", "evaluation_interval": "1s"},
            "rule_files": [peer.path("rules.yml")],
            "alerting": {"alertmanagers": alertmanagers},
        }
        peer.write("prometheus.yml", json.dumps(config, indent=2))
        self.write_rule(peer, firing=True)
        return self.start_peer(peer)

    def write_rule(self, prom, firing):
        rule = {"alert": prom.alertname,
                # Same rule (name and labels) either way, so Prometheus keeps its state on
                # reload and sends the alert as resolved when the expression stops matching.
                "expr": "vector(1)" if firing else "vector(1) == 0",
                "labels": {"severity": "page", "service": "checkout"},
                "annotations": {"summary": SUMMARY}}
        rules = {"groups": [{"name": "klaxon-real-peers", "interval": "1s", "rules": [rule]}]}
        prom.write("rules.yml", json.dumps(rules, indent=2, ensure_ascii=False))

    def stop_firing(self, prom):
        self.write_rule(prom, firing=False)
        status, text = http("POST", prom.url + "/-/reload", body=b"")
        prom.note("POST /-/reload -> %s %s" % (status, text.strip()))
        self.assertEqual(status, 200, "Prometheus reload failed: %s\n%s" % (text, self.diagnostics()))

    # -- klaxon ----------------------------------------------------------------
    def integration(self, kind):
        r = self.admin.post(API + "/integrations", {"name": "real-" + kind, "kind": kind})
        self.assertEqual(r.status, 201, r)
        return r.body

    def incidents(self):
        return self.admin.list_all(API + "/incidents")

    def incident(self, inc_id):
        r = self.admin.get(API + "/incidents/%d" % inc_id)
        self.assertEqual(r.status, 200, r)
        return r.body

    def alerts_of(self, inc_id):
        r = self.admin.get(API + "/incidents/%d/alerts" % inc_id)
        self.assertEqual(r.status, 200, r)
        return r.body["items"]

    def wait_for(self, what, predicate, timeout):
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                self.fail("timed out after %.0f s waiting for %s\n%s" % (timeout, what, self.diagnostics()))
            time.sleep(POLL)

    def wait_incident(self, alertname):
        def find():
            incs = self.incidents()
            return incs[0] if incs else None
        inc = self.wait_for("an incident for %s" % alertname, find, FIRE_TIMEOUT)
        incs = self.incidents()
        self.assertEqual(len(incs), 1, incs)
        return inc

    def wait_resolved(self, inc_id):
        def resolved():
            inc = self.incident(inc_id)
            return inc if inc["status"] == "resolved" else None
        return self.wait_for("incident %d to resolve" % inc_id, resolved, RESOLVE_TIMEOUT)

    def diagnostics(self):
        out = []
        try:
            out.append("klaxon incidents: %s" % json.dumps(self.incidents())[:2000])
        except Exception as e:  # diagnostics must not hide the real failure
            out.append("klaxon incidents: %r" % e)
        for p in self.peers:
            if "prometheus" in p.name.lower():
                paths = ["/api/v1/alerts", "/api/v1/alertmanagers"]
                prefixes = ("prometheus_notifications_", "prometheus_rule_evaluation_failures")
            else:
                paths = ["/api/v2/alerts"]
                prefixes = ("alertmanager_notifications_", "alertmanager_notification_requests_")
            for path in paths:
                out.append("%s GET %s -> %s" % (p.name, path, p.get(path)))
            status, text = p.get("/metrics")
            out.append("%s metrics:\n%s" % (p.name, "\n".join(
                l for l in text.splitlines() if l.startswith(prefixes))))
            out.append(p.log_tail())
        out.append(self.server.log_tail())
        return "\n".join(out)

    # -- shared checks ---------------------------------------------------------
    def check_firing(self, inc, alertname, prom, t0):
        summary = "checkout p99 > 500ms & café → naïve (value 1)"
        self.assertEqual(inc["title"], summary, inc)
        self.assertEqual(inc["status"], "triggered", inc)
        self.assertEqual(inc["severity"], "SEV-1", inc)  # severity="page"
        self.assertEqual((inc.get("service") or {}).get("name"), "checkout", inc)
        [a] = self.alerts_of(inc["id"])
        labels = {"alertname": alertname, "severity": "page", "service": "checkout"}
        self.assertEqual(a["labels"], labels, a)
        self.assertEqual(a["annotations"], {"summary": summary}, a)
        self.assertEqual(a["status"], "firing", a)
        self.assertEqual(a["fingerprint"], am_fingerprint(labels), a)
        self.assertTrue(a["generator_url"].startswith(prom.url + "/graph?g0.expr="), a)
        self.assertIn("&g0.tab=1", a["generator_url"])
        # startsAt is when Prometheus first evaluated the rule: after t0, before now.
        self.assertTrue(t0 - 5 <= iso(a["starts_at"]) <= time.time() + 5, (t0, a))
        return a

    def check_resolved(self, inc_id):
        got = self.incident(inc_id)
        self.assertEqual(got["status"], "resolved", got)
        [a] = self.alerts_of(inc_id)
        self.assertEqual(a["status"], "resolved", a)
        self.assertIsNotNone(a["ends_at"], a)
        self.assertLessEqual(iso(a["ends_at"]), time.time() + 1, a)
        self.assertGreaterEqual(iso(a["ends_at"]), iso(a["starts_at"]), a)
        kinds = [e["kind"] for e in got["timeline"]]
        self.assertEqual(kinds.count("alert.fired"), 1, "re-sent alerts must be deduplicated: %s" % kinds)
        self.assertEqual(kinds.count("alert.resolved"), 1, kinds)
        self.assertNotIn("incident.reopened", kinds)
        self.assertEqual(len(self.incidents()), 1)
        return got

    def direct_scenario(self, alertname, am_config, expected_url):
        """Prometheus posting straight to klaxon: fire, refresh, resolve, stay resolved."""
        t0 = time.time()
        prom = self.prometheus(alertname, [am_config])
        inc = self.wait_incident(alertname)
        self.check_firing(inc, alertname, prom, t0)
        active = json.loads(prom.get("/api/v1/alertmanagers")[1])["data"]["activeAlertmanagers"]
        self.assertEqual([m["url"] for m in active], [expected_url])
        # Prometheus re-sends the firing alert every resend delay: refreshes, no new events.
        self.wait_for("a refresh of the firing alert",
                      lambda: self.alerts_of(inc["id"])[0]["count"] >= 2, 20)

        self.stop_firing(prom)
        self.wait_resolved(inc["id"])
        self.check_resolved(inc["id"])

        # Prometheus keeps re-sending the resolved alert (endsAt in the past) for 15 min:
        # the incident must stay resolved and nothing reopens.
        def sent():
            return metric_sum(prom.get("/metrics")[1], "prometheus_notifications_sent_total")
        base = sent()
        self.wait_for("two more notifications from Prometheus", lambda: sent() >= base + 2, 15)
        self.check_resolved(inc["id"])
        metrics = prom.get("/metrics")[1]
        self.assertEqual(metric_sum(metrics, "prometheus_notifications_errors_total"), 0,
                         "klaxon refused or failed some of Prometheus's POSTs\n%s" % self.diagnostics())
        # prometheus_notifications_dropped_total is not checked: Prometheus drops what it
        # evaluates while its notifier has no discovered target, i.e. for up to 5 s after
        # start and after each reload (the notify discovery manager updates every 5 s).


class TestRealPeers(RealPeerCase):
    def test_prometheus_alertmanager_webhook(self):
        integ = self.integration("alertmanager")
        webhook = integ["urls"]["webhook"]
        self.assertEqual(webhook, self.server.url + "/intake/alertmanager/" + integ["key"])
        alertname = "KlaxonViaAlertmanager"
        t0 = time.time()
        am = self.alertmanager(webhook)
        prom = self.prometheus(alertname, [{"api_version": "v2",
                                            "static_configs": [{"targets": [am.hostport]}]}])
        inc = self.wait_incident(alertname)
        a = self.check_firing(inc, alertname, prom, t0)
        # The fingerprint klaxon stored is Alertmanager's own.
        am_alerts = json.loads(am.get("/api/v2/alerts")[1])
        self.assertEqual([x["fingerprint"] for x in am_alerts], [a["fingerprint"]], am_alerts)

        self.stop_firing(prom)
        got = self.wait_resolved(inc["id"])
        self.check_resolved(inc["id"])
        self.assertEqual(got["resolution_summary"], "All alerts resolved", got)
        metrics = am.get("/metrics")[1]
        self.assertGreaterEqual(metric_sum(metrics, "alertmanager_notifications_total", 'integration="webhook"'), 2)
        self.assertEqual(metric_sum(metrics, "alertmanager_notifications_failed_total", 'integration="webhook"'), 0,
                         "klaxon refused or failed some of Alertmanager's webhook POSTs\n%s" % self.diagnostics())

    def test_prometheus_direct_with_path_prefix(self):
        integ = self.integration("prometheus")
        prefix = integ["urls"]["path_prefix"]
        self.assertEqual(prefix, "/intake/prometheus/" + integ["key"])
        self.direct_scenario("KlaxonDirectPathPrefix", {
            "api_version": "v2", "path_prefix": prefix, "timeout": "5s",
            "static_configs": [{"targets": ["127.0.0.1:%d" % self.server.port]}],
        }, integ["urls"]["api"])

    def test_prometheus_direct_with_bearer_key(self):
        integ = self.integration("prometheus")
        self.direct_scenario("KlaxonDirectBearer", {
            "api_version": "v2", "timeout": "5s", "authorization": {"credentials": integ["key"]},
            "static_configs": [{"targets": ["127.0.0.1:%d" % self.server.port]}],
        }, integ["urls"]["bearer_api"])


if __name__ == "__main__":
    unittest.main()
