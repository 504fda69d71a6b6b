"""Incident lifecycle through the HTTP API (docs/api.md): declare, list, get, ack,
status, severity, note, resolve, reopen; filters and cursor pagination; the timeline;
INC-N references; the full status-transition matrix; services; and persistence of
everything across a restart of the binary."""

import json
import unittest
import uuid

from harness import (RFC3339_MS, STATUSES, Client, all_events, login_token,
                     parse_time, start_server)

API = "/api/v1"
MID = ("investigating", "identified", "monitoring")


def legal_move(frm, to):
    """The status rules of docs/api.md."""
    if frm == "resolved" or frm == to or to == "triggered":
        return False
    if to == "resolved":
        return True
    if frm in ("triggered", "acknowledged"):
        return STATUSES.index(to) > STATUSES.index(frm)
    return frm in MID and to in MID


class IncidentTestCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = start_server(cls, cls=True)
        cls.c = Client(cls.server, token=login_token(cls.server, "responder"))
        cls.admin = Client(cls.server, token=login_token(cls.server, "admin"))

    def tag(self):
        return uuid.uuid4().hex[:10]

    def assertStatus(self, r, code, what=""):
        self.assertEqual(r.status, code, "%s: %r" % (what, r))

    def assertIncidentShape(self, inc):
        for key in ("id", "ref", "title", "description", "impact", "severity", "status", "service",
                    "created_at", "updated_at", "acknowledged_at", "resolved_at", "created_by",
                    "resolution_summary"):
            self.assertIn(key, inc, "incident lacks %r: %s" % (key, inc))
        self.assertIsInstance(inc["id"], int)
        self.assertEqual(inc["ref"], "INC-%d" % inc["id"])
        self.assertIn(inc["status"], STATUSES)
        self.assertRegex(inc["created_at"], RFC3339_MS)
        self.assertRegex(inc["updated_at"], RFC3339_MS)
        for k in ("acknowledged_at", "resolved_at"):
            if inc[k] is not None:
                self.assertRegex(inc[k], RFC3339_MS)

    def incident(self, ident):
        r = self.c.get("%s/incidents/%s" % (API, ident))
        self.assertStatus(r, 200, "GET incident %s" % ident)
        return r.body

    def move(self, inc_id, status, code=200):
        r = self.c.post("%s/incidents/%s/status" % (API, inc_id), {"status": status})
        self.assertStatus(r, code, "status %s -> %s" % (inc_id, status))
        return r.body


