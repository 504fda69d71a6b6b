"""Drills (game days, issue 8 point 5) on a real server with a manual clock that starts
Wednesday 2026-11-25 09:00 UTC, the sev-levels example playbook applied, Alice's Slack
contact method pointed at a local receiver and email going to a real SMTP server.

- a scenario is checked field by field (422 naming each, nothing stored);
- run now, its alert goes through intake and classification and opens an incident marked
  as a drill; the page on Slack, the page by email and the stakeholder mail carry DRILL;
  every event of the incident carries "drill": true;
- the public status page and the customers (a status page subscriber) see nothing: a
  status_page or customer_email update is refused (409, the field named), so is a public
  incident linked to it, and nothing was written;
- the report while it runs (pending), then after the time limit: targets met and missed
  (classification, paged, acknowledge, required roles, first update, resolve, time limit)
  and the expected actions met / missed; as Markdown too;
- analytics leave the drill out by default and show it apart with ?drills=only;
- a scheduled run starts on time and ends when the team resolves it; a scheduled run can
  be cancelled, a running one stopped; a scenario that allows it may reach the status
  page, marked [DRILL] there too.
"""

import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # run from anywhere

from harness import Client, ManualClockMixin, all_events, example_files, login_token, start_server
from receivers import SmtpSink, WebhookReceiver

API = "/api/v1"
MIN = 60
START = "2026-11-25T09:00:00Z"
SLACK = "https://hooks.slack.example/services/T000/B000/alice"

SCENARIO = {
    "name": "checkout-error-spike",
    "description": "The error rate of checkout jumps after a deploy.",
    "service": "checkout",
    "severity": "SEV-1",
    "alerts": [{"labels": {"alertname": "CheckoutErrorRate", "env": "prod"},
                "annotations": {"summary": "Checkout error rate above 10%", "value": "0.23"}}],
    "expected_actions": ["acknowledge",
                         {"action": "assign_role:communications_lead", "within": "10m"},
                         {"action": "run_action:rollback-checkout", "within": "20m"},
                         "post_update"],
    "time_limit": "1h",
}


class DrillCase(ManualClockMixin, unittest.TestCase):
    def setUp(self):
        self.rx = WebhookReceiver()
        self.addCleanup(self.rx.stop)
        self.smtp = SmtpSink()
        self.addCleanup(self.smtp.stop)
        args = ["--clock-start", START, "--smtp-url", self.smtp.url,
                "--smtp-from", "klaxon@example.test", "--smtp-starttls", "off"]
        self.server = start_server(self, name="drills", clock="manual", extra_args=args)
        self.api = Client(self.server, token=login_token(self.server, "admin"))
        files = example_files("sev-levels")
        for f in files:
            f["text"] = f["text"].replace(SLACK, self.rx.url("/slack/alice"))
        self.must(self.api.post(API + "/apply", {"files": files}))
        # The customers: a status page subscriber.
        self.must(self.api.post(API + "/status/subscribers", {"webhook": self.rx.url("/customers")}), 201)

    def incident_events(self, iid):
        return [e for e in all_events(self.api) if e.get("incident_id") == iid]

    def report(self, run_id, fmt=None):
        path = API + "/drills/runs/%d/report" % run_id + ("?format=" + fmt if fmt else "")
        return self.must(self.api.get(path))

    @staticmethod
    def states(items):
        return {i.get("name", i.get("action")): i["state"] for i in items}


