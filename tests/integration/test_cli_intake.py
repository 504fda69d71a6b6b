"""The `klaxon` CLI's intake commands against a running server: integrations (create with
options or from a file, list, show, the requests a sender made, update, key rotation,
revocation), silences (create with Alertmanager-style matchers, list, expire) and
maintenance windows (one-off and weekly; create, list, delete). Each command's happy path
is checked against the API's own answer and against what the server then does (an alert
posted to the printed URL, the old key answering 401, a silenced alert); bad command lines
must exit 2 without reaching the server, server refusals 1 with its message on stderr and
nothing on stdout.

One server (system clock) for the whole class; the commands run as the admin through
KLAXON_SERVER/KLAXON_TOKEN.
"""

import json
import os
import re
import sys
import tempfile
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # run from anywhere

from harness import Client, login_token, parse_time, run_cli, start_server

API = "/api/v1"
TABLE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


def table(stdout):
    """The rows of a CLI table (columns split on runs of 2+ spaces), header first."""
    return [re.split(r"\s{2,}", line.strip()) for line in stdout.splitlines() if line.strip()]


def detail(stdout, label):
    """The value of a "Label:   value" line of a detail block."""
    m = re.search(r"^%s:\s+(.*)$" % re.escape(label), stdout, re.M)
    if not m:
        raise AssertionError("no %r line in:\n%s" % (label, stdout))
    return m.group(1)


def webhook(alertname, **labels):
    """An Alertmanager webhook body (version 4) with one firing alert."""
    labels = dict(labels, alertname=alertname)
    return {"version": "4", "status": "firing", "receiver": "klaxon", "groupKey": "{}:{}",
            "truncatedAlerts": 0, "groupLabels": {}, "commonLabels": labels, "commonAnnotations": {},
            "externalURL": "http://am.example",
            "alerts": [{"status": "firing", "labels": labels, "annotations": {"summary": alertname},
                        "startsAt": "2026-01-01T00:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
                        "generatorURL": "http://prom.example/graph", "fingerprint": "0123456789abcdef"}]}


