"""Heartbeats, Prometheus leases and the generic JSON webhook, with --clock manual.

A heartbeat integration expects a ping every interval: a missed interval (+ grace) fires
its HeartbeatMissed alert, which opens an incident; the next ping resolves it. A firing
alert sent through the Alertmanager v2 API with an endsAt lease resolves when the lease
runs out without a refresh. The generic webhook maps any JSON through JSON pointers."""

import datetime
import json
import unittest

from harness import Client, login_token, start_server

API = "/api/v1"


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class Case(unittest.TestCase):
    def setUp(self):
        self.server = start_server(self, clock="manual")
        self.admin = Client(self.server, token=login_token(self.server, "admin"))

    def advance(self, seconds):
        r = self.admin.post(API + "/admin/clock/advance", {"seconds": seconds})
        self.assertEqual(r.status, 200, r)

    def now(self):
        s = self.admin.get(API + "/admin/clock").body["now"]
        return datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))

    def open_incidents(self):
        return self.admin.get(API + "/incidents", params={"status": "open"}).body["items"]

    def integration(self, body):
        r = self.admin.post(API + "/integrations", body)
        self.assertEqual(r.status, 201, r)
        return r.body


class TestHeartbeats(Case):
    def test_missed_interval_opens_and_ping_resolves(self):
        hb = self.integration({"name": "nightly-backup", "kind": "heartbeat",
                               "heartbeat_interval_seconds": 3600, "heartbeat_grace_seconds": 300})
        ping = hb["urls"]["ping"]
        path = ping[ping.index("/intake/"):]
        r = self.admin.request("GET", path, auth=False)
        self.assertEqual(r.status, 200, r)
        self.assertIn("next_due", r.body)
        self.advance(3600 + 299)
        self.assertEqual(self.open_incidents(), [])
        self.advance(2)
        incs = self.open_incidents()
        self.assertEqual(len(incs), 1, incs)
        self.assertIn("nightly-backup", incs[0]["title"])
        # the next ping resolves the alert and its incident
        r = self.admin.request("POST", path, raw=b"", auth=False)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.open_incidents(), [])
        inc = self.admin.get(API + "/incidents/%d" % incs[0]["id"]).body
        self.assertEqual(inc["status"], "resolved")
        # and the deadline moved: nothing for another interval
        self.advance(3600)
        self.assertEqual(self.open_incidents(), [])
        self.advance(400)
        self.assertEqual(len(self.open_incidents()), 1)

    def test_never_pinged_alerts_too_and_bad_input(self):
        hb = self.integration({"name": "cron", "kind": "heartbeat", "heartbeat_interval_seconds": 60})
        self.assertEqual(hb["settings"]["heartbeat_interval_seconds"], 60)
        self.advance(61)
        self.assertEqual(len(self.open_incidents()), 1)
        r = self.admin.post(API + "/integrations", {"name": "x", "kind": "heartbeat"})
        self.assertEqual(r.status, 422, r)
        self.assertEqual(r.body["errors"][0]["field"], "/heartbeat_interval_seconds")
        r = self.admin.post(API + "/integrations", {"name": "y", "kind": "alertmanager",
                                                    "heartbeat_interval_seconds": 60})
        self.assertEqual(r.status, 422, r)
        r = self.admin.request("GET", "/intake/heartbeat/not-a-key", auth=False)
        self.assertEqual(r.status, 401, r)
        # a revoked heartbeat pages nobody any more
        self.assertEqual(self.admin.request("DELETE", API + "/integrations/%d" % hb["id"]).status, 204)


class TestPrometheusLease(Case):
    def test_alert_resolves_when_its_lease_runs_out(self):
        prom = self.integration({"name": "prom", "kind": "prometheus"})
        path = prom["urls"]["path_prefix"] + "/api/v2/alerts"
        now = self.now()
        alert = {"labels": {"alertname": "DiskFull", "instance": "db-1"},
                 "annotations": {"summary": "disk full"},
                 "startsAt": iso(now), "endsAt": iso(now + datetime.timedelta(minutes=4))}
        r = self.admin.request("POST", path, raw=json.dumps([alert]).encode(), auth=False)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(len(self.open_incidents()), 1)
        # a refresh extends the lease
        self.advance(180)
        alert["endsAt"] = iso(self.now() + datetime.timedelta(minutes=4))
        r = self.admin.request("POST", path, raw=json.dumps([alert]).encode(), auth=False)
        self.assertEqual(r.status, 200, r)
        self.advance(180)
        self.assertEqual(len(self.open_incidents()), 1)
        # no more refreshes: resolved at the next sweep after the lease ends
        self.advance(180)
        self.assertEqual(self.open_incidents(), [])
        alerts = self.admin.get(API + "/alerts", params={"status": "resolved"}).body["items"]
        self.assertEqual(len(alerts), 1)


class TestGenericWebhook(Case):
    def test_mapping_fires_and_resolves(self):
        wh = self.integration({"name": "uptime", "kind": "webhook", "mapping": {
            "title": "/check/name", "dedup_key": "/check/id", "status": "/state",
            "resolved_values": ["UP"], "labels": "/tags", "severity": "/level"}})
        path = wh["urls"]["webhook"][wh["urls"]["webhook"].index("/intake/"):]
        body = {"check": {"name": "homepage down", "id": 42}, "state": "DOWN",
                "tags": {"service": "web"}, "level": "critical"}
        r = self.admin.request("POST", path, raw=json.dumps(body).encode(), auth=False)
        self.assertEqual(r.status, 200, r)
        incs = self.open_incidents()
        self.assertEqual(len(incs), 1)
        self.assertEqual(incs[0]["title"], "homepage down")
        self.assertEqual(incs[0]["severity"], "SEV-1")
        body["state"] = "UP"
        r = self.admin.request("POST", path, raw=json.dumps(body).encode(), auth=False)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.open_incidents(), [])

    def test_bad_mapping_and_bad_events(self):
        r = self.admin.post(API + "/integrations", {"name": "bad", "kind": "webhook",
                                                    "mapping": {"title": "no-slash"}})
        self.assertEqual(r.status, 422, r)
        self.assertEqual(r.body["errors"][0]["field"], "/mapping/title")
        wh = self.integration({"name": "gen", "kind": "webhook"})
        path = wh["urls"]["webhook"][wh["urls"]["webhook"].index("/intake/"):]
        r = self.admin.request("POST", path, raw=b'[{"title":"a"},{"status":"firing"}]', auth=False)
        self.assertEqual(r.status, 422, r)
        self.assertEqual(r.body["errors"][0]["field"], "/1/title")
        self.assertEqual(self.open_incidents(), [])
        r = self.admin.request("POST", path, raw=b'{"title":', auth=False)
        self.assertEqual(r.status, 400, r)


if __name__ == "__main__":
    unittest.main()
