"""Alert intake: Alertmanager webhook and the Alertmanager v2 API (what Prometheus sends),
replaying the payloads captured from the real peers in ../shared/fixtures, plus dedup,
grouping, auto-resolve, flapping and bad input (all-or-nothing, nothing stored)."""

import base64
import datetime
import json
import os
import socket
import unittest

from harness import Client, REPO, all_events, login_token, start_server

API = "/api/v1"
FIXTURES = os.path.join(os.path.dirname(REPO), "shared", "fixtures")


def fixture(rel):
    with open(os.path.join(FIXTURES, rel), "rb") as f:
        return f.read()


def shifted(rel, to=None):
    """A Prometheus fixture with its times moved so the capture's last time is `to` (now)."""
    alerts = json.loads(fixture(rel))
    parse = lambda s: datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
    latest = max(parse(a["endsAt"]) for a in alerts)
    to = to or datetime.datetime.now(datetime.timezone.utc)
    delta = to - latest
    for a in alerts:
        for k in ("startsAt", "endsAt"):
            a[k] = (parse(a[k]) + delta).isoformat().replace("+00:00", "Z")
    return alerts


class IntakeCase(unittest.TestCase):
    def setUp(self):
        self.server = start_server(self)
        self.admin = Client(self.server, token=login_token(self.server, "admin"))
        self.assertEqual(self.admin.post(API + "/services", {"name": "checkout"}).status, 201)

    def integration(self, kind, **fields):
        r = self.admin.post(API + "/integrations", dict({"name": "%s-%d" % (kind, len(fields)), "kind": kind}, **fields))
        self.assertEqual(r.status, 201, r)
        return r.body

    def post_raw(self, path, raw, headers=None, content_type="application/json", method="POST"):
        return self.admin.request(method, path, raw=raw, auth=False, headers=headers, content_type=content_type)

    def incidents(self):
        return self.admin.list_all(API + "/incidents")

    def alerts_of(self, incident_id):
        r = self.admin.get(API + "/incidents/%d/alerts" % incident_id)
        self.assertEqual(r.status, 200, r)
        return r.body["items"]