class TestCliIntake(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = start_server(cls, cls=True)
        cls.home = tempfile.TemporaryDirectory(prefix="klaxon-cli-intake-")
        cls.addClassCleanup(cls.home.cleanup)
        token = login_token(cls.server, "admin")
        cls.api = Client(cls.server, token=token)
        cls.anon = Client(cls.server)
        cls.env = {"HOME": cls.home.name, "KLAXON_CLI_CONFIG": os.path.join(cls.home.name, "cli.json"),
                   "KLAXON_SERVER": cls.server.url, "KLAXON_TOKEN": token}
        cls.checkout = cls.must(cls.api.post(API + "/services", {"name": "checkout"}), 201)
        cls.payments = cls.must(cls.api.post(API + "/services", {"name": "payments"}), 201)

    @staticmethod
    def must(r, status):
        if r.status != status:
            raise AssertionError("expected %d, got %r" % (status, r))
        return r.body

    def cli(self, *args, ok=True):
        p = run_cli(list(args), env=self.env)
        if ok:
            self.assertEqual(p.returncode, 0, "klaxon %s\nstdout: %s\nstderr: %s" % (" ".join(args), p.stdout, p.stderr))
            self.assertEqual(p.stderr, "", "klaxon %s wrote to stderr" % " ".join(args))
        return p

    def cli_json(self, *args):
        return json.loads(self.cli(*args, "--json").stdout)

    def cli_fails(self, *args, code=1, message=None):
        p = self.cli(*args, ok=False)
        self.assertEqual(p.returncode, code, "klaxon %s\nstdout: %s\nstderr: %s" % (" ".join(args), p.stdout, p.stderr))
        self.assertEqual(p.stdout, "", "klaxon %s printed to stdout on failure" % " ".join(args))
        self.assertTrue(p.stderr.startswith("klaxon: "), p.stderr)
        if message:
            self.assertIn(message, p.stderr)
        if code == 2:
            self.assertIn("\nusage: klaxon %s %s" % (args[0], args[1]), p.stderr)
        return p

    def post_alert(self, url, body, status=200):
        """POSTs `body` to an intake URL the CLI printed (no credentials but its key)."""
        path = urllib.parse.urlsplit(url).path
        r = self.anon.post(path, body, auth=False)
        self.assertEqual(r.status, status, r)
        return r.body

    def integration(self, iid):
        return self.must(self.api.get("%s/integrations/%d" % (API, iid)), 200)

    # -- integrations ----------------------------------------------------------------------
    def test_integration_lifecycle(self):
        out = self.cli("integration", "create", "--name", "cli-am", "--kind", "alertmanager",
                       "--service", "checkout", "--group-by", "alertname,env").stdout
        m = re.match(r"Created cli-am \(integration (\d+)\)\n", out)
        self.assertTrue(m, out)
        iid = int(m.group(1))
        got = self.integration(iid)
        self.assertEqual((got["kind"], got["service_id"], got["group_by"]),
                         ("alertmanager", self.checkout["id"], ["alertname", "env"]))
        self.assertEqual(detail(out, "Kind"), "alertmanager")
        self.assertEqual(detail(out, "Service"), "checkout")
        self.assertEqual(detail(out, "Group by"), "alertname, env")
        self.assertEqual(detail(out, "Key"), got["key"])
        url = re.search(r"^  webhook\s+(\S+)$", out, re.M).group(1)
        self.assertEqual(url, got["urls"]["webhook"])
        self.assertTrue(url.endswith("/intake/alertmanager/" + got["key"]), url)

        rows = table(self.cli("integration", "list").stdout)
        self.assertEqual(rows[0], ["ID", "NAME", "KIND", "SERVICE", "REQUESTS", "ERRORS", "LAST REQUEST", "STATE"])
        self.assertIn([str(iid), "cli-am", "alertmanager", "checkout", "0", "0", "-", "active"], rows)
        self.assertEqual(self.cli_json("integration", "show", str(iid)), self.integration(iid))

        # A sender posts to the printed URL: one good request, one malformed.
        self.assertEqual(self.post_alert(url, webhook("CliLifecycle", env="prod"))["received"], 1)
        r = self.anon.request("POST", urllib.parse.urlsplit(url).path, raw=b'{"version": "4", "alerts": [',
                              auth=False)
        self.assertEqual(r.status, 400, r)

        out = self.cli("integration", "requests", str(iid)).stdout
        lines = out.splitlines()
        self.assertEqual(lines[0], "Integration cli-am (id %d): 2 requests, 1 error since the server started; "
                                   "the last 2, newest first" % iid)
        rows = table("\n".join(lines[1:]))
        self.assertEqual(rows[0], ["TIME", "METHOD", "STATUS", "MS", "ERROR"])
        self.assertEqual([r[1:3] for r in rows[1:]], [["POST", "400"], ["POST", "200"]])
        self.assertIn("malformed JSON", rows[1][4])
        self.assertEqual(rows[2][4], "-")
        for row in rows[1:]:
            self.assertRegex(row[0], TABLE_TIME)
            self.assertRegex(row[3], r"^\d+\.\d$")
        api = self.must(self.api.get("%s/integrations/%d/requests" % (API, iid)), 200)
        self.assertEqual(self.cli_json("integration", "requests", str(iid)), api)
        self.assertNotIn(got["key"], json.dumps(api))
        bodies = self.cli("integration", "requests", str(iid), "--body").stdout
        self.assertIn("POST /intake/alertmanager/{key}  status 200 in ", bodies)
        self.assertIn('\n        "alertname": "CliLifecycle",\n', bodies)  # Pretty-printed JSON.
        self.assertIn('\n{"version": "4", "alerts": [\n', bodies)  # Not JSON: as it came.
        self.assertIn("\nError: malformed JSON", bodies)

        row = [r for r in table(self.cli("integration", "list").stdout) if r[0] == str(iid)][0]
        self.assertEqual(row[4:6], ["2", "1"])
        self.assertRegex(row[6], TABLE_TIME)
        out = self.cli("integration", "show", str(iid)).stdout
        self.assertEqual(detail(out, "Requests"), "2 (1 error) since the server started")
        self.assertTrue(detail(out, "Last request").endswith(", status 400"), out)

        # Update: what was given changes, the key stays.
        out = self.cli("integration", "update", str(iid), "--name", "cli-am-2", "--service", "none",
                       "--auto-resolve", "false", "--flap-window", "60", "--group-by", "alertname").stdout
        self.assertTrue(out.startswith("Updated cli-am-2 (integration %d)\n" % iid), out)
        self.assertEqual((detail(out, "Service"), detail(out, "Auto-resolve"), detail(out, "Flap window")),
                         ("-", "no", "60 s"))
        got = self.integration(iid)
        self.assertEqual((got["name"], got["service_id"], got["auto_resolve"], got["flap_window_seconds"],
                          got["group_by"]), ("cli-am-2", None, False, 60, ["alertname"]))
        out = self.cli("integration", "update", str(iid), "--service", str(self.payments["id"])).stdout
        self.assertEqual(detail(out, "Service"), "payments")
        self.assertEqual(self.integration(iid)["service_id"], self.payments["id"])
        self.cli_fails("integration", "update", str(iid), "--name", "", code=2, message="empty --name")
        self.cli_fails("integration", "update", str(iid), "--flap-window", "100000",
                       message="422 Unprocessable Entity")

        # Rotation: the old URL answers 401 at once, the new one works.
        old_key = got["key"]
        out = self.cli("integration", "rotate-key", str(iid)).stdout
        self.assertTrue(out.startswith("New key for cli-am-2 (integration %d); the old key no longer works\n" % iid),
                        out)
        new_key = detail(out, "Key")
        self.assertNotEqual(new_key, old_key)
        self.assertEqual(new_key, self.integration(iid)["key"])
        new_url = re.search(r"^  webhook\s+(\S+)$", out, re.M).group(1)
        self.post_alert(url, webhook("CliLifecycle", env="prod"), status=401)
        self.post_alert(new_url, webhook("CliLifecycle", env="prod"))

        # Revocation.
        self.assertEqual(self.cli("integration", "delete", str(iid)).stdout,
                         "Revoked integration %d; its key answers 401 from now on\n" % iid)
        self.post_alert(new_url, webhook("CliLifecycle", env="prod"), status=401)
        self.assertIsNotNone(self.integration(iid)["revoked_at"])
        row = [r for r in table(self.cli("integration", "list").stdout) if r[0] == str(iid)][0]
        self.assertEqual(row[-1], "revoked")
        self.assertTrue(detail(self.cli("integration", "show", str(iid)).stdout, "State").startswith("revoked 20"))
        self.cli_fails("integration", "delete", str(iid), message="409 Conflict")
        self.cli_fails("integration", "rotate-key", str(iid), message="409 Conflict")
        self.cli_fails("integration", "show", "999999", message="404 Not Found")

    def test_integration_heartbeat_and_file(self):
        out = self.cli("integration", "create", "--name", "cli-nightly", "--kind", "heartbeat",
                       "--interval", "3600", "--grace", "60").stdout
        iid = int(re.match(r"Created cli-nightly \(integration (\d+)\)\n", out).group(1))
        self.assertEqual(detail(out, "Heartbeat"), "a ping every 3600 s, 60 s grace")
        self.assertEqual(detail(out, "Service"), "-")
        got = self.integration(iid)
        self.assertEqual(got["settings"], {"heartbeat_interval_seconds": 3600, "heartbeat_grace_seconds": 60})
        ping = re.search(r"^  ping\s+(\S+)$", out, re.M).group(1)
        r = self.anon.get(urllib.parse.urlsplit(ping).path, auth=False)
        self.assertEqual(r.status, 200, r)
        rows = table("\n".join(self.cli("integration", "requests", str(iid)).stdout.splitlines()[1:]))
        self.assertEqual([r[1:3] for r in rows[1:]], [["GET", "200"]])
        out = self.cli("integration", "update", str(iid), "--interval", "600").stdout
        self.assertEqual(detail(out, "Heartbeat"), "a ping every 600 s, 60 s grace")

        # A generic webhook from a file (the mapping has no option), the name from an option.
        path = os.path.join(self.home.name, "hook.json")
        with open(path, "w") as f:
            json.dump({"name": "from-file", "kind": "webhook", "service": "checkout",
                       "mapping": {"title": "/check/name", "dedup_key": "/check/id"}}, f)
        out = self.cli("integration", "create", "-f", path, "--name", "cli-hook").stdout
        iid = int(re.match(r"Created cli-hook \(integration (\d+)\)\n", out).group(1))
        got = self.integration(iid)
        self.assertEqual((got["name"], got["kind"], got["service_id"]), ("cli-hook", "webhook", self.checkout["id"]))
        self.assertEqual(got["settings"]["mapping"]["title"], "/check/name")
        self.assertIn('"title":"/check/name"', detail(out, "Mapping"))
        url = re.search(r"^  webhook\s+(\S+)$", out, re.M).group(1)
        self.post_alert(url, {"check": {"name": "Disk full", "id": "disk-1"}})
        self.assertEqual(self.cli_json("integration", "requests", str(iid))["stats"]["requests"], 1)

    def test_integration_bad_input(self):
        before = self.must(self.api.get(API + "/integrations"), 200)["items"]
        self.cli_fails("integration", "create", "--kind", "alertmanager", code=2, message="missing --name NAME")
        self.cli_fails("integration", "create", "--name", "x", code=2, message="missing --kind KIND")
        self.cli_fails("integration", "create", "--name", "x", "--kind", "heartbeat", "--interval", "1h",
                       code=2, message="invalid --interval '1h'")
        self.cli_fails("integration", "create", "--name", "x", "--kind", "alertmanager", "--group-by", "a,,b",
                       code=2, message="invalid --group-by 'a,,b'")
        self.cli_fails("integration", "create", "--name", "x", "--kind", "alertmanager", "--auto-resolve", "true",
                       code=2, message="option --auto-resolve does not apply to 'integration create'")
        self.cli_fails("integration", "update", "nope", "--name", "x", code=2, message="invalid integration id 'nope'")
        self.cli_fails("integration", "update", "1", code=2, message="nothing to change")
        self.cli_fails("integration", "update", "1", "--auto-resolve", "maybe", code=2,
                       message="invalid --auto-resolve 'maybe' (expected true or false)")
        self.cli_fails("integration", "requests", "x", code=2, message="invalid integration id 'x'")
        self.cli_fails("integration", "create", "-f", os.path.join(self.home.name, "missing.json"),
                       message="cannot read")
        # Refused by the server: its message, field by field.
        p = self.cli_fails("integration", "create", "--name", "x", "--kind", "nagios",
                           message="422 Unprocessable Entity")
        self.assertIn("kind", p.stderr)
        p = self.cli_fails("integration", "create", "--name", "x", "--kind", "alertmanager", "--service", "nope",
                           message="422 Unprocessable Entity")
        self.assertIn("service: unknown service 'nope'", p.stderr)
        self.cli_fails("integration", "create", "--name", "x", "--kind", "heartbeat", "--interval", "5",
                       message="heartbeat_interval_seconds")
        self.assertEqual(self.must(self.api.get(API + "/integrations"), 200)["items"], before)
        # A viewer cannot manage integrations.
        viewer = dict(self.env, KLAXON_TOKEN=login_token(self.server, "viewer"))
        p = run_cli(["integration", "list"], env=viewer)
        self.assertEqual((p.returncode, p.stdout), (1, ""), p)
        self.assertIn("403 Forbidden", p.stderr)

    # -- silences -------------------------------------------------------------------------------
    def test_silences(self):
        am = self.must(self.api.post(API + "/integrations", {"name": "cli-silenced", "kind": "alertmanager"}), 201)
        out = self.cli("silence", "create", "--matcher", "alertname=CliSilenced", "--matcher", "env=~prod.*",
                       "--matcher", 'team!="db ops"', "--duration", "2h", "--comment", "deploy").stdout
        m = re.fullmatch(r'Created silence (\d+) \(active, (\S+ \S+) to (\S+ \S+)\): '
                         r'alertname="CliSilenced" env=~"prod\.\*" team!="db ops"\n', out)
        self.assertTrue(m, out)
        sid = int(m.group(1))
        listed = self.must(self.api.get(API + "/silences"), 200)["items"]
        mine = [s for s in listed if s["id"] == sid][0]
        self.assertEqual(mine["matchers"], [{"name": "alertname", "op": "=", "value": "CliSilenced"},
                                            {"name": "env", "op": "=~", "value": "prod.*"},
                                            {"name": "team", "op": "!=", "value": "db ops"}])
        self.assertAlmostEqual(parse_time(mine["ends_at"]) - parse_time(mine["starts_at"]), 7200, delta=0.001)
        self.assertAlmostEqual(parse_time(mine["starts_at"]), time.time(), delta=120)
        self.assertEqual((mine["comment"], mine["created_by"], mine["state"]), ("deploy", "admin", "active"))
        self.assertEqual(m.group(2), mine["starts_at"][:19].replace("T", " "))

        # It holds a matching alert; another environment still gets through.
        url = am["urls"]["webhook"]
        self.assertEqual(self.post_alert(url, webhook("CliSilenced", env="prod-eu", team="web"))["silenced"], 1)
        self.assertEqual(self.post_alert(url, webhook("CliSilenced", env="staging", team="web"))["silenced"], 0)

        out = self.cli("silence", "create", "--matcher", "alertname = CliLater", "--start", "+1h", "--end", "+3h").stdout
        later = int(re.match(r"Created silence (\d+) \(pending, ", out).group(1))

        rows = table(self.cli("silence", "list").stdout)
        self.assertEqual(rows[0], ["ID", "STATE", "MATCHERS", "STARTS", "ENDS", "CREATED BY", "COMMENT"])
        by_id = {r[0]: r for r in rows[1:]}
        self.assertEqual(by_id[str(sid)][:3], [str(sid), "active",
                                               'alertname="CliSilenced" env=~"prod.*" team!="db ops"'])
        self.assertEqual(by_id[str(sid)][5:], ["admin", "deploy"])
        self.assertEqual(by_id[str(later)][1:3], ["pending", 'alertname="CliLater"'])
        api = self.must(self.api.get(API + "/silences"), 200)
        self.assertEqual(self.cli_json("silence", "list", "--all"), api)

        self.assertEqual(self.cli("silence", "expire", str(sid)).stdout, "Expired silence %d\n" % sid)
        self.assertEqual([s["state"] for s in self.must(self.api.get(API + "/silences"), 200)["items"]
                          if s["id"] == sid], ["expired"])
        self.assertNotIn(str(sid), [r[0] for r in table(self.cli("silence", "list").stdout)[1:]])
        self.assertNotIn(sid, [s["id"] for s in self.cli_json("silence", "list")["items"]])
        self.assertIn([str(sid), "expired"], [r[:2] for r in table(self.cli("silence", "list", "--all").stdout)[1:]])
        self.assertEqual(self.post_alert(url, webhook("CliSilenced", env="prod-us", team="web"))["silenced"], 0)
        self.cli_fails("silence", "expire", str(sid), message="409 Conflict")
        self.cli_fails("silence", "expire", "999999", message="404 Not Found")
        self.cli("silence", "expire", str(later))

    def test_silence_bad_input(self):
        before = self.must(self.api.get(API + "/silences"), 200)["items"]
        for args, message in [
            (("--matcher", "alertname", "--duration", "1h"), "invalid --matcher 'alertname': no operator"),
            (("--matcher", "env=~prod[", "--duration", "1h"), "invalid --matcher 'env=~prod[': invalid regex"),
            (("--matcher", "=x", "--duration", "1h"), "no label name"),
            (("--matcher", "a=b",), "missing --duration DURATION (or --end TIME)"),
            (("--matcher", "a=b", "--duration", "1h", "--end", "+2h"), "give --duration or --end, not both"),
            (("--matcher", "a=b", "--duration", "90s"), "invalid --duration '90s'"),
            (("--matcher", "a=b", "--end", "tomorrow"), "invalid --end 'tomorrow'"),
            (("--duration", "1h",), "missing --matcher MATCHER"),
        ]:
            self.cli_fails("silence", "create", *args, code=2, message=message)
        self.cli_fails("silence", "expire", "x", code=2, message="invalid silence id 'x'")
        p = self.cli_fails("silence", "create", "--matcher", "a=b", "--end", "-1h", message="422 Unprocessable Entity")
        self.assertIn("ends_at: must be in the future", p.stderr)
        self.assertEqual(self.must(self.api.get(API + "/silences"), 200)["items"], before)

    # -- maintenance windows --------------------------------------------------------------------
    def test_maintenance(self):
        out = self.cli("maintenance", "create", "--service", "checkout", "--name", "db failover",
                       "--start", "+1h", "--end", "+3h").stdout
        m = re.fullmatch(r"Created maintenance window (\d+) for checkout: db failover, (\S+ \S+) to (\S+ \S+)\n",
                         out)
        self.assertTrue(m, out)
        once = int(m.group(1))
        out = self.cli("maintenance", "create", "--service", str(self.payments["id"]), "--name", "patching",
                       "--weekdays", "sun,sat", "--at", "02:00", "--duration", "2h",
                       "--time-zone", "Europe/Berlin").stdout
        self.assertRegex(out, r"^Created maintenance window \d+ for payments: patching, sun,sat 02:00 for 120 min "
                              r"\(Europe/Berlin\)\n$")
        weekly = int(re.match(r"Created maintenance window (\d+)", out).group(1))
        out = self.cli("maintenance", "create", "--service", "payments", "--name", "nightly",
                       "--weekdays", "mon,tue,wed,thu,fri", "--at", "23:30", "--duration", "30m").stdout
        nightly = int(re.match(r"Created maintenance window (\d+)", out).group(1))

        items = {w["id"]: w for w in self.must(self.api.get(API + "/maintenance"), 200)["items"]}
        self.assertEqual(items[once]["service_id"], self.checkout["id"])
        self.assertAlmostEqual(parse_time(items[once]["ends_at"]) - parse_time(items[once]["starts_at"]), 7200,
                               delta=0.001)
        self.assertEqual(m.group(2), items[once]["starts_at"][:19].replace("T", " "))
        self.assertFalse(items[once]["active"])
        self.assertEqual({k: items[weekly][k] for k in ("service_id", "weekdays", "start", "duration_minutes",
                                                        "time_zone")},
                         {"service_id": self.payments["id"], "weekdays": ["sun", "sat"], "start": "02:00",
                          "duration_minutes": 120, "time_zone": "Europe/Berlin"})
        self.assertEqual((items[nightly]["time_zone"], items[nightly]["duration_minutes"]), ("UTC", 30))

        rows = table(self.cli("maintenance", "list").stdout)
        self.assertEqual(rows[0], ["ID", "NAME", "SERVICE", "WHEN", "ACTIVE", "NEXT START"])
        by_id = {r[0]: r for r in rows[1:]}
        self.assertEqual(by_id[str(once)][1:5], ["db failover", "checkout", "%s to %s" % (m.group(2), m.group(3)),
                                                 "no"])
        self.assertEqual(by_id[str(once)][5], m.group(2))
        self.assertEqual(by_id[str(weekly)][1:4], ["patching", "payments", "sun,sat 02:00 for 120 min (Europe/Berlin)"])
        self.assertRegex(by_id[str(weekly)][5], TABLE_TIME)
        self.assertEqual(self.cli_json("maintenance", "list"), self.must(self.api.get(API + "/maintenance"), 200))

        for wid in (once, weekly, nightly):
            self.assertEqual(self.cli("maintenance", "delete", str(wid)).stdout, "Deleted maintenance window %d\n" % wid)
        left = [w["id"] for w in self.must(self.api.get(API + "/maintenance"), 200)["items"]]
        self.assertFalse({once, weekly, nightly} & set(left), left)
        self.cli_fails("maintenance", "delete", str(once), message="404 Not Found")

    def test_maintenance_bad_input(self):
        before = self.must(self.api.get(API + "/maintenance"), 200)["items"]
        base = ("--service", "checkout", "--name", "n")
        for args, message in [
            ((), "give --start and --end (or --duration) for a one-off window"),
            (("--start", "now", "--end", "+1h", "--weekdays", "sun"), "do not go with"),
            (("--start", "now"), "missing --end TIME (or --duration)"),
            (("--start", "yesterday", "--end", "+1h"), "invalid --start 'yesterday'"),
            (("--weekdays", "sun", "--duration", "2h"), "missing --at HH:MM"),
            (("--weekdays", "sunday", "--at", "02:00", "--duration", "2h"), "invalid --weekdays 'sunday'"),
            (("--weekdays", "sun", "--at", "2am", "--duration", "2h"), "invalid --at '2am'"),
            (("--weekdays", "sun", "--at", "02:00", "--duration", "2"), "invalid --duration '2'"),
        ]:
            self.cli_fails("maintenance", "create", *(base + args), code=2, message=message)
        self.cli_fails("maintenance", "create", "--name", "n", "--start", "now", "--end", "+1h", code=2,
                       message="missing --service SERVICE")
        self.cli_fails("maintenance", "delete", "x", code=2, message="invalid maintenance window id 'x'")
        p = self.cli_fails("maintenance", "create", "--service", "nope", "--name", "n", "--start", "now",
                           "--end", "+1h", message="422 Unprocessable Entity")
        self.assertIn("service: unknown service 'nope'", p.stderr)
        p = self.cli_fails("maintenance", "create", *base, "--weekdays", "sun", "--at", "02:00", "--duration", "2h",
                           "--time-zone", "Mars/Olympus", message="422 Unprocessable Entity")
        self.assertIn("time_zone", p.stderr)
        p = self.cli_fails("maintenance", "create", *base, "--start", "+2h", "--end", "+1h",
                           message="422 Unprocessable Entity")
        self.assertIn("ends_at", p.stderr)
        self.assertEqual(self.must(self.api.get(API + "/maintenance"), 200)["items"], before)

    def test_help_lists_the_new_commands(self):
        out = self.cli("integration", "--help").stdout
        for command in ("integration list", "integration show ID", "integration create", "integration update ID",
                        "integration rotate-key ID", "integration delete ID", "integration requests ID"):
            self.assertIn(command, out)
        out = self.cli("silence", "create", "--help").stdout
        self.assertIn("usage: klaxon silence create --matcher MATCHER... ", out)
        self.assertIn("(repeatable)", out)
        self.assertIn("maintenance create", self.cli("maintenance", "--help").stdout)


if __name__ == "__main__":
    unittest.main()
