"""Playbook as configuration: POST /api/v1/apply, GET /api/v1/export and the `klaxon
apply` / `klaxon export` commands against the real binary.

For each of the three playbooks in examples/: a dry run shows the creates and changes
nothing; apply creates everything (services, users, schedules, policies, integrations
and status components become real server objects); a second apply changes nothing;
the exported YAML applied again (with prune) changes nothing. Then, on the priority
playbook: prune deletes what the files dropped (and only with --prune), an invalid file
is a 422 naming file, line and key and changes nothing, viewers and responders get 403,
and the CLI prints the diff and the problems.
"""

import glob
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # run from anywhere

from harness import REPO, example_files as files_of, Client, all_events, login_token, role_clients, run_cli, start_server

API = "/api/v1"
EXAMPLES = os.path.join(REPO, "examples")


def types(result):
    out = {}
    for c in result["changes"]:
        out[c["type"]] = out.get(c["type"], 0) + 1
    return out


class ApplyCase(unittest.TestCase):
    def must(self, r, status=200):
        self.assertEqual(r.status, status, "%r" % (r,))
        return r.body

    def apply(self, files, **kw):
        return self.must(self.api.post(API + "/apply", dict({"files": files}, **kw)))

    def export(self):
        return self.must(self.api.get(API + "/export"))["yaml"]

    def names(self, path, key="name"):
        return sorted(i[key] for i in self.must(self.api.get(API + path))["items"])


class TestApplyExamples(ApplyCase):
    def check_example(self, name):
        server = start_server(self, name="apply-" + name)
        self.api = Client(server, token=login_token(server, "admin"))
        files = files_of(name)
        before = self.export()

        dry = self.apply(files, dry_run=True)
        self.assertFalse(dry["applied"])
        self.assertGreater(types(dry).get("create", 0), 20)
        self.assertIn(" to create", dry["diff"])
        self.assertEqual(self.export(), before, "a dry run changed something")

        first = self.apply(files)
        self.assertTrue(first["applied"])
        self.assertEqual(first["diff"], dry["diff"])
        self.assertEqual(set(types(first)), {"create"})
        # The mapped kinds are real server objects.
        doc = self.must(self.api.get(API + "/export", params={"format": "json"}))
        created = {(c["kind"], c["name"]) for c in first["changes"]}
        for kind in ("services", "schedules", "escalation_policies", "status_components"):
            self.assertTrue(doc[kind])
            self.assertTrue(all((kind, e["name"]) in created for e in doc[kind]))
        self.assertEqual(self.names("/services"), sorted(e["name"] for e in doc["services"]))
        self.assertEqual(self.names("/schedules"), sorted(e["name"] for e in doc["schedules"]))
        self.assertEqual(self.names("/escalation-policies"),
                         sorted(e["name"] for e in doc["escalation_policies"]))
        self.assertEqual(self.names("/status/components"),
                         sorted(e["name"] for e in doc["status_components"]))
        users = self.names("/users", key="username")
        self.assertTrue(all(u["username"] in users for u in doc["users"]))

        again = self.apply(files)
        self.assertFalse(again["applied"])
        self.assertEqual(set(types(again)), {"unchanged"})
        self.assertTrue(again["diff"].startswith("no changes"), again["diff"])

        exported = self.export()
        round_trip = self.apply([{"name": "export.yaml", "text": exported}], prune=True)
        self.assertFalse(round_trip["applied"], round_trip["diff"])
        self.assertTrue(round_trip["diff"].startswith("no changes"), round_trip["diff"])
        self.assertEqual(self.export(), exported)
        self.assertNotIn("whsec_", exported)

        applied = [e for e in all_events(self.api) if e["kind"] == "config.applied"]
        self.assertEqual(len(applied), 1)
        self.assertEqual(applied[0]["data"]["counts"]["services"]["created"], len(doc["services"]))

    def test_levels(self):
        self.check_example("levels")

    def test_priority(self):
        self.check_example("priority")

    def test_sev_levels(self):
        self.check_example("sev-levels")


