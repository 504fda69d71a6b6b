#include "apply/apply.h"

#include <algorithm>
#include <set>

#include "core/random.h"
#include "core/time_format.h"
#include "notify/channels.h"
#include "oncall/rotation.h"

namespace klaxon::apply {

namespace {

using nlohmann::json;
using playbook::Change;
using playbook::ChangeType;

const char* TypeName(ChangeType t) {
  switch (t) {
    case ChangeType::kCreate:
      return "create";
    case ChangeType::kUpdate:
      return "update";
    case ChangeType::kDelete:
      return "delete";
    case ChangeType::kUnchanged:
      return "unchanged";
  }
  return "unchanged";
}

std::string IdField(const std::string& kind) { return kind == "users" ? "username" : "name"; }

std::string NameOf(const json& e, const std::string& kind) {
  const json& v = e.value(IdField(kind), json());
  return v.is_string() ? v.get<std::string>() : std::string();
}

// name → entity of a stored list.
std::map<std::string, json> ByName(const json& stored, const std::string& kind) {
  std::map<std::string, json> out;
  if (!stored.is_object() || !stored.contains(kind) || !stored[kind].is_array()) return out;
  for (const json& e : stored[kind])
    if (e.is_object()) out[NameOf(e, kind)] = e;
  return out;
}

// Orders `items` (server entities) as the stored list had them; new ones after.
json InStoredOrder(const json& stored, const std::string& kind, std::vector<json> items) {
  std::map<std::string, size_t> pos;
  if (stored.is_object() && stored.contains(kind) && stored[kind].is_array())
    for (size_t i = 0; i < stored[kind].size(); ++i) pos[NameOf(stored[kind][i], kind)] = i;
  std::stable_sort(items.begin(), items.end(), [&](const json& a, const json& b) {
    auto pa = pos.find(NameOf(a, kind)), pb = pos.find(NameOf(b, kind));
    size_t ia = pa == pos.end() ? SIZE_MAX : pa->second;
    size_t ib = pb == pos.end() ? SIZE_MAX : pb->second;
    return ia < ib;
  });
  return json(std::move(items));
}

// Names the entity in an error of a domain service: `service "checkout": ...`, fields
// "services/checkout/escalation_policy".
Status Prefixed(const Status& s, const std::string& what, const std::string& at) {
  if (s.ok()) return s;
  std::vector<FieldError> fields;
  for (const auto& f : s.fields()) fields.push_back({at + f.field, f.message});
  return Status(s.code(), what + ": " + s.message(), std::move(fields));
}

std::string Str(const json& j, const char* key) {
  const json& v = j.value(key, json());
  return v.is_string() ? v.get<std::string>() : std::string();
}

Result<json> LoadSetting(store::Tx& tx, const std::string& key, json fallback) {
  auto row = tx.QueryOne("SELECT value FROM settings WHERE key = ?", {key});
  if (!row.ok()) return row.status();
  if (!*row) return fallback;
  json j = json::parse((*row)->Str(0), nullptr, false);
  if (j.is_discarded() || j.type() != fallback.type()) return fallback;
  return j;
}

Status StoreSetting(store::Tx& tx, const std::string& key, const json& value) {
  return tx.Exec(
      "INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = "
      "excluded.value",
      {key, value.dump()});
}

Result<json> LoadStored(store::Tx& tx) { return LoadSetting(tx, kSettingKey, json::object()); }

// The usernames the files have named (the users prune may deactivate).
Result<std::set<std::string>> LoadNamedUsers(store::Tx& tx) {
  KLAXON_ASSIGN_OR_RETURN(json j, LoadSetting(tx, kNamedUsersKey, json::array()));
  std::set<std::string> out;
  for (const json& u : j)
    if (u.is_string()) out.insert(u.get<std::string>());
  return out;
}

// ---------------------------------------------------------------------------------------
// Export of the mapped kinds

std::string EffectiveLabel(const json& m) {
  std::string label = Str(m, "label");
  return label.empty() ? Str(m, "kind") : label;
}

Result<json> ExportUsers(store::Tx& tx, Deps& d, const json& stored) {
  auto known = ByName(stored, "users");
  KLAXON_ASSIGN_OR_RETURN(auto users, d.auth.ListUsers(tx));
  std::vector<json> out;
  for (const auto& u : users) {
    if (!u.active()) continue;
    KLAXON_ASSIGN_OR_RETURN(paging::Profile p, d.people.GetProfile(tx, u.id));
    json e = known.count(u.username) ? known[u.username] : json::object();
    e["username"] = u.username;
    e["name"] = u.name;
    e["role"] = auth::RoleName(u.role);
    e["time_zone"] = p.time_zone;
    json methods = json::array();
    std::map<int64_t, size_t> index;
    for (const auto& m : p.methods) {
      index[m.id] = methods.size();
      methods.push_back(
          {{"kind", notify::ChannelName(m.kind)}, {"address", m.address}, {"label", m.label}});
    }
    json rules = json::array();
    std::vector<std::pair<size_t, int>> server_rules;
    for (const auto& r : p.rules) {
      size_t i = index.count(r.contact_method_id) ? index[r.contact_method_id] : SIZE_MAX;
      server_rules.push_back({i, r.delay_minutes});
      rules.push_back({{"contact_method", i == SIZE_MAX ? "" : Str(methods[i], "label")},
                       {"delay_minutes", r.delay_minutes}});
    }
    // Keep the written form (empty labels, rules naming an address) while it matches.
    const json sm = e.value("contact_methods", json::array());
    bool same = sm.is_array() && sm.size() == methods.size();
    for (size_t i = 0; same && i < methods.size(); ++i)
      same = Str(sm[i], "kind") == Str(methods[i], "kind") &&
             Str(sm[i], "address") == Str(methods[i], "address") &&
             EffectiveLabel(sm[i]) == EffectiveLabel(methods[i]);
    if (same) {
      methods = sm;
      const json sr = e.value("notification_rules", json::array());
      std::vector<std::pair<size_t, int>> stored_rules;
      for (const json& r : sr) {
        size_t at = SIZE_MAX;
        std::string cm = Str(r, "contact_method");
        for (size_t i = 0; i < sm.size() && at == SIZE_MAX; ++i)
          if (Str(sm[i], "label") == cm || Str(sm[i], "address") == cm) at = i;
        stored_rules.push_back({at, r.value("delay_minutes", 0)});
      }
      if (stored_rules == server_rules) rules = sr;
    }
    e["contact_methods"] = methods;
    e["notification_rules"] = rules;
    out.push_back(std::move(e));
  }
  return InStoredOrder(stored, "users", std::move(out));
}

Result<json> ExportServices(store::Tx& tx, Deps& d, const json& stored) {
  auto known = ByName(stored, "services");
  KLAXON_ASSIGN_OR_RETURN(auto services, d.incidents.ListServices(tx));
  std::vector<json> out;
  for (const auto& s : services) {
    json e = known.count(s.name) ? known[s.name] : json::object();
    e["name"] = s.name;
    e["description"] = s.description;
    e["owner"] = s.owner;
    KLAXON_ASSIGN_OR_RETURN(auto policy, d.catalog.ServicePolicy(tx, s.id));
    e["escalation_policy"] = policy ? json(policy->second) : json();
    out.push_back(std::move(e));
  }
  return InStoredOrder(stored, "services", std::move(out));
}

Result<json> ExportSchedules(store::Tx& tx, Deps& d, const json& stored) {
  auto known = ByName(stored, "schedules");
  KLAXON_ASSIGN_OR_RETURN(auto schedules, d.catalog.ListSchedules(tx));
  std::map<int64_t, std::string> usernames;
  std::vector<json> out;
  for (const auto& s : schedules) {
    json e = known.count(s.schedule.name) ? known[s.schedule.name] : json::object();
    e["name"] = s.schedule.name;
    e["description"] = s.description;
    e["time_zone"] = s.schedule.time_zone;
    json layers = oncall::LayersToJson(s.schedule.layers);
    for (json& l : layers) {
      for (json& u : l["users"]) {
        int64_t id = u.get<int64_t>();
        if (!usernames.count(id)) {
          KLAXON_ASSIGN_OR_RETURN(paging::UserRef ref, d.people.GetUser(tx, id));
          usernames[id] = ref.username;
        }
        u = usernames[id];
      }
    }
    e["layers"] = layers;
    if (!e.contains("overrides")) e["overrides"] = json::array();  // kept in the row only
    out.push_back(std::move(e));
  }
  return InStoredOrder(stored, "schedules", std::move(out));
}

Result<json> ExportPolicies(store::Tx& tx, Deps& d, const json& stored) {
  auto known = ByName(stored, "escalation_policies");
  KLAXON_ASSIGN_OR_RETURN(auto policies, d.catalog.ListPolicies(tx));
  std::vector<json> out;
  for (const auto& p : policies) {
    json e = known.count(p.name) ? known[p.name] : json::object();
    e["name"] = p.name;
    e["description"] = p.description;
    e["repeat"] = p.repeat;
    e["default"] = p.is_default;
    json steps = json::array();
    for (const auto& s : p.steps) {
      json targets = json::array();
      for (const auto& t : s.targets) targets.push_back({{"type", t.type}, {"name", t.name}});
      steps.push_back({{"delay_minutes", s.delay_minutes}, {"targets", targets}});
    }
    e["steps"] = steps;
    out.push_back(std::move(e));
  }
  return InStoredOrder(stored, "escalation_policies", std::move(out));
}

Result<std::map<int64_t, std::string>> ServiceNames(store::Tx& tx, Deps& d) {
  KLAXON_ASSIGN_OR_RETURN(auto services, d.incidents.ListServices(tx));
  std::map<int64_t, std::string> out;
  for (const auto& s : services) out[s.id] = s.name;
  return out;
}

Result<json> ExportIntegrations(store::Tx& tx, Deps& d, const json& stored) {
  auto known = ByName(stored, "integrations");
  KLAXON_ASSIGN_OR_RETURN(auto services, ServiceNames(tx, d));
  KLAXON_ASSIGN_OR_RETURN(auto integrations, d.alerts.ListIntegrations(tx));
  std::vector<json> out;
  for (const auto& in : integrations) {
    if (in.revoked_at) continue;
    json e = known.count(in.name) ? known[in.name] : json::object();
    e["name"] = in.name;
    e["kind"] = in.kind;
    e["service"] =
        in.service_id && services.count(*in.service_id) ? json(services[*in.service_id]) : json();
    json group_by = in.group_by;
    if (in.group_by == alerts::DefaultGroupBy(in.kind)) {
      const json written = e.value("group_by", json::array());
      group_by = written == group_by ? written : json::array();
    }
    e["group_by"] = group_by;
    e["auto_resolve"] = in.auto_resolve;
    e["flap_window_seconds"] = in.flap_window_s;
    for (const char* k : {"heartbeat_interval_seconds", "heartbeat_grace_seconds"})
      e[k] = in.settings.contains(k) ? in.settings[k] : json();
    if (!e.contains("mapping") || e["mapping"].is_null())
      e["mapping"] = in.settings.contains("mapping") ? in.settings["mapping"] : json();
    out.push_back(std::move(e));
  }
  return InStoredOrder(stored, "integrations", std::move(out));
}

Result<json> ExportComponents(store::Tx& tx, Deps& d, const json& stored) {
  auto known = ByName(stored, "status_components");
  KLAXON_ASSIGN_OR_RETURN(auto services, ServiceNames(tx, d));
  KLAXON_ASSIGN_OR_RETURN(auto components, d.status.ListComponents(tx));
  std::map<int64_t, std::string> names;
  for (const auto& c : components) names[c.id] = c.name;
  std::vector<json> out;
  for (const auto& c : components) {
    json e = known.count(c.name) ? known[c.name] : json::object();
    e["name"] = c.name;
    e["description"] = c.description;
    e["group"] = c.group_id && names.count(*c.group_id) ? json(names[*c.group_id]) : json();
    e["is_group"] = c.is_group;
    e["showcase"] = c.showcase;
    e["only_show_if_degraded"] = c.only_show_if_degraded;
    std::vector<std::string> svc;
    for (int64_t id : c.service_ids)
      if (services.count(id)) svc.push_back(services[id]);
    std::vector<std::string> written;
    if (e.contains("services") && e["services"].is_array())
      for (const json& s : e["services"])
        if (s.is_string()) written.push_back(s.get<std::string>());
    std::multiset<std::string> a(svc.begin(), svc.end()), b(written.begin(), written.end());
    e["services"] = a == b ? written : svc;
    out.push_back(std::move(e));
  }
  return InStoredOrder(stored, "status_components", std::move(out));
}

// ---------------------------------------------------------------------------------------
// Apply of the mapped kinds

bool FieldChanged(const Change& c, std::string_view prefix) {
  for (const auto& f : c.fields)
    if (f.path.rfind(prefix, 0) == 0) return true;
  return false;
}

Status SyncContactMethods(store::Tx& tx, Deps& d, int64_t user_id, const json& want,
                          const events::Actor& actor) {
  KLAXON_ASSIGN_OR_RETURN(paging::Profile p, d.people.GetProfile(tx, user_id));
  for (const auto& r : p.rules)
    KLAXON_RETURN_IF_ERROR(d.people.RemoveRule(tx, user_id, r.id, actor));
  // Keep the methods still wanted (their verification and secret stay), add the rest.
  std::vector<int64_t> ids(want["contact_methods"].size(), 0);
  for (const auto& m : p.methods) {
    json have = {{"kind", notify::ChannelName(m.kind)}, {"address", m.address}, {"label", m.label}};
    bool keep = false;
    for (size_t i = 0; i < ids.size() && !keep; ++i) {
      const json& w = want["contact_methods"][i];
      if (ids[i] == 0 && Str(w, "kind") == Str(have, "kind") && Str(w, "address") == m.address &&
          EffectiveLabel(w) == m.label) {
        ids[i] = m.id;
        keep = true;
      }
    }
    if (!keep) KLAXON_RETURN_IF_ERROR(d.people.RemoveContactMethod(tx, user_id, m.id, actor));
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] != 0) continue;
    const json& w = want["contact_methods"][i];
    KLAXON_ASSIGN_OR_RETURN(paging::ContactMethod m,
                            d.people.AddContactMethod(tx, user_id, Str(w, "kind"),
                                                      Str(w, "address"), Str(w, "label"), actor));
    ids[i] = m.id;
  }
  for (const json& r : want["notification_rules"]) {
    std::string cm = Str(r, "contact_method");
    int64_t id = 0;
    for (size_t i = 0; i < ids.size() && id == 0; ++i) {
      const json& w = want["contact_methods"][i];
      if (Str(w, "label") == cm || Str(w, "address") == cm) id = ids[i];
    }
    if (id == 0) return InvalidField("/notification_rules", "no contact method '" + cm + "'");
    KLAXON_RETURN_IF_ERROR(
        d.people.AddRule(tx, user_id, id, r.value("delay_minutes", 0), actor).status());
  }
  return Status::Ok();
}

