#include "status/service.h"

#include <date/tz.h>
#include <sodium.h>

#include <algorithm>
#include <map>
#include <set>

#include "core/numbers.h"
#include "core/time_format.h"
#include "incidents/incident_service.h"

namespace klaxon::status {

using nlohmann::json;

namespace {

constexpr const char* kMaintenanceTimer = "status_maintenance";
constexpr const char* kPageSetting = "status_page";
constexpr size_t kMaxName = 200;
constexpr size_t kMaxBody = 20000;
constexpr int64_t kHistoryDays = 91;

bool HttpUrl(const std::string& u) { return u.starts_with("https://") || u.starts_with("http://"); }

Result<std::string> Text(const json& body, const char* field, size_t max, bool required) {
  std::string pointer = std::string("/") + field;
  if (!body.contains(field)) {
    if (required) return InvalidField(pointer, "is required");
    return std::string();
  }
  const json& v = body[field];
  if (!v.is_string()) return InvalidField(pointer, "must be a string");
  std::string s = v.get<std::string>();
  if (required && s.find_first_not_of(" \t\r\n") == std::string::npos)
    return InvalidField(pointer, "must not be empty");
  if (s.size() > max)
    return InvalidField(pointer, "must be at most " + std::to_string(max) + " bytes");
  return s;
}

Result<std::optional<TimeMs>> TimeField(const json& body, const char* field) {
  if (!body.contains(field)) return std::optional<TimeMs>();
  std::string pointer = std::string("/") + field;
  if (!body[field].is_string()) return InvalidField(pointer, "must be an RFC 3339 time");
  auto t = ParseTime(body[field].get<std::string>());
  if (!t) return InvalidField(pointer, "must be an RFC 3339 time");
  return std::optional<TimeMs>(*t);
}

Component ComponentFromRow(const store::Row& r) {
  Component c;
  c.id = r.Int(0);
  c.public_id = r.Str(1);
  c.name = r.Str(2);
  c.description = r.Str(3);
  c.group_id = r.OptInt(4);
  c.is_group = r.Int(5) != 0;
  c.position = static_cast<int>(r.Int(6));
  c.status = ParseComponentStatus(r.Str(7)).value_or(ComponentStatus::kOperational);
  c.showcase = r.Int(8) != 0;
  c.only_show_if_degraded = r.Int(9) != 0;
  c.created_at = r.Int(10);
  c.updated_at = r.Int(11);
  return c;
}

constexpr const char* kComponentColumns =
    "id, public_id, name, description, group_id, is_group, position, status, showcase, "
    "only_show_if_degraded, created_at, updated_at";

constexpr const char* kIncidentColumns =
    "id, public_id, kind, name, status, impact, incident_id, started_at, monitoring_at, "
    "resolved_at, scheduled_for, scheduled_until, auto_transition, postmortem, components, "
    "created_at, updated_at";

Incident IncidentFromRow(const store::Row& r) {
  Incident i;
  i.id = r.Int(0);
  i.public_id = r.Str(1);
  i.kind = r.Str(2);
  i.name = r.Str(3);
  i.status = r.Str(4);
  i.impact = r.Str(5);
  i.internal_incident_id = r.OptInt(6);
  i.started_at = r.Int(7);
  i.monitoring_at = r.OptInt(8);
  i.resolved_at = r.OptInt(9);
  i.scheduled_for = r.OptInt(10);
  i.scheduled_until = r.OptInt(11);
  i.auto_transition = r.Int(12) != 0;
  i.postmortem = r.Str(13);
  json comps = json::parse(r.Str(14), nullptr, false);
  if (comps.is_array())
    for (const auto& c : comps)
      if (c.is_number_integer()) i.component_ids.push_back(c.get<int64_t>());
  i.created_at = r.Int(15);
  i.updated_at = r.Int(16);
  return i;
}

json AffectedJson(const std::vector<AffectedComponent>& a) {
  json out = json::array();
  for (const auto& x : a)
    out.push_back({{"code", x.code},
                   {"name", x.name},
                   {"old_status", x.old_status},
                   {"new_status", x.new_status}});
  return out;
}

std::vector<AffectedComponent> AffectedFromJson(const std::string& text) {
  std::vector<AffectedComponent> out;
  json j = json::parse(text, nullptr, false);
  if (!j.is_array()) return out;
  for (const auto& x : j)
    if (x.is_object())
      out.push_back({x.value("code", ""), x.value("name", ""), x.value("old_status", ""),
                     x.value("new_status", "")});
  return out;
}

PageSettings PageFromJson(const json& j) {
  PageSettings p;
  if (!j.is_object()) return p;
  p.id = j.value("id", p.id);
  p.name = j.value("name", p.name);
  p.url = j.value("url", p.url);
  p.time_zone = j.value("time_zone", p.time_zone);
  p.logo_url = j.value("logo_url", p.logo_url);
  p.accent_color = j.value("accent_color", p.accent_color);
  p.about = j.value("about", p.about);
  if (j.contains("links") && j["links"].is_array())
    for (const auto& l : j["links"])
      if (l.is_object()) p.links.push_back({l.value("label", ""), l.value("url", "")});
  return p;
}

json PageToJson(const PageSettings& p) {
  json links = json::array();
  for (const auto& l : p.links) links.push_back({{"label", l.label}, {"url", l.url}});
  return {{"id", p.id},
          {"name", p.name},
          {"url", p.url},
          {"time_zone", p.time_zone},
          {"logo_url", p.logo_url},
          {"accent_color", p.accent_color},
          {"links", links},
          {"about", p.about}};
}

std::vector<FieldError> UnknownFields(const json& body, std::initializer_list<const char*> known) {
  std::vector<FieldError> errs;
  if (!body.is_object()) return {{"/", "must be a JSON object"}};
  for (const auto& [k, v] : body.items()) {
    bool ok = false;
    for (const char* name : known) ok = ok || k == name;
    if (!ok) errs.push_back({"/" + k, "is not a known field"});
  }
  return errs;
}

bool ValidZone(const std::string& name) {
  try {
    return date::locate_zone(name) != nullptr;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

void StatusService::Install() {
  timers_.On(kMaintenanceTimer,
             [this](store::Tx& tx, int64_t id, TimeMs) { return OnMaintenanceTimer(tx, id); });
}

void StatusService::Changed(store::Tx& tx) {
  tx.OnCommit([this] { generation_++; });
}

Status StatusService::Emit(store::Tx& tx, const std::string& kind, const events::Actor& actor,
                           json data) {
  return log_.Append(tx, events::Event::Of(kind, actor, std::move(data))).status();
}

// ---------------------------------------------------------------------------- page

Result<PageSettings> StatusService::GetPage(store::Tx& tx) {
  auto row = tx.QueryOne("SELECT value FROM settings WHERE key = ?", {std::string(kPageSetting)});
  if (!row.ok()) return row.status();
  if (!*row) return PageSettings{};
  return PageFromJson(json::parse((*row)->Str(0), nullptr, false));
}

Result<PageSettings> StatusService::UpdatePage(store::Tx& tx, const json& body,
                                               const events::Actor& actor) {
  KLAXON_ASSIGN_OR_RETURN(PageSettings p, GetPage(tx));
  std::vector<FieldError> errs = UnknownFields(
      body, {"name", "url", "time_zone", "logo_url", "accent_color", "links", "about"});
  auto text = [&](const char* f, size_t max, std::string& into, bool required) {
    if (!body.contains(f)) return;
    auto v = Text(body, f, max, required);
    if (!v.ok())
      for (const auto& e : v.status().fields()) errs.push_back(e);
    else
      into = *v;
  };
  text("name", 100, p.name, true);
  text("url", 500, p.url, false);
  text("time_zone", 64, p.time_zone, true);
  text("logo_url", 500, p.logo_url, false);
  text("accent_color", 7, p.accent_color, true);
  text("about", 2000, p.about, false);
  if (!p.url.empty() && !HttpUrl(p.url)) errs.push_back({"/url", "must be an http(s) URL"});
  if (!p.logo_url.empty() && !HttpUrl(p.logo_url))
    errs.push_back({"/logo_url", "must be an http(s) URL"});
  if (body.contains("time_zone") && !ValidZone(p.time_zone))
    errs.push_back({"/time_zone", "unknown time zone"});
  {
    const std::string& c = p.accent_color;
    bool hex = (c.size() == 4 || c.size() == 7) && c[0] == '#' &&
               std::all_of(c.begin() + 1, c.end(), [](char ch) { return std::isxdigit(ch); });
    if (!hex) errs.push_back({"/accent_color", "must be #rgb or #rrggbb"});
  }
  if (body.contains("links")) {
    p.links.clear();
    const json& links = body["links"];
    if (!links.is_array() || links.size() > 10) {
      errs.push_back({"/links", "must be a list of at most 10 {label, url}"});
    } else {
      for (size_t i = 0; i < links.size(); ++i) {
        std::string at = "/links/" + std::to_string(i);
        const json& l = links[i];
        if (!l.is_object() || !l.contains("label") || !l["label"].is_string() ||
            !l.contains("url") || !l["url"].is_string()) {
          errs.push_back({at, "must be {label, url}"});
          continue;
        }
        std::string label = l["label"].get<std::string>(), url = l["url"].get<std::string>();
        if (label.empty() || label.size() > 50) errs.push_back({at + "/label", "1-50 characters"});
        if (!HttpUrl(url) || url.size() > 500)
          errs.push_back({at + "/url", "must be an http(s) URL"});
        p.links.push_back({label, url});
      }
    }
  }
  if (!errs.empty()) return Invalid("invalid status page settings", std::move(errs));
  KLAXON_RETURN_IF_ERROR(tx.Exec(
      "INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = "
      "excluded.value",
      {std::string(kPageSetting), PageToJson(p).dump()}));
  KLAXON_RETURN_IF_ERROR(Emit(tx, "status.page_updated", actor, {{"name", p.name}}));
  Changed(tx);
  return p;
}

// ---------------------------------------------------------------------------- components

Result<std::vector<Component>> StatusService::ListComponents(store::Tx& tx) {
  auto rows = tx.Query(std::string("SELECT ") + kComponentColumns +
                       " FROM status_components WHERE deleted_at IS NULL ORDER BY position, id");
  if (!rows.ok()) return rows.status();
  std::vector<Component> all;
  for (const auto& r : *rows) all.push_back(ComponentFromRow(r));
  auto links = tx.Query("SELECT component_id, service_id FROM status_component_services");
  if (!links.ok()) return links.status();
  std::map<int64_t, std::vector<int64_t>> services;
  for (const auto& r : *links) services[r.Int(0)].push_back(r.Int(1));
  for (auto& c : all) c.service_ids = services[c.id];
  // A group shows the worst status of its components.
  auto rank = [](ComponentStatus st) {
    switch (st) {
      case ComponentStatus::kMajorOutage:
        return 4;
      case ComponentStatus::kPartialOutage:
        return 3;
      case ComponentStatus::kDegraded:
        return 2;
      case ComponentStatus::kMaintenance:
        return 1;
      case ComponentStatus::kOperational:
        return 0;
    }
    return 0;
  };
  for (auto& g : all) {
    if (!g.is_group) continue;
    g.status = ComponentStatus::kOperational;
    for (const auto& child : all)
      if (child.group_id == g.id && rank(child.status) > rank(g.status)) {
        g.status = child.status;
        g.updated_at = std::max(g.updated_at, child.updated_at);
      }
  }
  // Top-level entries by position, each group followed by its children.
  std::vector<Component> ordered;
  for (const auto& c : all) {
    if (c.group_id) continue;
    ordered.push_back(c);
    if (c.is_group)
      for (const auto& child : all)
        if (child.group_id == c.id) ordered.push_back(child);
  }
  return ordered;
}

Result<Component> StatusService::FindComponent(store::Tx& tx, const std::string& key) {
  auto id = ParseInt64(key, 1);
  auto row = tx.QueryOne(std::string("SELECT ") + kComponentColumns +
                             " FROM status_components WHERE deleted_at IS NULL AND (id = ? OR "
                             "public_id = ? OR name = ?) ORDER BY (id = ?) DESC, "
                             "(public_id = ?) DESC, id LIMIT 1",
                         {id ? *id : int64_t{-1}, key, key, id ? *id : int64_t{-1}, key});
  if (!row.ok()) return row.status();
  if (!*row) return NotFound("no status page component '" + key + "'");
  Component c = ComponentFromRow(**row);
  auto links =
      tx.Query("SELECT service_id FROM status_component_services WHERE component_id = ?", {c.id});
  if (!links.ok()) return links.status();
  for (const auto& r : *links) c.service_ids.push_back(r.Int(0));
  return c;
}

Status StatusService::SetComponentStatus(store::Tx& tx, Component& c, ComponentStatus to,
                                         std::vector<AffectedComponent>* affected) {
  if (affected)
    affected->push_back({c.public_id, c.name, std::string(Name(c.status)), std::string(Name(to))});
  if (c.status == to) return Status::Ok();
  TimeMs now = clock_.Now();
  KLAXON_RETURN_IF_ERROR(
      tx.Exec("UPDATE status_components SET status = ?, updated_at = ? WHERE id = ?",
              {std::string(Name(to)), now, c.id}));
  KLAXON_RETURN_IF_ERROR(
      tx.Exec("INSERT INTO status_history(component_id, status, at) VALUES (?,?,?)",
              {c.id, std::string(Name(to)), now}));
  c.status = to;
  c.updated_at = now;
  return Status::Ok();
}

Result<Component> StatusService::CreateComponent(store::Tx& tx, const json& body,
                                                 const events::Actor& actor) {
  return UpdateComponent(tx, "", body, actor);
}

Result<Component> StatusService::UpdateComponent(store::Tx& tx, const std::string& key,
                                                 const json& body, const events::Actor& actor) {
  bool create = key.empty();
  Component c;
  if (!create) {
    KLAXON_ASSIGN_OR_RETURN(c, FindComponent(tx, key));
  }
  std::vector<FieldError> errs =
      UnknownFields(body, {"name", "description", "group", "is_group", "position", "status",
                           "showcase", "only_show_if_degraded", "services"});
  auto field_errors = [&](const Status& s) {
    for (const auto& e : s.fields()) errs.push_back(e);
  };
  if (create || body.contains("name")) {
    auto v = Text(body, "name", kMaxName, true);
    if (v.ok())
      c.name = *v;
    else
      field_errors(v.status());
  }
  if (body.contains("description")) {
    auto v = Text(body, "description", 2000, false);
    if (v.ok())
      c.description = *v;
    else
      field_errors(v.status());
  }
  auto flag = [&](const char* f, bool& into) {
    if (!body.contains(f)) return;
    if (!body[f].is_boolean())
      errs.push_back({std::string("/") + f, "must be true or false"});
    else
      into = body[f].get<bool>();
  };
  if (create)
    flag("is_group", c.is_group);
  else if (body.contains("is_group"))
    errs.push_back({"/is_group", "cannot be changed"});
  flag("showcase", c.showcase);
  flag("only_show_if_degraded", c.only_show_if_degraded);
  if (body.contains("position")) {
    if (!body["position"].is_number_integer() || body["position"].get<int64_t>() < 0 ||
        body["position"].get<int64_t>() > 100000)
      errs.push_back({"/position", "must be an integer 0-100000"});
    else
      c.position = static_cast<int>(body["position"].get<int64_t>());
  }
  std::optional<ComponentStatus> new_status;
  if (body.contains("status")) {
    auto st = body["status"].is_string() ? ParseComponentStatus(body["status"].get<std::string>())
                                         : std::nullopt;
    if (!st)
      errs.push_back({"/status",
                      "must be operational, degraded_performance, partial_outage, major_outage "
                      "or under_maintenance"});
    else if (c.is_group)
      errs.push_back({"/status", "a group's status follows its components"});
    else
      new_status = st;
  }
  if (body.contains("group")) {
    const json& g = body["group"];
    if (g.is_null() || g == "") {
      c.group_id.reset();
    } else if (c.is_group) {
      errs.push_back({"/group", "groups do not nest"});
    } else if (!g.is_string() && !g.is_number_integer()) {
      errs.push_back({"/group", "must be a group's id or name"});
    } else {
      std::string gk = g.is_string() ? g.get<std::string>() : std::to_string(g.get<int64_t>());
      auto grp = FindComponent(tx, gk);
      if (!grp.ok()) {
        if (grp.status().code() != Code::kNotFound) return grp.status();
        errs.push_back({"/group", "unknown group '" + gk + "'"});
      } else if (!grp->is_group) {
        errs.push_back({"/group", "'" + gk + "' is a component, not a group"});
      } else {
        c.group_id = grp->id;
      }
    }
  }
  std::optional<std::vector<int64_t>> services;
  if (body.contains("services")) {
    const json& s = body["services"];
    if (!s.is_array() || s.size() > 100) {
      errs.push_back({"/services", "must be a list of service ids or names"});
    } else {
      services.emplace();
      for (size_t i = 0; i < s.size(); ++i) {
        std::string sk = s[i].is_string()           ? s[i].get<std::string>()
                         : s[i].is_number_integer() ? std::to_string(s[i].get<int64_t>())
                                                    : std::string();
        auto id = ParseInt64(sk, 1);
        auto row = tx.QueryOne(
            "SELECT id FROM services WHERE id = ? OR name = ? ORDER BY (id = ?) DESC LIMIT 1",
            {id ? *id : int64_t{-1}, sk, id ? *id : int64_t{-1}});
        if (!row.ok()) return row.status();
        if (!*row)
          errs.push_back({"/services/" + std::to_string(i), "unknown service '" + sk + "'"});
        else
          services->push_back((*row)->Int(0));
      }
    }
  }
  if (!errs.empty()) return Invalid("invalid status page component", std::move(errs));
  auto dup = tx.QueryOne(
      "SELECT id FROM status_components WHERE name = ? AND deleted_at IS NULL AND id != ?",
      {c.name, c.id});
  if (!dup.ok()) return dup.status();
  if (*dup) return Conflict("a status page component named '" + c.name + "' exists");

  TimeMs now = clock_.Now();
  if (create) {
    c.public_id = NewPublicId();
    c.created_at = c.updated_at = now;
    auto row = tx.QueryOne(
        "INSERT INTO status_components(public_id, name, description, group_id, is_group, "
        "position, status, showcase, only_show_if_degraded, created_at, updated_at) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
        {c.public_id, c.name, c.description, store::Opt(c.group_id), int64_t{c.is_group},
         int64_t{c.position}, std::string(Name(ComponentStatus::kOperational)), int64_t{c.showcase},
         int64_t{c.only_show_if_degraded}, now, now});
    if (!row.ok()) return row.status();
    c.id = (*row)->Int(0);
    KLAXON_RETURN_IF_ERROR(
        tx.Exec("INSERT INTO status_history(component_id, status, at) VALUES (?,?,?)",
                {c.id, std::string(Name(ComponentStatus::kOperational)), now}));
  } else {
    c.updated_at = now;
    KLAXON_RETURN_IF_ERROR(tx.Exec(
        "UPDATE status_components SET name = ?, description = ?, group_id = ?, position = ?, "
        "showcase = ?, only_show_if_degraded = ?, updated_at = ? WHERE id = ?",
        {c.name, c.description, store::Opt(c.group_id), int64_t{c.position}, int64_t{c.showcase},
         int64_t{c.only_show_if_degraded}, now, c.id}));
  }
  std::string old_status(Name(c.status));
  if (new_status) KLAXON_RETURN_IF_ERROR(SetComponentStatus(tx, c, *new_status, nullptr));
  if (services) {
    KLAXON_RETURN_IF_ERROR(
        tx.Exec("DELETE FROM status_component_services WHERE component_id = ?", {c.id}));
    std::set<int64_t> unique(services->begin(), services->end());
    for (int64_t sid : unique)
      KLAXON_RETURN_IF_ERROR(
          tx.Exec("INSERT INTO status_component_services(component_id, service_id) VALUES (?,?)",
                  {c.id, sid}));
    c.service_ids.assign(unique.begin(), unique.end());
  }
  json data = {{"component", c.public_id}, {"name", c.name}};
  if (new_status) {
    data["old_status"] = old_status;
    data["status"] = std::string(Name(c.status));
  }
  KLAXON_RETURN_IF_ERROR(
      Emit(tx, create ? "status.component_created" : "status.component_updated", actor, data));
  Changed(tx);
  return c;
}

Status StatusService::DeleteComponent(store::Tx& tx, const std::string& key,
                                      const events::Actor& actor) {
  KLAXON_ASSIGN_OR_RETURN(Component c, FindComponent(tx, key));
  auto children = tx.QueryOne(
      "SELECT COUNT(*) FROM status_components WHERE group_id = ? AND deleted_at IS NULL", {c.id});
  if (!children.ok()) return children.status();
  if ((*children)->Int(0) > 0)
    return Conflict("group '" + c.name + "' still has components; move or delete them first");
  KLAXON_RETURN_IF_ERROR(
      tx.Exec("UPDATE status_components SET deleted_at = ? WHERE id = ?", {clock_.Now(), c.id}));
  KLAXON_RETURN_IF_ERROR(
      tx.Exec("DELETE FROM status_component_services WHERE component_id = ?", {c.id}));
  KLAXON_RETURN_IF_ERROR(
      Emit(tx, "status.component_deleted", actor, {{"component", c.public_id}, {"name", c.name}}));
  Changed(tx);
  return Status::Ok();
}

// ---------------------------------------------------------------------------- incidents

Result<Incident> StatusService::LoadIncident(store::Tx& tx, int64_t id) {
  auto row = tx.QueryOne(
      std::string("SELECT ") + kIncidentColumns + " FROM status_incidents WHERE id = ?", {id});
  if (!row.ok()) return row.status();
  if (!*row) return NotFound("no status page incident " + std::to_string(id));
  Incident inc = IncidentFromRow(**row);
  auto ups = tx.Query(
      "SELECT id, public_id, status, body, affected, created_at, display_at FROM status_updates "
      "WHERE status_incident_id = ? ORDER BY id DESC",
      {id});
  if (!ups.ok()) return ups.status();
  for (const auto& r : *ups)
    inc.updates.push_back(
        {r.Int(0), r.Str(1), r.Str(2), r.Str(3), r.Int(5), r.Int(6), AffectedFromJson(r.Str(4))});
  return inc;
}

Result<Incident> StatusService::GetIncident(store::Tx& tx, const std::string& key) {
  auto id = ParseInt64(key, 1);
  auto row = tx.QueryOne("SELECT id FROM status_incidents WHERE id = ? OR public_id = ?",
                         {id ? *id : int64_t{-1}, key});
  if (!row.ok()) return row.status();
  if (!*row) return NotFound("no status page incident '" + key + "'");
  return LoadIncident(tx, (*row)->Int(0));
}

Result<std::vector<Incident>> StatusService::ListIncidents(store::Tx& tx, const std::string& kind,
                                                           int limit) {
  auto rows = kind.empty()
                  ? tx.Query(
                        "SELECT id FROM status_incidents ORDER BY updated_at DESC, id DESC "
                        "LIMIT ?",
                        {int64_t{limit}})
                  : tx.Query(
                        "SELECT id FROM status_incidents WHERE kind = ? ORDER BY "
                        "updated_at DESC, id DESC LIMIT ?",
                        {kind, int64_t{limit}});
  if (!rows.ok()) return rows.status();
  std::vector<Incident> out;
  for (const auto& r : *rows) {
    KLAXON_ASSIGN_OR_RETURN(Incident i, LoadIncident(tx, r.Int(0)));
    out.push_back(std::move(i));
  }
  return out;
}

Status StatusService::SaveIncident(store::Tx& tx, const Incident& inc) {
  return tx.Exec(
      "UPDATE status_incidents SET name = ?, status = ?, impact = ?, monitoring_at = ?, "
      "resolved_at = ?, scheduled_for = ?, scheduled_until = ?, postmortem = ?, components = ?, "
      "updated_at = ? WHERE id = ?",
      {inc.name, inc.status, inc.impact, store::Opt(inc.monitoring_at), store::Opt(inc.resolved_at),
       store::Opt(inc.scheduled_for), store::Opt(inc.scheduled_until), inc.postmortem,
       json(inc.component_ids).dump(), inc.updated_at, inc.id});
}

Status StatusService::AppendUpdate(store::Tx& tx, Incident& inc, const std::string& status,
                                   const std::string& body,
                                   const std::vector<AffectedComponent>& affected) {
  TimeMs now = clock_.Now();
  Update u{0, NewPublicId(), status, body, now, now, affected};
  auto row = tx.QueryOne(
      "INSERT INTO status_updates(public_id, status_incident_id, status, body, affected, "
      "created_at, display_at) VALUES (?,?,?,?,?,?,?) RETURNING id",
      {u.public_id, inc.id, status, body, AffectedJson(affected).dump(), now, now});
  if (!row.ok()) return row.status();
  u.id = (*row)->Int(0);
  inc.updates.insert(inc.updates.begin(), std::move(u));
  inc.updated_at = now;
  return Status::Ok();
}

Result<Incident> StatusService::CreateIncident(store::Tx& tx, const json& body,
                                               const events::Actor& actor) {
  std::vector<FieldError> errs = UnknownFields(
      body, {"name", "body", "status", "impact", "components", "incident", "started_at"});
  Incident inc;
  std::string text;
  std::optional<int64_t> internal;
  if (body.contains("incident")) {
    const json& i = body["incident"];
    std::string ik = i.is_string()           ? i.get<std::string>()
                     : i.is_number_integer() ? std::to_string(i.get<int64_t>())
                                             : std::string();
    if (ik.starts_with("INC-")) ik = ik.substr(4);
    auto id = ParseInt64(ik, 1);
    auto row = id ? tx.QueryOne("SELECT id, title FROM incidents WHERE id = ?", {*id})
                  : Result<std::optional<store::Row>>(std::optional<store::Row>());
    if (!row.ok()) return row.status();
    if (!*row)
      errs.push_back({"/incident", "unknown incident"});
    else
      internal = (*row)->Int(0);
  }
  bool drill = false;
  if (internal) {
    KLAXON_RETURN_IF_ERROR(incidents::CheckMayGoPublic(tx, *internal, "/incident"));
    auto d = tx.QueryOne("SELECT drill FROM incidents WHERE id = ?", {*internal});
    if (!d.ok()) return d.status();
    drill = *d && (*d)->Int(0) != 0;
  }
  auto name = Text(body, "name", kMaxName, true);
  if (!name.ok())
    for (const auto& e : name.status().fields()) errs.push_back(e);
  auto message = Text(body, "body", kMaxBody, true);
  if (!message.ok())
    for (const auto& e : message.status().fields()) errs.push_back(e);
  inc.status = "investigating";
  if (body.contains("status"))
    inc.status = body["status"].is_string() ? body["status"].get<std::string>() : "";
  if (!IsIncidentStatus(inc.status))
    errs.push_back(
        {"/status", "must be investigating, identified, monitoring, resolved or postmortem"});
  inc.impact = "minor";
  if (body.contains("impact"))
    inc.impact = body["impact"].is_string() ? body["impact"].get<std::string>() : "";
  if (!IsImpact(inc.impact)) errs.push_back({"/impact", "must be none, minor, major or critical"});
  KLAXON_ASSIGN_OR_RETURN(auto started, TimeField(body, "started_at"));
  // components: {component: status}
  std::vector<std::pair<Component, ComponentStatus>> changes;
  if (body.contains("components")) {
    const json& cs = body["components"];
    if (!cs.is_object() || cs.size() > 200) {
      errs.push_back({"/components", "must map components (id or name) to statuses"});
    } else {
      for (const auto& [k, v] : cs.items()) {
        auto c = FindComponent(tx, k);
        auto st = v.is_string() ? ParseComponentStatus(v.get<std::string>()) : std::nullopt;
        if (!c.ok()) {
          if (c.status().code() != Code::kNotFound) return c.status();
          errs.push_back({"/components/" + k, "unknown component"});
        } else if (c->is_group) {
          errs.push_back({"/components/" + k, "is a group; name its components"});
        } else if (!st) {
          errs.push_back({"/components/" + k, "unknown component status"});
        } else {
          changes.emplace_back(*c, *st);
        }
      }
    }
  }
  if (!errs.empty()) return Invalid("invalid status page incident", std::move(errs));
  TimeMs now = clock_.Now();
  inc.public_id = NewPublicId();
  inc.kind = "incident";
  inc.name = drill ? incidents::DrillTitle(*name) : *name;  // a drill says so in public too
  inc.internal_incident_id = internal;
  inc.created_at = inc.updated_at = now;
  inc.started_at = started.value_or(now);
  if (inc.status == "monitoring") inc.monitoring_at = now;
  if (inc.status == "resolved" || inc.status == "postmortem") inc.resolved_at = now;
  for (const auto& [c, st] : changes) inc.component_ids.push_back(c.id);
  auto row = tx.QueryOne(
      "INSERT INTO status_incidents(public_id, kind, name, status, impact, incident_id, "
      "started_at, monitoring_at, resolved_at, components, created_at, updated_at) "
      "VALUES (?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
      {inc.public_id, inc.kind, inc.name, inc.status, inc.impact, store::Opt(internal),
       inc.started_at, store::Opt(inc.monitoring_at), store::Opt(inc.resolved_at),
       json(inc.component_ids).dump(), now, now});
  if (!row.ok()) return row.status();
  inc.id = (*row)->Int(0);
  std::vector<AffectedComponent> affected;
  for (auto& [c, st] : changes) KLAXON_RETURN_IF_ERROR(SetComponentStatus(tx, c, st, &affected));
  KLAXON_RETURN_IF_ERROR(AppendUpdate(tx, inc, inc.status, *message, affected));
  json data = {{"status_incident", inc.public_id},
               {"name", inc.name},
               {"status", inc.status},
               {"impact", inc.impact}};
  if (internal) data["incident"] = *internal;
  KLAXON_RETURN_IF_ERROR(
      log_.Append(tx, events::Event::Of("status.incident_published", actor, data, internal))
          .status());
  KLAXON_RETURN_IF_ERROR(Updated(tx, inc));
  Changed(tx);
  return inc;
}

Result<Incident> StatusService::ScheduleMaintenance(store::Tx& tx, const json& body,
                                                    const events::Actor& actor) {
  std::vector<FieldError> errs = UnknownFields(
      body, {"name", "body", "scheduled_for", "scheduled_until", "components", "auto_transition"});
  auto name = Text(body, "name", kMaxName, true);
  if (!name.ok())
    for (const auto& e : name.status().fields()) errs.push_back(e);
  auto message = Text(body, "body", kMaxBody, false);
  if (!message.ok())
    for (const auto& e : message.status().fields()) errs.push_back(e);
  auto from = TimeField(body, "scheduled_for");
  auto until = TimeField(body, "scheduled_until");
  if (!from.ok()) errs.push_back({"/scheduled_for", "must be an RFC 3339 time"});
  if (!until.ok()) errs.push_back({"/scheduled_until", "must be an RFC 3339 time"});
  if (from.ok() && !*from) errs.push_back({"/scheduled_for", "is required"});
  if (until.ok() && !*until) errs.push_back({"/scheduled_until", "is required"});
  if (from.ok() && until.ok() && *from && *until && **until <= **from)
    errs.push_back({"/scheduled_until", "must be after scheduled_for"});
  if (from.ok() && until.ok() && *from && *until && **until - **from > 31LL * 86'400'000)
    errs.push_back({"/scheduled_until", "a maintenance lasts at most 31 days"});
  bool auto_transition = true;
  if (body.contains("auto_transition")) {
    if (!body["auto_transition"].is_boolean())
      errs.push_back({"/auto_transition", "must be true or false"});
    else
      auto_transition = body["auto_transition"].get<bool>();
  }
  std::vector<Component> comps;
  if (body.contains("components")) {
    const json& cs = body["components"];
    if (!cs.is_array() || cs.size() > 200) {
      errs.push_back({"/components", "must be a list of components (id or name)"});
    } else {
      for (size_t i = 0; i < cs.size(); ++i) {
        std::string k = cs[i].is_string()           ? cs[i].get<std::string>()
                        : cs[i].is_number_integer() ? std::to_string(cs[i].get<int64_t>())
                                                    : std::string();
        auto c = FindComponent(tx, k);
        if (!c.ok()) {
          if (c.status().code() != Code::kNotFound) return c.status();
          errs.push_back({"/components/" + std::to_string(i), "unknown component"});
        } else if (c->is_group) {
          errs.push_back({"/components/" + std::to_string(i), "is a group; name its components"});
        } else {
          comps.push_back(*c);
        }
      }
    }
  }
  if (!errs.empty()) return Invalid("invalid maintenance", std::move(errs));
  TimeMs now = clock_.Now();
  Incident m;
  m.public_id = NewPublicId();
  m.kind = "maintenance";
  m.name = *name;
  m.status = "scheduled";
  m.impact = "maintenance";
  m.scheduled_for = **from;
  m.scheduled_until = **until;
  m.auto_transition = auto_transition;
  m.started_at = **from;
  m.created_at = m.updated_at = now;
  for (const auto& c : comps) m.component_ids.push_back(c.id);
  // Alerts of the services behind the components are silenced for the window.
  std::set<int64_t> services;
  for (const auto& c : comps) services.insert(c.service_ids.begin(), c.service_ids.end());
  json windows = json::array();
  for (int64_t sid : services) {
    alerts::MaintenanceWindow w;
    w.service_id = sid;
    w.name = "status page: " + m.name.substr(0, 150);
    w.starts_at = m.scheduled_for;
    w.ends_at = m.scheduled_until;
    KLAXON_ASSIGN_OR_RETURN(auto created, suppression_.CreateWindow(tx, w, actor));
    windows.push_back(created.id);
  }
  auto row = tx.QueryOne(
      "INSERT INTO status_incidents(public_id, kind, name, status, impact, started_at, "
      "scheduled_for, scheduled_until, auto_transition, components, silence_windows, created_at, "
      "updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
      {m.public_id, m.kind, m.name, m.status, m.impact, m.started_at, *m.scheduled_for,
       *m.scheduled_until, int64_t{m.auto_transition}, json(m.component_ids).dump(), windows.dump(),
       now, now});
  if (!row.ok()) return row.status();
  m.id = (*row)->Int(0);
  // Without a message the update says only that it is scheduled: the page shows the
  // window in its own time zone.
  std::string text = !message->empty() ? *message : "Maintenance is scheduled.";
  std::vector<AffectedComponent> affected;
  for (const auto& c : comps)
    affected.push_back(
        {c.public_id, c.name, std::string(Name(c.status)), std::string(Name(c.status))});
  KLAXON_RETURN_IF_ERROR(AppendUpdate(tx, m, "scheduled", text, affected));
  KLAXON_RETURN_IF_ERROR(Emit(tx, "status.maintenance_scheduled", actor,
                              {{"status_incident", m.public_id},
                               {"name", m.name},
                               {"scheduled_for", FormatTime(*m.scheduled_for)},
                               {"scheduled_until", FormatTime(*m.scheduled_until)},
                               {"silenced_services", services.size()}}));
  // Already due (scheduled in the past or now): move it at once.
  std::string by_clock = MaintenanceStatusAt(m, now);
  if (by_clock == m.status) KLAXON_RETURN_IF_ERROR(Updated(tx, m));
  if (by_clock != m.status)
    KLAXON_RETURN_IF_ERROR(MoveMaintenance(tx, m, by_clock,
                                           by_clock == "completed"
                                               ? "The maintenance has completed."
                                               : "Maintenance is in progress."));
  KLAXON_RETURN_IF_ERROR(ArmMaintenance(tx, m));
  Changed(tx);
  return m;
}

Status StatusService::ArmMaintenance(store::Tx& tx, const Incident& m) {
  if (!m.auto_transition || m.status == "completed" || !m.scheduled_for || !m.scheduled_until)
    return timers_.Clear(tx, kMaintenanceTimer, m.id);
  TimeMs due = m.status == "scheduled" ? *m.scheduled_for : *m.scheduled_until;
  return timers_.Set(tx, kMaintenanceTimer, m.id, due);
}

Status StatusService::MoveMaintenance(store::Tx& tx, Incident& m, const std::string& to,
                                      const std::string& body) {
  std::vector<AffectedComponent> affected;
  for (int64_t cid : m.component_ids) {
    auto c = FindComponent(tx, std::to_string(cid));
    if (!c.ok()) {
      if (c.status().code() == Code::kNotFound) continue;  // deleted since
      return c.status();
    }
    ComponentStatus target = c->status;
    if (to == "in_progress" || to == "verifying") {
      if (c->status == ComponentStatus::kOperational) target = ComponentStatus::kMaintenance;
    } else if (to == "completed") {
      if (c->status == ComponentStatus::kMaintenance) target = ComponentStatus::kOperational;
    }
    KLAXON_RETURN_IF_ERROR(SetComponentStatus(tx, *c, target, &affected));
  }
  TimeMs now = clock_.Now();
  if (to == "completed") {
    m.resolved_at = now;
    // Ended early by hand: lift the silences of its services now.
    if (m.scheduled_until && now < *m.scheduled_until) {
      auto row = tx.QueryOne("SELECT silence_windows FROM status_incidents WHERE id = ?", {m.id});
      if (!row.ok()) return row.status();
      json ids = *row ? json::parse((*row)->Str(0), nullptr, false) : json::array();
      if (ids.is_array())
        for (const auto& id : ids) {
          Status s = suppression_.DeleteWindow(
              tx, id.get<int64_t>(), events::Actor{"system", std::nullopt, "status page"});
          if (!s.ok() && s.code() != Code::kNotFound && s.code() != Code::kConflict) return s;
        }
    }
  }
  std::string from = m.status;
  m.status = to;
  KLAXON_RETURN_IF_ERROR(AppendUpdate(tx, m, to, body, affected));
  KLAXON_RETURN_IF_ERROR(SaveIncident(tx, m));
  KLAXON_RETURN_IF_ERROR(Emit(tx, "status.maintenance_updated",
                              events::Actor{"system", std::nullopt, "status page"},
                              {{"status_incident", m.public_id}, {"from", from}, {"to", to}}));
  return Updated(tx, m);
}

Status StatusService::OnMaintenanceTimer(store::Tx& tx, int64_t id) {
  auto m = LoadIncident(tx, id);
  if (!m.ok()) return m.status().code() == Code::kNotFound ? Status::Ok() : m.status();
  if (!m->maintenance()) return Status::Ok();
  TimeMs now = clock_.Now();
  std::string to = MaintenanceStatusAt(*m, now);
  if (to != m->status) {
    if (m->status == "scheduled" && to == "completed") {
      // Both edges passed while the server was down: show that it ran.
      KLAXON_RETURN_IF_ERROR(MoveMaintenance(tx, *m, "in_progress", "Maintenance is in progress."));
    }
    KLAXON_RETURN_IF_ERROR(MoveMaintenance(
        tx, *m, to,
        to == "completed" ? "The scheduled maintenance has been completed."
                          : "Scheduled maintenance is currently in progress. We will provide "
                            "updates as necessary."));
    Changed(tx);
  }
  return ArmMaintenance(tx, *m);
}

Result<Incident> StatusService::AddUpdate(store::Tx& tx, const std::string& key, const json& body,
                                          const events::Actor& actor) {
  KLAXON_ASSIGN_OR_RETURN(Incident inc, GetIncident(tx, key));
  std::vector<FieldError> errs =
      UnknownFields(body, {"status", "body", "components", "impact", "name", "postmortem"});
  std::string status = inc.status;
  if (body.contains("status")) {
    status = body["status"].is_string() ? body["status"].get<std::string>() : "";
    bool ok = inc.maintenance() ? IsMaintenanceStatus(status) : IsIncidentStatus(status);
    if (!ok)
      errs.push_back({"/status", inc.maintenance()
                                     ? "must be scheduled, in_progress, verifying or completed"
                                     : "must be investigating, identified, monitoring, resolved "
                                       "or postmortem"});
  }
  auto message = Text(body, "body", kMaxBody, true);
  if (!message.ok())
    for (const auto& e : message.status().fields()) errs.push_back(e);
  if (body.contains("name")) {
    auto n = Text(body, "name", kMaxName, true);
    if (!n.ok())
      for (const auto& e : n.status().fields()) errs.push_back(e);
    else
      inc.name = *n;
    // A drill's public incident says so, whatever it is renamed to.
    if (n.ok() && inc.internal_incident_id) {
      auto d = tx.QueryOne("SELECT drill FROM incidents WHERE id = ?", {*inc.internal_incident_id});
      if (!d.ok()) return d.status();
      if (*d && (*d)->Int(0) != 0) inc.name = incidents::DrillTitle(inc.name);
    }
  }
  if (body.contains("impact")) {
    std::string impact = body["impact"].is_string() ? body["impact"].get<std::string>() : "";
    if (inc.maintenance() || !IsImpact(impact))
      errs.push_back({"/impact", inc.maintenance() ? "a maintenance's impact is maintenance"
                                                   : "must be none, minor, major or critical"});
    else
      inc.impact = impact;
  }
  if (body.contains("postmortem")) {
    auto p = Text(body, "postmortem", 100000, false);
    if (!p.ok())
      for (const auto& e : p.status().fields()) errs.push_back(e);
    else
      inc.postmortem = *p;
  }
  std::vector<std::pair<Component, ComponentStatus>> changes;
  if (body.contains("components")) {
    const json& cs = body["components"];
    if (inc.maintenance() || !cs.is_object() || cs.size() > 200) {
      errs.push_back({"/components", inc.maintenance()
                                         ? "a maintenance's components follow its status"
                                         : "must map components (id or name) to statuses"});
    } else {
      for (const auto& [k, v] : cs.items()) {
        auto c = FindComponent(tx, k);
        auto st = v.is_string() ? ParseComponentStatus(v.get<std::string>()) : std::nullopt;
        if (!c.ok()) {
          if (c.status().code() != Code::kNotFound) return c.status();
          errs.push_back({"/components/" + k, "unknown component"});
        } else if (c->is_group) {
          errs.push_back({"/components/" + k, "is a group; name its components"});
        } else if (!st) {
          errs.push_back({"/components/" + k, "unknown component status"});
        } else {
          changes.emplace_back(*c, *st);
        }
      }
    }
  }
  if (!errs.empty()) return Invalid("invalid status page update", std::move(errs));
  TimeMs now = clock_.Now();
  std::string from = inc.status;
  if (inc.maintenance() && status != inc.status) {
    KLAXON_RETURN_IF_ERROR(MoveMaintenance(tx, inc, status, *message));
    if (status == "completed") KLAXON_RETURN_IF_ERROR(timers_.Clear(tx, kMaintenanceTimer, inc.id));
  } else {
    std::vector<AffectedComponent> affected;
    for (auto& [c, st] : changes) {
      KLAXON_RETURN_IF_ERROR(SetComponentStatus(tx, c, st, &affected));
      if (std::find(inc.component_ids.begin(), inc.component_ids.end(), c.id) ==
          inc.component_ids.end())
        inc.component_ids.push_back(c.id);
    }
    inc.status = status;
    if (status == "monitoring" && !inc.monitoring_at) inc.monitoring_at = now;
    if ((status == "resolved" || status == "postmortem") && !inc.resolved_at) inc.resolved_at = now;
    if (status != "resolved" && status != "postmortem" && !inc.maintenance())
      inc.resolved_at.reset();
    KLAXON_RETURN_IF_ERROR(AppendUpdate(tx, inc, status, *message, affected));
    KLAXON_RETURN_IF_ERROR(SaveIncident(tx, inc));
    KLAXON_RETURN_IF_ERROR(Updated(tx, inc));
  }
  KLAXON_RETURN_IF_ERROR(
      log_.Append(
              tx,
              events::Event::Of(
                  inc.maintenance() ? "status.maintenance_updated" : "status.incident_updated",
                  actor, {{"status_incident", inc.public_id}, {"from", from}, {"to", inc.status}},
                  inc.internal_incident_id))
          .status());
  Changed(tx);
  return inc;
}

// ---------------------------------------------------------------------------- snapshot

Result<Snapshot> StatusService::Load(store::Tx& tx) {
  Snapshot s;
  s.now = clock_.Now();
  KLAXON_ASSIGN_OR_RETURN(s.page, GetPage(tx));
  KLAXON_ASSIGN_OR_RETURN(s.components, ListComponents(tx));
  KLAXON_ASSIGN_OR_RETURN(s.incidents, ListIncidents(tx, "incident", 200));
  KLAXON_ASSIGN_OR_RETURN(s.maintenances, ListIncidents(tx, "maintenance", 200));
  // Unresolved ones older than the newest 200 still show (and count).
  {
    std::set<int64_t> have;
    for (const auto* list : {&s.incidents, &s.maintenances})
      for (const auto& i : *list) have.insert(i.id);
    auto open = tx.Query(
        "SELECT id FROM status_incidents WHERE (kind = 'incident' AND status NOT IN "
        "('resolved', 'postmortem')) OR (kind = 'maintenance' AND status != 'completed')");
    if (!open.ok()) return open.status();
    for (const auto& r : *open) {
      if (have.count(r.Int(0))) continue;
      KLAXON_ASSIGN_OR_RETURN(Incident i, LoadIncident(tx, r.Int(0)));
      (i.maintenance() ? s.maintenances : s.incidents).push_back(std::move(i));
    }
  }
  auto history =
      tx.Query("SELECT component_id, status, at FROM status_history WHERE at >= ? ORDER BY at, id",
               {s.now - kHistoryDays * 86'400'000LL});
  if (!history.ok()) return history.status();
  // The status each component had when the window began.
  auto before = tx.Query(
      "SELECT h.component_id, h.status, h.at FROM status_history h JOIN (SELECT component_id, "
      "MAX(id) AS id FROM status_history WHERE at < ? GROUP BY component_id) last ON last.id = "
      "h.id",
      {s.now - kHistoryDays * 86'400'000LL});
  if (!before.ok()) return before.status();
  for (const auto& r : *before)
    s.history.push_back({r.Int(0),
                         ParseComponentStatus(r.Str(1)).value_or(ComponentStatus::kOperational),
                         r.Int(2)});
  for (const auto& r : *history)
    s.history.push_back({r.Int(0),
                         ParseComponentStatus(r.Str(1)).value_or(ComponentStatus::kOperational),
                         r.Int(2)});
  s.updated_at = 0;
  for (const auto& c : s.components) s.updated_at = std::max(s.updated_at, c.updated_at);
  for (const auto& i : s.incidents) s.updated_at = std::max(s.updated_at, i.updated_at);
  for (const auto& m : s.maintenances) s.updated_at = std::max(s.updated_at, m.updated_at);
  if (s.updated_at == 0) s.updated_at = s.now;
  return s;
}

}  // namespace klaxon::status