class TestApplyOverrides(ApplyCase):
    """A schedule's `overrides` in the files become the schedule's overrides; overrides made
    by hand are left alone."""

    DOC = """users:
  - {username: ada}
  - {username: ben}
schedules:
  - name: primary
    time_zone: Europe/Berlin
    layers:
      - {name: weekly, users: [ada, ben], rotation: {unit: weeks}, start_date: "2026-11-02", handoff_time: "09:00"}
    overrides:
%s
"""

    def overrides(self):
        items = self.must(self.api.get(API + "/schedules/primary/overrides"))["items"]
        return sorted((o["user"]["username"], o["start"], o["end"]) for o in items)

    def doc(self, *overrides):
        lines = ["      - {user: %s, start: \"%s\", end: \"%s\"}" % o for o in overrides] or ["      []"]
        text = self.DOC % "\n".join(lines)
        if not overrides:
            text = text.replace("    overrides:\n      []\n", "")
        return [{"name": "people.yaml", "text": text}]

    def test_overrides_follow_the_files(self):
        server = start_server(self, name="apply-overrides")
        self.api = Client(server, token=login_token(server, "admin"))
        xmas = ("ben", "2099-12-24T17:00:00.000Z", "2099-12-26T08:00:00.000Z")
        past = ("ada", "2020-01-01T00:00:00.000Z", "2020-01-02T00:00:00.000Z")
        self.apply(self.doc(xmas, past))
        self.assertEqual(self.overrides(), [xmas])  # one already over is not added
        # One made by hand stays through every apply.
        hand = ("ada", "2099-06-01T00:00:00.000Z", "2099-06-02T00:00:00.000Z")
        self.must(self.api.post(API + "/schedules/primary/overrides",
                                {"user": "ada", "start": hand[1], "end": hand[2]}), 201)
        again = self.apply(self.doc(xmas, past))
        self.assertFalse(again["applied"])
        self.assertEqual(self.overrides(), sorted([xmas, hand]))
        # Changed in the files: the old one goes, the new one comes.
        easter = ("ada", "2099-04-12T00:00:00.000Z", "2099-04-13T00:00:00.000Z")
        self.apply(self.doc(easter))
        self.assertEqual(self.overrides(), sorted([easter, hand]))
        created = [e for e in all_events(self.api) if e["kind"] == "override.created"]
        self.assertEqual([e["data"]["via"] for e in created], ["apply", "override", "apply"])
        # Export round-trips, and dropping the key removes the files' overrides only.
        exported = self.export()
        self.assertFalse(self.apply([{"name": "export.yaml", "text": exported}])["applied"])
        self.apply(self.doc())
        self.assertEqual(self.overrides(), [hand])


