"""On-call and paging (docs/api.md "On-call: people, schedules, escalation policies,
paging"), tested against the contract with the real server on a manual clock, a local
webhook receiver and an SMTP sink (tests/integration/receivers.py).

Every test starts its own server (`--clock manual`) and receivers on 127.0.0.1. Time only
moves when a test advances it (POST /api/v1/admin/clock/advance returns once every timer
due by the new time is processed; deliveries then go out asynchronously, so the tests
wait at the receiver with a timeout of a few seconds).

Scenarios: schedules and who is on call (DST included); escalation steps, delays,
repeat and exhaustion; signed acknowledge/resolve links; SIGKILL in the middle of an
escalation; per-user notification rules with email; Slack/Teams/Discord/Mattermost body
shapes; delivery retries, give-up on 4xx and --notify-max-age; contact method test and
verification; manual escalate/repage; iCalendar feeds; bad input and permissions.
"""

import datetime
import importlib.util
import json
import os
import re
import subprocess
import sys
import time
import unittest
import urllib.parse
from collections import Counter
from zoneinfo import ZoneInfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # run from anywhere

from harness import Client, all_events, login_token, parse_time, start_server
from receivers import SmtpSink, WebhookReceiver, WebhookVerificationError, verify_standard_webhook

API = "/api/v1"
PW = "pw-Paging-secret-123"
TZ_NAME = "America/New_York"
NY = ZoneInfo(TZ_NAME)
UTC = datetime.timezone.utc
WEEK = 7 * 86400
ROTATION_START = "2026-10-19"  # a Monday; US daylight-saving time ends 2026-11-01
ROTATION = ["alice", "bob", "carol"]
DELIVERY_TIMEOUT = 5.0  # seconds a delivery may take to reach a receiver after it is due
QUIET = 1.0  # seconds we watch for deliveries that must not happen

ACTION_LINK_RE = re.compile(r"https?://[^\s\"'<>|\\)\]]+?/a/[A-Za-z0-9_\-.~%=]+")


# ---------------------------------------------------------------------------------------
# time helpers
# ---------------------------------------------------------------------------------------

