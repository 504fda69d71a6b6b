#include "incidents/lifecycle.h"

namespace klaxon::incidents {

namespace {
constexpr IncidentStatus kAll[] = {IncidentStatus::kTriggered,     IncidentStatus::kAcknowledged,
                                   IncidentStatus::kInvestigating, IncidentStatus::kIdentified,
                                   IncidentStatus::kMonitoring,    IncidentStatus::kResolved};
constexpr const char* kNames[] = {"triggered",  "acknowledged", "investigating",
                                  "identified", "monitoring",   "resolved"};
constexpr Severity kSeverities[] = {
    {"SEV-1", 1, "Critical: a customer-facing service is down or losing data."},
    {"SEV-2", 2, "Major: significant degradation for many customers."},
    {"SEV-3", 3, "Minor: limited impact, a workaround exists."},
    {"SEV-4", 4, "Low: no customer impact yet; needs attention."},
};
bool IsWorking(IncidentStatus s) {
  return s == IncidentStatus::kInvestigating || s == IncidentStatus::kIdentified ||
         s == IncidentStatus::kMonitoring;
}
}  // namespace

std::optional<IncidentStatus> ParseStatus(std::string_view s) {
  for (size_t i = 0; i < std::size(kNames); ++i)
    if (s == kNames[i]) return kAll[i];
  return std::nullopt;
}

const char* StatusName(IncidentStatus s) { return kNames[static_cast<int>(s)]; }

std::span<const IncidentStatus> AllStatuses() { return kAll; }

Status CheckTransition(IncidentStatus from, IncidentStatus to) {
  auto deny = [&](std::string why) {
    return Conflict(std::string("cannot move from ") + StatusName(from) + " to " + StatusName(to) +
                    ": " + why);
  };
  if (from == to) return deny("it is already " + std::string(StatusName(to)));
  if (from == IncidentStatus::kResolved) return deny("reopen it first");
  if (to == IncidentStatus::kTriggered) return deny("an incident cannot go back to triggered");
  if (to == IncidentStatus::kResolved) return Status::Ok();
  if (from == IncidentStatus::kTriggered) return Status::Ok();
  if (to == IncidentStatus::kAcknowledged) return deny("it is already acknowledged");
  if (from == IncidentStatus::kAcknowledged) return Status::Ok();
  if (IsWorking(from) && IsWorking(to)) return Status::Ok();
  return deny("not a legal move");
}

std::span<const Severity> DefaultSeverities() { return kSeverities; }

const Severity* FindSeverity(std::string_view name) {
  for (const auto& s : kSeverities)
    if (s.name == name) return &s;
  return nullptr;
}

}  // namespace klaxon::incidents