class TestLifecycle(IncidentTestCase):
    def test_declare_get_by_id_and_ref(self):
        t = "Checkout errors " + self.tag()
        r = self.c.post(API + "/incidents", {"title": t, "severity": "SEV-2",
                                             "description": "5xx on /pay", "impact": "customers cannot pay"})
        self.assertStatus(r, 201, "declare")
        inc = r.body
        self.assertIncidentShape(inc)
        self.assertEqual(inc["title"], t)
        self.assertEqual(inc["severity"], "SEV-2")
        self.assertEqual(inc["status"], "triggered")
        self.assertEqual(inc["description"], "5xx on /pay")
        self.assertEqual(inc["impact"], "customers cannot pay")
        self.assertIsNone(inc["service"])
        self.assertIsNone(inc["acknowledged_at"])
        self.assertIsNone(inc["resolved_at"])
        self.assertEqual(inc["resolution_summary"], "")
        self.assertIsInstance(inc["created_by"], str)
        self.assertTrue(inc["created_by"])
        by_id = self.incident(inc["id"])
        by_ref = self.incident(inc["ref"])
        self.assertEqual(by_id, by_ref)
        self.assertIn("timeline", by_id)
        for k, v in inc.items():
            self.assertEqual(by_id[k], v, "GET differs from POST response in %r" % k)

    def test_default_severity_is_least_severe(self):
        r = self.c.get(API + "/severities")
        self.assertStatus(r, 200)
        levels = r.body["items"]
        self.assertEqual([lv["name"] for lv in levels][:4], ["SEV-1", "SEV-2", "SEV-3", "SEV-4"])
        for lv in levels:
            self.assertIsInstance(lv["rank"], int)
            self.assertIsInstance(lv["description"], str)
        least = max(levels, key=lambda lv: lv["rank"])["name"]
        inc = self.c.declare("default sev " + self.tag())
        self.assertEqual(inc["severity"], least)

    def test_refs_are_sequential_inc_n(self):
        a = self.c.declare("ref a " + self.tag())
        b = self.c.declare("ref b " + self.tag())
        self.assertGreater(b["id"], a["id"])
        self.assertEqual(a["ref"], "INC-%d" % a["id"])
        self.assertEqual(b["ref"], "INC-%d" % b["id"])
        # every action accepts the ref as well as the number
        r = self.c.post("%s/incidents/%s/acknowledge" % (API, b["ref"]), {})
        self.assertStatus(r, 200, "ack by ref")
        self.assertEqual(r.body["id"], b["id"])

    def test_acknowledge(self):
        inc = self.c.declare("ack " + self.tag(), severity="SEV-3")
        r = self.c.post("%s/incidents/%d/acknowledge" % (API, inc["id"]), {})
        self.assertStatus(r, 200, "ack")
        self.assertIncidentShape(r.body)
        self.assertEqual(r.body["status"], "acknowledged")
        self.assertRegex(r.body["acknowledged_at"], RFC3339_MS)
        self.assertGreaterEqual(parse_time(r.body["updated_at"]), parse_time(inc["updated_at"]))
        r2 = self.c.post("%s/incidents/%d/acknowledge" % (API, inc["id"]), {})
        self.assertStatus(r2, 409, "second ack")
        self.assertEqual(self.incident(inc["id"])["acknowledged_at"], r.body["acknowledged_at"])

    def test_acknowledge_with_empty_body(self):
        inc = self.c.declare("ack empty " + self.tag())
        r = self.c.request("POST", "%s/incidents/%d/acknowledge" % (API, inc["id"]), content_type=None)
        self.assertStatus(r, 200, "ack without body")
        self.assertEqual(r.body["status"], "acknowledged")

    def test_severity_change(self):
        inc = self.c.declare("sev " + self.tag(), severity="SEV-3")
        r = self.c.post("%s/incidents/%d/severity" % (API, inc["id"]), {"severity": "SEV-1", "reason": "bigger"})
        self.assertStatus(r, 200, "raise severity")
        self.assertEqual(r.body["severity"], "SEV-1")
        r = self.c.post("%s/incidents/%d/severity" % (API, inc["id"]), {"severity": "SEV-1"})
        self.assertStatus(r, 409, "same severity")
        r = self.c.post("%s/incidents/%d/severity" % (API, inc["id"]), {"severity": "SEV-4"})
        self.assertStatus(r, 200, "lower severity")
        self.assertEqual(self.incident(inc["id"])["severity"], "SEV-4")

    def test_note(self):
        inc = self.c.declare("note " + self.tag())
        text = "restarted the payment pods " + self.tag()
        r = self.c.post("%s/incidents/%d/notes" % (API, inc["id"]), {"text": text})
        self.assertStatus(r, 201, "add note")
        ev = r.body
        self.assertIsInstance(ev["seq"], int)
        self.assertRegex(ev["at"], RFC3339_MS)
        self.assertTrue(ev["kind"].startswith("incident."), ev)
        self.assertEqual(ev["incident_id"], inc["id"])
        self.assertIn(text, json.dumps(ev["data"]))
        timeline = self.incident(inc["id"])["timeline"]
        self.assertIn(ev["seq"], [e["seq"] for e in timeline])
        # 10000 characters is the limit
        r = self.c.post("%s/incidents/%d/notes" % (API, inc["id"]), {"text": "x" * 10000})
        self.assertStatus(r, 201, "10000-char note")
        r = self.c.post("%s/incidents/%d/notes" % (API, inc["id"]), {"text": "x" * 10001})
        self.assertStatus(r, 422, "10001-char note")
        r = self.c.post("%s/incidents/%d/notes" % (API, inc["id"]), {"text": ""})
        self.assertStatus(r, 422, "empty note")

    def test_title_length_limits(self):
        r = self.c.post(API + "/incidents", {"title": "t" * 200})
        self.assertStatus(r, 201, "200-char title")
        r = self.c.post(API + "/incidents", {"title": "t" * 201})
        self.assertStatus(r, 422, "201-char title")
        r = self.c.post(API + "/incidents", {"title": ""})
        self.assertStatus(r, 422, "empty title")

    def test_resolve_and_reopen(self):
        inc = self.c.declare("resolve " + self.tag(), severity="SEV-2")
        r = self.c.post("%s/incidents/%d/reopen" % (API, inc["id"]), {})
        self.assertStatus(r, 409, "reopen while triggered")
        r = self.c.post("%s/incidents/%d/resolve" % (API, inc["id"]), {"summary": "rolled back"})
        self.assertStatus(r, 200, "resolve")
        self.assertEqual(r.body["status"], "resolved")
        self.assertRegex(r.body["resolved_at"], RFC3339_MS)
        self.assertEqual(r.body["resolution_summary"], "rolled back")
        r = self.c.post("%s/incidents/%d/resolve" % (API, inc["id"]), {"summary": "again"})
        self.assertStatus(r, 409, "resolve twice")
        self.assertEqual(self.incident(inc["id"])["resolution_summary"], "rolled back")
        r = self.c.post("%s/incidents/%d/acknowledge" % (API, inc["id"]), {})
        self.assertStatus(r, 409, "ack resolved")
        r = self.c.post("%s/incidents/%d/reopen" % (API, inc["id"]), {"reason": "came back"})
        self.assertStatus(r, 200, "reopen")
        self.assertEqual(r.body["status"], "triggered")
        r = self.c.post("%s/incidents/%d/reopen" % (API, inc["id"]), {})
        self.assertStatus(r, 409, "reopen twice")
        r = self.c.post("%s/incidents/%d/acknowledge" % (API, inc["id"]), {})
        self.assertStatus(r, 200, "ack after reopen")
        r = self.c.post("%s/incidents/%d/resolve" % (API, inc["id"]))  # summary is optional
        self.assertStatus(r, 200, "resolve without body")

    def test_resolve_with_empty_object(self):
        inc = self.c.declare("resolve empty " + self.tag())
        r = self.c.post("%s/incidents/%d/resolve" % (API, inc["id"]), {})
        self.assertStatus(r, 200, "resolve {}")
        self.assertEqual(r.body["status"], "resolved")

    def test_timeline(self):
        inc = self.c.declare("timeline " + self.tag(), severity="SEV-3")
        iid = inc["id"]
        self.assertStatus(self.c.post("%s/incidents/%d/acknowledge" % (API, iid), {}), 200)
        self.move(iid, "investigating")
        self.assertStatus(self.c.post("%s/incidents/%d/severity" % (API, iid), {"severity": "SEV-2"}), 200)
        self.assertStatus(self.c.post("%s/incidents/%d/notes" % (API, iid), {"text": "found it"}), 201)
        self.assertStatus(self.c.post("%s/incidents/%d/resolve" % (API, iid), {"summary": "fixed"}), 200)
        self.assertStatus(self.c.post("%s/incidents/%d/reopen" % (API, iid), {"reason": "nope"}), 200)
        timeline = self.incident(iid)["timeline"]
        self.assertGreaterEqual(len(timeline), 7, timeline)
        seqs = [e["seq"] for e in timeline]
        self.assertEqual(seqs, sorted(seqs), "timeline must be oldest first")
        self.assertEqual(len(set(seqs)), len(seqs))
        self.assertEqual(timeline[0]["kind"], "incident.declared")
        kinds = [e["kind"] for e in timeline]
        self.assertIn("incident.acknowledged", kinds)
        last = None
        for e in timeline:
            self.assertEqual(e["incident_id"], iid)
            self.assertRegex(e["at"], RFC3339_MS)
            self.assertTrue(e["kind"].startswith("incident."), e)
            self.assertIsInstance(e["data"], dict)
            actor = e["actor"]
            self.assertIn(actor["type"], ("user", "token", "system"))
            self.assertIn("id", actor)
            self.assertIsInstance(actor["name"], str)
            self.assertTrue(actor["name"])
            t = parse_time(e["at"])
            if last is not None:
                self.assertGreaterEqual(t, last)
            last = t
        # the event log shows the same events
        r = self.c.get(API + "/events", params={"incident": iid})
        self.assertStatus(r, 200)
        self.assertEqual([e["seq"] for e in r.body["items"]], seqs)
        self.assertIn("next_cursor", r.body)


