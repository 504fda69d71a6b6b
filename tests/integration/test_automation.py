"""Automation rules (issue 6 point 8): "when an alert matching the selector keeps a value
over a threshold for a duration, run the action, with a cooldown and a maximum number of
runs". A real server on a manual clock applies examples/sev-levels plus local actions that
call a small HTTP app (remediation_app.py) standing in for the team's deploy and flag
service; Alertmanager webhooks feed the alerts and their `value` annotation. Checked:

- the condition must hold for `for` (a dip below the threshold starts the count again);
- the run happens at the right minute even with no new alert (the engine's timer), and
  goes on the timeline as `incident.action_run` with the rule's name and the result;
- the cooldown holds back a second run; max_runs stops them for the incident;
- a disabled rule and a non-matching alert run nothing; a resolved alert stops the count;
- timeouts and failures are recorded as such;
- the secret from the server's environment reaches the app but no event, answer or log;
- a run that was in flight when the server was killed is not repeated after the restart:
  it is recorded as interrupted.
"""

import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # run from anywhere

from harness import Client, ManualClockMixin, all_events, example_files, login_token, parse_time, start_server
import remediation_app

API = "/api/v1"
MIN = 60
START = "2026-11-25T10:00:00-05:00"
TOKEN = "aut0-r0llback-t0ken-9931"

LOCAL = """
actions:
  - name: rollback-checkout
    method: POST
    url: %(app)s/deploys/checkout/rollback
    headers:
      Authorization: Bearer ${ROLLBACK_TOKEN}
    body: '{"reason": "{{ref}} automated"}'
    timeout: 5s
    expect_status: [202]
  - name: search-read-only
    method: POST
    url: %(app)s/slow?ms=3000
    headers:
      Authorization: Bearer ${ROLLBACK_TOKEN}
    timeout: 500ms
  - name: reset-breaker
    method: POST
    url: %(app)s/fail
    headers:
      Authorization: Bearer ${ROLLBACK_TOKEN}
  - name: slow-rollback
    method: POST
    url: %(app)s/slow?ms=4000
    headers:
      Authorization: Bearer ${ROLLBACK_TOKEN}
    timeout: 20s
automation_rules:
  - name: rollback-on-errors
    description: Roll back when the error rate stays over 5 %% for two minutes.
    selector: [alertname=CheckoutErrorSpike, service=checkout]
    value: "> 0.05"
    for: 2m
    action: rollback-checkout
    cooldown: 10m
    max_runs: 2
  - name: read-only-on-latency
    selector: [alertname=SearchLatency]
    value: "> 2"
    action: search-read-only
    max_runs: 1
  - name: breaker-on-timeouts
    selector: [alertname=PaymentsTimeouts]
    condition: {annotation: timeouts, op: ">=", value: 10}
    action: reset-breaker
  - name: never
    selector: [alertname=CheckoutErrorSpike]
    value: "> 0"
    action: reset-breaker
    enabled: false
  - name: interrupted
    selector: [alertname=LedgerStuck]
    value: "> 0"
    action: slow-rollback
"""


