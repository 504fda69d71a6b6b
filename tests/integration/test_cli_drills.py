"""The drill commands of the `klaxon` CLI against a running server with a manual clock that
starts Wednesday 2026-11-25 09:00 UTC and the sev-levels example playbook applied (Alice's
Slack contact method pointed at a local receiver):

- `drill create -f FILE` (a bad file: exit 1, the wrong field named; a YAML file: a hint),
  `drill update`, `drills`, `drill show`, checked against what the API then serves;
- `drill run` now: the team acknowledges in time and names a communications lead late; at
  the time limit `drill report` shows the targets and the expected actions met and MISSED,
  equal in its counts to the API's report; `--markdown` and `-o json` are the server's;
- `drill run --at`, `drill runs` with filters, `drill cancel`, `drill delete` (refused with
  409 while a run is scheduled);
- bad command lines exit 2 without reaching the server (they run against a port nobody
  listens on).

One server for the whole class; the tests run in name order.
"""

import json
import os
import re
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # run from anywhere

from harness import CliTestMixin, Client, example_files, free_port, login_token, run_cli, start_server
from receivers import WebhookReceiver

API = "/api/v1"
MIN = 60
START = "2026-11-25T09:00:00Z"
SLACK = "https://hooks.slack.example/services/T000/B000/alice"
NAME = "checkout-error-spike"

SCENARIO = {
    "name": NAME,
    "description": "The error rate of checkout jumps after a deploy.",
    "service": "checkout",
    "severity": "SEV-1",
    "alerts": [{"labels": {"alertname": "CheckoutErrorRate", "env": "prod"},
                "annotations": {"summary": "Checkout error rate above 10%", "value": "0.23"}}],
    "expected_actions": ["acknowledge",
                         {"action": "assign_role:communications_lead", "within": "10m"},
                         {"action": "run_action:rollback-checkout", "within": "20m"}],
    "time_limit": "1h",
}


def table(stdout):
    """The rows of a CLI table (columns split on runs of 2+ spaces), header first."""
    return [re.split(r"\s{2,}", line.strip()) for line in stdout.splitlines() if line.strip()]


def section(stdout, title):
    """The table under a section title ("Targets") of the report, up to the next blank line."""
    lines = stdout.split("\n%s\n" % title, 1)[1].split("\n\n", 1)[0]
    return table(lines)


def detail(stdout, label):
    """The value of a "Label:   value" line of a detail block."""
    m = re.search(r"^%s:\s+(.*)$" % re.escape(label), stdout, re.M)
    if not m:
        raise AssertionError("no %r line in:\n%s" % (label, stdout))
    return m.group(1)


def when(rfc3339):
    """"2026-11-25T09:00:00.000Z" as the CLI shows it: "2026-11-25 09:00:00"."""
    return rfc3339[:10] + " " + rfc3339[11:19]


