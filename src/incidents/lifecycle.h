// The incident state machine and the built-in severity scheme.
//
// Pure functions; any thread.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/status.h"

namespace klaxon::incidents {

enum class IncidentStatus {
  kTriggered,
  kAcknowledged,
  kInvestigating,
  kIdentified,
  kMonitoring,
  kResolved
};

std::optional<IncidentStatus> ParseStatus(std::string_view s);
const char* StatusName(IncidentStatus s);
std::span<const IncidentStatus> AllStatuses();

// Ok when an incident may move from `from` to `to` (docs/api.md); Conflict otherwise.
// Reopen is its own command, not a status change.
Status CheckTransition(IncidentStatus from, IncidentStatus to);

struct Severity {
  std::string_view name;
  int rank;  // 1 = most severe
  std::string_view description;
};

// The minimal default scheme until the configurable one arrives.
std::span<const Severity> DefaultSeverities();
const Severity* FindSeverity(std::string_view name);

}  // namespace klaxon::incidents
