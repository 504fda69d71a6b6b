"""Status page subscriptions against the real server, a real SMTP server (aiosmtpd) and a
local webhook receiver: email double opt-in (confirmation link, nothing sent before it),
per-component choice, notices of incident and maintenance updates through the outbox,
RFC 8058 one-click unsubscribe, webhook subscribers (the hosted status service's payload,
signed), enumeration-safe and rate-limited subscribing, and bad input changing nothing."""

import json
import re
import unittest
import urllib.parse
from datetime import datetime, timedelta, timezone

from harness import Client, all_events, free_port, role_clients, start_server
from receivers import SmtpSink, WebhookReceiver, verify_standard_webhook

API = "/api/v1"
DELIVERY_TIMEOUT = 20.0
FORM = "application/x-www-form-urlencoded"


def iso(dt):
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def form(**fields):
    pairs = []
    for k, v in fields.items():
        for item in (v if isinstance(v, list) else [v]):
            pairs.append((k, item))
    return urllib.parse.urlencode(pairs)


class StatusSubscriptionsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.smtp = SmtpSink()
        cls.addClassCleanup(cls.smtp.stop)
        cls.rx = WebhookReceiver()
        cls.addClassCleanup(cls.rx.stop)
        cls.public_port = free_port()
        cls.server = start_server(
            cls, cls=True, clock="manual",
            extra_args=["--status-listen", "127.0.0.1:%d" % cls.public_port,
                        "--smtp-url", cls.smtp.url, "--smtp-from", "status@example.test",
                        "--smtp-starttls", "off"])
        cls.admin = role_clients(cls.server)["admin"]
        cls.public = Client("http://127.0.0.1:%d" % cls.public_port)
        cls.public_base = "http://127.0.0.1:%d" % cls.public_port
        # The page's own URL is the public listener, so links in mails point there.
        r = cls.admin.request("PATCH", API + "/status/page", {"name": "Acme Status", "url": cls.public_base})
        assert r.status == 200, r
        cls.shop = cls.admin.post(API + "/status/components", {"name": "Shop"}).body
        cls.search = cls.admin.post(API + "/status/components", {"name": "Search"}).body

    def setUp(self):
        # Subscribing is rate-limited per client address (10 in 10 minutes): each test
        # starts in a fresh window.
        self.advance(11 * 60)

    # -- helpers ------------------------------------------------------------------------
    def ok(self, r, status=200):
        self.assertEqual(r.status, status, r)
        return r.body

    def advance(self, seconds):
        self.ok(self.admin.post(API + "/admin/clock/advance", {"seconds": seconds}))

    def now(self):
        return datetime.fromisoformat(self.admin.get(API + "/admin/clock").body["now"]
                                      .replace("Z", "+00:00"))

    def mails_to(self, address, predicate=None):
        return [m for m in self.smtp.messages()
                if address in m.rcpt_tos and (predicate is None or predicate(m))]

    def wait_mail(self, address, count=1, predicate=None, what=None):
        return self.smtp.wait_for(count, timeout=DELIVERY_TIMEOUT,
                                  predicate=lambda m: address in m.rcpt_tos and
                                  (predicate is None or predicate(m)),
                                  what=what or ("mail to " + address))

    def subscribe_form(self, email, components=(), webhook=None):
        fields = {"email": email, "components": list(components)}
        if webhook is not None:
            fields["webhook"] = webhook
        return self.public.post("/status/subscribe", raw=form(**fields), content_type=FORM,
                                auth=False, headers={"Accept": "text/html"})

    def link(self, mail, path):
        m = re.search(r"(https?://[^\s\"<>]*%s\?token=[A-Za-z0-9_-]+)" % re.escape(path),
                      mail.text())
        self.assertIsNotNone(m, "no %s link in %s" % (path, mail.text()))
        return m.group(1)

    def token_of(self, url):
        return urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["token"][0]

    def confirm(self, address):
        mail = self.wait_mail(address, predicate=lambda m: "Confirm" in m.subject)[-1]
        url = self.link(mail, "/status/subscription")
        self.assertTrue(url.startswith(self.public_base), url)
        path = url[len(self.public_base):]
        page = self.public.get(path, auth=False)
        self.assertEqual(page.status, 200, page)
        self.assertIn("Confirm subscription", page.body)
        r = self.public.post("/status/subscription/confirm", raw=form(token=self.token_of(url)),
                             content_type=FORM, auth=False)
        self.assertEqual(r.status, 200, r)
        self.assertIn("Subscription confirmed", r.body)
        return self.token_of(url)

    def subscribers(self, all=False):
        return self.ok(self.admin.get(API + "/status/subscribers" + ("?all=true" if all else "")))["items"]

    def subscriber(self, email):
        found = [s for s in self.subscribers(all=True) if s["email"] == email]
        return found[0] if found else None

    def publish(self, name, components, body="We are looking into it."):
        return self.ok(self.admin.post(API + "/status/incidents", {
            "name": name, "body": body, "impact": "major", "components": components}), 201)

    # -- tests ----------------------------------------------------------------------------
    def test_01_double_opt_in_notify_and_one_click_unsubscribe(self):
        page = self.public.get("/status/subscribe", auth=False)
        self.assertEqual(page.status, 200)
        self.assertIn('action="/status/subscribe"', page.body)
        self.assertIn('value="%s"' % self.shop["public_id"], page.body)
        self.assertIn("Content-Security-Policy", page.headers)
        self.assertIn('href="/status/subscribe"', self.public.get("/status", auth=False).body)

        r = self.subscribe_form("Alice@Example.test", [self.shop["public_id"]])
        self.assertEqual(r.status, 202, r)
        self.assertIn("Check your inbox", r.body)
        r = self.subscribe_form("bob@example.test")
        self.assertEqual(r.status, 202, r)
        self.assertEqual(self.subscriber("alice@example.test")["state"], "pending")

        # Nothing but the confirmation goes to a pending address.
        self.publish("Before confirming", {"Shop": "degraded_performance"})
        mail = self.wait_mail("alice@example.test")[0]
        self.assertEqual(mail.subject, "Confirm your subscription to Acme Status")
        self.assertEqual(mail.header("From"), "status@example.test")
        # The GET of the link changes nothing (mail scanners follow links).
        url = self.link(mail, "/status/subscription")
        self.ok(self.public.get(url[len(self.public_base):], auth=False))
        self.assertEqual(self.subscriber("alice@example.test")["state"], "pending")
        self.confirm("alice@example.test")
        self.confirm("bob@example.test")
        alice = self.subscriber("alice@example.test")
        self.assertEqual(alice["state"], "active")
        self.assertEqual([c["name"] for c in alice["components"]], ["Shop"])
        self.assertEqual(self.mails_to("alice@example.test",
                                       lambda m: "Before confirming" in m.subject), [])

        # An update of a Shop incident reaches Alice (Shop) and Bob (everything).
        inc = self.publish("Checkout errors", {"Shop": "partial_outage"},
                           body="Payments fail for some customers.")
        mail = self.wait_mail("alice@example.test",
                              predicate=lambda m: "Checkout errors" in m.subject)[0]
        self.assertEqual(mail.subject, "[Acme Status] Checkout errors: Investigating")
        text = mail.text()
        self.assertIn("Payments fail for some customers.", text)
        self.assertIn("Affected: Shop", text)
        self.assertIn(self.public_base + "/status/incidents/" + inc["public_id"], text)
        unsubscribe = mail.header("List-Unsubscribe")
        self.assertRegex(unsubscribe, r"^<http://127\.0\.0\.1:\d+/status/unsubscribe\?token=[\w-]+>$")
        self.assertEqual(mail.header("List-Unsubscribe-Post"), "List-Unsubscribe=One-Click")
        self.wait_mail("bob@example.test", predicate=lambda m: "Checkout errors" in m.subject)

        # A Search incident reaches Bob only.
        self.publish("Search is slow", {"Search": "degraded_performance"})
        self.wait_mail("bob@example.test", predicate=lambda m: "Search is slow" in m.subject)
        self.ok(self.admin.post(API + "/status/incidents/%s/updates" % inc["id"],
                                {"status": "identified", "body": "A bad deploy."}))
        self.wait_mail("alice@example.test", predicate=lambda m: "Identified" in m.subject)
        self.assertEqual(self.mails_to("alice@example.test", lambda m: "Search" in m.subject), [])

        # RFC 8058 one-click: the mail client POSTs "List-Unsubscribe=One-Click" to the URL.
        target = unsubscribe.strip("<>")[len(self.public_base):]
        self.assertEqual(self.public.get(target, auth=False).status, 200)  # a button, no change
        self.assertEqual(self.subscriber("alice@example.test")["state"], "active")
        r = self.public.post(target, raw="List-Unsubscribe=One-Click", content_type=FORM,
                             auth=False)
        self.assertEqual(r.status, 200, r)
        self.assertIn("You are unsubscribed", r.body)
        self.assertEqual(self.subscriber("alice@example.test")["state"], "unsubscribed")
        self.assertNotIn("alice@example.test", [s["email"] for s in self.subscribers()])
        before = len(self.mails_to("alice@example.test"))
        self.ok(self.admin.post(API + "/status/incidents/%s/updates" % inc["id"],
                                {"status": "resolved", "body": "Fixed.",
                                 "components": {"Shop": "operational"}}))
        self.wait_mail("bob@example.test", predicate=lambda m: "Resolved" in m.subject)
        self.assertEqual(len(self.mails_to("alice@example.test")), before)

        events = all_events(self.admin)
        kinds = [e["kind"] for e in events]
        for k in ("status.subscriber_added", "status.subscriber_confirmed",
                  "status.subscriber_removed", "status.subscribers_notified"):
            self.assertIn(k, kinds)
        self.assertNotIn("alice@example.test", json.dumps(events),
                         "addresses stay out of the event log")

    def test_02_components_page_and_choice(self):
        self.subscribe_form("carol@example.test")
        token = self.confirm("carol@example.test")
        page = self.public.get("/status/subscription?token=" + token, auth=False)
        self.assertIn("about everything", page.body)
        r = self.public.post("/status/subscription/components",
                             raw=form(token=token, components=[self.search["public_id"]]),
                             content_type=FORM, auth=False)
        self.assertEqual(r.status, 200, r)
        self.assertIn("Your choice is saved", r.body)
        self.assertEqual([c["name"] for c in self.subscriber("carol@example.test")["components"]],
                         ["Search"])
        r = self.public.post("/status/subscription/components",
                             raw=form(token=token, components=["nope"]), content_type=FORM,
                             auth=False)
        self.assertEqual(r.status, 422)
        self.assertEqual([c["name"] for c in self.subscriber("carol@example.test")["components"]],
                         ["Search"])

    def test_03_enumeration_safe(self):
        fresh = self.subscribe_form("dave@example.test")
        again = self.subscribe_form("dave@example.test")
        self.subscribe_form("erin@example.test")
        self.confirm("erin@example.test")
        active = self.subscribe_form("erin@example.test")
        for r in (again, active):
            self.assertEqual((r.status, r.body), (fresh.status, fresh.body))
        j1 = self.public.post("/status/subscribe", {"email": "erin@example.test"}, auth=False)
        j2 = self.public.post("/status/subscribe", {"email": "nobody-%d@example.test" % free_port()},
                              auth=False)
        self.assertEqual((j1.status, j1.body), (j2.status, j2.body))
        self.assertEqual(j1.status, 202)
        self.wait_mail("dave@example.test")
        # Erin (active) hears that she is already subscribed, once the interval passed.
        self.advance(301)
        self.subscribe_form("erin@example.test")
        note = self.wait_mail("erin@example.test",
                              predicate=lambda m: m.subject == "Your subscription to Acme Status")[0]
        self.assertIn("already subscribed", note.text())
        self.assertIn("/status/unsubscribe?token=", note.text())
        # One message per address per 5 minutes: Dave got one confirmation, not two. Checked
        # after Erin's later note arrived, so a second one for Dave would be here by now.
        self.assertEqual(len(self.mails_to("dave@example.test")), 1)

    def test_04_webhook_subscriber(self):
        r = self.admin.post(API + "/status/subscribers",
                            {"webhook": self.rx.url("/status-hook"), "components": ["Search"]})
        sub = self.ok(r, 201)
        self.assertEqual(sub["state"], "active")
        secret = sub["webhook_secret"]
        self.assertTrue(secret.startswith("whsec_"))
        self.assertNotIn("webhook_secret",
                         json.dumps(self.ok(self.admin.get(API + "/status/subscribers"))))
        inc = self.publish("Search index lag", {"Search": "major_outage"})
        got = self.rx.wait_for(1, path="/status-hook", timeout=DELIVERY_TIMEOUT)[0]
        body = json.loads(got.body)
        self.assertEqual(set(body), {"meta", "page", "incident"})
        self.assertIn("/status/unsubscribe?token=", body["meta"]["unsubscribe"])
        self.assertEqual(body["page"]["status_indicator"], "critical")
        self.assertEqual(body["incident"]["id"], inc["public_id"])
        self.assertEqual(body["incident"]["incident_updates"][0]["status"], "investigating")
        self.assertEqual(body["incident"]["components"][0]["name"], "Search")
        now = int(self.now().timestamp())
        self.assertTrue(verify_standard_webhook(secret, got.headers, got.body,
                                                now=[now - 5, now, now + 5]))
        # Admin removal stops deliveries.
        self.ok(self.admin.delete(API + "/status/subscribers/" + sub["id"]), 204)
        self.ok(self.admin.post(API + "/status/incidents/%s/updates" % inc["id"],
                                {"status": "resolved", "body": "Done.",
                                 "components": {"Search": "operational"}}))
        self.wait_mail("bob@example.test", predicate=lambda m: "Search index lag: Resolved" in m.subject)
        self.assertEqual(self.rx.count(path="/status-hook"), 1)

    def test_05_maintenance_notices(self):
        self.subscribe_form("frank@example.test", [self.shop["public_id"]])
        self.confirm("frank@example.test")
        start = self.now() + timedelta(hours=1)
        m = self.ok(self.admin.post(API + "/status/maintenances", {
            "name": "Database upgrade", "body": "Shop is read-only meanwhile.",
            "scheduled_for": iso(start), "scheduled_until": iso(start + timedelta(hours=2)),
            "components": ["Shop"]}), 201)
        mail = self.wait_mail("frank@example.test",
                              predicate=lambda x: "Database upgrade: Scheduled" in x.subject)[0]
        self.assertEqual(mail.subject, "[Acme Status] Maintenance: Database upgrade: Scheduled")
        self.assertIn("Window:", mail.text())
        self.advance(3601)
        self.wait_mail("frank@example.test",
                       predicate=lambda x: "Database upgrade: In progress" in x.subject)
        self.assertEqual(self.ok(self.admin.get(API + "/status/incidents/" + m["public_id"]))["status"],
                         "in_progress")

    def test_06_bad_input_changes_nothing(self):
        before = self.subscribers(all=True)
        cases = [
            ({"email": "not-an-address"}, 422, "/email"),
            ({"email": "x@example.test", "webhook": "http://127.0.0.1:9/hook"}, 422, "/webhook"),
            ({"email": "x@example.test", "webhook": "javascript:alert(1)"}, 422, "/webhook"),
            ({"email": "x@example.test", "components": ["nope"]}, 422, "/components/0"),
            ({"email": "x@example.test", "extra": 1}, 422, "/extra"),
            ({"email": "a\r\nBcc: evil@example.test"}, 422, "/email"),
        ]
        for body, status, field in cases:
            r = self.public.post("/status/subscribe", body, auth=False)
            self.assertEqual(r.status, status, (body, r))
            self.assertEqual(r.content_type, "application/problem+json")
            self.assertIn(field, [e["field"] for e in r.body.get("errors", [])], r.body)
        r = self.public.post("/status/subscribe", raw="<xml/>", content_type="text/xml", auth=False)
        self.assertEqual(r.status, 415)
        r = self.public.post("/status/subscribe", raw="email=" + "a" * 20000, content_type=FORM,
                             auth=False)
        self.assertEqual(r.status, 413)
        r = self.public.post("/status/subscribe", raw="[1]", auth=False)
        self.assertEqual(r.status, 400)
        # The HTML form shows the error and keeps what was typed, escaped.
        r = self.subscribe_form("<script>alert(1)</script>")
        self.assertEqual(r.status, 422)
        self.assertIn("Enter a valid email address", r.body)
        self.assertNotIn("<script>alert(1)</script>", r.body)
        self.assertIn("&lt;script&gt;", r.body)
        # Unknown tokens.
        self.assertEqual(self.public.get("/status/subscription?token=nope", auth=False).status, 404)
        self.assertEqual(self.public.get("/status/subscription?token=%3Cx%3E", auth=False).status, 404)
        r = self.public.post("/status/subscription/confirm", raw=form(token="nope"),
                             content_type=FORM, auth=False)
        self.assertEqual(r.status, 404)
        self.assertEqual(self.public.get("/status/subscription/confirm", auth=False).status, 405)
        self.assertEqual(self.subscribers(all=True), before)
        # The admin API is admin-only and checks its input too.
        self.assertEqual(Client(self.server).get(API + "/status/subscribers", auth=False).status, 401)
        r = self.admin.post(API + "/status/subscribers", {"email": "nope"})
        self.assertEqual(r.status, 422)
        r = self.admin.post(API + "/status/subscribers", {"email": "bob@example.test"})
        self.assertEqual(r.status, 409)
        self.assertEqual(self.admin.delete(API + "/status/subscribers/nope").status, 404)
        self.assertEqual(self.subscribers(all=True), before)

    def test_07_confirmation_links_expire(self):
        self.subscribe_form("gina@example.test")
        mail = self.wait_mail("gina@example.test")[0]
        token = self.token_of(self.link(mail, "/status/subscription"))
        self.advance(8 * 24 * 3600)
        r = self.public.post("/status/subscription/confirm", raw=form(token=token),
                             content_type=FORM, auth=False)
        self.assertEqual(r.status, 410, r)
        self.assertEqual(self.subscriber("gina@example.test")["state"], "pending")

    def test_99_rate_limited_per_address(self):
        statuses = [self.public.post("/status/subscribe",
                                     {"email": "rate-%d@example.test" % k}, auth=False).status
                    for k in range(11)]
        self.assertEqual(statuses[:10], [202] * 10)
        r = self.public.post("/status/subscribe", {"email": "rate-x@example.test"}, auth=False)
        self.assertEqual(r.status, 429)
        self.assertGreater(int(r.headers["Retry-After"]), 0)
        self.advance(11 * 60)
        self.assertEqual(self.public.post("/status/subscribe", {"email": "rate-y@example.test"},
                                          auth=False).status, 202)


if __name__ == "__main__":
    unittest.main()
