"""Action items (issue 8 point 2), event webhooks and noise marks on a real server with a
manual clock that starts Wednesday 2026-11-25 09:00 UTC.

- an item from an incident and one from its review: title, owner, priority, due date,
  status, tracker link; bad input is a 422 naming the field and creates nothing;
- edits against a version (stale → 409); every change is an event on the incident's
  timeline and a signed webhook delivery (action_item.created / .updated with the changes)
  to a subscribed URL, so a team can mirror items into its tracker;
- lists across the organization: mine, by service, overdue, by status;
- reminders to the owner a day before the due time, the day after it, then weekly — at
  the right minute, through the owner's contact method — and none once the item is done;
- an incident or one alert marked noise with a reason, and the mark taken back.
"""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # run from anywhere

from harness import Client, ManualClockMixin, all_events, login_token, parse_time, start_server
from receivers import WebhookReceiver, verify_standard_webhook

API = "/api/v1"
MIN = 60
HOUR = 3600
DAY = 24 * HOUR
START = "2026-11-25T09:00:00Z"


class TestActionItems(ManualClockMixin, unittest.TestCase):
    def setUp(self):
        self.rx = WebhookReceiver()
        self.addCleanup(self.rx.stop)
        self.server = start_server(self, name="action-items", clock="manual",
                                   extra_args=["--clock-start", START])
        self.api = Client(self.server, token=login_token(self.server, "admin"))
        self.must(self.api.post(API + "/services", {"name": "checkout", "owner": "payments"}), 201)
        self.must(self.api.post(API + "/services", {"name": "search", "owner": "discovery"}), 201)
        self.must(self.api.post(API + "/users", {"username": "ada", "name": "Ada Lovelace",
                                                 "role": "responder",
                                                 "password": "ada-password-1"}), 201)
        # Ada hears about her items on a chat webhook.
        m = self.must(self.api.post(API + "/users/ada/contact-methods",
                                    {"kind": "webhook", "address": self.rx.url("/ada")}), 201)
        self.must(self.api.post(API + "/users/ada/notification-rules",
                                {"contact_method": m["id"], "delay_minutes": 0}), 201)
        self.hook = self.must(self.api.post(API + "/webhooks", {
            "name": "tracker", "url": self.rx.url("/tracker"), "events": ["action_item.*"]}), 201)

    def events(self, kind, iid=None):
        return [e for e in all_events(self.api)
                if e["kind"] == kind and (iid is None or e.get("incident_id") == iid)]

    def declare(self, title, service):
        return self.must(self.api.post(API + "/incidents", {"title": title, "service": service}), 201)

    def tracker_deliveries(self, n):
        got = self.rx.wait_for(n, path="/tracker", timeout=10)
        for r in got:
            verify_standard_webhook(self.hook["secret"], r.headers, r.body,
                                    now=[self.now(), time.time()], tolerance=400 * DAY)
        return [r.json for r in got]

    def test_items_lists_webhooks_and_reminders(self):
        inc = self.declare("Checkout is slow", "checkout")
        iid = inc["id"]
        items = API + "/incidents/%d/action-items" % iid
        due = "2026-11-30T17:00:00Z"

        # Bad input: the field is named and nothing is created.
        for body, field in [({"title": "  "}, "/title"),
                            ({"title": "x", "priority": "p0"}, "/priority"),
                            ({"title": "x", "owner": "nobody"}, "/owner"),
                            ({"title": "x", "tracker_url": "javascript:alert(1)"}, "/tracker_url"),
                            ({"title": "x", "due_at": "next week"}, "/due_at"),
                            ({"title": "x" * 301}, "/title")]:
            r = self.api.post(items, body)
            self.assertEqual(r.status, 422, (body, r))
            self.assertIn(field, [e["field"] for e in r.body["errors"]], (body, r))
        self.assertEqual(self.api.post(API + "/incidents/999/action-items", {"title": "x"}).status, 404)
        self.assertEqual(self.must(self.api.get(items))["items"], [])

        item = self.must(self.api.post(items, {
            "title": "Add a circuit breaker to the payment client", "owner": "ada",
            "priority": "high", "due_at": due,
            "tracker_url": "https://tracker.example/PAY-12"}), 201)
        self.assertEqual((item["ref"], item["status"], item["priority"], item["owner"]["username"],
                          item["due_at"], item["incident_ref"], item["service"], item["source"],
                          item["overdue"], item["version"]),
                         ("AI-%d" % item["id"], "open", "high", "ada", "2026-11-30T17:00:00.000Z",
                          "INC-%d" % iid, "checkout", "incident", False, 1))
        # A date alone is the end of that day; "me" is whoever asks.
        other = self.must(self.api.post(items, {"title": "Write the load-test runbook",
                                                "due_at": "2026-12-20", "owner": "me",
                                                "source": "review"}), 201)
        self.assertEqual((other["due_at"], other["owner"]["username"], other["priority"],
                          other["source"]), ("2026-12-20T23:59:59.999Z", "admin", "medium", "review"))
        search = self.declare("Search returns nothing", "search")
        self.must(self.api.post(API + "/incidents/%d/action-items" % search["id"],
                                {"title": "Alert on empty results", "owner": "ada"}), 201)

        created = self.tracker_deliveries(3)
        self.assertEqual([d["type"] for d in created], ["action_item.created"] * 3)
        self.assertEqual(created[0]["data"]["action_item"]["title"],
                         "Add a circuit breaker to the payment client")
        self.assertEqual(created[0]["data"]["incident_id"], iid)

        # Edits against a version; the change is on the timeline and at the tracker.
        path = API + "/action-items/%d" % item["id"]
        moved = self.must(self.api.patch(path, {"version": 1, "status": "in_progress"}))
        self.assertEqual((moved["status"], moved["version"]), ("in_progress", 2))
        r = self.api.patch(path, {"version": 1, "title": "stale"})
        self.assertEqual(r.status, 409, r)
        r = self.api.patch(path, {"version": 2, "status": "finished"})
        self.assertEqual(r.status, 422, r)
        self.assertEqual(self.must(self.api.get(path))["title"],
                         "Add a circuit breaker to the payment client")
        self.assertEqual(self.must(self.api.get(API + "/action-items/AI-%d" % item["id"]))["id"],
                         item["id"])
        updated = self.tracker_deliveries(4)[3]
        self.assertEqual(updated["type"], "action_item.updated")
        self.assertEqual(updated["data"]["changes"],
                         {"status": {"old": "open", "new": "in_progress"}})
        timeline = [e["kind"] for e in self.must(self.api.get(API + "/incidents/%d" % iid))["timeline"]]
        self.assertIn("action_item.created", timeline)
        self.assertIn("action_item.updated", timeline)

        # Lists: mine, by service, by status, overdue.
        ada = Client(self.server)
        self.must(ada.login("ada", "ada-password-1"))
        mine = self.must(ada.get(API + "/action-items", params={"owner": "me"}))["items"]
        self.assertEqual([i["title"] for i in mine],
                         ["Add a circuit breaker to the payment client", "Alert on empty results"])
        by_service = self.must(self.api.get(API + "/action-items", params={"service": "search"}))
        self.assertEqual([i["title"] for i in by_service["items"]], ["Alert on empty results"])
        self.assertEqual(self.must(self.api.get(API + "/action-items",
                                                params={"status": "in_progress"}))["total"], 1)
        self.assertEqual(self.must(self.api.get(API + "/action-items",
                                                params={"overdue": "true"}))["items"], [])
        self.assertEqual(self.api.get(API + "/action-items", params={"status": "later"}).status, 422)
        self.assertEqual(ada.post(items, {"title": "by a responder"}).status, 201)

        # Reminders: a day before the due time, the day after it, then weekly.
        due_s = parse_time(item["due_at"])
        reminders = lambda: [e["data"]["when"] for e in self.events("action_item.reminder_sent", iid)
                             if e["data"]["action_item_id"] == item["id"]]
        self.advance(int(due_s - DAY - self.now()) - 1)
        self.assertEqual(reminders(), [])
        self.advance(1)
        self.assertEqual(reminders(), ["before"])
        note = self.rx.wait_for(1, path="/ada", timeout=10)[0]
        self.assertIn("AI-%d" % item["id"], note.text)
        self.advance(DAY)  # the due time: not overdue yet
        self.assertFalse(self.must(self.api.get(path))["overdue"])
        self.advance(1)
        self.assertEqual(reminders(), ["before"])
        self.assertTrue(self.must(self.api.get(path))["overdue"])
        overdue = self.must(self.api.get(API + "/action-items", params={"overdue": "true"}))["items"]
        self.assertEqual([i["id"] for i in overdue], [item["id"]])
        self.advance(DAY - 2)
        self.assertEqual(reminders(), ["before"])
        self.advance(1)
        self.assertEqual(reminders(), ["before", "overdue"])
        self.advance(7 * DAY)
        self.assertEqual(reminders(), ["before", "overdue", "overdue"])

        # Done: no more reminders, not overdue, closed.
        v = self.must(self.api.get(path))["version"]
        done = self.must(self.api.patch(path, {"version": v, "status": "done"}))
        self.assertEqual((done["overdue"], done["closed_at"] is not None), (False, True))
        self.advance(14 * DAY)
        self.assertEqual(len(reminders()), 3)
        self.assertEqual(self.must(self.api.get(API + "/action-items", params={"status": "done"}))["total"], 1)

    def test_bad_webhooks_and_roles(self):
        for body, field in [({"name": "x", "url": "ftp://x", "events": ["action_item.*"]}, "/url"),
                            ({"name": "x", "url": "http://127.0.0.1:1/", "events": ["nope.*"]}, "/events/0"),
                            ({"name": "x", "url": "http://127.0.0.1:1/", "events": ["incident.nope"]},
                             "/events/0")]:
            r = self.api.post(API + "/webhooks", body)
            self.assertEqual(r.status, 422, r)
            self.assertIn(field, [e["field"] for e in r.body["errors"]])
        self.assertEqual(self.api.post(API + "/webhooks", {"name": "tracker", "url": self.rx.url("/"),
                                                           "events": ["*"]}).status, 409)
        listed = self.must(self.api.get(API + "/webhooks"))["items"]
        self.assertEqual([w["name"] for w in listed], ["tracker"])
        self.assertNotIn("secret", listed[0])
        viewer = Client(self.server, token=login_token(self.server, "viewer"))
        self.assertEqual(viewer.get(API + "/webhooks").status, 403)
        inc = self.declare("x", "checkout")
        self.assertEqual(viewer.post(API + "/incidents/%d/action-items" % inc["id"],
                                     {"title": "x"}).status, 403)
        self.must(self.api.delete(API + "/webhooks/%d" % self.hook["id"]), 204)
        self.must(self.api.post(API + "/incidents/%d/action-items" % inc["id"], {"title": "y"}), 201)
        self.assertEqual(self.rx.requests(path="/tracker"), [])

    def test_noise(self):
        inc = self.declare("Disk 81% on a batch host", "search")
        path = API + "/incidents/%d" % inc["id"]
        r = self.api.post(path + "/noise", {"noise": True, "reason": "  "})
        self.assertEqual(r.status, 422, r)
        self.assertIsNone(self.must(self.api.get(path))["noise"])
        marked = self.must(self.api.post(path + "/noise", {"reason": "threshold too low; not actionable"}))
        self.assertEqual((marked["noise"]["reason"], marked["noise"]["by"]),
                         ("threshold too low; not actionable", "admin"))
        self.assertEqual(self.must(self.api.get(path))["noise"]["reason"],
                         "threshold too low; not actionable")
        self.assertEqual(self.api.post(path + "/noise", {"reason": "x", "alert_id": 999}).status, 422)
        self.assertIsNone(self.must(self.api.post(path + "/noise", {"noise": False}))["noise"])
        kinds = [e["kind"] for e in self.events("incident.marked_noise", inc["id"]) +
                 self.events("incident.unmarked_noise", inc["id"])]
        self.assertEqual(kinds, ["incident.marked_noise", "incident.unmarked_noise"])

    def test_one_alert_marked_noise_counts_in_the_noise_report(self):
        key = self.must(self.api.post(API + "/integrations", {"name": "am", "kind": "alertmanager"}), 201)["key"]
        alerts = [{"status": "firing", "labels": {"alertname": name, "service": "search"},
                   "annotations": {}, "startsAt": "2026-11-25T09:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
                   "generatorURL": "", "fingerprint": fp}
                  for name, fp in [("SearchLatency", "0000000000000001"), ("DiskAlmostFull", "0000000000000002")]]
        body = {"version": "4", "groupKey": "{}:{}", "truncatedAlerts": 0, "status": "firing", "receiver": "k",
                "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {}, "externalURL": "", "alerts": alerts}
        r = self.api.request("POST", "/intake/alertmanager/" + key, body, auth=False)
        self.assertIn(r.status, (200, 202), r)
        incs = self.must(self.api.get(API + "/incidents"))["items"]
        self.assertEqual(len(incs), 2, incs)
        disk = [i for i in incs if i["title"] == "DiskAlmostFull"][0]
        alert = self.must(self.api.get(API + "/incidents/%d/alerts" % disk["id"]))["items"][0]
        self.must(self.api.post(API + "/incidents/%d/noise" % disk["id"],
                                {"reason": "fires at 81%", "alert_id": alert["id"]}))
        # The incident stays in the numbers; its alert and service are in the noise report.
        a = self.must(self.api.get(API + "/analytics?from=2026-11-01&to=2026-11-30"))
        self.assertEqual((a["incidents"]["total"], a["incidents"]["excluded_noise"]), (2, 0))
        self.assertEqual((a["noise"]["incidents"], a["noise"]["alert_marks"]), (0, 1))
        self.assertEqual([n["name"] for n in a["noise"]["alertnames"]], ["DiskAlmostFull"])
        self.assertEqual([n["name"] for n in a["noise"]["services"]], ["search"])


if __name__ == "__main__":
    unittest.main()