class TestTransitions(IncidentTestCase):
    def in_status(self, status):
        inc = self.c.declare("matrix %s %s" % (status, self.tag()))
        iid = inc["id"]
        if status == "acknowledged":
            self.assertStatus(self.c.post("%s/incidents/%d/acknowledge" % (API, iid), {}), 200)
        elif status in MID:
            self.move(iid, status)
        elif status == "resolved":
            self.assertStatus(self.c.post("%s/incidents/%d/resolve" % (API, iid), {}), 200)
        inc = self.incident(iid)
        self.assertEqual(inc["status"], status)
        return inc

    def test_status_matrix(self):
        failures = []
        for frm in STATUSES:
            for to in STATUSES:
                inc = self.in_status(frm)
                before = self.incident(inc["id"])
                r = self.c.post("%s/incidents/%d/status" % (API, inc["id"]), {"status": to})
                after = self.incident(inc["id"])
                if legal_move(frm, to):
                    if r.status != 200 or r.body.get("status") != to or after["status"] != to:
                        failures.append("%s -> %s: expected 200, got %r" % (frm, to, r))
                        continue
                    # "moving past acknowledged acknowledges too" (resolving directly is read as not
                    # passing through acknowledged, so resolved is not checked here)
                    if frm == "triggered" and to != "resolved" and after["acknowledged_at"] is None:
                        failures.append("%s -> %s: acknowledged_at not set" % (frm, to))
                    if to == "resolved" and after["resolved_at"] is None:
                        failures.append("%s -> %s: resolved_at not set" % (frm, to))
                else:
                    if r.status != 409:
                        failures.append("%s -> %s: expected 409, got %r" % (frm, to, r))
                    elif after != before:
                        failures.append("%s -> %s: 409 but the incident changed" % (frm, to))
        self.assertEqual(failures, [], "\n".join(failures))

    def test_triggered_past_acknowledged_acknowledges(self):
        inc = self.c.declare("skip ack " + self.tag())
        out = self.move(inc["id"], "identified")
        self.assertEqual(out["status"], "identified")
        self.assertRegex(out["acknowledged_at"] or "", RFC3339_MS)
        self.assertEqual(self.incident(inc["id"])["acknowledged_at"], out["acknowledged_at"])

    def test_status_with_message(self):
        inc = self.in_status("acknowledged")
        r = self.c.post("%s/incidents/%d/status" % (API, inc["id"]),
                        {"status": "investigating", "message": "looking at db"})
        self.assertStatus(r, 200)
        self.assertIn("looking at db", json.dumps(self.incident(inc["id"])["timeline"]))

    def test_reopen_only_from_resolved(self):
        for st in STATUSES:
            inc = self.in_status(st)
            r = self.c.post("%s/incidents/%d/reopen" % (API, inc["id"]), {})
            if st == "resolved":
                self.assertStatus(r, 200, "reopen from resolved")
                self.assertEqual(r.body["status"], "triggered")
            else:
                self.assertStatus(r, 409, "reopen from %s" % st)

    def test_ack_only_from_triggered(self):
        for st in STATUSES:
            inc = self.in_status(st)
            r = self.c.post("%s/incidents/%d/acknowledge" % (API, inc["id"]), {})
            self.assertStatus(r, 200 if st == "triggered" else 409, "ack from %s" % st)

    def test_resolve_from_every_open_status(self):
        for st in STATUSES:
            inc = self.in_status(st)
            r = self.c.post("%s/incidents/%d/resolve" % (API, inc["id"]), {"summary": "s"})
            self.assertStatus(r, 409 if st == "resolved" else 200, "resolve from %s" % st)


