"""The public status page against the real server: components and groups, the overall
indicator, public incidents published from internal ones, scheduled maintenance moving on
time by itself (--clock manual) and silencing its services' alerts, the JSON compatible
with the hosted status service (shapes from ../shared/specs §5), Atom/RSS feeds parsed
back as XML, conditional GET, security headers, hostile content, the separate public
listener, and bad input."""

import json
import re
import socket
import time
import unittest
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

from harness import Client, free_port, login_token, role_clients, start_server

API = "/api/v1"
HOSTILE = [
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "javascript:alert(1)",
    "\u202egnp.exe",
    "</title><h1>x",
]

COMPONENT_KEYS = {"id", "name", "status", "created_at", "updated_at", "position", "description",
                  "showcase", "start_date", "group_id", "page_id", "group",
                  "only_show_if_degraded"}
INCIDENT_KEYS = {"id", "name", "status", "created_at", "updated_at", "monitoring_at",
                 "resolved_at", "impact", "shortlink", "started_at", "page_id",
                 "incident_updates", "components"}
UPDATE_KEYS = {"id", "status", "body", "incident_id", "created_at", "updated_at", "display_at",
               "affected_components", "deliver_notifications", "custom_tweet", "tweet_id"}
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def iso(dt):
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class StatusPageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.public_port = free_port()
        cls.server = start_server(cls, cls=True, clock="manual",
                                  extra_args=["--status-listen", "127.0.0.1:%d" % cls.public_port])
        cls.roles = role_clients(cls.server)
        cls.admin = cls.roles["admin"]
        cls.responder = cls.roles["responder"]
        cls.anon = Client(cls.server)
        cls.public = Client("http://127.0.0.1:%d" % cls.public_port)

    # -- helpers ------------------------------------------------------------------------
    def ok(self, r, status=200):
        self.assertEqual(r.status, status, r)
        return r.body

    def now(self):
        return datetime.fromisoformat(self.admin.get(API + "/admin/clock").body["now"]
                                      .replace("Z", "+00:00"))

    def advance(self, seconds):
        self.ok(self.admin.post(API + "/admin/clock/advance", {"seconds": seconds}))

    def component(self, **body):
        return self.ok(self.admin.post(API + "/status/components", body), 201)

    def summary(self):
        return self.ok(self.anon.get("/api/v2/summary.json", auth=False))

    def public_component(self, name):
        comps = self.ok(self.anon.get("/api/v2/components.json", auth=False))["components"]
        return [c for c in comps if c["name"] == name][0]

    # -- tests ----------------------------------------------------------------------------
    def test_01_components_groups_and_indicator(self):
        self.ok(self.admin.post(API + "/services", {"name": "web"}), 201)
        grp = self.component(name="Website", is_group=True, position=1)
        shop = self.component(name="Shop", group="Website", position=1, services=["web"])
        self.component(name="Search", group="Website", position=2)
        self.component(name="API", position=2, description="Public REST API")
        s = self.summary()
        self.assertEqual(set(s), {"page", "status", "components", "incidents",
                                  "scheduled_maintenances"})
        self.assertEqual(s["status"], {"indicator": "none",
                                       "description": "All Systems Operational"})
        self.assertEqual(set(s["page"]), {"id", "name", "url", "time_zone", "updated_at"})
        by_name = {c["name"]: c for c in s["components"]}
        g = by_name["Website"]
        self.assertTrue(g["group"])
        self.assertEqual(set(g), COMPONENT_KEYS | {"components"})
        self.assertEqual(sorted(g["components"]),
                         sorted([by_name["Shop"]["id"], by_name["Search"]["id"]]))
        self.assertEqual(by_name["Shop"]["group_id"], g["id"])
        self.assertEqual(set(by_name["Shop"]), COMPONENT_KEYS)
        self.assertIsNone(by_name["API"]["group_id"])
        for c in s["components"]:
            self.assertTrue(RFC3339.match(c["created_at"]), c["created_at"])
            self.assertEqual(c["page_id"], s["page"]["id"])
        self.assertNotIn("services", json.dumps(s), "internal mapping stays private")
        # Degrade one component: minor; a major outage: critical.
        self.ok(self.responder.request("PATCH", API + "/status/components/%d" % shop["id"],
                                       {"status": "degraded_performance"}))
        self.assertEqual(self.summary()["status"]["indicator"], "minor")
        self.assertEqual(self.public_component("Website")["status"], "degraded_performance",
                         "a group shows its worst component")
        self.ok(self.admin.request("PATCH", API + "/status/components/API",
                                   {"status": "major_outage"}))
        self.assertEqual(self.summary()["status"],
                         {"indicator": "critical", "description": "Major Service Outage"})
        for name in ("Shop", "API"):
            self.ok(self.admin.request("PATCH", API + "/status/components/" + name,
                                       {"status": "operational"}))
        self.assertEqual(self.summary()["status"]["indicator"], "none")
        self.assertEqual(grp["is_group"], True)

    def test_02_publish_an_incident_from_an_internal_one(self):
        internal = self.ok(self.admin.post(API + "/incidents", {
            "title": "db-7 disk full (internal)", "description": "secret runbook notes",
            "severity": "SEV-1"}), 201)
        self.ok(self.admin.post(API + "/incidents/%d/notes" % internal["id"],
                                {"text": "internal note: password rotated"}), 201)
        pub = self.ok(self.responder.post(API + "/status/incidents", {
            "incident": internal["id"], "name": "Checkout errors", "impact": "major",
            "body": "We are investigating errors at checkout.",
            "components": {"Shop": "partial_outage"}}), 201)
        self.assertEqual(pub["incident"], internal["id"])
        unresolved = self.ok(self.anon.get("/api/v2/incidents/unresolved.json", auth=False))
        self.assertEqual(set(unresolved), {"page", "incidents"})
        inc = [i for i in unresolved["incidents"] if i["id"] == pub["public_id"]][0]
        self.assertEqual(set(inc) - {"postmortem_body", "postmortem_body_last_updated_at"},
                         INCIDENT_KEYS)
        self.assertEqual(inc["status"], "investigating")
        self.assertEqual(inc["impact"], "major")
        self.assertTrue(inc["shortlink"].endswith("/status/incidents/" + pub["public_id"]))
        upd = inc["incident_updates"][0]
        self.assertEqual(set(upd), UPDATE_KEYS)
        self.assertEqual(upd["affected_components"][0]["new_status"], "partial_outage")
        self.assertEqual(upd["affected_components"][0]["old_status"], "operational")
        self.assertEqual([c["name"] for c in inc["components"]], ["Shop"])
        self.assertEqual(self.summary()["status"]["indicator"], "major")
        everything = json.dumps(self.summary()) + self.anon.get("/status", auth=False).body
        for secret in ("db-7", "secret runbook", "password rotated", "SEV-1"):
            self.assertNotIn(secret, everything, "internal data never appears publicly")
        # identified → monitoring → resolved
        self.ok(self.responder.post(API + "/status/incidents/%s/updates" % pub["public_id"], {
            "status": "identified", "body": "A bad deploy; rolling back."}))
        self.advance(600)
        self.ok(self.responder.post(API + "/status/incidents/%d/updates" % pub["id"], {
            "status": "monitoring", "body": "Rolled back; watching.",
            "components": {"Shop": "operational"}}))
        self.ok(self.responder.post(API + "/status/incidents/%d/updates" % pub["id"], {
            "status": "resolved", "body": "Resolved."}))
        all_inc = self.ok(self.anon.get("/api/v2/incidents.json", auth=False))["incidents"]
        done = [i for i in all_inc if i["id"] == pub["public_id"]][0]
        self.assertEqual(done["status"], "resolved")
        self.assertEqual([u["status"] for u in done["incident_updates"]],
                         ["resolved", "monitoring", "identified", "investigating"])
        self.assertIsNotNone(done["monitoring_at"])
        self.assertIsNotNone(done["resolved_at"])
        self.assertNotIn(pub["public_id"], json.dumps(
            self.ok(self.anon.get("/api/v2/incidents/unresolved.json", auth=False))))
        self.assertEqual(self.summary()["status"]["indicator"], "none")
        page = self.anon.get("/status/incidents/" + pub["public_id"], auth=False)
        self.assertEqual(page.status, 200)
        self.assertIn("Rolled back; watching.", page.body)

    def test_03_maintenance_moves_on_time_and_silences_alerts(self):
        integ = self.ok(self.admin.post(API + "/integrations", {
            "name": "am-status", "kind": "alertmanager", "service": "web"}), 201)
        start = self.now() + timedelta(hours=1)
        m = self.ok(self.responder.post(API + "/status/maintenances", {
            "name": "Database upgrade", "body": "Upgrading the shop database.",
            "scheduled_for": iso(start), "scheduled_until": iso(start + timedelta(hours=2)),
            "components": ["Shop"]}), 201)
        self.assertEqual(m["status"], "scheduled")
        up = self.ok(self.anon.get("/api/v2/scheduled-maintenances/upcoming.json", auth=False))
        self.assertEqual([x["id"] for x in up["scheduled_maintenances"]], [m["public_id"]])
        sm = up["scheduled_maintenances"][0]
        self.assertEqual(sm["impact"], "maintenance")
        self.assertIn("scheduled_for", sm)
        self.assertIn("scheduled_until", sm)
        self.assertEqual(self.ok(self.anon.get("/api/v2/scheduled-maintenances/active.json",
                                               auth=False))["scheduled_maintenances"], [])
        self.advance(3600)
        active = self.ok(self.anon.get("/api/v2/scheduled-maintenances/active.json", auth=False))
        self.assertEqual([x["id"] for x in active["scheduled_maintenances"]], [m["public_id"]])
        self.assertEqual(active["scheduled_maintenances"][0]["status"], "in_progress")
        self.assertEqual(self.public_component("Shop")["status"], "under_maintenance")
        self.assertEqual(self.summary()["status"]["description"], "Service Under Maintenance")
        # An alert for the service opens nothing during the window.
        body = {"version": "4", "status": "firing", "receiver": "k", "groupKey": "g",
                "truncatedAlerts": 0, "groupLabels": {}, "commonLabels": {},
                "commonAnnotations": {}, "externalURL": "http://am",
                "alerts": [{"status": "firing", "labels": {"alertname": "DBDown"},
                            "annotations": {}, "startsAt": iso(self.now()),
                            "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://p",
                            "fingerprint": "1"}]}
        r = self.ok(self.anon.post("/intake/alertmanager/" + integ["key"], body, auth=False))
        self.assertEqual(r["silenced"], 1)
        self.assertEqual(r["incidents_opened"], [])
        self.advance(2 * 3600)
        allm = self.ok(self.anon.get("/api/v2/scheduled-maintenances.json", auth=False))
        done = [x for x in allm["scheduled_maintenances"] if x["id"] == m["public_id"]][0]
        self.assertEqual(done["status"], "completed")
        self.assertEqual([u["status"] for u in done["incident_updates"]],
                         ["completed", "in_progress", "scheduled"])
        self.assertEqual(self.public_component("Shop")["status"], "operational")

    def test_04_maintenance_completed_early_by_hand(self):
        start = self.now() + timedelta(minutes=5)
        m = self.ok(self.admin.post(API + "/status/maintenances", {
            "name": "Search reindex", "scheduled_for": iso(start),
            "scheduled_until": iso(start + timedelta(hours=4)), "components": ["Search"]}), 201)
        self.advance(600)
        self.assertEqual(self.public_component("Search")["status"], "under_maintenance")
        self.ok(self.responder.post(API + "/status/incidents/%d/updates" % m["id"], {
            "status": "verifying", "body": "Checking results."}))
        self.ok(self.responder.post(API + "/status/incidents/%d/updates" % m["id"], {
            "status": "completed", "body": "Done early."}))
        self.assertEqual(self.public_component("Search")["status"], "operational")
        self.advance(5 * 3600)  # the timer must not move it again
        got = self.ok(self.admin.get(API + "/status/incidents/%d" % m["id"]))
        self.assertEqual([u["status"] for u in got["updates"]],
                         ["completed", "verifying", "in_progress", "scheduled"])

    def test_05_html_feeds_headers_and_conditional_get(self):
        r = self.anon.get("/status", auth=False)
        self.assertEqual(r.status, 200)
        self.assertTrue(r.headers["Content-Type"].startswith("text/html"))
        csp = r.headers["Content-Security-Policy"]
        self.assertIn("default-src 'none'", csp)
        self.assertNotIn("unsafe-inline", csp)
        self.assertEqual(r.headers["X-Content-Type-Options"], "nosniff")
        self.assertTrue(r.headers["Referrer-Policy"])
        self.assertIn("Website", r.body)
        self.assertNotIn("<script", r.body.lower())
        css = self.anon.get("/status/status.css", auth=False)
        self.assertEqual(css.status, 200)
        self.assertTrue(css.headers["Content-Type"].startswith("text/css"))
        j = self.anon.get("/api/v2/status.json", auth=False)
        self.assertEqual(j.headers["Access-Control-Allow-Origin"], "*")
        self.assertTrue(j.headers["Content-Type"].startswith("application/json"))
        # Conditional GET
        etag = r.headers["ETag"]
        again = self.anon.get("/status", auth=False, headers={"If-None-Match": etag})
        self.assertEqual(again.status, 304)
        self.assertEqual(again.raw, b"")
        lm = r.headers["Last-Modified"]
        self.assertEqual(self.anon.get("/status", auth=False,
                                       headers={"If-Modified-Since": lm}).status, 304)
        # A change shows on the next GET (new ETag).
        self.ok(self.admin.request("PATCH", API + "/status/components/API",
                                   {"status": "partial_outage"}))
        changed = self.anon.get("/status", auth=False, headers={"If-None-Match": etag})
        self.assertEqual(changed.status, 200)
        self.assertNotEqual(changed.headers["ETag"], etag)
        self.ok(self.admin.request("PATCH", API + "/status/components/API",
                                   {"status": "operational"}))
        # Feeds parse as XML.
        atom = self.anon.get("/status/feed.atom", auth=False)
        self.assertEqual(atom.status, 200)
        root = ET.fromstring(atom.raw)
        self.assertTrue(root.tag.endswith("feed"))
        self.assertTrue(root.findall("{http://www.w3.org/2005/Atom}entry"))
        rss = self.anon.get("/status/feed.rss", auth=False)
        channel = ET.fromstring(rss.raw).find("channel")
        self.assertIsNotNone(channel)
        self.assertTrue(channel.findall("item"))
        # History by month and 404s
        month = self.now().strftime("%Y-%m")
        self.assertEqual(self.anon.get("/status/history/" + month, auth=False).status, 200)
        self.assertEqual(self.anon.get("/status/history/2026-13", auth=False).status, 404)
        self.assertEqual(self.anon.get("/status/incidents/nope", auth=False).status, 404)
        self.assertEqual(self.anon.post("/api/v2/summary.json", {}, auth=False).status, 405)

    def test_06_hostile_content_is_escaped_everywhere(self):
        for i, h in enumerate(HOSTILE):
            self.component(name="c%d %s" % (i, h), description=h)
        pub = self.ok(self.admin.post(API + "/status/incidents", {
            "name": " ".join(HOSTILE), "body": "\n".join(HOSTILE) + "x" * 15000,
            "impact": "minor"}), 201)
        self.ok(self.admin.request("PATCH", API + "/status/page", {
            "name": "Acme <b>Status</b>", "about": HOSTILE[1],
            "links": [{"label": HOSTILE[0][:50], "url": "https://acme.example/?q=<x>"}]}))
        bad_link = self.admin.request("PATCH", API + "/status/page",
                                      {"links": [{"label": "x", "url": "javascript:alert(1)"}]})
        self.assertEqual(bad_link.status, 422)
        self.assertIn("/links/0/url", json.dumps(bad_link.body))
        pages = [self.anon.get(p, auth=False) for p in (
            "/status", "/status/incidents/" + pub["public_id"],
            "/status/history/" + self.now().strftime("%Y-%m"))]
        for page in pages:
            self.assertEqual(page.status, 200)
            body = page.body
            self.assertNotIn("<script>alert(1)", body)
            self.assertNotIn("<img src=x", body)
            self.assertNotIn("<h1>x", body)
            self.assertNotIn("<b>Status</b>", body)
            self.assertNotIn("\u202e", body)
            self.assertNotIn('href="javascript:', body)
        for feed in ("/status/feed.atom", "/status/feed.rss"):
            raw = self.anon.get(feed, auth=False).raw
            ET.fromstring(raw)  # well-formed despite the content
            self.assertNotIn(b"<script>", raw)
        s = self.summary()
        self.assertIn("<script>alert(1)</script>", json.dumps(s, ensure_ascii=False),
                      "JSON carries the text as data")

    def test_07_bad_input_changes_nothing(self):
        before = self.summary()
        cases = [
            ("post", "/status/components", {}, 422, "/name"),
            ("post", "/status/components", {"name": "X", "status": "sideways"}, 422, "/status"),
            ("post", "/status/components", {"name": "X", "group": "API"}, 422, "/group"),
            ("post", "/status/components", {"name": "API"}, 409, None),
            ("post", "/status/incidents", {"name": "x"}, 422, "/body"),
            ("post", "/status/incidents", {"name": "x", "body": "y", "impact": "huge"}, 422,
             "/impact"),
            ("post", "/status/incidents", {"name": "x", "body": "y",
                                           "components": {"Nope": "major_outage"}}, 422,
             "/components/Nope"),
            ("post", "/status/maintenances", {"name": "m", "scheduled_for": "tomorrow",
                                              "scheduled_until": "2030-01-01T00:00:00Z"}, 422,
             "/scheduled_for"),
            ("post", "/status/maintenances", {"name": "m",
                                              "scheduled_for": "2030-01-02T00:00:00Z",
                                              "scheduled_until": "2030-01-01T00:00:00Z"}, 422,
             "/scheduled_until"),
            ("patch", "/status/page", {"time_zone": "Mars/Olympus"}, 422, "/time_zone"),
            ("patch", "/status/page", {"accent_color": "red;}"}, 422, "/accent_color"),
            ("patch", "/status/page", {"logo_url": "ftp://x.example/l.png"}, 422, "/logo_url"),
            ("post", "/status/incidents", {"name": "x", "body": "y", "status": 5}, 422,
             "/status"),
            ("post", "/status/components", {"name": "X", "nmae": "typo"}, 422, "/nmae"),
        ]
        for method, path, body, status, field in cases:
            r = self.admin.request(method.upper(), API + path, body)
            self.assertEqual(r.status, status, (path, body, r))
            self.assertEqual(r.content_type, "application/problem+json")
            if field:
                self.assertIn(field, json.dumps(r.body), (path, body, r))
        self.assertEqual(self.summary()["components"], before["components"])
        # Roles: responders set statuses only; viewers read; anonymous cannot write.
        self.assertEqual(self.responder.request("PATCH", API + "/status/components/API",
                                                {"name": "Renamed"}).status, 403)
        self.assertEqual(self.roles["viewer"].post(API + "/status/incidents",
                                                   {"name": "x", "body": "y"}).status, 403)
        self.assertEqual(self.anon.post(API + "/status/incidents", {"name": "x", "body": "y"},
                                        auth=False).status, 401)
        names = [c["name"] for c in
                 self.ok(self.roles["viewer"].get(API + "/status/components"))["items"]]
        self.assertIn("Website", names)

    def test_08_public_listener_serves_only_the_status_page(self):
        self.assertEqual(self.public.get("/status", auth=False).status, 200)
        self.assertEqual(self.public.get("/api/v2/summary.json", auth=False).status, 200)
        self.assertEqual(self.public.get("/healthz", auth=False).status, 200)
        for path in ("/ui", "/api/v1/incidents", "/api/v1/auth/login", "/metrics",
                     "/intake/alertmanager/x", "/index.html"):
            self.assertEqual(self.public.get(path, auth=False).status, 404, path)
        r = self.public.get("/", auth=False)
        self.assertEqual(r.status, 302)


if __name__ == "__main__":
    unittest.main()