class TestAlertmanagerWebhook(IntakeCase):
    def test_fixture_sequence_opens_groups_and_resolves_one_incident(self):
        am = self.integration("alertmanager")
        path = "/intake/alertmanager/" + am["key"]
        self.assertTrue(am["urls"]["webhook"].endswith(path))

        r = self.post_raw(path, fixture("alertmanager/raw/01-firing-first-notification.json"))
        self.assertEqual(r.status, 200, r)
        incs = self.incidents()
        self.assertEqual(len(incs), 1)
        inc = incs[0]
        self.assertEqual(inc["title"], "p99 latency > 500ms on checkout")  # \u003e decoded
        self.assertEqual(inc["severity"], "SEV-1")  # severity="page"
        self.assertEqual(inc["service"]["name"], "checkout")
        self.assertEqual(inc["status"], "triggered")
        [a] = self.alerts_of(inc["id"])
        self.assertEqual(a["fingerprint"], "1fee5e31740cfc94")
        self.assertIn("café → naïve", a["annotations"]["description"])
        self.assertIn("&g0.tab=1", a["generator_url"])

        # Three alerts of the same group: one incident, three alerts.
        self.assertEqual(self.post_raw(path, fixture("alertmanager/raw/02-firing-new-alerts-added.json")).status, 200)
        self.assertEqual(len(self.incidents()), 1)
        self.assertEqual(len(self.alerts_of(inc["id"])), 3)

        # A repeat notification refreshes: counts go up, the event log does not grow.
        before = len(all_events(self.admin))
        r = self.post_raw(path, fixture("alertmanager/raw/02-firing-new-alerts-added.json"))
        self.assertEqual(r.body["refreshed"], 3)
        self.assertEqual(len(all_events(self.admin)), before)
        counts = {a["fingerprint"]: a["count"] for a in self.alerts_of(inc["id"])}
        self.assertEqual(counts["1fee5e31740cfc94"], 3)

        self.assertEqual(self.post_raw(path, fixture("alertmanager/raw/03-firing-some-resolved.json")).status, 200)
        self.assertEqual(self.admin.get(API + "/incidents/%d" % inc["id"]).body["status"], "triggered")
        status = {a["fingerprint"]: a["status"] for a in self.alerts_of(inc["id"])}
        self.assertEqual(status["1fee5e31740cfc94"], "resolved")

        self.assertEqual(self.post_raw(path, fixture("alertmanager/raw/04-resolved-all.json")).status, 200)
        got = self.admin.get(API + "/incidents/%d" % inc["id"]).body
        self.assertEqual(got["status"], "resolved")
        self.assertEqual(got["resolution_summary"], "All alerts resolved")
        kinds = [e["kind"] for e in got["timeline"]]
        self.assertEqual(kinds.count("alert.fired"), 3)
        self.assertEqual(kinds.count("alert.resolved"), 3)
        self.assertEqual(got["timeline"][0]["actor"]["type"], "integration")

        # Another alertname is another group: a second incident.
        self.assertEqual(self.post_raw(path, fixture("alertmanager/raw/05-firing-from-prometheus.json")).status, 200)
        incs = self.incidents()
        self.assertEqual(len(incs), 2)
        self.assertEqual(incs[0]["status"], "triggered")

    def test_one_batch_mixing_new_repeated_refreshed_and_resolved_alerts(self):
        # Intake writes a batch's new alerts together and the rest one by one, in order:
        # the outcome must be as if each alert came alone.
        prom = self.integration("prometheus", group_by=["alertname"])
        path = "/intake/prometheus/%s/api/v2/alerts" % prom["key"]

        def alert(instance, alertname="Mixed", resolved=False):
            return {"labels": {"alertname": alertname, "instance": instance},
                    "annotations": {"summary": alertname + " batch"},
                    "startsAt": "2024-05-01T10:00:00Z",
                    "endsAt": "2024-05-01T10:05:00Z" if resolved else "2099-01-01T00:00:00Z"}

        r = self.post_raw(path, json.dumps([alert("a"), alert("b")]))
        self.assertEqual(r.status, 200, r)
        [inc] = self.incidents()
        batch = [alert("c"), alert("a"), alert("c"), alert("d", alertname="Other"), alert("b", resolved=True),
                 alert("e"), alert("e", resolved=True), alert("f", alertname="Other")]
        self.assertEqual(self.post_raw(path, json.dumps(batch)).status, 200)
        incs = {i["title"]: i for i in self.incidents()}
        self.assertEqual(sorted(incs), ["Mixed batch", "Other batch"])
        self.assertEqual(incs["Mixed batch"]["id"], inc["id"])
        mine = {a["labels"]["instance"]: a for a in self.alerts_of(inc["id"])}
        self.assertEqual(sorted(mine), ["a", "b", "c", "e"])
        self.assertEqual((mine["a"]["count"], mine["a"]["status"]), (2, "firing"))
        self.assertEqual((mine["b"]["count"], mine["b"]["status"]), (2, "resolved"))
        self.assertEqual((mine["c"]["count"], mine["c"]["status"]), (2, "firing"))
        self.assertEqual((mine["e"]["count"], mine["e"]["status"]), (2, "resolved"))
        other = {a["labels"]["instance"] for a in self.alerts_of(incs["Other batch"]["id"])}
        self.assertEqual(other, {"d", "f"})
        # One alert.fired per new alert, numbered in order; resolutions as they came.
        evs = [e for e in all_events(self.admin) if e["kind"].startswith("alert.")]
        fired = [e["data"]["alert_id"] for e in evs if e["kind"] == "alert.fired"]
        self.assertEqual(len(fired), 6)
        self.assertEqual(len(set(fired)), 6)
        self.assertEqual([e["kind"] for e in evs].count("alert.resolved"), 2)
        ids = {a["labels"]["instance"]: a["id"] for a in list(mine.values())}
        fired_ids = {e["data"]["alert_id"]: e["data"]["fingerprint"] for e in evs if e["kind"] == "alert.fired"}
        for name in ["a", "b", "c", "e"]:
            self.assertEqual(fired_ids[ids[name]], mine[name]["fingerprint"])

    def test_large_batch_across_groups_with_auto_resolve_and_silence(self):
        # Enough new alerts for multi-row inserts in two groups, a silenced one, and a
        # group whose incident resolves mid-batch and is then opened anew by a later alert.
        r = self.admin.post(API + "/silences", {
            "matchers": [{"name": "alertname", "value": "Hushed"}], "duration_minutes": 60,
            "comment": "batch test"})
        self.assertEqual(r.status, 201, r)
        prom = self.integration("prometheus", group_by=["alertname"])
        path = "/intake/prometheus/%s/api/v2/alerts" % prom["key"]

        def alert(name, instance, resolved=False):
            return {"labels": {"alertname": name, "instance": instance},
                    "annotations": {"summary": name + " summary"},
                    "startsAt": "2024-05-01T10:00:00Z",
                    "endsAt": "2024-05-01T10:05:00Z" if resolved else "2099-01-01T00:00:00Z"}

        self.assertEqual(self.post_raw(path, json.dumps([alert("Short", "s1")])).status, 200)
        [short] = self.incidents()
        batch = ([alert("Big", "b%d" % i) for i in range(70)] + [alert("Hushed", "h1")]
                 + [alert("Wide", "w%d" % i) for i in range(21)]
                 + [alert("Short", "s1", resolved=True), alert("Short", "s2")])
        r = self.post_raw(path, json.dumps(batch))
        self.assertEqual(r.status, 200, r)
        incs = self.incidents()
        by_title = {}
        for i in incs:
            by_title.setdefault(i["title"], []).append(i)
        self.assertEqual(sorted((t, len(v)) for t, v in by_title.items()),
                         [("Big summary", 1), ("Short summary", 2), ("Wide summary", 1)])
        self.assertEqual(self.admin.get(API + "/incidents/%d" % short["id"]).body["status"], "resolved")
        [reopened] = [i for i in by_title["Short summary"] if i["id"] != short["id"]]
        self.assertEqual([a["labels"]["instance"] for a in self.alerts_of(reopened["id"])], ["s2"])
        big = self.alerts_of(by_title["Big summary"][0]["id"])
        wide = self.alerts_of(by_title["Wide summary"][0]["id"])
        self.assertEqual(sorted(a["labels"]["instance"] for a in big), sorted("b%d" % i for i in range(70)))
        self.assertEqual(len(wide), 21)
        # Each new alert has its own alert.fired, naming its own row and incident.
        fired = [e for e in all_events(self.admin) if e["kind"] == "alert.fired"]
        self.assertEqual(len(fired), 1 + 70 + 21 + 1)
        rows = {a["id"]: a for a in big + wide}
        for e in fired:
            if e["data"]["alert_id"] in rows:
                a = rows[e["data"]["alert_id"]]
                self.assertEqual(e["data"]["fingerprint"], a["fingerprint"])
                self.assertEqual(e["incident_id"], by_title[a["labels"]["alertname"] + " summary"][0]["id"])
        # The silenced alert is stored and shown, and opened nothing.
        r = self.admin.get(API + "/alerts", params={"status": "silenced"})
        self.assertEqual(r.status, 200, r)
        [hushed] = r.body["items"]
        self.assertEqual(hushed["labels"]["instance"], "h1")
        self.assertIsNone(hushed["incident_id"])

    def test_flapping_alert_reattaches_and_reopens(self):
        am = self.integration("alertmanager", flap_window_seconds=600)
        path = "/intake/alertmanager/" + am["key"]
        body = json.loads(fixture("alertmanager/raw/01-firing-first-notification.json"))
        self.post_raw(path, json.dumps(body))
        [inc] = self.incidents()
        body["status"] = body["alerts"][0]["status"] = "resolved"
        body["alerts"][0]["endsAt"] = "2026-11-22T13:45:00Z"
        self.post_raw(path, json.dumps(body))
        self.assertEqual(self.admin.get(API + "/incidents/%d" % inc["id"]).body["status"], "resolved")
        body["status"] = body["alerts"][0]["status"] = "firing"
        body["alerts"][0]["endsAt"] = "0001-01-01T00:00:00Z"
        self.post_raw(path, json.dumps(body))
        incs = self.incidents()
        self.assertEqual(len(incs), 1, "a flapping alert must not open a second incident")
        got = self.admin.get(API + "/incidents/%d" % inc["id"]).body
        self.assertEqual(got["status"], "triggered")
        self.assertIn("incident.reopened", [e["kind"] for e in got["timeline"]])

    def test_auto_resolve_can_be_switched_off(self):
        am = self.integration("alertmanager", auto_resolve=False)
        path = "/intake/alertmanager/" + am["key"]
        self.post_raw(path, fixture("alertmanager/raw/02-firing-new-alerts-added.json"))
        self.post_raw(path, fixture("alertmanager/raw/03-firing-some-resolved.json"))
        self.post_raw(path, fixture("alertmanager/raw/04-resolved-all.json"))
        [inc] = self.incidents()
        self.assertEqual(inc["status"], "triggered")


