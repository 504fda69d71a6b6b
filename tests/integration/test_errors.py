"""Error handling (docs/api.md "Conventions"): every failure is a problem+json document
with status/title/detail, has the documented status code, names the offending field
for 422s, and changes nothing in the store. Also CSRF for cookie sessions."""

import json
import socket
import unittest

from harness import Client, all_events, login_token, start_server

API = "/api/v1"
MAX_BODY = 4096


def snapshot(c):
    """Everything observable that a failed request must not change."""
    tokens = c.get(API + "/tokens")
    assert tokens.status == 200, tokens
    return {
        "events": all_events(c),
        "incidents": c.list_all(API + "/incidents"),
        "services": c.get(API + "/services").body,
        "users": c.get(API + "/users").body,
        # last_used_at moves whenever a token is used, even for a failed request
        "tokens": [{k: v for k, v in t.items() if k != "last_used_at"} for t in tokens.body["items"]],
    }


class ErrorTestCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = s = start_server(cls, cls=True, max_body=MAX_BODY)
        cls.admin = Client(s, token=login_token(s, "admin"))
        cls.responder = Client(s, token=login_token(s, "responder"))
        cls.viewer = Client(s, token=login_token(s, "viewer"))
        r = cls.admin.post(API + "/tokens", {"name": "revoked-one", "role": "admin"})
        assert r.status == 201, r
        cls.revoked = Client(s, token=r.body["token"])
        assert cls.admin.delete("%s/tokens/%d" % (API, r.body["id"])).status == 204
        cls.svc = cls.admin.post(API + "/services", {"name": "checkout"}).body
        cls.triggered = cls.responder.declare("still triggered", severity="SEV-2")
        cls.acked = cls.responder.declare("acked one", severity="SEV-3")
        assert cls.responder.post("%s/incidents/%d/acknowledge" % (API, cls.acked["id"]), {}).status == 200
        cls.resolved = cls.responder.declare("resolved one")
        assert cls.responder.post("%s/incidents/%d/resolve" % (API, cls.resolved["id"]), {}).status == 200

    def assertProblem(self, r, code, field=None, what=""):
        what = what or "request"
        if isinstance(code, tuple):
            self.assertIn(r.status, code, "%s: %r" % (what, r))
        else:
            self.assertEqual(r.status, code, "%s: %r" % (what, r))
        self.assertEqual(r.content_type, "application/problem+json", "%s: content type %r" % (what, r))
        body = r.body
        self.assertIsInstance(body, dict, "%s: body is not JSON: %r" % (what, r))
        self.assertEqual(body.get("status"), r.status, "%s: problem status field: %r" % (what, r))
        self.assertIsInstance(body.get("title"), str, "%s: problem title: %r" % (what, r))
        self.assertTrue(body["title"], "%s: empty title" % what)
        self.assertIsInstance(body.get("detail"), str, "%s: problem detail: %r" % (what, r))
        if field is not None:
            errs = body.get("errors")
            self.assertIsInstance(errs, list, "%s: no errors[] in %r" % (what, r))
            fields = [e.get("field") for e in errs]
            self.assertIn(field, fields, "%s: errors[].field should name %s: %r" % (what, field, r))
            for e in errs:
                self.assertIsInstance(e.get("message"), str, "%s: errors[].message: %r" % (what, r))

    def check_cases(self, cases):
        """cases: (what, thunk, expected status or tuple, expected field or None)."""
        for what, thunk, code, field in cases:
            with self.subTest(what):
                before = snapshot(self.admin)
                r = thunk()
                self.assertProblem(r, code, field, what)
                after = snapshot(self.admin)
                self.assertEqual(after, before, "%s: the failed request changed the stored state" % what)


def post_json(client, path, raw, content_type="application/json"):
    return lambda: client.request("POST", path, raw=raw, content_type=content_type)


