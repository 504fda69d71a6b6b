// The status page's store side: components, public incidents and scheduled maintenances
// with their updates, the page's settings, and the component history uptime is computed
// from. Maintenances move on time by themselves (an engine timer per maintenance): the
// affected components show under_maintenance while one runs, and alerts of the services
// mapped to them are silenced for its window (a maintenance window per service).
//
// Every change is an event (status.*) and bumps generation() once it commits, which
// invalidates the rendered pages. Request bodies are JSON, validated here; errors name
// the field (JSON pointer).
#pragma once

#include <atomic>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "alerts/suppression.h"
#include "core/clock.h"
#include "engine/timers.h"
#include "events/event.h"
#include "status/model.h"
#include "store/store.h"

namespace klaxon::status {

class StatusService {
 public:
  StatusService(const Clock& clock, events::EventLog& log, engine::Timers& timers,
                alerts::SuppressionStore& suppression)
      : clock_(clock), log_(log), timers_(timers), suppression_(suppression) {}

  // Registers the maintenance timer handler (before the engine starts).
  void Install();
  // Called in the transaction of every new update of a public incident or maintenance
  // (published, updated, scheduled, moved on time), with the incident as saved; its
  // newest update first. An error aborts the change.
  using UpdateListener = std::function<Status(store::Tx&, const Incident&)>;
  void SetUpdateListener(UpdateListener fn) { update_listener_ = std::move(fn); }

  // Everything the public page shows (uptime history over the last 91 days).
  Result<Snapshot> Load(store::Tx& tx);
  // Bumped after every committed change.
  uint64_t generation() const { return generation_.load(); }

  Result<PageSettings> GetPage(store::Tx& tx);
  // Body: any of name, url, time_zone, logo_url, accent_color, links [{label,url}], about.
  Result<PageSettings> UpdatePage(store::Tx& tx, const nlohmann::json& body,
                                  const events::Actor& actor);

  Result<std::vector<Component>> ListComponents(store::Tx& tx);
  // `key`: row id, public id or name.
  Result<Component> FindComponent(store::Tx& tx, const std::string& key);
  // Body: name, description?, group? (a group's id/name), is_group?, position?, status?,
  // showcase?, only_show_if_degraded?, services? [service id or name].
  Result<Component> CreateComponent(store::Tx& tx, const nlohmann::json& body,
                                    const events::Actor& actor);
  Result<Component> UpdateComponent(store::Tx& tx, const std::string& key,
                                    const nlohmann::json& body, const events::Actor& actor);
  Status DeleteComponent(store::Tx& tx, const std::string& key, const events::Actor& actor);

  // kind: "incident", "maintenance" or "" for both; newest first.
  Result<std::vector<Incident>> ListIncidents(store::Tx& tx, const std::string& kind, int limit);
  // `key`: row id or public id.
  Result<Incident> GetIncident(store::Tx& tx, const std::string& key);
  // Body: name, status? (investigating), impact? (none|minor|major|critical), body,
  // components? {component: status}, incident? (internal incident id: the public one
  // is published from it; nothing of the internal one is shown), started_at?
  Result<Incident> CreateIncident(store::Tx& tx, const nlohmann::json& body,
                                  const events::Actor& actor);
  // Body: name, body?, scheduled_for, scheduled_until, components? [component],
  // auto_transition? (true).
  Result<Incident> ScheduleMaintenance(store::Tx& tx, const nlohmann::json& body,
                                       const events::Actor& actor);
  // Body: status, body, components? {component: status} (incidents), impact?,
  // name?, postmortem? (public text).
  Result<Incident> AddUpdate(store::Tx& tx, const std::string& key, const nlohmann::json& body,
                             const events::Actor& actor);

 private:
  Result<Incident> LoadIncident(store::Tx& tx, int64_t id);
  Status SetComponentStatus(store::Tx& tx, Component& c, ComponentStatus to,
                            std::vector<AffectedComponent>* affected);
  Status AppendUpdate(store::Tx& tx, Incident& inc, const std::string& status,
                      const std::string& body, const std::vector<AffectedComponent>& affected);
  Status SaveIncident(store::Tx& tx, const Incident& inc);
  Status ArmMaintenance(store::Tx& tx, const Incident& m);
  Status OnMaintenanceTimer(store::Tx& tx, int64_t id);
  // Moves a maintenance to `to` (components, silences, an update with `body`).
  Status MoveMaintenance(store::Tx& tx, Incident& m, const std::string& to,
                         const std::string& body);
  void Changed(store::Tx& tx);
  Status Emit(store::Tx& tx, const std::string& kind, const events::Actor& actor,
              nlohmann::json data);

  const Clock& clock_;
  events::EventLog& log_;
  engine::Timers& timers_;
  alerts::SuppressionStore& suppression_;
  Status Updated(store::Tx& tx, const Incident& inc) {
    return update_listener_ ? update_listener_(tx, inc) : Status::Ok();
  }

  std::atomic<uint64_t> generation_{1};
  UpdateListener update_listener_;
};

}  // namespace klaxon::status
