#include "incidents/incident_service.h"

#include "core/numbers.h"
#include "core/time_format.h"

namespace klaxon::incidents {

namespace {

constexpr const char* kSelect =
    "SELECT i.id, i.title, i.description, i.impact, i.severity, i.status, i.service_id, s.name, "
    "i.created_at, i.updated_at, i.acknowledged_at, i.resolved_at, i.created_by, "
    "i.resolution_summary, i.classified_by, i.war_room, i.war_room_link, i.drill, "
    "i.noise_reason, i.noise_by, i.noise_at FROM incidents i LEFT JOIN "
    "services s ON "
    "s.id = i.service_id";

Incident FromRow(const store::Row& r) {
  Incident i;
  i.id = r.Int(0);
  i.title = r.Str(1);
  i.description = r.Str(2);
  i.impact = r.Str(3);
  i.severity = r.Str(4);
  i.status = ParseStatus(r.Str(5)).value_or(IncidentStatus::kTriggered);
  if (!r.IsNull(6)) i.service = ServiceRef{r.Int(6), r.Str(7)};
  i.created_at = r.Int(8);
  i.updated_at = r.Int(9);
  if (!r.IsNull(10)) i.acknowledged_at = r.Int(10);
  if (!r.IsNull(11)) i.resolved_at = r.Int(11);
  i.created_by = r.Str(12);
  i.resolution_summary = r.Str(13);
  i.classified_by = r.Str(14);
  i.war_room = r.Str(15);
  i.war_room_link = r.Str(16);
  i.drill = r.Int(17) != 0;
  if (!r.IsNull(18)) i.noise = Incident::Noise{r.Str(18), r.Str(19), r.Int(20)};
  return i;
}

nlohmann::json OptTime(const std::optional<TimeMs>& t) {
  return t ? nlohmann::json(FormatTime(*t)) : nlohmann::json();
}

Status CheckText(std::string_view field, const std::string& v, size_t max, bool required) {
  if (required && v.find_first_not_of(" \t\r\n") == std::string::npos)
    return InvalidField(std::string(field), "is required");
  size_t chars = 0;
  for (unsigned char ch : v) chars += (ch & 0xC0) != 0x80;
  if (chars > max)
    return InvalidField(std::string(field),
                        "must be at most " + std::to_string(max) + " characters");
  return Status::Ok();
}

}  // namespace

std::optional<int64_t> ParseIncidentId(std::string_view s) {
  if (s.starts_with("INC-") || s.starts_with("inc-")) s.remove_prefix(4);
  return ParseInt64(s, 1);
}

nlohmann::json Service::ToJson() const {
  return {
      {"id", id},
      {"name", name},
      {"description", description},
      {"owner", owner},
      {"created_at", FormatTime(created_at)},
      {"archived_at", archived_at ? nlohmann::json(FormatTime(*archived_at)) : nlohmann::json()}};
}

nlohmann::json Incident::ToJson() const {
  return {
      {"id", id},
      {"ref", ref()},
      {"title", title},
      {"description", description},
      {"impact", impact},
      {"severity", severity},
      {"status", StatusName(status)},
      {"service",
       service ? nlohmann::json{{"id", service->id}, {"name", service->name}} : nlohmann::json()},
      {"created_at", FormatTime(created_at)},
      {"updated_at", FormatTime(updated_at)},
      {"acknowledged_at", OptTime(acknowledged_at)},
      {"resolved_at", OptTime(resolved_at)},
      {"created_by", created_by},
      {"resolution_summary", resolution_summary},
      {"classified_by", classified_by.empty() ? nlohmann::json() : nlohmann::json(classified_by)},
      {"war_room", war_room},
      {"war_room_link", war_room_link.empty() ? nlohmann::json() : nlohmann::json(war_room_link)},
      {"drill", drill},
      {"noise", noise ? nlohmann::json{{"reason", noise->reason},
                                       {"by", noise->by},
                                       {"at", FormatTime(noise->at)}}
                      : nlohmann::json()}};
}

std::string DrillTitle(const std::string& title) {
  return title.starts_with(kDrillMark) ? title : kDrillMark + title;
}

std::string Incident::DisplayTitle() const { return drill ? DrillTitle(title) : title; }

Result<bool> IncidentService::IsDrill(store::Tx& tx, int64_t id) {
  {
    std::lock_guard lock(drill_mu_);
    auto it = drill_cache_.find(id);
    if (it != drill_cache_.end()) return it->second;
  }
  auto row = tx.QueryOne("SELECT drill FROM incidents WHERE id = ?", {id});
  if (!row.ok()) return row.status();
  if (!*row) return false;  // not cached: it may be inserted later
  bool drill = (*row)->Int(0) != 0;
  std::lock_guard lock(drill_mu_);
  if (drill_cache_.size() >= 100'000) drill_cache_.clear();
  drill_cache_.emplace(id, drill);
  return drill;
}

Status CheckMayGoPublic(store::Tx& tx, int64_t id, const std::string& field) {
  auto row = tx.QueryOne(
      "SELECT i.drill, (SELECT MAX(d.allow_public) FROM drill_runs d WHERE d.incident_id = i.id) "
      "FROM incidents i WHERE i.id = ?",
      {id});
  if (!row.ok()) return row.status();
  if (!*row || (*row)->Int(0) == 0) return Status::Ok();
  if (!(*row)->IsNull(1) && (*row)->Int(1) != 0) return Status::Ok();
  return Status(Code::kConflict,
                "INC-" + std::to_string(id) +
                    " is a drill: it never reaches the public status page or customers unless "
                    "its scenario allows it (allow_public)",
                {{field, "a drill's scenario does not allow the public status page or customers"}});
}

Result<int64_t> IncidentService::Emit(store::Tx& tx, std::string kind, const events::Actor& actor,
                                      int64_t id, nlohmann::json data) {
  events::Event e;
  e.kind = std::move(kind);
  e.actor = actor;
  e.incident_id = id;
  e.data = std::move(data);
  return log_.Append(tx, std::move(e));
}

Status IncidentService::Touch(store::Tx& tx, const Incident& inc) {
  return tx.Exec(
      "UPDATE incidents SET status = ?, severity = ?, updated_at = ?, acknowledged_at = ?, "
      "resolved_at = ?, resolution_summary = ? WHERE id = ?",
      {std::string(StatusName(inc.status)), inc.severity, inc.updated_at,
       store::Opt(inc.acknowledged_at), store::Opt(inc.resolved_at), inc.resolution_summary,
       inc.id});
}

Result<Incident> IncidentService::Declare(store::Tx& tx, const DeclareRequest& req,
                                          const events::Actor& actor) {
  KLAXON_RETURN_IF_ERROR(CheckText("/title", req.title, kMaxTitle, true));
  KLAXON_RETURN_IF_ERROR(CheckText("/description", req.description, kMaxText, false));
  KLAXON_RETURN_IF_ERROR(CheckText("/impact", req.impact, kMaxText, false));
  std::vector<SeverityLevel> levels = Severities();
  std::string severity = req.severity.empty() ? levels.back().name : req.severity;
  if (!KnownSeverity(severity))
    return InvalidField("/severity", "unknown severity '" + severity + "'");
  std::optional<ServiceRef> service = req.service ? req.service_read : std::nullopt;
  if (req.service && !service) {
    auto s = FindService(tx, *req.service);
    if (!s.ok()) {
      if (s.status().code() == Code::kNotFound)
        return InvalidField("/service", "unknown service '" + *req.service + "'");
      return s.status();
    }
    if (s->archived_at) return InvalidField("/service", "service '" + s->name + "' is archived");
    service = ServiceRef{s->id, s->name};
  }
  TimeMs now = clock_.Now();
  auto inserted = tx.Insert(
      "INSERT INTO incidents(title, description, impact, severity, status, service_id, "
      "created_at, updated_at, created_by, resolution_summary, classified_by, drill) VALUES "
      "(?,?,?,?,?,?,?,?,?,'',?,?)",
      {req.title, req.description, req.impact, severity, std::string("triggered"),
       service ? store::Value(service->id) : store::Value(nullptr), now, now, actor.name,
       req.classified_by, int64_t{req.drill}});
  if (!inserted.ok()) return inserted.status();
  const int64_t id = inserted.value();
  {
    // Known now, so the events below need not read it back. An id can come back after a
    // rolled-back insert; only this insert makes incidents, so it overwrites the entry.
    std::lock_guard lock(drill_mu_);
    if (drill_cache_.size() >= 100'000) drill_cache_.clear();
    drill_cache_[id] = req.drill;
  }
  nlohmann::json data = {{"ref", "INC-" + std::to_string(id)},
                         {"title", req.title},
                         {"severity", severity},
                         {"service", service ? nlohmann::json(service->name) : nlohmann::json()}};
  if (!req.classified_by.empty()) data["classified_by"] = req.classified_by;
  auto seq = Emit(tx, "incident.declared", actor, id, std::move(data));  // drill: by the log
  if (!seq.ok()) return seq.status();
  return Get(tx, id);
}

Result<Incident> IncidentService::Acknowledge(store::Tx& tx, int64_t id,
                                              const events::Actor& actor) {
  KLAXON_ASSIGN_OR_RETURN(Incident inc, Get(tx, id));
  if (inc.status != IncidentStatus::kTriggered)
    return Conflict(inc.ref() + " is " + StatusName(inc.status) + ", not triggered");
  inc.status = IncidentStatus::kAcknowledged;
  inc.updated_at = clock_.Now();
  inc.acknowledged_at = inc.updated_at;
  KLAXON_RETURN_IF_ERROR(Touch(tx, inc));
  auto seq = Emit(tx, "incident.acknowledged", actor, id, nlohmann::json::object());
  if (!seq.ok()) return seq.status();
  return inc;
}

Result<Incident> IncidentService::ChangeStatus(store::Tx& tx, int64_t id, IncidentStatus to,
                                               const std::string& message,
                                               const events::Actor& actor) {
  KLAXON_RETURN_IF_ERROR(CheckText("/message", message, kMaxText, false));
  KLAXON_ASSIGN_OR_RETURN(Incident inc, Get(tx, id));
  Status ok = CheckTransition(inc.status, to);
  if (!ok.ok()) return Conflict(inc.ref() + ": " + ok.message());
  IncidentStatus from = inc.status;
  inc.status = to;
  inc.updated_at = clock_.Now();
  if (!inc.acknowledged_at && to != IncidentStatus::kResolved) {
    // Moving past "acknowledged" acknowledges: the log says so too (MTTA reads it).
    inc.acknowledged_at = inc.updated_at;
    auto ack = Emit(tx, "incident.acknowledged", actor, id, {{"via", StatusName(to)}});
    if (!ack.ok()) return ack.status();
  }
  if (to == IncidentStatus::kResolved) {
    inc.resolved_at = inc.updated_at;
    inc.resolution_summary = message;
  }
  KLAXON_RETURN_IF_ERROR(Touch(tx, inc));
  if (to == IncidentStatus::kResolved) {
    auto seq = Emit(tx, "incident.resolved", actor, id,
                    {{"summary", message}, {"from", StatusName(from)}});
    if (!seq.ok()) return seq.status();
    return inc;
  }
  auto seq = Emit(tx, "incident.status_changed", actor, id,
                  {{"from", StatusName(from)}, {"to", StatusName(to)}, {"message", message}});
  if (!seq.ok()) return seq.status();
  return inc;
}

Result<Incident> IncidentService::ChangeSeverity(store::Tx& tx, int64_t id,
                                                 const std::string& severity,
                                                 const std::string& reason,
                                                 const events::Actor& actor) {
  KLAXON_RETURN_IF_ERROR(CheckText("/reason", reason, kMaxText, false));
  if (!KnownSeverity(severity))
    return InvalidField("/severity", "unknown severity '" + severity + "'");
  KLAXON_ASSIGN_OR_RETURN(Incident inc, Get(tx, id));
  if (inc.severity == severity) return Conflict(inc.ref() + " is already " + severity);
  std::string from = inc.severity;
  int from_rank = 0, to_rank = 0;
  for (const auto& l : Severities()) {
    if (l.name == from) from_rank = l.rank;
    if (l.name == severity) to_rank = l.rank;
  }
  inc.severity = severity;
  inc.updated_at = clock_.Now();
  inc.classified_by.clear();  // a person chose it now; the declared event keeps the rule
  KLAXON_RETURN_IF_ERROR(Touch(tx, inc));
  KLAXON_RETURN_IF_ERROR(tx.Exec("UPDATE incidents SET classified_by = '' WHERE id = ?", {inc.id}));
  // A lower rank is more severe; a level no longer in the scheme counts as least severe.
  bool raised = from_rank == 0 || to_rank < from_rank;
  auto seq = Emit(tx, "incident.severity_changed", actor, id,
                  {{"from", from},
                   {"to", severity},
                   {"reason", reason},
                   {"direction", raised ? "raised" : "lowered"}});
  if (!seq.ok()) return seq.status();
  return inc;
}

Result<events::Event> IncidentService::AddNote(store::Tx& tx, int64_t id, const std::string& text,
                                               const events::Actor& actor,
                                               const std::string& type) {
  KLAXON_RETURN_IF_ERROR(CheckText("/text", text, kMaxText, true));
  if (type != "note" && type != "finding" && type != "action" && type != "decision")
    return InvalidField("/type", "must be note, finding, action or decision");
  KLAXON_ASSIGN_OR_RETURN(Incident inc, Get(tx, id));
  inc.updated_at = clock_.Now();
  KLAXON_RETURN_IF_ERROR(Touch(tx, inc));
  events::Event e;
  e.kind = "incident.note_added";
  e.actor = actor;
  e.incident_id = id;
  e.at = inc.updated_at;
  e.data = {{"text", text}, {"type", type}};
  auto seq = log_.Append(tx, e);
  if (!seq.ok()) return seq.status();
  e.seq = *seq;
  return e;
}

Result<Incident> IncidentService::Resolve(store::Tx& tx, int64_t id, const std::string& summary,
                                          const events::Actor& actor) {
  KLAXON_RETURN_IF_ERROR(CheckText("/summary", summary, kMaxText, false));
  KLAXON_ASSIGN_OR_RETURN(Incident inc, Get(tx, id));
  if (inc.status == IncidentStatus::kResolved) return Conflict(inc.ref() + " is already resolved");
  return ChangeStatus(tx, id, IncidentStatus::kResolved, summary, actor);
}

Result<Incident> IncidentService::Reopen(store::Tx& tx, int64_t id, const std::string& reason,
                                         const events::Actor& actor) {
  KLAXON_RETURN_IF_ERROR(CheckText("/reason", reason, kMaxText, false));
  KLAXON_ASSIGN_OR_RETURN(Incident inc, Get(tx, id));
  if (inc.status != IncidentStatus::kResolved)
    return Conflict(inc.ref() + " is " + StatusName(inc.status) + ", not resolved");
  inc.status = IncidentStatus::kTriggered;
  inc.updated_at = clock_.Now();
  inc.acknowledged_at.reset();
  inc.resolved_at.reset();
  inc.resolution_summary.clear();
  KLAXON_RETURN_IF_ERROR(Touch(tx, inc));
  auto seq = Emit(tx, "incident.reopened", actor, id, {{"reason", reason}});
  if (!seq.ok()) return seq.status();
  return inc;
}

Result<Incident> IncidentService::Get(store::Tx& tx, int64_t id) {
  auto row = tx.QueryOne(std::string(kSelect) + " WHERE i.id = ?", {id});
  if (!row.ok()) return row.status();
  if (!*row) return NotFound("no incident INC-" + std::to_string(id));
  return FromRow(**row);
}

Result<IncidentPage> IncidentService::List(store::Tx& tx, const ListQuery& q) {
  std::string sql = std::string(kSelect) + " WHERE 1=1";
  store::Params params;
  if (q.status) {
    if (*q.status == "open") {
      sql += " AND i.status <> 'resolved'";
    } else {
      if (!ParseStatus(*q.status))
        return Status(Code::kBadRequest, "unknown status '" + *q.status + "'",
                      {{"status", "must be a status name or open"}});
      sql += " AND i.status = ?";
      params.push_back(*q.status);
    }
  }
  if (q.severity) {
    if (!KnownSeverity(*q.severity))
      return Status(Code::kBadRequest, "unknown severity '" + *q.severity + "'",
                    {{"severity", "must be a severity name"}});
    sql += " AND i.severity = ?";
    params.push_back(*q.severity);
  }
  if (q.service) {
    auto s = FindService(tx, *q.service);
    if (!s.ok()) {
      if (s.status().code() != Code::kNotFound) return s.status();
      return Status(Code::kBadRequest, "unknown service '" + *q.service + "'",
                    {{"service", "must be a service id or name"}});
    }
    sql += " AND i.service_id = ?";
    params.push_back(s->id);
  }
  if (q.text && !q.text->empty()) {
    std::string pattern = "%";
    for (char c : *q.text) {
      if (c == '%' || c == '_' || c == '\\') pattern.push_back('\\');
      pattern.push_back(c);
    }
    pattern += "%";
    sql += " AND (i.title LIKE ? ESCAPE '\\' OR i.description LIKE ? ESCAPE '\\')";
    params.push_back(pattern);
    params.push_back(pattern);
  }
  if (q.before_id) {
    sql += " AND i.id < ?";
    params.push_back(*q.before_id);
  }
  if (q.limit < 1)
    return Status(Code::kBadRequest, "limit must be at least 1", {{"limit", "must be 1-200"}});
  sql += " ORDER BY i.id DESC LIMIT ?";
  params.push_back(q.limit + 1);
  auto rows = tx.Query(sql, params);
  if (!rows.ok()) return rows.status();
  IncidentPage page;
  for (const auto& r : *rows) {
    if (static_cast<int64_t>(page.items.size()) == q.limit) {
      page.next_before_id = page.items.back().id;
      break;
    }
    page.items.push_back(FromRow(r));
  }
  return page;
}

Result<std::vector<std::pair<std::string, int64_t>>> IncidentService::CountOpenBySeverity(
    store::Tx& tx) {
  auto rows = tx.Query(
      "SELECT severity, COUNT(*) FROM incidents WHERE status <> 'resolved' GROUP BY severity");
  if (!rows.ok()) return rows.status();
  std::vector<std::pair<std::string, int64_t>> out;
  for (const auto& s : Severities()) {
    int64_t n = 0;
    for (const auto& r : *rows)
      if (r.Str(0) == s.name) n = r.Int(1);
    out.emplace_back(s.name, n);
  }
  return out;
}

std::vector<SeverityLevel> IncidentService::Severities() const {
  if (scheme_) {
    std::vector<SeverityLevel> v = scheme_();
    if (!v.empty()) return v;
  }
  std::vector<SeverityLevel> out;
  for (const auto& s : DefaultSeverities())
    out.push_back({std::string(s.name), s.rank, std::string(s.description)});
  return out;
}

bool IncidentService::KnownSeverity(const std::string& name) const {
  for (const auto& s : Severities())
    if (s.name == name) return true;
  return false;
}

Result<Service> IncidentService::CreateService(store::Tx& tx, const Service& s,
                                               const events::Actor& actor) {
  std::vector<FieldError> errs;
  if (s.name.find_first_not_of(" \t\r\n") == std::string::npos || s.name.size() > 100)
    errs.push_back({"/name", "must be 1-100 characters, not only spaces"});
  if (ParseInt64(s.name, 1)) errs.push_back({"/name", "must not be a number (numbers are ids)"});
  if (s.description.size() > kMaxText) errs.push_back({"/description", "is too long"});
  if (s.owner.size() > 200) errs.push_back({"/owner", "must be at most 200 characters"});
  if (!errs.empty()) return Invalid("invalid service", std::move(errs));
  auto existing = tx.QueryOne("SELECT archived_at FROM services WHERE name = ?", {s.name});
  if (!existing.ok()) return existing.status();
  if (*existing)
    return Conflict("a service named '" + s.name + "' exists" +
                    ((*existing)->IsNull(0) ? "" : " (archived)"));
  Service out = s;
  out.created_at = clock_.Now();
  auto row = tx.QueryOne(
      "INSERT INTO services(name, description, owner, created_at) VALUES (?,?,?,?) RETURNING id",
      {s.name, s.description, s.owner, out.created_at});
  if (!row.ok()) return row.status();
  out.id = (*row)->Int(0);
  events::Event e;
  e.kind = "service.created";
  e.actor = actor;
  e.data = {{"service_id", out.id}, {"name", out.name}};
  auto seq = log_.Append(tx, std::move(e));
  if (!seq.ok()) return seq.status();
  return out;
}

namespace {
constexpr const char* kServiceColumns = "id, name, description, owner, created_at, archived_at";
Service ServiceFromRow(const store::Row& r) {
  return Service{r.Int(0), r.Str(1), r.Str(2), r.Str(3), r.Int(4), r.OptInt(5)};
}
}  // namespace

Result<std::vector<Service>> IncidentService::ListServices(store::Tx& tx) {
  auto rows = tx.Query(std::string("SELECT ") + kServiceColumns +
                       " FROM services WHERE archived_at IS NULL ORDER BY name");
  if (!rows.ok()) return rows.status();
  std::vector<Service> out;
  for (const auto& r : *rows) out.push_back(ServiceFromRow(r));
  return out;
}

Result<Service> IncidentService::FindService(store::Tx& tx, const std::string& id_or_name) {
  auto id = ParseInt64(id_or_name, 1);
  std::string select = std::string("SELECT ") + kServiceColumns + " FROM services WHERE ";
  auto row =
      id ? tx.QueryOne(select + "id = ?", {*id}) : tx.QueryOne(select + "name = ?", {id_or_name});
  if (!row.ok()) return row.status();
  if (!*row) return NotFound("no service '" + id_or_name + "'");
  return ServiceFromRow(**row);
}

Status IncidentService::ArchiveService(store::Tx& tx, const Service& s,
                                       const events::Actor& actor) {
  if (s.archived_at) return Status::Ok();
  std::vector<std::string> uses;
  auto open = tx.QueryOne(
      "SELECT COUNT(*) FROM incidents WHERE service_id = ? AND status != 'resolved'", {s.id});
  if (!open.ok()) return open.status();
  if (int64_t n = (*open)->Int(0); n > 0)
    uses.push_back(std::to_string(n) + " open incident" + (n == 1 ? "" : "s"));
  auto integrations = tx.Query(
      "SELECT name FROM integrations WHERE service_id = ? AND revoked_at IS NULL ORDER BY name",
      {s.id});
  if (!integrations.ok()) return integrations.status();
  for (const auto& r : *integrations) uses.push_back("integration '" + r.Str(0) + "'");
  auto components = tx.Query(
      "SELECT c.name FROM status_component_services cs JOIN status_components c ON c.id = "
      "cs.component_id WHERE cs.service_id = ? ORDER BY c.name",
      {s.id});
  if (!components.ok()) return components.status();
  for (const auto& r : *components) uses.push_back("status component '" + r.Str(0) + "'");
  if (!uses.empty()) {
    std::string list;
    for (const auto& u : uses) list += (list.empty() ? "" : ", ") + u;
    return Conflict("service '" + s.name + "' cannot be archived while it has " + list);
  }
  KLAXON_RETURN_IF_ERROR(
      tx.Exec("UPDATE services SET archived_at = ? WHERE id = ?", {clock_.Now(), s.id}));
  return log_
      .Append(tx, events::Event::Of("service.archived", actor,
                                    {{"service_id", s.id}, {"name", s.name}}))
      .status();
}

Status IncidentService::RestoreService(store::Tx& tx, const Service& s,
                                       const events::Actor& actor) {
  if (!s.archived_at) return Status::Ok();
  KLAXON_RETURN_IF_ERROR(tx.Exec("UPDATE services SET archived_at = NULL WHERE id = ?", {s.id}));
  return log_
      .Append(tx, events::Event::Of("service.restored", actor,
                                    {{"service_id", s.id}, {"name", s.name}}))
      .status();
}

Result<Incident> IncidentService::MarkNoise(store::Tx& tx, int64_t id, bool noise,
                                            const std::string& reason,
                                            std::optional<int64_t> alert_id,
                                            const events::Actor& actor) {
  KLAXON_ASSIGN_OR_RETURN(Incident inc, Get(tx, id));
  if (noise) KLAXON_RETURN_IF_ERROR(CheckText("/reason", reason, 2000, true));
  TimeMs now = clock_.Now();
  nlohmann::json data = {{"reason", noise ? nlohmann::json(reason) : nlohmann::json()}};
  if (alert_id) {
    auto row =
        tx.QueryOne("SELECT labels, noise_reason FROM alerts WHERE id = ? AND incident_id = ?",
                    {*alert_id, id});
    if (!row.ok()) return row.status();
    if (!*row) return InvalidField("/alert_id", "no such alert on " + inc.ref());
    if ((*row)->IsNull(1) != noise) return inc;  // already so
    KLAXON_RETURN_IF_ERROR(tx.Exec("UPDATE alerts SET noise_reason = ?, noise_at = ? WHERE id = ?",
                                   {noise ? store::Value(reason) : store::Value(),
                                    noise ? store::Value(now) : store::Value(), *alert_id}));
    nlohmann::json labels = nlohmann::json::parse((*row)->Str(0), nullptr, false);
    data["alert_id"] = *alert_id;
    data["alertname"] = labels.is_object() ? labels.value("alertname", "") : "";
  } else {
    if (inc.noise.has_value() == noise && (!noise || inc.noise->reason == reason)) return inc;
    KLAXON_RETURN_IF_ERROR(
        tx.Exec("UPDATE incidents SET noise_reason = ?, noise_by = ?, noise_at = ? WHERE id = ?",
                {noise ? store::Value(reason) : store::Value(),
                 noise ? store::Value(actor.name) : store::Value(),
                 noise ? store::Value(now) : store::Value(), id}));
    if (noise)
      inc.noise = Incident::Noise{reason, actor.name, now};
    else
      inc.noise.reset();
  }
  KLAXON_RETURN_IF_ERROR(
      Emit(tx, noise ? "incident.marked_noise" : "incident.unmarked_noise", actor, id, data)
          .status());
  return inc;
}

}  // namespace klaxon::incidents