class TestApplyPruneUsersAndServices(ApplyCase):
    """--prune deactivates users (only those an earlier apply named, never the one applying,
    and not while a schedule or policy still names them) and archives services (not while
    an open incident, integration or status component uses them). Naming them again
    brings them back."""

    V1 = """users:
  - {username: ada, name: Ada}
  - {username: ben, name: Ben}
  - {username: dan, name: Dan, role: responder}
services:
  - {name: checkout, owner: payments}
  - {name: legacy, owner: nobody}
"""
    V2 = """users:
  - {username: ada, name: Ada}
services:
  - {name: checkout, owner: payments}
"""

    def apply_doc(self, text, status=200, **kw):
        return self.must(self.api.post(API + "/apply",
                                       dict({"files": [{"name": "org.yaml", "text": text}]}, **kw)),
                         status)

    def users(self):
        return {u["username"]: u["active"] for u in self.must(self.api.get(API + "/users"))["items"]}

    def test_prune_deactivates_users_and_archives_services(self):
        server = start_server(self, name="apply-prune-people")
        self.api = Client(server, token=login_token(server, "admin"))
        # dan exists before the files name him; he has a password and a session.
        self.must(self.api.post(API + "/users", {"username": "dan", "role": "responder",
                                                 "password": "dan-password-1"}), 201)
        dan = Client(server)
        self.must(dan.login("dan", "dan-password-1"))
        self.apply_doc(self.V1)
        self.assertEqual(self.must(dan.get(API + "/incidents")).get("items"), [])

        # ben is on a schedule made by hand: pruning him would leave a hole, so nothing is
        # applied and the answer says where he still is.
        self.must(self.api.post(API + "/schedules", {
            "name": "nights", "time_zone": "UTC",
            "layers": [{"name": "rota", "users": ["ben"], "rotation": {"unit": "weeks"},
                        "start_date": "2026-11-02", "handoff_time": "09:00"}]}), 201)
        before = self.export()
        r = self.api.post(API + "/apply", {"files": [{"name": "org.yaml", "text": self.V2}],
                                           "prune": True})
        self.assertEqual(r.status, 409, r)
        self.assertIn("ben", r.body["detail"])
        self.assertIn("schedule 'nights' (layer 'rota')", r.body["detail"])
        self.assertEqual(self.export(), before)
        self.assertTrue(self.users()["dan"])
        self.must(self.api.delete(API + "/schedules/nights"), 204)

        # An open incident keeps its service in the catalog.
        inc = self.must(self.api.post(API + "/incidents", {"title": "Old", "service": "legacy"}), 201)
        r = self.api.post(API + "/apply", {"files": [{"name": "org.yaml", "text": self.V2}],
                                           "prune": True})
        self.assertEqual(r.status, 409, r)
        self.assertIn("service 'legacy' cannot be archived while it has 1 open incident",
                      r.body["detail"])
        self.must(self.api.post(API + "/incidents/%d/resolve" % inc["id"], {"summary": "gone"}))

        dry = self.apply_doc(self.V2, prune=True, dry_run=True)
        self.assertIn('- user "ben"', dry["diff"])
        self.assertIn('- user "dan"', dry["diff"])
        self.assertIn('- service "legacy"', dry["diff"])
        self.assertNotIn('"admin"', dry["diff"])  # made by hand: never pruned
        self.assertTrue(self.users()["dan"])

        pruned = self.apply_doc(self.V2, prune=True)
        self.assertEqual(types(pruned).get("delete"), 3, pruned["diff"])
        users = self.users()
        self.assertEqual((users["admin"], users["ada"], users["ben"], users["dan"]),
                         (True, True, False, False))
        # dan's session ends and he cannot log in again; his history stays.
        self.assertEqual(dan.get(API + "/incidents").status, 401)
        r = Client(server).login("dan", "dan-password-1")
        self.assertEqual(r.status, 401)
        self.assertIn("deactivated", r.body["detail"])
        self.assertNotIn("legacy", self.names("/services"))
        old = self.must(self.api.get(API + "/incidents/%d" % inc["id"]))
        self.assertEqual(old["service"]["name"], "legacy")
        self.assertEqual(self.api.post(API + "/incidents", {"title": "New", "service": "legacy"}).status,
                         422)
        exported = self.export()
        for gone in ("ben", "dan", "legacy"):
            self.assertNotIn(gone, exported)
        self.assertTrue(self.apply_doc(self.V2, prune=True)["diff"].startswith("no changes"))
        # A deactivated user cannot be put on a schedule.
        r = self.api.post(API + "/schedules", {
            "name": "again", "time_zone": "UTC",
            "layers": [{"name": "rota", "users": ["dan"], "rotation": {"unit": "weeks"},
                        "start_date": "2026-11-02", "handoff_time": "09:00"}]})
        self.assertEqual(r.status, 422, r)
        kinds = [e["kind"] for e in all_events(self.api)]
        self.assertEqual(kinds.count("user.deactivated"), 2)
        self.assertEqual(kinds.count("service.archived"), 1)

        # Named again, they come back: dan logs in with his old password.
        back = self.apply_doc(self.V1)
        self.assertEqual(types(back).get("create"), 3, back["diff"])
        self.assertTrue(all(self.users().values()))
        self.assertIn("legacy", self.names("/services"))
        self.must(Client(server).login("dan", "dan-password-1"))
        kinds = [e["kind"] for e in all_events(self.api)]
        self.assertEqual(kinds.count("user.reactivated"), 2)
        self.assertEqual(kinds.count("service.restored"), 1)
        self.assertFalse(self.apply_doc(self.V1)["applied"])

    def test_the_account_applying_is_never_deactivated(self):
        server = start_server(self, name="apply-prune-self")
        self.must(Client(server, token=login_token(server, "admin")).post(
            API + "/users", {"username": "ops", "role": "admin", "password": "ops-password-1"}), 201)
        self.api = Client(server)
        self.must(self.api.login("ops", "ops-password-1"))
        self.apply_doc("users:\n  - {username: ops, role: admin}\n  - {username: ada}\n")
        r = self.api.post(API + "/apply", {"files": [{"name": "org.yaml",
                                                      "text": "users:\n  - {username: ada}\n"}],
                                           "prune": True})
        self.assertEqual(r.status, 409, r)
        self.assertIn("cannot deactivate itself", r.body["detail"])
        self.assertTrue(self.users()["ops"])