// Prune deactivates a user (see AuthService::DeactivateUser) once nothing on the server
// still pages them; never the person applying.
Status DeactivateUser(store::Tx& tx, Deps& d, const Change& c, const events::Actor& actor) {
  KLAXON_ASSIGN_OR_RETURN(std::optional<auth::User> u, d.auth.FindUser(tx, c.name));
  if (!u) return Status::Ok();
  if (actor.id && *actor.id == u->id)
    return Conflict("'" + c.name + "' is the account applying; it cannot deactivate itself");
  if (u->role == auth::Role::kAdmin) {
    auto admins = tx.QueryOne(
        "SELECT COUNT(*) FROM users WHERE role = 'admin' AND deactivated_at IS NULL AND id != ?",
        {u->id});
    if (!admins.ok()) return admins.status();
    if ((*admins)->Int(0) == 0)
      return Conflict("'" + c.name + "' is the last active admin; it cannot be deactivated");
  }
  KLAXON_ASSIGN_OR_RETURN(auto refs, d.catalog.UserReferences(tx, u->id));
  if (!refs.empty()) {
    std::string list;
    for (const auto& r : refs) list += (list.empty() ? "" : ", ") + r;
    return Conflict("user '" + c.name + "' is still on " + list +
                    "; take them off there (or name it in the files) before pruning them");
  }
  return d.auth.DeactivateUser(tx, *u, actor);
}

