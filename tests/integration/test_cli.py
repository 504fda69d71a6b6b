"""The `klaxon` CLI against a running server: login, declare, list --json, ack, note,
resolve, show --json, and errors (non-zero exit with a message)."""

import json
import os
import re
import tempfile
import unittest

from harness import Client, login_token, run_cli, start_server

API = "/api/v1"


class TestCli(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = start_server(cls, cls=True)
        cls.home = tempfile.TemporaryDirectory(prefix="klaxon-cli-home-")
        cls.addClassCleanup(cls.home.cleanup)
        cls.config = os.path.join(cls.home.name, "cli.json")
        cls.env = {"HOME": cls.home.name, "XDG_CONFIG_HOME": os.path.join(cls.home.name, ".config")}
        cls.api = Client(cls.server, token=login_token(cls.server, "admin"))

    def cli(self, *args, ok=True):
        p = run_cli(list(args) + ["--config", self.config], env=self.env)
        if ok:
            self.assertEqual(p.returncode, 0, "klaxon %s\nstdout: %s\nstderr: %s" % (" ".join(args), p.stdout, p.stderr))
        return p

    def test_top_level_help_lists_every_client_command(self):
        out = run_cli(["--help"]).stdout
        for group in ("incident", "oncall", "integration", "status", "drill", "action-item",
                      "report", "apply", "export", "token"):
            self.assertRegex(out, r"[ ,]%s[,\n]" % re.escape(group), out)
        for group in ("drill", "action-item", "report"):
            self.assertEqual(run_cli([group, "--help"]).returncode, 0, group)

    def login(self):
        self.cli("login", "--server", self.server.url, "--username", "admin",
                 "--password", self.server.admin_password)

    def test_workflow(self):
        self.login()
        self.assertTrue(os.path.exists(self.config), "login did not write the config file")
        with open(self.config) as f:
            saved = f.read()
        self.assertNotIn(self.server.admin_password, saved, "the password must not be saved")

        title = "CLI declared incident"
        p = self.cli("incident", "declare", "--title", title, "--severity", "SEV-2")
        m = re.search(r"INC-(\d+)", p.stdout)
        self.assertTrue(m, "declare should print the reference: %r" % p.stdout)
        iid = int(m.group(1))
        inc = self.api.get("%s/incidents/%d" % (API, iid)).body
        self.assertEqual(inc["title"], title)
        self.assertEqual(inc["severity"], "SEV-2")
        self.assertEqual(inc["status"], "triggered")

        p = self.cli("incident", "list", "--json")
        listed = json.loads(p.stdout)
        items = listed["items"] if isinstance(listed, dict) else listed
        mine = [i for i in items if i["id"] == iid]
        self.assertEqual(len(mine), 1, p.stdout)
        self.assertEqual(mine[0]["title"], title)

        self.cli("incident", "ack", str(iid))
        self.assertEqual(self.api.get("%s/incidents/%d" % (API, iid)).body["status"], "acknowledged")

        note = "looked at the dashboards"
        self.cli("incident", "note", "INC-%d" % iid, note)
        self.cli("incident", "resolve", str(iid), "--summary", "rolled back the deploy")

        p = self.cli("incident", "show", str(iid), "--json")
        shown = json.loads(p.stdout)
        self.assertEqual(shown["id"], iid)
        self.assertEqual(shown["status"], "resolved")
        self.assertEqual(shown["resolution_summary"], "rolled back the deploy")
        self.assertIn(note, json.dumps(shown["timeline"]))
        self.assertEqual(shown, self.api.get("%s/incidents/%d" % (API, iid)).body)

        # acknowledging a resolved incident fails with a message and changes nothing
        p = self.cli("incident", "ack", str(iid), ok=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertTrue(p.stderr.strip(), "no error message on stderr")
        self.assertEqual(self.api.get("%s/incidents/%d" % (API, iid)).body["status"], "resolved")

        # unknown incident
        p = self.cli("incident", "show", "99999999", "--json", ok=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertTrue(p.stderr.strip())

    def test_bad_login(self):
        other = os.path.join(self.home.name, "bad.json")
        p = run_cli(["login", "--server", self.server.url, "--username", "admin", "--password", "wrong-password",
                     "--config", other], env=self.env)
        self.assertNotEqual(p.returncode, 0)
        self.assertTrue(p.stderr.strip())

    def test_not_logged_in(self):
        other = os.path.join(self.home.name, "never-logged-in.json")
        p = run_cli(["incident", "list", "--json", "--server", self.server.url, "--config", other], env=self.env)
        self.assertNotEqual(p.returncode, 0)
        self.assertTrue(p.stderr.strip())

    def test_server_down(self):
        self.login()
        # a server URL nobody listens on
        p = run_cli(["incident", "list", "--json", "--server", "http://127.0.0.1:9", "--config", self.config],
                    env=self.env)
        self.assertNotEqual(p.returncode, 0)
        self.assertTrue(p.stderr.strip())

    def test_unknown_command(self):
        p = run_cli(["incident", "explode"], env=self.env)
        self.assertNotEqual(p.returncode, 0)
        self.assertTrue(p.stderr.strip())


if __name__ == "__main__":
    unittest.main()
