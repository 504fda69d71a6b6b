// Pieces shared by the parsers of Alertmanager-shaped webhook bodies (alert.cc for
// Alertmanager, grafana.cc for Grafana). Internal to intake/; pure functions, any thread.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "intake/alert.h"

namespace klaxon::intake::internal {

// kInvalidArgument naming `field` (a JSON pointer).
Status Bad(std::string field, std::string message);
// The body as JSON, or kBadRequest with the byte offset.
Result<nlohmann::json> ParseBody(std::string_view body);

// Reads a flavour's own per-alert fields into the alert already read from `alert`.
using AlertExtras =
    std::function<Status(const nlohmann::json& alert, size_t index, NormalizedAlert& out)>;

// The `alerts` of webhook body `doc` (an object whose `version`, when present, must be
// `version`): each alert's labels, annotations, times, status and generatorURL, then
// `extras` (may be empty). At most kLimits.max_alerts; all-or-nothing.
Result<std::vector<NormalizedAlert>> ParseWebhook(const nlohmann::json& doc, TimeMs now,
                                                  const std::string& version,
                                                  const AlertExtras& extras);

// ParsePostableAlerts is the two below: the fast one (simdjson, no JSON tree, about
// five times faster) for a body that is plainly a valid batch of the fields Prometheus
// sends; anything else, or anything it is unsure of (other keys, a repeated key or
// label, any error), is nullopt, and the slow one (nlohmann) reads it or names what is
// wrong. Both give the same alerts for any body the fast one takes (a unit test and the
// `prometheus` fuzz target compare them).
inline constexpr size_t kFastPathMaxBody = 4 << 20;
inline constexpr size_t kFastPathKeptBody = 64 << 10;  // a thread keeps a parser this size
std::optional<std::vector<NormalizedAlert>> FastPostableAlerts(std::string_view body, TimeMs now);
Result<std::vector<NormalizedAlert>> SlowPostableAlerts(std::string_view body, TimeMs now);

}  // namespace klaxon::intake::internal
