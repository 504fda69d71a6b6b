"""The `klaxon` CLI's on-call and paging commands against a running server: oncall now and
shifts, schedules (list, show, create/replace from a file, delete), overrides, escalation
policies, incident escalate/repage, and notify (contact methods, rules, test message and
verification, the notification list). Each command's happy path is checked against the
API's own answer; errors (unknown schedule, user or code, 409s) must exit non-zero with
the server's message on stderr and nothing on stdout.

One server (system clock) and one webhook receiver for the whole class; the fixtures are
made through the API, the commands run as the admin through KLAXON_SERVER/KLAXON_TOKEN.
"""

import datetime
import json
import os
import re
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # run from anywhere

from harness import Client, login_token, parse_time, run_cli, start_server
from receivers import WebhookReceiver

API = "/api/v1"
PW = "pw-Cli-oncall-secret-123"
UTC = datetime.timezone.utc
TABLE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


def table(stdout):
    """The rows of a CLI table (columns split on runs of 2+ spaces), header first."""
    return [re.split(r"\s{2,}", line.strip()) for line in stdout.splitlines() if line.strip()]


def iso(dt):
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (dt.microsecond // 1000)


def find_code(message):
    """The 6-digit verification code in a test message (a JSON webhook body)."""
    found = []

    def walk(value, key=""):
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif isinstance(value, (str, int)) and not isinstance(value, bool):
            text = str(value)
            if "code" in key.lower() and re.fullmatch(r"\d{6}", text):
                found.insert(0, text)
            else:
                found.extend(re.findall(r"(?<![\w/-])\d{6}(?![\w-])", re.sub(r"https?://\S+", " ", text)))

    walk(message)
    if not found:
        raise AssertionError("no 6-digit code in the test message: %r" % (message,))
    return found[0]


class TestCliOnCall(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = start_server(cls, cls=True)
        cls.rx = WebhookReceiver()
        cls.addClassCleanup(cls.rx.stop)
        cls.home = tempfile.TemporaryDirectory(prefix="klaxon-cli-oncall-")
        cls.addClassCleanup(cls.home.cleanup)
        token = login_token(cls.server, "admin")
        cls.api = Client(cls.server, token=token)
        cls.env = {"HOME": cls.home.name, "KLAXON_CLI_CONFIG": os.path.join(cls.home.name, "cli.json"),
                   "KLAXON_SERVER": cls.server.url, "KLAXON_TOKEN": token}
        for username in ("alice", "bob", "carol"):
            cls.must(cls.api.post(API + "/users", {"username": username, "name": username.title() + " Example",
                                                   "role": "responder", "password": PW}), 201)
        # A weekly rotation of alice and bob that started four Mondays ago, 09:00 UTC.
        today = datetime.datetime.now(UTC).date()
        cls.start_date = (today - datetime.timedelta(days=today.weekday() + 28)).isoformat()
        cls.schedule = cls.must(cls.api.post(API + "/schedules", cls.schedule_body("primary")), 201)
        cls.policy = cls.must(cls.api.post(API + "/escalation-policies", {
            "name": "web", "description": "web tier", "repeat": 1,
            "steps": [{"delay_minutes": 5, "targets": [{"type": "schedule", "name": "primary"}]},
                      {"delay_minutes": 10, "targets": [{"type": "user", "name": "carol"}]}]}), 201)
        service = cls.must(cls.api.post(API + "/services", {"name": "checkout"}), 201)
        cls.must(cls.api.request("PATCH", "%s/services/%d" % (API, service["id"]), {"escalation_policy": "web"}), 200)

    @classmethod
    def schedule_body(cls, name, users=("alice", "bob"), description="test rotation"):
        return {"name": name, "description": description, "time_zone": "UTC",
                "layers": [{"name": "weekly", "users": list(users), "rotation": {"unit": "weeks", "length": 1},
                            "start_date": cls.start_date, "handoff_time": "09:00"}]}

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
        return p

    # -- oncall --------------------------------------------------------------------------
    def test_oncall_now(self):
        expected = self.must(self.api.get(API + "/oncall"), 200)
        mine = [e for e in expected["items"] if e["schedule"]["name"] == "primary"][0]
        self.assertIn(mine["user"]["username"], ("alice", "bob"))

        rows = table(self.cli("oncall", "now").stdout)
        self.assertEqual(rows[0], ["SCHEDULE", "ON CALL", "UNTIL"])
        primary = [r for r in rows[1:] if r[0] == "primary"]
        self.assertEqual(len(primary), 1, rows)
        self.assertEqual(primary[0][1], "%s (%s)" % (mine["user"]["username"], mine["user"]["name"]))
        self.assertRegex(primary[0][2], TABLE_TIME)

        listed = self.cli_json("oncall", "now")
        self.assertEqual([e["schedule"]["name"] for e in listed["items"]],
                         [e["schedule"]["name"] for e in expected["items"]])

        # One schedule, a week from now: the other person, as the API says for that time.
        got = self.cli_json("oncall", "now", "--schedule", "primary", "--at", "+7d")
        at = parse_time(got["at"])
        self.assertAlmostEqual(at, datetime.datetime.now(UTC).timestamp() + 7 * 86400, delta=120)
        api = self.must(self.api.get("%s/schedules/%d/oncall" % (API, self.schedule["id"]),
                                     params={"at": got["at"]}), 200)
        self.assertEqual(got, api)
        self.assertNotEqual(got["user"]["username"], mine["user"]["username"])

        rows = table(self.cli("oncall", "now", "--schedule", str(self.schedule["id"]),
                              "--at", "2020-01-01T00:00:00Z").stdout)
        self.assertEqual(rows, [["SCHEDULE", "ON CALL", "UNTIL"], ["primary", "-", rows[1][2]]])

    def test_oncall_shifts(self):
        rows = table(self.cli("oncall", "shifts", "--schedule", "primary", "--from", "now", "--to", "+15d").stdout)
        self.assertEqual(rows[0], ["START", "END", "USER", "SOURCE"])
        self.assertGreaterEqual(len(rows) - 1, 3, rows)
        users = [r[2] for r in rows[1:]]
        self.assertEqual(set(users), {"alice", "bob"}, rows)
        for a, b in zip(users, users[1:]):
            self.assertNotEqual(a, b, "a weekly rotation of two alternates: %r" % rows)
        for r in rows[1:]:
            self.assertRegex(r[0], TABLE_TIME)
            self.assertRegex(r[1], TABLE_TIME)
            self.assertEqual(r[3], "weekly")

        start = datetime.datetime.fromisoformat(self.start_date + "T09:00:00+00:00")
        frm, to = iso(start), iso(start + datetime.timedelta(days=21))
        got = self.cli_json("oncall", "shifts", "--schedule", "primary", "--from", frm, "--to", to)
        api = self.must(self.api.get("%s/schedules/primary/shifts" % API, params={"from": frm, "to": to}), 200)
        self.assertEqual(got, api)
        self.assertEqual([s["user"]["username"] for s in got["items"]], ["alice", "bob", "alice"])

    def test_unknown_schedule(self):
        for args in (("oncall", "now", "--schedule", "nope"),
                     ("oncall", "shifts", "--schedule", "nope"),
                     ("schedule", "show", "nope"),
                     ("override", "list", "--schedule", "nope"),
                     ("schedule", "delete", "nope")):
            p = self.cli_fails(*args)
            self.assertEqual(p.stderr, "klaxon: 404 Not Found: no schedule 'nope'\n", args)

    def test_bad_time_is_a_usage_error(self):
        p = self.cli_fails("oncall", "now", "--at", "tomorrow", code=2, message="invalid --at 'tomorrow'")
        self.assertIn("usage: klaxon oncall now", p.stderr)
        self.cli_fails("oncall", "shifts", "--schedule", "primary", "--from", "now", "--to", "+200d",
                       message="at most 100 days")

    # -- schedules -------------------------------------------------------------------------
    def test_schedule_list_and_show(self):
        rows = table(self.cli("schedule", "list").stdout)
        self.assertEqual(rows[0], ["ID", "NAME", "TIME ZONE", "ON CALL NOW", "DESCRIPTION"])
        primary = [r for r in rows[1:] if r[1] == "primary"]
        self.assertEqual(primary[0][:3], [str(self.schedule["id"]), "primary", "UTC"], rows)
        self.assertEqual(self.cli_json("schedule", "list"), self.must(self.api.get(API + "/schedules"), 200))

        out = self.cli("schedule", "show", "primary").stdout
        self.assertTrue(out.startswith("primary (schedule %d)\n" % self.schedule["id"]), out)
        self.assertIn("Time zone:     UTC\n", out)
        self.assertRegex(out, r"\nweekly\s+1 week\s+alice, bob\s+%s\s+09:00\s+-\n" % self.start_date)
        self.assertEqual(self.cli_json("schedule", "show", str(self.schedule["id"])),
                         self.must(self.api.get("%s/schedules/%d" % (API, self.schedule["id"])), 200))

    def test_schedule_create_replace_delete(self):
        path = os.path.join(self.home.name, "secondary.json")
        with open(path, "w") as f:
            json.dump(self.schedule_body("secondary", users=["carol"]), f)
        out = self.cli("schedule", "create", "-f", path).stdout
        m = re.fullmatch(r"Created schedule secondary \(id (\d+)\)\n", out)
        self.assertTrue(m, out)
        sid = int(m.group(1))
        self.assertEqual(self.must(self.api.get("%s/schedules/%d" % (API, sid)), 200)["name"], "secondary")

        with open(path, "w") as f:
            json.dump(self.schedule_body("secondary", users=["carol", "bob"], description="now two"), f)
        out = self.cli("schedule", "replace", "secondary", "--file", path).stdout
        self.assertEqual(out, "Replaced schedule secondary (id %d)\n" % sid)
        got = self.must(self.api.get("%s/schedules/%d" % (API, sid)), 200)
        self.assertEqual((got["description"], got["layers"][0]["users"]), ("now two", ["carol", "bob"]))

        # A second schedule with the same name is the server's 409, shown as it is.
        self.cli_fails("schedule", "create", "-f", path, message="409 Conflict")
        # An invalid body: the server's field errors are shown.
        with open(path, "w") as f:
            json.dump({"name": "third", "time_zone": "Mars/Olympus", "layers": []}, f)
        p = self.cli_fails("schedule", "create", "-f", path, message="422 Unprocessable Entity")
        self.assertIn("time_zone", p.stderr)
        # A file that is not JSON never reaches the server.
        with open(path, "w") as f:
            f.write("{nope")
        self.cli_fails("schedule", "create", "-f", path, message="malformed JSON")

        self.assertEqual(self.cli("schedule", "delete", "secondary").stdout, "Deleted schedule secondary\n")
        self.assertEqual(self.api.get("%s/schedules/%d" % (API, sid)).status, 404)

    # -- overrides --------------------------------------------------------------------------
    def test_overrides(self):
        out = self.cli("override", "create", "--schedule", "primary", "--user", "carol",
                       "--start", "+1h", "--end", "+3h").stdout
        m = re.fullmatch(r"Created override (\d+): carol covers (\S+ \S+) to (\S+ \S+) on primary\n", out)
        self.assertTrue(m, out)
        oid = int(m.group(1))
        listed = self.must(self.api.get("%s/schedules/primary/overrides" % API), 200)["items"]
        mine = [o for o in listed if o["id"] == oid]
        self.assertEqual(len(mine), 1, listed)
        self.assertEqual(mine[0]["user"]["username"], "carol")
        self.assertAlmostEqual(parse_time(mine[0]["end"]) - parse_time(mine[0]["start"]), 7200, delta=0.001)
        self.assertEqual(mine[0]["start"][:19].replace("T", " "), m.group(2))

        rows = table(self.cli("override", "list", "--schedule", "primary").stdout)
        self.assertEqual(rows[0], ["ID", "USER", "START", "END", "CREATED BY"])
        self.assertIn(str(oid), [r[0] for r in rows[1:]])
        self.assertEqual(self.cli_json("override", "list", "--schedule", "primary")["items"], listed)

        # carol is on call during the override.
        at = iso(datetime.datetime.fromtimestamp(parse_time(mine[0]["start"]) + 60, UTC))
        self.assertEqual(self.cli_json("oncall", "now", "--schedule", "primary", "--at", at)["user"]["username"],
                         "carol")

        self.assertEqual(self.cli("override", "delete", "--schedule", "primary", str(oid)).stdout,
                         "Deleted override %d\n" % oid)
        listed = self.must(self.api.get("%s/schedules/primary/overrides" % API), 200)["items"]
        self.assertNotIn(oid, [o["id"] for o in listed])

        p = self.cli_fails("override", "create", "--schedule", "primary", "--user", "zed",
                           "--start", "+1h", "--end", "+2h", message="422 Unprocessable Entity")
        self.assertIn("user: unknown user 'zed'", p.stderr)
        self.cli_fails("override", "delete", "--schedule", "primary", "x", code=2, message="invalid override id 'x'")

    # -- policies ---------------------------------------------------------------------------
    def test_policy_list_and_show(self):
        rows = table(self.cli("policy", "list").stdout)
        self.assertEqual(rows[0], ["ID", "NAME", "STEPS", "REPEAT", "DEFAULT", "DESCRIPTION"])
        self.assertIn([str(self.policy["id"]), "web", "2", "1", "web tier"], rows[1:])
        out = self.cli("policy", "show", "web").stdout
        self.assertTrue(out.startswith("web (policy %d)\n" % self.policy["id"]), out)
        self.assertIn("Repeat:        1 more time\n", out)
        self.assertRegex(out, r"\n1\s+5 min\s+schedule primary\n2\s+10 min\s+user carol\n")
        self.assertEqual(self.cli_json("policy", "show", str(self.policy["id"])), self.policy)
        self.cli_fails("policy", "show", "nope", message="404 Not Found: no escalation policy 'nope'")

    # -- incident escalate / repage ---------------------------------------------------------------
    def test_escalate_and_repage(self):
        inc = self.api.declare("CLI escalation", service="checkout")
        ref = inc["ref"]
        # Step 1 fires from a timer due at once; escalate after it did, so the next is step 2.
        deadline = time.monotonic() + 5
        while self.must(self.api.get("%s/incidents/%d/escalation" % (API, inc["id"])), 200)["step"] != 1:
            self.assertLess(time.monotonic(), deadline, "step 1 did not fire within 5 s")
            time.sleep(0.05)
        out = self.cli("incident", "escalate", ref).stdout
        self.assertRegex(out, r"^Escalated %s: policy web, step 2 of 2, active, next step at "
                              r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\n$" % ref)
        esc = self.must(self.api.get("%s/incidents/%d/escalation" % (API, inc["id"])), 200)
        self.assertEqual((esc["state"], esc["step"]), ("active", 2))
        self.assertEqual(out.split("next step at ")[1].strip(), esc["next_at"][:19].replace("T", " "))

        out = self.cli("incident", "repage", str(inc["id"])).stdout
        self.assertTrue(out.startswith("Paged %s again: policy web, step 2 of 2, active" % ref), out)
        self.assertEqual(self.cli_json("incident", "repage", ref)["step"], 2)

        self.must(self.api.post("%s/incidents/%d/resolve" % (API, inc["id"]), {}), 200)
        for action in ("escalate", "repage"):
            self.cli_fails("incident", action, ref, message="409 Conflict")
        self.cli_fails("incident", "escalate", "99999999", message="404 Not Found")

    # -- notify ------------------------------------------------------------------------------------
    def test_notify_methods_test_verify_rules(self):
        address = self.rx.url("/alice-cli")
        out = self.cli("notify", "add-method", "--user", "alice", "--kind", "webhook",
                       "--address", address, "--label", "hook").stdout
        m = re.match(r"Added webhook contact method (\d+) \(%s\)\n" % re.escape(address), out)
        self.assertTrue(m, out)
        mid = m.group(1)
        self.assertRegex(out, r"\nWebhook signing secret \(Standard Webhooks\): whsec_\S+\n")
        self.assertIn("'klaxon notify test --user alice %s'" % mid, out)

        rows = table(self.cli("notify", "methods", "--user", "alice").stdout)
        self.assertIn([mid, "webhook", address, "hook", "no"], rows)

        out = self.cli("notify", "test", "--user", "alice", mid).stdout
        m = re.fullmatch(r"Sent a test message to contact method %s \(notification (\d+)\); enter its code "
                         r"with 'klaxon notify verify --user alice %s CODE'\n" % (mid, mid), out)
        self.assertTrue(m, out)
        nid = int(m.group(1))
        message = self.rx.wait_for(1, path="/alice-cli", what="test message")[0]
        code = find_code(message.json)

        wrong = "000000" if code != "000000" else "111111"
        p = self.cli_fails("notify", "verify", "--user", "alice", mid, wrong, message="422 Unprocessable Entity")
        self.assertIn("code", p.stderr)
        out = self.cli("notify", "verify", "--user", "alice", mid, code).stdout
        self.assertEqual(out, "Verified webhook contact method %s (%s)\n" % (mid, address))

        out = self.cli("notify", "add-rule", "--user", "alice", "--method", mid, "--delay", "3").stdout
        self.assertRegex(out, r"^Added notification rule \d+: contact method %s after 3 min\n$" % mid)
        profile = self.cli_json("notify", "methods", "--user", "alice")
        self.assertEqual(profile, self.must(self.api.get(API + "/users/alice"), 200))
        self.assertEqual([r["delay_minutes"] for r in profile["notification_rules"]], [3])
        self.assertIs([c for c in profile["contact_methods"] if str(c["id"]) == mid][0]["verified"], True)
        rows = table(self.cli("notify", "methods", "--user", "alice").stdout)
        self.assertIn([mid, "webhook", address, "hook", "yes"], rows)

        rows = table(self.cli("notify", "list", "--user", "alice").stdout)
        self.assertEqual(rows[0], ["ID", "INCIDENT", "USER", "KIND", "CHANNEL", "ADDRESS", "STATUS", "ATTEMPTS",
                                   "CREATED", "ERROR"])
        self.assertIn(str(nid), [r[0] for r in rows[1:]])
        listed = self.cli_json("notify", "list", "--user", "alice")
        self.assertEqual(listed, self.must(self.api.get(API + "/notifications", params={"user": "alice"}), 200))

    def test_notify_own_methods_and_errors(self):
        out = self.cli("notify", "add-method", "--kind", "email", "--address", "admin@example.test").stdout
        mid = re.match(r"Added email contact method (\d+) ", out).group(1)
        me = self.cli_json("notify", "methods")
        self.assertEqual(me["username"], "admin")
        self.assertIn(int(mid), [c["id"] for c in me["contact_methods"]])

        p = self.cli_fails("notify", "add-method", "--kind", "email", "--address", "not-an-address",
                           message="422 Unprocessable Entity")
        self.assertIn("address: must be an email address", p.stderr)
        self.cli_fails("notify", "methods", "--user", "zed", message="404 Not Found: no user 'zed'")
        self.cli_fails("notify", "test", "99999", message="404 Not Found")
        self.cli_fails("notify", "add-rule", "--method", mid, "--delay", "soon", code=2, message="invalid --delay")
        self.cli_fails("notify", "add-rule", "--method", mid, "--delay", "5000", message="422 Unprocessable Entity")

        for status in ("failed", "sent", "pending", "cancelled"):
            p = self.cli("notify", "list", "--status", status)
            self.assertTrue(p.stdout == "No notifications.\n" or p.stdout.startswith("ID  INCIDENT"), p.stdout)
        self.cli_fails("notify", "list", "--status", "lost", message="400 Bad Request")


if __name__ == "__main__":
    unittest.main()
