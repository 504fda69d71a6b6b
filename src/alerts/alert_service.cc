#include "alerts/alert_service.h"

#include "intake/generic.h"

#include <algorithm>
#include <chrono>
#include <deque>

#include "core/log.h"
#include "core/random.h"
#include "core/time_format.h"

namespace klaxon::alerts {

namespace {

using nlohmann::json;

constexpr const char* kIntegrationColumns =
    "id, name, kind, key, service_id, group_by, auto_resolve, flap_window_s, created_at, "
    "revoked_at, settings";

Integration FromRow(const store::Row& r) {
  Integration in;
  in.id = r.Int(0);
  in.name = r.Str(1);
  in.kind = r.Str(2);
  in.key = r.Str(3);
  in.service_id = r.OptInt(4);
  in.group_by = json::parse(r.Str(5), nullptr, false).get<std::vector<std::string>>();
  in.auto_resolve = r.Int(6) != 0;
  in.flap_window_s = r.Int(7);
  in.created_at = r.Int(8);
  in.revoked_at = r.OptInt(9);
  in.settings = json::parse(r.Str(10), nullptr, false);
  if (!in.settings.is_object()) in.settings = json::object();
  return in;
}

std::string GroupKey(const Integration& in, const intake::Labels& labels) {
  std::string key;
  for (const auto& name : in.group_by) {
    auto it = labels.find(name);
    key += name + "=" + (it == labels.end() ? "" : it->second) + "\x1f";
  }
  return key;
}

std::string Label(const intake::Labels& l, const std::string& name) {
  auto it = l.find(name);
  return it == l.end() ? "" : it->second;
}

std::string Truncate(std::string s, size_t max_chars) {
  size_t chars = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && ++chars > max_chars) {
      s.resize(i);
      break;
    }
  }
  return s;
}

// The stored JSON of an alert's labels / annotations, borrowed for a statement's
// parameters: prepared by the request's thread (intake::PrepareForStore) when it could,
// else made here into `made` (a deque: its strings stay put as it grows).
store::TextRef StoredJson(const std::string& prepared, const intake::Labels& labels,
                          std::deque<std::string>& made) {
  return {prepared.empty() ? std::string_view(made.emplace_back(intake::LabelsJson(labels)))
                           : std::string_view(prepared)};
}

json AlertEventData(int64_t alert_id, const intake::NormalizedAlert& a) {
  // The labels live in the alerts table; the event names the alert. Built as a map, not
  // from an initializer list (that was a third of the cost of a new alert's event).
  json::object_t data;
  data.emplace("alert_id", alert_id);
  data.emplace("alertname", Label(a.labels, "alertname"));
  data.emplace("fingerprint", a.fingerprint);
  return json(std::move(data));
}

// An alert.fired event for a new alert, with its data also serialized as dump() would
// write it (keys in order, strings escaped alike), without the dump: one per alert.
events::Event AlertFired(const events::Actor& actor, int64_t alert_id,
                         const intake::NormalizedAlert& a, std::optional<int64_t> incident) {
  events::Event e = events::Event::Of("alert.fired", actor, AlertEventData(alert_id, a), incident);
  const auto& alertname = e.data.at("alertname").get_ref<const std::string&>();
  std::string& text = e.data_text;
  text.reserve(64 + alertname.size() + a.fingerprint.size());
  text += "{\"alert_id\":";
  text += std::to_string(alert_id);
  text += ",\"alertname\":";
  bool utf8 = intake::AppendJsonString(text, alertname);
  text += ",\"fingerprint\":";
  utf8 = utf8 && intake::AppendJsonString(text, a.fingerprint);
  text += '}';
  if (!utf8) text.clear();  // left to dump(), which refuses it as before
  return e;
}

}  // namespace

bool IsIntegrationKind(std::string_view kind) {
  return kind == "alertmanager" || kind == "prometheus" || kind == "pagerduty" ||
         kind == "grafana" || kind == "heartbeat" || kind == "webhook";
}

std::vector<std::string> DefaultGroupBy(std::string_view kind) {
  if (kind == "pagerduty") return {"dedup_key"};
  return {"alertname", "service"};
}

std::string SeverityOf(const intake::Labels& labels) {
  std::string s = Label(labels, "severity");
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (s == "critical" || s == "page" || s == "sev1" || s == "p1" || s == "emergency")
    return "SEV-1";
  if (s == "high" || s == "error" || s == "major" || s == "sev2" || s == "p2") return "SEV-2";
  if (s == "info" || s == "low" || s == "ticket" || s == "sev4" || s == "p4" || s == "none")
    return "SEV-4";
  return "SEV-3";
}

