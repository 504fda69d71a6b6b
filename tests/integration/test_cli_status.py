"""The `klaxon status ...` CLI commands against a running server (--clock manual): status
page components (add, list, set with the short status forms, delete), the public view
(`status show`, read from /api/v2/summary.json without a token), public incidents
(publish from an internal incident, update, resolve, show, list) and scheduled maintenance
(moves to in_progress when the clock passes its start, completes at its end; --manual
ones only by hand). Each change is checked against the public JSON the server then
serves. Bad command lines must exit 2 without reaching the server (they run against a
port nobody listens on), server refusals 1 with its message on stderr and nothing on
stdout.

One server for the whole class; the tests run in name order and each leaves every
component operational and every incident resolved.
"""

import json
import os
import re
import sys
import tempfile
import unittest
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # run from anywhere

from harness import Client, free_port, login_token, run_cli, start_server

API = "/api/v1"


def table(stdout):
    """The rows of a CLI table (columns split on runs of 2+ spaces), header first."""
    return [re.split(r"\s{2,}", line.strip()) for line in stdout.splitlines() if line.strip()]


def detail(stdout, label):
    """The value of a "Label:   value" line of a detail block."""
    m = re.search(r"^%s:\s+(.*)$" % re.escape(label), stdout, re.M)
    if not m:
        raise AssertionError("no %r line in:\n%s" % (label, stdout))
    return m.group(1)


def iso(dt):
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def table_time(dt):
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


