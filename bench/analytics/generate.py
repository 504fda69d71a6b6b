#!/usr/bin/env python3
"""bench/analytics/generate.py — a year of incident history for the analytics benchmark.

Creates a Klaxon data directory the way a real deployment gets one, then fills it in bulk:

  1. `klaxon serve` once on an empty directory (the migrations run, the first admin is
     created) and the sev-levels example playbook is applied through POST /api/v1/apply
     (severities SEV-0..SEV-3, organization zone America/New_York, a runbook with an RTO
     for `checkout`, people, schedules, policies); then the server is stopped (SIGTERM).
  2. Python's sqlite3, one transaction, executemany: 40 services (owners: 8 teams), 60
     users with time zones and contact methods, 4 integrations, 50,000 incidents over
     2026-01-01..2026-12-31 (UTC) and around them incident_clocks, incident_moments,
     alerts, outbox pages, reviews, action items — and events until the table holds
     exactly 5,000,000 rows (about 100 per incident).

Rows follow what the server writes and reads (src/insights/facts.cc, the SELECT of
src/incidents/incident_service.cc, src/paging/pager.cc's idem_key, response::kMoments).

Usage: generate.py [--out DIR] [--force] [--incidents N] [--events N] [--seed N]
The directory is reused when it already holds a finished data set (a `generated.json`
marker) unless --force. Default DIR: bench/analytics/data/year (gitignored).
"""

import argparse
import json
import math
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import harness  # noqa: E402  (Server, Client, login_token, example_files)

ADMIN_PASSWORD = "bench-admin-password-1"
MIN = 60_000
HOUR = 60 * MIN
DAY = 24 * HOUR
YEAR_START = 1767225600000  # 2026-01-01T00:00:00Z
YEAR_END = 1798761600000    # 2027-01-01T00:00:00Z

TEAMS = ["payments", "platform", "discovery", "identity", "data", "mobile", "growth", "infra"]
SEVERITIES = [("SEV-0", 2), ("SEV-1", 10), ("SEV-2", 40), ("SEV-3", 48)]
# Events per incident before scaling to the exact total (weighted mean ~ 98).
EVENT_BASE = {"SEV-0": 300, "SEV-1": 180, "SEV-2": 100, "SEV-3": 70}
TIME_ZONES = ["UTC", "Europe/London", "Europe/Berlin", "Europe/Paris", "America/New_York",
              "America/Chicago", "America/Los_Angeles", "Asia/Kolkata", "Asia/Tokyo",
              "Australia/Sydney", "America/Sao_Paulo", "Asia/Singapore"]
WORDS = ("latency error rate checkout payment queue backlog database replica lag cache miss "
         "timeout upstream deploy rollback canary pod node disk pressure memory leak cpu "
         "throttling dns certificate expiry connection pool saturation retry storm kafka "
         "consumer partition rebalance shard index rebuild cron job failed restart gateway "
         "5xx 4xx spike regression feature flag config drift vendor outage region failover "
         "traffic shift mitigation root cause confirmed customers impacted support tickets "
         "dashboard graph alert silenced paged responder investigating monitoring").split()
ROLES = ["commander", "communications_lead", "scribe", "technical_lead"]
NOTE_TYPES = ["note", "note", "note", "finding", "action", "decision"]


def ms_to_rfc3339(ms):
    s, milli = divmod(ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s)) + ".%03dZ" % milli


def sentence(rng, lo, hi):
    """Lower-case words (no quotes or backslashes: safe inside a JSON string), lo..hi chars."""
    target = rng.randint(lo, hi)
    out = []
    n = 0
    while n < target:
        w = rng.choice(WORDS)
        out.append(w)
        n += len(w) + 1
    s = " ".join(out)
    return s[0].upper() + s[1:target] + "."


# ---- step 1: a real server creates the store ------------------------------------------

def bootstrap(out_dir, klaxon_bin):
    harness.KLAXON_BIN = klaxon_bin
    server = harness.Server(name="analytics-generate", data_dir=out_dir,
                            admin_password=ADMIN_PASSWORD, extra_args=["--sqlite-sync", "normal"])
    server.start()
    try:
        api = harness.Client(server, token=harness.login_token(server, "admin", name="bench-generate"))
        r = api.post("/api/v1/apply", {"files": harness.example_files("sev-levels")})
        if r.status != 200:
            raise SystemExit("apply sev-levels failed: %r\n%s" % (r, server.log_tail()))
        names = [s["name"] for s in api.list_all("/api/v1/services")]
    finally:
        server.stop()
    return names


