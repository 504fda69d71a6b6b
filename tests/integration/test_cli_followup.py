"""The follow-up commands of the `klaxon` CLI against a running server with a manual clock
that starts Wednesday 2026-11-25 09:00 UTC:

- `action-item create / show / update` and `action-items` (filters: --mine, --owner,
  --service, --status, --overdue; -o json), with due times shown in the CLI's local time
  zone (TZ, here India's UTC+05:30) and a bare due date meaning the end of that local day;
  every change checked against what the API then serves;
- `report`: the headline table, --format json / csv (equal to what GET /api/v1/analytics
  serves), markdown and html (GET /api/v1/reports/quarterly), -o FILE;
- bad command lines exit 2 without reaching the server (they run against a port nobody
  listens on); server refusals exit 1 with the problem's detail and field errors.

One server for the whole class; the tests run in name order.
"""

import json
import os
import re
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # run from anywhere

from harness import CliTestMixin, Client, free_port, login_token, run_cli, start_server

API = "/api/v1"
MIN = 60
HOUR = 3600
DAY = 24 * HOUR
START = "2026-11-25T09:00:00Z"
TZ = "IST-5:30"  # POSIX form: UTC+05:30 without a time zone database, shown as "IST"


def table(stdout):
    """The rows of a CLI table (columns split on runs of 2+ spaces), header first."""
    return [re.split(r"\s{2,}", line.strip()) for line in stdout.splitlines() if line.strip()]


def detail(stdout, label):
    """The value of a "Label:   value" line of a detail block."""
    m = re.search(r"^%s:\s+(.*)$" % re.escape(label), stdout, re.M)
    if not m:
        raise AssertionError("no %r line in:\n%s" % (label, stdout))
    return m.group(1)