def iso(ts):
    import datetime
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class TestAutomationRules(ManualClockMixin, unittest.TestCase):
    def setUp(self):
        self.app, self.app_requests = remediation_app.start(self, token=TOKEN)
        self.server = start_server(self, name="automation", clock="manual",
                                   extra_args=["--clock-start", START],
                                   env={"ROLLBACK_TOKEN": TOKEN})
        self.api = Client(self.server, token=login_token(self.server, "admin"))
        self.must(self.api.post(API + "/apply", {"files": example_files("sev-levels")}))
        self.must(self.api.post(API + "/apply", {"files": [
            {"name": "automation.yaml", "text": LOCAL % {"app": self.app}}]}))
        for i in self.must(self.api.get(API + "/integrations"))["items"]:
            if i["name"] == "prod-alertmanager":
                self.key = i["key"]

    # -- plumbing (must, now, advance: ManualClockMixin) ---------------------------------
    def alert(self, labels, annotations, status="firing"):
        payload = {"version": "4", "groupKey": "{}:{}", "truncatedAlerts": 0, "status": status,
                   "receiver": "klaxon", "groupLabels": {}, "commonLabels": {},
                   "commonAnnotations": {}, "externalURL": "http://am.example",
                   "alerts": [{"status": status, "labels": labels, "annotations": annotations,
                               "startsAt": iso(self.now()),
                               "endsAt": iso(self.now()) if status == "resolved" else "0001-01-01T00:00:00Z",
                               "generatorURL": "http://prom.example/graph",
                               "fingerprint": "%016x" % (abs(hash(json.dumps(labels, sort_keys=True))) % (1 << 63))}]}
        r = self.api.request("POST", "/intake/alertmanager/" + self.key, payload, auth=False)
        self.assertIn(r.status, (200, 202), r)

    def incident_of(self, alertname):
        for e in all_events(self.api):
            if e["kind"] == "alert.fired" and e["data"].get("alertname") == alertname:
                return e["incident_id"]
        self.fail("no incident for %s" % alertname)

    def events(self, kind, iid=None):
        return [e for e in all_events(self.api)
                if e["kind"] == kind and (iid is None or e.get("incident_id") == iid)]

    def runs(self, iid, count, timeout=20):
        """Waits (real time: the HTTP call happens off the clock) for `count` action runs."""
        deadline = time.monotonic() + timeout
        while True:
            runs = self.events("incident.action_run", iid)
            if len(runs) >= count or time.monotonic() > deadline:
                return runs
            time.sleep(0.1)

    def settle(self):
        """Gives a queued run a moment to show up (for checks that nothing ran)."""
        time.sleep(0.5)

    # -- tests -------------------------------------------------------------------------
    def test_holds_for_duration_then_cooldown_then_max_runs(self):
        labels = {"alertname": "CheckoutErrorSpike", "service": "checkout", "env": "production"}
        self.alert(labels, {"summary": "Checkout errors", "value": "0.02"})  # under the threshold
        iid = self.incident_of("CheckoutErrorSpike")
        self.advance(5 * MIN)
        self.assertEqual(self.events("incident.automation_triggered", iid), [])

        # Over the threshold from minute 5; a dip at 6 starts the count again at 6:30.
        self.alert(labels, {"summary": "Checkout errors", "value": "0.10"})
        self.advance(MIN)
        self.alert(labels, {"summary": "Checkout errors", "value": "0.04"})
        self.advance(30)
        self.alert(labels, {"summary": "Checkout errors", "value": "0.12"})
        t_hold = self.now()
        self.advance(MIN)  # 7:30: held only 1 minute
        self.settle()
        self.assertEqual(self.events("incident.automation_triggered", iid), [])
        # At 8:30 it has held for 2 minutes: the engine's timer runs it with no new alert.
        self.advance(MIN)
        triggered = self.events("incident.automation_triggered", iid)
        self.assertEqual(len(triggered), 1, triggered)
        t = triggered[0]
        self.assertEqual(parse_time(t["at"]) - t_hold, 2 * MIN)
        self.assertEqual((t["data"]["rule"], t["data"]["action"], t["data"]["runs"], t["data"]["max_runs"]),
                         ("rollback-on-errors", "rollback-checkout", 1, 2))
        self.assertEqual(t["actor"]["name"], "automation")
        runs = self.runs(iid, 1)
        self.assertEqual(len(runs), 1)
        run = runs[0]["data"]
        self.assertEqual((run["action"], run["automation"], run["ok"], run["http_status"]),
                         ("rollback-checkout", "rollback-on-errors", True, 202))
        self.assertIn("rolled_back_to", run["excerpt"])
        sent = self.app_requests()
        self.assertEqual(len(sent), 1)
        self.assertEqual(sent[0]["path"], "/deploys/checkout/rollback")
        self.assertEqual(json.loads(sent[0]["body"]), {"reason": "INC-%d automated" % iid})
        self.assertIn(TOKEN, json.dumps(sent[0]["headers"]))
        # The disabled rule matched the same alert and ran nothing.
        self.assertEqual({e["data"]["rule"] for e in self.events("incident.automation_triggered")},
                         {"rollback-on-errors"})
        # The incident page shows the run on its timeline.
        timeline = self.must(self.api.get(API + "/incidents/%d" % iid))["timeline"]
        self.assertIn("incident.action_run", [e["kind"] for e in timeline])

        # Still over the threshold: the next observation starts a new count (9:00); it has
        # held for 2 minutes at 11:00, but the cooldown (10 minutes from 8:30) waits
        # until 18:30.
        self.advance(30)
        self.alert(labels, {"summary": "Checkout errors", "value": "0.15"})
        t_first = parse_time(t["at"])
        self.advance(3 * MIN)
        self.settle()
        self.assertEqual(len(self.events("incident.automation_triggered", iid)), 1)
        self.advance(int(t_first + 10 * MIN - self.now()) - 1)
        self.settle()
        self.assertEqual(len(self.events("incident.automation_triggered", iid)), 1)
        self.advance(1)
        second = self.events("incident.automation_triggered", iid)
        self.assertEqual(len(second), 2)
        self.assertEqual(parse_time(second[1]["at"]) - t_first, 10 * MIN)
        self.assertEqual(second[1]["data"]["runs"], 2)
        self.assertEqual(len(self.runs(iid, 2)), 2)

        # max_runs 2: holding on for an hour runs nothing more.
        for _ in range(6):
            self.alert(labels, {"summary": "Checkout errors", "value": "0.20"})
            self.advance(10 * MIN)
        self.settle()
        self.assertEqual(len(self.events("incident.automation_triggered", iid)), 2)
        self.assertEqual(len(self.app_requests()), 2)

        # The secret appears in no event, answer or log line.
        self.assertNotIn(TOKEN, json.dumps(all_events(self.api)))
        self.assertNotIn(TOKEN, json.dumps(self.must(self.api.get(API + "/incidents/%d" % iid))))
        self.assertNotIn(TOKEN, self.server.log_tail(10 ** 7))

    def test_resolved_alert_stops_the_count(self):
        labels = {"alertname": "CheckoutErrorSpike", "service": "checkout", "env": "production"}
        self.alert(labels, {"summary": "Checkout errors", "value": "0.30"})
        iid = self.incident_of("CheckoutErrorSpike")
        self.advance(MIN)
        self.alert(labels, {"summary": "Checkout errors", "value": "0.30"}, status="resolved")
        self.advance(10 * MIN)
        self.settle()
        self.assertEqual(self.events("incident.automation_triggered", iid), [])
        self.assertEqual(self.app_requests(), [])

    def test_timeouts_and_failures_are_recorded(self):
        self.alert({"alertname": "SearchLatency", "service": "search"}, {"value": "3.5"})
        iid = self.incident_of("SearchLatency")
        # `for` 0s: it runs at once, from the intake; the call times out after 500 ms.
        runs = self.runs(iid, 1)
        self.assertEqual(len(runs), 1, self.events("incident.automation_triggered", iid))
        self.assertEqual((runs[0]["data"]["automation"], runs[0]["data"]["ok"]), ("read-only-on-latency", False))
        self.assertIn("timed out", runs[0]["data"]["error"])
        # Under the threshold, then over again: max_runs 1 already used.
        self.alert({"alertname": "SearchLatency", "service": "search"}, {"value": "1"})
        self.alert({"alertname": "SearchLatency", "service": "search"}, {"value": "9"})
        self.settle()
        self.assertEqual(len(self.events("incident.automation_triggered", iid)), 1)

        # A label-less condition on another annotation; the action answers 500.
        self.alert({"alertname": "PaymentsTimeouts", "service": "payments"}, {"timeouts": "9"})
        pid = self.incident_of("PaymentsTimeouts")
        self.settle()
        self.assertEqual(self.events("incident.automation_triggered", pid), [])
        self.alert({"alertname": "PaymentsTimeouts", "service": "payments"}, {"timeouts": "10"})
        failed = self.runs(pid, 1)
        self.assertEqual(len(failed), 1)
        self.assertFalse(failed[0]["data"]["ok"])
        self.assertEqual(failed[0]["data"]["http_status"], 500)
        self.assertIn("unexpected status 500", failed[0]["data"]["error"])

    def test_a_run_in_flight_at_a_crash_is_not_repeated(self):
        self.alert({"alertname": "LedgerStuck", "service": "ledger"}, {"value": "1"})
        deadline = time.monotonic() + 20
        while not self.app_requests():  # the 4-second call has started
            self.assertLess(time.monotonic(), deadline, "the action never started")
            time.sleep(0.05)
        self.server.kill()
        self.server.start()
        self.api = Client(self.server, token=login_token(self.server, "admin"))
        iid = self.incident_of("LedgerStuck")
        runs = self.runs(iid, 1)
        self.assertEqual(len(runs), 1)
        self.assertEqual(runs[0]["data"]["automation"], "interrupted")
        self.assertFalse(runs[0]["data"]["ok"])
        self.assertIn("interrupted by a restart", runs[0]["data"]["error"])
        time.sleep(5)  # longer than the action: had it been retried, the app would know
        self.assertEqual(len(self.app_requests()), 1)
        self.assertEqual(len(self.events("incident.action_run", iid)), 1)


if __name__ == "__main__":
    unittest.main()