json Integration::ToJson(const std::string& public_url) const {
  json urls;
  if (kind == "alertmanager") {
    urls = {{"webhook", public_url + "/intake/alertmanager/" + key}};
  } else if (kind == "grafana") {
    urls = {{"webhook", public_url + "/intake/grafana/" + key},
            {"bearer_webhook", public_url + "/intake/grafana"}};
  } else if (kind == "pagerduty") {
    urls = {{"events_v2", public_url + "/v2/enqueue"},
            {"events_v2_with_key", public_url + "/intake/pagerduty/" + key + "/v2/enqueue"}};
  } else if (kind == "heartbeat") {
    urls = {{"ping", public_url + "/intake/heartbeat/" + key}};
  } else if (kind == "webhook") {
    urls = {{"webhook", public_url + "/intake/webhook/" + key}};
  } else {
    urls = {{"api", public_url + "/intake/prometheus/" + key + "/api/v2/alerts"},
            {"path_prefix", "/intake/prometheus/" + key},
            {"bearer_api", public_url + "/api/v2/alerts"}};
  }
  return {{"id", id},
          {"name", name},
          {"kind", kind},
          {"key", key},
          {"service_id", service_id ? json(*service_id) : json()},
          {"group_by", group_by},
          {"auto_resolve", auto_resolve},
          {"flap_window_seconds", flap_window_s},
          {"created_at", FormatTime(created_at)},
          {"revoked_at", revoked_at ? json(FormatTime(*revoked_at)) : json()},
          {"settings", settings},
          {"urls", urls}};
}

namespace {

// Checks an integration's fields; normalizes a webhook's mapping in place.
std::vector<FieldError> ValidateIntegration(Integration& spec) {
  std::vector<FieldError> errs;
  if (spec.name.empty() || spec.name.size() > 100)
    errs.push_back({"/name", "must be 1-100 characters"});
  else if (spec.name == "klaxon-drills")
    errs.push_back({"/name", "is reserved for drills"});
  if (!IsIntegrationKind(spec.kind))
    errs.push_back(
        {"/kind", "must be alertmanager, prometheus, pagerduty, grafana, heartbeat or webhook"});
  if (spec.kind == "heartbeat") {
    const json& iv = spec.settings.value("heartbeat_interval_seconds", json());
    const json& gr = spec.settings.value("heartbeat_grace_seconds", json(0));
    if (!iv.is_number_integer() || iv.get<int64_t>() < 10 || iv.get<int64_t>() > 7 * 86400)
      errs.push_back(
          {"/heartbeat_interval_seconds", "a heartbeat needs an interval of 10 s to 7 days"});
    if (!gr.is_number_integer() || gr.get<int64_t>() < 0 || gr.get<int64_t>() > 86400)
      errs.push_back({"/heartbeat_grace_seconds", "must be 0-86400"});
  } else if (spec.kind == "webhook") {
    auto mapping = intake::GenericMapping::FromJson(spec.settings.value("mapping", json::object()));
    if (!mapping.ok()) {
      for (const auto& f : mapping.status().fields()) errs.push_back(f);
      if (mapping.status().fields().empty())
        errs.push_back({"/mapping", mapping.status().message()});
    } else {
      spec.settings = {{"mapping", mapping->ToJson()}};
    }
  } else if (!spec.settings.empty()) {
    errs.push_back({spec.settings.contains("mapping") ? "/mapping" : "/heartbeat_interval_seconds",
                    "does not apply to kind " + spec.kind});
  }
  if (spec.group_by.size() > 16) errs.push_back({"/group_by", "at most 16 labels"});
  if (spec.flap_window_s < 0 || spec.flap_window_s > 86400)
    errs.push_back({"/flap_window_seconds", "must be 0-86400"});
  return errs;
}

std::string NewIntegrationKey(const std::string& kind) {
  // 32 characters either way; PagerDuty senders expect 32 lowercase hex digits.
  return kind == "pagerduty" ? HashToken(RandomToken(32)).substr(0, 32) : RandomToken(24);
}

}  // namespace

Result<Integration> AlertService::CreateIntegration(store::Tx& tx, Integration spec,
                                                    const events::Actor& actor) {
  std::vector<FieldError> errs = ValidateIntegration(spec);
  if (!errs.empty()) return Invalid("invalid integration", std::move(errs));
  auto dup = tx.QueryOne("SELECT id FROM integrations WHERE name = ?", {spec.name});
  if (!dup.ok()) return dup.status();
  if (*dup) return Conflict("an integration named '" + spec.name + "' exists");
  spec.key = NewIntegrationKey(spec.kind);
  spec.created_at = clock_.Now();
  auto row = tx.QueryOne(
      "INSERT INTO integrations(name, kind, key, service_id, group_by, auto_resolve, "
      "flap_window_s, created_at, settings) "
      "VALUES (?,?,?,?,?,?,?,?,?) RETURNING id",
      {spec.name, spec.kind, spec.key, store::Opt(spec.service_id), json(spec.group_by).dump(),
       int64_t{spec.auto_resolve}, spec.flap_window_s, spec.created_at, spec.settings.dump()});
  if (!row.ok()) return row.status();
  spec.id = (*row)->Int(0);
  auto seq = log_.Append(
      tx,
      events::Event::Of("integration.created", actor,
                        {{"integration_id", spec.id}, {"name", spec.name}, {"kind", spec.kind}}));
  if (!seq.ok()) return seq.status();
  if (on_created_) KLAXON_RETURN_IF_ERROR(on_created_(tx, spec));
  return spec;
}

