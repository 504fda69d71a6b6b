"""Authentication and authorization over the whole route table.

The OpenAPI document (GET /api/v1/openapi.json) is generated from the router, and each
operation carries `x-klaxon-role`. Walking every path+method in it checks that no
route is reachable without credentials or with a role that is too low. Also: the
document's own shape, tokens shown once, revocation, sessions and logout, and
`klaxon admin reset-password`."""

import http.client
import json
import re
import unittest

from harness import ROLES, Client, login_token, run_cli, start_server

API = "/api/v1"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
ROLE_RANK = {"none": -1, "viewer": 0, "responder": 1, "admin": 2}

# From the tables in docs/api.md: (method, path template, role)
DOCUMENTED = [
    ("post", "/api/v1/auth/login", "none"),
    ("post", "/api/v1/auth/logout", "viewer"),
    ("get", "/api/v1/auth/me", "viewer"),
    ("get", "/api/v1/tokens", "admin"),
    ("post", "/api/v1/tokens", "admin"),
    ("delete", "/api/v1/tokens/{id}", "admin"),
    ("get", "/api/v1/users", "viewer"),
    ("post", "/api/v1/users", "admin"),
    ("get", "/api/v1/severities", "viewer"),
    ("get", "/api/v1/services", "viewer"),
    ("post", "/api/v1/services", "admin"),
    ("get", "/api/v1/services/{id}", "viewer"),
    ("get", "/api/v1/incidents", "viewer"),
    ("post", "/api/v1/incidents", "responder"),
    ("get", "/api/v1/incidents/{id}", "viewer"),
    ("post", "/api/v1/incidents/{id}/acknowledge", "responder"),
    ("post", "/api/v1/incidents/{id}/status", "responder"),
    ("post", "/api/v1/incidents/{id}/severity", "responder"),
    ("post", "/api/v1/incidents/{id}/notes", "responder"),
    ("post", "/api/v1/incidents/{id}/resolve", "responder"),
    ("post", "/api/v1/incidents/{id}/reopen", "responder"),
    ("get", "/api/v1/events", "viewer"),
    ("get", "/api/v1/events/stream", "viewer"),
    ("get", "/api/v1/admin/clock", "admin"),
    ("post", "/api/v1/admin/clock/advance", "admin"),
    ("get", "/api/v1/openapi.json", "viewer"),
]


def normalize(path):
    return re.sub(r"\{[^}]*\}", "{}", path)