class TestCliStatus(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = start_server(cls, cls=True, clock="manual")
        cls.home = tempfile.TemporaryDirectory(prefix="klaxon-cli-status-")
        cls.addClassCleanup(cls.home.cleanup)
        admin_token = login_token(cls.server, "admin")
        responder_token = login_token(cls.server, "responder")
        viewer_token = login_token(cls.server, "viewer")
        cls.api = Client(cls.server, token=admin_token)
        cls.anon = Client(cls.server)
        base = {"HOME": cls.home.name, "KLAXON_CLI_CONFIG": os.path.join(cls.home.name, "cli.json"),
                "KLAXON_SERVER": cls.server.url}
        cls.env = dict(base, KLAXON_TOKEN=admin_token)
        cls.responder_env = dict(base, KLAXON_TOKEN=responder_token)
        cls.viewer_env = dict(base, KLAXON_TOKEN=viewer_token)
        cls.anon_env = dict(base)
        # Nobody listens here: a command that reached for the server would exit 1.
        cls.nowhere_env = dict(cls.env, KLAXON_SERVER="http://127.0.0.1:%d" % free_port())
        cls.web = cls.must(cls.api.post(API + "/services", {"name": "web"}), 201)
        cls.search_service = cls.must(cls.api.post(API + "/services", {"name": "search"}), 201)

    @staticmethod
    def must(r, status):
        if r.status != status:
            raise AssertionError("expected %d, got %r" % (status, r))
        return r.body

    # -- helpers ------------------------------------------------------------------------
    def cli(self, *args, ok=True, env=None):
        p = run_cli(list(args), env=env or self.env)
        if ok:
            self.assertEqual(p.returncode, 0, "klaxon %s\nstdout: %s\nstderr: %s" % (" ".join(args), p.stdout, p.stderr))
            self.assertEqual(p.stderr, "", "klaxon %s wrote to stderr" % " ".join(args))
        return p

    def cli_json(self, *args, env=None):
        return json.loads(self.cli(*args, "--json", env=env).stdout)

    def cli_fails(self, *args, code=1, message=None, env=None):
        if code == 2 and env is None:
            env = self.nowhere_env
        p = self.cli(*args, ok=False, env=env)
        self.assertEqual(p.returncode, code, "klaxon %s\nstdout: %s\nstderr: %s" % (" ".join(args), p.stdout, p.stderr))
        self.assertEqual(p.stdout, "", "klaxon %s printed to stdout on failure" % " ".join(args))
        self.assertTrue(p.stderr.startswith("klaxon: "), p.stderr)
        if message:
            self.assertIn(message, p.stderr)
        if code == 2:
            self.assertIn("\nusage: klaxon %s %s" % (args[0], args[1]), p.stderr)
        return p

    def now(self):
        return datetime.fromisoformat(self.must(self.api.get(API + "/admin/clock"), 200)["now"]
                                      .replace("Z", "+00:00"))

    def advance(self, seconds):
        self.must(self.api.post(API + "/admin/clock/advance", {"seconds": seconds}), 200)

    def public(self, path):
        return self.must(self.anon.get(path, auth=False), 200)

    def summary(self):
        return self.public("/api/v2/summary.json")

    def public_component(self, name):
        return [c for c in self.summary()["components"] if c["name"] == name][0]

    def components(self):
        return {c["name"]: c for c in self.must(self.api.get(API + "/status/components"), 200)["items"]}

    def status_incident(self, key):
        return self.must(self.api.get("%s/status/incidents/%s" % (API, key)), 200)

    # -- components and the public view ------------------------------------------------------
    def test_01_components_and_status_show(self):
        out = self.cli("status", "component", "add", "--name", "Website", "--group-component",
                       "--position", "1").stdout
        m = re.fullmatch(r"Created group Website \(id (\d+)\)\n", out)
        self.assertTrue(m, out)
        out = self.cli("status", "component", "add", "--name", "Shop", "--group", "Website",
                       "--service", "web", "--service", str(self.search_service["id"]),
                       "--description", "The web shop", "--position", "1").stdout
        self.assertRegex(out, r"^Created component Shop \(id \d+\) in group Website\n$")
        self.cli("status", "component", "add", "--name", "Search", "--group", "Website", "--position", "2")
        self.cli("status", "component", "add", "--name", "Public API", "--position", "2")
        got = self.components()
        self.assertTrue(got["Website"]["is_group"])
        self.assertEqual(got["Website"]["id"], int(m.group(1)))
        self.assertEqual(got["Shop"]["group"], {"id": got["Website"]["id"], "name": "Website"})
        self.assertEqual(sorted(got["Shop"]["services"]), sorted([self.web["id"], self.search_service["id"]]))
        self.assertEqual(got["Shop"]["description"], "The web shop")
        self.assertEqual((got["Search"]["position"], got["Public API"]["group"]), (2, None))

        rows = table(self.cli("status", "component", "list").stdout)
        self.assertEqual(rows[0], ["ID", "NAME", "KIND", "GROUP", "STATUS", "POSITION", "SERVICES", "PUBLIC ID"])
        self.assertIn([str(got["Website"]["id"]), "Website", "group", "-", "-", "1", "-",
                       got["Website"]["public_id"]], rows)
        self.assertIn([str(got["Shop"]["id"]), "Shop", "component", "Website", "operational", "1",
                       "web, search", got["Shop"]["public_id"]], rows)
        self.assertEqual(self.cli_json("status", "component", "list"),
                         self.must(self.api.get(API + "/status/components"), 200))

        # A responder sets statuses (short forms too); the public JSON follows at once.
        out = self.cli("status", "component", "set", "Shop", "degraded", env=self.responder_env).stdout
        self.assertEqual(out, "Set component Shop to degraded_performance\n")
        self.assertEqual(self.public_component("Shop")["status"], "degraded_performance")
        self.assertEqual(self.summary()["status"]["indicator"], "minor")
        self.cli("status", "component", "set", "Public API", "major", env=self.responder_env)
        self.assertEqual(self.public_component("Public API")["status"], "major_outage")
        # ... by public id or row id as well, and with the API's own names.
        self.cli("status", "component", "set", got["Search"]["public_id"], "partial_outage")
        self.assertEqual(self.public_component("Search")["status"], "partial_outage")
        summary = self.summary()
        self.assertEqual(summary["status"], {"indicator": "critical", "description": "Major Service Outage"})

        # status show: what the public sees, without a token.
        out = self.cli("status", "show", env=self.anon_env).stdout
        self.assertEqual(detail(out, "Status"), "Major Service Outage (critical)")
        self.assertEqual(detail(out, "Page"), self.server.url + "/status")
        self.assertEqual(self.anon.get("/status", auth=False).status, 200)
        lines = out.splitlines()
        start = [i for i, line in enumerate(lines) if line.startswith("COMPONENT")][0]
        shown = [re.split(r"\s{2,}", line.rstrip()) for line in lines[start + 1:start + 5]]
        self.assertEqual(shown, [["Website"], ["", "Shop", "degraded_performance"],
                                 ["", "Search", "partial_outage"], ["Public API", "major_outage"]])
        self.assertEqual(self.cli_json("status", "show", env=self.anon_env), self.summary())

        for name in ("Shop", "Search", "Public API"):
            self.cli("status", "component", "set", name, "operational", env=self.responder_env)
        self.assertEqual(self.summary()["status"]["indicator"], "none")
        self.assertEqual(detail(self.cli("status", "show").stdout, "Status"), "All Systems Operational (none)")

        # Delete: a component goes; a group with components is refused.
        self.cli("status", "component", "add", "--name", "Temp")
        self.assertEqual(self.cli("status", "component", "delete", "Temp").stdout, "Deleted component Temp\n")
        self.assertNotIn("Temp", self.components())
        self.assertNotIn("Temp", [c["name"] for c in self.summary()["components"]])
        self.cli_fails("status", "component", "delete", "Website", message="409 Conflict")
        self.cli_fails("status", "component", "delete", "Temp", message="404 Not Found")
        # Only admins add; responders only set statuses.
        self.cli_fails("status", "component", "add", "--name", "Nope", env=self.responder_env,
                       message="403 Forbidden")
        self.cli_fails("status", "component", "set", "Shop", "major", env=self.viewer_env,
                       message="403 Forbidden")
        self.assertEqual(self.public_component("Shop")["status"], "operational")

    # -- incidents -------------------------------------------------------------------------------
    def test_02_incident_publish_update_resolve(self):
        self.cli("status", "component", "add", "--name", "Checkout")
        internal = self.must(self.api.post(API + "/incidents", {
            "title": "db-7 disk full (internal)", "description": "secret runbook", "severity": "SEV-1"}), 201)
        out = self.cli("status", "incident", "publish", "--name", "Checkout errors",
                       "--message", "We are investigating errors at checkout.", "--impact", "major",
                       "--incident", "INC-%d" % internal["id"], "--component", "Checkout=partial",
                       env=self.responder_env).stdout
        m = re.fullmatch(r"Published status incident (\d+) \(investigating, impact major\): (\S+)\n", out)
        self.assertTrue(m, out)
        sid, url = m.group(1), m.group(2)
        pub = self.status_incident(sid)
        self.assertEqual(url, pub["url"])
        self.assertTrue(url.startswith(self.server.url + "/status/incidents/"), url)
        self.assertEqual(pub["incident"], internal["id"])

        summary = self.summary()
        self.assertEqual(summary["status"]["indicator"], "major")
        self.assertEqual([i["id"] for i in summary["incidents"]], [pub["public_id"]])
        self.assertEqual(self.public_component("Checkout")["status"], "partial_outage")
        self.assertNotIn("db-7", json.dumps(summary))
        out = self.cli("status", "show", env=self.anon_env).stdout
        self.assertIn("Unresolved incidents:", out)
        self.assertIn([pub["public_id"], "investigating", "major"],
                      [row[:3] for row in table(out.split("Unresolved incidents:")[1])])

        # identified, monitoring (the component recovers), resolved; by row id or public id.
        out = self.cli("status", "incident", "update", pub["public_id"], "--status", "identified",
                       "--message", "A bad deploy; rolling back.", env=self.responder_env).stdout
        self.assertEqual(out, "Updated status incident %s (identified, impact major): %s\n" % (sid, url))
        self.advance(600)
        self.cli("status", "incident", "update", sid, "--status", "monitoring", "--message", "Rolled back.",
                 "--component", "Checkout=operational", "--impact", "minor", env=self.responder_env)
        self.assertEqual(self.public_component("Checkout")["status"], "operational")
        self.assertEqual(self.summary()["status"]["indicator"], "minor")
        self.cli("status", "incident", "update", sid, "--status", "resolved", "--message", "Resolved.",
                 env=self.responder_env)

        done = [i for i in self.public("/api/v2/incidents.json")["incidents"] if i["id"] == pub["public_id"]][0]
        self.assertEqual(done["status"], "resolved")
        self.assertEqual(done["impact"], "minor")
        self.assertEqual([u["status"] for u in done["incident_updates"]],
                         ["resolved", "monitoring", "identified", "investigating"])
        self.assertEqual(self.public("/api/v2/incidents/unresolved.json")["incidents"], [])
        self.assertEqual(self.summary()["status"]["indicator"], "none")

        out = self.cli("status", "incident", "show", sid, env=self.viewer_env).stdout
        self.assertEqual(out.splitlines()[0], "Checkout errors (status incident %s)" % sid)
        self.assertEqual(detail(out, "Status"), "resolved")
        self.assertEqual(detail(out, "Impact"), "minor")
        self.assertEqual(detail(out, "Incident"), "INC-%d" % internal["id"])
        self.assertEqual(detail(out, "Components"), "Checkout")
        self.assertEqual(detail(out, "URL"), url)
        updates = table(out.split("Updates, newest first:")[1])
        self.assertEqual(updates[0], ["TIME", "STATUS", "MESSAGE", "COMPONENTS"])
        self.assertEqual([row[1] for row in updates[1:]], ["resolved", "monitoring", "identified", "investigating"])
        self.assertEqual(updates[2][3], "Checkout: operational (was partial_outage)")
        self.assertEqual(updates[4][3], "Checkout: partial_outage (was operational)")
        self.assertEqual(self.cli_json("status", "incident", "show", pub["public_id"]), self.status_incident(sid))

        rows = table(self.cli("status", "incident", "list").stdout)
        self.assertEqual(rows[0], ["ID", "STATUS", "IMPACT", "STARTED", "RESOLVED", "INCIDENT", "COMPONENTS", "NAME"])
        row = [r for r in rows if r[0] == sid][0]
        self.assertEqual(row[1:3], ["resolved", "minor"])
        self.assertEqual(row[5:], ["INC-%d" % internal["id"], "Checkout", "Checkout errors"])

        # Refusals come from the server with its message.
        self.cli_fails("status", "incident", "publish", "--name", "x", "--message", "y",
                       "--component", "Nope=major", message="components/Nope: unknown component")
        self.cli_fails("status", "incident", "publish", "--name", "x", "--message", "y",
                       env=self.viewer_env, message="403 Forbidden")
        self.cli_fails("status", "incident", "update", sid, "--status", "completed", "--message", "x",
                       message="422 Unprocessable Entity")
        self.cli_fails("status", "incident", "show", "999999", message="404 Not Found")
        self.assertEqual(self.public("/api/v2/incidents/unresolved.json")["incidents"], [])

    # -- maintenance ----------------------------------------------------------------------------
    def test_03_maintenance_goes_in_progress_on_time(self):
        self.cli("status", "component", "add", "--name", "Database")
        start = self.now() + timedelta(hours=1)
        out = self.cli("status", "maintenance", "schedule", "--name", "Database upgrade",
                       "--start", iso(start), "--duration", "2h", "--component", "Database",
                       "--message", "Upgrading the database.", env=self.responder_env).stdout
        m = re.fullmatch(r"Scheduled maintenance (\d+) from (.+) to (.+) \(starts and completes by itself\): (\S+)\n",
                         out)
        self.assertTrue(m, out)
        mid = m.group(1)
        self.assertEqual((m.group(2), m.group(3)), (table_time(start), table_time(start + timedelta(hours=2))))
        got = self.status_incident(mid)
        self.assertEqual((got["kind"], got["status"], got["auto_transition"]), ("maintenance", "scheduled", True))
        self.assertEqual(got["url"], m.group(4))
        upcoming = self.public("/api/v2/scheduled-maintenances/upcoming.json")["scheduled_maintenances"]
        self.assertEqual([x["id"] for x in upcoming], [got["public_id"]])
        rows = table(self.cli("status", "incident", "list", "--maintenances").stdout)
        self.assertEqual(rows[0], ["ID", "STATUS", "FROM", "UNTIL", "AUTO", "COMPONENTS", "NAME"])
        self.assertIn([mid, "scheduled", table_time(start), table_time(start + timedelta(hours=2)), "yes",
                       "Database", "Database upgrade"], rows)
        self.assertNotIn(mid, [r[0] for r in table(self.cli("status", "incident", "list").stdout)])

        self.advance(3600 + 60)
        active = self.public("/api/v2/scheduled-maintenances/active.json")["scheduled_maintenances"]
        self.assertEqual([(x["id"], x["status"]) for x in active], [(got["public_id"], "in_progress")])
        self.assertEqual(self.public_component("Database")["status"], "under_maintenance")
        self.assertEqual(self.summary()["status"]["description"], "Service Under Maintenance")
        out = self.cli("status", "show", env=self.anon_env).stdout
        self.assertIn(["Database", "under_maintenance"], table(out))
        self.assertIn([got["public_id"], "in_progress", table_time(start),
                       table_time(start + timedelta(hours=2)), "Database upgrade"],
                      table(out.split("Maintenance:")[1]))
        self.assertEqual(detail(self.cli("status", "incident", "show", mid).stdout, "Status"), "in_progress")

        self.advance(2 * 3600)
        self.assertEqual(self.status_incident(mid)["status"], "completed")
        self.assertEqual(self.public_component("Database")["status"], "operational")

        # --manual: nothing moves by itself; the CLI moves it.
        start = self.now() + timedelta(minutes=5)
        out = self.cli("status", "maintenance", "schedule", "--name", "Reindex", "--start", iso(start),
                       "--end", iso(start + timedelta(hours=1)), "--component", "Database", "--manual").stdout
        self.assertIn(" (moved by hand): ", out)
        mid = re.match(r"Scheduled maintenance (\d+) ", out).group(1)
        self.assertFalse(self.status_incident(mid)["auto_transition"])
        self.advance(600)
        self.assertEqual(self.status_incident(mid)["status"], "scheduled")
        self.assertEqual(self.public_component("Database")["status"], "operational")
        out = self.cli("status", "incident", "update", mid, "--status", "in_progress", "--message", "Started.").stdout
        self.assertRegex(out, r"^Updated maintenance %s \(in_progress\): " % mid)
        self.assertEqual(self.public_component("Database")["status"], "under_maintenance")
        self.cli("status", "incident", "update", mid, "--status", "completed", "--message", "Done.")
        self.assertEqual(self.public_component("Database")["status"], "operational")
        self.assertEqual(detail(self.cli("status", "incident", "show", mid).stdout, "Moves on time"),
                         "no, by hand ('klaxon status incident update')")

        self.cli_fails("status", "maintenance", "schedule", "--name", "x", "--start", iso(self.now()),
                       "--duration", "40d", message="a maintenance lasts at most 31 days")
        self.cli_fails("status", "maintenance", "schedule", "--name", "x", "--start", iso(self.now()),
                       "--duration", "1h", "--component", "Nope", message="components/0: unknown component")

    # -- bad command lines ----------------------------------------------------------------------
    def test_04_bad_input_exits_2_without_reaching_the_server(self):
        cases = [
            (["status", "component", "frobnicate"], "unknown command 'status component frobnicate'"),
            (["status", "component", "set", "Shop"], "missing STATUS"),
            (["status", "component", "set", "Shop", "down"], "invalid STATUS 'down'"),
            (["status", "component", "delete"], "missing COMPONENT"),
            (["status", "component", "list", "--name", "x"],
             "option --name does not apply to 'status component list'"),
            (["status", "component", "add", "--group", "Website"], "missing --name NAME"),
            (["status", "component", "add", "--name", "x", "--position", "-1"], "invalid --position '-1'"),
            (["status", "component", "add", "--name", "x", "--group", "g", "--group-component"],
             "give --group or --group-component, not both"),
            (["status", "incident", "publish", "--name", "x"], "missing --message TEXT"),
            (["status", "incident", "publish", "--name", "x", "--message", "y", "--impact", "huge"],
             "invalid --impact 'huge'"),
            (["status", "incident", "publish", "--name", "x", "--message", "y", "--incident", "db-7"],
             "invalid --incident 'db-7'"),
            (["status", "incident", "publish", "--name", "x", "--message", "y", "--component", "Shop"],
             "invalid --component 'Shop' (expected COMPONENT=STATUS"),
            (["status", "incident", "publish", "--name", "x", "--message", "y", "--component", "Shop=down"],
             "unknown status 'down'"),
            (["status", "incident", "update", "1", "--status", "fixed", "--message", "y"],
             "invalid --status 'fixed'"),
            (["status", "incident", "update", "1", "2", "--status", "resolved", "--message", "y"],
             "unexpected argument '2'"),
            (["status", "incident", "show"], "missing ID"),
            (["status", "maintenance", "schedule", "--name", "x", "--start", "+1h"],
             "missing --end TIME (or --duration DURATION)"),
            (["status", "maintenance", "schedule", "--name", "x", "--start", "soon", "--duration", "1h"],
             "invalid --start 'soon'"),
            (["status", "maintenance", "schedule", "--name", "x", "--start", "+2h", "--end", "+1h"],
             "--end +1h is not after --start +2h"),
            (["status", "maintenance", "schedule", "--name", "x", "--start", "+1h", "--duration", "soon"],
             "invalid --duration 'soon'"),
            (["status", "maintenance", "schedule", "--name", "x", "--start", "+1h", "--duration", "1h",
              "--component", "Shop=major"], "give the component alone"),
            (["status", "show", "--name", "x"], "option --name does not apply to 'status show'"),
        ]
        before = (self.components(), self.must(self.api.get(API + "/status/incidents"), 200))
        for args, message in cases:
            with self.subTest(args=args):
                self.cli_fails(*args, code=2, message=message)
        # The same against the real server changes nothing either.
        for args, _ in cases[:4]:
            self.cli_fails(*args, code=2, env=self.env)
        self.assertEqual((self.components(), self.must(self.api.get(API + "/status/incidents"), 200)), before)
        # The group alone and help.
        self.cli_fails("status", "incident", code=2, message="missing ACTION")
        p = self.cli("status", "--help")
        for command in ("status show", "status component ACTION...", "status incident ACTION...",
                        "status maintenance ACTION..."):
            self.assertIn(command, p.stdout)
        self.assertIn("set COMPONENT STATUS", self.cli("status", "component", "--help").stdout)
        # An unreachable server is exit 1, not 2.
        self.cli_fails("status", "show", env=self.nowhere_env, message="cannot reach")


if __name__ == "__main__":
    unittest.main()
