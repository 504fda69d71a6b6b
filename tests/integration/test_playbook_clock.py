"""The playbook on the clock (issue 6): each example playbook in examples/ is applied to a
real server on a manual clock that starts at a chosen instant (`--clock-start`), then
incidents are driven through it and the event log is checked minute by minute:

- severity chosen by the classification rules (and shown on the incident), or by hand;
- required roles listed, default holders taken from the role's schedule, unfilled ones
  named; role restrictions refused with 422;
- acknowledgement target missed at the right minute (then the escalation's next step);
- resolution target missed at the right minute, stakeholders told (users, teams, emails);
- elapsed-time escalation matrix steps paged at 30 min, 1 h and 2 h, acknowledged or not;
- update reminders before and after the level's cadence, reset by posting an update;
- record-only levels page nobody; business-hours levels wait for the next opening
  (across a weekend and a holiday);
- key moments and typed timeline entries;
- the review deadline in business days across a holiday and a weekend.
"""

import datetime
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # run from anywhere

from harness import REPO, example_files as files_of, Client, ManualClockMixin, all_events, login_token, parse_time, start_server
from receivers import SmtpSink
import remediation_app

API = "/api/v1"
EXAMPLES = os.path.join(REPO, "examples")
MIN = 60


def iso(ts):
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class PlaybookClockCase(ManualClockMixin, unittest.TestCase):
    EXAMPLE = None
    START = None

    def setUp(self):
        self.smtp = SmtpSink()
        self.addCleanup(self.smtp.stop)
        args = ["--clock-start", self.START, "--smtp-url", self.smtp.url,
                "--smtp-from", "klaxon@example.test", "--smtp-starttls", "off"]
        self.server = start_server(self, name="clock-" + self.EXAMPLE, clock="manual", extra_args=args)
        self.api = Client(self.server, token=login_token(self.server, "admin"))
        r = self.api.post(API + "/apply", {"files": files_of(self.EXAMPLE)})
        self.must(r, 200)
        self.t0 = self.now()

    # -- plumbing (must, now, advance: ManualClockMixin) ---------------------------------
    def advance_to(self, ts):
        now = self.now()
        return self.advance(int(ts - now)) if ts > now else now

    def declare(self, title, severity, service=None):
        body = {"title": title, "severity": severity}
        if service:
            body["service"] = service
        return self.must(self.api.post(API + "/incidents", body), 201)

    def incident(self, iid):
        return self.must(self.api.get(API + "/incidents/%d" % iid))

    def events(self, iid, kind=None):
        out = [e for e in all_events(self.api) if e.get("incident_id") == iid]
        return [e for e in out if kind is None or e["kind"] == kind]

    def kinds(self, iid):
        return [e["kind"] for e in self.events(iid)]

    def integration_key(self, name):
        for i in self.must(self.api.get(API + "/integrations"))["items"]:
            if i["name"] == name:
                return i["key"]
        self.fail("no integration %s" % name)

    def alertmanager(self, key, alerts):
        now = iso(self.now())
        payload = {"version": "4", "groupKey": "{}:{}", "truncatedAlerts": 0, "status": "firing",
                   "receiver": "klaxon", "groupLabels": {}, "commonLabels": {},
                   "commonAnnotations": {}, "externalURL": "http://am.example",
                   "alerts": [{"status": "firing", "labels": l, "annotations": a, "startsAt": now,
                               "endsAt": "0001-01-01T00:00:00Z",
                               "generatorURL": "http://prom.example/graph",
                               "fingerprint": "%016x" % (abs(hash(json.dumps(l, sort_keys=True))) % (1 << 63))}
                              for l, a in alerts]}
        r = self.api.request("POST", "/intake/alertmanager/" + key, payload, auth=False)
        self.assertIn(r.status, (200, 202), r)
        incs = self.api.list_all(API + "/incidents")
        return {i["title"]: i for i in incs}


