"""Post-incident reviews (issue 8 point 1) on a real server with a manual clock that starts
Wednesday 2026-11-25 14:00 New York time, with examples/sev-levels applied (SEV-0 needs a
review within 2 business days; Thanksgiving 2026-11-26 is a holiday on its calendar).

- resolving a SEV-0 opens the review by itself: owner the commander, due by the level's
  deadline in business days, drafted from the playbook's postmortem template with every key
  moment, the durations between them, the timeline, the roles;
- reminders to the owner before the deadline, when it passes and a week later;
- edits against a version (stale → 409), kept as revisions; bad input changes nothing;
- draft → in review → published with reviewers' approvals (request changes clears them);
- the public text becomes the postmortem of the public status-page incident;
- Markdown export; a published review is final.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # run from anywhere

from harness import (Client, ManualClockMixin, all_events, example_files, login_token, parse_time,
                     start_server)

API = "/api/v1"
MIN = 60
HOUR = 3600
START = "2026-11-25T14:00:00-05:00"


class TestReviews(ManualClockMixin, unittest.TestCase):
    def setUp(self):
        self.server = start_server(self, name="reviews", clock="manual",
                                   extra_args=["--clock-start", START])
        self.api = Client(self.server, token=login_token(self.server, "admin"))
        self.must(self.api.post(API + "/apply", {"files": example_files("sev-levels")}))
        # A second person to review: dana, a responder (she logs in when she reviews).
        self.must(self.api.post(API + "/users", {"username": "dana", "name": "Dana Diaz",
                                                 "role": "responder", "password": "dana-pass-123456"}), 201)

    def events(self, kind, iid=None):
        return [e for e in all_events(self.api)
                if e["kind"] == kind and (iid is None or e.get("incident_id") == iid)]

    def run_incident(self):
        """A SEV-0 driven through known times: detected 14:00, acknowledged 14:04, root
        cause 14:20, mitigation 14:30, restored 14:45, resolved 15:00 (New York)."""
        inc = self.must(self.api.post(API + "/incidents", {
            "title": "Checkout is down", "severity": "SEV-0", "service": "checkout",
            "impact": "No orders for 45 minutes"}), 201)
        iid = inc["id"]
        path = API + "/incidents/%d" % iid
        self.advance(4 * MIN)
        self.must(self.api.post(path + "/acknowledge", {}))
        self.must(self.api.post(path + "/notes", {"text": "Deploy 4411 broke the payment client",
                                                  "type": "finding"}), 201)
        self.advance(16 * MIN)
        self.must(self.api.post(path + "/moments", {"moment": "root_cause_identified"}))
        self.must(self.api.post(path + "/updates", {"text": "We are investigating checkout errors.",
                                                    "audiences": ["status_page"]}), 201)
        self.advance(10 * MIN)
        self.must(self.api.post(path + "/moments", {"moment": "mitigation_started"}))
        self.must(self.api.post(path + "/notes", {"text": "Roll back 4411", "type": "decision"}), 201)
        self.advance(15 * MIN)
        self.must(self.api.post(path + "/moments", {"moment": "service_restored"}))
        self.advance(15 * MIN)
        self.must(self.api.post(path + "/resolve", {"summary": "Rolled back deploy 4411."}))
        return iid

    def test_review_lifecycle(self):
        iid = self.run_incident()
        path = API + "/incidents/%d/review" % iid
        review = self.must(self.api.get(path))
        created = self.events("review.created", iid)
        self.assertEqual(len(created), 1)
        self.assertEqual(created[0]["actor"]["name"], "engine")
        # Due by 2 business days: Thursday is Thanksgiving, so Friday and Monday; the same
        # deadline the incident shows.
        pb = self.must(self.api.get(API + "/incidents/%d" % iid))["playbook"]
        self.assertEqual(review["due_at"], pb["review"]["due_at"])
        self.assertEqual(review["due_at"][:10], "2026-11-30")
        self.assertEqual(review["state"], "draft")
        self.assertEqual(review["template"], "postmortem")
        commander = [r for r in pb["roles"] if r["name"] == "commander"][0]["holder"]
        self.assertEqual(review["owner"]["username"], commander["username"])
        self.assertFalse(review["overdue"])

        md = review["markdown"]
        self.assertIn("# Postmortem INC-%d: Checkout is down" % iid, md)
        self.assertIn("Impact: No orders for 45 minutes", md)
        self.assertIn("Rolled back deploy 4411.", md)
        for line in ["- Detected: 2026-11-25 19:00 UTC (+0m)",
                     "- Acknowledged: 2026-11-25 19:04 UTC (+4m)",
                     "- Root cause identified: 2026-11-25 19:20 UTC (+20m)",
                     "- Mitigation started: 2026-11-25 19:30 UTC (+30m)",
                     "- Service restored: 2026-11-25 19:45 UTC (+45m)",
                     "- Resolved: 2026-11-25 20:00 UTC (+1h 0m)"]:
            self.assertIn(line, md)
        self.assertIn("Time to acknowledge 4m; to mitigate 30m;\nto restore 45m; to resolve 1h 0m.", md)
        self.assertIn("Finding by admin: Deploy 4411 broke the payment client", md)
        self.assertIn("Decision by admin: Roll back 4411", md)
        self.assertIn("Update #1 posted by admin: We are investigating checkout errors.", md)
        self.assertIn("Published on the status page", md)
        self.assertIn("- commander: ", md)
        self.assertIn("<h1>", review["html"])

        # Edits against a version; a stale one is refused and changes nothing.
        v1 = review["version"]
        edited = self.must(self.api.request("PATCH", path, {
            "version": v1, "sections": {"root_cause": "A client library upgrade in 4411.",
                                        "lucky": "It happened in business hours."}}))
        self.assertEqual(edited["version"], v1 + 1)
        self.assertIn("## Root cause\nA client library upgrade in 4411.", edited["markdown"])
        stale = self.api.request("PATCH", path, {"version": v1, "sections": {"lessons": "x"}})
        self.assertEqual(stale.status, 409, stale)
        bad = self.api.request("PATCH", path, {"version": v1 + 1, "sections": {"root_kause": "x"}})
        self.assertEqual(bad.status, 422, bad)
        self.assertEqual(bad.body["errors"][0]["field"], "/sections/root_kause")
        bad = self.api.request("PATCH", path, {"version": v1 + 1, "reviewers": ["nobody-here"]})
        self.assertEqual(bad.status, 422, bad)
        self.assertEqual(self.must(self.api.get(path))["version"], v1 + 1)
        revisions = self.must(self.api.get(path + "/revisions"))["items"]
        self.assertEqual(len(revisions), 1)
        self.assertEqual(revisions[0]["by"], "admin")
        self.assertEqual(revisions[0]["changes"]["sections"]["lucky"], "It happened in business hours.")
        self.assertEqual(self.events("review.edited", iid)[0]["data"]["fields"],
                         ["sections.lucky", "sections.root_cause"])

        # Reminders: a day before the deadline, at it, and a week later.
        due = parse_time(review["due_at"])
        self.advance(int(due - 24 * HOUR - self.now()) - 1)
        self.assertEqual(self.events("review.reminder_sent", iid), [])
        self.advance(1)
        sent = self.events("review.reminder_sent", iid)
        self.assertEqual([e["data"]["when"] for e in sent], ["before"])
        self.assertEqual(sent[0]["data"]["owner"], commander["username"])
        self.advance(24 * HOUR)
        self.assertEqual([e["data"]["when"] for e in self.events("review.reminder_sent", iid)],
                         ["before", "overdue"])
        self.assertTrue(self.must(self.api.get(path))["overdue"])
        overdue = self.must(self.api.get(API + "/reviews", params={"overdue": "true"}))["items"]
        self.assertEqual([r["incident"]["id"] for r in overdue], [iid])
        self.advance(7 * 24 * HOUR)
        self.assertEqual(len(self.events("review.reminder_sent", iid)), 3)

        # Submit needs a reviewer; approvals; changes requested clears them.
        self.assertEqual(self.api.post(path + "/submit", {}).status, 422)
        version = self.must(self.api.get(path))["version"]
        self.must(self.api.request("PATCH", path, {
            "version": version, "reviewers": ["dana", "admin"],
            "public_text": "On 25 November checkout failed for 45 minutes after a deploy."}))
        self.assertEqual(self.must(self.api.post(path + "/submit", {}))["state"], "in_review")
        self.responder = Client(self.server)
        self.assertEqual(self.responder.login("dana", "dana-pass-123456").status, 200)
        self.assertEqual(self.api.post(path + "/submit", {}).status, 409)
        # In review, what the reviewers approve is frozen (the deadline may still move).
        frozen = self.must(self.api.get(path))
        r = self.api.request("PATCH", path, {"version": frozen["version"], "sections": {"lessons": "x"}})
        self.assertEqual(r.status, 409, r)
        r = self.api.request("PATCH", path, {"version": frozen["version"], "reviewers": []})
        self.assertEqual(r.status, 409, r)
        self.assertEqual(self.must(self.api.get(path))["version"], frozen["version"])
        self.must(self.responder.post(path + "/approve", {"comment": "LGTM"}))
        waiting = self.api.post(path + "/publish", {})
        self.assertEqual(waiting.status, 409, waiting)
        self.assertIn("admin", waiting.body["detail"])
        back = self.must(self.api.post(path + "/request-changes", {"comment": "Add the lessons"}))
        self.assertEqual(back["state"], "draft")
        self.assertTrue(all(r["approved_at"] is None for r in back["reviewers"]))
        self.must(self.api.request("PATCH", path, {"version": back["version"],
                                                   "sections": {"lessons": "Canary deploys."}}))
        self.must(self.api.post(path + "/submit", {}))
        self.must(self.responder.post(path + "/approve", {}))
        self.must(self.api.post(path + "/approve", {}))
        published = self.must(self.api.post(path + "/publish", {"status_page": True}))
        self.assertEqual(published["state"], "published")
        self.assertEqual(published["status_page"]["status"], "postmortem")
        late = self.events("review.published", iid)
        self.assertTrue(late[0]["data"]["late"])

        # The public incident carries the public text only.
        public = self.must(self.api.get("/api/v2/incidents.json", auth=False))
        pm = [i for i in public["incidents"] if i["status"] == "postmortem"]
        self.assertEqual(len(pm), 1)
        self.assertIn("checkout failed for 45 minutes", str(pm[0]))
        self.assertNotIn("client library", str(public))

        # Markdown export; a published review is final.
        export = self.api.get(path + "/markdown")
        self.assertEqual(export.status, 200)
        self.assertEqual(export.content_type, "text/markdown")
        self.assertEqual(export.body, published["markdown"])
        self.assertIn("## Lessons\nCanary deploys.", export.body)
        final = self.api.request("PATCH", path, {"version": published["version"],
                                                 "sections": {"lessons": "y"}})
        self.assertEqual(final.status, 409)
        self.assertEqual(len(self.events("review.reminder_sent", iid)), 3)
        self.advance(14 * 24 * HOUR)
        self.assertEqual(len(self.events("review.reminder_sent", iid)), 3)

    def test_by_hand_and_rules(self):
        inc = self.must(self.api.post(API + "/incidents", {"title": "Slow search", "severity": "SEV-2"}), 201)
        path = API + "/incidents/%d/review" % inc["id"]
        self.assertEqual(self.api.get(path).status, 404)
        self.must(self.api.post(API + "/incidents/%d/resolve" % inc["id"], {"summary": "ok"}))
        self.assertEqual(self.api.get(path).status, 404)  # SEV-2 needs no review
        viewer = Client(self.server, token=login_token(self.server, "viewer"))
        self.assertEqual(viewer.post(path, {}).status, 403)
        self.assertEqual(self.api.post(path, {"template": "nope"}).status, 422)
        made = self.must(self.api.post(path, {"due_at": "2026-12-01T17:00:00Z"}), 201)
        self.assertEqual(made["due_at"], "2026-12-01T17:00:00.000Z")
        self.assertEqual(self.api.post(path, {}).status, 409)
        self.assertEqual(self.api.get(API + "/incidents/999999/review").status, 404)
        mine = self.must(self.api.get(API + "/reviews", params={"state": "draft"}))["items"]
        self.assertIn(inc["id"], [r["incident"]["id"] for r in mine])
        self.assertEqual(self.api.get(API + "/reviews", params={"state": "bogus"}).status, 422)


if __name__ == "__main__":
    unittest.main()