class TestPrometheusApi(IntakeCase):
    def test_prometheus_fixtures_through_every_auth_form(self):
        prom = self.integration("prometheus")
        firing = shifted("prometheus/raw/01-post-api-v2-alerts-firing.json",
                         datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=4))
        r = self.post_raw("/intake/prometheus/%s/api/v2/alerts" % prom["key"], json.dumps(firing))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, "", "Alertmanager answers an empty 200")
        names = sorted(i["title"] for i in self.incidents())
        self.assertEqual(len(names), 3, names)  # AlwaysFiring, HighErrorRate, Flapping: three groups
        # The same batch with the key as bearer token and as basic-auth password: refreshes only.
        before = len(all_events(self.admin))
        r = self.post_raw("/api/v2/alerts", json.dumps(firing), headers={"Authorization": "Bearer " + prom["key"]})
        self.assertEqual(r.status, 200, r)
        basic = base64.b64encode(("prometheus:" + prom["key"]).encode()).decode()
        r = self.post_raw("/api/v2/alerts", json.dumps(firing), headers={"Authorization": "Basic " + basic})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(len(all_events(self.admin)), before)
        # endsAt in the past resolves (how Prometheus resolves).
        resolved = shifted("prometheus/raw/02-post-api-v2-alerts-with-resolved.json",
                           datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=1))
        self.assertEqual(self.post_raw("/api/v2/alerts", json.dumps(resolved),
                                       headers={"Authorization": "Bearer " + prom["key"]}).status, 200)
        flapping = [i for i in self.incidents() if i["status"] == "resolved"]
        self.assertEqual(len(flapping), 1)
        self.assertEqual(self.alerts_of(flapping[0]["id"])[0]["labels"]["alertname"], "Flapping")


