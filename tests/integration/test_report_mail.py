"""The response-time review mailed to a list on a schedule (issue 8 point 4), on a real
server with a manual clock that starts Wednesday 2026-11-25 09:00 UTC and a real SMTP
server (aiosmtpd).

- a schedule is checked field by field (422 naming each, nothing stored); admins set it,
  viewers read it;
- quarterly: nothing is mailed before the quarter ends; on 2027-01-01 at 09:00 (the
  organization's time zone, here UTC) each recipient gets one mail with the review of
  2026-Q4 — the printable HTML as its HTML part, the Markdown as its text part — and the
  next run moves to 2027-04-01 09:00;
- "send now" mails the last complete period at once; monthly schedules name the month;
- a removed schedule mails nothing more.
"""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # run from anywhere

from harness import Client, ManualClockMixin, all_events, login_token, start_server
from receivers import SmtpSink

API = "/api/v1"
MIN = 60
HOUR = 3600
DAY = 24 * HOUR
START = "2026-11-25T09:00:00Z"


class TestReportMail(ManualClockMixin, unittest.TestCase):
    def setUp(self):
        self.smtp = SmtpSink()
        self.addCleanup(self.smtp.stop)
        args = ["--clock-start", START, "--smtp-url", self.smtp.url,
                "--smtp-from", "klaxon@example.test", "--smtp-starttls", "off"]
        self.server = start_server(self, name="report-mail", clock="manual", extra_args=args)
        self.api = Client(self.server, token=login_token(self.server, "admin"))
        self.must(self.api.post(API + "/services", {"name": "checkout", "owner": "payments"}), 201)
        inc = self.must(self.api.post(API + "/incidents", {"title": "Checkout is slow", "service": "checkout"}), 201)
        self.advance(5 * MIN)
        self.must(self.api.post(API + "/incidents/%d/acknowledge" % inc["id"], {}))
        self.advance(20 * MIN)
        self.must(self.api.post(API + "/incidents/%d/resolve" % inc["id"], {"summary": "Scaled up"}))

    def put_schedule(self, body, client=None):
        return (client or self.api).request("PUT", API + "/reports/schedule", body)

    def test_quarterly_review_is_mailed_when_the_quarter_ends(self):
        # Bad input names the field and stores nothing.
        r = self.put_schedule({"recipients": ["leads@example.test", "not-an-address"], "every": "week",
                               "hour": 25, "colour": "red"})
        self.assertEqual(r.status, 422, r)
        self.assertEqual({e["field"] for e in r.body["errors"]},
                         {"/recipients/1", "/every", "/hour", "/colour"})
        self.assertEqual(self.put_schedule({"recipients": []}).status, 422)
        self.assertEqual(self.must(self.api.get(API + "/reports/schedule"))["schedule"], None)
        viewer = Client(self.server, token=login_token(self.server, "viewer"))
        self.assertEqual(self.put_schedule({"recipients": ["a@example.test"]}, viewer).status, 403)
        self.assertEqual(self.api.post(API + "/reports/schedule/send", {}).status, 404)

        got = self.must(self.put_schedule({"recipients": ["leads@example.test", "cto@example.test"]}))
        self.assertEqual(got["schedule"], {"recipients": ["leads@example.test", "cto@example.test"],
                                           "every": "quarter", "hour": 9})
        self.assertEqual(got["next_at"], "2027-01-01T09:00:00.000Z")
        self.assertEqual(self.must(viewer.get(API + "/reports/schedule"))["next_at"], "2027-01-01T09:00:00.000Z")

        # A minute before: nothing. At 09:00 on the first day of the quarter: one mail each.
        self.advance(int(self.parse("2027-01-01T08:59:00Z") - self.now()))
        time.sleep(0.3)
        self.assertEqual(self.smtp.messages(), [])
        self.advance(MIN)
        mails = self.smtp.wait_for(2, timeout=10, what="quarterly review")
        time.sleep(0.3)
        self.assertEqual(len(self.smtp.messages()), 2)
        self.assertEqual(sorted(m.rcpt_tos[0] for m in mails), ["cto@example.test", "leads@example.test"])
        m = mails[0]
        self.assertEqual(m.subject, "Response-time review 2026-Q4")
        html, text = m.html(), m.text()
        self.assertIn("<html", html.lower())
        self.assertIn("Response-time review 2026-Q4", html)
        self.assertIn("# Response-time review 2026-Q4", text)
        self.assertIn("Previous period: 2026-07-01 00:00 to 2026-10-01 00:00", text)  # Q3
        mailed = [e for e in all_events(self.api) if e["kind"] == "report.mailed"]
        self.assertEqual([(e["data"]["period"], e["data"]["incidents"]) for e in mailed], [("2026-Q4", 1)])
        self.assertEqual(self.must(self.api.get(API + "/reports/schedule"))["next_at"],
                         "2027-04-01T09:00:00.000Z")

        # Send now: the last complete quarter again, at once.
        self.must(self.api.post(API + "/reports/schedule/send", {}), 202)
        self.smtp.wait_for(4, timeout=10, what="send now")

        # Monthly: the month that just ended, on the first at the hour chosen.
        got = self.must(self.put_schedule({"recipients": ["leads@example.test"], "every": "month", "hour": 7}))
        self.assertEqual(got["next_at"], "2027-02-01T07:00:00.000Z")
        self.advance(int(self.parse("2027-02-01T07:00:00Z") - self.now()))
        mails = self.smtp.wait_for(5, timeout=10, what="monthly review")
        self.assertEqual(mails[-1].subject, "Response-time review 2027-01")

        # Removed: nothing more.
        self.assertEqual(self.api.delete(API + "/reports/schedule").status, 204)
        self.assertEqual(self.api.delete(API + "/reports/schedule").status, 404)
        self.advance(int(self.parse("2027-03-01T08:00:00Z") - self.now()))
        time.sleep(0.3)
        self.assertEqual(len(self.smtp.messages()), 5)

    @staticmethod
    def parse(s):
        import datetime
        return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc).timestamp()


if __name__ == "__main__":
    unittest.main()
