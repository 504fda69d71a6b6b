// Handlers for action items, event webhooks and noise marks (followup/*.h).
#include "api/api.h"
#include "core/numbers.h"
#include "core/time_format.h"

namespace klaxon::api {

using nlohmann::json;

namespace {

// An RFC 3339 time, or a date "YYYY-MM-DD" meaning the end of that day (UTC).
std::optional<TimeMs> ParseDue(const std::string& s) {
  if (s.size() == 10 && s[4] == '-' && s[7] == '-') {
    auto t = ParseTime(s + "T00:00:00Z");
    if (t) return *t + 86'400'000 - 1;
    return std::nullopt;
  }
  return ParseTime(s);
}

std::optional<int64_t> ItemId(const std::string& s) {
  std::string_view v = s;
  if (v.starts_with("AI-") || v.starts_with("ai-")) v.remove_prefix(3);
  return ParseInt64(v, 1);
}

}  // namespace

void Api::CreateActionItem(Call& c) {
  auto id = IncidentId(c);
  auto body = id ? Body(c) : std::nullopt;
  if (!body) return;
  followup::NewActionItem item;
  item.title = body->value("title", "");
  item.description = body->value("description", "");
  item.owner = body->value("owner", "");
  if (item.owner == "me") item.owner = c.principal.user.username;
  item.priority = body->value("priority", "medium");
  item.tracker_url = body->value("tracker_url", "");
  item.source = body->value("source", "incident");
  std::string due = body->value("due_at", "");
  if (!due.empty()) {
    item.due_at = ParseDue(due);
    if (!item.due_at)
      return Fail(c, InvalidField("/due_at", "must be an RFC 3339 time or a date YYYY-MM-DD"));
  }
  auto actor = c.principal.actor();
  WriteJson(c, 201, [this, id = *id, item, actor](store::Tx& tx) {
    return d_.action_items.Create(tx, id, item, actor);
  });
}

void Api::ListIncidentActionItems(Call& c) {
  auto id = IncidentId(c);
  if (!id) return;
  ReadJson(c, [this, id = *id](store::Tx& tx) -> Result<json> {
    KLAXON_RETURN_IF_ERROR(d_.incidents.Get(tx, id).status());
    followup::ActionItemFilter f;
    f.incident_id = id;
    f.status = "all";
    return d_.action_items.List(tx, f);
  });
}

void Api::ListActionItems(Call& c) {
  auto q = c.req.query;
  followup::ActionItemFilter f;
  if (q.count("status")) f.status = q["status"];
  f.overdue = q.count("overdue") && q["overdue"] == "true";
  if (q.count("service")) f.service = q["service"];
  if (q.count("limit")) {
    auto n = ParseInt64(q["limit"], 1);
    if (!n || *n > 500) return Fail(c, InvalidField("limit", "must be 1-500"));
    f.limit = static_cast<int>(*n);
  }
  std::string owner = q.count("owner") ? q["owner"] : "";
  if (owner == "me") owner = c.principal.user.username;
  ReadJson(c, [this, f, owner](store::Tx& tx) mutable -> Result<json> {
    if (!owner.empty()) {
      // Deactivated owners too: their items still need a new owner.
      KLAXON_ASSIGN_OR_RETURN(std::optional<auth::User> u, d_.auth.FindUser(tx, owner));
      if (!u) return InvalidField("owner", "unknown user '" + owner + "'");
      f.owner_id = u->id;
    }
    return d_.action_items.List(tx, f);
  });
}

void Api::GetActionItem(Call& c) {
  auto id = ItemId(c.req.params["id"]);
  if (!id) return Fail(c, NotFound("no action item '" + c.req.params["id"] + "'"));
  ReadJson(c, [this, id = *id](store::Tx& tx) { return d_.action_items.Get(tx, id); });
}

void Api::UpdateActionItem(Call& c) {
  auto id = ItemId(c.req.params["id"]);
  if (!id) return Fail(c, NotFound("no action item '" + c.req.params["id"] + "'"));
  auto body = Body(c);
  if (!body) return;
  followup::ActionItemPatch p;
  p.version = (*body)["version"].get<int64_t>();
  auto str = [&](const char* k, std::optional<std::string>& out) {
    if (body->contains(k)) out = (*body)[k].get<std::string>();
  };
  str("title", p.title);
  str("description", p.description);
  str("owner", p.owner);
  if (p.owner == "me") p.owner = c.principal.user.username;
  str("priority", p.priority);
  str("status", p.status);
  str("tracker_url", p.tracker_url);
  if (body->contains("due_at")) {
    std::string due = (*body)["due_at"].get<std::string>();
    if (due.empty()) {
      p.due_at = std::optional<TimeMs>();
    } else {
      auto t = ParseDue(due);
      if (!t)
        return Fail(c,
                    InvalidField("/due_at",
                                 "must be an RFC 3339 time, a date YYYY-MM-DD, or \"\" to clear"));
      p.due_at = t;
    }
  }
  auto actor = c.principal.actor();
  WriteJson(c, 200, [this, id = *id, p, actor](store::Tx& tx) {
    return d_.action_items.Update(tx, id, p, actor);
  });
}

void Api::ListWebhooks(Call& c) {
  ReadJson(c, [this](store::Tx& tx) { return d_.webhooks.List(tx); });
}

void Api::CreateWebhook(Call& c) {
  auto body = Body(c);
  if (!body) return;
  std::string name = body->value("name", "");
  std::string url = body->value("url", "");
  auto patterns = (*body)["events"].get<std::vector<std::string>>();
  auto actor = c.principal.actor();
  WriteJson(c, 201, [this, name, url, patterns, actor](store::Tx& tx) {
    return d_.webhooks.Create(tx, name, url, patterns, actor);
  });
}

void Api::DeleteWebhook(Call& c) {
  auto id = ParseInt64(c.req.params["id"], 1);
  if (!id) return Fail(c, NotFound("no webhook '" + c.req.params["id"] + "'"));
  auto actor = c.principal.actor();
  WriteJson(c, 204, [this, id = *id, actor](store::Tx& tx) -> Result<json> {
    KLAXON_RETURN_IF_ERROR(d_.webhooks.Delete(tx, id, actor));
    return json();
  });
}

void Api::MarkNoise(Call& c) {
  auto id = IncidentId(c);
  auto body = id ? Body(c) : std::nullopt;
  if (!body) return;
  bool noise = body->value("noise", true);
  std::string reason = body->value("reason", "");
  std::optional<int64_t> alert;
  if (body->contains("alert_id")) alert = (*body)["alert_id"].get<int64_t>();
  auto actor = c.principal.actor();
  WriteJson(c, 200, [this, id = *id, noise, reason, alert, actor](store::Tx& tx) -> Result<json> {
    KLAXON_ASSIGN_OR_RETURN(incidents::Incident inc,
                            d_.incidents.MarkNoise(tx, id, noise, reason, alert, actor));
    return inc.ToJson();
  });
}

}  // namespace klaxon::api