Result<Integration> AlertService::DrillIntegration(store::Tx& tx) {
  auto find = [&]() -> Result<std::optional<Integration>> {
    auto row = tx.QueryOne(std::string("SELECT ") + kIntegrationColumns +
                           " FROM integrations WHERE kind = 'drill' ORDER BY id LIMIT 1");
    if (!row.ok()) return row.status();
    if (!*row) return std::optional<Integration>();
    return std::optional<Integration>(FromRow(**row));
  };
  KLAXON_ASSIGN_OR_RETURN(auto found, find());
  if (found) return *found;
  // Its name cannot clash with one a user chose: names of theirs are checked against it.
  Integration in;
  in.name = "klaxon-drills";
  in.kind = "drill";
  in.key = "drill-" + RandomToken(24);  // never shown; FindByKey refuses the kind anyway
  in.group_by = {"drill_run"};
  in.auto_resolve = true;
  in.flap_window_s = 0;
  in.created_at = clock_.Now();
  auto row = tx.QueryOne(
      "INSERT INTO integrations(name, kind, key, service_id, group_by, auto_resolve, "
      "flap_window_s, created_at, settings) VALUES (?,?,?,NULL,?,?,?,?,'{}') RETURNING id",
      {in.name, in.kind, in.key, json(in.group_by).dump(), int64_t{1}, in.flap_window_s,
       in.created_at});
  if (!row.ok()) return row.status();
  in.id = (*row)->Int(0);
  return in;
}

Result<std::vector<Integration>> AlertService::ListIntegrations(store::Tx& tx) {
  auto rows = tx.Query(std::string("SELECT ") + kIntegrationColumns +
                       " FROM integrations WHERE kind <> 'drill' ORDER BY name");
  if (!rows.ok()) return rows.status();
  std::vector<Integration> out;
  for (const auto& r : *rows) out.push_back(FromRow(r));
  return out;
}

Result<Integration> AlertService::GetIntegration(store::Tx& tx, int64_t id) {
  auto row = tx.QueryOne(std::string("SELECT ") + kIntegrationColumns +
                             " FROM integrations WHERE id = ? AND kind <> 'drill'",
                         {id});
  if (!row.ok()) return row.status();
  if (!*row) return NotFound("no integration " + std::to_string(id));
  return FromRow(**row);
}

Status AlertService::RevokeIntegration(store::Tx& tx, int64_t id, const events::Actor& actor) {
  auto in = GetIntegration(tx, id);
  if (!in.ok()) return in.status();
  if (in->revoked_at) return Conflict("integration " + in->name + " is already revoked");
  KLAXON_RETURN_IF_ERROR(
      tx.Exec("UPDATE integrations SET revoked_at = ? WHERE id = ?", {clock_.Now(), id}));
  InvalidateKeys(tx);
  auto seq = log_.Append(tx, events::Event::Of("integration.revoked", actor,
                                               {{"integration_id", id}, {"name", in->name}}));
  return seq.ok() ? Status::Ok() : seq.status();
}

Result<Integration> AlertService::UpdateIntegration(store::Tx& tx, int64_t id,
                                                    const IntegrationPatch& patch,
                                                    const events::Actor& actor) {
  KLAXON_ASSIGN_OR_RETURN(Integration in, GetIntegration(tx, id));
  if (in.revoked_at) return Conflict("integration " + in.name + " is revoked");
  json changed = json::object();
  if (patch.name && *patch.name != in.name) {
    in.name = *patch.name;
    changed["name"] = in.name;
  }
  if (patch.service_id) {
    in.service_id = *patch.service_id;  // nullopt inside: no service
    changed["service_id"] = in.service_id ? json(*in.service_id) : json();
  }
  if (patch.group_by) {
    in.group_by = *patch.group_by;
    changed["group_by"] = in.group_by;
  }
  if (patch.auto_resolve) {
    in.auto_resolve = *patch.auto_resolve;
    changed["auto_resolve"] = in.auto_resolve;
  }
  if (patch.flap_window_s) {
    in.flap_window_s = *patch.flap_window_s;
    changed["flap_window_seconds"] = in.flap_window_s;
  }
  bool rearm = false;
  for (const auto& [k, v] : patch.settings.items()) {
    in.settings[k] = v;
    changed[k] = v;
    rearm = rearm || k.starts_with("heartbeat_");
  }
  std::vector<FieldError> errs = ValidateIntegration(in);
  if (!errs.empty()) return Invalid("invalid integration", std::move(errs));
  if (changed.contains("name")) {
    auto dup = tx.QueryOne("SELECT id FROM integrations WHERE name = ? AND id != ?", {in.name, id});
    if (!dup.ok()) return dup.status();
    if (*dup) return Conflict("an integration named '" + in.name + "' exists");
  }
  if (changed.empty()) return in;
  InvalidateKeys(tx);
  KLAXON_RETURN_IF_ERROR(
      tx.Exec("UPDATE integrations SET name = ?, service_id = ?, group_by = ?, auto_resolve = ?, "
              "flap_window_s = ?, settings = ? WHERE id = ?",
              {in.name, store::Opt(in.service_id), json(in.group_by).dump(),
               int64_t{in.auto_resolve}, in.flap_window_s, in.settings.dump(), id}));
  KLAXON_RETURN_IF_ERROR(
      log_.Append(tx, events::Event::Of(
                          "integration.updated", actor,
                          {{"integration_id", id}, {"name", in.name}, {"changed", changed}}))
          .status());
  // A new heartbeat interval counts from now.
  if (rearm && on_created_) KLAXON_RETURN_IF_ERROR(on_created_(tx, in));
  return in;
}

