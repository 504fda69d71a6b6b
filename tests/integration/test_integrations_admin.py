"""Managing intake integrations: the recent requests each one received (for debugging a
misconfigured sender: body, answer, error) with counters; PATCH of its settings; key
rotation; and the rules that go with them (admin only, bad input changes nothing)."""

import json
import unittest

from harness import Client, all_events, login_token, role_clients, start_server

API = "/api/v1"

AM_WEBHOOK = {
    "version": "4", "status": "firing", "receiver": "klaxon", "groupKey": "{}:{alertname=\"X\"}",
    "truncatedAlerts": 0, "groupLabels": {"alertname": "X"}, "commonLabels": {},
    "commonAnnotations": {}, "externalURL": "http://am.example",
    "alerts": [{"status": "firing", "labels": {"alertname": "X", "instance": "a"},
                "annotations": {"summary": "x is <broken>"}, "startsAt": "2026-01-01T00:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prom.example/graph",
                "fingerprint": "0123456789abcdef"}],
}


class IntegrationAdminTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = start_server(cls, cls=True)
        cls.roles = role_clients(cls.server)
        cls.admin = cls.roles["admin"]
        cls.anon = Client(cls.server)

    def create(self, **fields):
        body = {"name": "it-%d" % id(fields), "kind": "alertmanager"}
        body.update(fields)
        r = self.admin.post(API + "/integrations", body)
        self.assertEqual(r.status, 201, r)
        return r.body

    def test_recent_requests_show_body_answer_and_error(self):
        integ = self.create(name="am-debug")
        path = "/intake/alertmanager/" + integ["key"]
        ok = self.anon.post(path, AM_WEBHOOK, auth=False)
        self.assertEqual(ok.status, 200, ok)
        bad = self.anon.request("POST", path, raw=b'{"version": "4", "alerts": [', auth=False)
        self.assertEqual(bad.status, 400, bad)
        wrong_type = self.anon.request("POST", path, raw=b"alert!", content_type="text/plain",
                                       auth=False)
        self.assertEqual(wrong_type.status, 415, wrong_type)
        missing = dict(AM_WEBHOOK, alerts=[{"status": "firing", "labels": {}}])
        m = self.anon.post(path, missing, auth=False)
        self.assertEqual(m.status, 422, m)

        r = self.admin.get(API + "/integrations/%d/requests" % integ["id"])
        self.assertEqual(r.status, 200, r)
        items = r.body["items"]
        self.assertEqual(len(items), 4)
        newest, oldest = items[0], items[-1]
        self.assertEqual(oldest["status"], 200)
        self.assertIsNone(oldest["error"])
        self.assertEqual(json.loads(oldest["body"])["alerts"][0]["labels"]["alertname"], "X")
        self.assertEqual(oldest["route"], "/intake/alertmanager/{key}")
        self.assertNotIn(integ["key"], json.dumps(items), "the key never appears in the log")
        self.assertEqual(oldest["method"], "POST")
        self.assertTrue(oldest["request_id"])
        self.assertEqual(items[2]["status"], 400)
        self.assertTrue(items[2]["error"])
        self.assertEqual(items[1]["status"], 415)
        self.assertEqual(items[1]["content_type"], "text/plain")
        self.assertEqual(items[1]["body"], "alert!")
        self.assertEqual(newest["status"], 422)
        self.assertIn("/alerts/0/labels", newest["error"], "the error names the alert and field")

        stats = r.body["stats"]
        self.assertEqual(stats["requests"], 4)
        self.assertEqual(stats["errors"], 3)
        self.assertEqual(stats["last_status"], 422)
        self.assertTrue(stats["last_error"])
        # The list and the integration carry the same counters.
        listed = [i for i in self.admin.get(API + "/integrations").body["items"]
                  if i["id"] == integ["id"]][0]
        self.assertEqual(listed["activity"]["requests"], 4)
        self.assertEqual(self.admin.get(API + "/integrations/%d" % integ["id"]).body
                         ["activity"]["errors"], 3)

    def test_only_the_last_twenty_are_kept_and_long_bodies_are_cut(self):
        integ = self.create(name="am-many")
        path = "/intake/alertmanager/" + integ["key"]
        for i in range(23):
            body = dict(AM_WEBHOOK, groupKey="g%d" % i)
            self.assertEqual(self.anon.post(path, body, auth=False).status, 200)
        huge = dict(AM_WEBHOOK, commonAnnotations={"blob": "x" * 20000})
        self.assertEqual(self.anon.post(path, huge, auth=False).status, 200)
        r = self.admin.get(API + "/integrations/%d/requests" % integ["id"]).body
        self.assertEqual(len(r["items"]), 20)
        self.assertEqual(r["stats"]["requests"], 24)
        self.assertLess(len(r["items"][0]["body"]), 9000)
        self.assertGreater(r["items"][0]["body_bytes"], 20000)
        self.assertIn("bytes in all", r["items"][0]["body"])

    def test_invalid_utf8_in_a_body_is_shown_not_fatal(self):
        integ = self.create(name="am-bytes")
        path = "/intake/alertmanager/" + integ["key"]
        r = self.anon.request("POST", path, raw=b'{"version":"4","x":"\xff\xfe"}', auth=False)
        self.assertEqual(r.status, 400)
        got = self.admin.get(API + "/integrations/%d/requests" % integ["id"])
        self.assertEqual(got.status, 200, got)
        self.assertIn("\ufffd", got.body["items"][0]["body"])

    def test_pagerduty_and_heartbeat_requests_are_recorded(self):
        pd = self.create(name="pd-debug", kind="pagerduty")
        r = self.anon.post("/v2/enqueue", {"routing_key": pd["key"], "event_action": "trigger"},
                           auth=False)
        self.assertEqual(r.status, 400, r)
        items = self.admin.get(API + "/integrations/%d/requests" % pd["id"]).body["items"]
        self.assertEqual(len(items), 1)
        self.assertIn("payload", items[0]["error"])
        self.assertNotIn(pd["key"], items[0]["route"])

        hb = self.create(name="hb-debug", kind="heartbeat", heartbeat_interval_seconds=60)
        self.assertEqual(self.anon.get("/intake/heartbeat/" + hb["key"], auth=False).status, 200)
        items = self.admin.get(API + "/integrations/%d/requests" % hb["id"]).body["items"]
        self.assertEqual([(i["method"], i["status"]) for i in items], [("GET", 200)])

    def test_patch_changes_settings_and_records_an_event(self):
        self.admin.post(API + "/services", {"name": "payments-admin"})
        integ = self.create(name="am-patch")
        r = self.admin.request("PATCH", API + "/integrations/%d" % integ["id"],
                               {"name": "am-patched", "service": "payments-admin",
                                "group_by": ["alertname", "cluster"], "auto_resolve": False,
                                "flap_window_seconds": 60})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body["name"], "am-patched")
        self.assertIsNotNone(r.body["service_id"])
        self.assertEqual(r.body["group_by"], ["alertname", "cluster"])
        self.assertFalse(r.body["auto_resolve"])
        self.assertEqual(r.body["flap_window_seconds"], 60)
        self.assertEqual(r.body["key"], integ["key"], "PATCH keeps the key")
        ev = [e for e in all_events(self.admin) if e["kind"] == "integration.updated"
              and e["data"]["integration_id"] == integ["id"]]
        self.assertEqual(len(ev), 1)
        self.assertEqual(ev[0]["data"]["changed"]["name"], "am-patched")
        # service: null detaches it
        r = self.admin.request("PATCH", API + "/integrations/%d" % integ["id"], {"service": None})
        self.assertIsNone(r.body["service_id"])

    def test_bad_patches_change_nothing(self):
        integ = self.create(name="am-strict")
        other = self.create(name="am-other")
        url = API + "/integrations/%d" % integ["id"]
        cases = [
            ({"name": "am-other"}, 409, None),
            ({"flap_window_seconds": -1}, 422, "/flap_window_seconds"),
            ({"service": "no-such-service"}, 422, "/service"),
            ({"mapping": {"title": "/t"}}, 422, "/mapping"),
            ({"group_by": "alertname"}, 422, "/group_by"),
        ]
        for body, status, field in cases:
            r = self.admin.request("PATCH", url, body)
            self.assertEqual(r.status, status, (body, r))
            self.assertEqual(r.content_type, "application/problem+json")
            if field:
                self.assertIn(field, json.dumps(r.body), (body, r))
        after = self.admin.get(url).body
        self.assertEqual(after["name"], "am-strict")
        self.assertEqual(after["flap_window_seconds"], integ["flap_window_seconds"])
        self.assertEqual(self.admin.request("PATCH", API + "/integrations/999999",
                                            {"name": "x"}).status, 404)
        for role in ("viewer", "responder"):
            self.assertEqual(self.roles[role].request("PATCH", url, {"name": "y"}).status, 403)
            self.assertEqual(self.roles[role].get(url + "/requests").status, 403)
        self.assertEqual(self.anon.get(url + "/requests", auth=False).status, 401)
        self.assertEqual(self.admin.get(API + "/integrations/%d" % other["id"]).body["name"],
                         "am-other", "a rejected rename must not touch the other integration")

    def test_heartbeat_interval_can_be_changed(self):
        hb = self.create(name="hb-patch", kind="heartbeat", heartbeat_interval_seconds=60)
        r = self.admin.request("PATCH", API + "/integrations/%d" % hb["id"],
                               {"heartbeat_interval_seconds": 600, "heartbeat_grace_seconds": 30})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body["settings"]["heartbeat_interval_seconds"], 600)
        self.assertEqual(r.body["settings"]["heartbeat_grace_seconds"], 30)
        r = self.admin.request("PATCH", API + "/integrations/%d" % hb["id"],
                               {"heartbeat_interval_seconds": 5})
        self.assertEqual(r.status, 422, r)

    def test_rotating_the_key_retires_the_old_one_at_once(self):
        integ = self.create(name="am-rotate")
        old_path = "/intake/alertmanager/" + integ["key"]
        self.assertEqual(self.anon.post(old_path, AM_WEBHOOK, auth=False).status, 200)
        r = self.admin.post(API + "/integrations/%d/rotate-key" % integ["id"])
        self.assertEqual(r.status, 200, r)
        self.assertNotEqual(r.body["key"], integ["key"])
        self.assertIn(r.body["key"], r.body["urls"]["webhook"])
        self.assertEqual(self.anon.post(old_path, AM_WEBHOOK, auth=False).status, 401)
        new_path = "/intake/alertmanager/" + r.body["key"]
        self.assertEqual(self.anon.post(new_path, AM_WEBHOOK, auth=False).status, 200)
        ev = [e for e in all_events(self.admin) if e["kind"] == "integration.key_rotated"]
        self.assertTrue(any(e["data"]["integration_id"] == integ["id"] for e in ev))
        self.assertNotIn(r.body["key"], json.dumps(ev), "the key is not in the event log")
        # revoked: no rotation, no patch, and the key answers 401 even though it was cached
        self.assertTrue(self.admin.get(API + "/integrations/%d/requests" % integ["id"])
                        .body["items"])
        self.assertEqual(self.admin.delete(API + "/integrations/%d" % integ["id"]).status, 204)
        # Its debug log of requests goes with the key.
        self.assertEqual(self.admin.get(API + "/integrations/%d/requests" % integ["id"])
                         .body["items"], [])
        self.assertEqual(self.anon.post(new_path, AM_WEBHOOK, auth=False).status, 401)
        self.assertEqual(self.admin.post(API + "/integrations/%d/rotate-key" % integ["id"]).status,
                         409)


if __name__ == "__main__":
    unittest.main()
