// The team's playbook as configuration: loading, validating, exporting and diffing the
// YAML that `klaxon apply -f FILE|DIR` reads and `klaxon export` writes.
//
// This is the pure half of `apply`: no store, no clock, no network. It turns files into a
// validated Document (typed structs plus one canonical JSON object per entity), turns a
// Document back into YAML and JSON, and compares two canonical JSON documents. Applying a
// diff to the database is the caller's job. Values and pure functions; any thread.
//
// The format is documented key by key in examples/README.md. In short, a file holds one
// or more YAML documents (separated by `---`); each is a mapping with any of the
// top-level keys `organization` (a mapping) and, each a list of named entities,
// `severities` (ordered: most severe first), `services`, `users`, `teams`, `schedules`,
// `escalation_policies`, `integrations`, `roles`, `runbooks`, `actions`,
// `automation_rules`, `classification_rules`, `templates`, `status_components`.
//
// Rules:
// - Identity. Every entity has a name, unique within its kind across all loaded files
//   (`username` for users; everything else `name`). Entity names are 1-100 characters and
//   not a number; usernames 1-64 letters, digits or . _ - @. A second definition is an
//   error naming both places. `organization` may be given once.
// - Strictness. Unknown keys, wrong types (a list where a string belongs, "yes" for an
//   integer) and malformed values are errors. Strings accept any YAML scalar as written.
//   Booleans are true/false (yes/no/on/off too). Integers and numbers must be unquoted.
// - Errors are collected, not stopped at: every Problem carries file, 1-based line and
//   column, a key path (`severities[1].ack_target`, indices within that YAML document)
//   and a message. A YAML syntax error stops only its own file.
// - References. A kind is *managed* by a document when the document defines at least one
//   entity of that kind (for `organization`: when it is present). A reference into a
//   managed kind must name an entity of the document; a reference into an unmanaged kind
//   is left for the server to resolve (it names something that already exists there).
//   `Diff(..., prune=true)` likewise deletes only within managed kinds, so a file with
//   no `users` never deletes users.
// - Durations are written `90s`, `15m`, `1h30m`, `2d`, `1w`, `250ms` (units w d h m s ms,
//   each at most once, largest first, no spaces) and kept as milliseconds in the structs.
//   In canonical JSON a duration is its canonical string: the largest units first, zero
//   parts left out ("90s" → "1m30s", "60m" → "1h", zero → "0s"). Fields named
//   `*_minutes` / `*_seconds` are integers, as in the HTTP API.
// - Times of day are "HH:MM" (00:00-23:59; 24:00 only as the end of `hours`), dates
//   "YYYY-MM-DD", instants RFC 3339 (canonical: UTC with milliseconds), time zones IANA
//   names checked against the tz database.
// - Secrets are never written in clear: an action may refer to environment variables as
//   `${NAME}` in its url, headers and body (resolved when it runs, never stored or
//   logged), and a header whose name suggests a credential (authorization, *token*,
//   *secret*, *key*, *password*, cookie) must take its value from one.
//
// Canonical JSON (ToJson, Entity::json): per entity an object with every field of its
// kind present, absent optional fields filled with their default (null for an absent
// optional reference or duration, [] for lists, "" for text); targets as
// {"type","name"}, label matchers as {"name","op","value"}, numeric conditions as
// {"annotation"|"label": name, "op", "value": number}, restrictions expanded to
// {"weekday","start","duration_minutes"}. The canonical JSON is also a valid input, so
// FromJson(ToJson(d)) and loading ToYaml(d) both give a Document whose ToJson equals
// ToJson(d).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/status.h"