class TestRouteAuthorization(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = s = start_server(cls, cls=True)
        cls.master = Client(s, token=login_token(s, "admin"))
        cls.viewer = Client(s, token=login_token(s, "viewer"))
        r = cls.viewer.get(API + "/openapi.json")
        assert r.status == 200, "GET /api/v1/openapi.json as viewer: %r" % r
        cls.doc = r.body
        cls.service = cls.master.post(API + "/services", {"name": "routes-svc"}).body
        cls.incident = cls.master.declare("routes incident")

    def operations(self):
        doc = self.doc
        prefix = ""
        servers = doc.get("servers") or []
        if servers and isinstance(servers[0].get("url"), str):
            url = re.sub(r"^https?://[^/]+", "", servers[0]["url"]).rstrip("/")
            prefix = url
        for path, item in doc["paths"].items():
            full = path if path.startswith(API) or not prefix else prefix + path
            for method, op in item.items():
                if method.lower() in METHODS:
                    yield method.lower(), full, op

    def test_document_shape(self):
        doc = self.doc
        self.assertIsInstance(doc, dict)
        self.assertRegex(str(doc.get("openapi")), r"^3\.\d+\.\d+$")
        self.assertIsInstance(doc.get("info", {}).get("title"), str)
        self.assertIsInstance(doc.get("info", {}).get("version"), str)
        self.assertIsInstance(doc.get("paths"), dict)
        self.assertTrue(doc["paths"])
        ops = list(self.operations())
        self.assertGreaterEqual(len(ops), len(DOCUMENTED))
        for method, path, op in ops:
            where = "%s %s" % (method.upper(), path)
            self.assertIsInstance(op.get("responses"), dict, where)
            self.assertTrue(op["responses"], "%s has no responses" % where)
            for code in op["responses"]:
                self.assertRegex(str(code), r"^([1-5]\d\d|[1-5]XX|default)$", where)
            role = op.get("x-klaxon-role")
            self.assertIn(role, ROLE_RANK, "%s: x-klaxon-role %r" % (where, role))
            if role == "none":
                self.assertEqual(op.get("security"), [], "%s: role none must have security: []" % where)
            else:
                self.assertNotEqual(op.get("security"), [], "%s: security: [] but role %s" % (where, role))
            for name in re.findall(r"\{([^}]*)\}", path):
                params = [p for p in op.get("parameters", []) + doc["paths"].get(path, {}).get("parameters", [])
                          if isinstance(p, dict)]
                declared = [p for p in params if p.get("in") == "path" and p.get("name") == name]
                if not declared:
                    # parameters may sit on the path item
                    declared = [p for item in doc["paths"].values() for p in item.get("parameters", [])
                                if isinstance(p, dict) and p.get("name") == name]
                self.assertTrue(declared, "%s: path parameter {%s} not declared" % (where, name))

    def test_document_matches_docs_api_md(self):
        table = {(m, normalize(p)): op for m, p, op in self.operations()}
        missing = []
        for method, path, role in DOCUMENTED:
            op = table.get((method, normalize(path)))
            if op is None:
                missing.append("%s %s" % (method.upper(), path))
                continue
            self.assertEqual(op.get("x-klaxon-role"), role, "%s %s role" % (method.upper(), path))
        self.assertEqual(missing, [], "routes of docs/api.md missing from openapi.json")

    def substitute(self, path):
        """Fill path parameters with ids that exist."""
        def repl(m):
            before = path[:m.start()].rstrip("/").rsplit("/", 1)[-1]
            if before == "incidents":
                return str(self.incident["id"])
            if before == "services":
                return str(self.service["id"])
            if before == "tokens":
                r = self.master.post(API + "/tokens", {"name": "sacrificial", "role": "viewer"})
                assert r.status == 201, r
                return str(r.body["id"])
            if before == "users":
                return "1"
            return "1"
        return re.sub(r"\{[^}]*\}", repl, path)

    def call(self, client, method, path):
        """One request; for event streams only the status line is read."""
        if path.endswith("/stream") and method == "get":
            conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=5)
            headers = {"Accept": "text/event-stream"}
            if client is not None and client.token:
                headers["Authorization"] = "Bearer " + client.token
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            status = resp.status
            conn.close()
            return status, ""
        c = client or Client(self.server)
        if method in ("post", "put", "patch"):
            r = c.request(method.upper(), path, {})
        else:
            r = c.request(method.upper(), path)
        return r.status, r

    def mint(self, role):
        r = self.master.post(API + "/tokens", {"name": "walk-" + role, "role": role})
        assert r.status == 201, r
        return Client(self.server, token=r.body["token"])

    def test_every_route_enforces_its_role(self):
        self.lower_clients = {role: self.mint(role) for role in ROLES}
        failures = []
        checked = 0
        for method, template, op in sorted(self.operations(), key=lambda t: (t[1], t[0])):
            role = op.get("x-klaxon-role")
            if role not in ROLE_RANK:
                failures.append("%s %s: no valid x-klaxon-role" % (method.upper(), template))
                continue
            where = "%s %s (role %s)" % (method.upper(), template, role)
            if role == "none":
                continue
            checked += 1
            status, r = self.call(None, method, self.substitute(template))
            if status != 401:
                failures.append("%s without credentials: expected 401, got %s %r" % (where, status, r))
            for lower in ROLES[:ROLES.index(role)]:
                tok = self.lower_clients[lower]
                status, r = self.call(tok, method, self.substitute(template))
                if status != 403:
                    failures.append("%s with a %s token: expected 403, got %s %r" % (where, lower, status, r))
            for ok in ROLES[ROLES.index(role):]:
                # a fresh token each time: logout or DELETE /tokens must not break later calls
                tok = self.mint(ok)
                status, r = self.call(tok, method, self.substitute(template))
                if status in (401, 403):
                    failures.append("%s with a %s token: expected access, got %s %r" % (where, ok, status, r))
        self.assertGreaterEqual(checked, len(DOCUMENTED) - 1)
        self.assertEqual(failures, [], "\n".join(failures))

    def test_role_of_the_user_is_enforced_for_sessions(self):
        """Roles apply to users logging in, not only to tokens."""
        for role in ROLES:
            r = self.master.post(API + "/users", {"username": "u-" + role, "name": "User " + role,
                                                  "role": role, "password": "pw-for-" + role + "-123"})
            self.assertEqual(r.status, 201, r)
            self.assertEqual(r.body["role"], role)
            self.assertEqual(r.body["username"], "u-" + role)
            self.assertNotIn("password", r.body)
            s = Client(self.server)
            self.assertEqual(s.login("u-" + role, "pw-for-" + role + "-123").status, 200)
            me = s.get(API + "/auth/me").body
            self.assertEqual(me["user"]["role"], role)
            expected_incident = 201 if role != "viewer" else 403
            self.assertEqual(s.post(API + "/incidents", {"title": "by " + role}).status, expected_incident, role)
            expected_service = 201 if role == "admin" else 403
            self.assertEqual(s.post(API + "/services", {"name": "svc-by-" + role}).status, expected_service, role)
            self.assertEqual(s.get(API + "/incidents").status, 200)
        users = self.viewer.get(API + "/users").body["items"]
        self.assertIn("admin", [u["username"] for u in users])
        for u in users:
            self.assertNotIn("password", u)
            self.assertNotIn("password_hash", u)


