#!/usr/bin/env python3
"""Creates a realistic public status page on a running Klaxon through its HTTP API, for
bench/statuspage. Prints one JSON line describing what was created.

  setup_page.py BASE_URL ADMIN_PASSWORD

- page settings: name, URL, time zone, accent colour, links, about text;
- 3 groups x 4 components (with descriptions; two mapped to services);
- a few component status changes (so today's uptime bars carry degraded/outage minutes);
- 2 public incidents with 3 updates each (the create counts as the first update):
  one resolved (investigating -> identified -> resolved), one unresolved
  (investigating -> identified -> monitoring), each moving its components' statuses;
- 1 scheduled maintenance two days ahead (so it does not transition during the run).
Login: POST /api/v1/auth/login {"username":"admin","password":...,"token_name":"bench"}.
"""
import json
import sys
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

BASE, PASSWORD = sys.argv[1].rstrip("/"), sys.argv[2]
API = BASE + "/api/v1"
TOKEN = None


def call(method, path, body=None, expect=(200, 201)):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(API + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if TOKEN:
        req.add_header("Authorization", "Bearer " + TOKEN)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            status, raw = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    if status not in expect:
        sys.exit(f"setup_page: {method} {path} -> {status}: {raw[:500]!r}")
    return json.loads(raw) if raw else None


def iso(dt):
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


TOKEN = call("POST", "/auth/login", {"username": "admin", "password": PASSWORD,
                                     "token_name": "bench"})["token"]
now = datetime.now(timezone.utc)

call("PATCH", "/status/page", {
    "name": "Acme Cloud Status",
    "url": "https://status.acme.example",
    "time_zone": "Europe/Berlin",
    "accent_color": "#2563eb",
    "links": [{"label": "Acme Cloud", "url": "https://acme.example"},
              {"label": "Support", "url": "https://acme.example/support"},
              {"label": "Twitter", "url": "https://twitter.example/acmecloud"}],
    "about": "Real-time and historical status of Acme Cloud's services. Subscribe to get "
             "notified of incidents and scheduled maintenance.",
})

for svc in ("api-gateway", "postgres-main"):
    call("POST", "/services", {"name": svc})

GROUPS = {
    "Website": [("Marketing site", "www.acme.example"),
                ("Dashboard", "The web console at app.acme.example"),
                ("Documentation", "docs.acme.example"),
                ("Sign-in and SSO", "Password, SAML and OIDC sign-in")],
    "API": [("REST API", "api.acme.example, all regions"),
            ("Webhooks", "Outgoing event deliveries"),
            ("GraphQL API", "graphql.acme.example"),
            ("Realtime streams", "WebSocket and server-sent events")],
    "Infrastructure": [("Database", "Managed PostgreSQL clusters"),
                       ("Object storage", "S3-compatible buckets"),
                       ("CDN", "Static asset delivery, 42 edge locations"),
                       ("DNS", "Authoritative DNS for customer zones")],
}
services = {"REST API": ["api-gateway"], "Database": ["postgres-main"]}
n_components = 0
for gpos, (group, comps) in enumerate(GROUPS.items(), 1):
    call("POST", "/status/components", {"name": group, "is_group": True, "position": gpos})
    for pos, (name, desc) in enumerate(comps, 1):
        body = {"name": name, "description": desc, "group": group, "position": pos}
        if name in services:
            body["services"] = services[name]
        call("POST", "/status/components", body)
        n_components += 1

# A few status changes, so the uptime history has non-operational minutes.
changes = [("Documentation", "degraded_performance"), ("CDN", "major_outage"),
           ("CDN", "partial_outage"), ("Documentation", "operational"), ("CDN", "operational"),
           ("Dashboard", "degraded_performance"), ("Dashboard", "operational")]
for name, status in changes:
    call("PATCH", "/status/components/" + urllib.request.quote(name), {"status": status})

# Incident 1: resolved, 3 updates.
i1 = call("POST", "/status/incidents", {
    "name": "Delayed webhook deliveries", "impact": "minor",
    "started_at": iso(now - timedelta(days=3, hours=2)),
    "body": "We are investigating delays of up to 15 minutes in webhook deliveries.",
    "components": {"Webhooks": "degraded_performance"}})
call("POST", f"/status/incidents/{i1['id']}/updates", {
    "status": "identified",
    "body": "A backlog in one delivery queue after a node failure; we are adding capacity.",
    "components": {"Webhooks": "partial_outage"}})
call("POST", f"/status/incidents/{i1['id']}/updates", {
    "status": "resolved",
    "body": "The backlog has been processed and deliveries are on time again. "
            "All delayed events were delivered; none were lost.",
    "components": {"Webhooks": "operational"}})

# Incident 2: unresolved (monitoring), 3 updates.
i2 = call("POST", "/status/incidents", {
    "name": "Elevated API error rates in eu-west", "impact": "major",
    "body": "Some requests to the REST API in eu-west fail with 503. We are investigating.",
    "components": {"REST API": "partial_outage", "Database": "degraded_performance"}})
call("POST", f"/status/incidents/{i2['id']}/updates", {
    "status": "identified",
    "body": "A failed primary in one database cluster; failover is in progress.",
    "components": {"REST API": "partial_outage", "Database": "partial_outage"}})
call("POST", f"/status/incidents/{i2['id']}/updates", {
    "status": "monitoring",
    "body": "Failover completed and error rates are back to normal. We are monitoring "
            "while replication catches up.",
    "components": {"REST API": "operational", "Database": "degraded_performance"}})

# One scheduled maintenance, two days ahead (no transition during the benchmark).
start = (now + timedelta(days=2)).replace(hour=2, minute=0, second=0, microsecond=0)
m = call("POST", "/status/maintenances", {
    "name": "Database engine upgrade",
    "body": "We will upgrade the managed PostgreSQL clusters to the next minor version. "
            "Expect brief (< 30 s) connection resets per cluster during the window.",
    "scheduled_for": iso(start), "scheduled_until": iso(start + timedelta(hours=2)),
    "components": ["Database", "REST API"]})

print(json.dumps({"groups": len(GROUPS), "components": n_components,
                  "status_changes": len(changes), "incidents": [i1["public_id"], i2["public_id"]],
                  "updates_per_incident": 3, "maintenance": m["public_id"],
                  "maintenance_status": m["status"]}))