class TestSevLevels(PlaybookClockCase):
    """examples/sev-levels: SEV-0…SEV-3, 15-minute ack target on SEV-0, America/New_York,
    Thanksgiving (2026-11-26) a holiday. The clock starts Wednesday 2026-11-25 14:00 EST."""
    EXAMPLE = "sev-levels"
    START = "2026-11-25T14:00:00-05:00"

    def test_classification_targets_roles_cadence_review(self):
        key = self.integration_key("prod-alertmanager")
        incs = self.alertmanager(key, [
            ({"alertname": "CheckoutErrorRate", "service": "checkout"},
             {"summary": "Checkout error rate high", "value": "0.23"}),
            ({"alertname": "CheckoutDown", "service": "checkout"},
             {"summary": "Checkout is down"}),
            ({"alertname": "CheckoutErrorRate", "service": "checkout", "env": "canary"},
             {"summary": "Canary errors", "value": "0.02"}),
        ])
        rate, down = incs["Checkout error rate high"], incs["Checkout is down"]
        self.assertEqual(rate["severity"], "SEV-1")
        self.assertEqual(rate["classified_by"], "error rate > 10%")
        self.assertEqual(down["severity"], "SEV-0")
        self.assertEqual(down["classified_by"], "checkout down")
        low = incs.get("Canary errors")
        if low:  # grouped separately only when the group key differs
            self.assertEqual(low["severity"], "SEV-3")
            self.assertEqual(low["classified_by"], "everything else")

        iid = down["id"]
        inc = self.incident(iid)
        pb = inc["playbook"]
        self.assertEqual(pb["classification"]["rule"], "checkout down")
        self.assertEqual(inc["war_room"], "#inc-2026-11-25-checkout-is-down")
        self.assertEqual(pb["targets"]["ack"]["target"], "15m")
        self.assertEqual(parse_time(pb["targets"]["ack"]["due_at"]), self.t0 + 15 * MIN)
        self.assertEqual(pb["targets"]["ack"]["state"], "pending")
        self.assertEqual(parse_time(pb["targets"]["resolve"]["due_at"]), self.t0 + 4 * 3600)
        # The commander comes from the payments-primary rotation (alice this week).
        roles = {r["name"]: r for r in pb["roles"]}
        self.assertTrue(roles["commander"]["required"])
        self.assertEqual(roles["commander"]["holder"]["username"], "alice")
        self.assertEqual(pb["unfilled_roles"], ["communications_lead", "scribe", "technical_lead"])
        # communications_lead may be held by erin or carol only.
        r = self.api.request("PUT", API + "/incidents/%d/roles/communications_lead" % iid, {"user": "bob"})
        self.assertEqual(r.status, 422, r)
        self.assertIn("/user", json.dumps(r.body))
        r = self.api.request("PUT", API + "/incidents/%d/roles/navigator" % iid, {"user": "bob"})
        self.assertEqual(r.status, 422, r)
        self.must(self.api.request("PUT", API + "/incidents/%d/roles/communications_lead" % iid, {"user": "carol"}))
        self.assertEqual(self.incident(iid)["playbook"]["unfilled_roles"], ["scribe", "technical_lead"])
        # Stakeholders heard of the SEV-0 at once: team leadership (erin, frank) and an address.
        told = self.events(iid, "incident.stakeholders_notified")
        self.assertEqual(told[0]["data"]["reason"], "declared")
        self.assertEqual(sorted(told[0]["data"]["told"]), ["erin", "frank", "support-leads@acme.example"])

        # Update cadence 15m: reminded 5 min before (to the communications lead), then late.
        self.advance(10 * MIN - 1)
        self.assertNotIn("incident.update_due_soon", self.kinds(iid))
        self.advance(1)
        soon = self.events(iid, "incident.update_due_soon")
        self.assertEqual(len(soon), 1)
        self.assertEqual(soon[0]["data"]["notified"], ["carol"])
        self.assertEqual(self.incident(iid)["playbook"]["updates"]["state"], "due_soon")

        # Ack target 15m: not at 14:59, missed at 15:00, and the policy escalates at once.
        self.advance(5 * MIN - 1)
        self.assertNotIn("incident.ack_target_missed", self.kinds(iid))
        fired_before = len(self.events(iid, "escalation.step_fired"))
        self.advance(1)
        missed = self.events(iid, "incident.ack_target_missed")
        self.assertEqual(len(missed), 1)
        self.assertEqual(parse_time(missed[0]["at"]), self.t0 + 15 * MIN)
        fired = self.events(iid, "escalation.step_fired")
        self.assertEqual(len(fired), fired_before + 1)
        self.assertEqual(fired[-1]["data"]["via"], "escalate")
        self.assertEqual(len(self.events(iid, "incident.update_late")), 1)
        pb = self.incident(iid)["playbook"]
        self.assertEqual(pb["targets"]["ack"]["state"], "missed")
        self.assertEqual(pb["updates"]["state"], "late")

        # An update resets the cadence: the next is due 15 min later.
        self.advance(MIN)
        up = self.must(self.api.post(API + "/incidents/%d/updates" % iid,
                                     {"text": "Rolled back; watching.", "audiences": ["internal", "stakeholders"]}), 201)
        self.assertEqual(up["update_number"], 1)
        self.assertEqual(parse_time(up["next_due_at"]), self.t0 + 31 * MIN)
        self.assertEqual(self.incident(iid)["playbook"]["updates"]["state"], "ok")
        told = self.events(iid, "incident.stakeholders_notified")
        self.assertEqual(told[-1]["data"]["reason"], "update:1")
        r = self.api.post(API + "/incidents/%d/updates" % iid, {"text": "x", "audiences": ["customers"]})
        self.assertEqual(r.status, 422, r)

        # Timeline entries and key moments.
        self.must(self.api.post(API + "/incidents/%d/notes" % iid, {"text": "Deploy 4411 broke TLS", "type": "finding"}), 201)
        self.must(self.api.post(API + "/incidents/%d/notes" % iid, {"text": "Roll back", "type": "decision"}), 201)
        r = self.api.post(API + "/incidents/%d/notes" % iid, {"text": "x", "type": "rumour"})
        self.assertEqual(r.status, 422, r)
        self.must(self.api.post(API + "/incidents/%d/moments" % iid, {"moment": "root_cause_identified"}))
        self.must(self.api.post(API + "/incidents/%d/moments" % iid,
                                {"moment": "mitigation_started", "at": iso(self.t0 + 16 * MIN), "note": "rollback"}))
        r = self.api.post(API + "/incidents/%d/moments" % iid, {"moment": "service_restored", "at": iso(self.now() + 60)})
        self.assertEqual(r.status, 422, r)
        r = self.api.post(API + "/incidents/%d/moments" % iid, {"moment": "lunch"})
        self.assertEqual(r.status, 422, r)
        moments = {m["moment"]: m for m in self.incident(iid)["playbook"]["moments"]}
        self.assertEqual(parse_time(moments["detected"]["at"]), self.t0)
        self.assertEqual(parse_time(moments["mitigation_started"]["at"]), self.t0 + 16 * MIN)
        self.assertIsNotNone(moments["root_cause_identified"]["at"])
        self.assertIsNone(moments["service_restored"]["at"])
        types = [e["data"].get("type") for e in self.events(iid, "incident.note_added")]
        self.assertEqual(types, ["finding", "decision"])

        # The runbook matched by service and alert labels, its steps a checklist.
        rb = self.incident(iid)["playbook"]["runbook"]
        self.assertEqual(rb["name"], "checkout-errors")
        self.assertEqual(rb["rto"], "30m")
        self.assertIn("<ol>", rb["diagnosis_html"])
        self.assertEqual(rb["progress"], {"done": 0, "total": 4})
        self.assertEqual(rb["steps"][1]["action"], "rollback-checkout")
        got = self.must(self.api.post(API + "/incidents/%d/runbook/steps/2" % iid, {"done": True}))
        self.assertEqual(got["progress"]["done"], 1)
        self.assertTrue(got["steps"][1]["done"])
        self.assertEqual(self.api.post(API + "/incidents/%d/runbook/steps/9" % iid, {"done": True}).status, 422)
        ticked = self.events(iid, "incident.runbook_step_checked")
        self.assertEqual(ticked[0]["data"]["step"], 2)
        self.assertTrue(ticked[0]["data"]["done"])
        # A hand-declared catalog incident has no runbook.
        other = self.declare("Prices wrong", "SEV-2", "catalog")
        self.assertIsNone(self.incident(other["id"])["playbook"]["runbook"])
        self.assertEqual(self.api.post(API + "/incidents/%d/runbook/steps/1" % other["id"], {"done": True}).status, 404)

        # Resolve target 4h: missed at 18:00, stakeholders told.
        self.advance_to(self.t0 + 4 * 3600 - 1)
        self.assertNotIn("incident.resolve_target_missed", self.kinds(iid))
        self.advance(1)
        self.assertEqual(len(self.events(iid, "incident.resolve_target_missed")), 1)
        self.assertEqual(self.events(iid, "incident.stakeholders_notified")[-1]["data"]["reason"],
                         "resolve_target_missed")

        # Resolved Wednesday 18:00 EST; review in 2 business days: Thursday is Thanksgiving,
        # Friday is day 1, the weekend does not count, Monday is day 2 → Mon 17:00 EST.
        self.must(self.api.post(API + "/incidents/%d/resolve" % iid, {"summary": "Rolled back."}))
        due = self.events(iid, "incident.review_due")
        self.assertEqual(len(due), 1)
        self.assertEqual(due[0]["data"]["due_at"], "2026-11-30T22:00:00.000Z")
        self.assertEqual(due[0]["data"]["deadline"], "2 business days")
        self.assertEqual(self.events(iid, "incident.stakeholders_notified")[-1]["data"]["reason"], "resolved")
        # Stakeholder mail reached the external address.
        self.smtp.wait_for(1, timeout=10, predicate=lambda m: "support-leads@acme.example" in m.rcpt_tos
                           and "resolution target missed" in m.subject)

    def test_composer_renders_the_playbooks_templates_and_publishes(self):
        key = self.integration_key("prod-alertmanager")
        iid = self.alertmanager(key, [({"alertname": "CheckoutDown", "service": "checkout"},
                                       {"summary": "Checkout is down"})])["Checkout is down"]["id"]
        self.advance(7 * MIN)
        self.must(self.api.post(API + "/incidents/%d/notes" % iid,
                                {"text": "Rolled back deploy 4411", "type": "action"}), 201)
        compose = API + "/incidents/%d/compose" % iid
        draft = self.must(self.api.post(compose, {"kind": "update", "audience": "stakeholder_email"}))
        self.assertEqual(draft["template"], "update-stakeholders")
        self.assertEqual(draft["subject"], "[SEV-0] INC-%d update #1: Checkout is down" % iid)
        self.assertIn("Status: triggered.", draft["body"])
        self.assertIn("Duration so far: 7m.", draft["body"])
        self.assertIn("- Rolled back deploy 4411", draft["body"])
        self.assertIn("Next update by 2026-11-25 19:22 UTC.", draft["body"])  # 14:07 EST + 15m
        chat = self.must(self.api.post(compose, {"audience": "internal_chat"}))
        self.assertEqual((chat["kind"], chat["template"]), ("initial", "initial-chat"))
        self.assertIn("Commander: Alice Adams. War room: #inc-2026-11-25-checkout-is-down", chat["body"])
        customer = self.must(self.api.post(compose, {"audience": "customer_email"}))
        self.assertEqual(customer["template"], "customer-initial")
        self.assertEqual(customer["subject"], "We are investigating a problem with checkout")
        self.assertEqual(self.api.post(compose, {"audience": "pigeons"}).status, 422)
        self.assertEqual(self.api.post(compose, {"audience": "status_page", "template": "nope"}).status, 422)

        # Publish: the status page (a public incident from this one) and the stakeholders.
        up = self.must(self.api.post(API + "/incidents/%d/updates" % iid, {
            "subject": customer["subject"], "text": customer["body"],
            "audiences": ["status_page", "stakeholder_email"]}), 201)
        self.assertEqual(up["update_number"], 1)
        self.assertEqual(up["audiences"], ["internal", "status_page", "stakeholders"])
        self.assertEqual(up["status_page"]["status"], "investigating")
        kinds = [e["kind"] for e in all_events(self.api)]
        self.assertIn("status.incident_published", kinds)
        # The next draft is update #2, with no actions since the last update.
        draft = self.must(self.api.post(compose, {"audience": "stakeholder_email"}))
        self.assertEqual(draft["kind"], "update")
        self.assertIn("update #2", draft["subject"])
        self.assertNotIn("Rolled back", draft["body"])
        # Resolved: the resolution template for the status page, published as resolved.
        self.must(self.api.post(API + "/incidents/%d/resolve" % iid, {"summary": "Rolled back."}))
        res = self.must(self.api.post(compose, {"audience": "status_page"}))
        self.assertEqual((res["kind"], res["template"]), ("resolution", "status-resolved"))
        up = self.must(self.api.post(API + "/incidents/%d/updates" % iid,
                                     {"text": res["body"], "audiences": ["status_page"]}), 201)
        self.assertEqual(up["status_page"]["status"], "resolved")
        self.assertIsNone(up["next_due_at"])

    def test_record_only_and_business_hours(self):
        # SEV-3 is record-only: tracked, nobody paged.
        low = self.declare("Typo on the help page", "SEV-3", "catalog")
        kinds = self.kinds(low["id"])
        self.assertIn("escalation.skipped", kinds)
        self.assertNotIn("escalation.step_fired", kinds)
        # Raised to SEV-1, paging starts at once.
        self.must(self.api.post(API + "/incidents/%d/severity" % low["id"], {"severity": "SEV-1", "reason": "spreading"}))
        ev = self.events(low["id"], "incident.severity_changed")
        self.assertEqual(ev[-1]["data"]["direction"], "raised")
        self.assertIn("escalation.step_fired", self.kinds(low["id"]))

        # SEV-2 pages in business hours: Wednesday 14:00 is within them.
        now_inc = self.declare("Slow product pages", "SEV-2", "catalog")
        self.assertIn("escalation.step_fired", self.kinds(now_inc["id"]))
        # Wednesday 18:30 is not; Thursday is Thanksgiving: step 1 waits for Friday 09:00 EST.
        self.advance_to(self.t0 + 4 * 3600 + 30 * MIN)
        late = self.declare("Recommendations missing", "SEV-2", "catalog")
        deferred = self.events(late["id"], "escalation.deferred")
        self.assertEqual(len(deferred), 1)
        self.assertEqual(deferred[0]["data"]["until"], "2026-11-27T14:00:00.000Z")
        self.assertNotIn("escalation.step_fired", self.kinds(late["id"]))
        # Its acknowledgement target (1h) counts from the opening, not from the night.
        ack = self.incident(late["id"])["playbook"]["targets"]["ack"]
        self.assertEqual(ack["due_at"], "2026-11-27T15:00:00.000Z")
        self.advance_to(parse_time("2026-11-27T14:00:00.000Z") - 1)
        self.assertNotIn("escalation.step_fired", self.kinds(late["id"]))
        self.advance(1)
        fired = self.events(late["id"], "escalation.step_fired")
        self.assertEqual(len(fired), 1)
        self.assertEqual(fired[0]["data"]["via"], "business hours")

    def test_war_room_name_from_the_pattern_and_a_link(self):
        inc = self.declare("Checkout is down", "SEV-0", "checkout")
        path = API + "/incidents/%d/war-room" % inc["id"]
        pb = self.incident(inc["id"])["playbook"]
        self.assertEqual(pb["war_room"], "#inc-2026-11-25-checkout-is-down")
        self.assertIsNone(pb["war_room_link"])
        for bad in ["javascript:alert(1)", "https://chat.example/has space", "ftp://x.example/a"]:
            r = self.api.request("PUT", path, {"link": bad})
            self.assertEqual(r.status, 422, r)
            self.assertEqual(r.body["errors"][0]["field"], "/link")
        link = "https://chat.example/archives/C0INC42"
        r = self.must(self.api.request("PUT", path, {"link": link}))
        self.assertEqual(r, {"name": "#inc-2026-11-25-checkout-is-down", "link": link})
        self.assertEqual(self.incident(inc["id"])["playbook"]["war_room_link"], link)
        self.assertEqual(self.incident(inc["id"])["war_room_link"], link)
        linked = self.events(inc["id"], "incident.war_room_linked")
        self.assertEqual(linked[-1]["data"]["link"], link)
        # The same again changes nothing; "" clears the link; viewers may not set it.
        self.must(self.api.request("PUT", path, {"link": link}))
        self.assertEqual(len(self.events(inc["id"], "incident.war_room_linked")), 1)
        self.assertIsNone(self.must(self.api.request("PUT", path, {"link": ""}))["link"])
        viewer = Client(self.server, token=login_token(self.server, "viewer"))
        self.assertEqual(viewer.request("PUT", path, {"link": link}).status, 403)

    def test_severity_scheme_is_the_playbooks(self):
        sev = self.must(self.api.get(API + "/severities"))["items"]
        self.assertEqual([s["name"] for s in sev], ["SEV-0", "SEV-1", "SEV-2", "SEV-3"])
        self.assertEqual(sev[0]["ack_target"], "15m")
        self.assertEqual(sev[0]["rank"], 1)
        r = self.api.post(API + "/incidents", {"title": "x", "severity": "SEV-4"})
        self.assertEqual(r.status, 422, r)
        inc = self.must(self.api.post(API + "/incidents", {"title": "Something odd"}), 201)
        self.assertEqual(inc["severity"], "SEV-3")  # the least severe level