Status ApplyUser(store::Tx& tx, Deps& d, const Change& c, const events::Actor& actor) {
  if (c.type == ChangeType::kDelete) return DeactivateUser(tx, d, c, actor);
  const json& w = c.new_value;
  auto role = auth::ParseRole(Str(w, "role"));
  if (!role) return InvalidField("/role", "must be viewer, responder or admin");
  int64_t id = 0;
  // A deactivated user named again comes back: reactivated, then updated to the files.
  KLAXON_ASSIGN_OR_RETURN(std::optional<auth::User> existing, d.auth.FindUser(tx, c.name));
  bool revived = c.type == ChangeType::kCreate && existing && !existing->active();
  if (revived) KLAXON_RETURN_IF_ERROR(d.auth.ReactivateUser(tx, *existing, actor));
  if (c.type == ChangeType::kCreate && !revived) {
    // No usable password: an admin sets one. ValidateNewUser wants one of 8+ characters.
    auth::NewUser nu{c.name, Str(w, "name"), *role, RandomToken(16)};
    KLAXON_ASSIGN_OR_RETURN(auth::User u, d.auth.CreateUser(tx, nu, "!", actor));
    id = u.id;
  } else {
    if (!existing) return NotFound("no user '" + c.name + "'");
    id = existing->id;
    if (revived ? existing->role != *role : FieldChanged(c, "role")) {
      KLAXON_RETURN_IF_ERROR(tx.Exec("UPDATE users SET role = ? WHERE id = ?",
                                     {std::string(auth::RoleName(*role)), id}));
      KLAXON_RETURN_IF_ERROR(d.log
                                 .Append(tx, events::Event::Of("user.updated", actor,
                                                               {{"user_id", id},
                                                                {"username", c.name},
                                                                {"role", auth::RoleName(*role)}}))
                                 .status());
    }
  }
  bool name = (c.type == ChangeType::kUpdate && FieldChanged(c, "name")) ||
              (revived && existing->name != Str(w, "name"));
  bool tz = FieldChanged(c, "time_zone") || revived ||
            (c.type == ChangeType::kCreate && Str(w, "time_zone") != "UTC");
  if (name || tz)
    KLAXON_RETURN_IF_ERROR(
        d.people
            .UpdateProfile(tx, id, name ? std::optional<std::string>(Str(w, "name")) : std::nullopt,
                           tz ? std::optional<std::string>(Str(w, "time_zone")) : std::nullopt,
                           actor)
            .status());
  if (c.type == ChangeType::kCreate || FieldChanged(c, "contact_methods") ||
      FieldChanged(c, "notification_rules"))
    KLAXON_RETURN_IF_ERROR(SyncContactMethods(tx, d, id, w, actor));
  return Status::Ok();
}

