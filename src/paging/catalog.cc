#include "paging/catalog.h"

#include <mutex>
#include <optional>
#include <set>
#include <unordered_map>

#include "core/numbers.h"
#include "core/random.h"
#include "core/time_format.h"

namespace klaxon::paging {

namespace {

constexpr size_t kMaxName = 100;
constexpr size_t kMaxDescription = 2000;

Status CheckName(const std::string& name) {
  if (name.empty()) return InvalidField("/name", "is required");
  if (name.size() > kMaxName) return InvalidField("/name", "is longer than 100 characters");
  if (ParseInt64(name)) return InvalidField("/name", "must not be a number (ids are numbers)");
  return Status::Ok();
}

std::string Str(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Unknown fields are rejected (422) so a typo never passes silently.
Status OnlyKnown(const nlohmann::json& j, const std::string& at,
                 std::initializer_list<const char*> known) {
  if (!j.is_object()) return Status::Ok();
  for (const auto& [key, value] : j.items()) {
    bool ok = false;
    for (const char* k : known) ok = ok || key == k;
    if (!ok) return InvalidField(at + "/" + key, "unknown field");
  }
  return Status::Ok();
}

Status CheckScheduleFields(const nlohmann::json& layers) {
  if (!layers.is_array()) return Status::Ok();
  for (size_t i = 0; i < layers.size(); ++i) {
    std::string at = "/layers/" + std::to_string(i);
    const auto& l = layers[i];
    KLAXON_RETURN_IF_ERROR(OnlyKnown(
        l, at, {"name", "users", "rotation", "start_date", "handoff_time", "restrictions"}));
    if (!l.is_object()) continue;
    if (l.contains("rotation"))
      KLAXON_RETURN_IF_ERROR(OnlyKnown(l["rotation"], at + "/rotation", {"unit", "length"}));
    if (l.contains("restrictions") && l["restrictions"].is_array())
      for (size_t r = 0; r < l["restrictions"].size(); ++r)
        KLAXON_RETURN_IF_ERROR(OnlyKnown(l["restrictions"][r],
                                         at + "/restrictions/" + std::to_string(r),
                                         {"weekday", "start", "duration_minutes"}));
  }
  return Status::Ok();
}

}  // namespace

nlohmann::json Target::ToJson() const {
  nlohmann::json j = {{"type", type}, {"name", name}};
  if (type != "role") j["id"] = id;
  return j;
}

nlohmann::json Policy::ToJson() const {
  nlohmann::json steps_json = nlohmann::json::array();
  for (const auto& s : steps) {
    nlohmann::json targets = nlohmann::json::array();
    for (const auto& t : s.targets) targets.push_back(t.ToJson());
    steps_json.push_back({{"delay_minutes", s.delay_minutes}, {"targets", targets}});
  }
  return {{"id", id},         {"name", name},          {"description", description},
          {"repeat", repeat}, {"default", is_default}, {"steps", steps_json}};
}

// ---------------------------------------------------------------------------------------
// Schedules

Result<oncall::Schedule> Catalog::ParseScheduleBody(store::Tx& tx, const nlohmann::json& body) {
  nlohmann::json doc = {{"name", Str(body, "name")},
                        {"time_zone", body.value("time_zone", nlohmann::json("UTC"))},
                        {"layers", body.value("layers", nlohmann::json::array())}};
  KLAXON_RETURN_IF_ERROR(CheckName(doc["name"]));
  auto& layers = doc["layers"];
  if (!layers.is_array()) return InvalidField("/layers", "must be an array");
  KLAXON_RETURN_IF_ERROR(CheckScheduleFields(layers));
  for (size_t i = 0; i < layers.size(); ++i) {
    auto& layer = layers[i];
    if (!layer.is_object() || !layer.contains("users") || !layer["users"].is_array()) continue;
    for (size_t j = 0; j < layer["users"].size(); ++j) {
      auto& u = layer["users"][j];
      std::string field = "/layers/" + std::to_string(i) + "/users/" + std::to_string(j);
      std::string key;
      if (u.is_string())
        key = u.get<std::string>();
      else if (u.is_number_integer())
        key = std::to_string(u.get<int64_t>());
      else
        return InvalidField(field, "must be a username or a user id");
      auto user = people_.FindUser(tx, key);
      if (!user.ok()) {
        if (user.status().code() == Code::kNotFound)
          return InvalidField(field, "unknown user '" + key + "'");
        return user.status();
      }
      u = user->id;
    }
  }
  return oncall::ParseSchedule(doc);
}

Result<StoredSchedule> Catalog::CreateSchedule(store::Tx& tx, const nlohmann::json& body,
                                               const events::Actor& actor) {
  KLAXON_ASSIGN_OR_RETURN(oncall::Schedule s, ParseScheduleBody(tx, body));
  std::string description = Str(body, "description");
  if (description.size() > kMaxDescription) return InvalidField("/description", "is too long");
  TimeMs now = clock_.Now();
  std::string token = RandomToken(24);
  auto row = tx.QueryOne(
      "INSERT INTO schedules(name, description, time_zone, layers, ical_token, created_at, "
      "updated_at) VALUES (?,?,?,?,?,?,?) ON CONFLICT(name) DO NOTHING RETURNING id",
      {s.name, description, s.time_zone, oncall::LayersToJson(s.layers).dump(), token, now, now});
  if (!row.ok()) return row.status();
  if (!*row) return Conflict("a schedule named '" + s.name + "' exists");
  int64_t id = (*row)->Int(0);
  KLAXON_RETURN_IF_ERROR(log_.Append(tx, events::Event::Of("schedule.created", actor,
                                                           {{"schedule", id}, {"name", s.name}}))
                             .status());
  KLAXON_RETURN_IF_ERROR(ScheduleChanged(tx, id));
  return GetSchedule(tx, id);
}

Result<StoredSchedule> Catalog::UpdateSchedule(store::Tx& tx, int64_t id,
                                               const nlohmann::json& body,
                                               const events::Actor& actor) {
  KLAXON_ASSIGN_OR_RETURN(StoredSchedule old, GetSchedule(tx, id));
  KLAXON_ASSIGN_OR_RETURN(oncall::Schedule s, ParseScheduleBody(tx, body));
  std::string description = Str(body, "description");
  if (description.size() > kMaxDescription) return InvalidField("/description", "is too long");
  auto clash = tx.QueryOne("SELECT id FROM schedules WHERE name = ? AND id <> ?", {s.name, id});
  if (!clash.ok()) return clash.status();
  if (*clash) return Conflict("a schedule named '" + s.name + "' exists");
  KLAXON_RETURN_IF_ERROR(tx.Exec(
      "UPDATE schedules SET name = ?, description = ?, time_zone = ?, layers = ?, updated_at = ? "
      "WHERE id = ?",
      {s.name, description, s.time_zone, oncall::LayersToJson(s.layers).dump(), clock_.Now(), id}));
  KLAXON_RETURN_IF_ERROR(log_.Append(tx, events::Event::Of("schedule.updated", actor,
                                                           {{"schedule", id}, {"name", s.name}}))
                             .status());
  KLAXON_RETURN_IF_ERROR(ScheduleChanged(tx, id));
  return GetSchedule(tx, id);
}

Status Catalog::DeleteSchedule(store::Tx& tx, int64_t id, const events::Actor& actor) {
  KLAXON_ASSIGN_OR_RETURN(StoredSchedule s, GetSchedule(tx, id));
  KLAXON_ASSIGN_OR_RETURN(auto policies, ListPolicies(tx));
  for (const auto& p : policies)
    for (const auto& step : p.steps)
      for (const auto& t : step.targets)
        if (t.type == "schedule" && t.id == id)
          return Conflict("escalation policy '" + p.name + "' targets this schedule");
  KLAXON_RETURN_IF_ERROR(tx.Exec("DELETE FROM schedule_overrides WHERE schedule_id = ?", {id}));
  KLAXON_RETURN_IF_ERROR(tx.Exec("DELETE FROM schedules WHERE id = ?", {id}));
  KLAXON_RETURN_IF_ERROR(
      log_.Append(tx, events::Event::Of("schedule.deleted", actor,
                                        {{"schedule", id}, {"name", s.schedule.name}}))
          .status());
  return ScheduleChanged(tx, id);
}

Status Catalog::ScheduleChanged(store::Tx& tx, int64_t id) {
  return on_schedule_change_ ? on_schedule_change_(tx, id) : Status::Ok();
}

Result<StoredSchedule> Catalog::GetSchedule(store::Tx& tx, int64_t id) {
  auto row = tx.QueryOne(
      "SELECT id, name, description, time_zone, layers, ical_token, created_at, updated_at "
      "FROM schedules WHERE id = ?",
      {id});
  if (!row.ok()) return row.status();
  if (!*row) return NotFound("no schedule " + std::to_string(id));
  const auto& r = **row;
  StoredSchedule out;
  nlohmann::json doc = {{"name", r.Str(1)},
                        {"time_zone", r.Str(3)},
                        {"layers", nlohmann::json::parse(r.Str(4), nullptr, false)}};
  auto parsed = oncall::ParseSchedule(doc);
  if (!parsed.ok())
    return Internal("stored schedule " + r.Str(1) + ": " + parsed.status().message());
  out.schedule = std::move(parsed).value();
  out.schedule.id = r.Int(0);
  out.description = r.Str(2);
  out.ical_token = r.Str(5);
  out.created_at = r.Int(6);
  out.updated_at = r.Int(7);
  KLAXON_ASSIGN_OR_RETURN(auto overrides, ListOverrides(tx, id, clock_.Now() - 7 * 86'400'000LL));
  for (auto& o : overrides) out.schedule.overrides.push_back(o.o);
  return out;
}

Result<StoredSchedule> Catalog::FindSchedule(store::Tx& tx, const std::string& id_or_name) {
  if (auto id = ParseInt64(id_or_name)) return GetSchedule(tx, *id);
  auto row = tx.QueryOne("SELECT id FROM schedules WHERE name = ?", {id_or_name});
  if (!row.ok()) return row.status();
  if (!*row) return NotFound("no schedule '" + id_or_name + "'");
  return GetSchedule(tx, (*row)->Int(0));
}

Result<std::vector<StoredSchedule>> Catalog::ListSchedules(store::Tx& tx) {
  auto rows = tx.Query("SELECT id FROM schedules ORDER BY name");
  if (!rows.ok()) return rows.status();
  std::vector<StoredSchedule> out;
  for (const auto& r : *rows) {
    KLAXON_ASSIGN_OR_RETURN(StoredSchedule s, GetSchedule(tx, r.Int(0)));
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::optional<int64_t>> Catalog::ScheduleByIcalToken(store::Tx& tx,
                                                            const std::string& token) {
  auto row = tx.QueryOne("SELECT id FROM schedules WHERE ical_token = ?", {token});
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<int64_t>();
  return std::optional<int64_t>((*row)->Int(0));
}

Result<nlohmann::json> Catalog::ScheduleJson(store::Tx& tx, const StoredSchedule& s, TimeMs now,
                                             const std::string& public_url) {
  nlohmann::json layers = oncall::LayersToJson(s.schedule.layers);
  for (auto& layer : layers) {
    if (!layer.contains("users")) continue;
    for (auto& u : layer["users"]) {
      if (!u.is_number_integer()) continue;
      auto user = people_.GetUser(tx, u.get<int64_t>());
      if (user.ok()) u = user->username;
    }
  }
  nlohmann::json on_call = nullptr;
  if (auto uid = oncall::OnCallAt(s.schedule, now)) {
    auto user = people_.GetUser(tx, *uid);
    if (user.ok()) on_call = user->ToJson();
  }
  return nlohmann::json{{"id", s.schedule.id},
                        {"name", s.schedule.name},
                        {"description", s.description},
                        {"time_zone", s.schedule.time_zone},
                        {"layers", layers},
                        {"ical_url", public_url + "/ical/schedules/" + s.ical_token + ".ics"},
                        {"on_call_now", on_call},
                        {"created_at", FormatTime(s.created_at)},
                        {"updated_at", FormatTime(s.updated_at)}};
}

Result<StoredOverride> Catalog::AddOverride(store::Tx& tx, int64_t schedule_id, int64_t user_id,
                                            TimeMs start, TimeMs end, const events::Actor& actor,
                                            const std::string& via) {
  KLAXON_ASSIGN_OR_RETURN(StoredSchedule s, GetSchedule(tx, schedule_id));
  KLAXON_ASSIGN_OR_RETURN(UserRef user, people_.GetUser(tx, user_id));
  if (end <= start) return InvalidField("/end", "must be after start");
  if (end - start > 366LL * 86'400'000)
    return InvalidField("/end", "an override lasts at most a year");
  if (end <= clock_.Now()) return InvalidField("/end", "is in the past");
  TimeMs now = clock_.Now();
  auto row = tx.QueryOne(
      "INSERT INTO schedule_overrides(schedule_id, user_id, start_at, end_at, created_by, "
      "created_at) VALUES (?,?,?,?,?,?) RETURNING id",
      {schedule_id, user_id, start, end, actor.name, now});
  if (!row.ok()) return row.status();
  StoredOverride o{{(*row)->Int(0), user_id, start, end}, schedule_id, actor.name};
  KLAXON_RETURN_IF_ERROR(log_.Append(tx, events::Event::Of("override.created", actor,
                                                           {{"schedule", schedule_id},
                                                            {"schedule_name", s.schedule.name},
                                                            {"override", o.o.id},
                                                            {"user", user.username},
                                                            {"start", FormatTime(start)},
                                                            {"end", FormatTime(end)},
                                                            {"via", via}}))
                             .status());
  KLAXON_RETURN_IF_ERROR(ScheduleChanged(tx, schedule_id));
  return o;
}

Status Catalog::DeleteOverride(store::Tx& tx, int64_t schedule_id, int64_t override_id,
                               const events::Actor& actor) {
  auto row = tx.QueryOne("SELECT id FROM schedule_overrides WHERE id = ? AND schedule_id = ?",
                         {override_id, schedule_id});
  if (!row.ok()) return row.status();
  if (!*row) return NotFound("no override " + std::to_string(override_id) + " on this schedule");
  KLAXON_RETURN_IF_ERROR(tx.Exec("DELETE FROM schedule_overrides WHERE id = ?", {override_id}));
  KLAXON_RETURN_IF_ERROR(
      log_.Append(tx, events::Event::Of("override.deleted", actor,
                                        {{"schedule", schedule_id}, {"override", override_id}}))
          .status());
  return ScheduleChanged(tx, schedule_id);
}

Result<std::vector<StoredOverride>> Catalog::ListOverrides(store::Tx& tx, int64_t schedule_id,
                                                           TimeMs ending_after) {
  auto rows = tx.Query(
      "SELECT id, user_id, start_at, end_at, created_by FROM schedule_overrides "
      "WHERE schedule_id = ? AND end_at > ? ORDER BY start_at, id",
      {schedule_id, ending_after});
  if (!rows.ok()) return rows.status();
  std::vector<StoredOverride> out;
  for (const auto& r : *rows)
    out.push_back({{r.Int(0), r.Int(1), r.Int(2), r.Int(3)}, schedule_id, r.Str(4)});
  return out;
}

// ---------------------------------------------------------------------------------------
// Escalation policies

Result<Policy> Catalog::ParsePolicyBody(store::Tx& tx, const nlohmann::json& body) {
  Policy p;
  p.name = Str(body, "name");
  KLAXON_RETURN_IF_ERROR(CheckName(p.name));
  p.description = Str(body, "description");
  if (p.description.size() > kMaxDescription) return InvalidField("/description", "is too long");
  if (body.contains("repeat")) {
    const auto& r = body["repeat"];
    if (!r.is_number_integer() || r.get<int64_t>() < 0 || r.get<int64_t>() > kMaxPolicyRepeat)
      return InvalidField("/repeat", "must be an integer from 0 to 9");
    p.repeat = r.get<int>();
  }
  if (body.contains("default")) {
    if (!body["default"].is_boolean()) return InvalidField("/default", "must be a boolean");
    p.is_default = body["default"].get<bool>();
  }
  const auto& steps = body.value("steps", nlohmann::json());
  if (!steps.is_array() || steps.empty()) return InvalidField("/steps", "needs at least one step");
  if (steps.size() > kMaxSteps) return InvalidField("/steps", "at most 20 steps");
  for (size_t i = 0; i < steps.size(); ++i) {
    std::string at = "/steps/" + std::to_string(i);
    const auto& sj = steps[i];
    if (!sj.is_object()) return InvalidField(at, "must be an object");
    KLAXON_RETURN_IF_ERROR(OnlyKnown(sj, at, {"delay_minutes", "targets"}));
    Step step;
    const auto& d = sj.value("delay_minutes", nlohmann::json());
    if (!d.is_number_integer() || d.get<int64_t>() < 1 || d.get<int64_t>() > 1440)
      return InvalidField(at + "/delay_minutes", "must be an integer from 1 to 1440");
    step.delay_minutes = d.get<int>();
    const auto& targets = sj.value("targets", nlohmann::json());
    if (!targets.is_array() || targets.empty())
      return InvalidField(at + "/targets", "needs at least one target");
    if (targets.size() > kMaxTargets) return InvalidField(at + "/targets", "at most 20 targets");
    for (size_t j = 0; j < targets.size(); ++j) {
      std::string tat = at + "/targets/" + std::to_string(j);
      const auto& tj = targets[j];
      if (!tj.is_object()) return InvalidField(tat, "must be an object");
      KLAXON_RETURN_IF_ERROR(OnlyKnown(tj, tat, {"type", "name", "id"}));
      Target t;
      t.type = Str(tj, "type");
      std::string key = Str(tj, "name");
      std::string key_field = tat + "/name";
      if (key.empty() && tj.contains("id") && tj["id"].is_number_integer()) {
        key = std::to_string(tj["id"].get<int64_t>());
        key_field = tat + "/id";
      }
      if (key.empty()) return InvalidField(tat + "/name", "is required (or id)");
      if (t.type == "user") {
        auto u = people_.FindUser(tx, key);
        if (!u.ok()) {
          if (u.status().code() == Code::kNotFound)
            return InvalidField(key_field, "unknown user '" + key + "'");
          return u.status();
        }
        t.id = u->id;
        t.name = u->username;
      } else if (t.type == "schedule") {
        auto s = FindSchedule(tx, key);
        if (!s.ok()) {
          if (s.status().code() == Code::kNotFound)
            return InvalidField(key_field, "unknown schedule '" + key + "'");
          return s.status();
        }
        t.id = s->schedule.id;
        t.name = s->schedule.name;
      } else if (t.type == "role") {
        if (key.size() > kMaxName) return InvalidField(tat + "/name", "is too long");
        t.name = key;
      } else {
        return InvalidField(tat + "/type", "must be one of user, schedule, role");
      }
      step.targets.push_back(std::move(t));
    }
    p.steps.push_back(std::move(step));
  }
  return p;
}

namespace {
nlohmann::json StepsJson(const Policy& p) { return p.ToJson()["steps"]; }

std::optional<std::vector<Step>> ParseSteps(const std::string& text) {
  auto steps = nlohmann::json::parse(text, nullptr, false);
  if (!steps.is_array()) return std::nullopt;
  std::vector<Step> out;
  for (const auto& sj : steps) {
    Step s;
    s.delay_minutes = sj.value("delay_minutes", 1);
    for (const auto& tj : sj.value("targets", nlohmann::json::array()))
      s.targets.push_back({tj.value("type", ""), tj.value("id", int64_t{0}), tj.value("name", "")});
    out.push_back(std::move(s));
  }
  return out;
}

// Steps parsed before, by their stored text: a declared incident's first page reads its
// policy inside the declaring transaction, and parsing the JSON there was a tenth of the
// policy's share of that transaction. Keyed by the text itself, so an edited policy is
// parsed anew; at most a few hundred distinct texts.
std::optional<std::vector<Step>> CachedSteps(const std::string& text) {
  static std::mutex mu;
  static std::unordered_map<std::string, std::vector<Step>> parsed;
  {
    std::lock_guard lock(mu);
    if (auto it = parsed.find(text); it != parsed.end()) return it->second;
  }
  auto steps = ParseSteps(text);
  if (!steps) return std::nullopt;
  std::lock_guard lock(mu);
  if (parsed.size() >= 256) parsed.clear();
  parsed.emplace(text, *steps);
  return steps;
}

Result<Policy> PolicyFromRow(const store::Row& r) {
  Policy p;
  p.id = r.Int(0);
  p.name = r.Str(1);
  p.description = r.Str(2);
  p.repeat = static_cast<int>(r.Int(3));
  p.is_default = r.Int(5) != 0;
  auto steps = CachedSteps(r.Str(4));
  if (!steps) return Internal("stored policy " + p.name + " has bad steps");
  p.steps = std::move(*steps);
  return p;
}
const char* kPolicyColumns =
    "SELECT id, name, description, repeat, steps, is_default FROM escalation_policies";
}  // namespace

Result<Policy> Catalog::CreatePolicy(store::Tx& tx, const nlohmann::json& body,
                                     const events::Actor& actor) {
  KLAXON_ASSIGN_OR_RETURN(Policy p, ParsePolicyBody(tx, body));
  TimeMs now = clock_.Now();
  if (p.is_default)
    KLAXON_RETURN_IF_ERROR(tx.Exec("UPDATE escalation_policies SET is_default = 0"));
  auto row = tx.QueryOne(
      "INSERT INTO escalation_policies(name, description, repeat, steps, is_default, created_at, "
      "updated_at) VALUES (?,?,?,?,?,?,?) ON CONFLICT(name) DO NOTHING RETURNING id",
      {p.name, p.description, static_cast<int64_t>(p.repeat), StepsJson(p).dump(),
       static_cast<int64_t>(p.is_default), now, now});
  if (!row.ok()) return row.status();
  if (!*row) return Conflict("an escalation policy named '" + p.name + "' exists");
  p.id = (*row)->Int(0);
  KLAXON_RETURN_IF_ERROR(log_.Append(tx, events::Event::Of("escalation_policy.created", actor,
                                                           {{"policy", p.id}, {"name", p.name}}))
                             .status());
  return p;
}

Result<Policy> Catalog::UpdatePolicy(store::Tx& tx, int64_t id, const nlohmann::json& body,
                                     const events::Actor& actor) {
  KLAXON_ASSIGN_OR_RETURN(Policy old, GetPolicy(tx, id));
  KLAXON_ASSIGN_OR_RETURN(Policy p, ParsePolicyBody(tx, body));
  p.id = id;
  auto clash =
      tx.QueryOne("SELECT id FROM escalation_policies WHERE name = ? AND id <> ?", {p.name, id});
  if (!clash.ok()) return clash.status();
  if (*clash) return Conflict("an escalation policy named '" + p.name + "' exists");
  if (p.is_default)
    KLAXON_RETURN_IF_ERROR(tx.Exec("UPDATE escalation_policies SET is_default = 0"));
  KLAXON_RETURN_IF_ERROR(
      tx.Exec("UPDATE escalation_policies SET name = ?, description = ?, repeat = ?, steps = ?, "
              "is_default = ?, updated_at = ? WHERE id = ?",
              {p.name, p.description, static_cast<int64_t>(p.repeat), StepsJson(p).dump(),
               static_cast<int64_t>(p.is_default), clock_.Now(), id}));
  KLAXON_RETURN_IF_ERROR(log_.Append(tx, events::Event::Of("escalation_policy.updated", actor,
                                                           {{"policy", id}, {"name", p.name}}))
                             .status());
  return p;
}

Status Catalog::DeletePolicy(store::Tx& tx, int64_t id, const events::Actor& actor) {
  KLAXON_ASSIGN_OR_RETURN(Policy p, GetPolicy(tx, id));
  auto used = tx.QueryOne("SELECT name FROM services WHERE escalation_policy_id = ?", {id});
  if (!used.ok()) return used.status();
  if (*used) return Conflict("service '" + (*used)->Str(0) + "' uses this policy");
  KLAXON_RETURN_IF_ERROR(tx.Exec(
      "UPDATE escalations SET state = 'stopped' WHERE policy_id = ? AND state = 'active'", {id}));
  KLAXON_RETURN_IF_ERROR(tx.Exec("DELETE FROM escalation_policies WHERE id = ?", {id}));
  return log_
      .Append(tx, events::Event::Of("escalation_policy.deleted", actor,
                                    {{"policy", id}, {"name", p.name}}))
      .status();
}

Result<Policy> Catalog::GetPolicy(store::Tx& tx, int64_t id) {
  auto row = tx.QueryOne(std::string(kPolicyColumns) + " WHERE id = ?", {id});
  if (!row.ok()) return row.status();
  if (!*row) return NotFound("no escalation policy " + std::to_string(id));
  return PolicyFromRow(**row);
}

Result<Policy> Catalog::FindPolicy(store::Tx& tx, const std::string& id_or_name) {
  if (auto id = ParseInt64(id_or_name)) return GetPolicy(tx, *id);
  auto row = tx.QueryOne(std::string(kPolicyColumns) + " WHERE name = ?", {id_or_name});
  if (!row.ok()) return row.status();
  if (!*row) return NotFound("no escalation policy '" + id_or_name + "'");
  return PolicyFromRow(**row);
}

Result<std::vector<Policy>> Catalog::ListPolicies(store::Tx& tx) {
  auto rows = tx.Query(std::string(kPolicyColumns) + " ORDER BY name");
  if (!rows.ok()) return rows.status();
  std::vector<Policy> out;
  for (const auto& r : *rows) {
    KLAXON_ASSIGN_OR_RETURN(Policy p, PolicyFromRow(r));
    out.push_back(std::move(p));
  }
  return out;
}

Result<std::optional<Policy>> Catalog::PolicyForIncident(store::Tx& tx, int64_t incident_id) {
  // The service's policy in one read (a declared incident's first page waits for it).
  auto row = tx.QueryOne(
      "SELECT p.id, p.name, p.description, p.repeat, p.steps, p.is_default FROM incidents i "
      "JOIN services s ON s.id = i.service_id JOIN escalation_policies p ON p.id = "
      "s.escalation_policy_id WHERE i.id = ?",
      {incident_id});
  if (!row.ok()) return row.status();
  if (*row) {
    KLAXON_ASSIGN_OR_RETURN(Policy p, PolicyFromRow(**row));
    return std::optional<Policy>(std::move(p));
  }
  auto def = tx.QueryOne(std::string(kPolicyColumns) + " WHERE is_default = 1 LIMIT 1");
  if (!def.ok()) return def.status();
  if (!*def) return std::optional<Policy>();
  KLAXON_ASSIGN_OR_RETURN(Policy p, PolicyFromRow(**def));
  return std::optional<Policy>(std::move(p));
}

Status Catalog::SetServicePolicy(store::Tx& tx, int64_t service_id,
                                 std::optional<int64_t> policy_id) {
  return tx.Exec("UPDATE services SET escalation_policy_id = ? WHERE id = ?",
                 {store::Opt(policy_id), service_id});
}

Result<std::optional<std::pair<int64_t, std::string>>> Catalog::ServicePolicy(store::Tx& tx,
                                                                              int64_t service_id) {
  auto row = tx.QueryOne(
      "SELECT p.id, p.name FROM services s JOIN escalation_policies p ON p.id = "
      "s.escalation_policy_id WHERE s.id = ?",
      {service_id});
  if (!row.ok()) return row.status();
  using Out = std::optional<std::pair<int64_t, std::string>>;
  if (!*row) return Out();
  return Out(std::make_pair((*row)->Int(0), (*row)->Str(1)));
}

Result<std::vector<std::string>> Catalog::UserReferences(store::Tx& tx, int64_t user_id) {
  std::vector<std::string> out;
  KLAXON_ASSIGN_OR_RETURN(auto schedules, ListSchedules(tx));
  for (const auto& s : schedules) {
    for (const auto& layer : s.schedule.layers)
      if (std::find(layer.users.begin(), layer.users.end(), user_id) != layer.users.end())
        out.push_back("schedule '" + s.schedule.name + "' (layer '" + layer.name + "')");
    for (const auto& o : s.schedule.overrides)
      if (o.user_id == user_id && o.end > Now())
        out.push_back("schedule '" + s.schedule.name + "' (an override until " + FormatTime(o.end) +
                      ")");
  }
  KLAXON_ASSIGN_OR_RETURN(auto policies, ListPolicies(tx));
  for (const auto& p : policies)
    for (size_t i = 0; i < p.steps.size(); ++i)
      for (const auto& t : p.steps[i].targets)
        if (t.type == "user" && t.id == user_id)
          out.push_back("escalation policy '" + p.name + "' (step " + std::to_string(i + 1) + ")");
  return out;
}

}  // namespace klaxon::paging