class TestPriority(PlaybookClockCase):
    """examples/priority: P1…P4, P1 resolves within 1 h and escalates by elapsed time
    (+grace at 30 min, +heidi at 1 h, +ivan at 2 h), Europe/London."""
    EXAMPLE = "priority"
    START = "2026-11-25T10:00:00Z"

    def test_matrix_pages_by_elapsed_time_even_when_acknowledged(self):
        inc = self.declare("Card authorisations failing", "P1", "card-gateway")
        iid = inc["id"]
        pb = self.incident(iid)["playbook"]
        self.assertEqual([m["after"] for m in pb["matrix"]], ["30m", "1h", "2h"])
        self.assertEqual(pb["unfilled_roles"], ["incident_commander", "communications_lead", "scribe"])
        # Only grace, judy, ken or linus may command.
        r = self.api.request("PUT", API + "/incidents/%d/roles/incident_commander" % iid, {"user": "heidi"})
        self.assertEqual(r.status, 422, r)
        self.advance(2 * MIN)
        self.must(self.api.post(API + "/incidents/%d/acknowledge" % iid, {}))
        self.assertEqual(self.incident(iid)["playbook"]["targets"]["ack"]["state"], "met")
        self.advance_to(self.t0 + 30 * MIN - 1)
        self.assertEqual(self.events(iid, "incident.matrix_escalated"), [])
        self.advance(1)
        m = self.events(iid, "incident.matrix_escalated")
        self.assertEqual([(e["data"]["step"], e["data"]["paged"]) for e in m], [(1, ["grace"])])
        # Updates every 15 min for P1; the ack does not stop the clock on the resolve target.
        self.advance_to(self.t0 + 3600)
        m = self.events(iid, "incident.matrix_escalated")
        self.assertEqual([e["data"]["paged"] for e in m], [["grace"], ["heidi"]])
        self.assertEqual(len(self.events(iid, "incident.resolve_target_missed")), 1)
        self.advance_to(self.t0 + 2 * 3600)
        m = self.events(iid, "incident.matrix_escalated")
        self.assertEqual([e["data"]["paged"] for e in m], [["grace"], ["heidi"], ["ivan"]])
        self.assertTrue(all(x["done"] for x in self.incident(iid)["playbook"]["matrix"]))
        # Heidi got a page by email (her only contact method).
        self.smtp.wait_for(1, timeout=10, predicate=lambda msg: "heidi@northwind.example" in msg.rcpt_tos)
        # Resolved: the matrix stops; the review is due 48 h later.
        self.must(self.api.post(API + "/incidents/%d/resolve" % iid, {"summary": "fixed"}))
        due = self.events(iid, "incident.review_due")
        self.assertEqual(parse_time(due[0]["data"]["due_at"]), self.now() + 48 * 3600)

    def test_p4_is_record_only(self):
        inc = self.declare("Old export format", "P4", "merchant-dashboard")
        self.assertIn("escalation.skipped", self.kinds(inc["id"]))
        self.assertNotIn("escalation.step_fired", self.kinds(inc["id"]))


