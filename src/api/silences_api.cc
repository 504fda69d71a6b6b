// Handlers for silences, maintenance windows and the alert list.

#include "api/api.h"
#include "core/numbers.h"
#include "core/time_format.h"

namespace klaxon::api {

using nlohmann::json;

namespace {}  // namespace

void Api::ListSilences(Call& c) {
  ReadJson(c, [this](store::Tx& tx) -> Result<json> {
    auto list = d_.suppression.ListSilences(tx);
    if (!list.ok()) return list.status();
    json items = json::array();
    TimeMs now = d_.clock.Now();
    for (const auto& s : *list) items.push_back(s.ToJson(now));
    return json{{"items", items}, {"next_cursor", nullptr}};
  });
}

void Api::CreateSilence(Call& c) {
  auto body = Body(c);
  if (!body) return;
  alerts::Silence s;
  const json& ms = (*body)["matchers"];
  for (size_t i = 0; i < ms.size(); ++i) {
    auto m = alerts::ParseMatcher(ms[i], "/matchers/" + std::to_string(i));
    if (!m.ok()) return Fail(c, m.status());
    s.matchers.push_back(std::move(m).value());
  }
  TimeMs now = d_.clock.Now();
  s.starts_at = now;
  if (body->contains("starts_at")) {
    auto t = ParseTime((*body)["starts_at"].get<std::string>());
    if (!t) return Fail(c, InvalidField("/starts_at", "is not an RFC 3339 time"));
    s.starts_at = *t;
  }
  if (body->contains("ends_at")) {
    auto t = ParseTime((*body)["ends_at"].get<std::string>());
    if (!t) return Fail(c, InvalidField("/ends_at", "is not an RFC 3339 time"));
    s.ends_at = *t;
  } else if (body->contains("duration_minutes")) {
    s.ends_at = s.starts_at + (*body)["duration_minutes"].get<int64_t>() * 60000;
  } else {
    return Fail(c, InvalidField("/ends_at", "give ends_at or duration_minutes"));
  }
  if (s.ends_at <= now) return Fail(c, InvalidField("/ends_at", "must be in the future"));
  s.comment = body->value("comment", "");
  auto actor = c.principal.actor();
  WriteJson(c, 201, [this, s, actor, now](store::Tx& tx) -> Result<json> {
    auto created = d_.suppression.CreateSilence(tx, s, actor);
    if (!created.ok()) return created.status();
    return created->ToJson(now);
  });
}

void Api::ExpireSilence(Call& c) {
  auto id = ParseInt64(c.req.params["id"], 1);
  if (!id) return Fail(c, NotFound("no silence '" + c.req.params["id"] + "'"));
  auto actor = c.principal.actor();
  WriteJson(c, 204, [this, id = *id, actor](store::Tx& tx) -> Result<json> {
    KLAXON_RETURN_IF_ERROR(d_.suppression.ExpireSilence(tx, id, actor));
    return json();
  });
}

void Api::ListMaintenance(Call& c) {
  ReadJson(c, [this](store::Tx& tx) -> Result<json> {
    auto list = d_.suppression.ListWindows(tx);
    if (!list.ok()) return list.status();
    json items = json::array();
    TimeMs now = d_.clock.Now();
    for (const auto& w : *list) items.push_back(w.ToJson(now));
    return json{{"items", items}, {"next_cursor", nullptr}};
  });
}

void Api::CreateMaintenance(Call& c) {
  auto body = Body(c);
  if (!body) return;
  json spec = *body;
  json service = spec["service"];
  spec.erase("service");
  auto w = alerts::ParseMaintenanceWindow(spec);
  if (!w.ok()) return Fail(c, w.status());
  std::string svc =
      service.is_string()
          ? service.get<std::string>()
          : (service.is_number_integer() ? std::to_string(service.get<int64_t>()) : "");
  if (svc.empty())
    return Fail(c, InvalidField("/service", "must be a service id (integer) or name (string)"));
  auto actor = c.principal.actor();
  WriteJson(c, 201,
            [this, w = std::move(w).value(), svc, actor](store::Tx& tx) mutable -> Result<json> {
              auto s = d_.incidents.FindService(tx, svc);
              if (!s.ok())
                return s.status().code() == Code::kNotFound
                           ? InvalidField("/service", "unknown service '" + svc + "'")
                           : s.status();
              w.service_id = s->id;
              auto created = d_.suppression.CreateWindow(tx, w, actor);
              if (!created.ok()) return created.status();
              return created->ToJson(d_.clock.Now());
            });
}

void Api::CancelMaintenance(Call& c) {
  auto id = ParseInt64(c.req.params["id"], 1);
  if (!id) return Fail(c, NotFound("no maintenance window '" + c.req.params["id"] + "'"));
  auto actor = c.principal.actor();
  WriteJson(c, 204, [this, id = *id, actor](store::Tx& tx) -> Result<json> {
    KLAXON_RETURN_IF_ERROR(d_.suppression.DeleteWindow(tx, id, actor));
    return json();
  });
}

void Api::ListAlerts(Call& c) {
  std::string status = c.req.query.count("status") ? c.req.query["status"] : "";
  if (!status.empty() && status != "firing" && status != "resolved" && status != "silenced")
    return Fail(c, Status(Code::kBadRequest, "unknown status",
                          {{"status", "must be firing, resolved or silenced"}}));
  ReadJson(c, [this, status](store::Tx& tx) -> Result<json> {
    std::string sql =
        "SELECT a.id, a.fingerprint, a.status, a.silenced, a.labels, a.annotations, a.incident_id, "
        "a.last_seen, "
        "a.count, i.name FROM alerts a JOIN integrations i ON i.id = a.integration_id";
    if (status == "silenced")
      sql += " WHERE a.silenced = 1 AND a.status = 'firing'";
    else if (!status.empty())
      sql += " WHERE a.status = ?";
    sql += " ORDER BY a.id DESC LIMIT 500";
    auto rows = status.empty() || status == "silenced" ? tx.Query(sql) : tx.Query(sql, {status});
    if (!rows.ok()) return rows.status();
    json items = json::array();
    for (const auto& r : *rows)
      items.push_back({{"id", r.Int(0)},
                       {"fingerprint", r.Str(1)},
                       {"status", r.Str(2)},
                       {"silenced", r.Int(3) != 0},
                       {"labels", json::parse(r.Str(4), nullptr, false)},
                       {"annotations", json::parse(r.Str(5), nullptr, false)},
                       {"incident_id", r.IsNull(6) ? json() : json(r.Int(6))},
                       {"last_seen", FormatTime(r.Int(7))},
                       {"count", r.Int(8)},
                       {"integration", r.Str(9)}});
    return json{{"items", items}, {"next_cursor", nullptr}};
  });
}

}  // namespace klaxon::api
