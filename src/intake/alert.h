// Normalized alerts and the parsers that turn each source's payload into them.
//
// Every adapter yields the same NormalizedAlert, validated and bounded (kLimits), or a
// Status naming the alert index and field that is wrong; a batch is all-or-nothing.
// Pure functions of (body, now); any thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/status.h"

namespace klaxon::intake {

using Labels = std::map<std::string, std::string>;

struct NormalizedAlert {
  std::string fingerprint;  // 16 hex digits, Alertmanager's hash of the label set
  bool firing = true;
  Labels labels;
  Labels annotations;
  TimeMs starts_at = 0;
  std::optional<TimeMs> ends_at;  // firing: a lease (Prometheus) or none; resolved: when
  std::string generator_url;
  // The labels and annotations as the alerts table stores them (JSON objects). Filled by
  // PrepareForStore on the request's thread, so the store's single writer does not spend
  // its time on them; empty until then (the alert service then serializes them itself).
  std::string labels_json;
  std::string annotations_json;
};

struct Limits {
  size_t max_alerts = 1000;       // per request
  size_t max_labels = 64;         // per alert, labels and annotations each
  size_t max_name = 256;          // label/annotation name bytes
  size_t max_label_value = 4096;  // label value bytes
  size_t max_annotation = 16384;  // annotation value bytes
  size_t max_url = 4096;
};
inline constexpr Limits kLimits{};

// A label set as stored: a JSON object, keys in order.
std::string LabelsJson(const Labels& labels);
// Appends `s` as a JSON string, byte for byte as nlohmann::json::dump() writes it; false,
// with nothing appended, when `s` is not UTF-8 (which dump() refuses).
bool AppendJsonString(std::string& out, std::string_view s);
// Fills labels_json and annotations_json (see NormalizedAlert).
void PrepareForStore(NormalizedAlert& alert);
void PrepareForStore(std::vector<NormalizedAlert>& batch);

// Alertmanager's fingerprint: FNV-1a 64 over sorted name 0xff value 0xff, as %016x.
std::string Fingerprint(const Labels& labels);

// Alertmanager webhook receiver body (version 4).
Result<std::vector<NormalizedAlert>> ParseAlertmanagerWebhook(std::string_view body, TimeMs now);
// Alertmanager API v2 `POST /api/v2/alerts` body (what Prometheus sends): a JSON array.
Result<std::vector<NormalizedAlert>> ParsePostableAlerts(std::string_view body, TimeMs now);

}  // namespace klaxon::intake