class TestLevels(PlaybookClockCase):
    """examples/levels: Level 1…4, updates every 10/15/60 minutes, Europe/Berlin business
    hours 08:00-18:00 Mon-Fri. The clock starts Saturday 2026-11-28 12:00 Berlin time."""
    EXAMPLE = "levels"
    START = "2026-11-28T12:00:00+01:00"

    def test_ten_minute_cadence_and_weekend_business_hours(self):
        inc = self.declare("Appointment booking down", "Level 1 Critical", "booking")
        iid = inc["id"]
        pb = self.incident(iid)["playbook"]
        for role in ("comms", "scribe", "clinical_safety_officer"):
            self.assertIn(role, pb["unfilled_roles"])
        self.assertEqual(sorted(r["name"] for r in pb["roles"] if r["required"]),
                         ["clinical_safety_officer", "comms", "incident_lead", "scribe"])
        # Every 10 minutes: reminded at 5, late at 10.
        self.advance(5 * MIN - 1)
        self.assertNotIn("incident.update_due_soon", self.kinds(iid))
        self.advance(1)
        self.assertEqual(len(self.events(iid, "incident.update_due_soon")), 1)
        self.advance(5 * MIN)
        self.assertEqual(len(self.events(iid, "incident.update_late")), 1)
        # The 10-minute ack target was missed at the same minute.
        self.assertEqual(len(self.events(iid, "incident.ack_target_missed")), 1)
        self.must(self.api.post(API + "/incidents/%d/updates" % iid, {"text": "Investigating."}), 201)
        self.advance(5 * MIN)
        self.assertEqual(len(self.events(iid, "incident.update_due_soon")), 2)

        # Level 3 pages in business hours only: Saturday → Monday 08:00 Berlin (07:00Z).
        slow = self.declare("Booking slow for some", "Level 3 Moderate", "booking")
        d = self.events(slow["id"], "escalation.deferred")
        self.assertEqual(d[0]["data"]["until"], "2026-11-30T07:00:00.000Z")
        # Level 4 is record-only.
        low = self.declare("Icon misaligned", "Level 4 Low", "booking")
        self.assertIn("escalation.skipped", self.kinds(low["id"]))