class TestTokensAndSessions(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = s = start_server(cls, cls=True)
        cls.admin = Client(s, token=login_token(s, "admin"))

    def test_token_shown_once(self):
        r = self.admin.post(API + "/tokens", {"name": "deploy-bot", "role": "responder"})
        self.assertEqual(r.status, 201, r)
        t = r.body
        for k in ("id", "name", "role", "token", "created_at"):
            self.assertIn(k, t)
        self.assertEqual(t["name"], "deploy-bot")
        self.assertEqual(t["role"], "responder")
        self.assertTrue(t["token"].startswith("kx_"), t)
        secret = t["token"]
        bot = Client(self.server, token=secret)
        self.assertEqual(bot.get(API + "/incidents").status, 200)
        r = self.admin.get(API + "/tokens")
        self.assertEqual(r.status, 200)
        listing = json.dumps(r.body)
        self.assertNotIn(secret, listing, "GET /tokens leaks a token secret")
        self.assertNotIn(secret[3:], listing, "GET /tokens leaks a token secret")
        mine = [x for x in r.body["items"] if x["id"] == t["id"]]
        self.assertEqual(len(mine), 1)
        mine = mine[0]
        for k in ("id", "name", "role", "user", "created_at", "last_used_at", "revoked_at"):
            self.assertIn(k, mine)
        self.assertNotIn("token", mine)
        self.assertIsNone(mine["revoked_at"])
        self.assertIsNotNone(mine["last_used_at"], "last_used_at after the token was used")
        for item in r.body["items"]:
            self.assertNotIn("token", item)
            self.assertNotIn("hash", item)
            self.assertNotIn("token_hash", item)

    def test_revoked_token_is_rejected(self):
        r = self.admin.post(API + "/tokens", {"name": "short-lived", "role": "admin"})
        tid, secret = r.body["id"], r.body["token"]
        c = Client(self.server, token=secret)
        self.assertEqual(c.get(API + "/auth/me").status, 200)
        r = self.admin.delete("%s/tokens/%d" % (API, tid))
        self.assertEqual(r.status, 204, r)
        for path in ("/auth/me", "/incidents", "/tokens"):
            r = c.get(API + path)
            self.assertEqual(r.status, 401, "revoked token on %s: %r" % (path, r))
            self.assertEqual(r.content_type, "application/problem+json")
        r = c.post(API + "/incidents", {"title": "revoked"})
        self.assertEqual(r.status, 401)
        item = [x for x in self.admin.get(API + "/tokens").body["items"] if x["id"] == tid][0]
        self.assertIsNotNone(item["revoked_at"])

    def test_token_acts_with_its_role_not_the_users(self):
        """An admin's viewer token is a viewer."""
        viewer = Client(self.server, token=login_token(self.server, "viewer"))
        self.assertEqual(viewer.post(API + "/incidents", {"title": "no"}).status, 403)
        self.assertEqual(viewer.get(API + "/tokens").status, 403)

    def test_cli_style_login_returns_token_without_cookie(self):
        c = Client(self.server)
        r = c.post(API + "/auth/login", {"username": "admin", "password": self.server.admin_password,
                                         "token_name": "cli"}, auth=False)
        self.assertEqual(r.status, 201, r)
        self.assertTrue(r.body["token"].startswith("kx_"))
        self.assertIsInstance(r.body["id"], int)
        self.assertEqual(r.body["user"]["username"], "admin")
        self.assertIsNone(r.headers.get("Set-Cookie"))
        self.assertEqual(Client(self.server, token=r.body["token"]).get(API + "/auth/me").status, 200)
        r = Client(self.server).post(API + "/auth/login", {"username": "admin", "password": "nope",
                                                           "token_name": "cli"}, auth=False)
        self.assertEqual(r.status, 401)

    def test_session_cookie_and_logout(self):
        c = Client(self.server)
        r = c.login("admin", self.server.admin_password)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body["user"]["username"], "admin")
        self.assertEqual(r.body["user"]["role"], "admin")
        self.assertTrue(r.body["csrf_token"])
        cookies = [h for h in r.headers.get_all("Set-Cookie") or [] if h.startswith("klaxon_session=")]
        self.assertEqual(len(cookies), 1, r.headers)
        attrs = [a.strip().lower() for a in cookies[0].split(";")[1:]]
        self.assertIn("httponly", attrs)
        self.assertIn("samesite=strict", attrs)
        self.assertIn("path=/", attrs)
        me = c.get(API + "/auth/me")
        self.assertEqual(me.status, 200)
        self.assertEqual(set(me.body["user"]) >= {"id", "username", "name", "role"}, True, me)
        # bearer: csrf_token is null
        self.assertIsNone(self.admin.get(API + "/auth/me").body["csrf_token"])
        cookie = dict(c.cookies)
        r = c.post(API + "/auth/logout")
        self.assertEqual(r.status, 204, r)
        stale = Client(self.server)
        stale.cookies = cookie
        self.assertEqual(stale.get(API + "/auth/me").status, 401, "session must end at logout")

    def test_bad_session_cookie(self):
        c = Client(self.server)
        c.cookies = {"klaxon_session": "forged-session-value"}
        self.assertEqual(c.get(API + "/auth/me").status, 401)