Result<Integration> AlertService::RotateIntegrationKey(store::Tx& tx, int64_t id,
                                                       const events::Actor& actor) {
  KLAXON_ASSIGN_OR_RETURN(Integration in, GetIntegration(tx, id));
  if (in.revoked_at) return Conflict("integration " + in.name + " is revoked");
  in.key = NewIntegrationKey(in.kind);
  KLAXON_RETURN_IF_ERROR(tx.Exec("UPDATE integrations SET key = ? WHERE id = ?", {in.key, id}));
  InvalidateKeys(tx);
  KLAXON_RETURN_IF_ERROR(
      log_.Append(tx, events::Event::Of("integration.key_rotated", actor,
                                        {{"integration_id", id}, {"name", in.name}}))
          .status());
  return in;
}

void AlertService::InvalidateKeys(store::Tx& tx) {
  {
    std::lock_guard lock(keys_mu_);
    keys_.clear();
    keys_generation_++;
  }
  tx.OnCommit([this] {
    std::lock_guard lock(keys_mu_);
    keys_.clear();
    keys_generation_++;
  });
}

std::optional<Integration> AlertService::CachedByKey(std::string_view key) {
  std::lock_guard lock(keys_mu_);
  auto it = keys_.find(std::string(key));
  if (it == keys_.end()) return std::nullopt;
  return it->second;
}

Result<Integration> AlertService::FindByKey(store::Tx& tx, std::string_view key) {
  if (key.empty() || key.size() > 128) return Unauthenticated("unknown integration key");
  uint64_t generation;
  {
    std::lock_guard lock(keys_mu_);
    auto it = keys_.find(std::string(key));
    if (it != keys_.end()) return it->second;
    generation = keys_generation_;
  }
  auto row =
      tx.QueryOne(std::string("SELECT ") + kIntegrationColumns + " FROM integrations WHERE key = ?",
                  {std::string(key)});
  if (!row.ok()) return row.status();
  if (!*row) return Unauthenticated("unknown integration key");
  Integration in = FromRow(**row);
  if (in.revoked_at) return Unauthenticated("integration key has been revoked");
  if (in.kind == "drill") return Unauthenticated("unknown integration key");
  if (tx.read_only()) {  // a writer's row may not be committed yet
    // Not when a change committed since the lookup began: this row may be older.
    std::lock_guard lock(keys_mu_);
    if (keys_.size() >= 10000) keys_.clear();
    if (generation == keys_generation_) keys_.emplace(std::string(key), in);
  }
  return in;
}

namespace {

// The stored state of an alert that intake needs, from one row.
AlertService::KnownAlert KnownFromRow(const store::Row& r) {
  return {r.Int(0), r.Str(1) == "firing", r.OptInt(2), r.OptInt(3), r.Int(4) != 0};
}

}  // namespace

