#include "store/migrations.h"

namespace klaxon::store {

namespace {
constexpr Migration kSqlite[] = {
    {1, "events, users, tokens, sessions, services, incidents", R"sql(
CREATE TABLE events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  actor_type TEXT NOT NULL,
  actor_id INTEGER,
  actor_name TEXT NOT NULL,
  incident_id INTEGER,
  data TEXT NOT NULL
);
CREATE INDEX events_by_incident ON events(incident_id, seq);

CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  username TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE TABLE api_tokens (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id),
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at INTEGER
);

CREATE TABLE sessions (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id),
  token_hash TEXT NOT NULL UNIQUE,
  csrf_token TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);

CREATE TABLE services (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL,
  owner TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE TABLE incidents (
  id INTEGER PRIMARY KEY,
  title TEXT NOT NULL,
  description TEXT NOT NULL,
  impact TEXT NOT NULL,
  severity TEXT NOT NULL,
  status TEXT NOT NULL,
  service_id INTEGER REFERENCES services(id),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  acknowledged_at INTEGER,
  resolved_at INTEGER,
  created_by TEXT NOT NULL,
  resolution_summary TEXT NOT NULL
);
CREATE INDEX incidents_by_status ON incidents(status, id);
)sql"},
    {2, "idempotency keys", R"sql(
CREATE TABLE idempotency_keys (
  scope TEXT NOT NULL,
  key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  status INTEGER NOT NULL,
  body TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (scope, key)
);
)sql"},
    {3, "integrations and alerts", R"sql(
CREATE TABLE integrations (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  key TEXT NOT NULL UNIQUE,
  service_id INTEGER REFERENCES services(id),
  group_by TEXT NOT NULL,
  auto_resolve INTEGER NOT NULL,
  flap_window_s INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);
CREATE TABLE alerts (
  id INTEGER PRIMARY KEY,
  integration_id INTEGER NOT NULL REFERENCES integrations(id),
  fingerprint TEXT NOT NULL,
  status TEXT NOT NULL,
  labels TEXT NOT NULL,
  annotations TEXT NOT NULL,
  generator_url TEXT NOT NULL,
  starts_at INTEGER NOT NULL,
  ends_at INTEGER,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  resolved_at INTEGER,
  count INTEGER NOT NULL,
  group_key TEXT NOT NULL,
  incident_id INTEGER REFERENCES incidents(id),
  UNIQUE (integration_id, fingerprint)
);
CREATE INDEX alerts_by_group ON alerts(integration_id, group_key);
CREATE INDEX alerts_by_incident ON alerts(incident_id, status);
)sql"},
    {4, "silences, maintenance windows, alert groups", R"sql(
CREATE TABLE silences (
  id INTEGER PRIMARY KEY,
  matchers TEXT NOT NULL,
  starts_at INTEGER NOT NULL,
  ends_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  comment TEXT NOT NULL,
  expired_at INTEGER,
  created_at INTEGER NOT NULL
);
CREATE INDEX silences_by_end ON silences(ends_at);
CREATE TABLE maintenance_windows (
  id INTEGER PRIMARY KEY,
  service_id INTEGER NOT NULL REFERENCES services(id),
  name TEXT NOT NULL,
  spec TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  deleted_at INTEGER
);
ALTER TABLE alerts ADD COLUMN silenced INTEGER NOT NULL DEFAULT 0;
CREATE TABLE alert_groups (
  integration_id INTEGER NOT NULL REFERENCES integrations(id),
  group_key TEXT NOT NULL,
  incident_id INTEGER NOT NULL REFERENCES incidents(id),
  PRIMARY KEY (integration_id, group_key)
);
INSERT OR REPLACE INTO alert_groups(integration_id, group_key, incident_id)
  SELECT integration_id, group_key, MAX(incident_id) FROM alerts
  WHERE incident_id IS NOT NULL GROUP BY integration_id, group_key;
)sql"},
    {5, "people, schedules, escalation policies, timers, notification outbox", R"sql(
ALTER TABLE users ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
ALTER TABLE users ADD COLUMN ical_token TEXT;
CREATE TABLE contact_methods (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id),
  kind TEXT NOT NULL,
  address TEXT NOT NULL,
  label TEXT NOT NULL,
  secret TEXT NOT NULL,
  verify_code TEXT,
  verified_at INTEGER,
  created_at INTEGER NOT NULL
);
CREATE INDEX contact_methods_by_user ON contact_methods(user_id);
CREATE TABLE notification_rules (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id),
  contact_method_id INTEGER NOT NULL REFERENCES contact_methods(id),
  delay_minutes INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX notification_rules_by_user ON notification_rules(user_id);
CREATE TABLE schedules (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL,
  time_zone TEXT NOT NULL,
  layers TEXT NOT NULL,
  ical_token TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE schedule_overrides (
  id INTEGER PRIMARY KEY,
  schedule_id INTEGER NOT NULL REFERENCES schedules(id),
  user_id INTEGER NOT NULL REFERENCES users(id),
  start_at INTEGER NOT NULL,
  end_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX overrides_by_schedule ON schedule_overrides(schedule_id, end_at);
CREATE TABLE escalation_policies (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL,
  repeat INTEGER NOT NULL,
  steps TEXT NOT NULL,
  is_default INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
ALTER TABLE services ADD COLUMN escalation_policy_id INTEGER REFERENCES escalation_policies(id);
CREATE TABLE incident_roles (
  incident_id INTEGER NOT NULL REFERENCES incidents(id),
  role TEXT NOT NULL,
  user_id INTEGER NOT NULL REFERENCES users(id),
  assigned_at INTEGER NOT NULL,
  PRIMARY KEY (incident_id, role)
);
CREATE TABLE escalations (
  incident_id INTEGER PRIMARY KEY REFERENCES incidents(id),
  policy_id INTEGER NOT NULL REFERENCES escalation_policies(id),
  state TEXT NOT NULL,
  step INTEGER NOT NULL,
  repeat INTEGER NOT NULL,
  fired INTEGER NOT NULL,
  last_step INTEGER,
  last_repeat INTEGER,
  updated_at INTEGER NOT NULL
);
CREATE TABLE timers (
  kind TEXT NOT NULL,
  subject INTEGER NOT NULL,
  due_at INTEGER NOT NULL,
  PRIMARY KEY (kind, subject)
);
CREATE INDEX timers_by_due ON timers(due_at);
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY,
  idem_key TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  incident_id INTEGER,
  user_id INTEGER,
  contact_method_id INTEGER,
  channel TEXT NOT NULL,
  address TEXT NOT NULL,
  message TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  due_at INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  sent_at INTEGER,
  last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_pending ON outbox(status, next_attempt_at);
CREATE INDEX outbox_by_incident ON outbox(incident_id);
CREATE TABLE used_action_tokens (
  nonce TEXT PRIMARY KEY,
  used_at INTEGER NOT NULL
);
CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
)sql"},
    {6, "integration settings (heartbeat interval, generic webhook mapping)", R"sql(
ALTER TABLE integrations ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';
CREATE INDEX alerts_firing_leases ON alerts(status, ends_at);
)sql"},
    {7, "status page: components, public incidents and maintenances, updates, history", R"sql(
CREATE TABLE status_components (
  id INTEGER PRIMARY KEY,
  public_id TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  group_id INTEGER REFERENCES status_components(id),
  is_group INTEGER NOT NULL DEFAULT 0,
  position INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL DEFAULT 'operational',
  showcase INTEGER NOT NULL DEFAULT 1,
  only_show_if_degraded INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  deleted_at INTEGER
);
CREATE TABLE status_component_services (
  component_id INTEGER NOT NULL REFERENCES status_components(id),
  service_id INTEGER NOT NULL REFERENCES services(id),
  PRIMARY KEY (component_id, service_id)
);
CREATE TABLE status_history (
  id INTEGER PRIMARY KEY,
  component_id INTEGER NOT NULL REFERENCES status_components(id),
  status TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX status_history_by_time ON status_history(at);
CREATE TABLE status_incidents (
  id INTEGER PRIMARY KEY,
  public_id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  status TEXT NOT NULL,
  impact TEXT NOT NULL,
  incident_id INTEGER REFERENCES incidents(id),
  started_at INTEGER NOT NULL,
  monitoring_at INTEGER,
  resolved_at INTEGER,
  scheduled_for INTEGER,
  scheduled_until INTEGER,
  auto_transition INTEGER NOT NULL DEFAULT 1,
  postmortem TEXT NOT NULL DEFAULT '',
  components TEXT NOT NULL DEFAULT '[]',
  silence_windows TEXT NOT NULL DEFAULT '[]',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX status_incidents_by_update ON status_incidents(kind, updated_at);
CREATE TABLE status_updates (
  id INTEGER PRIMARY KEY,
  public_id TEXT NOT NULL UNIQUE,
  status_incident_id INTEGER NOT NULL REFERENCES status_incidents(id),
  status TEXT NOT NULL,
  body TEXT NOT NULL,
  affected TEXT NOT NULL DEFAULT '[]',
  created_at INTEGER NOT NULL,
  display_at INTEGER NOT NULL
);
CREATE INDEX status_updates_by_incident ON status_updates(status_incident_id, id);
)sql"},
    {8, "status page subscribers; outbox rows for them", R"sql(
CREATE TABLE status_subscribers (
  id INTEGER PRIMARY KEY,
  public_id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  email TEXT NOT NULL DEFAULT '',
  url TEXT NOT NULL DEFAULT '',
  secret TEXT NOT NULL DEFAULT '',
  components TEXT NOT NULL DEFAULT '[]',
  state TEXT NOT NULL,
  token TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  requested_at INTEGER NOT NULL,
  confirmed_at INTEGER,
  unsubscribed_at INTEGER,
  last_mailed_at INTEGER
);
CREATE UNIQUE INDEX status_subscribers_target ON status_subscribers(kind, email, url);
CREATE INDEX status_subscribers_by_state ON status_subscribers(state);
ALTER TABLE outbox ADD COLUMN subscriber_id INTEGER;
CREATE INDEX outbox_by_subscriber ON outbox(subscriber_id) WHERE subscriber_id IS NOT NULL;
)sql"},
    {9, "the playbook on the clock: classification, war room, targets, cadence, moments", R"sql(
ALTER TABLE incidents ADD COLUMN classified_by TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN war_room TEXT NOT NULL DEFAULT '';
CREATE TABLE incident_clocks (
  incident_id INTEGER PRIMARY KEY REFERENCES incidents(id),
  ack_due_at INTEGER,
  ack_missed_at INTEGER,
  resolve_due_at INTEGER,
  resolve_missed_at INTEGER,
  matrix_done INTEGER NOT NULL DEFAULT 0,
  update_due_at INTEGER,
  update_reminded_at INTEGER,
  update_late_at INTEGER,
  updates INTEGER NOT NULL DEFAULT 0,
  last_update_at INTEGER,
  review_due_at INTEGER
);
CREATE TABLE incident_moments (
  incident_id INTEGER NOT NULL REFERENCES incidents(id),
  moment TEXT NOT NULL,
  at INTEGER NOT NULL,
  marked_by TEXT NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (incident_id, moment)
);
CREATE TABLE incident_checklist (
  incident_id INTEGER NOT NULL REFERENCES incidents(id),
  runbook TEXT NOT NULL,
  step INTEGER NOT NULL,
  done INTEGER NOT NULL,
  marked_by TEXT NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (incident_id, runbook, step)
);
)sql"},
    {10, "automation rules and the war room's link", R"sql(
ALTER TABLE incidents ADD COLUMN war_room_link TEXT NOT NULL DEFAULT '';
CREATE TABLE automation_state (
  incident_id INTEGER NOT NULL REFERENCES incidents(id),
  rule TEXT NOT NULL,
  state TEXT NOT NULL,
  PRIMARY KEY (incident_id, rule)
);
CREATE TABLE automation_runs (
  id INTEGER PRIMARY KEY,
  incident_id INTEGER NOT NULL REFERENCES incidents(id),
  rule TEXT NOT NULL,
  action TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  done_at INTEGER
);
CREATE INDEX automation_runs_pending ON automation_runs(id) WHERE done_at IS NULL;
)sql"},
    {11, "post-incident reviews", R"sql(
CREATE TABLE reviews (
  id INTEGER PRIMARY KEY,
  incident_id INTEGER NOT NULL UNIQUE REFERENCES incidents(id),
  state TEXT NOT NULL,
  owner_id INTEGER REFERENCES users(id),
  due_at INTEGER,
  template TEXT NOT NULL,
  template_name TEXT NOT NULL DEFAULT '',
  sections TEXT NOT NULL DEFAULT '{}',
  public_text TEXT NOT NULL DEFAULT '',
  reviewers TEXT NOT NULL DEFAULT '[]',
  version INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  submitted_at INTEGER,
  published_at INTEGER,
  published_markdown TEXT NOT NULL DEFAULT '',
  reminded INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX reviews_by_state ON reviews(state, due_at);
CREATE TABLE review_revisions (
  review_id INTEGER NOT NULL REFERENCES reviews(id),
  version INTEGER NOT NULL,
  at INTEGER NOT NULL,
  by TEXT NOT NULL,
  changes TEXT NOT NULL,
  PRIMARY KEY (review_id, version)
);
)sql"},
    {12, "deactivated users and archived services", R"sql(
ALTER TABLE users ADD COLUMN deactivated_at INTEGER;
ALTER TABLE services ADD COLUMN archived_at INTEGER;
)sql"},
    {13, "action items, event webhooks, drill and noise marks", R"sql(
ALTER TABLE incidents ADD COLUMN drill INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN noise_reason TEXT;
ALTER TABLE incidents ADD COLUMN noise_by TEXT;
ALTER TABLE incidents ADD COLUMN noise_at INTEGER;
ALTER TABLE alerts ADD COLUMN noise_reason TEXT;
ALTER TABLE alerts ADD COLUMN noise_at INTEGER;
CREATE TABLE action_items (
  id INTEGER PRIMARY KEY,
  incident_id INTEGER NOT NULL REFERENCES incidents(id),
  source TEXT NOT NULL,
  title TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  owner_id INTEGER REFERENCES users(id),
  priority TEXT NOT NULL,
  due_at INTEGER,
  status TEXT NOT NULL,
  tracker_url TEXT NOT NULL DEFAULT '',
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  closed_at INTEGER,
  version INTEGER NOT NULL DEFAULT 1,
  reminders_sent INTEGER NOT NULL DEFAULT 0,
  last_reminded_at INTEGER
);
CREATE INDEX action_items_by_incident ON action_items(incident_id);
CREATE INDEX action_items_by_owner ON action_items(owner_id, status);
CREATE INDEX action_items_active_due ON action_items(due_at)
  WHERE status IN ('open', 'in_progress');
CREATE TABLE webhooks (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  url TEXT NOT NULL,
  secret TEXT NOT NULL,
  events TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
ALTER TABLE outbox ADD COLUMN webhook_id INTEGER;
CREATE INDEX events_for_analytics ON events(incident_id)
  WHERE kind IN ('incident.reopened', 'incident.update_late', 'incident.update_posted');
)sql"},
    {14, "analytics indexes", R"sql(
DROP INDEX events_for_analytics;
CREATE INDEX events_for_analytics ON events(incident_id, kind, at)
  WHERE kind IN ('incident.acknowledged', 'incident.reopened', 'incident.update_late');
CREATE INDEX outbox_pages_by_time ON outbox(created_at, incident_id, user_id, status, idem_key)
  WHERE kind = 'page';
CREATE INDEX incidents_by_created ON incidents(created_at);
)sql"},
    {15, "drills: scenarios and runs", R"sql(
CREATE TABLE drill_scenarios (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  spec TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE drill_runs (
  id INTEGER PRIMARY KEY,
  scenario_id INTEGER,
  scenario_name TEXT NOT NULL,
  spec TEXT NOT NULL,
  status TEXT NOT NULL,
  outcome TEXT NOT NULL DEFAULT '',
  allow_public INTEGER NOT NULL DEFAULT 0,
  scheduled_at INTEGER,
  started_at INTEGER,
  ends_at INTEGER,
  finished_at INTEGER,
  incident_id INTEGER REFERENCES incidents(id),
  note TEXT NOT NULL DEFAULT '',
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX drill_runs_by_incident ON drill_runs(incident_id) WHERE incident_id IS NOT NULL;
CREATE INDEX drill_runs_by_scenario ON drill_runs(scenario_id, id);
)sql"},
    {16, "intake: drop an index no query uses", R"sql(
-- alert_groups (migration 4) answers which incident a group feeds; this index only cost
-- every new alert one more b-tree insert.
DROP INDEX alerts_by_group;
)sql"},
    {17, "events: a partial index every insert can test cheaply", R"sql(
-- The same rows as migration 14's index, but `kind IN (…)` in an index's WHERE makes
-- SQLite build a temporary table on every INSERT INTO events to test it; three
-- comparisons do not. The analytics query (insights/facts.cc) repeats this expression.
DROP INDEX events_for_analytics;
CREATE INDEX events_for_analytics ON events(incident_id, kind, at)
  WHERE kind = 'incident.acknowledged' OR kind = 'incident.reopened'
     OR kind = 'incident.update_late';
)sql"},
    {18, "alerts: no index on the fingerprint", R"sql(
-- Intake finds stored alerts by fingerprint in memory (alerts/fingerprint_index.h). The
-- UNIQUE constraint's index put every new alert on a random page of it: most of the pages
-- a commit of new alerts wrote. A table constraint cannot be dropped, so the table is
-- copied (no other table refers to alerts; ids are kept).
CREATE TABLE alerts_new (
  id INTEGER PRIMARY KEY,
  integration_id INTEGER NOT NULL REFERENCES integrations(id),
  fingerprint TEXT NOT NULL,
  status TEXT NOT NULL,
  labels TEXT NOT NULL,
  annotations TEXT NOT NULL,
  generator_url TEXT NOT NULL,
  starts_at INTEGER NOT NULL,
  ends_at INTEGER,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  resolved_at INTEGER,
  count INTEGER NOT NULL,
  group_key TEXT NOT NULL,
  incident_id INTEGER REFERENCES incidents(id),
  silenced INTEGER NOT NULL DEFAULT 0,
  noise_reason TEXT,
  noise_at INTEGER
);
INSERT INTO alerts_new(id, integration_id, fingerprint, status, labels, annotations,
  generator_url, starts_at, ends_at, first_seen, last_seen, resolved_at, count, group_key,
  incident_id, silenced, noise_reason, noise_at)
  SELECT id, integration_id, fingerprint, status, labels, annotations, generator_url,
  starts_at, ends_at, first_seen, last_seen, resolved_at, count, group_key, incident_id,
  silenced, noise_reason, noise_at FROM alerts;
DROP TABLE alerts;
ALTER TABLE alerts_new RENAME TO alerts;
CREATE INDEX alerts_by_incident ON alerts(incident_id, status);
CREATE INDEX alerts_firing_leases ON alerts(status, ends_at);
)sql"},
};
}  // namespace

std::span<const Migration> SqliteMigrations() { return kSqlite; }

}  // namespace klaxon::store