class TestServices(IncidentTestCase):
    def test_create_list_get_duplicate(self):
        names = ["zeta-" + self.tag(), "alpha-" + self.tag(), "mid-" + self.tag()]
        created = {}
        for n in names:
            r = self.admin.post(API + "/services", {"name": n, "description": "d " + n, "owner": "team-" + n})
            self.assertStatus(r, 201, "create service")
            svc = r.body
            self.assertEqual(svc["name"], n)
            self.assertEqual(svc["description"], "d " + n)
            self.assertEqual(svc["owner"], "team-" + n)
            self.assertIsInstance(svc["id"], int)
            self.assertRegex(svc["created_at"], RFC3339_MS)
            created[n] = svc
        r = self.admin.post(API + "/services", {"name": "minimal-" + self.tag()})
        self.assertStatus(r, 201, "name only")
        r = self.c.get(API + "/services")  # viewer-level read with a responder token
        self.assertStatus(r, 200)
        listed = [s["name"] for s in r.body["items"]]
        self.assertEqual(listed, sorted(listed), "services sorted by name")
        for n in names:
            self.assertIn(n, listed)
        svc = created[names[0]]
        r = self.c.get("%s/services/%d" % (API, svc["id"]))
        self.assertStatus(r, 200)
        self.assertEqual(r.body, svc)
        r = self.admin.post(API + "/services", {"name": names[0]})
        self.assertStatus(r, 409, "duplicate service name")
        r = self.c.get(API + "/services/99999999")
        self.assertStatus(r, 404, "unknown service")
        r = self.c.get(API + "/services")
        self.assertEqual(len([s for s in r.body["items"] if s["name"] == names[0]]), 1)

    def test_incident_with_service(self):
        name = "checkout-" + self.tag()
        svc = self.admin.post(API + "/services", {"name": name}).body
        a = self.c.declare("svc by name", service=name)
        b = self.c.declare("svc by id", service=svc["id"])
        self.assertEqual(a["service"], {"id": svc["id"], "name": name})
        self.assertEqual(b["service"], {"id": svc["id"], "name": name})
        for key in (name, str(svc["id"])):
            items = self.c.list_all(API + "/incidents", {"service": key})
            self.assertEqual(sorted(i["id"] for i in items), sorted([a["id"], b["id"]]), "service=%s" % key)


