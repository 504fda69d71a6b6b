"""Response analytics and the quarterly report (issue 8 points 3, 4 and 6) served by the
real binary from its store, on a manual clock that starts Wednesday 2026-09-30 22:00 UTC
(the organization's zone is UTC: no playbook), with incidents driven through known times:

  A  declared 2026-09-30 22:00 (Q3), acknowledged after 10 min, resolved 2 h later — in Q4
  B  declared 2026-10-01 01:00 on checkout, ack after 4 min, resolved at 30 min, reopened at
     40 min, resolved again at 60 min (its time to resolve is the final one: 60 min)
  C  declared 02:00, ack after 2 min, resolved at 6 min, marked noise
  E  declared 03:00, ack after 20 min, still open

Hand-computed, Q4 without noise: B and E — 2 incidents, 1 open, 1 reopened; MTTA mean
12 min (4 and 20), median 4 min, p90 20 min; MTTR 60 min (B; E is open). With noise: 3
incidents, MTTA mean 8 min 40 s. Q3: A alone, MTTA 10 min, MTTR 2 h. The noise report
names C's service. The quarterly report compares Q4 with Q3 (incidents +1, +100%).
"""

import csv
import io
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # run from anywhere

from harness import Client, ManualClockMixin, login_token, start_server

API = "/api/v1"
MIN = 60
HOUR = 3600
START = "2026-09-30T22:00:00Z"