Status ApplyService(store::Tx& tx, Deps& d, const Change& c, const events::Actor& actor) {
  const json& w = c.new_value;
  incidents::Service s;
  if (c.type == ChangeType::kDelete) {
    KLAXON_ASSIGN_OR_RETURN(s, d.incidents.FindService(tx, c.name));
    return d.incidents.ArchiveService(tx, s, actor);
  }
  // An archived service named again comes back, updated to the files.
  auto archived = d.incidents.FindService(tx, c.name);
  if (!archived.ok() && archived.status().code() != Code::kNotFound) return archived.status();
  bool revived = c.type == ChangeType::kCreate && archived.ok() && archived->archived_at;
  if (revived) KLAXON_RETURN_IF_ERROR(d.incidents.RestoreService(tx, *archived, actor));
  if (c.type == ChangeType::kCreate && !revived) {
    incidents::Service spec;
    spec.name = c.name;
    spec.description = Str(w, "description");
    spec.owner = Str(w, "owner");
    KLAXON_ASSIGN_OR_RETURN(s, d.incidents.CreateService(tx, spec, actor));
  } else {
    KLAXON_ASSIGN_OR_RETURN(s, d.incidents.FindService(tx, c.name));
    s.description = Str(w, "description");
    s.owner = Str(w, "owner");
    KLAXON_RETURN_IF_ERROR(tx.Exec("UPDATE services SET description = ?, owner = ? WHERE id = ?",
                                   {s.description, s.owner, s.id}));
  }
  std::optional<int64_t> pid;
  std::string policy = Str(w, "escalation_policy");
  if (!policy.empty()) {
    auto p = d.catalog.FindPolicy(tx, policy);
    if (!p.ok())
      return p.status().code() == Code::kNotFound
                 ? InvalidField("/escalation_policy", "unknown escalation policy '" + policy + "'")
                 : p.status();
    pid = p->id;
  }
  if (c.type == ChangeType::kCreate && !revived && !pid) return Status::Ok();
  KLAXON_RETURN_IF_ERROR(d.catalog.SetServicePolicy(tx, s.id, pid));
  if (c.type == ChangeType::kUpdate)
    KLAXON_RETURN_IF_ERROR(
        d.log
            .Append(tx, events::Event::Of("service.updated", actor,
                                          {{"service", s.id},
                                           {"name", s.name},
                                           {"description", s.description},
                                           {"owner", s.owner},
                                           {"escalation_policy", pid ? json(policy) : json()}}))
            .status());
  return Status::Ok();
}