class TestFiltersAndPagination(unittest.TestCase):
    """On a dedicated server so that the full list is known exactly."""

    @classmethod
    def setUpClass(cls):
        cls.server = start_server(cls, cls=True)
        cls.c = Client(cls.server, token=login_token(cls.server, "admin"))
        cls.svc = cls.c.post(API + "/services", {"name": "payments"}).body
        cls.created = []
        sevs = ["SEV-1", "SEV-2", "SEV-3", "SEV-4"]
        for i in range(120):
            body = {"title": "incident %03d %s" % (i, "needle" if i % 17 == 0 else "hay"),
                    "severity": sevs[i % 4]}
            if i % 5 == 0:
                body["service"] = "payments"
            if i == 7:
                body["description"] = "a haystack with a Pinecone inside"
            r = cls.c.post(API + "/incidents", body)
            assert r.status == 201, r
            cls.created.append(r.body)
        # statuses: i%6 -> 0 triggered, 1 acknowledged, 2 investigating, 3 identified, 4 monitoring, 5 resolved
        for i, inc in enumerate(cls.created):
            st = STATUSES[i % 6]
            if st == "triggered":
                continue
            if st == "acknowledged":
                r = cls.c.post("%s/incidents/%d/acknowledge" % (API, inc["id"]), {})
            elif st == "resolved":
                r = cls.c.post("%s/incidents/%d/resolve" % (API, inc["id"]), {})
            else:
                r = cls.c.post("%s/incidents/%d/status" % (API, inc["id"]), {"status": st})
            assert r.status == 200, r
            inc["status"] = st

    def ids(self, params):
        return [i["id"] for i in self.c.list_all(API + "/incidents", params)]

    def test_pagination_no_duplicates_no_gaps_newest_first(self):
        for limit in (1, 7, 25, 50, 200):
            if limit == 1:
                items = self.c.list_all(API + "/incidents", {}, limit=1, max_pages=200)
            else:
                items = self.c.list_all(API + "/incidents", {}, limit=limit)
            ids = self.known([i["id"] for i in items])
            self.assertEqual(len(ids), len(set(ids)), "duplicates with limit=%d" % limit)
            self.assertEqual(set(ids), {i["id"] for i in self.created}, "gaps with limit=%d" % limit)
            self.assertEqual(ids, sorted(ids, reverse=True), "newest first with limit=%d" % limit)
            times = [parse_time(i["created_at"]) for i in items]
            self.assertEqual(times, sorted(times, reverse=True))
            self.assertNotIn("timeline", items[0], "list items come without timeline")

    def test_default_limit_is_50(self):
        r = self.c.get(API + "/incidents")
        self.assertEqual(r.status, 200)
        self.assertEqual(len(r.body["items"]), 50)
        self.assertTrue(r.body["next_cursor"])
        r = self.c.get(API + "/incidents", params={"limit": 200})
        self.assertEqual(len(r.body["items"]), 120 + len(getattr(self.__class__, "extra_ids", [])))
        self.assertIsNone(r.body["next_cursor"])

    def test_pagination_stable_under_inserts(self):
        r = self.c.get(API + "/incidents", params={"limit": 30})
        first = [i["id"] for i in r.body["items"]]
        extra = self.c.post(API + "/incidents", {"title": "inserted while paging"}).body
        rest = []
        cursor = r.body["next_cursor"]
        while cursor:
            r2 = self.c.get(API + "/incidents", params={"limit": 30, "cursor": cursor})
            self.assertEqual(r2.status, 200)
            rest += [i["id"] for i in r2.body["items"]]
            cursor = r2.body["next_cursor"]
        ids = first + rest
        self.assertNotIn(extra["id"], ids, "a newer incident must not appear on later pages")
        self.assertEqual(sorted(ids), sorted(i["id"] for i in self.created))
        # other tests in this class ignore incidents added here
        self.__class__.extra_ids = getattr(self.__class__, "extra_ids", []) + [extra["id"]]

    def known(self, ids):
        extra = set(getattr(self.__class__, "extra_ids", []))
        return [i for i in ids if i not in extra]

    def expect(self, pred):
        return sorted((i["id"] for i in self.created if pred(i)), reverse=True)

    def test_filter_status(self):
        for st in STATUSES:
            self.assertEqual(self.known(self.ids({"status": st})), self.expect(lambda i: i["status"] == st), st)

    def test_filter_open(self):
        self.assertEqual(self.known(self.ids({"status": "open"})), self.expect(lambda i: i["status"] != "resolved"))

    def test_filter_severity(self):
        for sev in ("SEV-1", "SEV-4"):
            self.assertEqual(self.known(self.ids({"severity": sev})), self.expect(lambda i: i["severity"] == sev))

    def test_filter_service(self):
        want = self.expect(lambda i: i["service"] is not None)
        self.assertEqual(len(want), 24)
        self.assertEqual(self.known(self.ids({"service": "payments"})), want)
        self.assertEqual(self.ids({"service": str(self.svc["id"])}), want)

    def test_filter_q(self):
        want = self.expect(lambda i: "needle" in i["title"])
        self.assertEqual(self.ids({"q": "needle"}), want)
        self.assertEqual(self.ids({"q": "Pinecone"}), [self.created[7]["id"]], "q searches the description")
        self.assertEqual(self.ids({"q": "no-such-text-anywhere"}), [])

    def test_filters_combine(self):
        want = self.expect(lambda i: i["status"] != "resolved" and i["severity"] == "SEV-1"
                           and i["service"] is not None)
        got = self.known(self.ids({"status": "open", "severity": "SEV-1", "service": "payments"}))
        self.assertEqual(got, want)

    def test_filter_pagination(self):
        want = self.expect(lambda i: i["status"] != "resolved")
        items = self.c.list_all(API + "/incidents", {"status": "open"}, limit=9)
        self.assertEqual(self.known([i["id"] for i in items]), want)

    def test_event_log_pagination(self):
        """GET /events: oldest first, `after` and `next_cursor` agree, `incident` filters."""
        by_after = all_events(self.c)
        self.assertGreaterEqual(len(by_after), 120 + 100)
        seqs = [e["seq"] for e in by_after]
        self.assertEqual(seqs, sorted(seqs))
        self.assertEqual(len(seqs), len(set(seqs)))
        by_cursor = self.c.list_all(API + "/events", limit=37)
        self.assertEqual([e["seq"] for e in by_cursor], seqs)
        r = self.c.get(API + "/events", params={"after": seqs[9], "limit": 5})
        self.assertEqual([e["seq"] for e in r.body["items"]], seqs[10:15])
        inc = self.created[5]
        r = self.c.get(API + "/events", params={"incident": inc["id"]})
        self.assertEqual([e["kind"] for e in r.body["items"]], ["incident.declared", "incident.resolved"])
        r = self.c.get(API + "/events", params={"incident": inc["ref"]})
        self.assertIn(r.status, (200, 400), r)

    def test_bad_query_parameters(self):
        for params in ({"limit": "abc"}, {"limit": 0}, {"limit": 201}, {"cursor": "not-a-cursor!!"},
                       {"status": "bogus"}):
            r = self.c.get(API + "/incidents", params=params)
            self.assertIn(r.status, (400, 422), "%s: %r" % (params, r))
            self.assertEqual(r.content_type, "application/problem+json")