Result<IngestResult> AlertService::Ingest(store::Tx& tx, const Integration& in,
                                          const std::vector<intake::NormalizedAlert>& batch) {
  IngestResult result;
  result.received = batch.size();
  auto suppression = suppressions_.Load(tx, clock_.Now());  // once per batch
  if (!suppression.ok()) return suppression.status();
  // The batch's known alerts: the fingerprint index names the rows that may be them (none
  // for a new alert), read a few queries for all of them. A row another fingerprint
  // shares a hash with is still an alert of this integration, known under its own.
  KLAXON_RETURN_IF_ERROR(LoadIndex(tx));
  std::unordered_map<std::string, KnownAlert> known;
  std::vector<uint64_t> keys;
  keys.reserve(batch.size());
  for (const auto& a : batch) keys.push_back(FingerprintIndex::Key(in.id, a.fingerprint));
  std::vector<int64_t> ids;
  index_.CandidatesOfAll(keys, ids);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  for (size_t done = 0; done < ids.size();) {
    size_t n = store::MultiRowChunk(ids.size() - done);
    store::Params params{in.id};
    for (size_t i = done; i < done + n; ++i) params.emplace_back(ids[i]);
    std::string sql =
        "SELECT id, status, incident_id, resolved_at, silenced, fingerprint FROM alerts WHERE "
        "integration_id = ? AND id IN (?";
    for (size_t i = 1; i < n; ++i) sql += ",?";
    auto rows = tx.Query(sql + ")", params);
    if (!rows.ok()) return rows.status();
    for (const auto& r : *rows) known.emplace(r.Str(5), KnownFromRow(r));
    done += n;
  }
  // New firing alerts (the common case: a burst of fresh alerts) are written together;
  // anything else goes one by one, in order, after the pending ones.
  std::vector<PendingAlert> pending;
  std::unordered_map<std::string, int64_t> open_groups;  // group key → incident, this batch
  std::unordered_set<std::string_view> seen;
  for (size_t ai = 0; ai < batch.size(); ++ai) {
    const intake::NormalizedAlert& a = batch[ai];
    bool first = seen.insert(a.fingerprint).second;
    auto it = first ? known.find(a.fingerprint) : known.end();
    bool fresh = first && it == known.end();
    if (fresh && a.firing && !suppression->Suppressed(a.labels, in.service_id)) {
      std::string group_key = GroupKey(in, a.labels);
      auto g = open_groups.find(group_key);
      if (g == open_groups.end()) {
        auto inc = IncidentFor(tx, in, a, group_key, result);
        if (!inc.ok()) return inc.status();
        g = open_groups.emplace(group_key, *inc).first;
      }
      pending.push_back({&a, std::move(group_key), g->second, keys[ai]});
      ++result.new_alerts;
      continue;
    }
    KLAXON_RETURN_IF_ERROR(InsertNew(tx, in, pending));
    open_groups.clear();  // the one-by-one path may open, reopen or resolve incidents
    std::optional<KnownAlert> row;
    if (first && it != known.end()) {
      row = it->second;
    } else if (!first) {  // repeated in this batch: as stored by now
      auto r =
          FindAlert(tx, in.id, a.fingerprint, "id, status, incident_id, resolved_at, silenced");
      if (!r.ok()) return r.status();
      if (*r) row = KnownFromRow(**r);
    }
    KLAXON_RETURN_IF_ERROR(IngestOne(tx, in, a, row, &*suppression, result));
  }
  KLAXON_RETURN_IF_ERROR(InsertNew(tx, in, pending));
  if (observer_) KLAXON_RETURN_IF_ERROR(observer_(tx, in, batch));
  return result;
}

Status AlertService::InsertNew(store::Tx& tx, const Integration& in,
                               std::vector<PendingAlert>& pending) {
  if (pending.empty()) return Status::Ok();
  TimeMs now = clock_.Now();
  std::vector<events::Event> fired;
  fired.reserve(pending.size());
  const events::Actor actor = in.actor();
  std::vector<uint64_t> keys;
  std::vector<int64_t> ids;
  for (size_t done = 0; done < pending.size();) {
    size_t n = store::MultiRowChunk(pending.size() - done);
    store::Params params;
    params.reserve(n * 13);
    std::deque<std::string> made;  // JSON the request's thread did not prepare
    for (size_t i = done; i < done + n; ++i) {
      // One by one, not an initializer list: its strings would be copied. The text is
      // borrowed from the request (and from `made`), which outlive the statement.
      const intake::NormalizedAlert& a = *pending[i].alert;
      params.emplace_back(in.id);
      params.emplace_back(store::TextRef{a.fingerprint});
      params.emplace_back(store::TextRef{"firing"});
      params.emplace_back(StoredJson(a.labels_json, a.labels, made));
      params.emplace_back(StoredJson(a.annotations_json, a.annotations, made));
      params.emplace_back(store::TextRef{a.generator_url});
      params.emplace_back(a.starts_at);
      params.emplace_back(store::Opt(a.ends_at));
      params.emplace_back(now);
      params.emplace_back(now);
      params.emplace_back(int64_t{1});
      params.emplace_back(store::TextRef{pending[i].group_key});
      params.emplace_back(pending[i].incident);
    }
    auto last = tx.Insert(
        store::MultiRowSql("INSERT INTO alerts(integration_id, fingerprint, status, labels, "
                           "annotations, generator_url, starts_at, ends_at, first_seen, "
                           "last_seen, count, group_key, incident_id) VALUES",
                           13, n, ""),
        params);
    if (!last.ok()) return last.status();
    int64_t first = *last - static_cast<int64_t>(n) + 1;  // consecutive, in VALUES order
    keys.clear();
    ids.clear();
    for (size_t i = done; i < done + n; ++i) {
      const intake::NormalizedAlert& a = *pending[i].alert;
      int64_t id = first + static_cast<int64_t>(i - done);
      keys.push_back(pending[i].index_key);
      ids.push_back(id);
      fired.push_back(AlertFired(actor, id, a, pending[i].incident));
    }
    index_.AddAll(keys, ids);
    done += n;
  }
  pending.clear();
  return log_.AppendAll(tx, std::move(fired));
}

