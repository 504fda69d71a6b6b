#include "followup/action_items.h"

#include <algorithm>

#include "core/time_format.h"

namespace klaxon::followup {

using nlohmann::json;

namespace {

constexpr TimeMs kDay = 86'400'000;
constexpr size_t kMaxTitle = 300;
constexpr size_t kMaxDescription = 10'000;
constexpr size_t kMaxUrl = 2'000;

events::Actor EngineActor() { return {"system", std::nullopt, "engine"}; }

bool OneOf(const std::string& s, std::initializer_list<const char*> set) {
  return std::any_of(set.begin(), set.end(), [&](const char* x) { return s == x; });
}
bool KnownStatus(const std::string& s) {
  return OneOf(s, {"open", "in_progress", "done", "wont_do"});
}
bool KnownPriority(const std::string& s) { return OneOf(s, {"urgent", "high", "medium", "low"}); }
bool Closed(const std::string& status) { return status == "done" || status == "wont_do"; }

Status CheckTitle(const std::string& t) {
  if (t.find_first_not_of(" \t\r\n") == std::string::npos || t.size() > kMaxTitle)
    return InvalidField("/title", "must be 1-300 characters, not only spaces");
  return Status::Ok();
}
Status CheckUrl(const std::string& u) {
  if (u.empty()) return Status::Ok();
  if (u.size() > kMaxUrl) return InvalidField("/tracker_url", "must be at most 2000 characters");
  if (!u.starts_with("https://") && !u.starts_with("http://"))
    return InvalidField("/tracker_url", "must be an http:// or https:// URL");
  if (u.find_first_of(" \t\r\n\"<>") != std::string::npos)
    return InvalidField("/tracker_url", "must not contain spaces, quotes or angle brackets");
  return Status::Ok();
}

json OptTime(const std::optional<TimeMs>& t) { return t ? json(FormatTime(*t)) : json(); }

}  // namespace

std::optional<TimeMs> NextActionReminder(TimeMs created_at, std::optional<TimeMs> due,
                                         int64_t reminded) {
  if (!due) return std::nullopt;
  if (reminded <= 0) {
    TimeMs lead = std::min<TimeMs>(kDay, std::max<TimeMs>(0, *due - created_at) / 2);
    return *due - lead;
  }
  return *due + kDay + 7 * kDay * (reminded - 1);
}

struct ActionItems::Row {
  int64_t id = 0;
  int64_t incident_id = 0;
  std::string source, title, description;
  std::optional<int64_t> owner_id;
  std::string priority;
  std::optional<TimeMs> due_at;
  std::string status;
  std::string tracker_url;
  std::string created_by;
  TimeMs created_at = 0, updated_at = 0;
  std::optional<TimeMs> closed_at;
  int64_t version = 1;
  int64_t reminded = 0;
  std::optional<TimeMs> last_reminded_at;
};

ActionItems::ActionItems(const Clock& clock, events::EventLog& log, engine::Timers& timers,
                         response::Response& response, paging::People& people,
                         incidents::IncidentService& incidents)
    : clock_(clock),
      log_(log),
      timers_(timers),
      response_(response),
      people_(people),
      incidents_(incidents) {}

void ActionItems::Install() {
  timers_.On(kTimer, [this](store::Tx& tx, int64_t id, TimeMs) { return OnTimer(tx, id); });
}

// ---------------------------------------------------------------------------------------
// Storage

namespace {
constexpr const char* kColumns =
    "id, incident_id, source, title, description, owner_id, priority, due_at, status, "
    "tracker_url, created_by, created_at, updated_at, closed_at, version, reminders_sent, "
    "last_reminded_at";
}  // namespace

Result<std::optional<ActionItems::Row>> ActionItems::Load(store::Tx& tx, int64_t id) {
  auto row =
      tx.QueryOne(std::string("SELECT ") + kColumns + " FROM action_items WHERE id = ?", {id});
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<Row>();
  const auto& x = **row;
  Row r;
  r.id = x.Int(0);
  r.incident_id = x.Int(1);
  r.source = x.Str(2);
  r.title = x.Str(3);
  r.description = x.Str(4);
  r.owner_id = x.OptInt(5);
  r.priority = x.Str(6);
  r.due_at = x.OptInt(7);
  r.status = x.Str(8);
  r.tracker_url = x.Str(9);
  r.created_by = x.Str(10);
  r.created_at = x.Int(11);
  r.updated_at = x.Int(12);
  r.closed_at = x.OptInt(13);
  r.version = x.Int(14);
  r.reminded = x.Int(15);
  r.last_reminded_at = x.OptInt(16);
  return std::optional<Row>(r);
}

Status ActionItems::Save(store::Tx& tx, const Row& r) {
  return tx.Exec(
      "UPDATE action_items SET title = ?, description = ?, owner_id = ?, priority = ?, "
      "due_at = ?, status = ?, tracker_url = ?, updated_at = ?, closed_at = ?, version = ?, "
      "reminders_sent = ?, last_reminded_at = ? WHERE id = ?",
      {r.title, r.description, store::Opt(r.owner_id), r.priority, store::Opt(r.due_at), r.status,
       r.tracker_url, r.updated_at, store::Opt(r.closed_at), r.version, r.reminded,
       store::Opt(r.last_reminded_at), r.id});
}

Result<json> ActionItems::ToJson(store::Tx& tx, const Row& r) {
  KLAXON_ASSIGN_OR_RETURN(incidents::Incident inc, incidents_.Get(tx, r.incident_id));
  json owner;
  if (r.owner_id) {
    auto u = people_.GetUser(tx, *r.owner_id);
    if (u.ok()) owner = {{"username", u->username}, {"name", u->name}};
  }
  bool overdue = !Closed(r.status) && r.due_at && *r.due_at < clock_.Now();
  return json{{"id", r.id},
              {"ref", "AI-" + std::to_string(r.id)},
              {"incident_id", r.incident_id},
              {"incident_ref", inc.ref()},
              {"incident_title", inc.DisplayTitle()},
              {"service", inc.service ? json(inc.service->name) : json()},
              {"source", r.source},
              {"title", r.title},
              {"description", r.description},
              {"owner", owner},
              {"priority", r.priority},
              {"due_at", OptTime(r.due_at)},
              {"status", r.status},
              {"overdue", overdue},
              {"tracker_url", r.tracker_url},
              {"created_by", r.created_by},
              {"created_at", FormatTime(r.created_at)},
              {"updated_at", FormatTime(r.updated_at)},
              {"closed_at", OptTime(r.closed_at)},
              {"version", r.version}};
}

Result<std::optional<int64_t>> ActionItems::OwnerId(store::Tx& tx, const std::string& username) {
  if (username.empty()) return std::optional<int64_t>();
  auto u = people_.FindUser(tx, username);
  if (!u.ok()) {
    if (u.status().code() == Code::kNotFound)
      return InvalidField("/owner", "unknown user '" + username + "'");
    return u.status();
  }
  return std::optional<int64_t>(u->id);
}

// ---------------------------------------------------------------------------------------
// Create, read, update

Result<json> ActionItems::Create(store::Tx& tx, int64_t incident_id, const NewActionItem& item,
                                 const events::Actor& actor) {
  KLAXON_ASSIGN_OR_RETURN(incidents::Incident inc, incidents_.Get(tx, incident_id));
  KLAXON_RETURN_IF_ERROR(CheckTitle(item.title));
  if (item.description.size() > kMaxDescription)
    return InvalidField("/description", "must be at most 10000 characters");
  if (!KnownPriority(item.priority))
    return InvalidField("/priority", "must be urgent, high, medium or low");
  if (item.source != "incident" && item.source != "review")
    return InvalidField("/source", "must be incident or review");
  KLAXON_RETURN_IF_ERROR(CheckUrl(item.tracker_url));
  KLAXON_ASSIGN_OR_RETURN(std::optional<int64_t> owner, OwnerId(tx, item.owner));
  TimeMs now = clock_.Now();
  Row r;
  r.incident_id = inc.id;
  r.source = item.source;
  r.title = item.title;
  r.description = item.description;
  r.owner_id = owner;
  r.priority = item.priority;
  r.due_at = item.due_at;
  r.status = "open";
  r.tracker_url = item.tracker_url;
  r.created_by = actor.name;
  r.created_at = r.updated_at = now;
  // Reminders whose time has passed already are not sent late.
  while (auto at = NextActionReminder(r.created_at, r.due_at, r.reminded)) {
    if (*at > now) break;
    ++r.reminded;
  }
  auto row = tx.QueryOne(
      "INSERT INTO action_items(incident_id, source, title, description, owner_id, priority, "
      "due_at, status, tracker_url, created_by, created_at, updated_at, version, "
      "reminders_sent) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,1,?) RETURNING id",
      {r.incident_id, r.source, r.title, r.description, store::Opt(r.owner_id), r.priority,
       store::Opt(r.due_at), r.status, r.tracker_url, r.created_by, r.created_at, r.updated_at,
       r.reminded});
  if (!row.ok()) return row.status();
  r.id = (*row)->Int(0);
  KLAXON_ASSIGN_OR_RETURN(json out, ToJson(tx, r));
  events::Event e = events::Event::Of("action_item.created", actor, {{"action_item", out}});
  e.incident_id = inc.id;
  KLAXON_RETURN_IF_ERROR(log_.Append(tx, std::move(e)).status());
  KLAXON_RETURN_IF_ERROR(Arm(tx, r));
  return out;
}

Result<json> ActionItems::Get(store::Tx& tx, int64_t id) {
  KLAXON_ASSIGN_OR_RETURN(auto r, Load(tx, id));
  if (!r) return NotFound("no action item " + std::to_string(id));
  return ToJson(tx, *r);
}

Result<json> ActionItems::List(store::Tx& tx, const ActionItemFilter& f) {
  std::string sql =
      "SELECT a.id FROM action_items a JOIN incidents i ON i.id = a.incident_id "
      "LEFT JOIN services s ON s.id = i.service_id WHERE 1 = 1";
  std::vector<store::Value> args;
  TimeMs now = clock_.Now();
  if (f.status == "active") {
    sql += " AND a.status IN ('open', 'in_progress')";
  } else if (f.status != "all") {
    if (!KnownStatus(f.status))
      return InvalidField("/status", "must be active, all, open, in_progress, done or wont_do");
    sql += " AND a.status = ?";
    args.push_back(f.status);
  }
  if (f.overdue) {
    sql += " AND a.status IN ('open', 'in_progress') AND a.due_at < ?";
    args.push_back(now);
  }
  if (f.owner_id) {
    sql += " AND a.owner_id = ?";
    args.push_back(*f.owner_id);
  }
  if (f.incident_id) {
    sql += " AND a.incident_id = ?";
    args.push_back(*f.incident_id);
  }
  if (!f.service.empty()) {
    sql += " AND s.name = ?";
    args.push_back(f.service);
  }
  // Overdue first, then by due time (none last), then oldest first.
  sql +=
      " ORDER BY (a.status IN ('open', 'in_progress') AND a.due_at < ?) DESC, a.due_at IS NULL, "
      "a.due_at, a.id";
  args.push_back(now);
  auto rows = tx.Query(sql, args);
  if (!rows.ok()) return rows.status();
  json items = json::array();
  int total = static_cast<int>(rows->size());
  for (const auto& row : *rows) {
    if (static_cast<int>(items.size()) >= f.limit) break;
    KLAXON_ASSIGN_OR_RETURN(json item, Get(tx, row.Int(0)));
    items.push_back(std::move(item));
  }
  return json{{"items", items}, {"total", total}};
}

Result<json> ActionItems::Update(store::Tx& tx, int64_t id, const ActionItemPatch& p,
                                 const events::Actor& actor) {
  KLAXON_ASSIGN_OR_RETURN(auto loaded, Load(tx, id));
  if (!loaded) return NotFound("no action item " + std::to_string(id));
  Row r = *loaded;
  if (p.version != r.version)
    return Conflict("action item AI-" + std::to_string(id) + " changed since version " +
                    std::to_string(p.version) + " (now " + std::to_string(r.version) +
                    "); reload and edit again");
  KLAXON_ASSIGN_OR_RETURN(json before, ToJson(tx, r));
  if (p.title) {
    KLAXON_RETURN_IF_ERROR(CheckTitle(*p.title));
    r.title = *p.title;
  }
  if (p.description) {
    if (p.description->size() > kMaxDescription)
      return InvalidField("/description", "must be at most 10000 characters");
    r.description = *p.description;
  }
  if (p.priority) {
    if (!KnownPriority(*p.priority))
      return InvalidField("/priority", "must be urgent, high, medium or low");
    r.priority = *p.priority;
  }
  if (p.tracker_url) {
    KLAXON_RETURN_IF_ERROR(CheckUrl(*p.tracker_url));
    r.tracker_url = *p.tracker_url;
  }
  if (p.owner) {
    KLAXON_ASSIGN_OR_RETURN(r.owner_id, OwnerId(tx, *p.owner));
  }
  TimeMs now = clock_.Now();
  if (p.status) {
    if (!KnownStatus(*p.status))
      return InvalidField("/status", "must be open, in_progress, done or wont_do");
    if (Closed(*p.status) && !Closed(r.status)) r.closed_at = now;
    if (!Closed(*p.status)) r.closed_at.reset();
    // Reopened: reminders whose time passed while it was closed are not sent.
    if (Closed(r.status) && !Closed(*p.status))
      while (auto at = NextActionReminder(r.created_at, r.due_at, r.reminded)) {
        if (*at > now) break;
        ++r.reminded;
      }
    r.status = *p.status;
  }
  if (p.due_at && *p.due_at != r.due_at) {
    r.due_at = *p.due_at;
    r.reminded = 0;  // reminders start again from the new due time, none sent late
    while (auto at = NextActionReminder(r.created_at, r.due_at, r.reminded)) {
      if (*at > now) break;
      ++r.reminded;
    }
  }
  KLAXON_ASSIGN_OR_RETURN(json after, ToJson(tx, r));
  json changes = json::object();
  for (const char* field :
       {"title", "description", "owner", "priority", "due_at", "status", "tracker_url"})
    if (before[field] != after[field])
      changes[field] = {{"old", before[field]}, {"new", after[field]}};
  if (changes.empty()) return before;
  r.version++;
  r.updated_at = now;
  KLAXON_RETURN_IF_ERROR(Save(tx, r));
  KLAXON_ASSIGN_OR_RETURN(after, ToJson(tx, r));
  events::Event e = events::Event::Of("action_item.updated", actor,
                                      {{"changes", changes}, {"action_item", after}});
  e.incident_id = r.incident_id;
  KLAXON_RETURN_IF_ERROR(log_.Append(tx, std::move(e)).status());
  KLAXON_RETURN_IF_ERROR(Arm(tx, r));
  return after;
}

// ---------------------------------------------------------------------------------------
// Reminders

Status ActionItems::Arm(store::Tx& tx, const Row& r) {
  auto at =
      Closed(r.status) ? std::nullopt : NextActionReminder(r.created_at, r.due_at, r.reminded);
  if (!at) return timers_.Clear(tx, kTimer, r.id);
  return timers_.Set(tx, kTimer, r.id, *at);
}

Status ActionItems::OnTimer(store::Tx& tx, int64_t id) {
  KLAXON_ASSIGN_OR_RETURN(auto loaded, Load(tx, id));
  if (!loaded) return timers_.Clear(tx, kTimer, id);
  Row r = *loaded;
  if (Closed(r.status) || !r.due_at) return timers_.Clear(tx, kTimer, id);
  TimeMs now = clock_.Now();
  auto at = NextActionReminder(r.created_at, r.due_at, r.reminded);
  if (!at || now < *at) return Arm(tx, r);
  // One reminder for every instant that has passed (the engine was down, say): the latest.
  while (auto next = NextActionReminder(r.created_at, r.due_at, r.reminded + 1)) {
    if (*next > now) break;
    ++r.reminded;
  }
  bool before = r.reminded == 0 && now < *r.due_at;
  r.reminded++;
  r.last_reminded_at = now;
  KLAXON_RETURN_IF_ERROR(
      tx.Exec("UPDATE action_items SET reminders_sent = ?, last_reminded_at = ? WHERE id = ?",
              {r.reminded, now, r.id}));
  std::string owner;
  if (r.owner_id) {
    auto u = people_.GetUser(tx, *r.owner_id);
    if (u.ok()) {
      owner = u->username;
      KLAXON_ASSIGN_OR_RETURN(incidents::Incident inc, incidents_.Get(tx, r.incident_id));
      std::string ref = "AI-" + std::to_string(r.id);
      std::string what = before ? "action item due soon" : "action item overdue";
      std::string detail = ref + " \"" + r.title + "\" (from " + inc.ref() + ") is " +
                           (before ? "due " : "overdue since ") + HumanTime(*r.due_at) + ".";
      KLAXON_RETURN_IF_ERROR(response_.Notify(tx, inc, *u, "action_item",
                                              "action_item:" + std::to_string(r.id) + ":" +
                                                  std::to_string(*r.due_at) + ":" +
                                                  std::to_string(r.reminded),
                                              what, detail));
    }
  }
  events::Event e = events::Event::Of("action_item.reminder_sent", EngineActor(),
                                      {{"action_item_id", r.id},
                                       {"ref", "AI-" + std::to_string(r.id)},
                                       {"title", r.title},
                                       {"when", before ? "before" : "overdue"},
                                       {"owner", owner.empty() ? json() : json(owner)},
                                       {"due_at", FormatTime(*r.due_at)}});
  e.incident_id = r.incident_id;
  KLAXON_RETURN_IF_ERROR(log_.Append(tx, std::move(e)).status());
  return Arm(tx, r);
}

}  // namespace klaxon::followup