class TestRemediationActions(unittest.TestCase):
    """Actions of the playbook run from an incident against a local app standing in for the
    team's deploy and flag service; the secret comes from the server's environment."""

    TOKEN = "s3cr3t-rollback-token-4711"

    def test_run_from_the_incident_with_confirmation(self):
        self.app, self.app_requests = remediation_app.start(self, token=self.TOKEN)
        server = start_server(self, name="actions", env={"ROLLBACK_TOKEN": self.TOKEN})
        api = Client(server, token=login_token(server, "admin"))
        self.assertEqual(api.post(API + "/apply", {"files": files_of("sev-levels")}).status, 200)
        local = ("actions:\n"
                 "  - name: rollback-checkout\n"
                 "    method: POST\n"
                 "    url: %(app)s/deploys/checkout/rollback\n"
                 "    headers:\n"
                 "      Authorization: Bearer ${ROLLBACK_TOKEN}\n"
                 "    body: '{\"reason\": \"{{ref}}: {{title}}\"}'\n"
                 "    timeout: 5s\n"
                 "    expect_status: [200, 202]\n"
                 "  - name: checkout-read-only\n"
                 "    method: POST\n"
                 "    url: %(app)s/fail\n"
                 "    headers:\n"
                 "      Authorization: Bearer ${ROLLBACK_TOKEN}\n"
                 "  - name: slow-flag\n"
                 "    method: POST\n"
                 "    url: %(app)s/slow?ms=3000\n"
                 "    headers:\n"
                 "      Authorization: Bearer ${ROLLBACK_TOKEN}\n"
                 "    timeout: 500ms\n") % {"app": self.app}
        r = api.post(API + "/apply", {"files": [{"name": "local-actions.yaml", "text": local}]})
        self.assertEqual(r.status, 200, r)
        inc = api.post(API + "/incidents", {"title": 'Checkout "down"', "severity": "SEV-1",
                                            "service": "checkout"}).body
        path = API + "/incidents/%d/actions/%%s/run" % inc["id"]

        r = api.post(path % "rollback-checkout", {"confirm": False})
        self.assertEqual(r.status, 422, r)
        self.assertEqual(self.app_requests(), [], "an unconfirmed action must not run")
        self.assertEqual(api.post(path % "no-such-action", {"confirm": True}).status, 404)

        ok = api.post(path % "rollback-checkout", {"confirm": True})
        self.assertEqual(ok.status, 200, ok)
        self.assertTrue(ok.body["ok"], ok.body)
        self.assertEqual(ok.body["http_status"], 202)
        self.assertIn("rolled_back_to", ok.body["excerpt"])
        sent = self.app_requests()
        self.assertEqual(len(sent), 1)
        self.assertEqual(json.loads(sent[0]["body"]), {"reason": 'INC-%d: Checkout "down"' % inc["id"]})

        failed = api.post(path % "checkout-read-only", {"confirm": True}).body
        self.assertFalse(failed["ok"])
        self.assertEqual(failed["http_status"], 500)
        self.assertIn("unexpected status 500", failed["error"])
        slow = api.post(path % "slow-flag", {"confirm": True}).body
        self.assertFalse(slow["ok"])
        self.assertIn("timed out", slow["error"])

        runs = [e for e in all_events(api) if e["kind"] == "incident.action_run"]
        self.assertEqual([(e["data"]["action"], e["data"]["ok"]) for e in runs],
                         [("rollback-checkout", True), ("checkout-read-only", False), ("slow-flag", False)])
        # The secret reached the app, but appears in no event, answer or log line.
        self.assertIn(self.TOKEN, json.dumps(sent[0]["headers"]))
        self.assertNotIn(self.TOKEN, json.dumps(all_events(api)))
        self.assertNotIn(self.TOKEN, json.dumps([ok.body, failed, slow]))
        self.assertNotIn(self.TOKEN, server.log_tail(10 ** 7))
        # Viewers may not run actions.
        viewer = Client(server, token=login_token(server, "viewer"))
        self.assertEqual(viewer.post(path % "rollback-checkout", {"confirm": True}).status, 403)