// The files' overrides become the schedule's: those the files name and the schedule lacks
// are added (unless already over), those the files named before and no longer do are
// removed. Overrides made by hand (API, CLI, console) are left alone.
Status SyncOverrides(store::Tx& tx, Deps& d, int64_t schedule_id, const json& before,
                     const json& after, const events::Actor& actor) {
  auto key = [](const std::string& user, const std::string& start, const std::string& end) {
    return user + "\n" + start + "\n" + end;
  };
  auto keys = [&](const json& entity) {
    std::set<std::string> out;
    if (entity.is_object())
      for (const auto& o : entity.value("overrides", json::array()))
        out.insert(key(Str(o, "user"), Str(o, "start"), Str(o, "end")));
    return out;
  };
  std::set<std::string> want = keys(after), had = keys(before), present;
  TimeMs now = d.catalog.Now();
  KLAXON_ASSIGN_OR_RETURN(auto existing, d.catalog.ListOverrides(tx, schedule_id, now));
  for (const auto& e : existing) {
    KLAXON_ASSIGN_OR_RETURN(paging::UserRef u, d.people.GetUser(tx, e.o.user_id));
    std::string k = key(u.username, FormatTime(e.o.start), FormatTime(e.o.end));
    if (had.count(k) && !want.count(k)) {
      KLAXON_RETURN_IF_ERROR(d.catalog.DeleteOverride(tx, schedule_id, e.o.id, actor));
    } else {
      present.insert(k);
    }
  }
  for (const auto& o : after.value("overrides", json::array())) {
    std::string user = Str(o, "user");
    std::optional<TimeMs> start = ParseTime(Str(o, "start")), end = ParseTime(Str(o, "end"));
    if (!start || !end || *end <= now) continue;  // over: nothing to add
    if (present.count(key(user, Str(o, "start"), Str(o, "end")))) continue;
    KLAXON_ASSIGN_OR_RETURN(paging::UserRef u, d.people.FindUser(tx, user));
    KLAXON_RETURN_IF_ERROR(
        d.catalog.AddOverride(tx, schedule_id, u.id, *start, *end, actor, "apply").status());
  }
  return Status::Ok();
}