Status AlertService::IngestOne(store::Tx& tx, const Integration& in,
                               const intake::NormalizedAlert& a,
                               const std::optional<KnownAlert>& known,
                               const Suppression* suppression, IngestResult& result) {
  TimeMs now = clock_.Now();
  std::deque<std::string> made;  // JSON the request's thread did not prepare
  const store::TextRef annotations = StoredJson(a.annotations_json, a.annotations, made);
  // Silenced (a silence matches, or the service is in maintenance): stored and shown, but
  // opens nothing. A later refresh after the silence ends opens the incident.
  bool silenced = a.firing && suppression && suppression->Suppressed(a.labels, in.service_id);
  if (!known) {
    std::string group_key = GroupKey(in, a.labels);
    std::optional<int64_t> incident;
    if (silenced) {
      ++result.silenced;
      auto id = tx.Insert(
          "INSERT INTO alerts(integration_id, fingerprint, status, labels, annotations, "
          "generator_url, "
          "starts_at, ends_at, first_seen, last_seen, count, group_key, silenced) "
          "VALUES (?,?,'firing',?,?,?,?,?,?,?,1,?,1)",
          {in.id, a.fingerprint, StoredJson(a.labels_json, a.labels, made), annotations,
           a.generator_url, a.starts_at, store::Opt(a.ends_at), now, now, group_key});
      if (!id.ok()) return id.status();
      index_.Add(in.id, a.fingerprint, *id);
      return Status::Ok();
    }
    if (a.firing) {
      auto inc = IncidentFor(tx, in, a, group_key, result);
      if (!inc.ok()) return inc.status();
      incident = *inc;
    }
    auto ins = tx.QueryOne(
        "INSERT INTO alerts(integration_id, fingerprint, status, labels, annotations, "
        "generator_url, starts_at, "
        "ends_at, first_seen, last_seen, resolved_at, count, group_key, incident_id) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,1,?,?) RETURNING id",
        {in.id, a.fingerprint, std::string(a.firing ? "firing" : "resolved"),
         StoredJson(a.labels_json, a.labels, made), annotations, a.generator_url, a.starts_at,
         store::Opt(a.ends_at), now, now, a.firing ? store::Value(nullptr) : store::Value(now),
         group_key, store::Opt(incident)});
    if (!ins.ok()) return ins.status();
    index_.Add(in.id, a.fingerprint, (*ins)->Int(0));
    if (!a.firing) return Status::Ok();  // never seen firing: kept for the record only
    ++result.new_alerts;
    auto seq = log_.Append(tx, events::Event::Of("alert.fired", in.actor(),
                                                 AlertEventData((*ins)->Int(0), a), incident));
    return seq.ok() ? Status::Ok() : seq.status();
  }

  int64_t alert_id = known->id;
  bool was_firing = known->firing;
  std::optional<int64_t> incident = known->incident_id;
  std::optional<TimeMs> resolved_at = known->resolved_at;
  bool was_silenced = known->silenced;

  if (was_firing && a.firing && was_silenced && !silenced) {
    // The silence or maintenance window ended while the alert still fires: open now.
    std::string group_key = GroupKey(in, a.labels);
    auto inc = IncidentFor(tx, in, a, group_key, result);
    if (!inc.ok()) return inc.status();
    ++result.new_alerts;
    KLAXON_RETURN_IF_ERROR(tx.Exec(
        "UPDATE alerts SET silenced = 0, incident_id = ?, last_seen = ?, count = count + 1, "
        "annotations = ?, ends_at = ? WHERE id = ?",
        {*inc, now, annotations, store::Opt(a.ends_at), alert_id}));
    json data = AlertEventData(alert_id, a);
    data["unsilenced"] = true;
    auto seq = log_.Append(tx, events::Event::Of("alert.fired", in.actor(), data, *inc));
    return seq.ok() ? Status::Ok() : seq.status();
  }
  if (was_firing && a.firing) {  // a refresh: cheap, no event
    ++result.refreshed;
    return tx.Exec(
        "UPDATE alerts SET last_seen = ?, count = count + 1, annotations = ?, ends_at = ? WHERE id "
        "= ?",
        {now, annotations, store::Opt(a.ends_at), alert_id});
  }
  if (!was_firing && !a.firing) {  // senders repeat resolved alerts for a while
    ++result.refreshed;
    return tx.Exec("UPDATE alerts SET last_seen = ? WHERE id = ?", {now, alert_id});
  }
  if (was_firing && !a.firing) {
    ++result.resolved;
    KLAXON_RETURN_IF_ERROR(
        tx.Exec("UPDATE alerts SET status = 'resolved', resolved_at = ?, ends_at = ?, last_seen = "
                "?, count = count + 1 "
                "WHERE id = ?",
                {now, store::Opt(a.ends_at), now, alert_id}));
    auto seq = log_.Append(
        tx, events::Event::Of("alert.resolved", in.actor(), AlertEventData(alert_id, a), incident));
    if (!seq.ok()) return seq.status();
    return incident && in.auto_resolve ? MaybeAutoResolve(tx, in, *incident) : Status::Ok();
  }
  if (silenced) {  // fired again while silenced: shown, opens nothing
    ++result.silenced;
    return tx.Exec(
        "UPDATE alerts SET status = 'firing', silenced = 1, incident_id = NULL, starts_at = ?, "
        "ends_at = ?, resolved_at = NULL, last_seen = ?, count = count + 1, annotations = ? WHERE "
        "id = ?",
        {a.starts_at, store::Opt(a.ends_at), now, annotations, alert_id});
  }

  // Fired again after resolving. Within the flap window it goes back to its incident
  // (reopened if needed); later it is a new occurrence, grouped like a new alert.
  bool flapping = incident && resolved_at && now - *resolved_at <= in.flap_window_s * 1000;
  std::string group_key = GroupKey(in, a.labels);
  if (flapping) {
    auto inc = incidents_.Get(tx, *incident);
    if (!inc.ok()) return inc.status();
    if (inc->status == incidents::IncidentStatus::kResolved) {
      auto re = incidents_.Reopen(
          tx, *incident, "alert " + Label(a.labels, "alertname") + " fired again", in.actor());
      if (!re.ok()) return re.status();
    }
  } else {
    auto inc = IncidentFor(tx, in, a, group_key, result);
    if (!inc.ok()) return inc.status();
    incident = *inc;
  }
  ++result.new_alerts;
  KLAXON_RETURN_IF_ERROR(
      tx.Exec("UPDATE alerts SET status = 'firing', starts_at = ?, ends_at = ?, resolved_at = "
              "NULL, last_seen = ?, "
              "count = count + 1, incident_id = ?, annotations = ?, group_key = ? WHERE id = ?",
              {a.starts_at, store::Opt(a.ends_at), now, store::Opt(incident), annotations,
               group_key, alert_id}));
  json data = AlertEventData(alert_id, a);
  data["refired"] = true;
  data["flapping"] = flapping;
  auto seq = log_.Append(tx, events::Event::Of("alert.fired", in.actor(), data, incident));
  return seq.ok() ? Status::Ok() : seq.status();
}