namespace klaxon::playbook {

// ---------------------------------------------------------------------------------------
// Problems and locations

// Where something was written. Line and column are 1-based; 0 when unknown (JSON input,
// a file that could not be read).
struct Location {
  std::string file;
  int line = 0;
  int column = 0;
};

// One thing wrong with the input.
struct Problem {
  std::string file;     // as given to Load*, or "<json>" for FromJson
  int line = 0;         // 1-based; 0 when unknown
  int column = 0;       // 1-based; 0 when unknown
  std::string key;      // "severities[1].ack_target"; "" for the file or document itself
  std::string message;  // "must be a duration like 15m, 1h30m or 2d"
  // "file:line: key: message" (the line is left out when 0, the key when empty).
  std::string ToString() const;
  friend bool operator==(const Problem&, const Problem&) = default;
};

// kInvalidArgument whose message is the problems' ToString(), one a line, and whose
// fields are {"file:line:key", message}; Ok when `problems` is empty.
Status ProblemsToStatus(const std::vector<Problem>& problems);

// ---------------------------------------------------------------------------------------
// Value types shared by several kinds

using DurationMs = int64_t;

// Someone (or something) to notify. type: "user" (username), "schedule" (whoever is on
// call), "role" (whoever holds the incident role), "team" (every member), "email" (an
// address outside Klaxon; stakeholders only). Escalation policy steps take only user,
// schedule and role, as the HTTP API does.
struct Target {
  std::string type;
  std::string name;
  friend bool operator==(const Target&, const Target&) = default;
};

// A label matcher, as silences use them: op "=", "!=", "=~", "!~"; regexes are anchored
// (ECMAScript syntax); an absent label matches as "".
struct Matcher {
  std::string name;
  std::string op;
  std::string value;
  friend bool operator==(const Matcher&, const Matcher&) = default;
};

// A numeric comparison on an alert: the value of annotation (or label) `name` parsed as
// a number, compared with `op` (">", ">=", "<", "<=", "==", "!=") against `value`. An
// alert whose field is missing or not a number does not match. Written `"> 0.1"` for the
// annotation named "value", or {annotation: x, op: ">", value: 10} / {label: x, ...}.
struct Condition {
  std::string source = "annotation";  // "annotation" or "label"
  std::string name = "value";
  std::string op;
  double value = 0;
  friend bool operator==(const Condition&, const Condition&) = default;
};

// What every entity carries: its identity, its canonical JSON and where it was defined.
struct Entity {
  std::string name;  // the identity: `name`, or `username` for users
  nlohmann::json json;
  Location at;
};

// ---------------------------------------------------------------------------------------
// The kinds

struct Holiday {
  std::string date;  // "2026-12-25"
  std::string name;  // may be empty
};

// When people work: business hours for `page: business_hours` and review deadlines in
// business days. A day is a working day when its weekday is listed and it is no holiday.
struct BusinessCalendar {
  std::string time_zone = "UTC";
  std::vector<int> working_days;  // 0 = Sunday … 6 = Saturday, ascending from Monday
  int start_minute = 9 * 60;      // local, after midnight
  int end_minute = 17 * 60;       // local, > start_minute (1440 = midnight)
  std::vector<Holiday> holidays;  // as written
};

struct Organization : Entity {
  std::string time_zone = "UTC";
  BusinessCalendar business_calendar;
  // The war room's name for a new incident, mustache ({{date}} "2026-11-25", {{slug}} of
  // the title, {{ref}} "INC-42", {{severity}}).
  std::string war_room_pattern;
};

enum class PageMode {
  kAlways,         // page at once, any time (`page: always`, the default)
  kBusinessHours,  // page only within business hours; outside them, at the next start
  kNever,          // record-only: the incident is opened and tracked, nobody is paged
};

struct Review {
  bool required = false;
  // The deadline after resolution: a duration, or a number of business days (one of the
  // two, or neither for no deadline).
  std::optional<DurationMs> deadline;
  int deadline_business_days = 0;
};

// Elapsed-time escalation: `after` the incident opened, notify these in addition,
// whether or not anyone acknowledged. Ascending by `after`.
struct MatrixStep {
  DurationMs after = 0;
  std::vector<Target> notify;
};

struct Severity : Entity {
  int rank = 0;  // 1 = most severe: the position in `severities` over all files
  std::string description;
  std::vector<std::string> examples;
  std::optional<DurationMs> ack_target;
  std::optional<DurationMs> resolve_target;
  std::optional<DurationMs> update_every;  // communication cadence
  bool update_at_milestones = false;       // `update_every: milestones` (start, major, end)
  std::string escalation_policy;           // empty: the service's / default policy
  std::vector<std::string> required_roles;
  bool status_page = false;      // a status page post is expected
  bool customer_notice = false;  // customers are notified
  bool war_room = false;         // a war room is opened
  Review review;
  PageMode page = PageMode::kAlways;
  std::vector<Target> stakeholders;  // told on declaration, missed targets and resolution
  std::vector<MatrixStep> escalation_matrix;
};

struct Service : Entity {
  std::string description;
  std::string owner;              // a team's name (free text when teams are unmanaged)
  std::string escalation_policy;  // empty: the default policy
};

struct ContactMethod {
  std::string kind;  // email, slack, teams, discord, mattermost, webhook
  std::string address;
  std::string label;
};

struct NotificationRule {
  std::string contact_method;  // the label (or else the address) of one of the user's
  int delay_minutes = 0;       // 0..1440
};

struct User : Entity {    // Entity::name is the username
  std::string full_name;  // the JSON "name" (display name); defaults to the username
  std::string role;       // viewer, responder (default), admin
  std::string time_zone;
  std::vector<ContactMethod> contact_methods;
  std::vector<NotificationRule> notification_rules;
};

struct Team : Entity {
  std::string description;
  std::vector<std::string> members;  // usernames
};

struct Restriction {
  int weekday = 0;  // 0 = Sunday … 6 = Saturday
  int start_minute = 0;
  int duration_minutes = 0;
};

struct Layer {
  std::string name;
  std::vector<std::string> users;  // usernames, rotation order
  std::string rotation_unit;       // hours, days, weeks
  int rotation_length = 1;
  std::string start_date;    // "2026-11-02"
  std::string handoff_time;  // "09:00"
  std::vector<Restriction> restrictions;
};

struct ScheduleOverride {
  std::string user;
  TimeMs start = 0;
  TimeMs end = 0;
};

struct Schedule : Entity {
  std::string description;
  std::string time_zone;
  std::vector<Layer> layers;  // later layers win where they cover
  std::vector<ScheduleOverride> overrides;
};

struct EscalationStep {
  int delay_minutes = 1;
  std::vector<Target> targets;
};

struct EscalationPolicy : Entity {
  std::string description;
  int repeat = 0;
  bool is_default = false;  // the JSON "default"
  std::vector<EscalationStep> steps;
};

struct Integration : Entity {
  std::string kind;  // alertmanager, prometheus, pagerduty, grafana, heartbeat, webhook
  std::string service;
  std::vector<std::string> group_by;  // empty: the server's default for the kind
  bool auto_resolve = true;
  int64_t flap_window_seconds = 300;
  std::optional<int64_t> heartbeat_interval_seconds;  // heartbeat only
  std::optional<int64_t> heartbeat_grace_seconds;     // heartbeat only
  nlohmann::json mapping;                             // webhook only (complete), else null
};

struct Role : Entity {
  std::string description;
  std::string schedule;            // who holds it by default; may be empty
  std::vector<std::string> users;  // who may hold it; empty: anyone
};

struct RunbookStep {
  std::string text;
  std::string action;  // an action to offer with the step; may be empty
};

struct Runbook : Entity {
  std::string service;  // may be empty (any service)
  std::string title;
  std::string symptoms;   // Markdown
  std::string diagnosis;  // Markdown
  std::string body;       // Markdown
  std::vector<RunbookStep> steps;
  std::optional<DurationMs> rto;  // recovery time objective
  std::vector<Matcher> match;     // alert labels that select it (with the service)
};

struct Action : Entity {
  std::string description;
  std::string method;                                        // GET POST PUT PATCH DELETE
  std::string url;                                           // may contain ${ENV}
  std::vector<std::pair<std::string, std::string>> headers;  // sorted by name; ${ENV}
  std::string body;  // mustache template over the incident's facts; may contain ${ENV}
  DurationMs timeout = 10000;
  std::vector<int> expect_status;  // empty: any 2xx
  std::vector<std::string> env;    // every ${NAME} referenced, sorted, unique
};

struct AutomationRule : Entity {
  std::string description;
  std::vector<Matcher> selector;  // at least one
  Condition condition;
  DurationMs for_ms = 0;  // the JSON "for": how long the condition must hold
  std::string action;
  DurationMs cooldown = 15 * 60000;
  int max_runs = 1;  // per incident
  bool enabled = true;
};

struct ClassificationRule : Entity {  // evaluated in order; the first match wins
  std::string description;
  std::vector<Matcher> match;
  std::vector<Condition> conditions;  // all must hold
  std::string severity;
};

struct Template : Entity {
  std::string kind;      // initial, update, resolution, postmortem
  std::string audience;  // internal_chat, stakeholder_email, customer_email, status_page;
                         // document (postmortem only)
  std::vector<std::string> severities;  // empty: every level
  std::string subject;                  // mustache; may be empty
  std::string body;                     // mustache
};

struct StatusComponent : Entity {
  std::string description;
  std::string group;  // another component with is_group; may be empty
  bool is_group = false;
  bool showcase = true;
  bool only_show_if_degraded = false;
  std::vector<std::string> services;
};

// A loaded, valid playbook. Every list is in the order given (files in load order).
struct Document {
  std::optional<Organization> organization;
  std::vector<Severity> severities;
  std::vector<Service> services;
  std::vector<User> users;
  std::vector<Team> teams;
  std::vector<Schedule> schedules;
  std::vector<EscalationPolicy> escalation_policies;
  std::vector<Integration> integrations;
  std::vector<Role> roles;
  std::vector<Runbook> runbooks;
  std::vector<Action> actions;
  std::vector<AutomationRule> automation_rules;
  std::vector<ClassificationRule> classification_rules;
  std::vector<Template> templates;
  std::vector<StatusComponent> status_components;
};

// The top-level keys, in dependency order (create/update in this order, delete in
// reverse): organization, users, teams, schedules, roles, escalation_policies,
// severities, services, integrations, status_components, actions, runbooks,
// automation_rules, classification_rules, templates.
struct KindInfo {
  std::string_view key;       // "escalation_policies"
  std::string_view singular;  // "escalation policy" (for messages and FormatDiff)
  std::string_view id_field;  // "name", or "username" for users; "" for organization
};
const std::vector<KindInfo>& Kinds();
const KindInfo* FindKind(std::string_view key);

// ---------------------------------------------------------------------------------------
// Loading

struct Source {
  std::string name;  // shown in problems ("playbook/sev.yaml")
  std::string text;  // YAML
};

// `doc` is complete only when `problems` is empty.
struct LoadResult {
  Document doc;
  std::vector<Problem> problems;  // ordered by source, then line, then column
  bool ok() const { return problems.empty(); }
  Status status() const { return ProblemsToStatus(problems); }
};

// Parses and validates YAML texts as one playbook (the API endpoint's entry point).
LoadResult LoadSources(const std::vector<Source>& sources);

// Each path is a file, or a directory whose *.yaml and *.yml files (not recursive) are
// read in name order. A path that cannot be read, or a directory without YAML files, is
// a problem.
LoadResult LoadFiles(const std::vector<std::string>& paths);
Result<Document> LoadPaths(const std::vector<std::string>& paths);

// The canonical JSON form (as ToJson writes it, or any input shape in JSON), validated
// like YAML; problems name the file "<json>" with line 0.
LoadResult LoadJson(const nlohmann::json& j);
Result<Document> FromJson(const nlohmann::json& j);

// ---------------------------------------------------------------------------------------
// Export

// {"organization": {...}, "<kind>": [entity, ...], ...}: only the kinds the document
// manages (organization when present, lists when non-empty); each list in the order
// given; object keys sorted.
nlohmann::json ToJson(const Document& doc);

// One YAML document with the same content, kinds in dependency order, each entity's
// identity first and then its fields alphabetically; `apply` accepts it unchanged.
std::string ToYaml(const Document& doc);

// ---------------------------------------------------------------------------------------
// Diff

enum class ChangeType { kCreate, kUpdate, kDelete, kUnchanged };

struct FieldChange {
  std::string path;  // "ack_target", "layers[0].users", "business_calendar.hours"
  nlohmann::json old_value;
  nlohmann::json new_value;
};

struct Change {
  ChangeType type = ChangeType::kUnchanged;
  std::string kind;                 // the top-level key: "severities"; "organization"
  std::string name;                 // the identity; "" for the organization
  std::vector<FieldChange> fields;  // kUpdate: the differing values, as deep as they go
  nlohmann::json old_value;         // the entity in `current` (null for kCreate)
  nlohmann::json new_value;         // the entity in `desired` (null for kDelete)
};

// Compares two canonical documents (ToJson shapes) entity by entity, by kind and
// identity. Every entity of `desired` gives a create, update or unchanged; an entity of
// `current` absent from `desired` gives a delete when `prune` and its kind is managed by
// `desired` (the key is present), else nothing. Objects are compared key by key and
// arrays of equal length element by element; other differences are reported whole.
// Order: kinds in Kinds() order; within a kind, desired's order, then deletes in
// current's order. The organization is never deleted.
std::vector<Change> Diff(const nlohmann::json& current, const nlohmann::json& desired, bool prune);
bool HasChanges(const std::vector<Change>& changes);

// The dry-run text, one line per create / delete and per changed field, then a summary:
//   + service "checkout"
//   ~ severity "SEV-1": ack_target 10m -> 15m
//   - runbook "old"
//   3 to create, 1 to update, 1 to delete, 12 unchanged
// Values are shown bare when they are simple strings, else as JSON (cut at 60
// characters). No changes: "no changes (12 unchanged)".
std::string FormatDiff(const std::vector<Change>& changes);

// ---------------------------------------------------------------------------------------
// Helpers (also used by the server when it renders canonical values)

// "1h30m" → 5400000; nullopt when malformed or longer than 10 years.
std::optional<DurationMs> ParseDuration(std::string_view text);
// The canonical form: 5400000 → "1h30m", 0 → "0s".
std::string FormatDuration(DurationMs ms);
// Mustache syntax check (sections balanced, no partials or delimiter changes): "" when
// fine, else what is wrong.
std::string CheckMustache(std::string_view text);

}  // namespace klaxon::playbook