Status ApplySchedule(store::Tx& tx, Deps& d, const Change& c, const events::Actor& actor) {
  if (c.type == ChangeType::kDelete) {
    KLAXON_ASSIGN_OR_RETURN(paging::StoredSchedule s, d.catalog.FindSchedule(tx, c.name));
    return d.catalog.DeleteSchedule(tx, s.schedule.id, actor);
  }
  const json& w = c.new_value;
  json body = {{"name", c.name},
               {"description", Str(w, "description")},
               {"time_zone", Str(w, "time_zone")},
               {"layers", w.value("layers", json::array())}};
  int64_t id = 0;
  if (c.type == ChangeType::kCreate) {
    KLAXON_ASSIGN_OR_RETURN(paging::StoredSchedule created,
                            d.catalog.CreateSchedule(tx, body, actor));
    id = created.schedule.id;
  } else {
    KLAXON_ASSIGN_OR_RETURN(paging::StoredSchedule s, d.catalog.FindSchedule(tx, c.name));
    id = s.schedule.id;
    if (FieldChanged(c, "description") || FieldChanged(c, "time_zone") || FieldChanged(c, "layers"))
      KLAXON_RETURN_IF_ERROR(d.catalog.UpdateSchedule(tx, id, body, actor).status());
  }
  return SyncOverrides(tx, d, id, c.old_value, w, actor);
}

Status ApplyPolicy(store::Tx& tx, Deps& d, const Change& c, const events::Actor& actor) {
  if (c.type == ChangeType::kDelete) {
    KLAXON_ASSIGN_OR_RETURN(paging::Policy p, d.catalog.FindPolicy(tx, c.name));
    return d.catalog.DeletePolicy(tx, p.id, actor);
  }
  const json& w = c.new_value;
  json body = {{"name", c.name},
               {"description", Str(w, "description")},
               {"repeat", w.value("repeat", 0)},
               {"default", w.value("default", false)},
               {"steps", w.value("steps", json::array())}};
  if (c.type == ChangeType::kCreate) return d.catalog.CreatePolicy(tx, body, actor).status();
  KLAXON_ASSIGN_OR_RETURN(paging::Policy p, d.catalog.FindPolicy(tx, c.name));
  return d.catalog.UpdatePolicy(tx, p.id, body, actor).status();
}

Result<alerts::Integration> FindIntegration(store::Tx& tx, Deps& d, const std::string& name) {
  KLAXON_ASSIGN_OR_RETURN(auto all, d.alerts.ListIntegrations(tx));
  for (const auto& in : all)
    if (in.name == name && !in.revoked_at) return in;
  return NotFound("no integration '" + name + "'");
}

