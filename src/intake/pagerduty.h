// PagerDuty Events API v2 (`POST /v2/enqueue`): one alert event per request, turned into
// a NormalizedAlert keyed by its dedup_key.
//
// The alert's fingerprint is Fingerprint({dedup_key: <key>}), so repeats of a dedup_key
// are one alert whatever their payload says; the key itself is kept as the `dedup_key`
// label, with payload.severity/source/component/group/class as labels and the summary,
// custom details, links and images as annotations. Validation collects every error
// (PagerDuty answers with a list), each naming its field as a JSON pointer.
// Pure functions of (body, now, generated key); any thread.
#pragma once

#include <string>
#include <string_view>

#include "intake/alert.h"

namespace klaxon::intake {

enum class PagerDutyAction { kTrigger, kAcknowledge, kResolve };

struct PagerDutyEvent {
  std::string routing_key;  // empty when absent (allowed only with the key in the URL)
  PagerDutyAction action = PagerDutyAction::kTrigger;
  std::string dedup_key;  // the sender's, or the generated one for a trigger without
  // fingerprint and dedup_key label always; the rest only for a trigger or when the
  // ack/resolve carried a payload (has_payload).
  NormalizedAlert alert;
  bool has_payload = false;
};

struct PagerDutyLimits {
  size_t max_event = 512 * 1024;  // bytes per event, as PagerDuty
  size_t max_dedup_key = 255;
  size_t max_summary = 1024;
  size_t routing_key_size = 32;  // PagerDuty's keys (and Klaxon's) are 32 characters
};
inline constexpr PagerDutyLimits kPagerDutyLimits{};

// Parses and validates one event. `generated_dedup_key` becomes the dedup_key of a
// trigger that has none. `key_in_url`: the routing key came with the URL, so the body's
// `routing_key` may be absent. Errors are kBadRequest (malformed JSON), kTooLarge or
// kInvalidArgument with one FieldError per problem.
Result<PagerDutyEvent> ParsePagerDutyEvent(std::string_view body, TimeMs now,
                                           std::string_view generated_dedup_key,
                                           bool key_in_url = false);

// The fingerprint of the alert a dedup_key names (16 hex digits).
std::string DedupKeyFingerprint(std::string_view dedup_key);

}  // namespace klaxon::intake