class TestAnalytics(ManualClockMixin, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = start_server(cls, cls=True, clock="manual", extra_args=["--clock-start", START])
        cls.api = Client(cls.server, token=login_token(cls.server, "admin"))
        t = cls()
        t.drive()

    def drive(self):
        for name, owner in (("checkout", "payments"), ("search", "discovery")):
            self.must(self.api.post(API + "/services", {"name": name, "owner": owner}), 201)

        def declare(title, service=None):
            body = {"title": title}
            if service:
                body["service"] = service
            return "%s/incidents/%d" % (API, self.must(self.api.post(API + "/incidents", body), 201)["id"])

        a = declare("A: queue backlog", "search")
        self.advance(10 * MIN)
        self.must(self.api.post(a + "/acknowledge", {}))
        self.advance(110 * MIN)  # 2026-10-01 00:00
        self.must(self.api.post(a + "/resolve", {"summary": "drained"}))
        self.advance(1 * HOUR)  # 01:00
        b = declare("B: checkout errors", "checkout")
        self.advance(4 * MIN)
        self.must(self.api.post(b + "/acknowledge", {}))
        self.advance(26 * MIN)
        self.must(self.api.post(b + "/resolve", {"summary": "rolled back"}))
        self.advance(10 * MIN)
        self.must(self.api.post(b + "/reopen", {"reason": "errors again"}))
        self.advance(20 * MIN)
        self.must(self.api.post(b + "/resolve", {"summary": "fixed for real"}))
        self.advance(60 * MIN)  # 02:00
        c = declare("C: disk 81% on a batch host", "search")
        self.advance(2 * MIN)
        self.must(self.api.post(c + "/acknowledge", {}))
        self.advance(4 * MIN)
        self.must(self.api.post(c + "/resolve", {"summary": "nothing to do"}))
        self.must(self.api.post(c + "/noise", {"reason": "threshold too low"}))
        self.advance(54 * MIN)  # 03:00
        e = declare("E: slow search", "search")
        self.advance(20 * MIN)
        self.must(self.api.post(e + "/acknowledge", {}))
        self.advance(1 * HOUR)

    def must(self, r, status=200):
        self.assertEqual(r.status, status, "%r\n%s" % (r, self.server.log_tail(2000)))
        return r.body

    def analytics(self, **params):
        return self.must(self.api.get(API + "/analytics", params=params))

    def test_quarter_numbers_computed_by_hand(self):
        q4 = self.analytics(quarter="2026-Q4", rows="true")
        self.assertEqual(self.analytics(quarter="2026-Q4")["rows"], [])
        self.assertEqual((q4["incidents"]["total"], q4["incidents"]["open"],
                          q4["incidents"]["reopened"], q4["incidents"]["excluded_noise"]),
                         (2, 1, 1, 1), q4["incidents"])
        self.assertEqual((q4["mtta"]["n"], q4["mtta"]["mean_ms"], q4["mtta"]["median_ms"],
                          q4["mtta"]["p90_ms"]), (2, 12 * MIN * 1000, 4 * MIN * 1000, 20 * MIN * 1000))
        self.assertEqual(q4["mtta"]["mean"], "12m")
        self.assertEqual((q4["mttr"]["n"], q4["mttr"]["mean_ms"]), (1, 60 * MIN * 1000))
        self.assertEqual(q4["period"]["quarter"], "2026-Q4")
        self.assertEqual([r["ref"] for r in q4["rows"]], ["INC-2", "INC-4"])
        # The noisy one is reported as noise to tune, whether or not it is counted.
        self.assertEqual(q4["noise"]["incidents"], 1)
        self.assertEqual([s["name"] for s in q4["noise"]["services"]], ["search"])

        with_noise = self.analytics(quarter="2026-Q4", include_noise="true")
        self.assertEqual(with_noise["incidents"]["total"], 3)
        self.assertEqual(with_noise["mtta"]["mean_ms"], (4 + 20 + 2) * MIN * 1000 // 3)

        q3 = self.analytics(quarter="2026-Q3")
        self.assertEqual((q3["incidents"]["total"], q3["mtta"]["mean_ms"], q3["mttr"]["mean_ms"]),
                         (1, 10 * MIN * 1000, 2 * HOUR * 1000))

        # Dates: `to` includes its day; filters by service and team (the service's owner).
        days = self.analytics(**{"from": "2026-10-01", "to": "2026-10-01"})
        self.assertEqual(days["incidents"]["total"], 2)
        self.assertEqual(self.analytics(quarter="2026-Q4", service="checkout")["incidents"]["total"], 1)
        self.assertEqual(self.analytics(quarter="2026-Q4", team="discovery")["incidents"]["total"], 1)
        by_service = {g["key"]: g["incidents"] for g in q4["by_service"]}
        self.assertEqual(by_service, {"checkout": 1, "search": 1})

    def test_exports_charts_and_the_quarterly_report(self):
        r = self.api.get(API + "/analytics", params={"quarter": "2026-Q4", "format": "csv"})
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.headers.get("Content-Type").startswith("text/csv"))
        rows = list(csv.DictReader(io.StringIO(r.text if hasattr(r, "text") else r.body)))
        self.assertEqual([row["ref"] for row in rows], ["INC-2", "INC-4"])
        self.assertEqual(rows[0]["time_to_ack_ms"], str(4 * MIN * 1000))

        for chart in ("weekly.svg", "severity.svg", "service.svg"):
            r = self.api.get(API + "/analytics/charts/" + chart, params={"quarter": "2026-Q4"})
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.headers.get("Content-Type"), "image/svg+xml")
            body = r.text if hasattr(r, "text") else r.body
            self.assertIn("<svg", body)
        self.assertEqual(self.api.get(API + "/analytics/charts/pie.svg").status, 404)

        html = self.api.get(API + "/reports/quarterly", params={"quarter": "2026-Q4"})
        self.assertEqual(html.status, 200, html)
        self.assertTrue(html.headers.get("Content-Type").startswith("text/html"))
        page = html.text if hasattr(html, "text") else html.body
        self.assertIn("Response-time review 2026-Q4", page)
        self.assertIn("+1 (+100%)", page)
        self.assertIn("<svg", page)
        self.assertNotIn("<script", page)
        md = self.api.get(API + "/reports/quarterly", params={"quarter": "2026-Q4", "format": "markdown"})
        self.assertEqual(md.status, 200, md)
        text = md.text if hasattr(md, "text") else md.body
        self.assertIn("# Response-time review 2026-Q4", text)
        both = self.must(self.api.get(API + "/reports/quarterly",
                                      params={"quarter": "2026-Q4", "format": "json"}))
        self.assertEqual((both["current"]["incidents"]["total"], both["previous"]["incidents"]["total"]),
                         (2, 1))
        self.assertEqual((both["current"]["rows"], both["previous"]["rows"]), ([], []))
        with_rows = self.must(self.api.get(API + "/reports/quarterly",
                                           params={"quarter": "2026-Q4", "format": "json", "rows": "true"}))
        self.assertEqual([r["ref"] for r in with_rows["current"]["rows"]], ["INC-2", "INC-4"])
        # Without a quarter: the current one (the clock is in 2026-Q4).
        current = self.must(self.api.get(API + "/reports/quarterly", params={"format": "json"}))
        self.assertEqual(current["title"], "Response-time review 2026-Q4")

    def test_bad_queries_and_access(self):
        for params, field in [({"quarter": "2026-Q5"}, "quarter"),
                              ({"from": "2026-10-01"}, "from"),
                              ({"from": "2026-10-02", "to": "2026-10-01T00:00:00Z"}, "to"),
                              ({"tz": "Mars/Olympus_Mons"}, "tz"),
                              ({"format": "pdf"}, "format"),
                              ({"quarter": "2026-Q4", "from": "2026-10-01", "to": "2026-10-02"}, "quarter")]:
            r = self.api.get(API + "/analytics", params=params)
            self.assertEqual(r.status, 422, (params, r))
            self.assertIn(field, [e["field"] for e in r.body["errors"]], (params, r))
        viewer = Client(self.server, token=login_token(self.server, "viewer"))
        self.assertEqual(viewer.get(API + "/analytics").status, 200)
        self.assertEqual(viewer.get(API + "/reports/quarterly").status, 200)
        self.assertEqual(Client(self.server).get(API + "/analytics").status, 401)
        self.assertEqual(Client(self.server).get(API + "/reports/quarterly").status, 401)


if __name__ == "__main__":
    unittest.main()