Result<bool> AlertService::AcknowledgeAlert(store::Tx& tx, const Integration& in,
                                            std::string_view fingerprint) {
  auto row = FindAlert(tx, in.id, fingerprint, "incident_id, status");
  if (!row.ok()) return row.status();
  if (!*row || (*row)->IsNull(0) || (*row)->Str(1) != "firing") return false;
  auto inc = incidents_.Get(tx, (*row)->Int(0));
  if (!inc.ok()) return inc.status();
  if (inc->status != incidents::IncidentStatus::kTriggered) return false;
  auto ack = incidents_.Acknowledge(tx, inc->id, in.actor());
  return ack.ok() ? Result<bool>(true) : Result<bool>(ack.status());
}

Result<bool> AlertService::ResolveKnownAlert(store::Tx& tx, const Integration& in,
                                             const intake::NormalizedAlert& a,
                                             IngestResult& result) {
  auto row =
      FindAlert(tx, in.id, a.fingerprint, "id, status, incident_id, resolved_at, silenced, labels");
  if (!row.ok()) return row.status();
  if (!*row) return false;
  intake::NormalizedAlert stored = a;
  stored.labels = json::parse((*row)->Str(5), nullptr, false).get<intake::Labels>();
  stored.labels_json = (*row)->Str(5);
  ++result.received;
  KLAXON_RETURN_IF_ERROR(IngestOne(tx, in, stored, KnownFromRow(**row), nullptr, result));
  return true;
}

Result<int64_t> AlertService::IncidentFor(store::Tx& tx, const Integration& in,
                                          const intake::NormalizedAlert& a,
                                          const std::string& group_key, IngestResult& result) {
  // alert_groups remembers each group's latest incident: one indexed lookup, however
  // many alerts the group has.
  auto open = tx.QueryOne(
      "SELECT g.incident_id FROM alert_groups g JOIN incidents i ON i.id = g.incident_id "
      "WHERE g.integration_id = ? AND g.group_key = ? AND i.status <> 'resolved'",
      {in.id, group_key});
  if (!open.ok()) return open.status();
  if (*open) return (*open)->Int(0);

  incidents::DeclareRequest req;
  // A blank summary or name does not make a title (the declare would refuse it, and the
  // sender drop the alert on the 4xx): the next one does.
  auto blank = [](const std::string& s) { return s.find_first_not_of(" \t\r\n") == s.npos; };
  std::string name = Label(a.labels, "alertname");
  std::string summary = Label(a.annotations, "summary");
  req.title = Truncate(!blank(summary) ? summary : (blank(name) ? "Alert " + a.fingerprint : name),
                       incidents::kMaxTitle);
  std::optional<std::pair<std::string, std::string>> classified;
  if (classifier_) classified = classifier_(a.labels, a.annotations);
  if (classified) {
    req.severity = classified->first;
    req.classified_by = classified->second;
  } else if (std::string label = Label(a.labels, "severity");
             !label.empty() && incidents_.KnownSeverity(label)) {
    req.severity = label;
  } else if (std::string mapped = SeverityOf(a.labels); incidents_.KnownSeverity(mapped)) {
    req.severity = mapped;
  }  // else the least severe level
  req.description = Truncate(Label(a.annotations, "description"), incidents::kMaxText);
  // An archived service is out of the catalog: its alerts open incidents with no service
  // rather than being refused (a sender would retry them forever).
  if (in.service_id) {
    auto bound = incidents_.FindService(tx, std::to_string(*in.service_id));
    if (bound.ok() && !bound->archived_at) {
      req.service = std::to_string(*in.service_id);
      req.service_read = incidents::ServiceRef{bound->id, bound->name};
    }
  } else if (std::string svc = Label(a.labels, "service"); !svc.empty()) {
    auto found = incidents_.FindService(tx, svc);
    if (found.ok() && !found->archived_at) {
      req.service = found->name;
      req.service_read = incidents::ServiceRef{found->id, found->name};
    }
  }
  req.drill = in.kind == "drill";
  auto inc = incidents_.Declare(tx, req, in.actor());
  if (!inc.ok()) return inc.status();
  KLAXON_RETURN_IF_ERROR(tx.Exec(
      "INSERT INTO alert_groups(integration_id, group_key, incident_id) VALUES (?,?,?) "
      "ON CONFLICT(integration_id, group_key) DO UPDATE SET incident_id = excluded.incident_id",
      {in.id, group_key, inc->id}));
  result.incidents_opened.push_back(inc->id);
  return inc->id;
}

