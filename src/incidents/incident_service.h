// Incidents and the service catalog: the commands that change them (each appends its
// event in the same transaction as the projection change) and the queries that read them.
//
// Commands take the caller's write Tx so the API can run them inside the store's group
// commit; queries take a read Tx. Holds references only; thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "events/event.h"
#include "incidents/lifecycle.h"
#include "store/store.h"

namespace klaxon::incidents {

struct ServiceRef {
  int64_t id = 0;
  std::string name;
};

struct Service {
  int64_t id = 0;
  std::string name;
  std::string description;
  std::string owner;
  TimeMs created_at = 0;
  std::optional<TimeMs> archived_at;  // set: out of the catalog, kept for its incidents
  nlohmann::json ToJson() const;
};

struct Incident {
  int64_t id = 0;
  std::string title;
  std::string description;
  std::string impact;
  std::string severity;
  IncidentStatus status = IncidentStatus::kTriggered;
  std::optional<ServiceRef> service;
  TimeMs created_at = 0;
  TimeMs updated_at = 0;
  std::optional<TimeMs> acknowledged_at;
  std::optional<TimeMs> resolved_at;
  std::string created_by;
  std::string resolution_summary;
  std::string classified_by;  // the classification rule that chose the severity; may be empty
  std::string war_room;       // from the organization's pattern; may be empty
  std::string war_room_link;  // set by a responder (the chat channel's or call's URL)
  bool drill = false;         // a game day: marked DRILL everywhere
  struct Noise {
    std::string reason, by;
    TimeMs at = 0;
  };
  std::optional<Noise> noise;  // marked noise / not actionable

  std::string ref() const { return "INC-" + std::to_string(id); }
  // The title as pages, messages and public posts show it: "[DRILL] " first for a drill.
  std::string DisplayTitle() const;
  nlohmann::json ToJson() const;
};

// What a drill's incident shows before its title.
inline constexpr const char* kDrillMark = "[DRILL] ";
// `title` with kDrillMark in front unless it already starts with it.
std::string DrillTitle(const std::string& title);

struct DeclareRequest {
  std::string title;
  std::string severity;                // empty → least severe level
  std::optional<std::string> service;  // id or name
  std::string description;
  std::string impact;
  std::string classified_by;  // the classification rule that chose `severity`, if any
  bool drill = false;         // opened by a drill (drills::Drills): marked DRILL everywhere
  // `service` as the caller read it in this transaction (not archived): not read again.
  std::optional<ServiceRef> service_read = std::nullopt;
};

struct ListQuery {
  std::optional<std::string> status;  // a status name or "open"
  std::optional<std::string> severity;
  std::optional<std::string> service;  // id or name
  std::optional<std::string> text;
  int64_t limit = 50;
  std::optional<int64_t> before_id;  // from the cursor
};

struct IncidentPage {
  std::vector<Incident> items;
  std::optional<int64_t> next_before_id;
};

// Limits on user-provided text, enforced on every command.
inline constexpr size_t kMaxTitle = 200;
inline constexpr size_t kMaxText = 10000;

// A level of the severity scheme in force (most severe first).
struct SeverityLevel {
  std::string name;
  int rank = 0;  // 1 = most severe
  std::string description;
};

class IncidentService {
 public:
  IncidentService(const Clock& clock, events::EventLog& log) : clock_(clock), log_(log) {}

  // The severity scheme in force, most severe first; the built-in default until set
  // (the playbook's `severities` replace it). Set once at start; the function is called
  // on each command and must be thread-safe.
  using SchemeFn = std::function<std::vector<SeverityLevel>()>;
  void SetSeverityScheme(SchemeFn fn) { scheme_ = std::move(fn); }
  std::vector<SeverityLevel> Severities() const;
  bool KnownSeverity(const std::string& name) const;

  Result<Incident> Declare(store::Tx& tx, const DeclareRequest& req, const events::Actor& actor);
  Result<Incident> Acknowledge(store::Tx& tx, int64_t id, const events::Actor& actor);
  Result<Incident> ChangeStatus(store::Tx& tx, int64_t id, IncidentStatus to,
                                const std::string& message, const events::Actor& actor);
  Result<Incident> ChangeSeverity(store::Tx& tx, int64_t id, const std::string& severity,
                                  const std::string& reason, const events::Actor& actor);
  // A timeline entry: `type` is note, finding, action (an action taken) or decision.
  Result<events::Event> AddNote(store::Tx& tx, int64_t id, const std::string& text,
                                const events::Actor& actor, const std::string& type = "note");
  Result<Incident> Resolve(store::Tx& tx, int64_t id, const std::string& summary,
                           const events::Actor& actor);
  Result<Incident> Reopen(store::Tx& tx, int64_t id, const std::string& reason,
                          const events::Actor& actor);

  Result<Incident> Get(store::Tx& tx, int64_t id);
  Result<IncidentPage> List(store::Tx& tx, const ListQuery& q);
  // Open incidents per severity name (for metrics).
  Result<std::vector<std::pair<std::string, int64_t>>> CountOpenBySeverity(store::Tx& tx);

  Result<Service> CreateService(store::Tx& tx, const Service& s, const events::Actor& actor);
  Result<std::vector<Service>> ListServices(store::Tx& tx);
  // By numeric id or by name, archived ones too; NotFound otherwise.
  Result<Service> FindService(store::Tx& tx, const std::string& id_or_name);
  // Archiving takes a service out of the catalog (lists, export, new incidents) and keeps
  // it for the incidents that name it. FailedPrecondition, naming what still uses it,
  // while it has open incidents, an integration feeding it, or a status component.
  // Restoring brings it back unchanged.
  // Marks the incident (or, with `alert_id`, one of its alerts) as noise / not actionable
  // with a reason, or takes the mark back (`noise` false). Noise incidents are left out
  // of the response analytics unless asked for; the noise report counts both.
  Result<Incident> MarkNoise(store::Tx& tx, int64_t id, bool noise, const std::string& reason,
                             std::optional<int64_t> alert_id, const events::Actor& actor);
  Status ArchiveService(store::Tx& tx, const Service& s, const events::Actor& actor);
  Status RestoreService(store::Tx& tx, const Service& s, const events::Actor& actor);

  // Whether incident `id` is a drill (false for an unknown id). The flag never changes
  // once an incident exists, so answers are cached; Declare forgets a reused id.
  Result<bool> IsDrill(store::Tx& tx, int64_t id);

 private:
  Status Touch(store::Tx& tx, const Incident& inc);
  Result<int64_t> Emit(store::Tx& tx, std::string kind, const events::Actor& actor, int64_t id,
                       nlohmann::json data);
  const Clock& clock_;
  events::EventLog& log_;
  SchemeFn scheme_;
  std::mutex drill_mu_;
  std::unordered_map<int64_t, bool> drill_cache_;
};

// OK unless incident `id` is a drill whose scenario did not allow the public status page
// and customers: then Conflict (409) naming `field`. Status page publication and customer
// notices call it before they write anything.
Status CheckMayGoPublic(store::Tx& tx, int64_t id, const std::string& field);

// "42" or "INC-42" → 42.
std::optional<int64_t> ParseIncidentId(std::string_view s);

}  // namespace klaxon::incidents
