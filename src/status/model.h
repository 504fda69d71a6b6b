// The public status page's domain: components (in groups), public incidents and
// scheduled maintenances with their dated updates, the overall indicator, and uptime
// history computed from component status changes. Pure values and functions: the store
// side is status/service.h, the rendering (HTML, feeds, the compatible JSON) status/render.h.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"

namespace klaxon::status {

// operational < degraded_performance < partial_outage < major_outage; under_maintenance
// is shown while a maintenance runs and counts as not operational for uptime.
enum class ComponentStatus { kOperational, kDegraded, kPartialOutage, kMajorOutage, kMaintenance };
std::string_view Name(ComponentStatus s);
std::optional<ComponentStatus> ParseComponentStatus(std::string_view s);
// "Operational", "Degraded performance", … for people.
std::string_view Label(ComponentStatus s);

// Incidents: investigating, identified, monitoring, resolved, postmortem.
// Maintenances: scheduled, in_progress, verifying, completed.
bool IsIncidentStatus(std::string_view s);
bool IsMaintenanceStatus(std::string_view s);
// "Investigating", "In progress", … for an incident or maintenance status; empty if unknown.
std::string_view StatusLabel(std::string_view status);
// A new 12-character public id (lowercase letters and digits, like the hosted service's).
std::string NewPublicId();
// none < minor < major < critical (maintenances: "maintenance").
bool IsImpact(std::string_view s);
int ImpactRank(std::string_view impact);  // none 0 … critical 3; anything else 0

struct PageSettings {
  std::string id = "klaxonstatus";  // 12-char public id in the JSON
  std::string name = "Status";
  std::string url;                    // the page's public URL (absolute)
  std::string time_zone = "Etc/UTC";  // dates on the page
  std::string logo_url;               // optional, http(s)
  std::string accent_color = "#2563eb";
  struct Link {
    std::string label;
    std::string url;
  };
  std::vector<Link> links;  // header links ("Home", "Support")
  std::string about;        // a short text under the title
};

struct Component {
  int64_t id = 0;
  std::string public_id;  // the "id" in the JSON (stable, not the row id)
  std::string name;
  std::string description;
  std::optional<int64_t> group_id;  // row id of the group
  bool is_group = false;
  int position = 0;
  ComponentStatus status = ComponentStatus::kOperational;
  bool showcase = true;
  bool only_show_if_degraded = false;
  TimeMs created_at = 0;
  TimeMs updated_at = 0;
  std::vector<int64_t> service_ids;  // internal services that map to it (admin only)
};

struct AffectedComponent {
  std::string code;  // component public id
  std::string name;
  std::string old_status;
  std::string new_status;
};

struct Update {
  int64_t id = 0;
  std::string public_id;
  std::string status;  // the incident's status at this update
  std::string body;
  TimeMs created_at = 0;
  TimeMs display_at = 0;
  std::vector<AffectedComponent> affected;
};

// A public incident or a scheduled maintenance (kind "maintenance").
struct Incident {
  int64_t id = 0;
  std::string public_id;
  std::string kind = "incident";  // "incident" | "maintenance"
  std::string name;
  std::string status;  // see IsIncidentStatus / IsMaintenanceStatus
  std::string impact;  // none, minor, major, critical; maintenance: "maintenance"
  std::optional<int64_t> internal_incident_id;  // never shown publicly
  TimeMs created_at = 0;
  TimeMs updated_at = 0;
  TimeMs started_at = 0;
  std::optional<TimeMs> monitoring_at;
  std::optional<TimeMs> resolved_at;
  std::optional<TimeMs> scheduled_for;    // maintenance
  std::optional<TimeMs> scheduled_until;  // maintenance
  bool auto_transition = true;            // maintenance moves on time by itself
  std::string postmortem;                 // public postmortem text, optional
  std::vector<int64_t> component_ids;     // affected components (row ids)
  std::vector<Update> updates;            // newest first

  bool maintenance() const { return kind == "maintenance"; }
  bool unresolved() const;  // incident not resolved/postmortem; maintenance not completed
};

// One status change of a component (history for uptime).
struct StatusChange {
  int64_t component_id = 0;
  ComponentStatus status = ComponentStatus::kOperational;
  TimeMs at = 0;
};

// Everything the public page shows, read in one transaction.
struct Snapshot {
  PageSettings page;
  TimeMs now = 0;
  TimeMs updated_at = 0;               // the latest change to anything shown
  std::vector<Component> components;   // ordered: groups and top level by position, children after
  std::vector<Incident> incidents;     // incidents, newest first (all kinds of statuses)
  std::vector<Incident> maintenances;  // maintenances, newest first
  std::vector<StatusChange> history;   // per component, oldest first, over the uptime window
};

struct Indicator {
  std::string indicator;    // none | minor | major | critical
  std::string description;  // "All Systems Operational", …
};
// The worst of: the components' statuses (degraded → minor, partial → major, major
// outage → critical) and the impact of unresolved incidents. A maintenance in progress
// with nothing worse gives none / "Service Under Maintenance".
Indicator Overall(const Snapshot& s);

// One day of a component's uptime bar.
struct DayUptime {
  std::string date;  // YYYY-MM-DD in the page's time zone
  int64_t minutes_degraded = 0;
  int64_t minutes_partial = 0;
  int64_t minutes_major = 0;
  int64_t minutes_maintenance = 0;
  int64_t minutes_known = 0;  // minutes of the day after the component existed (and ≤ now)
  ComponentStatus worst = ComponentStatus::kOperational;
};
struct Uptime {
  std::vector<DayUptime> days;  // oldest first, `days` entries ending today
  double percent = 100.0;       // operational (or maintenance) share of known minutes
};
// From the component's changes (oldest first; the status before the first change is
// operational, and nothing is known before `created_at`). Partial and major outages
// count against uptime, degraded performance counts half, maintenance does not count.
Uptime ComputeUptime(const Component& c, const std::vector<StatusChange>& changes, TimeMs now,
                     const std::string& time_zone, int days = 90);

// A maintenance's status by the clock when it moves on time by itself: scheduled before
// `scheduled_for`, in_progress until `scheduled_until`, then completed. A status set by
// hand that is further along is kept (verifying stays until completed by hand or time).
std::string MaintenanceStatusAt(const Incident& m, TimeMs now);

}  // namespace klaxon::status