def iso(ts):
    """Unix seconds -> RFC 3339 UTC with milliseconds."""
    ms = int(round(ts * 1000))
    dt = datetime.datetime.fromtimestamp(ms // 1000, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ms % 1000)


def ms(ts):
    """Seconds -> whole milliseconds, for comparing times without float noise."""
    return int(round(ts * 1000))


def ical_utc(ts):
    return datetime.datetime.fromtimestamp(int(round(ts)), tz=UTC).strftime("%Y%m%dT%H%M%SZ")


def parse_ical_time(value):
    dt = datetime.datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return dt.timestamp()


def handoff(start_date, n, hhmm=(9, 0), tz=NY):
    """The n-th weekly handoff of a rotation starting `start_date` at local `hhmm`, as
    Unix seconds (local wall time kept across daylight-saving changes)."""
    d = datetime.date.fromisoformat(start_date) + datetime.timedelta(weeks=n)
    return datetime.datetime.combine(d, datetime.time(*hhmm), tzinfo=tz).timestamp()


def expected_oncall(at, users=ROTATION, start_date=ROTATION_START):
    """(username or None, shift start, shift end) of a weekly rotation of `users` with
    handoffs on `start_date`'s weekday at 09:00 New York time."""
    first = handoff(start_date, 0)
    if at < first:
        return None, None, first
    n = int((at - first) // WEEK)
    while handoff(start_date, n + 1) <= at:
        n += 1
    while n > 0 and handoff(start_date, n) > at:
        n -= 1
    return users[n % len(users)], handoff(start_date, n), handoff(start_date, n + 1)


def monday_on_or_before(ts, tz=NY):
    d = datetime.datetime.fromtimestamp(ts, tz=tz).date()
    return (d - datetime.timedelta(days=d.weekday())).isoformat()


# ---------------------------------------------------------------------------------------
# payload helpers
# ---------------------------------------------------------------------------------------

def find_key(obj, key):
    """The first value stored under `key` anywhere in a JSON document, else None."""
    if isinstance(obj, dict):
        if key in obj:
            return obj[key]
        for v in obj.values():
            found = find_key(v, key)
            if found is not None:
                return found
    elif isinstance(obj, list):
        for v in obj:
            found = find_key(v, key)
            if found is not None:
                return found
    return None


def has_value(obj, value):
    """True if some string in the JSON document equals `value`."""
    if isinstance(obj, dict):
        return any(has_value(v, value) for v in obj.values())
    if isinstance(obj, list):
        return any(has_value(v, value) for v in obj)
    return obj == value


def is_page(ref=None):
    """Predicate for receiver requests: a webhook page (type incident.page), of `ref`."""
    def pred(req):
        body = req.json
        if not isinstance(body, dict) or body.get("type") != "incident.page":
            return False
        return ref is None or has_value(body.get("data"), ref)
    return pred


def mentions(ref):
    """Predicate: the request body mentions `ref` (any channel)."""
    return lambda req: ref in req.text


def action_links(text):
    out = []
    for m in ACTION_LINK_RE.finditer(text):
        if m.group(0) not in out:
            out.append(m.group(0))
    return out


def classify_links(text):
    """{"ack": url, "resolve": url, "verify": url} guessed from the word nearest to each
    action link: before it in plain text, after it inside an HTML href."""
    words = {"ack": re.compile(r"\back"), "resolve": re.compile(r"\bresolv"), "verify": re.compile(r"\bverif")}
    matches = list(ACTION_LINK_RE.finditer(text))

    def nearest(ctx, from_end):
        best, best_d = None, None
        for action, rx in words.items():
            hits = [m.start() for m in rx.finditer(ctx)]
            if not hits:
                continue
            d = len(ctx) - hits[-1] if from_end else hits[0]
            if best_d is None or d < best_d:
                best, best_d = action, d
        return best

    out = {}
    for i, m in enumerate(matches):
        prev_end = matches[i - 1].end() if i else max(0, m.start() - 200)
        next_start = matches[i + 1].start() if i + 1 < len(matches) else m.end() + 120
        before = text[prev_end:m.start()].lower()
        after = text[m.end():min(next_start, m.end() + 120)].lower()
        in_href = "href=" in text[max(0, m.start() - 8):m.start()].lower()
        order = ((after, False), (before, True)) if in_href else ((before, True), (after, False))
        for ctx, from_end in order:
            action = nearest(ctx, from_end)
            if action:
                out.setdefault(action, m.group(0))
                break
    return out


URL_RE = re.compile(r"https?://\S+")


def find_verify_code(obj):
    """The 6-digit code in a test message (a JSON body, or text)."""
    preferred, loose = [], []

    def walk(o, key=""):
        if isinstance(o, dict):
            for k, v in o.items():
                walk(v, k)
        elif isinstance(o, list):
            for v in o:
                walk(v, key)
        elif isinstance(o, (str, int)) and not isinstance(o, bool):
            s = str(o)
            if "code" in key.lower() and re.fullmatch(r"\d{6}", s):
                preferred.append(s)
            else:
                loose.extend(re.findall(r"(?<![\w-])\d{6}(?![\w-])", URL_RE.sub(" ", s)))

    walk(obj)
    if preferred:
        return preferred[0]
    if len(set(loose)) == 1:
        return loose[0]
    raise AssertionError("no unique 6-digit code in the test message (%r): %r" % (sorted(set(loose)), obj))


# ---------------------------------------------------------------------------------------
# iCalendar helpers
# ---------------------------------------------------------------------------------------

def ical_physical_lines(raw):
    """Checks the lexical rules (CRLF only, <= 75 octets) and returns the physical lines."""
    problems = []
    if not raw.endswith(b"\r\n"):
        problems.append("does not end with CRLF")
    lines = raw[:-2].split(b"\r\n") if raw.endswith(b"\r\n") else raw.split(b"\r\n")
    for i, line in enumerate(lines):
        if b"\n" in line or b"\r" in line:
            problems.append("line %d has a bare CR or LF: %r" % (i + 1, line[:80]))
        if len(line) > 75:
            problems.append("line %d is %d octets (> 75): %r" % (i + 1, len(line), line[:100]))
    return lines, problems


def ical_unfold(lines):
    out = []
    for line in lines:
        if line[:1] in (b" ", b"\t") and out:
            out[-1] += line[1:]
        else:
            out.append(line)
    return [l.decode("utf-8") for l in out]


def ical_components(logical):
    """[(name, {PROP: [(params, value)]})] for every VEVENT, plus the calendar's own props."""
    events, cal_props, stack, cur = [], {}, [], None
    for line in logical:
        head, _, value = line.partition(":")
        name = head.split(";")[0].upper()
        if name == "BEGIN":
            stack.append(value.upper())
            if value.upper() == "VEVENT":
                cur = {}
            continue
        if name == "END":
            if stack and stack[-1] == value.upper():
                stack.pop()
            if value.upper() == "VEVENT":
                events.append(cur)
                cur = None
            continue
        target = cur if cur is not None else (cal_props if stack == ["VCALENDAR"] else None)
        if target is not None:
            target.setdefault(name, []).append((head, value))
    return cal_props, events


def ical_text(value):
    return value.replace("\\n", "\n").replace("\\N", "\n").replace("\\,", ",").replace("\\;", ";").replace("\\\\", "\\")


_ICAL_PARSE_SCRIPT = r"""
import json, sys
from icalendar import Calendar

def events(raw):
    out = []
    for ev in Calendar.from_ical(raw).walk("VEVENT"):
        out.append({"uid": str(ev.get("UID")), "start": ev.decoded("DTSTART").timestamp(),
                    "end": ev.decoded("DTEND").timestamp(), "summary": str(ev.get("SUMMARY", ""))})
    return out

if __name__ == "__main__":
    print(json.dumps(events(sys.stdin.buffer.read())))
"""


def parse_with_icalendar(raw):
    """Parse with the `icalendar` package (in this interpreter, else Debian's python3).
    Returns [{uid, start, end, summary}], or None if the package is missing."""
    if importlib.util.find_spec("icalendar") is not None:
        ns = {"__name__": "icalendar_check"}
        exec(_ICAL_PARSE_SCRIPT, ns)
        return ns["events"](raw)
    if os.path.exists("/usr/bin/python3"):
        probe = subprocess.run(["/usr/bin/python3", "-c", "import icalendar"], capture_output=True, timeout=30)
        if probe.returncode == 0:
            r = subprocess.run(["/usr/bin/python3", "-c", _ICAL_PARSE_SCRIPT], input=raw, capture_output=True,
                               timeout=30)
            if r.returncode != 0:
                raise AssertionError("icalendar could not parse the feed: %s" % r.stderr.decode(errors="replace")[-2000:])
            return json.loads(r.stdout)
    return None


# ---------------------------------------------------------------------------------------
# the base test case
# ---------------------------------------------------------------------------------------

class PagingCase(unittest.TestCase):
    """A manual-clock server, a webhook receiver (and optionally an SMTP sink) per test."""

    def start_stack(self, smtp=False, extra_args=()):
        self.rx = WebhookReceiver()
        self.addCleanup(self.rx.stop)
        args = list(extra_args)
        self.smtp = None
        if smtp:
            self.smtp = SmtpSink()
            self.addCleanup(self.smtp.stop)
            args += ["--smtp-url", self.smtp.url, "--smtp-from", "klaxon@example.test", "--smtp-starttls", "off"]
        self.server = start_server(self, clock="manual", extra_args=args)
        self.token = login_token(self.server, "admin")
        self.admin = Client(self.server, token=self.token)
        self.secrets = {}  # receiver path -> webhook secret
        self.users = {}
        return self.server

    # -- plumbing ------------------------------------------------------------------
    def later(self, actual, expected, what):
        """A check reported at the end (finish()), so one deviation does not hide the rest."""
        if not hasattr(self, "_deferred"):
            self._deferred = []
        if actual != expected:
            self._deferred.append("%s: expected %r, got %r" % (what, expected, actual))

    def finish(self):
        deferred = getattr(self, "_deferred", [])
        self.assertEqual(deferred, [], "deviations found along the way:\n  " + "\n  ".join(deferred))

    def ok(self, r, status, what):
        self.assertEqual(r.status, status, "%s: %r\n%s" % (what, r, self.server.log_tail(2500)))
        return r.body

    def patch(self, client, path, body):
        return client.request("PATCH", path, body)

    def put(self, client, path, body):
        return client.request("PUT", path, body)

    def now(self):
        r = self.admin.get(API + "/admin/clock")
        self.ok(r, 200, "GET /admin/clock")
        self.assertEqual(r.body["mode"], "manual")
        return parse_time(r.body["now"])

    def advance(self, seconds):
        r = self.admin.post(API + "/admin/clock/advance", {"seconds": seconds})
        self.ok(r, 200, "advance %s s" % seconds)
        return parse_time(r.body["now"])

    def advance_to(self, ts):
        """Advance the clock to at least `ts` (Unix seconds); returns the new now."""
        now = self.now()
        if ts > now:
            return self.advance(int(-(-(ts - now) // 1)))  # whole seconds, rounded up
        return now

    # -- people -------------------------------------------------------------------------
    def user(self, username, role="responder", name=None):
        r = self.admin.post(API + "/users", {"username": username, "name": name or username.title(),
                                             "role": role, "password": PW})
        u = self.ok(r, 201, "create user %s" % username)
        self.users[username] = u
        return u

    def method(self, username, kind, address, label=None, client=None):
        body = {"kind": kind, "address": address}
        if label is not None:
            body["label"] = label
        r = (client or self.admin).post("%s/users/%s/contact-methods" % (API, username), body)
        m = self.ok(r, 201, "add %s contact method for %s" % (kind, username))
        self.assertEqual(m["kind"], kind)
        self.assertEqual(m["address"], address)
        self.assertIs(m["verified"], False)
        self.assertIsInstance(m["id"], int)
        return m

    def webhook(self, username, path=None):
        path = path or "/" + username
        m = self.method(username, "webhook", self.rx.url(path))
        secret = m.get("webhook_secret")
        self.assertIsInstance(secret, str, "webhook contact method without webhook_secret: %r" % m)
        self.assertTrue(secret.startswith("whsec_"), m)
        self.secrets[path] = secret
        return m

    def rule(self, username, method_id, delay):
        r = self.admin.post("%s/users/%s/notification-rules" % (API, username),
                            {"contact_method": method_id, "delay_minutes": delay})
        body = self.ok(r, 201, "add rule for %s" % username)
        self.assertEqual((body["contact_method"], body["delay_minutes"]), (method_id, delay))
        return body

    def people(self, names=ROTATION):
        for n in names:
            self.user(n)
            self.webhook(n)

    # -- schedules and policies ---------------------------------------------------------------
    def schedule(self, name="primary-rotation", users=ROTATION, start_date=ROTATION_START, layer="primary",
                 unit="weeks", length=1, handoff_time="09:00"):
        body = {"name": name, "description": "test rotation", "time_zone": TZ_NAME,
                "layers": [{"name": layer, "users": list(users), "rotation": {"unit": unit, "length": length},
                            "start_date": start_date, "handoff_time": handoff_time}]}
        return self.ok(self.admin.post(API + "/schedules", body), 201, "create schedule %s" % name)

    def oncall(self, schedule_id, at=None):
        params = {"at": iso(at)} if at is not None else None
        r = self.admin.get("%s/schedules/%s/oncall" % (API, schedule_id), params=params)
        return self.ok(r, 200, "GET oncall at %s" % (iso(at) if at else "now"))

    def oncall_name(self, schedule_id, at=None):
        u = self.oncall(schedule_id, at)["user"]
        return u["username"] if u else None

    def policy(self, name, steps, repeat=0, default=None):
        body = {"name": name, "repeat": repeat,
                "steps": [{"delay_minutes": d, "targets": t} for d, t in steps]}
        if default is not None:
            body["default"] = default
        p = self.ok(self.admin.post(API + "/escalation-policies", body), 201, "create policy %s" % name)
        self.assertEqual(p["repeat"], repeat)
        self.assertEqual([s["delay_minutes"] for s in p["steps"]], [d for d, _ in steps])
        return p

    def service(self, name, policy):
        svc = self.ok(self.admin.post(API + "/services", {"name": name}), 201, "create service")
        r = self.patch(self.admin, "%s/services/%d" % (API, svc["id"]), {"escalation_policy": policy["id"]})
        body = self.ok(r, 200, "PATCH service escalation_policy")
        self.assertEqual(body["escalation_policy"], {"id": policy["id"], "name": policy["name"]})
        return body

    def simple_policy(self, name="pol", steps=(("alice", 5), ("bob", 10)), repeat=0, service="checkout"):
        p = self.policy(name, [(d, [{"type": "user", "name": u}]) for u, d in steps], repeat=repeat)
        if service:
            self.service(service, p)
        return p

    # -- incidents, escalation, notifications, events -------------------------------------------
    def declare(self, title, service="checkout", **kw):
        if service:
            kw["service"] = service
        return self.admin.declare(title, **kw)

    def incident(self, iid):
        return self.ok(self.admin.get("%s/incidents/%s" % (API, iid)), 200, "GET incident")

    def escalation(self, iid):
        return self.ok(self.admin.get("%s/incidents/%s/escalation" % (API, iid)), 200, "GET escalation")

    def notifications(self, **params):
        r = self.admin.get(API + "/notifications", params=params or None)
        return self.ok(r, 200, "GET notifications %r" % params)["items"]

    def wait_notifications(self, pred, what, timeout=DELIVERY_TIMEOUT, **params):
        deadline = time.monotonic() + timeout
        while True:
            items = self.notifications(**params)
            if pred(items):
                return items
            if time.monotonic() > deadline:
                self.fail("%s: notifications %r did not get there within %.0f s: %s"
                          % (what, params, timeout, json.dumps(items, indent=1)[:4000]))
            time.sleep(0.05)

    def settle(self, timeout=DELIVERY_TIMEOUT, **params):
        """Wait until no pending notification is due (every due attempt was made)."""
        def done(items):
            now = self.now()
            return not [n for n in items if n["status"] == "pending" and
                        (n.get("next_attempt_at") is None or parse_time(n["next_attempt_at"]) <= now)]
        return self.wait_notifications(done, "settle", timeout, **params)

    def events(self, kind=None, incident=None):
        evs = all_events(self.admin)
        return [e for e in evs if (kind is None or e["kind"] == kind) and
                (incident is None or e["incident_id"] == incident)]

    def verify_signature(self, req, path=None):
        secret = self.secrets[path or req.path]
        try:
            verify_standard_webhook(secret, req.headers, req.body, tolerance=300, now=[self.now(), time.time()])
        except WebhookVerificationError as e:
            self.fail("bad Standard Webhooks signature on %s: %s" % (req.path, e))

    def page_data(self, req):
        body = req.json
        self.assertIsInstance(body, dict, "page body is not a JSON object: %r" % req)
        self.assertEqual(body.get("type"), "incident.page", req)
        self.assertIsInstance(body.get("data"), dict, req)
        return body["data"]

    def wait_page(self, path, ref, count=1, timeout=DELIVERY_TIMEOUT):
        return self.rx.wait_for(count, path=path, predicate=is_page(ref), timeout=timeout,
                                what="page of %s to %s" % (ref, path))

    def page_counts(self, ref=None):
        return Counter(r.path for r in self.rx.requests(predicate=is_page(ref)))

    # -- action links ---------------------------------------------------------------------------
    def link_path(self, url):
        u = urllib.parse.urlsplit(url)
        self.assertEqual("%s://%s" % (u.scheme, u.netloc), self.server.url,
                         "action link not on the server's public URL: %s" % url)
        self.assertTrue(u.path.startswith("/a/"), url)
        return u.path + ("?" + u.query if u.query else "")

    def follow(self, url, method="POST"):
        c = Client(self.server)
        path = self.link_path(url) if url.startswith("http") else url
        if method == "POST":
            return c.request("POST", path, raw=b"", content_type="application/x-www-form-urlencoded",
                             headers={"Accept": "text/html"}, auth=False)
        return c.request(method, path, headers={"Accept": "text/html"}, auth=False)

    def assertHtml(self, r, status, what):
        if isinstance(status, tuple):
            self.assertIn(r.status, status, "%s: %r" % (what, r))
        else:
            self.assertEqual(r.status, status, "%s: %r" % (what, r))
        self.assertEqual(r.content_type, "text/html", "%s: content type: %r" % (what, r))

    def assertProblem(self, r, status, fields=None, what=""):
        self.assertEqual(r.status, status, "%s: %r" % (what, r))
        self.assertEqual(r.content_type, "application/problem+json", "%s: %r" % (what, r))
        self.assertIsInstance(r.body, dict, what)
        self.assertEqual(r.body.get("status"), status, "%s: %r" % (what, r))
        if fields:
            got = [e.get("field") for e in (r.body.get("errors") or [])]
            self.assertTrue(set(fields) & set(got), "%s: errors[].field should name one of %s: %r"
                            % (what, list(fields), r))


# ---------------------------------------------------------------------------------------
# 0. the verifier itself (no server)
# ---------------------------------------------------------------------------------------

class TestStandardWebhooksVerifier(unittest.TestCase):
    VECTORS = [
        ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330",
         b'{"test": 2432232314}', "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="),
        ("whsec_aW5jaWRlbnQtcGxhdGZvcm0tdGVzdC1zZWNyZXQtMzI=", "msg_01HZX0TEST", "1700000000",
         b'{"type":"incident.created","timestamp":"2023-11-14T22:13:20Z","data":{"id":"INC-1"}}',
         "v1,H0b6XQdwCBIe0nhm28fWpEYrVPTCcEF0IQJsFBPAhyE="),
    ]

    def test_spec_vectors(self):
        for secret, mid, ts, body, sig in self.VECTORS:
            h = {"webhook-id": mid, "webhook-timestamp": ts, "webhook-signature": sig}
            self.assertTrue(verify_standard_webhook(secret, h, body, now=int(ts)))
            # several signatures (rotation): one valid is enough
            h2 = dict(h, **{"webhook-signature": "v1,AAAA v1a,xyz " + sig})
            self.assertTrue(verify_standard_webhook(secret, h2, body, now=int(ts)))

    def test_rejections(self):
        secret, mid, ts, body, sig = self.VECTORS[0]
        h = {"webhook-id": mid, "webhook-timestamp": ts, "webhook-signature": sig}
        bad = [
            (secret, h, body + b" ", int(ts)),                                  # body changed
            ("whsec_" + "A" * 32, h, body, int(ts)),                            # other secret
            (secret, dict(h, **{"webhook-id": mid + "x"}), body, int(ts)),     # id changed
            (secret, h, body, int(ts) + 301),                                   # too old
            (secret, {"webhook-id": mid, "webhook-timestamp": ts}, body, int(ts)),  # unsigned
        ]
        for args in bad:
            with self.assertRaises(WebhookVerificationError):
                verify_standard_webhook(args[0], args[1], args[2], now=args[3])


# ---------------------------------------------------------------------------------------
# 1. schedules: who is on call
# ---------------------------------------------------------------------------------------

class TestSchedules(PagingCase):
    def setUp(self):
        self.start_stack()
        self.people()
        self.sch = self.schedule()

    def test_schedule_shape(self):
        s = self.sch
        self.assertIsInstance(s["id"], int)
        self.assertEqual((s["name"], s["time_zone"]), ("primary-rotation", TZ_NAME))
        self.assertEqual(len(s["layers"]), 1)
        self.assertEqual(s["layers"][0]["name"], "primary")
        self.assertIsInstance(s["ical_url"], str)
        by_name = self.ok(self.admin.get(API + "/schedules/primary-rotation"), 200, "GET schedule by name")
        self.assertEqual(by_name["id"], s["id"])
        listed = self.ok(self.admin.get(API + "/schedules"), 200, "GET schedules")["items"]
        self.assertEqual([x["id"] for x in listed], [s["id"]])
        expect, _, _ = expected_oncall(self.now())
        self.assertEqual(listed[0]["on_call_now"]["username"], expect, listed[0])

    def test_oncall_at_hand_computed_times(self):
        # Handoffs Monday 09:00 New York: EDT (13:00Z) until 1 Nov 2026, EST (14:00Z) after,
        # EDT again from 14 Mar 2027. Rotation alice, bob, carol from Mon 19 Oct 2026.
        cases = [
            ("2026-10-19T13:00:00.000Z", "alice", "2026-10-26T13:00:00.000Z"),
            ("2026-10-22T20:00:00.000Z", "alice", "2026-10-26T13:00:00.000Z"),
            ("2026-10-26T12:59:59.999Z", "alice", "2026-10-26T13:00:00.000Z"),
            ("2026-10-26T13:00:00.000Z", "bob", "2026-11-02T14:00:00.000Z"),
            ("2026-11-02T13:30:00.000Z", "bob", "2026-11-02T14:00:00.000Z"),  # 08:30 EST: not yet
            ("2026-11-02T14:00:00.000Z", "carol", "2026-11-09T14:00:00.000Z"),
            ("2026-11-12T03:00:00.000Z", "alice", "2026-11-16T14:00:00.000Z"),
            ("2026-11-23T14:00:00.000Z", "carol", "2026-11-30T14:00:00.000Z"),
            ("2026-12-01T00:00:00.000Z", "alice", "2026-12-07T14:00:00.000Z"),
            ("2027-03-15T12:59:59.999Z", "carol", "2027-03-15T13:00:00.000Z"),  # EDT from 14 Mar 2027
            ("2027-03-15T13:00:00.000Z", "alice", "2027-03-22T13:00:00.000Z"),
        ]
        for at, who, until in cases:
            with self.subTest(at=at):
                exp, _, exp_until = expected_oncall(parse_time(at))
                self.assertEqual((exp, iso(exp_until)), (who, until), "the hand-computed table is wrong")
                body = self.oncall(self.sch["id"], parse_time(at))
                self.assertEqual(body["schedule"], {"id": self.sch["id"], "name": "primary-rotation"})
                self.assertEqual(parse_time(body["at"]), parse_time(at))
                self.assertIsNotNone(body["user"], body)
                self.assertEqual(body["user"]["username"], who, body)
                self.assertEqual(body["user"]["id"], self.users[who]["id"])
                self.assertEqual(body["until"], until, body)
        with self.subTest("before the first handoff nobody is on call"):
            body = self.oncall(self.sch["id"], parse_time("2026-10-19T12:59:59.999Z"))
            self.assertIsNone(body["user"], body)

    def test_oncall_now(self):
        now = self.now()
        who, _, until = expected_oncall(now)
        body = self.oncall(self.sch["id"])
        self.assertEqual(parse_time(body["at"]), now)
        self.assertEqual(body["user"]["username"], who, body)
        self.assertEqual(body["until"], iso(until))
        everyone = self.ok(self.admin.get(API + "/oncall"), 200, "GET /oncall")["items"]
        self.assertEqual(len(everyone), 1, everyone)
        self.assertEqual(everyone[0]["schedule"]["id"], self.sch["id"])
        self.assertEqual(everyone[0]["user"]["username"], who)
        # the answer follows the clock: a week later the next person is on call
        self.advance(WEEK)
        nxt = ROTATION[(ROTATION.index(who) + 1) % 3]
        self.assertEqual(self.oncall_name(self.sch["id"]), nxt)
        later = self.ok(self.admin.get(API + "/oncall", params={"at": iso(now)}), 200, "GET /oncall?at")["items"]
        self.assertEqual(later[0]["user"]["username"], who)

    def test_shifts_are_contiguous(self):
        r = self.admin.get("%s/schedules/%d/shifts" % (API, self.sch["id"]),
                           params={"from": "2026-10-19T13:00:00.000Z", "to": "2026-11-09T14:00:00.000Z"})
        items = self.ok(r, 200, "GET shifts")["items"]
        got = [(s["user"]["username"], s["start"], s["end"], s["source"]) for s in items]
        self.assertEqual(got, [
            ("alice", "2026-10-19T13:00:00.000Z", "2026-10-26T13:00:00.000Z", "primary"),
            ("bob", "2026-10-26T13:00:00.000Z", "2026-11-02T14:00:00.000Z", "primary"),
            ("carol", "2026-11-02T14:00:00.000Z", "2026-11-09T14:00:00.000Z", "primary"),
        ])
        # three weeks from now: clipped to the range, contiguous, in rotation order
        now = self.now()
        frm, to = now, now + 3 * WEEK
        r = self.admin.get("%s/schedules/%d/shifts" % (API, self.sch["id"]), params={"from": iso(frm), "to": iso(to)})
        items = self.ok(r, 200, "GET shifts from now")["items"]
        self.assertIn(len(items), (3, 4), items)
        self.assertEqual(items[0]["start"], iso(frm))
        self.assertEqual(items[-1]["end"], iso(to))
        for a, b in zip(items, items[1:]):
            self.assertEqual(a["end"], b["start"], "gap or overlap between shifts: %r" % items)
            self.assertNotEqual(a["user"]["username"], b["user"]["username"])
        for s in items:
            who, start, end = expected_oncall(parse_time(s["start"]))
            self.assertEqual(s["user"]["username"], who, s)
            self.assertEqual(s["end"], iso(min(end, to)), s)
        # default window: now .. +7 days
        items = self.ok(self.admin.get("%s/schedules/%d/shifts" % (API, self.sch["id"])), 200, "GET shifts")["items"]
        self.assertEqual(items[0]["start"], iso(now))
        self.assertEqual(items[-1]["end"], iso(now + WEEK))

    def test_override_changes_who_is_on_call(self):
        now = self.now()
        _, _, next_handoff = expected_oncall(now)
        start = next_handoff + 86400       # Tuesday of the next rotation week
        end = start + 6 * 3600
        regular, _, _ = expected_oncall(start)
        cover = ROTATION[(ROTATION.index(regular) + 1) % 3]
        responder = Client(self.server, token=login_token(self.server, "responder"))
        viewer = Client(self.server, token=login_token(self.server, "viewer"))
        path = "%s/schedules/%d/overrides" % (API, self.sch["id"])
        body = {"user": cover, "start": iso(start), "end": iso(end)}
        self.assertEqual(viewer.post(path, body).status, 403)
        o = self.ok(responder.post(path, body), 201, "create override")
        self.assertEqual((o["start"], o["end"]), (iso(start), iso(end)))
        self.assertIsInstance(o["id"], int)

        at = self.oncall(self.sch["id"], start - 0.001)
        self.assertEqual(at["user"]["username"], regular)
        self.assertEqual(at["until"], iso(start), "on call until the override starts")
        at = self.oncall(self.sch["id"], start)
        self.assertEqual(at["user"]["username"], cover, at)
        self.assertEqual(at["until"], iso(end))
        self.assertEqual(self.oncall_name(self.sch["id"], start + 3 * 3600), cover)
        self.assertEqual(self.oncall_name(self.sch["id"], end), regular)

        r = self.admin.get("%s/schedules/%d/shifts" % (API, self.sch["id"]),
                           params={"from": iso(start - 3600), "to": iso(end + 3600)})
        got = [(s["user"]["username"], s["start"], s["end"], s["source"]) for s in self.ok(r, 200, "shifts")["items"]]
        self.assertEqual(got, [(regular, iso(start - 3600), iso(start), "primary"),
                               (cover, iso(start), iso(end), "override"),
                               (regular, iso(end), iso(end + 3600), "primary")])

        listed = self.ok(self.admin.get(path), 200, "GET overrides")["items"]
        self.assertEqual([x["id"] for x in listed], [o["id"]])
        self.assertEqual(self.admin.delete("%s/%d" % (path, o["id"])).status, 204)
        self.assertEqual(self.oncall_name(self.sch["id"], start + 3 * 3600), regular)
        self.assertEqual(self.ok(self.admin.get(path), 200, "GET overrides")["items"], [])


    def test_swap_trades_two_shifts(self):
        now = self.now()
        _, _, next_handoff = expected_oncall(now)
        a = next_handoff + 3600                 # inside next week's shift
        b = next_handoff + 7 * 86400 + 3600     # inside the week after
        user_a = self.oncall_name(self.sch["id"], a)
        user_b = self.oncall_name(self.sch["id"], b)
        self.assertNotEqual(user_a, user_b)
        path = "%s/schedules/%d/swaps" % (API, self.sch["id"])
        r = self.ok(self.admin.post(path, {"a": iso(a), "b": iso(b)}), 201, "swap")
        self.assertEqual(len(r["overrides"]), 2)
        self.assertEqual(self.oncall_name(self.sch["id"], a), user_b)
        self.assertEqual(self.oncall_name(self.sch["id"], b), user_a)
        # the whole shifts moved, not just the instants
        self.assertEqual(self.oncall_name(self.sch["id"], next_handoff + 5 * 86400), user_b)
        r = self.admin.post(path, {"a": iso(a), "b": iso(a + 60)})
        self.assertEqual(r.status, 422, r)

# ---------------------------------------------------------------------------------------
# 2. escalation
# ---------------------------------------------------------------------------------------

class TestEscalation(PagingCase):
    def setUp(self):
        self.start_stack()
        self.people()

    def test_steps_delays_repeat_and_exhaustion(self):
        sch = self.schedule()
        t0 = self.now()
        first = self.oncall_name(sch["id"])
        self.assertEqual(first, expected_oncall(t0)[0])
        other = [u for u in ROTATION if u != first][0]
        pol = self.policy("primary", [(5, [{"type": "schedule", "id": sch["id"]}]),
                                      (10, [{"type": "user", "name": other}])], repeat=1)
        self.assertEqual(pol["steps"][0]["targets"][0]["type"], "schedule")
        self.assertEqual(pol["steps"][0]["targets"][0]["name"], "primary-rotation")
        self.assertEqual(pol["steps"][1]["targets"][0]["type"], "user")
        self.assertEqual(pol["steps"][1]["targets"][0]["name"], other)
        self.service("checkout", pol)

        inc = self.declare("Checkout is down", severity="SEV-1")
        ref, t0 = inc["ref"], parse_time(inc["created_at"])
        expected = Counter()
        # step 1: whoever is on call now, exactly once
        expected["/" + self.oncall_name(sch["id"], t0)] += 1
        pages = self.wait_page("/" + first, ref)
        self.rx.wait_quiet(QUIET)
        self.assertEqual(self.page_counts(), expected)
        self.assertEqual(self.rx.count(predicate=is_page()), 1, self.rx.requests())
        req = pages[0]
        self.assertEqual(req.method, "POST")
        self.assertEqual(req.content_type, "application/json")
        self.verify_signature(req)
        body = req.json
        self.assertIsInstance(body.get("timestamp"), str, body)
        data = self.page_data(req)
        self.assertTrue(has_value(data, ref), "page data without the incident ref %s: %r" % (ref, data))
        self.assertTrue(has_value(data, "Checkout is down"), "page data without the title: %r" % data)
        ack, resolve = find_key(data, "ack_url"), find_key(data, "resolve_url")
        self.assertIsInstance(ack, str, data)
        self.assertIsInstance(resolve, str, data)
        self.link_path(ack)
        self.link_path(resolve)
        self.assertNotEqual(ack, resolve)

        def state(what, expect_state, expect_step, expect_repeat, expect_next):
            esc = self.escalation(inc["id"])
            self.later((esc["state"], esc["step"], esc["repeat"], esc["next_at"]),
                       (expect_state, expect_step, expect_repeat, expect_next and iso(expect_next)),
                       "escalation (state, step, repeat, next_at) %s" % what)
            return esc

        esc = state("after the incident opened", "active", 1, 0, t0 + 300)
        self.assertEqual(esc["policy"], {"id": pol["id"], "name": "primary"})

        self.advance(240)
        self.assertEqual(self.rx.wait_quiet(QUIET, predicate=is_page()), [], "paged before step 1's delay ran out")
        state("4 min in", "active", 1, 0, t0 + 300)

        self.advance(60)  # t0 + 5 min: step 2
        expected["/" + other] += 1
        self.wait_page("/" + other, ref)
        self.rx.wait_quiet(QUIET)
        self.assertEqual(self.page_counts(), expected)
        state("after step 2 fired (first pass)", "active", 2, 0, t0 + 900)

        self.advance(600)  # t0 + 15 min: the repeat starts with step 1 again
        who = self.oncall_name(sch["id"], t0 + 900)
        expected["/" + who] += 1
        self.wait_page("/" + who, ref, count=expected["/" + who])
        self.rx.wait_quiet(QUIET)
        self.assertEqual(self.page_counts(), expected)
        state("after step 1 fired again (repeat 1)", "active", 1, 1, t0 + 1200)

        self.advance(300)  # t0 + 20 min: step 2 of the repeat
        expected["/" + other] += 1
        self.wait_page("/" + other, ref, count=expected["/" + other])
        self.rx.wait_quiet(QUIET)
        self.assertEqual(self.page_counts(), expected)
        state("after step 2 fired in the repeat (its 10 min still running)", "active", 2, 1, t0 + 1800)

        self.advance(599)
        state("9:59 after the last step fired", "active", 2, 1, t0 + 1800)
        self.advance(1)  # t0 + 30 min: the last step's delay ran out, the repeat is over
        esc = self.escalation(inc["id"])
        self.assertEqual(esc["state"], "exhausted", esc)
        self.assertIsNone(esc["next_at"], esc)
        self.advance(3600)
        self.assertEqual(self.rx.wait_quiet(QUIET, predicate=is_page()), [])
        self.assertEqual(self.page_counts(), expected)
        self.assertEqual(sum(expected.values()), 4)

        fired = self.events("escalation.step_fired", inc["id"])
        self.assertEqual(len(fired), 4, [e["kind"] for e in self.events(incident=inc["id"])])
        exhausted = self.events("escalation.exhausted", inc["id"])
        self.assertEqual(len(exhausted), 1)
        self.assertGreater(exhausted[0]["seq"], fired[-1]["seq"])
        self.assertEqual([ms(parse_time(e["at"])) for e in fired], [ms(t0 + d) for d in (0, 300, 900, 1200)])
        self.later(iso(parse_time(exhausted[0]["at"])), iso(t0 + 1800),
                   "escalation.exhausted at (when the last step's delay ran out)")
        self.assertEqual(self.incident(inc["id"])["status"], "triggered")
        self.finish()

    def test_default_policy_and_reopen(self):
        pol = self.policy("fallback", [(5, [{"type": "user", "name": "carol"}])], default=True)
        self.assertIs(pol["default"], True)
        inc = self.declare("No service at all", service=None)
        self.wait_page("/carol", inc["ref"])
        self.assertEqual(self.escalation(inc["id"])["policy"]["id"], pol["id"])
        esc = self.escalation(inc["id"])
        self.later((esc["state"], esc["next_at"]), ("active", iso(parse_time(inc["created_at"]) + 300)),
                   "escalation of a 1-step policy within the step's delay")
        self.ok(self.admin.post("%s/incidents/%d/resolve" % (API, inc["id"]), {}), 200, "resolve")
        self.later(self.escalation(inc["id"])["state"], "stopped", "escalation state after resolve")
        self.advance(600)
        self.assertEqual(self.rx.wait_quiet(QUIET, predicate=is_page()), [])
        self.ok(self.admin.post("%s/incidents/%d/reopen" % (API, inc["id"]), {}), 200, "reopen")
        self.wait_page("/carol", inc["ref"], count=2)
        esc = self.escalation(inc["id"])
        self.later((esc["state"], esc["step"]), ("active", 1), "escalation (state, step) after reopen")
        self.assertEqual(self.page_counts(), Counter({"/carol": 2}))
        self.finish()

    def test_no_policy_pages_nobody(self):
        inc = self.declare("Nobody to page", service=None)
        esc = self.escalation(inc["id"])
        self.assertEqual((esc["policy"], esc["state"]), (None, "none"), esc)
        self.advance(3600)
        self.assertEqual(self.rx.wait_quiet(QUIET), [])
        self.assertEqual(self.notifications(incident=inc["id"]), [])

    def test_role_target(self):
        pol = self.policy("with-role", [(5, [{"type": "user", "name": "alice"}]),
                                        (5, [{"type": "role", "name": "commander"}])])
        self.service("checkout", pol)
        inc = self.declare("Role escalation")
        self.wait_page("/alice", inc["ref"])
        r = self.put(self.admin, "%s/incidents/%d/roles/commander" % (API, inc["id"]), {"user": "bob"})
        roles = self.ok(r, 200, "assign commander")
        roles = roles["items"] if isinstance(roles, dict) else roles
        self.assertEqual([(x["role"], x["user"]["username"]) for x in roles], [("commander", "bob")])
        self.rx.wait_for(1, path="/bob", what="role holder notified")
        time.sleep(0.3)
        before = len(self.rx.requests("/bob", predicate=is_page(inc["ref"])))
        self.advance(300)  # step 2: whoever holds the role now
        self.wait_page("/bob", inc["ref"], count=before + 1)
        esc = self.escalation(inc["id"])
        self.assertEqual(esc["step"], 2, esc)


# ---------------------------------------------------------------------------------------
# 3. signed action links
# ---------------------------------------------------------------------------------------

def tamper(url):
    """The link with one character of its token changed (in the signature part)."""
    base, _, token = url.rpartition("/")
    i = len(token) // 2 if "." not in token else token.index(".") + (len(token) - token.index(".")) // 2
    c = token[i]
    return "%s/%s%s%s" % (base, token[:i], "A" if c != "A" else "B", token[i + 1:])


def tamper_payload(url):
    base, _, token = url.rpartition("/")
    i = 2
    c = token[i]
    return "%s/%s%s%s" % (base, token[:i], "x" if c != "x" else "y", token[i + 1:])


class TestActionLinks(PagingCase):
    def setUp(self):
        self.start_stack()
        self.people(["alice", "bob"])
        self.simple_policy(steps=(("alice", 5), ("bob", 5)))

    def page_links(self, inc, path="/alice", count=1):
        req = self.wait_page(path, inc["ref"], count=count)[-1]
        data = self.page_data(req)
        return find_key(data, "ack_url"), find_key(data, "resolve_url")

    def test_ack_link(self):
        inc = self.declare("Ack me by link")
        ack, resolve = self.page_links(inc)
        self.wait_notifications(lambda items: items and all(n["status"] == "sent" for n in items),
                                "page sent", incident=inc["id"])
        events_before = len(self.events())
        r = self.follow(ack, "GET")
        self.assertHtml(r, 200, "GET ack link")
        self.assertEqual(self.incident(inc["id"])["status"], "triggered", "GET must change nothing")
        self.assertEqual(len(self.events()), events_before, "GET must change nothing")

        r = self.follow(ack)
        self.assertHtml(r, (200, 303), "POST ack link")
        got = self.incident(inc["id"])
        self.assertEqual(got["status"], "acknowledged", got)
        self.assertIsNotNone(got["acknowledged_at"])
        acked = self.events("incident.acknowledged", inc["id"])
        self.assertEqual(len(acked), 1)
        self.assertEqual(acked[0]["actor"]["name"], "alice", "acknowledged as the paged user: %r" % acked[0])
        esc = self.escalation(inc["id"])
        self.assertEqual(esc["state"], "stopped", esc)
        self.assertIsNone(esc["next_at"])
        before = self.rx.count(predicate=is_page())
        self.advance(1800)
        self.assertEqual(self.rx.wait_quiet(QUIET, predicate=is_page()), [], "paged after the acknowledgement")
        self.assertEqual(self.rx.count(predicate=is_page()), before)

        self.assertHtml(self.follow(ack), 409, "second POST of the ack link")
        self.assertHtml(self.follow(tamper(ack)), 401, "tampered ack link (signature)")
        self.assertHtml(self.follow(tamper_payload(ack)), 401, "tampered ack link (payload)")
        self.assertHtml(self.follow("/a/not-a-token"), 401, "garbage token")
        self.assertHtml(self.follow(tamper(resolve)), 401, "tampered resolve link")
        self.assertEqual(self.incident(inc["id"])["status"], "acknowledged")

        # the resolve link of the same page still works, once
        self.assertHtml(self.follow(resolve), (200, 303), "POST resolve link")
        self.assertEqual(self.incident(inc["id"])["status"], "resolved")
        self.assertHtml(self.follow(resolve), 409, "second POST of the resolve link")

    def test_resolve_link_stops_paging(self):
        inc = self.declare("Resolve me by link")
        _, resolve = self.page_links(inc)
        self.assertHtml(self.follow(resolve, "GET"), 200, "GET resolve link")
        self.assertEqual(self.incident(inc["id"])["status"], "triggered")
        self.assertHtml(self.follow(resolve), (200, 303), "POST resolve link")
        got = self.incident(inc["id"])
        self.assertEqual(got["status"], "resolved")
        resolved = self.events("incident.resolved", inc["id"])
        self.assertEqual(resolved[0]["actor"]["name"], "alice")
        self.assertEqual(self.escalation(inc["id"])["state"], "stopped")
        self.advance(900)
        self.assertEqual(self.rx.wait_quiet(QUIET, predicate=is_page()), [])
        self.assertEqual(self.page_counts(), Counter({"/alice": 1}))

    def test_expired_link(self):
        inc = self.declare("Too late")
        ack, _ = self.page_links(inc)
        self.advance(24 * 3600 + 60)
        self.assertHtml(self.follow(ack), 410, "ack link after 24 h")
        self.assertEqual(self.incident(inc["id"])["status"], "triggered")


# ---------------------------------------------------------------------------------------
# 4. SIGKILL in the middle of an escalation
# ---------------------------------------------------------------------------------------

class TestCrashDuringEscalation(PagingCase):
    def setUp(self):
        self.start_stack()
        self.people(["alice", "bob"])
        self.simple_policy(steps=(("alice", 5), ("bob", 10)))

    def declare_and_wait_sent(self, title):
        inc = self.declare(title)
        self.wait_page("/alice", inc["ref"])
        self.wait_notifications(lambda items: items and all(n["status"] == "sent" for n in items),
                                "step 1 notification sent", incident=inc["id"])
        return inc, parse_time(inc["created_at"])

    def restart_after_kill(self):
        self.server.kill()
        self.server.start()
        self.assertEqual(Client(self.server).get("/readyz").status, 200)

    def test_kill_between_steps(self):
        inc, t0 = self.declare_and_wait_sent("Crash between steps")
        self.assertEqual(self.escalation(inc["id"])["next_at"], iso(t0 + 300))
        self.restart_after_kill()
        esc = self.escalation(inc["id"])
        self.assertEqual((esc["state"], esc["step"]), ("active", 1), esc)
        self.assertEqual(esc["next_at"], iso(t0 + 300), "the step timer is stored as an absolute time")
        now1 = self.now()
        self.assertGreaterEqual(now1, t0)
        due = t0 + 300
        if due - now1 > 5:
            self.advance(int(due - now1) - 3)
            self.assertEqual(self.rx.wait_quiet(QUIET, predicate=is_page()), [],
                             "paged before the step was due (after restart)")
        self.advance_to(due + 1)
        self.wait_page("/bob", inc["ref"])
        self.rx.wait_quiet(QUIET)
        self.assertEqual(self.rx.count("/alice"), 1, self.rx.requests())
        self.assertEqual(self.rx.count("/bob"), 1, self.rx.requests())
        ids = {r.webhook_id for r in self.rx.requests()}
        self.assertEqual(len(ids), 2)
        self.advance(600)
        self.assertEqual(self.escalation(inc["id"])["state"], "exhausted")
        self.assertEqual(self.rx.wait_quiet(QUIET, predicate=is_page()), [])
        self.assertEqual(self.page_counts(), Counter({"/alice": 1, "/bob": 1}))
        self.assertEqual(len(self.events("escalation.step_fired", inc["id"])), 2)

    def test_kill_right_after_a_step_fires(self):
        inc, t0 = self.declare_and_wait_sent("Crash as step 2 fires")
        self.advance(300)  # step 2's page is committed when this returns; kill before/while sending
        self.restart_after_kill()
        # the manual clock restarted from the real time, i.e. before the page was created
        self.advance_to(t0 + 301)
        self.wait_page("/bob", inc["ref"], timeout=DELIVERY_TIMEOUT + 3)
        self.settle(incident=inc["id"])
        self.rx.wait_quiet(QUIET)
        bob = self.rx.requests("/bob")
        self.assertEqual(len({r.webhook_id for r in bob}), 1, "one page, one webhook-id: %r" % bob)
        self.assertIn(len(bob), (1, 2), "at most one re-send of a delivery in flight at the kill: %r" % bob)
        self.assertEqual(self.rx.count("/alice"), 1)
        items = self.notifications(incident=inc["id"])
        self.assertEqual(sorted(n["status"] for n in items), ["sent", "sent"], items)
        self.assertEqual(len(self.events("escalation.step_fired", inc["id"])), 2)


# ---------------------------------------------------------------------------------------
# 5. notification rules and email
# ---------------------------------------------------------------------------------------

class TestNotificationRules(PagingCase):
    def setUp(self):
        self.start_stack(smtp=True)
        self.user("dave", name="Dave Example")
        self.hook = self.webhook("dave")
        self.mail = self.method("dave", "email", "dave@example.test", label="work mail")
        self.rule("dave", self.hook["id"], 0)
        self.rule("dave", self.mail["id"], 2)
        u = self.ok(self.admin.get(API + "/users/dave"), 200, "GET user")
        self.assertEqual(sorted(m["id"] for m in u["contact_methods"]), sorted([self.hook["id"], self.mail["id"]]))
        self.assertEqual(sorted((x["contact_method"], x["delay_minutes"]) for x in u["notification_rules"]),
                         sorted([(self.hook["id"], 0), (self.mail["id"], 2)]))
        self.simple_policy(steps=(("dave", 30),))

    def email_row(self, iid):
        rows = [n for n in self.notifications(incident=iid) if n["channel"] == "email"]
        self.assertEqual(len(rows), 1, rows)
        return rows[0]

    def test_email_after_its_delay_with_a_working_ack_link(self):
        inc = self.declare("Payments failing", severity="SEV-2")
        t0 = parse_time(inc["created_at"])
        self.wait_page("/dave", inc["ref"])
        time.sleep(QUIET)
        self.assertEqual(self.smtp.messages(), [], "the email rule has a 2 minute delay")
        row = self.email_row(inc["id"])
        self.assertEqual(row["status"], "pending", row)
        self.assertEqual(row["address"], "dave@example.test")
        self.assertEqual(ms(parse_time(row["next_attempt_at"])), ms(t0 + 120), row)

        self.advance(119)
        time.sleep(QUIET)
        self.assertEqual(self.smtp.messages(), [])
        self.advance(1)
        mails = self.smtp.wait_for(1, timeout=DELIVERY_TIMEOUT, what="email page")
        time.sleep(0.5)
        self.assertEqual(len(self.smtp.messages()), 1)
        m = mails[0]
        self.assertEqual(m.mail_from, "klaxon@example.test")
        self.assertEqual(m.rcpt_tos, ["dave@example.test"])
        self.assertIn("dave@example.test", m.header("To"))
        self.assertIn("klaxon@example.test", m.header("From"))
        self.assertIn(inc["ref"], m.subject)
        self.assertIn("Payments failing", m.subject)
        self.assertTrue(m.header("Message-ID"), "no Message-ID")
        self.assertTrue(m.header("Date"), "no Date")
        text = m.text()
        links = classify_links(text)
        if "ack" not in links:  # fall back to the HTML part
            links = classify_links(m.all_text())
        self.assertIn("ack", links, "no acknowledge link found in the mail:\n%s" % m.all_text()[:3000])
        self.assertHtml(self.follow(links["ack"]), (200, 303), "POST ack link from the email")
        self.assertEqual(self.incident(inc["id"])["status"], "acknowledged")
        self.assertEqual(self.email_row(inc["id"])["status"], "sent")

    def test_ack_before_the_delay_cancels_the_email(self):
        inc = self.declare("Acked in time")
        self.wait_page("/dave", inc["ref"])
        self.advance(60)
        self.ok(self.admin.post("%s/incidents/%d/acknowledge" % (API, inc["id"]), {}), 200, "acknowledge")
        self.advance(180)
        time.sleep(QUIET)
        self.assertEqual(self.smtp.messages(), [], "the email must be cancelled by the acknowledgement")
        rows = self.notifications(incident=inc["id"])
        by_channel = {n["channel"]: n["status"] for n in rows}
        self.assertEqual(by_channel, {"webhook": "sent", "email": "cancelled"}, rows)
        cancelled = self.notifications(status="cancelled")
        self.assertEqual([n["channel"] for n in cancelled], ["email"])


# ---------------------------------------------------------------------------------------
# 6. chat formats
# ---------------------------------------------------------------------------------------

class TestChatFormats(PagingCase):
    def test_platform_shapes(self):
        self.start_stack()
        self.user("erin")
        self.rx.respond("/slack", 200, "ok")
        self.rx.respond("/teams", 200, "1")
        self.rx.respond("/discord", 204)
        self.rx.respond("/mattermost", 200, "ok")
        for kind in ("slack", "teams", "discord", "mattermost"):
            self.method("erin", kind, self.rx.url("/" + kind))
        self.simple_policy(steps=(("erin", 30),))
        title = "Checkout errors above 5%"
        inc = self.declare(title, severity="SEV-2")
        ref = inc["ref"]
        got = {}
        for kind in ("slack", "teams", "discord", "mattermost"):
            got[kind] = self.rx.wait_for(1, path="/" + kind, timeout=DELIVERY_TIMEOUT, what=kind)[0]
        self.rx.wait_quiet(QUIET)
        for kind, req in got.items():
            with self.subTest(kind):
                self.assertEqual(self.rx.count("/" + kind), 1)
                self.assertEqual(req.method, "POST")
                self.assertEqual(req.content_type, "application/json")
                self.assertIsInstance(req.json, dict, req)
                self.assertIn(ref, req.text)
                self.assertGreaterEqual(len(action_links(req.text)), 2, "ack and resolve links: %s" % req.text)

        slack = got["slack"].json
        self.assertIsInstance(slack.get("text"), str)
        self.assertIn(ref, slack["text"])
        self.assertIsInstance(slack.get("blocks"), list)
        self.assertTrue(slack["blocks"])
        for b in slack["blocks"]:
            self.assertIsInstance(b.get("type"), str, b)

        teams = got["teams"].json
        self.assertEqual(teams.get("type"), "message")
        att = teams["attachments"][0]
        self.assertEqual(att["contentType"], "application/vnd.microsoft.card.adaptive")
        self.assertEqual(att["content"]["type"], "AdaptiveCard")
        self.assertIsInstance(att["content"]["version"], str)
        self.assertIsInstance(att["content"]["body"], list)

        discord = got["discord"].json
        self.assertTrue(isinstance(discord.get("content"), str) or discord.get("embeds"), discord)
        embeds = discord.get("embeds") or []
        self.assertTrue(embeds, "discord: no embeds")
        for e in embeds:
            if "color" in e:
                self.assertIsInstance(e["color"], int)
                self.assertNotIsInstance(e["color"], bool)
        self.assertTrue(any(isinstance(e.get("color"), int) for e in embeds), embeds)
        am = discord.get("allowed_mentions")
        self.assertIsInstance(am, dict, discord)
        self.assertNotIn("everyone", am.get("parse", []))

        mm = got["mattermost"].json
        self.assertIsInstance(mm.get("text"), str)
        self.assertTrue(mm["text"])
        if "attachments" in mm:
            self.assertIsInstance(mm["attachments"], list)

        # answers like the platforms' count as delivered
        rows = self.wait_notifications(lambda items: len(items) == 4 and all(n["status"] == "sent" for n in items),
                                       "all four chat deliveries sent", incident=inc["id"])
        self.assertEqual(sorted(n["channel"] for n in rows), ["discord", "mattermost", "slack", "teams"])


# ---------------------------------------------------------------------------------------
# 7. deliveries: retries, give-up, max age
# ---------------------------------------------------------------------------------------

class TestDeliveryRetries(PagingCase):
    def setUp(self):
        self.start_stack()
        self.people(["frank"])
        self.simple_policy(steps=(("frank", 1440),))

    def step_retries(self, rounds, **params):
        """Advance past every pending notification's next attempt, `rounds` times."""
        for _ in range(rounds):
            items = self.settle(**params)
            pending = [parse_time(n["next_attempt_at"]) for n in items if n["status"] == "pending"]
            if not pending:
                return
            self.advance_to(max(pending) + 0.5)
        self.settle(**params)

    def test_503_then_recovery_delivers_each_page_once(self):
        self.rx.down("/frank")
        incs = [self.declare("Retry me %d" % i) for i in range(3)]
        refs = [i["ref"] for i in incs]
        self.rx.wait_for(3, path="/frank", what="first attempts")
        self.settle()
        for inc in incs:
            rows = self.notifications(incident=inc["id"])
            self.assertEqual(len(rows), 1, rows)
            n = rows[0]
            self.assertEqual(n["status"], "pending", n)
            self.assertGreaterEqual(n["attempts"], 1, n)
            self.assertIsInstance(n["last_error"], str, n)
            self.assertIn("503", n["last_error"], n)
            self.assertIsNone(n["sent_at"])
        self.step_retries(3)
        for inc in incs:
            n = self.notifications(incident=inc["id"])[0]
            self.assertGreaterEqual(n["attempts"], 2, "no retries happened: %r" % n)
            self.assertEqual(n["status"], "pending")
        # retries carry the same webhook-id (idempotency key); each page has its own
        ids = {}
        for ref in refs:
            reqs = self.rx.requests("/frank", predicate=is_page(ref))
            self.assertEqual(len({r.webhook_id for r in reqs}), 1, reqs)
            ids[ref] = reqs[0].webhook_id
            for r in reqs:
                self.verify_signature(r)
        self.assertEqual(len(set(ids.values())), 3)

        self.rx.up("/frank")
        self.step_retries(5)
        self.rx.wait_quiet(QUIET)
        for inc in incs:
            n = self.notifications(incident=inc["id"])[0]
            self.assertEqual(n["status"], "sent", n)
            self.assertIsNotNone(n["sent_at"])
            reqs = self.rx.requests("/frank", predicate=is_page(inc["ref"]))
            self.assertEqual(n["attempts"], len(reqs), "attempts vs requests received: %r" % n)
        ok = [r for r in self.rx.requests("/frank") if r.ok]
        self.assertEqual(len(ok), 3, "raw count of delivered pages: %r" % ok)
        self.assertEqual(Counter(r.webhook_id for r in ok), Counter(ids.values()))
        # nothing more arrives later
        self.advance(3600)
        self.assertEqual([r for r in self.rx.wait_quiet(QUIET) if r.ok], [])

    def test_unreachable_receiver_then_back(self):
        self.rx.stop()
        inc = self.declare("Receiver gone")
        n = self.wait_notifications(lambda items: items and items[0]["attempts"] >= 1 and items[0]["last_error"],
                                    "first failed attempt", incident=inc["id"])[0]
        self.assertEqual(n["status"], "pending", n)
        self.step_retries(2, incident=inc["id"])
        n = self.notifications(incident=inc["id"])[0]
        self.assertGreaterEqual(n["attempts"], 2, n)
        self.rx.start()  # same port
        self.step_retries(5, incident=inc["id"])
        self.wait_page("/frank", inc["ref"])
        self.rx.wait_quiet(QUIET)
        self.assertEqual(self.rx.count("/frank"), 1)
        self.assertEqual(self.notifications(incident=inc["id"])[0]["status"], "sent")

    def test_400_fails_at_once(self):
        self.rx.respond("/frank", 400, "bad request")
        inc = self.declare("Rejected page")
        rows = self.wait_notifications(lambda items: items and items[0]["status"] == "failed",
                                       "notification failed after a 400", incident=inc["id"])
        n = rows[0]
        self.assertEqual(n["attempts"], 1, n)
        self.assertIn("400", n["last_error"] or "", n)
        self.advance(3600)
        self.assertEqual(self.rx.wait_quiet(QUIET), [], "a 400 must not be retried")
        self.assertEqual(self.rx.count("/frank"), 1)
        failed = [e for e in self.events("notification.failed")
                  if e["incident_id"] == inc["id"] or find_key(e.get("data"), "notification_id") == n["id"]]
        self.assertEqual(len(failed), 1, self.events("notification.failed"))
        self.assertEqual([x["id"] for x in self.notifications(status="failed")], [n["id"]])

    def test_429_is_retried(self):
        self.rx.respond_next("/frank", 1, 429, "slow down", headers={"Retry-After": "3"})
        inc = self.declare("Throttled")
        self.rx.wait_for(1, path="/frank")
        self.settle(incident=inc["id"])
        n = self.notifications(incident=inc["id"])[0]
        self.assertEqual(n["status"], "pending", n)
        self.step_retries(3, incident=inc["id"])
        self.assertEqual(self.notifications(incident=inc["id"])[0]["status"], "sent")
        self.assertEqual(len([r for r in self.rx.requests("/frank") if r.ok]), 1)


class TestNotifyMaxAge(PagingCase):
    MAX_AGE = 60

    def test_gives_up_after_max_age(self):
        self.start_stack(extra_args=["--notify-max-age", str(self.MAX_AGE)])
        self.people(["hank"])
        self.simple_policy(steps=(("hank", 1440),))
        self.rx.down("/hank")
        inc = self.declare("Never delivered")
        t0 = parse_time(inc["created_at"])
        self.rx.wait_for(1, path="/hank")
        observed = []
        for _ in range(40):
            items = self.settle(incident=inc["id"])
            n = items[0]
            observed.append((self.now() - t0, n["status"], n["attempts"]))
            if n["status"] != "pending":
                break
            self.advance(10)
        self.assertEqual(n["status"], "failed", "still not failed after %.0f s: %r" % (observed[-1][0], observed))
        self.assertGreater(n["attempts"], 1, "it must have retried before giving up: %r" % observed)
        early = [o for o in observed if o[0] < self.MAX_AGE and o[1] != "pending"]
        self.assertEqual(early, [], "gave up before --notify-max-age: %r" % observed)
        self.assertLessEqual(observed[-1][0], self.MAX_AGE + 330, observed)
        failed = [e for e in self.events("notification.failed")
                  if e["incident_id"] == inc["id"] or find_key(e.get("data"), "notification_id") == n["id"]]
        self.assertEqual(len(failed), 1, self.events("notification.failed"))
        attempts = n["attempts"]
        self.advance(3600)
        self.rx.wait_quiet(QUIET)
        self.assertEqual(self.notifications(incident=inc["id"])[0]["attempts"], attempts)
        self.assertEqual(self.rx.count("/hank"), attempts)


# ---------------------------------------------------------------------------------------
# 8. contact method test and verification
# ---------------------------------------------------------------------------------------

class TestContactMethodVerification(PagingCase):
    def setUp(self):
        self.start_stack()
        self.user("ivy")

    def method_of(self, username, mid):
        u = self.ok(self.admin.get("%s/users/%s" % (API, username)), 200, "GET user")
        return [m for m in u["contact_methods"] if m["id"] == mid][0]

    def test_code(self):
        m = self.webhook("ivy")
        base = "%s/users/ivy/contact-methods/%d" % (API, m["id"])
        r = self.admin.post(base + "/test", {})
        body = self.ok(r, 202, "POST test")
        self.assertIsInstance(body.get("notification_id"), int, body)
        req = self.rx.wait_for(1, path="/ivy", what="test message")[0]
        self.verify_signature(req)
        self.assertIsInstance(req.json, dict, req)
        code = find_verify_code(req.json)
        self.assertRegex(code, r"^\d{6}$")
        self.assertTrue(action_links(req.text), "no verify link in the test message: %s" % req.text)
        listed = [n["id"] for n in self.notifications()]
        self.assertIn(body["notification_id"], listed)

        wrong = "000000" if code != "000000" else "111111"
        self.assertProblem(self.admin.post(base + "/verify", {"code": wrong}), 422, ("/code",), "wrong code")
        self.assertIs(self.method_of("ivy", m["id"])["verified"], False)
        r = self.admin.post(base + "/verify", {"code": code})
        got = self.ok(r, 200, "verify with the right code")
        self.assertIs(got["verified"], True, got)
        self.assertEqual(got["id"], m["id"])
        self.assertIs(self.method_of("ivy", m["id"])["verified"], True)

    def test_own_method_and_verify_link(self):
        ivy = Client(self.server)
        self.assertEqual(ivy.login("ivy", PW).status, 200)
        self.rx.respond("/ivy-slack", 200, "ok")
        m = self.method("me", "slack", self.rx.url("/ivy-slack"), client=ivy)
        base = "%s/users/me/contact-methods/%d" % (API, m["id"])
        self.ok(ivy.post(base + "/test", {}), 202, "POST test (own method)")
        req = self.rx.wait_for(1, path="/ivy-slack", what="test message")[0]
        find_verify_code(req.json)
        links = action_links(req.text)
        self.assertEqual(len(links), 1, "exactly one (verify) link expected: %s" % req.text)
        self.assertHtml(self.follow(links[0], "GET"), 200, "GET verify link")
        self.assertIs(self.method_of("ivy", m["id"])["verified"], False)
        self.assertHtml(self.follow(links[0]), (200, 303), "POST verify link")
        self.assertIs(self.method_of("ivy", m["id"])["verified"], True)
        self.assertHtml(self.follow(links[0]), 409, "second POST of the verify link")


# ---------------------------------------------------------------------------------------
# 9. manual escalate / repage
# ---------------------------------------------------------------------------------------

class TestManualEscalation(PagingCase):
    def setUp(self):
        self.start_stack()
        self.people(["alice", "bob"])
        self.simple_policy(steps=(("alice", 5), ("bob", 10)))

    def test_escalate_and_repage(self):
        inc = self.declare("Escalate me")
        self.wait_page("/alice", inc["ref"])
        self.advance(60)
        now = self.now()
        r = self.admin.post("%s/incidents/%d/escalate" % (API, inc["id"]), {})
        esc = self.ok(r, 200, "escalate")
        self.assertEqual(esc["step"], 2, esc)
        self.later((esc["state"], esc["next_at"]), ("active", iso(now + 600)),
                   "POST escalate to the last step: (state, next_at) while its 10 min run")
        first_bob = self.wait_page("/bob", inc["ref"])[0]
        r = self.admin.post("%s/incidents/%d/repage" % (API, inc["id"]), {})
        esc = self.ok(r, 200, "repage")
        self.later(esc["step"], 2, "escalation step after repage (the current step stays 2): %r" % esc)
        bob = self.wait_page("/bob", inc["ref"], count=2)
        self.rx.wait_quiet(QUIET)
        self.assertEqual(self.page_counts(), Counter({"/alice": 1, "/bob": 2}))
        self.assertNotEqual(bob[1].webhook_id, first_bob.webhook_id, "a repage is a new page")
        fired = self.events("escalation.step_fired", inc["id"])
        self.assertGreaterEqual(len(fired), 2)

        self.ok(self.admin.post("%s/incidents/%d/resolve" % (API, inc["id"]), {}), 200, "resolve")
        for action in ("escalate", "repage"):
            r = self.admin.post("%s/incidents/%d/%s" % (API, inc["id"], action), {})
            self.assertProblem(r, 409, what="%s a resolved incident" % action)
        self.assertEqual(self.rx.wait_quiet(QUIET, predicate=is_page()), [])
        self.finish()

    def test_escalate_without_policy(self):
        inc = self.declare("No policy", service=None)
        self.assertProblem(self.admin.post("%s/incidents/%d/escalate" % (API, inc["id"]), {}), 409,
                           what="escalate without a policy")

    def test_viewer_cannot_escalate(self):
        inc = self.declare("Viewer tries")
        viewer = Client(self.server, token=login_token(self.server, "viewer"))
        self.assertEqual(viewer.post("%s/incidents/%d/escalate" % (API, inc["id"]), {}).status, 403)
        self.assertEqual(viewer.post("%s/incidents/%d/repage" % (API, inc["id"]), {}).status, 403)


# ---------------------------------------------------------------------------------------
# 10. iCalendar feeds
# ---------------------------------------------------------------------------------------

class TestIcal(PagingCase):
    def setUp(self):
        self.start_stack()
        self.people()
        self.t = self.now()
        self.start_date = monday_on_or_before(self.t - 21 * 86400)
        self.sch = self.schedule(start_date=self.start_date)

    def feed(self, url):
        u = urllib.parse.urlsplit(url)
        self.assertEqual("%s://%s" % (u.scheme, u.netloc), self.server.url, url)
        r = Client(self.server).request("GET", u.path, headers={"Accept": "text/calendar"}, auth=False)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.content_type, "text/calendar", r)
        lines, problems = ical_physical_lines(r.raw)
        self.assertEqual(problems, [], "iCalendar lexical rules")
        logical = ical_unfold(lines)
        self.assertEqual(logical[0], "BEGIN:VCALENDAR")
        self.assertEqual(logical[-1], "END:VCALENDAR")
        cal, events = ical_components(logical)
        self.assertEqual([v for _, v in cal.get("VERSION", [])], ["2.0"])
        self.assertEqual(len(cal.get("PRODID", [])), 1)
        out = []
        for ev in events:
            for prop in ("UID", "DTSTAMP", "DTSTART", "DTEND"):
                self.assertEqual(len(ev.get(prop, [])), 1, "VEVENT needs exactly one %s: %r" % (prop, ev))
            self.assertNotIn("DURATION", ev)
            start = ev["DTSTART"][0][1]
            end = ev["DTEND"][0][1]
            self.assertRegex(start, r"^\d{8}T\d{6}Z$", "DTSTART in UTC form")
            self.assertRegex(end, r"^\d{8}T\d{6}Z$", "DTEND in UTC form")
            text = " ".join(ical_text(v) for p in ("SUMMARY", "DESCRIPTION") for _, v in ev.get(p, []))
            out.append({"uid": ev["UID"][0][1], "start": parse_ical_time(start), "end": parse_ical_time(end),
                        "text": text})
        out.sort(key=lambda e: e["start"])
        return r.raw, out

    def test_schedule_feed(self):
        url = self.sch["ical_url"]
        self.assertRegex(urllib.parse.urlsplit(url).path, r"^/ical/schedules/[^/]+\.ics$")
        raw, events = self.feed(url)
        self.assertGreaterEqual(len(events), 9, events)
        self.assertEqual(len({e["uid"] for e in events}), len(events), "UIDs must be unique")
        for a, b in zip(events, events[1:]):
            self.assertEqual(a["end"], b["start"], "feed shifts must touch")
        self.assertLessEqual(events[0]["start"], self.t - 6 * 86400, "7 days back")
        self.assertGreaterEqual(events[-1]["end"], self.t + 59 * 86400, "60 days ahead")
        # the same shifts the API reports
        r = self.admin.get("%s/schedules/%d/shifts" % (API, self.sch["id"]),
                           params={"from": iso(events[0]["start"]), "to": iso(events[-1]["end"])})
        shifts = self.ok(r, 200, "shifts")["items"]
        self.assertEqual([(e["start"], e["end"]) for e in events],
                         [(parse_time(s["start"]), parse_time(s["end"])) for s in shifts])
        for e, s in zip(events, shifts):
            self.assertIn(self.users[s["user"]["username"]]["name"], e["text"])
        # stable UIDs across fetches
        _, again = self.feed(url)
        self.assertEqual([(e["uid"], e["start"], e["end"]) for e in again],
                         [(e["uid"], e["start"], e["end"]) for e in events])

    def test_overrides_appear(self):
        _, _, nxt = expected_oncall(self.t, start_date=self.start_date)
        start, end = nxt + 2 * 86400, nxt + 2 * 86400 + 8 * 3600
        regular, _, _ = expected_oncall(start, start_date=self.start_date)
        cover = ROTATION[(ROTATION.index(regular) + 2) % 3]
        r = self.admin.post("%s/schedules/%d/overrides" % (API, self.sch["id"]),
                            {"user": cover, "start": iso(start), "end": iso(end)})
        self.ok(r, 201, "override")
        _, events = self.feed(self.sch["ical_url"])
        match = [e for e in events if e["start"] == start and e["end"] == end]
        self.assertEqual(len(match), 1, "no VEVENT for the override %s..%s: %r" % (ical_utc(start), ical_utc(end), events))
        self.assertIn(self.users[cover]["name"], match[0]["text"])
        for a, b in zip(events, events[1:]):
            self.assertEqual(a["end"], b["start"])

    def test_parses_with_icalendar(self):
        raw, events = self.feed(self.sch["ical_url"])
        parsed = parse_with_icalendar(raw)
        if parsed is None:
            self.skipTest("python icalendar module not available")
        self.assertEqual(sorted((p["uid"], p["start"], p["end"]) for p in parsed),
                         sorted((e["uid"], e["start"], e["end"]) for e in events))

    def test_user_feed(self):
        u = self.ok(self.admin.get(API + "/users/alice"), 200, "GET user as admin")
        self.assertIsInstance(u.get("ical_url"), str, u)
        self.assertRegex(urllib.parse.urlsplit(u["ical_url"]).path, r"^/ical/users/[^/]+\.ics$")
        _, events = self.feed(u["ical_url"])
        self.assertTrue(events)
        for e in events:
            who, _, _ = expected_oncall((e["start"] + e["end"]) / 2, start_date=self.start_date)
            self.assertEqual(who, "alice", e)
        bob = Client(self.server)
        self.assertEqual(bob.login("bob", PW).status, 200)
        other = self.ok(bob.get(API + "/users/alice"), 200, "GET another user")
        self.assertIsNone(other.get("ical_url"), "ical_url only for the user themself or an admin: %r" % other)
        own = self.ok(bob.get(API + "/users/me"), 200, "GET /users/me")
        self.assertEqual(own["username"], "bob")
        self.assertIsInstance(own.get("ical_url"), str)

    def test_unknown_token(self):
        r = Client(self.server).get("/ical/schedules/not-a-real-token.ics", auth=False)
        self.assertIn(r.status, (401, 404), r)


# ---------------------------------------------------------------------------------------
# 11. bad input and permissions
# ---------------------------------------------------------------------------------------

def layer(**kw):
    base = {"name": "primary", "users": ["alice", "bob"], "rotation": {"unit": "weeks", "length": 1},
            "start_date": "2026-11-02", "handoff_time": "09:00"}
    base.update(kw)
    return base


def sched(**kw):
    base = {"name": "new-schedule", "time_zone": TZ_NAME, "layers": [layer()]}
    base.update(kw)
    return base


def pol(**kw):
    base = {"name": "new-policy", "steps": [{"delay_minutes": 5, "targets": [{"type": "user", "name": "alice"}]}]}
    base.update(kw)
    return base


class TestBadInput(PagingCase):
    def setUp(self):
        self.start_stack()
        self.user("alice")
        self.user("bob")
        self.bob_cm = self.webhook("bob")
        self.sch = self.schedule(name="s1", users=["alice", "bob"])
        self.pol = self.policy("p1", [(5, [{"type": "schedule", "id": self.sch["id"]}])])
        self.svc = self.service("svc", self.pol)
        self.inc = self.declare("bad input", service="svc")
        self.alice = Client(self.server)
        self.assertEqual(self.alice.login("alice", PW).status, 200)
        self.viewer = Client(self.server, token=login_token(self.server, "viewer"))
        self.responder = Client(self.server, token=login_token(self.server, "responder"))
        self.settle()

    def snapshot(self):
        a = self.admin
        get = lambda p: self.ok(a.get(p), 200, "GET " + p)
        return {
            "events": len(all_events(a)),
            "schedules": get(API + "/schedules"),
            "policies": get(API + "/escalation-policies"),
            "services": get(API + "/services"),
            "alice": get(API + "/users/alice"),
            "bob": get(API + "/users/bob"),
            "overrides": get("%s/schedules/%d/overrides" % (API, self.sch["id"])),
            "notifications": get(API + "/notifications"),
        }

    def check(self, cases):
        for what, thunk, status, fields in cases:
            with self.subTest(what):
                before = self.snapshot()
                r = thunk()
                if status in (403, 404, 409, 400):
                    self.assertProblem(r, status, None, what)
                else:
                    self.assertProblem(r, status, fields, what)
                self.assertEqual(self.snapshot(), before, "%s: the failed request changed something" % what)

    def test_schedules(self):
        a, S = self.admin, API + "/schedules"
        post = lambda body, c=None: (lambda: (c or a).post(S, body))
        self.check([
            ("bad time zone", post(sched(time_zone="Mars/Olympus_Mons")), 422, ("/time_zone",)),
            ("time zone wrong type", post(sched(time_zone=5)), 422, ("/time_zone",)),
            ("missing name", post({k: v for k, v in sched().items() if k != "name"}), 422, ("/name",)),
            ("layers not a list", post(sched(layers="primary")), 422, ("/layers",)),
            ("unknown rotation unit", post(sched(layers=[layer(rotation={"unit": "fortnights", "length": 1})])), 422,
             ("/layers/0/rotation/unit",)),
            ("rotation length 0", post(sched(layers=[layer(rotation={"unit": "weeks", "length": 0})])), 422,
             ("/layers/0/rotation/length",)),
            ("rotation length a string", post(sched(layers=[layer(rotation={"unit": "weeks", "length": "1"})])), 422,
             ("/layers/0/rotation/length",)),
            ("unknown user", post(sched(layers=[layer(users=["alice", "ghost"])])), 422, ("/layers/0/users/1",)),
            ("user wrong type", post(sched(layers=[layer(users=[True])])), 422, ("/layers/0/users/0",)),
            ("unknown weekday", post(sched(layers=[layer(restrictions=[{"weekday": "funday", "start": "09:00",
                                                                        "duration_minutes": 60}])])), 422,
             ("/layers/0/restrictions/0/weekday",)),
            ("bad restriction start", post(sched(layers=[layer(restrictions=[{"weekday": "mon", "start": "25:00",
                                                                              "duration_minutes": 60}])])), 422,
             ("/layers/0/restrictions/0/start",)),
            ("bad start_date", post(sched(layers=[layer(start_date="2026-02-30")])), 422, ("/layers/0/start_date",)),
            ("bad handoff_time", post(sched(layers=[layer(handoff_time="9am")])), 422, ("/layers/0/handoff_time",)),
            ("unknown layer field", post(sched(layers=[layer(colour="red")])), 422, ("/layers/0/colour",)),
            ("unknown field", post(sched(colour="red")), 422, ("/colour",)),
            ("duplicate name", post(sched(name="s1")), 409, None),
            ("as responder", post(sched(), self.responder), 403, None),
            ("PUT bad time zone", lambda: self.put(a, "%s/%d" % (S, self.sch["id"]), sched(name="s1", time_zone="Nowhere")),
             422, ("/time_zone",)),
            ("delete while a policy targets it", lambda: a.delete("%s/%d" % (S, self.sch["id"])), 409, None),
            ("unknown id", lambda: a.get(S + "/999999"), 404, None),
            ("unknown name", lambda: a.get(S + "/no-such-schedule"), 404, None),
            ("oncall of unknown", lambda: a.get(S + "/999999/oncall"), 404, None),
            ("shifts of unknown", lambda: a.get(S + "/999999/shifts"), 404, None),
            ("delete unknown", lambda: a.delete(S + "/999999"), 404, None),
            ("oncall bad at", lambda: a.get("%s/%d/oncall" % (S, self.sch["id"]), params={"at": "yesterday"}), 400, None),
            ("shifts over 100 days", lambda: a.get("%s/%d/shifts" % (S, self.sch["id"]),
                                                   params={"from": "2026-01-01T00:00:00.000Z",
                                                           "to": "2026-06-01T00:00:00.000Z"}), 400, None),
        ])

    def test_overrides(self):
        a, O = self.admin, "%s/schedules/%d/overrides" % (API, self.sch["id"])
        t = self.now()
        ok = {"user": "alice", "start": iso(t + 3600), "end": iso(t + 7200)}
        self.check([
            ("unknown user", lambda: a.post(O, dict(ok, user="ghost")), 422, ("/user",)),
            ("end before start", lambda: a.post(O, dict(ok, end=iso(t + 1800))), 422, ("/end", "/start")),
            ("bad time", lambda: a.post(O, dict(ok, start="tomorrow")), 422, ("/start",)),
            ("unknown field", lambda: a.post(O, dict(ok, reason="x")), 422, ("/reason",)),
            ("viewer", lambda: self.viewer.post(O, ok), 403, None),
            ("unknown schedule", lambda: a.post(API + "/schedules/999999/overrides", ok), 404, None),
            ("delete unknown override", lambda: a.delete(O + "/999999"), 404, None),
        ])

    def test_policies(self):
        a, P = self.admin, API + "/escalation-policies"
        step = lambda **kw: [dict({"delay_minutes": 5, "targets": [{"type": "user", "name": "alice"}]}, **kw)]
        self.check([
            ("delay 0", lambda: a.post(P, pol(steps=step(delay_minutes=0))), 422, ("/steps/0/delay_minutes",)),
            ("delay 1441", lambda: a.post(P, pol(steps=step(delay_minutes=1441))), 422, ("/steps/0/delay_minutes",)),
            ("delay a string", lambda: a.post(P, pol(steps=step(delay_minutes="5"))), 422, ("/steps/0/delay_minutes",)),
            ("repeat 10", lambda: a.post(P, pol(repeat=10)), 422, ("/repeat",)),
            ("default wrong type", lambda: a.post(P, pol(default="yes")), 422, ("/default",)),
            ("steps not a list", lambda: a.post(P, pol(steps={"delay_minutes": 5})), 422, ("/steps",)),
            ("unknown target type", lambda: a.post(P, pol(steps=step(targets=[{"type": "team", "name": "x"}]))), 422,
             ("/steps/0/targets/0/type",)),
            ("unknown user", lambda: a.post(P, pol(steps=step(targets=[{"type": "user", "name": "ghost"}]))), 422,
             ("/steps/0/targets/0/name", "/steps/0/targets/0")),
            ("unknown schedule", lambda: a.post(P, pol(steps=step(targets=[{"type": "schedule", "id": 999999}]))), 422,
             ("/steps/0/targets/0/id", "/steps/0/targets/0")),
            ("unknown field", lambda: a.post(P, pol(colour="red")), 422, ("/colour",)),
            ("duplicate name", lambda: a.post(P, pol(name="p1")), 409, None),
            ("as responder", lambda: self.responder.post(P, pol()), 403, None),
            ("unknown id", lambda: a.get(P + "/999999"), 404, None),
            ("delete while a service uses it", lambda: a.delete("%s/%d" % (P, self.pol["id"])), 409, None),
            ("service: unknown policy", lambda: self.patch(a, "%s/services/%d" % (API, self.svc["id"]),
                                                           {"escalation_policy": "nope"}), 422, ("/escalation_policy",)),
            ("escalation of unknown incident", lambda: a.get(API + "/incidents/999999/escalation"), 404, None),
            ("escalate unknown incident", lambda: a.post(API + "/incidents/999999/escalate", {}), 404, None),
        ])

    def test_contact_methods_and_rules(self):
        a = self.admin
        CM = API + "/users/alice/contact-methods"
        R = API + "/users/alice/notification-rules"
        bob_cm = "%s/users/bob/contact-methods/%d" % (API, self.bob_cm["id"])
        self.check([
            ("unknown kind", lambda: a.post(CM, {"kind": "pager", "address": "x@example.test"}), 422, ("/kind",)),
            ("bad email", lambda: a.post(CM, {"kind": "email", "address": "not-an-email"}), 422, ("/address",)),
            ("webhook not http", lambda: a.post(CM, {"kind": "webhook", "address": "ftp://example.test/x"}), 422,
             ("/address",)),
            ("slack not a url", lambda: a.post(CM, {"kind": "slack", "address": "hooks.slack.com"}), 422, ("/address",)),
            ("address wrong type", lambda: a.post(CM, {"kind": "email", "address": 5}), 422, ("/address",)),
            ("missing address", lambda: a.post(CM, {"kind": "email"}), 422, ("/address",)),
            ("unknown field", lambda: a.post(CM, {"kind": "email", "address": "a@example.test", "colour": 1}), 422,
             ("/colour",)),
            ("unknown user", lambda: a.post(API + "/users/ghost/contact-methods",
                                            {"kind": "email", "address": "g@example.test"}), 404, None),
            ("rule delay 1441", lambda: a.post(R, {"contact_method": self.bob_cm["id"], "delay_minutes": 1441}), 422,
             ("/delay_minutes", "/contact_method")),
            ("rule delay -1", lambda: a.post(R, {"contact_method": self.bob_cm["id"], "delay_minutes": -1}), 422,
             ("/delay_minutes", "/contact_method")),
            ("rule unknown method", lambda: a.post(R, {"contact_method": 999999, "delay_minutes": 0}), 422,
             ("/contact_method",)),
            ("verify code wrong type", lambda: a.post(bob_cm + "/verify", {"code": 123456}), 422, ("/code",)),
            ("PATCH bad time zone", lambda: self.patch(a, API + "/users/alice", {"time_zone": "Nowhere/Else"}), 422,
             ("/time_zone",)),
            ("PATCH unknown field", lambda: self.patch(a, API + "/users/alice", {"role": "admin"}), 422, ("/role",)),
            # another user's things, as a non-admin
            ("add method for another user", lambda: self.alice.post(API + "/users/bob/contact-methods",
                                                                    {"kind": "email", "address": "x@example.test"}),
             403, None),
            ("delete another user's method", lambda: self.alice.delete(bob_cm), 403, None),
            ("test another user's method", lambda: self.alice.post(bob_cm + "/test", {}), 403, None),
            ("verify another user's method", lambda: self.alice.post(bob_cm + "/verify", {"code": "123456"}), 403, None),
            ("rule for another user", lambda: self.alice.post(API + "/users/bob/notification-rules",
                                                              {"contact_method": self.bob_cm["id"], "delay_minutes": 0}),
             403, None),
            ("edit another user", lambda: self.patch(self.alice, API + "/users/bob", {"name": "Bobby"}), 403, None),
            # unknown ids
            ("unknown user id", lambda: a.get(API + "/users/999999"), 404, None),
            ("unknown username", lambda: a.get(API + "/users/ghost"), 404, None),
            ("delete unknown method", lambda: a.delete(API + "/users/bob/contact-methods/999999"), 404, None),
            ("test unknown method", lambda: a.post(API + "/users/bob/contact-methods/999999/test", {}), 404, None),
            ("delete unknown rule", lambda: a.delete(API + "/users/bob/notification-rules/999999"), 404, None),
            ("method of another user under my path", lambda: a.delete("%s/users/alice/contact-methods/%d"
                                                                       % (API, self.bob_cm["id"])), 404, None),
        ])
        # a non-admin manages their own contact methods
        m = self.method("me", "email", "alice@example.test", client=self.alice)
        r = self.alice.post(API + "/users/me/notification-rules", {"contact_method": m["id"], "delay_minutes": 1})
        self.assertEqual(r.status, 201, r)
        r = self.patch(self.alice, API + "/users/me", {"time_zone": "Europe/Berlin"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body["time_zone"], "Europe/Berlin")
        self.assertEqual(self.alice.delete("%s/users/me/contact-methods/%d" % (API, m["id"])).status, 204)
        u = self.ok(self.admin.get(API + "/users/alice"), 200, "GET alice")
        self.assertEqual(u["contact_methods"], [])
        self.assertEqual(u["notification_rules"], [], "deleting a method deletes its rules")


if __name__ == "__main__":
    unittest.main()