class TestBadInput(IntakeCase):
    def state(self):
        return (len(all_events(self.admin)), len(self.incidents()))

    def test_every_bad_request_is_refused_and_stores_nothing(self):
        am = self.integration("alertmanager")
        prom = self.integration("prometheus", group_by=["alertname"])
        revoked = self.integration("alertmanager", name="old")
        self.assertEqual(self.admin.delete(API + "/integrations/%d" % revoked["id"]).status, 204)
        amp = "/intake/alertmanager/" + am["key"]
        pp = "/intake/prometheus/%s/api/v2/alerts" % prom["key"]
        good = json.loads(fixture("alertmanager/raw/02-firing-new-alerts-added.json"))
        one_bad = json.loads(json.dumps(good))
        one_bad["alerts"][2]["labels"]["instance"] = 7
        many = [{"labels": {"alertname": "A%d" % i}} for i in range(1001)]
        cases = [
            (amp, b"{not json", 400, None),
            (amp, json.dumps(one_bad), 422, "/alerts/2/labels/instance"),
            (amp, json.dumps({"version": "4"}), 422, "/alerts"),
            (amp, json.dumps(dict(good, alerts=[{"status": "firing"}])), 422, "/alerts/0/labels"),
            (amp, json.dumps(dict(good, alerts=[dict(good["alerts"][0], startsAt="soon")])), 422, "/alerts/0/startsAt"),
            (pp, json.dumps([{"labels": {"a": "b"}}, {"labels": {"x": "y" * 5000}}]), 422, "/1/labels/x"),
            (pp, json.dumps(many), 413, None),
            (pp, json.dumps({"labels": {}}), 422, "/"),
            ("/intake/alertmanager/not-a-key", json.dumps(good), 401, None),
            ("/intake/alertmanager/" + revoked["key"], json.dumps(good), 401, None),
            ("/intake/prometheus/%s/api/v2/alerts" % am["key"], "[]", 404, None),
        ]
        before = self.state()
        for path, raw, status, field in cases:
            with self.subTest(path=path[:40], status=status, field=field):
                r = self.post_raw(path, raw)
                self.assertEqual(r.status, status, r)
                self.assertEqual(r.content_type, "application/problem+json")
                if field:
                    self.assertIn(field, [e["field"] for e in r.body["errors"]])
        r = self.post_raw(amp, json.dumps(good), content_type="text/plain")
        self.assertEqual(r.status, 415, r)
        r = self.post_raw("/api/v2/alerts", "[]")
        self.assertEqual(r.status, 401, r)
        self.assertEqual(self.state(), before, "a refused request must store nothing")
        # The refused batch with the valid alerts only goes through whole.
        self.assertEqual(self.post_raw(amp, json.dumps(good)).status, 200)
        [inc] = self.incidents()
        self.assertEqual(len(self.alerts_of(inc["id"])), 3)

    def test_oversized_body_is_413(self):
        am = self.integration("alertmanager")
        host, port = self.server.url.split("//")[1].split(":")
        with socket.create_connection((host, int(port)), timeout=10) as s:
            s.sendall(("POST /intake/alertmanager/%s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                       "Content-Length: %d\r\n\r\n[" % (am["key"], 2 << 20)).encode())
            reply = s.recv(4096).decode(errors="replace")
        self.assertTrue(reply.startswith("HTTP/1.1 413"), reply[:80])
        self.assertEqual(self.incidents(), [])


class TestIntegrationsApi(IntakeCase):
    def test_manage_integrations(self):
        r = self.admin.post(API + "/integrations", {"name": "am", "kind": "alertmanager", "service": "checkout",
                                                    "group_by": ["alertname"]})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.body["group_by"], ["alertname"])
        self.assertEqual(self.admin.post(API + "/integrations", {"name": "am", "kind": "alertmanager"}).status, 409)
        self.assertEqual(self.admin.post(API + "/integrations", {"name": "x", "kind": "nagios"}).status, 422)
        self.assertEqual(self.admin.post(API + "/integrations", {"name": "x", "kind": "alertmanager",
                                                                 "service": "nope"}).status, 422)
        items = self.admin.get(API + "/integrations").body["items"]
        self.assertEqual([i["name"] for i in items], ["am"])
        viewer = Client(self.server, token=login_token(self.server, "viewer"))
        self.assertEqual(viewer.get(API + "/integrations").status, 403, "keys are for admins only")
        self.assertEqual(self.admin.delete(API + "/integrations/%d" % r.body["id"]).status, 204)
        self.assertEqual(self.admin.delete(API + "/integrations/%d" % r.body["id"]).status, 409)


if __name__ == "__main__":
    unittest.main()