class TestDrill(DrillCase):
    def test_scenario_is_checked_field_by_field(self):
        bad = dict(SCENARIO, service="nope", severity="SEV-9", time_limit="forever",
                   expected_actions=["dance", "assign_role", {"action": "run_action:nope", "within": "soon"},
                                     "mark_moment:lunch"],
                   alerts=[{"labels": {"drill_run": "1"}, "annotations": {"x": 1}}], colour="red")
        r = self.api.post(API + "/drills/scenarios", bad)
        self.assertEqual(r.status, 422, r)
        fields = {e["field"] for e in r.body["errors"]}
        for f in ["/colour", "/time_limit", "/expected_actions/0", "/expected_actions/1",
                  "/expected_actions/2/within", "/expected_actions/3", "/alerts/0/labels/drill_run",
                  "/alerts/0/annotations/x"]:
            self.assertIn(f, fields, r)
        # The store is asked only once the JSON is right: service, severity, playbook names.
        r = self.api.post(API + "/drills/scenarios",
                          dict(SCENARIO, service="nope", severity="SEV-9",
                               expected_actions=["run_action:nope", "assign_role:juggler"]))
        self.assertEqual(r.status, 422, r)
        self.assertEqual({e["field"] for e in r.body["errors"]},
                         {"/service", "/severity", "/expected_actions/0", "/expected_actions/1"})
        self.assertEqual(self.must(self.api.get(API + "/drills/scenarios"))["items"], [])
        self.assertEqual([e for e in all_events(self.api) if e["kind"].startswith("drill.")], [])
        self.assertEqual(self.api.post(API + "/drills/scenarios/nope/runs", {}).status, 404)
        # Viewers read, responders define.
        viewer = Client(self.server, token=login_token(self.server, "viewer"))
        self.assertEqual(viewer.post(API + "/drills/scenarios", SCENARIO).status, 403)
        s = self.must(self.api.post(API + "/drills/scenarios", SCENARIO), 201)
        self.assertEqual(self.api.post(API + "/drills/scenarios", SCENARIO).status, 409)
        self.assertEqual(self.must(viewer.get(API + "/drills/scenarios/%d" % s["id"]))["name"], SCENARIO["name"])
        self.assertEqual(s["expected_actions"][1], {"action": "assign_role:communications_lead", "within": "10m"})
        self.assertEqual(s["expected_actions"][0], {"action": "acknowledge", "within": None})
        self.assertEqual((s["time_limit"], s["allow_public"], s["runs"], s["last_run"]), ("1h", False, 0, None))

    def test_drill_runs_through_the_real_flow_and_reports(self):
        self.must(self.api.post(API + "/drills/scenarios", SCENARIO), 201)
        t0 = self.now()
        run = self.must(self.api.post(API + "/drills/scenarios/checkout-error-spike/runs", {}), 201)
        self.assertEqual(run["status"], "running", run)
        iid = run["incident"]["id"]
        inc = self.must(self.api.get(API + "/incidents/%d" % iid))
        # Intake and classification: the alert's rule chose SEV-1; the service is the scenario's.
        self.assertTrue(inc["drill"], inc)
        self.assertEqual((inc["severity"], inc["service"]["name"], inc["title"]),
                         ("SEV-1", "checkout", "Checkout error rate above 10%"))
        alerts = self.must(self.api.get(API + "/incidents/%d/alerts" % iid))["items"]
        self.assertEqual(alerts[0]["labels"]["drill_run"], str(run["id"]))

        # The page on Slack (Alice is on call) carries DRILL.
        slack = self.rx.wait_for(1, path="/slack/alice", timeout=10, what="slack page")
        self.assertIn("[DRILL]", slack[0].body.decode())
        # Erin (a SEV-1 stakeholder) hears by email: DRILL in the subject.
        mails = self.smtp.wait_for(1, timeout=10, predicate=lambda m: "erin@acme.example" in m.rcpt_tos,
                                   what="stakeholder mail")
        self.assertIn("[DRILL]", mails[0].subject)
        # Alice's email page (2 minutes later) too.
        self.advance(2 * MIN)
        mails = self.smtp.wait_for(1, timeout=10, predicate=lambda m: "alice@acme.example" in m.rcpt_tos,
                                   what="email page")
        self.assertIn("[DRILL]", mails[0].subject)

        # The team responds: acknowledges at 4 min, names a communications lead at 12 min
        # (late for its 10 minutes), posts an internal update at 20 min; no rollback.
        self.advance(2 * MIN)
        self.must(self.api.post(API + "/incidents/%d/acknowledge" % iid, {}))
        self.advance(8 * MIN)
        self.must(self.api.request("PUT", API + "/incidents/%d/roles/communications_lead" % iid, {"user": "carol"}))
        # Carol hears of her role: DRILL there too.
        mails = self.smtp.wait_for(1, timeout=10, predicate=lambda m: "carol@acme.example" in m.rcpt_tos,
                                   what="role notice")
        self.assertIn("[DRILL]", mails[0].subject)
        self.advance(8 * MIN)
        self.must(self.api.post(API + "/incidents/%d/updates" % iid,
                                {"text": "Rolling back the deploy.", "audiences": ["internal"]}), 201)

        # The public status page and the customers: refused, the field named, nothing written.
        # (Deliveries still under way add notification.* events on their own; not counted.)
        def written():
            return [e for e in all_events(self.api) if not e["kind"].startswith("notification.")]

        before = len(written())
        r = self.api.post(API + "/incidents/%d/updates" % iid,
                          {"text": "We are investigating.", "audiences": ["internal", "status_page"]})
        self.assertEqual(r.status, 409, r)
        self.assertIn("/audiences/1", [e["field"] for e in r.body["errors"]])
        r = self.api.post(API + "/incidents/%d/updates" % iid,
                          {"text": "We are investigating.", "audiences": ["customer_email"]})
        self.assertEqual(r.status, 409, r)
        r = self.api.post(API + "/status/incidents",
                          {"name": "Checkout errors", "body": "Investigating", "incident": iid})
        self.assertEqual(r.status, 409, r)
        self.assertEqual(r.body["errors"][0]["field"], "/incident")
        self.assertEqual(len(written()), before)

        # Every event of the drill's incident says so.
        evs = self.incident_events(iid)
        self.assertGreater(len(evs), 8)
        self.assertEqual([e["kind"] for e in evs if not e["data"].get("drill")], [])
        for kind in ["incident.declared", "alert.fired", "escalation.step_fired", "drill.started",
                     "incident.acknowledged", "incident.role_assigned", "incident.update_posted"]:
            self.assertIn(kind, [e["kind"] for e in evs])

        # The report as it runs: what is done is met, the rest pending.
        rep = self.report(run["id"])
        self.assertEqual(rep["summary"]["result"], "in_progress", rep)
        t = self.states(rep["targets"])
        self.assertEqual((t["classification"], t["paged"], t["acknowledge"], t["role:commander"],
                          t["role:communications_lead"], t["first_update"], t["resolve"], t["time_limit"]),
                         ("met", "met", "met", "met", "met", "met", "pending", "pending"))
        x = self.states(rep["expected_actions"])
        self.assertEqual(x, {"acknowledge": "met", "assign_role:communications_lead": "missed",
                             "run_action:rollback-checkout": "missed", "post_update": "met"})

        # The time limit: the drill ends and resolves its incident itself.
        self.advance(int(t0 + 60 * MIN - self.now()))
        self.assertTrue(self.server_settled())
        run = self.must(self.api.get(API + "/drills/runs/%d" % run["id"]))
        self.assertEqual((run["status"], run["outcome"]), ("finished", "time_limit"), run)
        inc = self.must(self.api.get(API + "/incidents/%d" % iid))
        self.assertEqual(inc["status"], "resolved")
        alerts = self.must(self.api.get(API + "/incidents/%d/alerts" % iid))["items"]
        self.assertEqual({a["status"] for a in alerts}, {"resolved"})
        rep = self.report(run["id"])
        t = self.states(rep["targets"])
        self.assertEqual((t["resolve"], t["time_limit"]), ("missed", "missed"), rep)
        ack = [i for i in rep["targets"] if i["name"] == "acknowledge"][0]
        self.assertEqual((ack["target"], ack["took"], ack["by"]), ("30m", "4m", "admin"))
        self.assertEqual(rep["summary"], {"met": 8, "missed": 4, "pending": 0, "result": "failed"})
        self.assertEqual(rep["paging"]["escalation_steps_before_ack"], 1, rep["paging"])
        finished = [e for e in self.incident_events(iid) if e["kind"] == "drill.finished"]
        self.assertEqual(finished[0]["data"]["summary"]["result"], "failed")
        md = self.report(run["id"], "markdown")
        self.assertIn("# DRILL report: checkout-error-spike", md)
        self.assertIn("| run_action:rollback-checkout | 20m | - | - | **MISSED** |", md)
        self.assertIn("| acknowledge | 30m | 4m | admin | met |", md)

        # The customers and the public page never heard of it.
        self.assertEqual(self.rx.requests("/customers"), [])
        public = Client(self.server).get("/api/v2/incidents.json", auth=False)
        self.assertEqual(public.status, 200)
        self.assertEqual(public.body["incidents"], [])

        # Analytics: left out by default, shown apart on request.
        a = self.must(self.api.get(API + "/analytics?from=2026-11-01&to=2026-12-01"))
        self.assertEqual((a["incidents"]["total"], a["incidents"]["excluded_drills"]), (0, 1), a["incidents"])
        a = self.must(self.api.get(API + "/analytics?from=2026-11-01&to=2026-12-01&drills=only"))
        self.assertEqual((a["incidents"]["total"], a["incidents"]["drills"]), (1, 1), a["incidents"])
        self.assertEqual(self.api.get(API + "/analytics?drills=maybe").status, 422)

    def server_settled(self):
        # The manual clock's advance settles the engine; a short wait for the dispatcher.
        time.sleep(0.2)
        return True

    def test_scheduled_cancelled_stopped_and_public(self):
        self.must(self.api.post(API + "/drills/scenarios", SCENARIO), 201)
        r = self.api.post(API + "/drills/scenarios/checkout-error-spike/runs", {"at": "2026-11-25T08:00:00Z"})
        self.assertEqual(r.status, 422, r)
        # Scheduled for 10:00: nothing happens before, the drill starts on time.
        run = self.must(self.api.post(API + "/drills/scenarios/checkout-error-spike/runs",
                                      {"at": "2026-11-25T10:00:00Z"}), 201)
        self.assertEqual((run["status"], run["incident"]), ("scheduled", None))
        self.advance(59 * MIN)
        self.assertEqual(self.must(self.api.get(API + "/drills/runs/%d" % run["id"]))["status"], "scheduled")
        self.assertEqual(self.api.delete(API + "/drills/scenarios/checkout-error-spike").status, 409)
        self.advance(1 * MIN)
        run = self.must(self.api.get(API + "/drills/runs/%d" % run["id"]))
        self.assertEqual(run["status"], "running", run)
        self.assertEqual(run["started_at"], "2026-11-25T10:00:00.000Z")
        iid = run["incident"]["id"]
        # The team resolves it in 25 minutes: the run is over, the time limit met.
        self.advance(25 * MIN)
        self.must(self.api.post(API + "/incidents/%d/resolve" % iid, {"summary": "Rolled back"}))
        run = self.must(self.api.get(API + "/drills/runs/%d" % run["id"]))
        self.assertEqual((run["status"], run["outcome"]), ("finished", "resolved"), run)
        t = self.states(self.report(run["id"])["targets"])
        self.assertEqual((t["time_limit"], t["resolve"]), ("met", "met"))

        # A scheduled run cancelled never starts; a running one stopped resolves its incident.
        later = self.must(self.api.post(API + "/drills/scenarios/checkout-error-spike/runs",
                                        {"at": "2026-11-26T10:00:00Z"}), 201)
        self.assertEqual(self.must(self.api.post(API + "/drills/runs/%d/cancel" % later["id"], {}))["status"],
                         "cancelled")
        self.assertEqual(self.api.post(API + "/drills/runs/%d/cancel" % later["id"], {}).status, 409)
        now_run = self.must(self.api.post(API + "/drills/scenarios/checkout-error-spike/runs", {}), 201)
        stopped = self.must(self.api.post(API + "/drills/runs/%d/cancel" % now_run["id"], {}))
        self.assertEqual((stopped["status"], stopped["outcome"]), ("cancelled", "cancelled"))
        inc = self.must(self.api.get(API + "/incidents/%d" % now_run["incident"]["id"]))
        self.assertEqual(inc["status"], "resolved")
        self.advance(24 * 60 * MIN)
        self.assertEqual(self.must(self.api.get(API + "/drills/runs/%d" % later["id"]))["status"], "cancelled")
        runs = self.must(self.api.get(API + "/drills/runs?scenario=checkout-error-spike"))["items"]
        self.assertEqual([r["status"] for r in runs], ["cancelled", "cancelled", "finished"])

        # A scenario that says so may reach the status page; it is marked there too.
        public = dict(SCENARIO, name="public-drill", allow_public=True)
        self.must(self.api.post(API + "/drills/scenarios", public), 201)
        run = self.must(self.api.post(API + "/drills/scenarios/public-drill/runs", {}), 201)
        out = self.must(self.api.post(API + "/incidents/%d/updates" % run["incident"]["id"],
                                      {"text": "Checkout is failing for some customers.",
                                       "subject": "Checkout errors", "audiences": ["status_page"]}), 201)
        self.assertIn("status_page", out)
        page = Client(self.server).get("/api/v2/incidents.json", auth=False).body
        self.assertEqual([i["name"] for i in page["incidents"]], ["[DRILL] Checkout errors"])
        # Deleting a scenario keeps its past runs.
        self.must(self.api.post(API + "/drills/runs/%d/cancel" % run["id"], {}))
        self.assertEqual(self.api.delete(API + "/drills/scenarios/public-drill").status, 204)
        self.assertEqual(len(self.must(self.api.get(API + "/drills/runs?scenario=public-drill"))["items"]), 1)


if __name__ == "__main__":
    unittest.main()