Status ApplyIntegration(store::Tx& tx, Deps& d, const Change& c, const events::Actor& actor) {
  if (c.type == ChangeType::kDelete) {
    KLAXON_ASSIGN_OR_RETURN(alerts::Integration in, FindIntegration(tx, d, c.name));
    return d.alerts.RevokeIntegration(tx, in.id, actor);
  }
  const json& w = c.new_value;
  std::optional<int64_t> service_id;
  std::string service = Str(w, "service");
  if (!service.empty()) {
    auto s = d.incidents.FindService(tx, service);
    if (!s.ok())
      return s.status().code() == Code::kNotFound
                 ? InvalidField("/service", "unknown service '" + service + "'")
                 : s.status();
    service_id = s->id;
  }
  std::string kind = Str(w, "kind");
  std::vector<std::string> group_by = w.value("group_by", std::vector<std::string>{});
  if (group_by.empty()) group_by = alerts::DefaultGroupBy(kind);
  json settings = json::object();
  for (const char* k : {"heartbeat_interval_seconds", "heartbeat_grace_seconds", "mapping"})
    if (w.contains(k) && !w[k].is_null()) settings[k] = w[k];
  if (c.type == ChangeType::kCreate) {
    alerts::Integration spec;
    spec.name = c.name;
    spec.kind = kind;
    spec.service_id = service_id;
    spec.group_by = group_by;
    spec.auto_resolve = w.value("auto_resolve", true);
    spec.flap_window_s = w.value("flap_window_seconds", int64_t{300});
    spec.settings = settings;
    // A revoked integration keeps its (unique) name: free it for the new one, which gets
    // a new key (the old key stays revoked).
    KLAXON_RETURN_IF_ERROR(
        tx.Exec("UPDATE integrations SET name = name || ' (revoked #' || id || ')' "
                "WHERE name = ? AND revoked_at IS NOT NULL",
                {c.name}));
    return d.alerts.CreateIntegration(tx, spec, actor).status();
  }
  KLAXON_ASSIGN_OR_RETURN(alerts::Integration in, FindIntegration(tx, d, c.name));
  if (in.kind != kind)
    return InvalidField("/kind", "an integration's kind cannot change (remove it and add another)");
  alerts::IntegrationPatch patch;
  patch.service_id = service_id;
  patch.group_by = group_by;
  patch.auto_resolve = w.value("auto_resolve", true);
  patch.flap_window_s = w.value("flap_window_seconds", int64_t{300});
  patch.settings = settings;
  return d.alerts.UpdateIntegration(tx, in.id, patch, actor).status();
}

Status ApplyComponent(store::Tx& tx, Deps& d, const Change& c, const events::Actor& actor) {
  if (c.type == ChangeType::kDelete) return d.status.DeleteComponent(tx, c.name, actor);
  const json& w = c.new_value;
  json body = {{"name", c.name},
               {"description", Str(w, "description")},
               {"group", w.value("group", json())},
               {"showcase", w.value("showcase", true)},
               {"only_show_if_degraded", w.value("only_show_if_degraded", false)},
               {"services", w.value("services", json::array())}};
  if (c.type == ChangeType::kCreate) {
    body["is_group"] = w.value("is_group", false);
    if (body["group"].is_null()) body.erase("group");
    return d.status.CreateComponent(tx, body, actor).status();
  }
  if (FieldChanged(c, "is_group")) body["is_group"] = w.value("is_group", false);
  return d.status.UpdateComponent(tx, c.name, body, actor).status();
}

Status ApplyChange(store::Tx& tx, Deps& d, const Change& c, const events::Actor& actor) {
  if (c.type == ChangeType::kUnchanged) return Status::Ok();
  if (c.kind == "users") return ApplyUser(tx, d, c, actor);
  if (c.kind == "services") return ApplyService(tx, d, c, actor);
  if (c.kind == "schedules") return ApplySchedule(tx, d, c, actor);
  if (c.kind == "escalation_policies") return ApplyPolicy(tx, d, c, actor);
  if (c.kind == "integrations") return ApplyIntegration(tx, d, c, actor);
  if (c.kind == "status_components") return ApplyComponent(tx, d, c, actor);
  return Status::Ok();  // kept in the settings row only
}

std::string Describe(const Change& c) {
  const playbook::KindInfo* k = playbook::FindKind(c.kind);
  std::string kind = k ? std::string(k->singular) : c.kind;
  return c.name.empty() ? kind : kind + " \"" + c.name + "\"";
}

}  // namespace

bool Prunable(const Change& c, const std::set<std::string>& named_users) {
  if (c.type != ChangeType::kDelete || c.kind != "users") return true;
  return named_users.count(c.name) > 0;
}

json ChangeToJson(const Change& c) {
  json fields = json::array();
  for (const auto& f : c.fields)
    fields.push_back({{"path", f.path}, {"old", f.old_value}, {"new", f.new_value}});
  return {{"type", TypeName(c.type)}, {"kind", c.kind}, {"name", c.name}, {"fields", fields}};
}

std::map<std::string, KindCounts> CountChanges(const std::vector<Change>& changes) {
  std::map<std::string, KindCounts> out;
  for (const auto& c : changes) {
    if (c.type == ChangeType::kCreate) ++out[c.kind].created;
    if (c.type == ChangeType::kUpdate) ++out[c.kind].updated;
    if (c.type == ChangeType::kDelete) ++out[c.kind].deleted;
  }
  return out;
}