class TestCliDrills(CliTestMixin, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rx = WebhookReceiver()
        cls.addClassCleanup(cls.rx.stop)
        cls.server = start_server(cls, cls=True, name="cli-drills", clock="manual",
                                  extra_args=["--clock-start", START])
        cls.home = tempfile.TemporaryDirectory(prefix="klaxon-cli-drills-")
        cls.addClassCleanup(cls.home.cleanup)
        token = login_token(cls.server, "admin")
        cls.api = Client(cls.server, token=token)
        files = example_files("sev-levels")
        for f in files:
            f["text"] = f["text"].replace(SLACK, cls.rx.url("/slack/alice"))
        cls.must(cls.api.post(API + "/apply", {"files": files}))
        cls.env = {"HOME": cls.home.name, "KLAXON_CLI_CONFIG": os.path.join(cls.home.name, "cli.json"),
                   "KLAXON_SERVER": cls.server.url, "KLAXON_TOKEN": token}
        # Nobody listens here: a command that reached for the server would exit 1.
        cls.nowhere_env = dict(cls.env, KLAXON_SERVER="http://127.0.0.1:%d" % free_port())

    def write(self, name, body):
        path = os.path.join(self.home.name, name)
        with open(path, "w") as f:
            f.write(body if isinstance(body, str) else json.dumps(body, indent=2))
        return path

    def advance(self, seconds):
        self.must(self.api.post(API + "/admin/clock/advance", {"seconds": seconds}))

    def scenario(self, name=NAME):
        return self.must(self.api.get("%s/drills/scenarios/%s" % (API, name)))

    # -- scenarios ------------------------------------------------------------------------
    def test_1_define_list_and_show(self):
        # A bad file: the server's 422 names each wrong field; nothing is stored.
        bad = self.write("bad.json", dict(SCENARIO, time_limit="forever",
                                          expected_actions=["acknowledge", "dance"]))
        p = self.cli_fails("drill", "create", "-f", bad, message="422 Unprocessable Entity")
        self.assertIn("time_limit: must be a duration from 1m to 24h", p.stderr)
        self.assertIn("expected_actions/1: unknown action 'dance'", p.stderr)
        p = self.cli_fails("drill", "create", "-f", self.write("nope.json", dict(SCENARIO, service="nope")))
        self.assertIn("service: ", p.stderr)
        self.cli_fails("drill", "create", "-f", self.write("scenario.yaml", "name: x\n"),
                       message="drill scenarios are read as JSON")
        self.cli_fails("drill", "create", "-f", self.write("broken.json", '{"name": '), message="broken.json: ")
        self.assertEqual(self.cli("drills").stdout, "No drill scenarios.\n")

        path = self.write("scenario.json", SCENARIO)
        out = self.cli("drill", "create", "-f", path).stdout
        m = re.fullmatch(r"Created drill scenario %s \(id (\d+), version 1\)\n" % NAME, out)
        self.assertTrue(m, out)
        served = self.scenario()
        self.assertEqual(served["id"], int(m.group(1)))
        self.assertEqual(served["expected_actions"][1], {"action": "assign_role:communications_lead", "within": "10m"})
        self.cli_fails("drill", "create", "-f", path, message="409 Conflict")

        # Update replaces it, named by name or by id.
        changed = self.write("changed.json", dict(SCENARIO, description="After the 14:00 deploy."))
        out = self.cli("drill", "update", NAME, "-f", changed).stdout
        self.assertEqual(out, "Updated drill scenario %s (id %d, version 2)\n" % (NAME, served["id"]))
        self.assertEqual(self.scenario(str(served["id"]))["description"], "After the 14:00 deploy.")
        self.cli_fails("drill", "update", "no-such-drill", "-f", changed, message="404 Not Found")

        rows = table(self.cli("drills").stdout)
        self.assertEqual(rows, [["NAME", "SERVICE", "SEVERITY", "TIME LIMIT", "RUNS", "LAST RUN"],
                                [NAME, "checkout", "SEV-1", "1h", "0", "-"]])
        self.assertEqual(self.cli_json("drills", "-o", "json"), self.must(self.api.get(API + "/drills/scenarios")))

        out = self.cli("drill", "show", NAME).stdout
        self.assertEqual(detail(out, "Scenario"), NAME)
        self.assertEqual(detail(out, "Service"), "checkout")
        self.assertEqual(detail(out, "Severity"), "SEV-1")
        self.assertEqual(detail(out, "Time limit"), "1h")
        self.assertEqual(detail(out, "Public"), "no (never on the status page or to customers)")
        self.assertEqual(detail(out, "Version"), "2")
        self.assertEqual(section(out, "Expected actions"), [
            ["ACTION", "WITHIN"], ["acknowledge", "-"], ["assign_role:communications_lead", "10m"],
            ["run_action:rollback-checkout", "20m"]])
        self.assertEqual(section(out, "Alerts")[1],
                         ["1", "alertname=CheckoutErrorRate env=prod", 'summary="Checkout error rate above 10%" value=0.23'])
        self.assertEqual(self.cli_json("drill", "show", str(served["id"]), "--json"), self.scenario())
        self.cli_fails("drill", "show", "no-such-drill", message="404 Not Found: no drill scenario 'no-such-drill'")

    # -- a run and its report ------------------------------------------------------------
    def test_2_run_now_and_report(self):
        out = self.cli("drill", "run", NAME).stdout
        run_id = int(detail(out, "Run"))
        run = self.must(self.api.get("%s/drills/runs/%d" % (API, run_id)))
        self.assertEqual(detail(out, "Status"), "running")
        self.assertEqual(detail(out, "Incident"), run["incident"]["ref"])
        self.assertEqual(detail(out, "Ends"), when(run["ends_at"]))
        iid = run["incident"]["id"]

        # The team acknowledges after 4 minutes and names a communications lead after 12
        # (late for its 10); nobody rolls back.
        self.advance(4 * MIN)
        self.must(self.api.post("%s/incidents/%d/acknowledge" % (API, iid), {}))
        self.advance(8 * MIN)
        self.must(self.api.request("PUT", "%s/incidents/%d/roles/communications_lead" % (API, iid), {"user": "carol"}))

        out = self.cli("drill", "report", str(run_id)).stdout
        self.assertTrue(out.startswith("Drill run %d (%s): in_progress: " % (run_id, NAME)), out)
        actions = {r[0]: r[5] for r in section(out, "Expected actions")[1:]}
        self.assertEqual(actions, {"acknowledge": "met", "assign_role:communications_lead": "MISSED",
                                   "run_action:rollback-checkout": "pending"})

        # The time limit ends it; the report is final.
        self.advance(48 * MIN)
        for _ in range(50):  # The engine ends it at once; the dispatcher may take a moment.
            report = self.must(self.api.get("%s/drills/runs/%d/report" % (API, run_id)))
            if report["run"]["status"] == "finished":
                break
            time.sleep(0.1)
        self.assertEqual(report["run"]["status"], "finished", report["run"])
        summary = report["summary"]
        self.assertEqual(summary["result"], "failed", summary)
        out = self.cli("drill", "report", "#%d" % run_id).stdout
        self.assertEqual(out.splitlines()[0], "Drill run %d (%s): failed: %d met, %d missed, 0 pending"
                         % (run_id, NAME, summary["met"], summary["missed"]))
        self.assertEqual(detail(out, "Status"), "finished (time_limit)")
        self.assertTrue(detail(out, "Incident").startswith(run["incident"]["ref"] + " "), out)
        targets = section(out, "Targets")
        self.assertEqual(targets[0], ["TARGET", "GOAL", "DUE", "TOOK", "BY", "STATE", "NOTE"])
        states = {r[0]: r[5] for r in targets[1:]}
        self.assertEqual({k: v.lower() for k, v in states.items()},
                         {t["name"]: t["state"] for t in report["targets"]})
        self.assertEqual((states["classification"], states["acknowledge"], states["time_limit"]),
                         ("met", "met", "MISSED"))
        ack = [r for r in targets if r[0] == "acknowledge"][0]
        served_ack = [t for t in report["targets"] if t["name"] == "acknowledge"][0]
        self.assertEqual(ack[1:5], ["30m", when(served_ack["due_at"]), "4m", "admin"])
        actions = {r[0]: r[5] for r in section(out, "Expected actions")[1:]}
        self.assertEqual(actions, {"acknowledge": "met", "assign_role:communications_lead": "MISSED",
                                   "run_action:rollback-checkout": "MISSED"})
        self.assertEqual(list(states.values()).count("MISSED") + list(actions.values()).count("MISSED"),
                         summary["missed"])
        self.assertIn("\nPaging\nFirst page:", out)

        # The server's Markdown and JSON as they are.
        md = self.cli("drill", "report", str(run_id), "--markdown").stdout
        served_md = self.api.get("%s/drills/runs/%d/report?format=markdown" % (API, run_id)).raw.decode()
        # Up to the paging counts, which retried notifications may still change.
        self.assertEqual(md.split("## Paging")[0], served_md.split("## Paging")[0])
        self.assertIn("## Paging", md)
        self.assertIn("| run_action:rollback-checkout | 20m | - | - | **MISSED** |", md)
        printed = self.cli_json("drill", "report", str(run_id), "-o", "json")
        # Notifications (email goes nowhere here) may still be retried meanwhile.
        self.assertEqual(set(printed.pop("paging")), set(report.pop("paging")))
        self.assertEqual(printed, report)
        self.cli_fails("drill", "report", "999999", message="404 Not Found")

        rows = table(self.cli("drill", "runs", "--scenario", NAME).stdout)
        self.assertEqual(rows[0], ["ID", "SCENARIO", "STATUS", "INCIDENT", "START", "END", "RESULT"])
        self.assertEqual(rows[1:], [[str(run_id), NAME, "finished (time_limit)", run["incident"]["ref"],
                                     when(run["started_at"]), when(run["ends_at"]),
                                     "failed: %d met, %d missed, 0 pending" % (summary["met"], summary["missed"])]])
        rows = table(self.cli("drills").stdout)
        self.assertEqual(rows[1], [NAME, "checkout", "SEV-1", "1h", "1", "#%d finished (time_limit)" % run_id])

    # -- scheduled, cancelled, deleted ---------------------------------------------------
    def test_3_schedule_cancel_and_delete(self):
        out = self.cli("drill", "run", NAME, "--at", "+1d").stdout
        run_id = int(detail(out, "Run"))
        run = self.must(self.api.get("%s/drills/runs/%d" % (API, run_id)))
        self.assertEqual((run["status"], run["incident"]), ("scheduled", None))
        self.assertEqual(detail(out, "Status"), "scheduled")
        self.assertEqual(detail(out, "Scheduled"), when(run["scheduled_at"]))
        self.cli_fails("drill", "run", NAME, "--at", "2026-01-01T00:00:00Z", message="must be in the future")

        # A scenario with a scheduled run is not deleted.
        self.cli_fails("drill", "delete", NAME, message="409 Conflict: drill scenario '%s' has a scheduled run" % NAME)
        rows = table(self.cli("drill", "runs", "--status", "scheduled").stdout)
        self.assertEqual([r[0] for r in rows[1:]], [str(run_id)])
        self.assertEqual(rows[1][2:5], ["scheduled", "-", when(run["scheduled_at"])])

        out = self.cli("drill", "cancel", str(run_id)).stdout
        self.assertEqual(out, "Cancelled drill run %d (%s): cancelled\n" % (run_id, NAME))
        self.assertEqual(self.must(self.api.get("%s/drills/runs/%d" % (API, run_id)))["status"], "cancelled")
        self.cli_fails("drill", "cancel", str(run_id), message="409 Conflict")
        self.cli_fails("drill", "cancel", "999999", message="404 Not Found")
        statuses = [r[2] for r in table(self.cli("drill", "runs").stdout)[1:]]
        self.assertEqual(statuses, ["cancelled", "finished (time_limit)"])
        self.assertEqual(self.cli_json("drill", "runs", "--limit", "1", "--json")["items"][0]["id"], run_id)

        self.assertEqual(self.cli("drill", "delete", NAME).stdout, "Deleted drill scenario %s\n" % NAME)
        self.assertEqual(self.api.get("%s/drills/scenarios/%s" % (API, NAME)).status, 404)
        self.assertEqual(self.cli("drills").stdout, "No drill scenarios.\n")
        self.cli_fails("drill", "delete", NAME, message="404 Not Found")
        # Its past runs stay.
        self.assertEqual(len(table(self.cli("drill", "runs", "--scenario", NAME).stdout)), 3)

    def test_4_bad_command_lines(self):
        self.cli_fails("drill", "create", code=2, message="missing --file FILE")
        self.cli_fails("drill", "show", code=2, message="missing NAME")
        self.cli_fails("drill", "run", NAME, "--at", "someday", code=2, message="invalid --at 'someday'")
        self.cli_fails("drill", "runs", "--status", "done", code=2, message="invalid --status 'done'")
        self.cli_fails("drill", "runs", "--limit", "0", code=2, message="invalid --limit '0'")
        self.cli_fails("drill", "cancel", "INC-3", code=2, message="invalid drill run id 'INC-3'")
        self.cli_fails("drill", "report", "3", "--markdown", "--json", code=2,
                       message="give --markdown or JSON output, not both")
        self.cli_fails("drills", "-o", "yaml", code=2, message="invalid --output 'yaml'")
        help_text = self.cli("drill", "--help").stdout
        for line in ["drill show NAME", "drill create", "drill run NAME", "drill runs", "drill report RUN_ID"]:
            self.assertIn("\n  %s " % line, help_text)
        self.assertIn("usage: klaxon drill create --file FILE", self.cli("drill", "create", "--help").stdout)


if __name__ == "__main__":
    unittest.main()