class TestDemo(unittest.TestCase):
    """`make run` starts with `--demo --demo-playbook examples/sev-levels`: the demo
    organization is that example playbook, applied at first start."""

    def test_demo_organization_is_the_sev_levels_example(self):
        server = start_server(self, name="demo", extra_args=[
            "--demo", "--demo-playbook", os.path.join(EXAMPLES, "sev-levels")])
        api = Client(server, token=login_token(server, "admin"))
        sev = api.get(API + "/severities").body["items"]
        self.assertEqual([s["name"] for s in sev], ["SEV-0", "SEV-1", "SEV-2", "SEV-3"])
        services = sorted(s["name"] for s in api.get(API + "/services").body["items"])
        self.assertEqual(services, ["catalog", "checkout", "search"])
        incs = {i["title"]: i for i in api.list_all(API + "/incidents")}
        self.assertEqual(incs["Checkout error rate above 5%"]["severity"], "SEV-1")
        self.assertEqual(incs["Checkout error rate above 5%"]["status"], "acknowledged")
        self.assertEqual(incs["Search latency p99 over 2 s"]["severity"], "SEV-3")
        # Applying the same example again changes nothing.
        again = api.post(API + "/apply", {"files": files_of("sev-levels"), "dry_run": True}).body
        self.assertEqual([c for c in again["changes"] if c["type"] != "unchanged"], [])

    def test_demo_without_a_playbook_is_the_built_in_organization(self):
        server = start_server(self, name="demo-builtin", extra_args=["--demo"])
        api = Client(server, token=login_token(server, "admin"))
        users = sorted(u["username"] for u in api.list_all(API + "/users"))
        self.assertEqual(users, ["admin", "alice", "bob", "carol"])
        services = sorted(s["name"] for s in api.get(API + "/services").body["items"])
        self.assertEqual(services, ["checkout", "payments", "search"])
        incs = {i["title"]: i for i in api.list_all(API + "/incidents")}
        self.assertEqual(incs["Checkout error rate above 5%"]["status"], "acknowledged")
        self.assertIn("Search latency p99 over 2 s", incs)


if __name__ == "__main__":
    unittest.main()