class TestIncidentCreateErrors(ErrorTestCase):
    def test_post_incidents(self):
        c, p = self.responder, API + "/incidents"
        cases = [
            ("malformed JSON (truncated)", post_json(c, p, '{"title": "x"'), 400, None),
            ("malformed JSON (not JSON)", post_json(c, p, "title=x"), 400, None),
            ("malformed JSON (trailing garbage)", post_json(c, p, '{"title": "x"} }'), 400, None),
            ("malformed JSON (empty body)", post_json(c, p, ""), (400, 422), None),
            ("JSON array instead of object", lambda: c.post(p, [{"title": "x"}]), (400, 422), None),
            ("title wrong type", lambda: c.post(p, {"title": 123}), 422, "/title"),
            ("title null", lambda: c.post(p, {"title": None}), 422, "/title"),
            ("severity wrong type", lambda: c.post(p, {"title": "x", "severity": 2}), 422, "/severity"),
            ("description wrong type", lambda: c.post(p, {"title": "x", "description": ["a"]}), 422, "/description"),
            ("impact wrong type", lambda: c.post(p, {"title": "x", "impact": {"a": 1}}), 422, "/impact"),
            ("service wrong type", lambda: c.post(p, {"title": "x", "service": True}), 422, "/service"),
            ("title missing", lambda: c.post(p, {}), 422, "/title"),
            ("title missing with other fields", lambda: c.post(p, {"severity": "SEV-1"}), 422, "/title"),
            ("title empty", lambda: c.post(p, {"title": ""}), 422, "/title"),
            ("title too long", lambda: c.post(p, {"title": "t" * 201}), 422, "/title"),
            ("unknown field", lambda: c.post(p, {"title": "x", "titel": "typo"}), 422, "/titel"),
            ("unknown severity", lambda: c.post(p, {"title": "x", "severity": "SEV-9"}), 422, "/severity"),
            ("unknown service", lambda: c.post(p, {"title": "x", "service": "no-such-service"}), (404, 422), None),
            ("oversized body", lambda: c.post(p, {"title": "x", "description": "d" * (MAX_BODY + 100)}), 413, None),
            ("content type text/plain", post_json(c, p, '{"title": "x"}', "text/plain"), 415, None),
            ("content type form", post_json(c, p, "title=x", "application/x-www-form-urlencoded"), 415, None),
            ("no credentials", lambda: c.post(p, {"title": "x"}, auth=False), 401, None),
            ("unknown token", lambda: Client(self.server, token="kx_notarealtoken000000").post(p, {"title": "x"}), 401, None),
            ("malformed authorization", lambda: c.post(p, {"title": "x"}, headers={"Authorization": "Basic YWRtaW46eA=="}), 401, None),
            ("empty bearer", lambda: c.post(p, {"title": "x"}, headers={"Authorization": "Bearer "}), 401, None),
            ("revoked token", lambda: self.revoked.post(p, {"title": "x"}), 401, None),
            ("viewer token", lambda: self.viewer.post(p, {"title": "x"}), 403, None),
        ]
        self.check_cases(cases)

    def test_declared_content_length_too_large(self):
        """A body announced larger than --max-body is refused from the headers alone."""
        before = snapshot(self.admin)
        s = socket.create_connection(("127.0.0.1", self.server.port), timeout=5)
        try:
            s.sendall(("POST /api/v1/incidents HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                       "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                       "Content-Length: 50000000\r\n\r\n" % self.responder.token).encode())
            data = b""
            try:
                while b"\r\n\r\n" not in data:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    data += chunk
            except socket.timeout:
                self.fail("no response within 5 s to a 50 MB Content-Length (expected an immediate 413)")
        finally:
            s.close()
        status_line = data.split(b"\r\n", 1)[0].decode(errors="replace")
        self.assertRegex(status_line, r"^HTTP/1\.[01] 413 ", "got %r" % data[:300])
        self.assertEqual(snapshot(self.admin), before)

    def test_accepted_variants(self):
        """Sanity: the same route accepts a body just under the limit and a charset parameter."""
        r = self.responder.post(API + "/incidents", {"title": "big", "description": "d" * (MAX_BODY - 200)})
        self.assertEqual(r.status, 201, r)
        r = self.responder.request("POST", API + "/incidents", raw=json.dumps({"title": "charset"}),
                                   content_type="application/json; charset=utf-8")
        self.assertEqual(r.status, 201, r)


