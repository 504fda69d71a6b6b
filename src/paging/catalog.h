// On-call schedules (with their overrides) and escalation policies: stored as rows whose
// layers / steps are JSON documents, validated by oncall::ParseSchedule and ParsePolicy.
// People are named by username in the API and by id in storage. Commands take the
// caller's write Tx and append their event. Holds references only; thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "events/event.h"
#include "oncall/rotation.h"
#include "paging/people.h"
#include "store/store.h"

namespace klaxon::paging {

struct StoredSchedule {
  oncall::Schedule schedule;  // overrides: those not yet ended
  std::string description;
  std::string ical_token;
  TimeMs created_at = 0;
  TimeMs updated_at = 0;
};

struct StoredOverride {
  oncall::Override o;
  int64_t schedule_id = 0;
  std::string created_by;
};

struct Target {
  std::string type;  // "user", "schedule", "role"
  int64_t id = 0;    // users and schedules
  std::string name;  // username, schedule name or role name
  nlohmann::json ToJson() const;
};

struct Step {
  int delay_minutes = 0;
  std::vector<Target> targets;
};

struct Policy {
  int64_t id = 0;
  std::string name;
  std::string description;
  int repeat = 0;
  bool is_default = false;
  std::vector<Step> steps;
  nlohmann::json ToJson() const;
};

inline constexpr int kMaxPolicyRepeat = 9;
inline constexpr size_t kMaxSteps = 20;
inline constexpr size_t kMaxTargets = 20;

class Catalog {
 public:
  // `on_schedule_change` runs inside the Tx after a schedule or its overrides change (the
  // paging service re-arms the handoff timer).
  Catalog(const Clock& clock, events::EventLog& log, People& people)
      : clock_(clock), log_(log), people_(people) {}
  void SetScheduleChangeHook(std::function<Status(store::Tx&, int64_t)> fn) {
    on_schedule_change_ = std::move(fn);
  }

  // Schedules.
  Result<StoredSchedule> CreateSchedule(store::Tx& tx, const nlohmann::json& body,
                                        const events::Actor& actor);
  Result<StoredSchedule> UpdateSchedule(store::Tx& tx, int64_t id, const nlohmann::json& body,
                                        const events::Actor& actor);
  Status DeleteSchedule(store::Tx& tx, int64_t id, const events::Actor& actor);
  Result<StoredSchedule> FindSchedule(store::Tx& tx, const std::string& id_or_name);
  Result<StoredSchedule> GetSchedule(store::Tx& tx, int64_t id);
  Result<std::vector<StoredSchedule>> ListSchedules(store::Tx& tx);
  Result<std::optional<int64_t>> ScheduleByIcalToken(store::Tx& tx, const std::string& token);
  // The API shape: users by username, with the iCal URL under `public_url` and who is on
  // call at `now`.
  Result<nlohmann::json> ScheduleJson(store::Tx& tx, const StoredSchedule& s, TimeMs now,
                                      const std::string& public_url);

  Result<StoredOverride> AddOverride(store::Tx& tx, int64_t schedule_id, int64_t user_id,
                                     TimeMs start, TimeMs end, const events::Actor& actor,
                                     const std::string& via = "override");
  Status DeleteOverride(store::Tx& tx, int64_t schedule_id, int64_t override_id,
                        const events::Actor& actor);
  Result<std::vector<StoredOverride>> ListOverrides(store::Tx& tx, int64_t schedule_id,
                                                    TimeMs ending_after);
  // The catalog's clock (apply adds only the overrides still ahead).
  TimeMs Now() const { return clock_.Now(); }

  // Escalation policies.
  Result<Policy> CreatePolicy(store::Tx& tx, const nlohmann::json& body,
                              const events::Actor& actor);
  Result<Policy> UpdatePolicy(store::Tx& tx, int64_t id, const nlohmann::json& body,
                              const events::Actor& actor);
  Status DeletePolicy(store::Tx& tx, int64_t id, const events::Actor& actor);
  Result<Policy> FindPolicy(store::Tx& tx, const std::string& id_or_name);
  Result<Policy> GetPolicy(store::Tx& tx, int64_t id);
  Result<std::vector<Policy>> ListPolicies(store::Tx& tx);
  // The policy for an incident: its service's, else the default one, else none.
  Result<std::optional<Policy>> PolicyForIncident(store::Tx& tx, int64_t incident_id);

  // Where a user is still needed: "schedule 'primary' (layer 'weekly')", "schedule
  // 'primary' (an override until …)", "escalation policy 'default' (step 2)". Empty when
  // the user can be deactivated without leaving a hole in the coverage.
  Result<std::vector<std::string>> UserReferences(store::Tx& tx, int64_t user_id);

  // Services' escalation policy (PATCH /services/{id}).
  Status SetServicePolicy(store::Tx& tx, int64_t service_id, std::optional<int64_t> policy_id);
  Result<std::optional<std::pair<int64_t, std::string>>> ServicePolicy(store::Tx& tx,
                                                                       int64_t service_id);

 private:
  Result<oncall::Schedule> ParseScheduleBody(store::Tx& tx, const nlohmann::json& body);
  Result<Policy> ParsePolicyBody(store::Tx& tx, const nlohmann::json& body);
  Status ScheduleChanged(store::Tx& tx, int64_t id);

  const Clock& clock_;
  events::EventLog& log_;
  People& people_;
  std::function<Status(store::Tx&, int64_t)> on_schedule_change_;
};

}  // namespace klaxon::paging