class TestRestartPersistence(unittest.TestCase):
    def test_everything_survives_restart(self):
        server = start_server(self)
        admin_token = login_token(server, "admin")
        viewer_token = login_token(server, "viewer")
        c = Client(server, token=admin_token)
        session = Client(server)
        self.assertEqual(session.login("admin", server.admin_password).status, 200)
        csrf = session.csrf

        svc = c.post(API + "/services", {"name": "search", "owner": "core"}).body
        a = c.declare("persist triggered", severity="SEV-1", service="search", description="d", impact="i")
        b = c.declare("persist acked")
        c.post("%s/incidents/%d/acknowledge" % (API, b["id"]), {})
        c.post("%s/incidents/%d/notes" % (API, b["id"]), {"text": "a note that must survive"})
        d = c.declare("persist resolved", severity="SEV-3")
        c.post("%s/incidents/%d/status" % (API, d["id"]), {"status": "monitoring"})
        c.post("%s/incidents/%d/resolve" % (API, d["id"]), {"summary": "all good"})
        e = session.declare("declared via session")
        r = c.post(API + "/tokens", {"name": "to-revoke", "role": "viewer"})
        self.assertEqual(r.status, 201)
        revoked, rev_id = r.body["token"], r.body["id"]
        self.assertEqual(c.delete("%s/tokens/%d" % (API, rev_id)).status, 204)

        before_incidents = {i["id"]: c.get("%s/incidents/%d" % (API, i["id"])).body for i in (a, b, d, e)}
        before_list = c.list_all(API + "/incidents")
        before_events = all_events(c)
        before_services = c.get(API + "/services").body
        before_users = c.get(API + "/users").body
        before_tokens = c.get(API + "/tokens").body["items"]

        server.restart()

        for iid, inc in before_incidents.items():
            r = c.get("%s/incidents/%d" % (API, iid))
            self.assertEqual(r.status, 200, "incident %d after restart" % iid)
            self.assertEqual(r.body, inc, "incident %d changed across restart" % iid)
        self.assertEqual(c.list_all(API + "/incidents"), before_list)
        self.assertEqual(all_events(c), before_events)
        self.assertEqual(c.get(API + "/services").body, before_services)
        self.assertEqual(c.get("%s/services/%d" % (API, svc["id"])).status, 200)
        self.assertEqual(c.get(API + "/users").body, before_users)
        strip = lambda ts: [{k: v for k, v in t.items() if k != "last_used_at"} for t in ts]
        self.assertEqual(strip(c.get(API + "/tokens").body["items"]), strip(before_tokens))

        # tokens still valid, revoked stays revoked
        self.assertEqual(Client(server, token=viewer_token).get(API + "/incidents").status, 200)
        self.assertEqual(Client(server, token=revoked).get(API + "/incidents").status, 401)
        # the session survives (cookie and CSRF token)
        r = session.get(API + "/auth/me")
        self.assertEqual(r.status, 200, "session after restart: %r" % r)
        self.assertEqual(r.body["user"]["username"], "admin")
        self.assertEqual(r.body["csrf_token"], csrf)
        f = session.declare("after restart via session")
        # ids continue, no reuse
        self.assertGreater(f["id"], max(before_incidents))
        self.assertGreater(all_events(c)[-1]["seq"], before_events[-1]["seq"])
        # the admin password from the first start still works; the flag does not reset it
        self.assertEqual(Client(server).login("admin", server.admin_password).status, 200)


if __name__ == "__main__":
    unittest.main()