class TestOtherRouteErrors(ErrorTestCase):
    def test_incident_actions(self):
        c = self.responder
        t, a, res = self.triggered["id"], self.acked["id"], self.resolved["id"]
        st = lambda i: "%s/incidents/%s/status" % (API, i)
        cases = [
            ("status: malformed JSON", post_json(c, st(t), '{"status":'), 400, None),
            ("status: missing", lambda: c.post(st(t), {}), 422, "/status"),
            ("status: wrong type", lambda: c.post(st(t), {"status": 5}), 422, "/status"),
            ("status: unknown value", lambda: c.post(st(t), {"status": "bogus"}), 422, "/status"),
            ("status: message wrong type", lambda: c.post(st(t), {"status": "investigating", "message": 1}), 422, "/message"),
            ("status: unknown field", lambda: c.post(st(t), {"status": "investigating", "msg": "x"}), 422, "/msg"),
            ("status: wrong content type", post_json(c, st(t), '{"status":"investigating"}', "text/plain"), 415, None),
            ("status: oversized", lambda: c.post(st(t), {"status": "investigating", "message": "m" * MAX_BODY}), 413, None),
            ("status: unknown id", lambda: c.post(st(99999999), {"status": "investigating"}), 404, None),
            ("status: unknown ref", lambda: c.post(st("INC-99999999"), {"status": "investigating"}), 404, None),
            ("status: same status", lambda: c.post(st(t), {"status": "triggered"}), 409, None),
            ("status: same status (acknowledged)", lambda: c.post(st(a), {"status": "acknowledged"}), 409, None),
            ("status: acknowledged -> triggered", lambda: c.post(st(a), {"status": "triggered"}), 409, None),
            ("status: resolved -> investigating", lambda: c.post(st(res), {"status": "investigating"}), 409, None),
            ("status: viewer", lambda: self.viewer.post(st(t), {"status": "investigating"}), 403, None),
            ("status: no credentials", lambda: c.post(st(t), {"status": "investigating"}, auth=False), 401, None),
            ("ack: already acknowledged", lambda: c.post("%s/incidents/%d/acknowledge" % (API, a), {}), 409, None),
            ("ack: resolved", lambda: c.post("%s/incidents/%d/acknowledge" % (API, res), {}), 409, None),
            ("ack: unknown id", lambda: c.post("%s/incidents/99999999/acknowledge" % API, {}), 404, None),
            ("ack: unknown field", lambda: c.post("%s/incidents/%d/acknowledge" % (API, t), {"x": 1}), 422, "/x"),
            ("ack: viewer", lambda: self.viewer.post("%s/incidents/%d/acknowledge" % (API, t), {}), 403, None),
            ("severity: same level", lambda: c.post("%s/incidents/%d/severity" % (API, t), {"severity": "SEV-2"}), 409, None),
            ("severity: unknown level", lambda: c.post("%s/incidents/%d/severity" % (API, t), {"severity": "SEV-9"}), 422, "/severity"),
            ("severity: missing", lambda: c.post("%s/incidents/%d/severity" % (API, t), {"reason": "x"}), 422, "/severity"),
            ("note: missing text", lambda: c.post("%s/incidents/%d/notes" % (API, t), {}), 422, "/text"),
            ("note: wrong type", lambda: c.post("%s/incidents/%d/notes" % (API, t), {"text": 5}), 422, "/text"),
            ("note: empty", lambda: c.post("%s/incidents/%d/notes" % (API, t), {"text": ""}), 422, "/text"),
            ("note: unknown field", lambda: c.post("%s/incidents/%d/notes" % (API, t), {"text": "a", "txt": "b"}), 422, "/txt"),
            ("note: oversized", lambda: c.post("%s/incidents/%d/notes" % (API, t), {"text": "n" * (MAX_BODY + 1)}), 413, None),
            ("note: unknown incident", lambda: c.post("%s/incidents/99999999/notes" % API, {"text": "a"}), 404, None),
            ("note: viewer", lambda: self.viewer.post("%s/incidents/%d/notes" % (API, t), {"text": "a"}), 403, None),
            ("resolve: already resolved", lambda: c.post("%s/incidents/%d/resolve" % (API, res), {"summary": "s"}), 409, None),
            ("resolve: summary wrong type", lambda: c.post("%s/incidents/%d/resolve" % (API, t), {"summary": 3}), 422, "/summary"),
            ("reopen: not resolved", lambda: c.post("%s/incidents/%d/reopen" % (API, t), {}), 409, None),
            ("reopen: reason wrong type", lambda: c.post("%s/incidents/%d/reopen" % (API, res), {"reason": 3}), 422, "/reason"),
            ("get: unknown id", lambda: c.get("%s/incidents/99999999" % API), 404, None),
            ("get: unknown ref", lambda: c.get("%s/incidents/INC-99999999" % API), 404, None),
            ("get: garbage id", lambda: c.get("%s/incidents/not-an-id" % API), (400, 404), None),
        ]
        self.check_cases(cases)

    def test_admin_and_misc_routes(self):
        adm, resp = self.admin, self.responder
        cases = [
            ("services: responder", lambda: resp.post(API + "/services", {"name": "x"}), 403, None),
            ("services: viewer", lambda: self.viewer.post(API + "/services", {"name": "x"}), 403, None),
            ("services: missing name", lambda: adm.post(API + "/services", {"owner": "o"}), 422, "/name"),
            ("services: name wrong type", lambda: adm.post(API + "/services", {"name": 7}), 422, "/name"),
            ("services: unknown field", lambda: adm.post(API + "/services", {"name": "y", "colour": "red"}), 422, "/colour"),
            ("services: duplicate name", lambda: adm.post(API + "/services", {"name": "checkout"}), 409, None),
            ("services: malformed JSON", post_json(adm, API + "/services", "{name: 1}"), 400, None),
            ("services: wrong content type", post_json(adm, API + "/services", '{"name":"z"}', "text/xml"), 415, None),
            ("services: unknown id", lambda: adm.get(API + "/services/99999999"), 404, None),
            ("tokens: list as responder", lambda: resp.get(API + "/tokens"), 403, None),
            ("tokens: create as responder", lambda: resp.post(API + "/tokens", {"name": "n", "role": "viewer"}), 403, None),
            ("tokens: revoke as responder", lambda: resp.delete(API + "/tokens/1"), 403, None),
            ("tokens: bad role", lambda: adm.post(API + "/tokens", {"name": "n", "role": "root"}), 422, "/role"),
            ("tokens: missing name", lambda: adm.post(API + "/tokens", {"role": "viewer"}), 422, "/name"),
            ("tokens: revoke unknown", lambda: adm.delete(API + "/tokens/99999999"), 404, None),
            ("users: create as responder", lambda: resp.post(API + "/users", {"username": "u", "name": "U", "role": "viewer", "password": "pw-pw-pw-pw-1"}), 403, None),
            ("users: missing fields", lambda: adm.post(API + "/users", {"username": "u2"}), 422, None),
            ("users: bad role", lambda: adm.post(API + "/users", {"username": "u3", "name": "U", "role": "god", "password": "pw-pw-pw-pw-1"}), 422, "/role"),
            ("users: duplicate username", lambda: adm.post(API + "/users", {"username": "admin", "name": "A", "role": "viewer", "password": "pw-pw-pw-pw-1"}), 409, None),
            ("login: wrong password", lambda: Client(self.server).post(API + "/auth/login", {"username": "admin", "password": "wrong"}), 401, None),
            ("login: unknown user", lambda: Client(self.server).post(API + "/auth/login", {"username": "nobody", "password": "wrong"}), 401, None),
            ("login: malformed JSON", post_json(Client(self.server), API + "/auth/login", '{"username":'), 400, None),
            ("login: missing password", lambda: Client(self.server).post(API + "/auth/login", {"username": "admin"}), 422, "/password"),
            ("clock advance without --clock manual", lambda: adm.post(API + "/admin/clock/advance", {"seconds": 60}), 409, None),
            ("clock advance as responder", lambda: resp.post(API + "/admin/clock/advance", {"seconds": 60}), 403, None),
            ("clock as responder", lambda: resp.get(API + "/admin/clock"), 403, None),
            ("events: bad after", lambda: adm.get(API + "/events?after=abc"), 400, None),
            ("incidents: bad limit", lambda: adm.get(API + "/incidents?limit=abc"), 400, None),
            ("unknown route", lambda: adm.get(API + "/no-such-route"), 404, None),
            ("wrong method", lambda: adm.delete(API + "/incidents"), 405, None),
            ("wrong method on item", lambda: adm.request("PUT", API + "/services/%d" % self.svc["id"], {"name": "q"}), 405, None),
        ]
        self.check_cases(cases)