class TestCliFollowup(CliTestMixin, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = start_server(cls, cls=True, clock="manual", extra_args=["--clock-start", START])
        cls.home = tempfile.TemporaryDirectory(prefix="klaxon-cli-followup-")
        cls.addClassCleanup(cls.home.cleanup)
        token = login_token(cls.server, "admin")
        cls.api = Client(cls.server, token=token)
        cls.env = {"HOME": cls.home.name, "KLAXON_CLI_CONFIG": os.path.join(cls.home.name, "cli.json"),
                   "KLAXON_SERVER": cls.server.url, "KLAXON_TOKEN": token, "TZ": TZ}
        # Nobody listens here: a command that reached for the server would exit 1.
        cls.nowhere_env = dict(cls.env, KLAXON_SERVER="http://127.0.0.1:%d" % free_port())
        for name, owner in [("checkout", "payments"), ("search", "discovery"), ("billing", "payments")]:
            cls.must(cls.api.post(API + "/services", {"name": name, "owner": owner}), 201)
        cls.must(cls.api.post(API + "/users", {"username": "ada", "name": "Ada Lovelace", "role": "responder",
                                               "password": "ada-password-1"}), 201)

    def advance(self, seconds):
        self.must(self.api.post(API + "/admin/clock/advance", {"seconds": seconds}))

    def item(self, item_id):
        return self.must(self.api.get("%s/action-items/%d" % (API, item_id)))

    # -- action items ---------------------------------------------------------------------
    def test_1_action_items(self):
        inc = self.must(self.api.post(API + "/incidents", {"title": "Checkout is slow", "service": "checkout"}), 201)
        iid = inc["id"]

        out = self.cli("action-item", "create", "INC-%d" % iid, "--title", "Add a circuit breaker",
                       "--owner", "ada", "--priority", "high", "--due", "2026-11-30T17:00:00Z",
                       "--tracker", "https://tracker.example/PAY-12").stdout
        m = re.fullmatch(r"Created AI-(\d+) for INC-%d: Add a circuit breaker \(owner ada, high, "
                         r"due 2026-11-30 22:30 IST\)\n" % iid, out)
        self.assertTrue(m, out)
        breaker = int(m.group(1))
        got = self.item(breaker)
        self.assertEqual((got["title"], got["owner"]["username"], got["priority"], got["due_at"],
                          got["tracker_url"], got["status"], got["version"]),
                         ("Add a circuit breaker", "ada", "high", "2026-11-30T17:00:00.000Z",
                          "https://tracker.example/PAY-12", "open", 1))

        # A date alone is the end of that day where the CLI runs; "me" is the token's user.
        runbook = self.cli_json("action-item", "create", str(iid), "--title", "Write the load-test runbook",
                                "--owner", "me", "--due", "2026-12-20", "-o", "json")
        self.assertEqual((runbook["owner"]["username"], runbook["due_at"], runbook["priority"]),
                         ("admin", "2026-12-20T18:29:59.999Z", "medium"))
        self.assertEqual(runbook, self.item(runbook["id"]))
        search = self.must(self.api.post(API + "/incidents", {"title": "Search is empty", "service": "search"}), 201)
        empty = self.cli_json("action-item", "create", "#%d" % search["id"], "--title", "Alert on empty results",
                              "--owner", "ada", "--json")

        # The list: overdue first, then by due time, none last; due times in local time.
        rows = table(self.cli("action-items").stdout)
        self.assertEqual(rows[0], ["REF", "TITLE", "INCIDENT", "SERVICE", "OWNER", "PRIORITY", "DUE", "STATUS"])
        self.assertEqual(rows[1:], [
            ["AI-%d" % breaker, "Add a circuit breaker", "INC-%d" % iid, "checkout", "ada", "high",
             "2026-11-30 22:30 IST", "open"],
            ["AI-%d" % runbook["id"], "Write the load-test runbook", "INC-%d" % iid, "checkout", "admin",
             "medium", "2026-12-20 23:59 IST", "open"],
            ["AI-%d" % empty["id"], "Alert on empty results", "INC-%d" % search["id"], "search", "ada",
             "medium", "-", "open"],
        ])
        self.assertEqual([i["id"] for i in self.cli_json("action-items", "--mine", "-o", "json")["items"]],
                         [runbook["id"]])
        self.assertEqual([i["id"] for i in self.cli_json("action-items", "--owner", "ada", "--service",
                                                         "checkout", "--json")["items"]], [breaker])
        self.assertEqual(self.cli_json("action-items", "--overdue", "-o", "json")["items"], [])

        # Past the breaker's due time it is overdue, and says so.
        self.advance(6 * DAY)
        rows = table(self.cli("action-items", "--overdue").stdout)
        self.assertEqual([r[0] for r in rows[1:]], ["AI-%d" % breaker])
        self.assertEqual(rows[1][6], "2026-11-30 22:30 IST (overdue)")

        # Update: against the version it read; --due none clears the due time.
        out = self.cli("action-item", "update", "AI-%d" % breaker, "--status", "in-progress", "--due", "none",
                       "--owner", "me").stdout
        self.assertEqual(out, "Updated AI-%d: status in_progress, owner admin, due none\n" % breaker)
        got = self.item(breaker)
        self.assertEqual((got["status"], got["due_at"], got["owner"]["username"], got["version"], got["overdue"]),
                         ("in_progress", None, "admin", 2, False))
        out = self.cli("action-item", "update", str(breaker), "--due", "2026-12-24", "--priority", "urgent",
                       "--tracker", "none").stdout
        self.assertEqual(out, "Updated AI-%d: priority urgent, due 2026-12-24 23:59 IST, tracker -\n" % breaker)
        got = self.item(breaker)
        self.assertEqual((got["due_at"], got["priority"], got["tracker_url"], got["version"]),
                         ("2026-12-24T18:29:59.999Z", "urgent", "", 3))

        out = self.cli("action-item", "show", "ai-%d" % breaker).stdout
        self.assertEqual(detail(out, "AI-%d" % breaker), "Add a circuit breaker")
        self.assertEqual(detail(out, "Incident"), "INC-%d Checkout is slow" % iid)
        self.assertEqual(detail(out, "Status"), "in_progress")
        self.assertEqual(detail(out, "Owner"), "admin")
        self.assertEqual(detail(out, "Due"), "2026-12-24 23:59 IST")
        self.assertEqual(detail(out, "Version"), "3")
        self.assertEqual(self.cli_json("action-item", "show", "AI-%d" % breaker, "-o", "json"), self.item(breaker))

        # Done: gone from the default (active) list, there with --status done.
        self.cli("action-item", "update", "AI-%d" % breaker, "--status", "done")
        self.assertEqual(self.item(breaker)["status"], "done")
        self.assertNotIn("AI-%d" % breaker, [r[0] for r in table(self.cli("action-items").stdout)])
        self.assertEqual([r[0] for r in table(self.cli("action-items", "--status", "done").stdout)[1:]],
                         ["AI-%d" % breaker])

    def test_2_bad_command_lines_and_refusals(self):
        self.cli_fails("action-items", "--mine", "--owner", "ada", code=2, message="give --mine or --owner")
        self.cli_fails("action-items", "--status", "closed", code=2, message="invalid --status 'closed'")
        self.cli_fails("action-items", "-o", "yaml", code=2, message="invalid --output 'yaml'")
        self.cli_fails("action-item", "create", "INC-1", code=2, message="missing --title TITLE")
        self.cli_fails("action-item", "create", "INC-1", "--title", "x", "--due", "someday", code=2,
                       message="invalid --due 'someday'")
        self.cli_fails("action-item", "create", "INC-1", "--title", "x", "--priority", "p0", code=2,
                       message="invalid --priority 'p0'")
        self.cli_fails("action-item", "update", "AI-1", code=2, message="nothing to change")
        self.cli_fails("action-item", "update", "INC-1", "--status", "done", code=2,
                       message="invalid action item id 'INC-1'")
        self.cli_fails("report", "--quarter", "2026-Q9", code=2, message="invalid --quarter '2026-Q9'")
        self.cli_fails("report", "--from", "2026-10-01", code=2, message="missing --to")
        self.cli_fails("report", "--format", "pdf", code=2, message="invalid --format 'pdf'")
        self.cli_fails("report", "-o", "json", code=2, message="give --format json")

        inc = self.must(self.api.post(API + "/incidents", {"title": "Refusals", "service": "search"}), 201)
        p = self.cli_fails("action-item", "create", str(inc["id"]), "--title", "x", "--owner", "nobody")
        self.assertIn("owner: unknown user 'nobody'", p.stderr)
        self.cli_fails("action-item", "create", "999999", "--title", "x", message="404 Not Found")
        self.cli_fails("action-item", "show", "AI-999999", message="404 Not Found")
        self.cli_fails("action-item", "update", "AI-999999", "--status", "done", message="404 Not Found")
        self.assertEqual(self.must(self.api.get("%s/incidents/%d/action-items" % (API, inc["id"])))["items"], [])

    # -- the report -------------------------------------------------------------------------
    def test_3_report(self):
        # Two billing incidents: one acknowledged after 5 minutes and resolved after an hour,
        # one still open.
        first = self.must(self.api.post(API + "/incidents", {"title": "Invoices fail", "service": "billing",
                                                             "severity": "SEV-1"}), 201)
        self.advance(5 * MIN)
        self.must(self.api.post("%s/incidents/%d/acknowledge" % (API, first["id"]), {}))
        self.advance(55 * MIN)
        self.must(self.api.post("%s/incidents/%d/resolve" % (API, first["id"]), {"summary": "fixed"}))
        self.must(self.api.post(API + "/incidents", {"title": "Refunds slow", "service": "billing"}), 201)
        self.must(self.api.post("%s/incidents/%d/action-items" % (API, first["id"]),
                                {"title": "Retry invoices", "owner": "ada"}), 201)

        period = ["--from", "2026-11-01", "--to", "2026-12-31", "--service", "billing"]
        query = "from=2026-11-01&to=2026-12-31&service=billing"
        served = self.must(self.api.get("%s/analytics?%s" % (API, query)))
        self.assertEqual(served["incidents"]["total"], 2, served)
        self.assertEqual(served["mtta"]["median_ms"], 5 * MIN * 1000, served)

        # json: what the API serves.
        self.assertEqual(self.cli_json("report", *period, "--format", "json"), served)
        self.assertEqual(self.cli_json("report", *period, "--json"), served)

        # table: the headline numbers, then by severity, by service, on-call load.
        out = self.cli("report", *period).stdout
        self.assertEqual(detail(out, "Filters"), "service billing")
        self.assertEqual(detail(out, "Incidents"), "2 (1 open)")
        self.assertEqual(detail(out, "MTTA"), "mean %s, median %s, p90 %s (of 1)" % (
            served["mtta"]["mean"], served["mtta"]["median"], served["mtta"]["p90"]))
        self.assertEqual(detail(out, "MTTR"), "mean %s, median %s, p90 %s (of 1)" % (
            served["mttr"]["mean"], served["mttr"]["median"], served["mttr"]["p90"]))
        self.assertEqual(detail(out, "Action items"), "1 open, 0 overdue, 0 done")
        self.assertIn("\nBy severity\nSEVERITY ", out)
        by_service = out.split("\nBy service\n")[1].splitlines()
        self.assertEqual(re.split(r"\s{2,}", by_service[1]),
                         ["billing", "2", "1", str(served["by_service"][0]["targets_missed"]),
                          served["by_service"][0]["mtta"]["median"], served["by_service"][0]["mttr"]["median"]])

        # csv, to a file: the server's CSV as it is.
        csv_path = os.path.join(self.home.name, "billing.csv")
        p = self.cli("report", *period, "--format", "csv", "-o", csv_path)
        self.assertEqual((p.stdout, p.stderr), ("", "wrote %s\n" % csv_path))
        with open(csv_path, newline="") as f:
            written = f.read()
        self.assertEqual(written, self.api.get("%s/analytics?%s&format=csv" % (API, query)).raw.decode())
        self.assertTrue(written.startswith("id,ref,title,"), written)
        self.assertEqual(len(written.strip().split("\r\n")), 3, written)

        # markdown and html: the quarterly review against the quarter before.
        md = self.cli("report", "--quarter", "2026-Q4", "--service", "billing", "--format", "markdown").stdout
        self.assertEqual(md, self.api.get("%s/reports/quarterly?quarter=2026-Q4&service=billing&format=markdown"
                                          % API).raw.decode())
        self.assertIn("2026-Q4", md)
        html_path = os.path.join(self.home.name, "q4.html")
        self.cli("report", "--quarter", "2026-Q4", "--format", "html", "-o", html_path)
        with open(html_path) as f:
            html = f.read()
        self.assertEqual(html, self.api.get("%s/reports/quarterly?quarter=2026-Q4&format=html" % API).raw.decode())

        # The server's refusal of a period it cannot read.
        self.cli_fails("report", "--from", "2026-12-31", "--to", "2026-11-01", message="422")


if __name__ == "__main__":
    unittest.main()