class TestResetPassword(unittest.TestCase):
    def test_admin_reset_password(self):
        server = start_server(self)
        old = server.admin_password
        self.assertEqual(Client(server).login("admin", old).status, 200)
        server.stop()
        p = run_cli(["admin", "reset-password", "admin", "--data", server.data_dir])
        self.assertEqual(p.returncode, 0, "reset-password failed: %r %r" % (p.stdout, p.stderr))
        words = p.stdout.split()
        self.assertTrue(words, "reset-password printed nothing")
        # the new password is printed: take the line that is a single word, else the last word
        lines = [ln.strip() for ln in p.stdout.splitlines() if ln.strip()]
        single = [ln for ln in lines if len(ln.split()) == 1]
        new = single[-1] if single else words[-1]
        self.assertNotEqual(new, old)
        server.start()
        self.assertEqual(Client(server).login("admin", old).status, 401, "old password must fail")
        r = Client(server).login("admin", new)
        self.assertEqual(r.status, 200, "new password %r must work: %r" % (new, r))
        # unknown user → non-zero exit with a message
        server.stop()
        p = run_cli(["admin", "reset-password", "nobody", "--data", server.data_dir])
        self.assertNotEqual(p.returncode, 0)
        self.assertTrue(p.stderr.strip(), "no message on stderr")


if __name__ == "__main__":
    unittest.main()