class TestCsrf(ErrorTestCase):
    def session(self):
        s = Client(self.server)
        r = s.login("admin", self.server.admin_password)
        self.assertEqual(r.status, 200, r)
        self.assertIsInstance(s.csrf, str)
        self.assertTrue(s.csrf)
        self.assertIn("klaxon_session", s.cookies)
        return s

    def test_cookie_session_requires_csrf_header(self):
        s = self.session()
        me = s.get(API + "/auth/me")
        self.assertEqual(me.status, 200, me)
        self.assertEqual(me.body["csrf_token"], s.csrf)
        r = self.admin.post(API + "/tokens", {"name": "victim", "role": "viewer"})
        victim_id = r.body["id"]
        p = API + "/incidents"
        cases = [
            ("session POST without X-CSRF-Token", lambda: s.post(p, {"title": "csrf"}, csrf=False), 403, None),
            ("session POST with wrong X-CSRF-Token", lambda: s.post(p, {"title": "csrf"}, csrf=False,
                                                                    headers={"X-CSRF-Token": "wrong-" + s.csrf}), 403, None),
            ("session POST with empty X-CSRF-Token", lambda: s.post(p, {"title": "csrf"}, csrf=False,
                                                                    headers={"X-CSRF-Token": ""}), 403, None),
            ("session ack without CSRF", lambda: s.post("%s/incidents/%d/acknowledge" % (API, self.triggered["id"]), {}, csrf=False), 403, None),
            ("session DELETE token without CSRF", lambda: s.delete("%s/tokens/%d" % (API, victim_id), csrf=False), 403, None),
            ("session logout without CSRF", lambda: s.post(API + "/auth/logout", csrf=False), 403, None),
        ]
        self.check_cases(cases)
        # the session is still alive and works with the header
        self.assertEqual(s.get(API + "/auth/me").status, 200)
        r = s.post(p, {"title": "with csrf"})
        self.assertEqual(r.status, 201, r)
        # bearer tokens need no CSRF header
        self.assertEqual(self.responder.post(p, {"title": "bearer, no csrf"}).status, 201)

    def test_csrf_token_of_another_session_is_rejected(self):
        s1, s2 = self.session(), self.session()
        self.assertNotEqual(s1.csrf, s2.csrf)
        before = snapshot(self.admin)
        r = s1.post(API + "/incidents", {"title": "cross"}, csrf=False, headers={"X-CSRF-Token": s2.csrf})
        self.assertProblem(r, 403, what="CSRF token of another session")
        self.assertEqual(snapshot(self.admin), before)


if __name__ == "__main__":
    unittest.main()