class TestApplyPriority(ApplyCase):
    @classmethod
    def setUpClass(cls):
        cls.server = start_server(cls, cls=True)
        cls.admin_token = login_token(cls.server, "admin")
        cls.clients = role_clients(cls.server)
        cls.files = files_of("priority")
        cls.home = tempfile.TemporaryDirectory(prefix="klaxon-apply-")
        cls.addClassCleanup(cls.home.cleanup)
        cls.env = {"HOME": cls.home.name,
                   "KLAXON_CLI_CONFIG": os.path.join(cls.home.name, "cli.json"),
                   "KLAXON_SERVER": cls.server.url, "KLAXON_TOKEN": cls.admin_token}

    def setUp(self):
        self.api = Client(self.server, token=self.admin_token)
        self.apply(self.files)  # every test starts from the whole playbook

    def test_a_roles(self):
        for role in ("viewer", "responder"):
            c = self.clients[role]
            self.assertEqual(c.post(API + "/apply", {"files": self.files}).status, 403)
            self.assertEqual(c.get(API + "/export").status, 403)

    def test_b_invalid_file_names_line_and_changes_nothing(self):
        before = self.export()
        text = self.files[0]["text"]
        lines = text.split("\n")
        line = next(i for i, l in enumerate(lines) if l.strip() == "ack_target: 15m") + 1
        lines[line - 1] = lines[line - 1].replace("15m", "15 minutes")
        bad = [{"name": self.files[0]["name"], "text": "\n".join(lines)}]
        # Also a real change, so that a partial apply would show.
        bad[0]["text"] = bad[0]["text"].replace("Card authorisation and capture.", "changed")
        r = self.api.post(API + "/apply", {"files": bad})
        self.assertEqual(r.status, 422, r)
        self.assertEqual(r.headers.get("Content-Type").split(";")[0], "application/problem+json")
        fields = [e["field"] for e in r.body["errors"]]
        self.assertIn("%s:%d:severities[1].ack_target" % (self.files[0]["name"], line), fields)
        self.assertIn("%s:%d: severities[1].ack_target:" % (self.files[0]["name"], line),
                      r.body["detail"])
        self.assertEqual(self.export(), before)

        # The CLI prints the same problem as file:line: key: message and exits 1.
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "bad.yaml")
            with open(path, "w") as f:
                f.write(bad[0]["text"])
            p = run_cli(["apply", "-f", path], env=self.env)
            self.assertEqual(p.returncode, 1, p)
            self.assertIn("%s:%d: severities[1].ack_target: " % (path, line), p.stderr)
            self.assertEqual(p.stdout, "")
        self.assertEqual(self.export(), before)

    def test_c_prune(self):
        text = self.files[0]["text"]
        dropped = text.replace("  - name: Merchant dashboard\n    services: [merchant-dashboard]\n"
                               "    showcase: false\n", "")
        dropped = dropped.replace("  - name: grafana\n    kind: grafana\n"
                                  "    group_by: [alertname, cluster]\n"
                                  "    flap_window_seconds: 600\n", "")
        self.assertNotEqual(dropped, text)
        files = [{"name": self.files[0]["name"], "text": dropped}]

        kept = self.apply(files)
        self.assertEqual(set(types(kept)), {"unchanged"}, kept["diff"])
        self.assertIn("Merchant dashboard", self.names("/status/components"))

        dry = self.apply(files, prune=True, dry_run=True)
        self.assertIn('- status component "Merchant dashboard"', dry["diff"])
        self.assertIn('- integration "grafana"', dry["diff"])
        self.assertIn("Merchant dashboard", self.names("/status/components"))

        pruned = self.apply(files, prune=True)
        self.assertEqual(types(pruned).get("delete"), 2, pruned["diff"])
        self.assertNotIn("Merchant dashboard", self.names("/status/components"))
        live = [i["name"] for i in self.must(self.api.get(API + "/integrations"))["items"]
                if not i.get("revoked_at")]
        self.assertNotIn("grafana", live)
        exported = self.export()
        self.assertNotIn("Merchant dashboard", exported)
        self.assertTrue(self.apply(files, prune=True)["diff"].startswith("no changes"))

        # Putting the component back creates it again.
        back = self.apply([{"name": "c.yaml", "text": "status_components:\n"
                            "  - {name: Merchant dashboard, services: [merchant-dashboard], "
                            "showcase: false}\n"}])
        self.assertEqual(types(back).get("create"), 1, back["diff"])
        self.assertIn("Merchant dashboard", self.names("/status/components"))

    def test_d_update(self):
        text = self.files[0]["text"].replace("Card authorisation and capture.", "Cards.")
        r = self.apply([{"name": "p.yaml", "text": text}])
        self.assertIn('~ service "card-gateway": description', r["diff"])
        svc = [s for s in self.must(self.api.get(API + "/services"))["items"]
               if s["name"] == "card-gateway"][0]
        self.assertEqual(svc["description"], "Cards.")

    def test_e_cli(self):
        p = run_cli(["apply", "-f", os.path.join(EXAMPLES, "priority"), "--dry-run"], env=self.env)
        self.assertEqual(p.returncode, 0, p)
        self.assertIn("no changes", p.stdout)
        self.assertIn("dry run", p.stdout)
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "org.yaml")
            p = run_cli(["export", "-o", out], env=self.env)
            self.assertEqual(p.returncode, 0, p)
            with open(out) as f:
                self.assertEqual(f.read(), self.export())
            p = run_cli(["apply", "-f", out], env=self.env)
            self.assertEqual(p.returncode, 0, p)
            self.assertIn("no changes", p.stdout)

    def test_f_cli_dry_run_on_empty_server(self):
        server = start_server(self, name="apply-cli-empty")
        env = dict(self.env, KLAXON_SERVER=server.url, KLAXON_TOKEN=login_token(server, "admin"))
        p = run_cli(["apply", "-f", os.path.join(EXAMPLES, "priority"), "--dry-run"], env=env)
        self.assertEqual(p.returncode, 0, p)
        self.assertIn('+ severity "P1"', p.stdout)
        self.assertIn('+ service "card-gateway"', p.stdout)
        self.assertIn("to create", p.stdout)
        api = Client(server, token=env["KLAXON_TOKEN"])
        self.assertEqual(api.get(API + "/services").body["items"], [])


if __name__ == "__main__":
    unittest.main()