Status AlertService::MaybeAutoResolve(store::Tx& tx, const Integration& in, int64_t incident_id) {
  auto firing = tx.QueryOne(
      "SELECT COUNT(*) FROM alerts WHERE incident_id = ? AND status = 'firing'", {incident_id});
  if (!firing.ok()) return firing.status();
  if ((*firing)->Int(0) > 0) return Status::Ok();
  auto inc = incidents_.Get(tx, incident_id);
  if (!inc.ok()) return inc.status();
  if (inc->status == incidents::IncidentStatus::kResolved) return Status::Ok();
  auto r = incidents_.Resolve(tx, incident_id, "All alerts resolved", in.actor());
  return r.ok() ? Status::Ok() : r.status();
}

Result<std::optional<store::Row>> AlertService::FindAlert(store::Tx& tx, int64_t integration_id,
                                                          std::string_view fingerprint,
                                                          std::string_view columns) {
  KLAXON_RETURN_IF_ERROR(LoadIndex(tx));
  std::string fp(fingerprint);
  std::string select = "SELECT " + std::string(columns) + " FROM alerts WHERE ";
  std::vector<int64_t> ids;
  index_.Candidates(integration_id, fp, ids);
  for (int64_t id : ids) {  // each checked: the index may name rows that are not this alert
    auto row = tx.QueryOne(select + "id = ? AND integration_id = ? AND fingerprint = ?",
                           {id, integration_id, fp});
    if (!row.ok() || *row) return row;
  }
  return std::optional<store::Row>();
}

Status AlertService::LoadIndex(store::Tx& tx) {
  if (index_loaded_.load(std::memory_order_acquire)) return Status::Ok();
  if (tx.read_only()) return Internal("the alert index must be loaded in a write transaction");
  std::lock_guard lock(index_load_mu_);
  if (index_loaded_.load(std::memory_order_relaxed)) return Status::Ok();
  auto start = std::chrono::steady_clock::now();
  // In pages of ids, so that a large table is never all in memory as rows at once.
  int64_t after = 0;
  size_t n = 0;
  for (;;) {
    auto rows = tx.Query(
        "SELECT id, integration_id, fingerprint FROM alerts WHERE id > ? ORDER BY id LIMIT 10000",
        {after});
    if (!rows.ok()) return rows.status();
    for (const auto& r : *rows) index_.Add(r.Int(1), r.Str(2), r.Int(0));
    n += rows->size();
    if (rows->size() < 10000) break;
    after = rows->back().Int(0);
  }
  index_loaded_.store(true, std::memory_order_release);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  start)
                .count();
  LogInfo("alert index loaded",
          {{"alerts", static_cast<int64_t>(n)}, {"ms", static_cast<int64_t>(ms)}});
  return Status::Ok();
}

Result<json> AlertService::AlertsOfIncident(store::Tx& tx, int64_t incident_id) {
  auto rows = tx.Query(
      "SELECT a.id, a.fingerprint, a.status, a.labels, a.annotations, a.generator_url, "
      "a.starts_at, a.ends_at, "
      "a.first_seen, a.last_seen, a.count, i.name FROM alerts a JOIN integrations i ON i.id = "
      "a.integration_id "
      "WHERE a.incident_id = ? ORDER BY a.id",
      {incident_id});
  if (!rows.ok()) return rows.status();
  json items = json::array();
  for (const auto& r : *rows)
    items.push_back({{"id", r.Int(0)},
                     {"fingerprint", r.Str(1)},
                     {"status", r.Str(2)},
                     {"labels", json::parse(r.Str(3), nullptr, false)},
                     {"annotations", json::parse(r.Str(4), nullptr, false)},
                     {"generator_url", r.Str(5)},
                     {"starts_at", FormatTime(r.Int(6))},
                     {"ends_at", r.IsNull(7) ? json() : json(FormatTime(r.Int(7)))},
                     {"first_seen", FormatTime(r.Int(8))},
                     {"last_seen", FormatTime(r.Int(9))},
                     {"count", r.Int(10)},
                     {"integration", r.Str(11)}});
  return items;
}

}  // namespace klaxon::alerts
