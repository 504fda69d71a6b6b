// Generic JSON webhook: any sender that can POST JSON, read through a per-integration
// mapping of JSON pointers (RFC 6901) into each event.
//
// The body is one event object, an array of them, or (mapping `events`) an object or
// array holding the array of events at a pointer. Each event becomes a NormalizedAlert:
//   title      (required, string)  → annotation "summary", label "alertname" (unless the
//                                    mapped labels give one)
//   dedup_key  (string or number)  → label "dedup_key"; the fingerprint is then
//                                    Fingerprint({dedup_key: <key>}), the same as a
//                                    PagerDuty event with that key; without one it is
//                                    Fingerprint(labels)
//   status     (string, number, bool) → resolved when it equals one of resolved_values
//                                    (ASCII case-insensitive), else firing
//   severity   (string, number, bool) → label "severity"
//   labels     (object of string, number or bool) → labels (names as Alertmanager's)
// plus the whole event as annotation "payload" (JSON, cut to kLimits.max_annotation), a
// string at /description or /message as annotation "description", and an http(s) string
// at /url or /link as generator_url. starts_at is `now`; a resolved alert ends at `now`.
// A mapping pointer of "" leaves that field unread (for `events`: the body is the events).
// Errors name the JSON pointer of the bad field within the body ("/2/title",
// "/items/0/labels/env"); a batch is all-or-nothing.
// Pure functions; any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "intake/alert.h"

namespace klaxon::intake {

struct GenericMappingLimits {
  size_t max_pointer = 1024;  // bytes per mapping pointer
  size_t max_resolved_values = 32;
  size_t max_resolved_value = 256;  // bytes each
};
inline constexpr GenericMappingLimits kGenericMappingLimits{};

// Where an integration's events keep each field. A value type; the defaults read a body
// written for Klaxon ({"title": ..., "dedup_key": ..., "status": ..., ...}).
struct GenericMapping {
  std::string title = "/title";
  std::string dedup_key = "/dedup_key";
  std::string status = "/status";
  std::string severity = "/severity";
  std::string labels = "/labels";
  std::string events = "";
  std::vector<std::string> resolved_values = {"resolved", "ok", "closed", "recovered", "resolve"};

  // Every key, as FromJson reads it.
  nlohmann::json ToJson() const;
  // An object with any of the keys above (absent ones keep their defaults). Pointers must
  // be "" or start with '/', with '~' only as ~0 or ~1; `title` must not be "". Errors are
  // kInvalidArgument naming "/mapping/<key>" (an unknown key included).
  static Result<GenericMapping> FromJson(const nlohmann::json& j);
};

// Errors: kBadRequest for malformed JSON; kTooLarge for more than kLimits.max_alerts
// events; kInvalidArgument naming the field for anything else (the mapping itself is
// checked as FromJson does, naming "/mapping/<key>").
Result<std::vector<NormalizedAlert>> ParseGenericWebhook(std::string_view body,
                                                         const GenericMapping& m, TimeMs now);

}  // namespace klaxon::intake