# ---- step 2: bulk insert --------------------------------------------------------------

class Gen:
    def __init__(self, db, rng, n_incidents, n_events):
        self.db = db
        self.rng = rng
        self.n_incidents = n_incidents
        self.n_events = n_events
        self.counts = {}

    def insert(self, table, sql, rows):
        if rows:
            self.db.executemany(sql, rows)
            self.counts[table] = self.counts.get(table, 0) + len(rows)

    # -- reference data -----------------------------------------------------------------
    def reference(self):
        db, rng = self.db, self.rng
        now = YEAR_START - 30 * DAY
        existing = {r[0]: (r[1], r[2]) for r in db.execute("SELECT name, id, owner FROM services")}
        names = list(existing)
        pool = ["api-gateway", "auth", "billing", "cart", "cdn-edge", "content", "email-sender",
                "feature-flags", "fraud", "fulfillment", "identity", "inventory", "kafka",
                "ledger", "login", "media", "mobile-api", "notifications", "orders", "payouts",
                "postgres-main", "pricing", "profile", "push", "recommendations", "redis-cache",
                "reporting", "returns", "reviews-ui", "sessions", "shipping", "storefront",
                "tax", "warehouse-sync", "webhooks-out", "wishlist", "ml-ranking", "etl-nightly",
                "k8s-prod", "dns"]
        rows = []
        for name in pool:
            if len(names) >= 40:
                break
            if name in existing:
                continue
            rows.append((name, "The %s service." % name, rng.choice(TEAMS), now))
            names.append(name)
        self.insert("services", "INSERT INTO services(name, description, owner, created_at) "
                    "VALUES (?,?,?,?)", rows)
        self.services = [(r[0], r[1], r[2]) for r in
                         db.execute("SELECT id, name, owner FROM services ORDER BY id")]
        admin_hash = db.execute("SELECT password_hash FROM users ORDER BY id LIMIT 1").fetchone()[0]
        rows = [("oncall%02d" % i, "Responder %02d" % i, "responder", admin_hash, now,
                 TIME_ZONES[i % len(TIME_ZONES)]) for i in range(1, 61)]
        self.insert("users", "INSERT INTO users(username, name, role, password_hash, created_at, "
                    "time_zone) VALUES (?,?,?,?,?,?)", rows)
        self.users = [(r[0], r[1]) for r in db.execute(
            "SELECT id, username FROM users WHERE username LIKE 'oncall%' ORDER BY id")]
        rows = []
        for uid, uname in self.users:
            rows.append((uid, "email", uname + "@acme.example", "work mail", "", now, now))
            rows.append((uid, "slack", "https://hooks.slack.example/" + uname, "slack", "", now, now))
        self.insert("contact_methods", "INSERT INTO contact_methods(user_id, kind, address, label, "
                    "secret, verified_at, created_at) VALUES (?,?,?,?,?,?,?)", rows)
        self.methods = {}
        for mid, uid, kind, addr in db.execute(
                "SELECT id, user_id, kind, address FROM contact_methods ORDER BY id"):
            self.methods.setdefault(uid, []).append((mid, kind, addr))
        rows = [("bench-%s-%d" % (k, i), k, "benchkey%032x" % rng.getrandbits(128), None,
                 json.dumps(["alertname", "service"]), 1, 0, now)
                for i, k in enumerate(["alertmanager", "prometheus", "grafana", "alertmanager"])]
        self.insert("integrations", "INSERT INTO integrations(name, kind, key, service_id, group_by, "
                    "auto_resolve, flap_window_s, created_at) VALUES (?,?,?,?,?,?,?,?)", rows)
        self.integrations = [r[0] for r in db.execute(
            "SELECT id FROM integrations WHERE name LIKE 'bench-%' ORDER BY id")]
        # 300 alert names, each tied to a service (so repeat offenders mean something).
        self.alertnames = []
        prefixes = ["HighLatency", "ErrorRate", "Down", "QueueBacklog", "DiskFull", "MemoryHigh",
                    "CertExpiry", "ReplicaLag", "PodCrashLoop", "5xxSpike"]
        for i in range(300):
            svc = self.services[i % len(self.services)]
            name = "%s%s%d" % ("".join(p.capitalize() for p in svc[1].split("-")),
                               prefixes[i % len(prefixes)], i // len(prefixes))
            self.alertnames.append((name, svc))
        # Zipf-ish weights: a few alerts fire a lot.
        self.alert_weights = [1.0 / (i + 1) ** 0.8 for i in range(300)]
        self.text_pool = [sentence(rng, 60, 220) for _ in range(4000)]
        self.short_pool = [sentence(rng, 20, 60) for _ in range(1000)]

    # -- incidents ------------------------------------------------------------------------
    def plan(self):
        """Decides every incident (no SQL yet): times, flags, sub-rows, event counts."""
        rng = self.rng
        n = self.n_incidents
        created = sorted(rng.randrange(YEAR_START, YEAR_END) for _ in range(n))
        sev_names = [s for s, _ in SEVERITIES]
        sev_w = [w for _, w in SEVERITIES]
        sevs = rng.choices(sev_names, sev_w, k=n)
        alert_picks = rng.choices(range(300), self.alert_weights, k=n)
        plans = []
        for i in range(n):
            sev = sevs[i]
            c = created[i]
            p = {"created": c, "sev": sev}
            an, svc = self.alertnames[alert_picks[i]]
            p["alert0"] = an
            p["service"] = svc  # (id, name, owner)
            p["acked"] = rng.random() < 0.85
            ack_delay = min(int(rng.lognormvariate(math.log(5 * 60_000), 0.9)), 6 * HOUR)
            res_delay = int(rng.lognormvariate(math.log(HOUR), 1.0))
            res_delay = max(res_delay, 2 * MIN)
            if p["acked"]:
                res_delay = max(res_delay, ack_delay + MIN)
            p["ack_delay"] = ack_delay
            p["res_delay"] = res_delay
            p["reopened"] = rng.random() < 0.03
            p["open"] = rng.random() < 0.003
            p["drill"] = rng.random() < 0.02
            p["noise"] = rng.random() < 0.05
            p["moments"] = rng.random() < 0.60
            top = sev in ("SEV-0", "SEV-1")
            p["updates"] = rng.randint(2, 6) if top else rng.randint(0, 3)
            p["late"] = rng.randint(0, 2) if top and rng.random() < 0.3 else 0
            p["n_alerts"] = rng.choice((1, 1, 2, 3))
            p["n_pages"] = rng.randint(1, 4)
            p["review"] = top
            p["actions"] = (rng.randint(1, 4) if top else (1 if rng.random() < 0.25 else 0))
            plans.append(p)
        # Fixed events per incident are counted when they are made; the rest is filler to
        # reach the per-incident target. Targets: severity base x U(0.5, 1.5), scaled so the
        # total is exactly the wanted number.
        raw = [EVENT_BASE[p["sev"]] * rng.uniform(0.5, 1.5) for p in plans]
        scale = self.n_events / sum(raw)
        targets = [max(20, int(round(r * scale))) for r in raw]
        diff = self.n_events - sum(targets)
        while diff != 0:
            j = rng.randrange(n)
            if diff > 0:
                targets[j] += 1
                diff -= 1
            elif targets[j] > 20:
                targets[j] -= 1
                diff += 1
        for p, t in zip(plans, targets):
            p["events"] = t
        self.plans = plans

    def run(self):
        db = self.db
        next_inc = (db.execute("SELECT COALESCE(MAX(id), 0) FROM incidents").fetchone()[0]) + 1
        next_alert = (db.execute("SELECT COALESCE(MAX(id), 0) FROM alerts").fetchone()[0]) + 1
        next_outbox = (db.execute("SELECT COALESCE(MAX(id), 0) FROM outbox").fetchone()[0]) + 1
        next_review = (db.execute("SELECT COALESCE(MAX(id), 0) FROM reviews").fetchone()[0]) + 1
        next_item = (db.execute("SELECT COALESCE(MAX(id), 0) FROM action_items").fetchone()[0]) + 1
        self.ids = {"alert": next_alert, "outbox": next_outbox, "review": next_review,
                    "item": next_item}
        chunk = 500
        t0 = time.monotonic()
        for start in range(0, len(self.plans), chunk):
            batch = self.plans[start:start + chunk]
            rows = {k: [] for k in ("incidents", "clocks", "moments", "alerts", "outbox",
                                    "reviews", "items", "events")}
            for k, p in enumerate(batch):
                self.incident(next_inc + start + k, p, rows)
            rows["events"].sort(key=lambda e: e[0])
            self.flush(rows)
            if (start // chunk) % 20 == 19:
                print("  %6d incidents, %8d events  (%.0f s)" % (
                    start + chunk, self.counts.get("events", 0), time.monotonic() - t0),
                    flush=True)

    def flush(self, rows):
        self.insert("incidents",
                    "INSERT INTO incidents(id, title, description, impact, severity, status, "
                    "service_id, created_at, updated_at, acknowledged_at, resolved_at, created_by, "
                    "resolution_summary, classified_by, war_room, war_room_link, drill, "
                    "noise_reason, noise_by, noise_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    rows["incidents"])
        self.insert("incident_clocks",
                    "INSERT INTO incident_clocks(incident_id, ack_due_at, ack_missed_at, "
                    "resolve_due_at, resolve_missed_at, matrix_done, update_due_at, "
                    "update_reminded_at, update_late_at, updates, last_update_at, review_due_at) "
                    "VALUES (?,?,?,?,?,0,NULL,NULL,?,?,?,?)", rows["clocks"])
        self.insert("incident_moments",
                    "INSERT INTO incident_moments(incident_id, moment, at, marked_by, note) "
                    "VALUES (?,?,?,?,?)", rows["moments"])
        self.insert("alerts",
                    "INSERT INTO alerts(id, integration_id, fingerprint, status, labels, annotations, "
                    "generator_url, starts_at, ends_at, first_seen, last_seen, resolved_at, count, "
                    "group_key, incident_id, silenced, noise_reason, noise_at) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,0,?,?)", rows["alerts"])
        self.insert("outbox",
                    "INSERT INTO outbox(id, idem_key, kind, incident_id, user_id, contact_method_id, "
                    "channel, address, message, status, attempts, due_at, next_attempt_at, "
                    "created_at, sent_at) VALUES (?,?,'page',?,?,?,?,?,?,?,?,?,?,?,?)",
                    rows["outbox"])
        self.insert("reviews",
                    "INSERT INTO reviews(id, incident_id, state, owner_id, due_at, template, "
                    "template_name, sections, public_text, reviewers, version, created_at, "
                    "updated_at, submitted_at, published_at, published_markdown) "
                    "VALUES (?,?,?,?,?,?,'default',?,?,?,?,?,?,?,?,?)", rows["reviews"])
        self.insert("action_items",
                    "INSERT INTO action_items(id, incident_id, source, title, description, owner_id, "
                    "priority, due_at, status, tracker_url, created_by, created_at, updated_at, "
                    "closed_at, version) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows["items"])
        self.insert("events",
                    "INSERT INTO events(at, kind, actor_type, actor_id, actor_name, incident_id, "
                    "data) VALUES (?,?,?,?,?,?,?)", rows["events"])

    def incident(self, iid, p, rows):
        rng = self.rng
        ev = rows["events"]
        c = p["created"]
        sev = p["sev"]
        svc_id, svc_name, _owner = p["service"]
        ref = "INC-%d" % iid
        top = sev in ("SEV-0", "SEV-1")
        users = self.users
        responder = users[rng.randrange(len(users))]
        r_id, r_name = responder
        sys_actor = ("system", None, "klaxon")
        user_actor = ("user", r_id, r_name)
        integ_name = "bench-alertmanager-0"
        n_before = len(ev)

        def add(at, kind, actor, data):
            ev.append((at, kind, actor[0], actor[1], actor[2], iid, data))

        title = "%s on %s" % (p["alert0"], svc_name)
        add(c, "incident.declared", ("system", None, integ_name),
            '{"ref":"%s","title":"%s","severity":"%s","service":"%s","alerts":1,"via":"alertmanager"}'
            % (ref, title, sev, svc_name))
        # Alerts: the first opened it; others joined within minutes.
        alert_ids = []
        names = [p["alert0"]]
        for k in range(p["n_alerts"]):
            aid = self.ids["alert"]
            self.ids["alert"] += 1
            if k > 0:
                names.append(self.alertnames[rng.randrange(300)][0] if rng.random() < 0.5 else p["alert0"])
            name = names[k]
            seen = c + (0 if k == 0 else rng.randint(1, 20) * MIN)
            fp = "%016x" % rng.getrandbits(64)
            labels = ('{"alertname":"%s","cluster":"prod-%d","instance":"%s-%d:9100","job":"%s",'
                      '"service":"%s","severity":"%s"}'
                      % (name, rng.randint(1, 3), svc_name, rng.randint(1, 40), svc_name, svc_name,
                         "critical" if top else "warning"))
            alert_ids.append((aid, fp, name, seen))
            rows["alerts"].append((
                aid, self.integrations[k % len(self.integrations)], fp, "resolved", labels,
                '{"summary":"%s"}' % rng.choice(self.short_pool),
                "http://prometheus.acme.example/graph?g0.expr=%s" % name, seen, None, seen,
                seen + rng.randint(1, 60) * MIN, None, rng.randint(1, 5),
                '{alertname="%s",service="%s"}' % (p["alert0"], svc_name), iid,
                "flapping" if p["noise"] and k == 0 else None, None))
            add(seen, "alert.fired", ("system", None, integ_name),
                '{"alert_id":%d,"fingerprint":"%s","alertname":"%s","labels":%s}'
                % (aid, fp, name, labels))
        # Escalation and pages.
        policy = "payments-critical" if top else "payments-standard"
        add(c, "escalation.started", sys_actor,
            '{"policy":1,"policy_name":"%s","reopened":false,"steps":2,"repeat":1}' % policy)
        acked = p["acked"]
        ack_at = c + p["ack_delay"] if acked else None
        res_at = c + p["res_delay"]
        pages = []
        paged = rng.sample(users, p["n_pages"])  # distinct people: one row per method each
        for k in range(p["n_pages"]):
            fired = 1 + k // 2
            uid, uname = paged[k]
            at = c + (fired - 1) * 15 * MIN
            pages.append((fired, uid, uname, at))
        fired_seen = set()
        for fired, uid, uname, at in pages:
            if fired not in fired_seen:
                fired_seen.add(fired)
                add(at, "escalation.step_fired", sys_actor,
                    '{"policy":1,"policy_name":"%s","step":%d,"repeat":0,"targets":[{"type":"user",'
                    '"name":"%s"}],"paged":["%s"],"via":"timer","next_at":"%s"}'
                    % (policy, fired, uname, uname, ms_to_rfc3339(at + 15 * MIN)))
            # email now, slack after 5 minutes: one page, two rows (same firing and user).
            for mid, kind, addr in self.methods[uid]:
                delay = 0 if kind == "email" else 5
                oid = self.ids["outbox"]
                self.ids["outbox"] += 1
                due = at + delay * MIN
                stop = ack_at if ack_at is not None else res_at
                if due < stop or delay == 0:
                    status, sent = ("sent" if rng.random() < 0.98 else "failed"), due + rng.randint(200, 4000)
                else:
                    status, sent = "cancelled", None
                rows["outbox"].append((
                    oid, "page:%d:%d:%d:%d:%d" % (iid, fired, uid, mid, delay), iid, uid, mid, kind,
                    addr, "[%s] %s: %s" % (sev, ref, title), status, 1 if sent else 0, due, due, at,
                    sent))
                if status == "sent":
                    add(sent, "notification.delivered", ("system", None, "notifier"),
                        '{"notification":%d,"user":"%s","channel":"%s","kind":"page","attempts":1}'
                        % (oid, uname, kind))
                elif status == "failed":
                    add(sent, "notification.failed", ("system", None, "notifier"),
                        '{"notification":%d,"user":"%s","channel":"%s","kind":"page","attempts":3,'
                        '"error":"connection refused"}' % (oid, uname, kind))
        # Acknowledge, work, resolve (maybe reopen, then acknowledge and resolve again).
        if acked:
            add(ack_at, "incident.acknowledged", user_actor, '{"via":"acknowledged"}')
            add(ack_at, "escalation.stopped", sys_actor,
                '{"reason":"acknowledged","cancelled":%d,"policy_name":"%s"}' % (len(pages), policy))
            for role in ROLES[: (4 if top else 1)]:
                add(ack_at + rng.randint(0, 5) * MIN, "incident.role_assigned", user_actor,
                    '{"role":"%s","user":"%s","previous":null}'
                    % (role, users[rng.randrange(len(users))][1]))
            add(ack_at + MIN, "incident.status_changed", user_actor,
                '{"from":"acknowledged","to":"investigating","message":"%s"}'
                % rng.choice(self.short_pool))
        work0 = ack_at if acked else c
        span = max(res_at - work0, MIN)
        mitigated = restored = None
        if p["moments"]:
            mitigated = work0 + int(span * rng.uniform(0.2, 0.6))
            restored = mitigated + int((res_at - mitigated) * rng.uniform(0.3, 0.9))
            for name, at in (("mitigation_started", mitigated), ("service_restored", restored)):
                note = rng.choice(self.short_pool)
                rows["moments"].append((iid, name, at, r_name, note))
                add(at, "incident.moment_marked", user_actor,
                    '{"moment":"%s","at":"%s","note":"%s"}' % (name, ms_to_rfc3339(at), note))
            if rng.random() < 0.5:
                at = work0 + int(span * rng.uniform(0.1, 0.2))
                rows["moments"].append((iid, "root_cause_identified", at, r_name, ""))
                add(at, "incident.moment_marked", user_actor,
                    '{"moment":"root_cause_identified","at":"%s","note":""}' % ms_to_rfc3339(at))
        # Updates (numbered), the late reminders.
        last_update = None
        for u in range(1, p["updates"] + 1):
            at = c + int(span * u / (p["updates"] + 1))
            last_update = at
            add(at, "incident.update_posted", user_actor,
                '{"update_number":%d,"subject":"%s update %d","text":"%s","audiences":["internal",'
                '"stakeholders"],"next_due_at":"%s"}'
                % (u, ref, u, rng.choice(self.text_pool), ms_to_rfc3339(at + 30 * MIN)))
            if top:
                add(at, "incident.stakeholders_notified", sys_actor,
                    '{"reason":"update","update_number":%d,"to":["team:leadership",'
                    '"email:support-leads@acme.example"],"count":4}' % u)
        late_at = None
        for k in range(p["late"]):
            late_at = c + int(span * (k + 1) / (p["late"] + 2)) + 30 * MIN
            add(late_at, "incident.update_late", sys_actor,
                '{"update_number":%d,"due_at":"%s","owner":"%s","reminded":"%s"}'
                % (k + 1, ms_to_rfc3339(late_at - 5 * MIN), r_name, r_name))
        # Resolution, with a reopen in between for some.
        status = "resolved"
        first_res = res_at
        final_ack = ack_at
        add(first_res, "incident.resolved", user_actor if acked else ("system", None, integ_name),
            '{"summary":"%s","from":"%s"}' % (rng.choice(self.short_pool),
                                              "monitoring" if acked else "triggered"))
        for aid, fp, name, seen in alert_ids:
            add(min(first_res, seen + 50 * MIN), "alert.resolved", ("system", None, integ_name),
                '{"alert_id":%d,"fingerprint":"%s","alertname":"%s"}' % (aid, fp, name))
        final_res = first_res
        if p["reopened"]:
            reopen_at = first_res + rng.randint(10, 240) * MIN
            add(reopen_at, "incident.reopened", user_actor,
                '{"reason":"%s"}' % rng.choice(self.short_pool))
            add(reopen_at, "escalation.started", sys_actor,
                '{"policy":1,"policy_name":"%s","reopened":true,"steps":2,"repeat":1}' % policy)
            final_ack = reopen_at + int(rng.lognormvariate(math.log(4 * MIN), 0.7)) if acked else None
            final_res = (final_ack or reopen_at) + int(rng.lognormvariate(math.log(40 * MIN), 0.8)) + MIN
            if final_ack:
                add(final_ack, "incident.acknowledged", user_actor, '{"via":"acknowledged"}')
            add(final_res, "incident.resolved", user_actor,
                '{"summary":"%s","from":"investigating"}' % rng.choice(self.short_pool))
        if p["open"]:
            status = "investigating" if acked else "triggered"
        noise_reason = noise_by = noise_at = None
        if p["noise"]:
            noise_reason, noise_by, noise_at = "flapping alert, no customer impact", r_name, final_res
            add(noise_at, "incident.marked_noise", user_actor,
                '{"reason":"%s","alert":null}' % noise_reason)
        # Review and action items.
        review_due = final_res + 5 * DAY if top else None
        if p["review"] and not p["open"]:
            rid = self.ids["review"]
            self.ids["review"] += 1
            x = rng.random()
            state = "published" if x < 0.6 else ("in_review" if x < 0.75 else "draft")
            published = (final_res + rng.randint(1, 9) * DAY) if state == "published" else None
            owner = users[rng.randrange(len(users))]
            rows["reviews"].append((
                rid, iid, state, owner[0], review_due, "# Review of {{ref}}\n\n## Summary\n",
                '{"summary":"%s","impact":"%s"}' % (rng.choice(self.text_pool), rng.choice(self.short_pool)),
                "", '["%s"]' % users[rng.randrange(len(users))][1], 3, final_res + HOUR,
                published or final_res + 2 * DAY, (final_res + DAY) if state != "draft" else None,
                published, ("# Review of %s\n\n%s\n" % (ref, rng.choice(self.text_pool))) if published else ""))
            add(final_res + HOUR, "review.created", sys_actor,
                '{"review":%d,"owner":"%s","due_at":"%s","template":"default"}'
                % (rid, owner[1], ms_to_rfc3339(review_due)))
            if published:
                add(published, "review.published", ("user", owner[0], owner[1]),
                    '{"review":%d,"late":%s,"version":3}' % (rid, "true" if published > review_due else "false"))
        for k in range(p["actions"]):
            item = self.ids["item"]
            self.ids["item"] += 1
            owner = users[rng.randrange(len(users))]
            made = final_res + rng.randint(1, 48) * HOUR
            x = rng.random()
            st = "done" if x < 0.55 else ("open" if x < 0.8 else ("in_progress" if x < 0.93 else "wont_do"))
            closed = made + rng.randint(1, 30) * DAY if st in ("done", "wont_do") else None
            ititle = rng.choice(self.short_pool)
            rows["items"].append((
                item, iid, "review" if top else "incident", ititle, rng.choice(self.text_pool),
                owner[0], rng.choice(("urgent", "high", "medium", "low")), made + 14 * DAY, st,
                "https://tracker.acme.example/KLX-%d" % item, r_name, made, closed or made, closed,
                2 if closed else 1))
            add(made, "action_item.created", user_actor,
                '{"action_item":{"id":%d,"incident_id":%d,"title":"%s","owner":"%s","status":"open"}}'
                % (item, iid, ititle, owner[1]))
        # Filler: the timeline's notes, runbook ticks and repeat notifications, up to the target.
        filler = p["events"] - (len(ev) - n_before)
        t_end = max(final_res, c + MIN)
        for k in range(max(0, filler)):
            at = c + int((t_end - c) * (k + 1) / (filler + 1))
            x = rng.random()
            if x < 0.8:
                who = users[rng.randrange(len(users))]
                add(at, "incident.note_added", ("user", who[0], who[1]),
                    '{"text":"%s","type":"%s"}' % (rng.choice(self.text_pool), rng.choice(NOTE_TYPES)))
            elif x < 0.92:
                add(at, "incident.runbook_step_checked", user_actor,
                    '{"runbook":"%s-runbook","step":%d,"done":true,"text":"%s"}'
                    % (svc_name, k % 7 + 1, rng.choice(self.short_pool)))
            else:
                add(at, "incident.status_changed", user_actor,
                    '{"from":"investigating","to":"identified","message":"%s"}' % rng.choice(self.text_pool))
        # The incident and its clocks.
        ack_due = c + 15 * MIN if top else None
        res_due = c + 4 * HOUR
        rows["incidents"].append((
            iid, title, "Opened from alert %s." % p["alert0"], "", sev, status, svc_id, c,
            final_res if status == "resolved" else (final_ack or c), final_ack,
            final_res if status == "resolved" else None, integ_name,
            "" if status != "resolved" else rng.choice(self.short_pool), "",
            ("#inc-%s" % ref.lower()) if top else "", "", 1 if p["drill"] else 0,
            noise_reason, noise_by, noise_at))
        resp = final_ack if final_ack is not None else first_res
        rows["clocks"].append((
            iid, ack_due, (ack_due if ack_due and resp > ack_due else None), res_due,
            (res_due if final_res > res_due else None), late_at, p["updates"], last_update,
            review_due))


def generate(out_dir, klaxon_bin, n_incidents, n_events, seed):
    t0 = time.monotonic()
    if os.path.exists(out_dir):
        shutil.rmtree(out_dir)
    os.makedirs(out_dir)
    print("bootstrap: klaxon serve on %s, apply examples/sev-levels" % out_dir, flush=True)
    bootstrap(out_dir, klaxon_bin)
    db_path = os.path.join(out_dir, "klaxon.db")
    db = sqlite3.connect(db_path, isolation_level=None)
    db.execute("PRAGMA journal_mode=MEMORY")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA cache_size=-1000000")
    db.execute("PRAGMA temp_store=MEMORY")
    existing_events = db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    rng = random.Random(seed)
    g = Gen(db, rng, n_incidents, n_events - existing_events)
    db.execute("BEGIN")
    g.reference()
    print("planning %d incidents" % n_incidents, flush=True)
    g.plan()
    print("inserting (one transaction)", flush=True)
    g.run()
    print("commit", flush=True)
    db.execute("COMMIT")
    db.execute("ANALYZE")
    db.execute("PRAGMA journal_mode=WAL")
    counts = {}
    for t in ("events", "incidents", "services", "users", "alerts", "outbox", "incident_clocks",
              "incident_moments", "reviews", "action_items"):
        counts[t] = db.execute("SELECT COUNT(*) FROM %s" % t).fetchone()[0]
    counts["incidents_drill"] = db.execute("SELECT COUNT(*) FROM incidents WHERE drill = 1").fetchone()[0]
    counts["incidents_noise"] = db.execute(
        "SELECT COUNT(*) FROM incidents WHERE noise_reason IS NOT NULL").fetchone()[0]
    counts["incidents_acknowledged"] = db.execute(
        "SELECT COUNT(*) FROM incidents WHERE acknowledged_at IS NOT NULL").fetchone()[0]
    counts["incidents_reopened"] = db.execute(
        "SELECT COUNT(DISTINCT incident_id) FROM events WHERE kind = 'incident.reopened'").fetchone()[0]
    counts["incidents_open"] = db.execute(
        "SELECT COUNT(*) FROM incidents WHERE status <> 'resolved'").fetchone()[0]
    db.close()
    size = os.path.getsize(db_path)
    meta = {"counts": counts, "seed": seed, "db_bytes": size, "seconds": round(time.monotonic() - t0, 1),
            "admin_password": ADMIN_PASSWORD, "klaxon": klaxon_bin,
            "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    with open(os.path.join(out_dir, "generated.json"), "w") as f:
        json.dump(meta, f, indent=2)
    return meta


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(HERE, "data", "year"))
    ap.add_argument("--force", action="store_true", help="regenerate even when the data exists")
    ap.add_argument("--incidents", type=int, default=50_000)
    ap.add_argument("--events", type=int, default=5_000_000)
    ap.add_argument("--seed", type=int, default=8)
    ap.add_argument("--klaxon", default=os.environ.get("KLAXON") or os.path.join(ROOT, "build", "klaxon"))
    a = ap.parse_args()
    marker = os.path.join(a.out, "generated.json")
    if os.path.exists(marker) and not a.force:
        with open(marker) as f:
            meta = json.load(f)
        print("reusing %s (generated %s; --force to regenerate)" % (a.out, meta["generated_at"]))
    else:
        meta = generate(a.out, a.klaxon, a.incidents, a.events, a.seed)
        print("generated in %.1f s" % meta["seconds"])
    for k, v in meta["counts"].items():
        print("  %-24s %10d" % (k, v))
    print("  %-24s %10.1f MB" % ("klaxon.db", meta["db_bytes"] / 1e6))


if __name__ == "__main__":
    main()
