"""Safe retries and abuse limits: Idempotency-Key on POST, and the login rate limit."""

import unittest

from harness import Client, all_events, login_token, start_server

API = "/api/v1"


class TestIdempotencyKey(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = start_server(cls, cls=True)
        cls.token = login_token(cls.server, "responder")

    def setUp(self):
        self.c = Client(self.server, token=self.token)

    def test_retry_returns_the_first_answer_and_changes_nothing(self):
        key = {"Idempotency-Key": "declare-7f3a"}
        first = self.c.post(API + "/incidents", {"title": "Retried declare"}, headers=key)
        self.assertEqual(first.status, 201, first)
        before = len(all_events(self.c))
        again = self.c.post(API + "/incidents", {"title": "Retried declare"}, headers=key)
        self.assertEqual(again.status, 201, again)
        self.assertEqual(again.body["id"], first.body["id"])
        self.assertEqual(again.headers.get("Idempotent-Replayed"), "true")
        self.assertEqual(len(all_events(self.c)), before, "a replay must append no event")
        titles = [i["title"] for i in self.c.list_all(API + "/incidents")]
        self.assertEqual(titles.count("Retried declare"), 1)

    def test_same_key_with_another_body_is_a_conflict(self):
        key = {"Idempotency-Key": "k-conflict"}
        self.assertEqual(self.c.post(API + "/incidents", {"title": "A"}, headers=key).status, 201)
        r = self.c.post(API + "/incidents", {"title": "B"}, headers=key)
        self.assertEqual(r.status, 409, r)
        self.assertEqual(r.content_type, "application/problem+json")

    def test_keys_are_per_route(self):
        inc = self.c.post(API + "/incidents", {"title": "per route"}).body
        key = {"Idempotency-Key": "shared"}
        r1 = self.c.post(API + "/incidents/%d/notes" % inc["id"], {"text": "n"}, headers=key)
        r2 = self.c.post(API + "/incidents/%d/acknowledge" % inc["id"], {}, headers=key)
        self.assertEqual((r1.status, r2.status), (201, 200))

    def test_failed_request_is_not_remembered(self):
        inc = self.c.post(API + "/incidents", {"title": "ack twice"}).body
        path = API + "/incidents/%d/acknowledge" % inc["id"]
        self.assertEqual(self.c.post(path, {}).status, 200)
        key = {"Idempotency-Key": "after-fail"}
        self.assertEqual(self.c.post(path, {}, headers=key).status, 409)
        self.assertEqual(self.c.post(path, {}, headers=key).status, 409)

    def test_key_survives_restart(self):
        key = {"Idempotency-Key": "across-restart"}
        first = self.c.post(API + "/incidents", {"title": "before restart"}, headers=key)
        self.server.restart()
        again = Client(self.server, token=self.token).post(
            API + "/incidents", {"title": "before restart"}, headers=key)
        self.assertEqual((again.status, again.body["id"]), (201, first.body["id"]))

    def test_overlong_key_is_refused(self):
        r = self.c.post(API + "/incidents", {"title": "x"}, headers={"Idempotency-Key": "k" * 201})
        self.assertEqual(r.status, 422, r)


class TestLoginRateLimit(unittest.TestCase):
    def test_repeated_failures_get_429_then_nothing_is_tried(self):
        server = start_server(self)
        c = Client(server)
        for i in range(10):
            r = c.post(API + "/auth/login", {"username": "admin", "password": "wrong-%d" % i}, auth=False)
            self.assertEqual(r.status, 401, r)
        r = c.post(API + "/auth/login", {"username": "admin", "password": "wrong"}, auth=False)
        self.assertEqual(r.status, 429, r)
        self.assertTrue(int(r.headers.get("Retry-After")) > 0)
        # Even the right password is refused while limited: guessing cannot continue.
        self.assertEqual(c.login().status, 429)


if __name__ == "__main__":
    unittest.main()