json MergeStored(const json& current, const json& desired, const std::vector<Change>& changes) {
  json out = current.is_object() ? current : json::object();
  if (desired.contains("organization")) out["organization"] = desired["organization"];
  std::set<std::pair<std::string, std::string>> deleted;
  for (const auto& c : changes)
    if (c.type == ChangeType::kDelete) deleted.insert({c.kind, c.name});
  for (const auto& k : playbook::Kinds()) {
    std::string kind(k.key);
    if (kind == "organization") continue;
    json merged = json::array();
    // Keep the current order, replacing entities in place; new ones after.
    if (out.contains(kind) && out[kind].is_array()) {
      auto want = ByName(desired, kind);
      for (const json& e : out[kind]) {
        std::string name = NameOf(e, kind);
        if (deleted.count({kind, name})) continue;
        merged.push_back(want.count(name) ? want[name] : e);
      }
    }
    std::set<std::string> have;
    for (const json& e : merged) have.insert(NameOf(e, kind));
    if (desired.contains(kind))
      for (const json& e : desired[kind])
        if (!have.count(NameOf(e, kind))) merged.push_back(e);
    if (merged.empty())
      out.erase(kind);
    else
      out[kind] = merged;
  }
  return out;
}

Result<json> ExportJson(store::Tx& tx, Deps& d) {
  KLAXON_ASSIGN_OR_RETURN(json stored, LoadStored(tx));
  json out = stored;
  KLAXON_ASSIGN_OR_RETURN(out["users"], ExportUsers(tx, d, stored));
  KLAXON_ASSIGN_OR_RETURN(out["schedules"], ExportSchedules(tx, d, stored));
  KLAXON_ASSIGN_OR_RETURN(out["escalation_policies"], ExportPolicies(tx, d, stored));
  KLAXON_ASSIGN_OR_RETURN(out["services"], ExportServices(tx, d, stored));
  KLAXON_ASSIGN_OR_RETURN(out["integrations"], ExportIntegrations(tx, d, stored));
  KLAXON_ASSIGN_OR_RETURN(out["status_components"], ExportComponents(tx, d, stored));
  for (auto it = out.begin(); it != out.end();) {
    if (it.value().is_array() && it.value().empty())
      it = out.erase(it);
    else
      ++it;
  }
  return out;
}

Result<playbook::Document> Export(store::Tx& tx, Deps& d) {
  KLAXON_ASSIGN_OR_RETURN(json j, ExportJson(tx, d));
  playbook::LoadResult r = playbook::LoadJson(j);
  if (!r.ok())
    return Internal("the server's configuration is not a valid playbook:\n" + r.status().message());
  return std::move(r.doc);
}

Result<ApplyResult> Apply(store::Tx& tx, Deps& d, const playbook::Document& desired, bool prune,
                          bool dry_run, const events::Actor& actor) {
  KLAXON_ASSIGN_OR_RETURN(playbook::Document current_doc, Export(tx, d));
  KLAXON_ASSIGN_OR_RETURN(std::set<std::string> named, LoadNamedUsers(tx));
  json current = playbook::ToJson(current_doc);
  json want = playbook::ToJson(desired);
  ApplyResult out;
  for (auto& c : playbook::Diff(current, want, prune))
    if (Prunable(c, named)) out.changes.push_back(std::move(c));
  out.diff = playbook::FormatDiff(out.changes);
  out.counts = CountChanges(out.changes);
  if (dry_run) return out;
  std::set<std::string> now_named = named;
  if (want.contains("users"))
    for (const json& u : want["users"]) now_named.insert(NameOf(u, "users"));
  for (const auto& c : out.changes)
    if (c.type == ChangeType::kDelete && c.kind == "users") now_named.erase(c.name);
  if (now_named != named) KLAXON_RETURN_IF_ERROR(StoreSetting(tx, kNamedUsersKey, json(now_named)));
  if (!playbook::HasChanges(out.changes)) return out;

  for (const auto& c : out.changes) {
    if (c.type != ChangeType::kCreate && c.type != ChangeType::kUpdate) continue;
    KLAXON_RETURN_IF_ERROR(
        Prefixed(ApplyChange(tx, d, c, actor), Describe(c), c.kind + "/" + c.name));
  }
  for (auto it = out.changes.rbegin(); it != out.changes.rend(); ++it) {
    if (it->type != ChangeType::kDelete) continue;
    KLAXON_RETURN_IF_ERROR(
        Prefixed(ApplyChange(tx, d, *it, actor), Describe(*it), it->kind + "/" + it->name));
  }
  json stored = MergeStored(current, want, out.changes);
  KLAXON_RETURN_IF_ERROR(StoreSetting(tx, kSettingKey, stored));
  json counts = json::object();
  for (const auto& [kind, n] : out.counts)
    counts[kind] = {{"created", n.created}, {"updated", n.updated}, {"deleted", n.deleted}};
  KLAXON_RETURN_IF_ERROR(d.log
                             .Append(tx, events::Event::Of("config.applied", actor,
                                                           {{"counts", counts}, {"prune", prune}}))
                             .status());
  out.applied = true;
  return out;
}

}  // namespace klaxon::apply
