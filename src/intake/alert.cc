#include "intake/alert.h"

#include <simdjson.h>

#include <nlohmann/json.hpp>

#include "core/json_parse.h"
#include "core/time_format.h"
#include "intake/webhook_internal.h"

namespace klaxon::intake {

namespace internal {

Status Bad(std::string field, std::string message) {
  // The detail first: the order in which arguments are evaluated is unspecified, so it
  // must not be built in the same call that moves from `field` and `message`.
  std::string detail = field + ": " + message;
  return Status(Code::kInvalidArgument, std::move(detail),
                {{std::move(field), std::move(message)}});
}

Result<nlohmann::json> ParseBody(std::string_view body) { return ParseJson(body); }

}  // namespace internal

namespace {

using internal::Bad;
using internal::ParseBody;
using nlohmann::json;

constexpr std::string_view kGoZeroTime = "0001-01-01T00:00:00Z";

std::string Path(size_t i, std::string_view field) {
  return "/alerts/" + std::to_string(i) + (field.empty() ? "" : "/" + std::string(field));
}

bool ValidLabelName(std::string_view n) {
  if (n.empty()) return false;
  for (size_t i = 0; i < n.size(); ++i) {
    char c = n[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

// Reads a string→string object (labels or annotations) with limits.
Status ReadMap(const json& obj, const std::string& path, bool labels, Labels& out) {
  if (obj.is_null()) return Status::Ok();
  if (!obj.is_object()) return Bad(path, "must be an object of strings");
  if (obj.size() > kLimits.max_labels)
    return Bad(path, "has more than " + std::to_string(kLimits.max_labels) + " entries");
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    const std::string& name = it.key();
    std::string p = path + "/" + name;
    if (name.size() > kLimits.max_name)
      return Bad(p, "name is longer than " + std::to_string(kLimits.max_name) + " bytes");
    if (labels && !ValidLabelName(name))
      return Bad(p, "is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)");
    if (!it.value().is_string()) return Bad(p, "must be a string");
    const std::string& v = it.value().get_ref<const std::string&>();
    size_t max = labels ? kLimits.max_label_value : kLimits.max_annotation;
    if (v.size() > max) return Bad(p, "is longer than " + std::to_string(max) + " bytes");
    if (labels && v.empty()) continue;  // empty label values are absent labels
    out[name] = v;
  }
  return Status::Ok();
}

// A time field's string: nullopt when it is not an RFC 3339 time; an empty time when it
// says "not set" (empty, or Go's zero time).
std::optional<std::optional<TimeMs>> TimeFromString(std::string_view s) {
  if (s.empty() || s == kGoZeroTime) return std::optional<TimeMs>();
  auto t = ParseTime(s);
  if (!t) return std::nullopt;
  return std::optional<TimeMs>(*t);
}

Result<std::optional<TimeMs>> ReadTime(const json& a, const char* field, const std::string& path) {
  if (!a.contains(field) || a[field].is_null()) return std::optional<TimeMs>();
  if (!a[field].is_string()) return Bad(path, "must be an RFC 3339 time string");
  auto t = TimeFromString(a[field].get_ref<const std::string&>());
  if (!t) return Bad(path, "is not an RFC 3339 time");
  return *t;
}

// The fields common to webhook alerts and postable alerts.
Result<NormalizedAlert> ReadAlert(const json& a, size_t i, TimeMs now) {
  if (!a.is_object()) return Bad(Path(i, ""), "must be an object");
  NormalizedAlert out;
  if (!a.contains("labels")) return Bad(Path(i, "labels"), "is required");
  KLAXON_RETURN_IF_ERROR(ReadMap(a["labels"], Path(i, "labels"), true, out.labels));
  if (out.labels.empty()) return Bad(Path(i, "labels"), "must have at least one non-empty label");
  if (a.contains("annotations"))
    KLAXON_RETURN_IF_ERROR(
        ReadMap(a["annotations"], Path(i, "annotations"), false, out.annotations));
  auto starts = ReadTime(a, "startsAt", Path(i, "startsAt"));
  if (!starts.ok()) return starts.status();
  auto ends = ReadTime(a, "endsAt", Path(i, "endsAt"));
  if (!ends.ok()) return ends.status();
  out.ends_at = *ends;
  out.starts_at = starts->value_or(ends->value_or(now));
  if (out.ends_at && *out.ends_at < out.starts_at)
    return Bad(Path(i, "endsAt"), "is before startsAt");
  if (a.contains("generatorURL") && !a["generatorURL"].is_null()) {
    if (!a["generatorURL"].is_string()) return Bad(Path(i, "generatorURL"), "must be a string");
    out.generator_url = a["generatorURL"];
    if (out.generator_url.size() > kLimits.max_url)
      return Bad(Path(i, "generatorURL"), "is too long");
  }
  out.fingerprint = Fingerprint(out.labels);
  return out;
}

}  // namespace

namespace {

// Appends `s` as a JSON string, byte for byte as nlohmann::json::dump() writes it: `"` and
// `\\` escaped, \b \f \n \r \t by name, other bytes below 0x20 as \u00xx, the rest
// (UTF-8 included) as they are.
void AppendJsonStringUnchecked(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  size_t plain = 0;  // start of the run not yet copied
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + plain, i - plain);
    plain = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 0xF]);
    }
  }
  out.append(s.data() + plain, s.size() - plain);
  out.push_back('"');
}

}  // namespace

bool AppendJsonString(std::string& out, std::string_view s) {
  if (!simdjson::validate_utf8(s)) return false;
  AppendJsonStringUnchecked(out, s);
  return true;
}

std::string LabelsJson(const Labels& labels) {
  size_t size = 2;
  for (const auto& [name, value] : labels) size += name.size() + value.size() + 6;
  std::string out;
  out.reserve(size);
  out.push_back('{');
  for (const auto& [name, value] : labels) {
    if (out.size() > 1) out.push_back(',');
    AppendJsonStringUnchecked(out, name);
    out.push_back(':');
    AppendJsonStringUnchecked(out, value);
  }
  out.push_back('}');
  // Checked once, whole: escaping leaves every byte of 0x80 and above as it was. Not
  // UTF-8 (no parser lets that through, but a label set can come from elsewhere): as
  // before, nlohmann's refusal.
  if (!simdjson::validate_utf8(out)) return nlohmann::json(labels).dump();
  return out;
}

void PrepareForStore(NormalizedAlert& a) {
  if (a.labels_json.empty()) a.labels_json = LabelsJson(a.labels);
  if (a.annotations_json.empty()) a.annotations_json = LabelsJson(a.annotations);
}

void PrepareForStore(std::vector<NormalizedAlert>& batch) {
  for (NormalizedAlert& a : batch) PrepareForStore(a);
}

std::string Fingerprint(const Labels& labels) {
  uint64_t h = 14695981039346656037ull;
  auto add = [&h](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ull;
    }
  };
  for (const auto& [name, value] : labels) {  // std::map iterates in sorted order
    add(name);
    add("\xff");
    add(value);
    add("\xff");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(16, '0');  // %016llx, without printf's machinery (one per alert)
  for (int i = 15; i >= 0; --i, h >>= 4) out[static_cast<size_t>(i)] = kHex[h & 0xF];
  return out;
}

Result<std::vector<NormalizedAlert>> internal::ParseWebhook(const json& doc, TimeMs now,
                                                            const std::string& version,
                                                            const AlertExtras& extras) {
  if (!doc.contains("alerts") || !doc["alerts"].is_array())
    return Bad("/alerts", "is required and must be an array");
  if (doc.contains("version") && doc["version"] != version)
    return Bad("/version", "unsupported webhook version (expected \"" + version + "\")");
  const json& alerts = doc["alerts"];
  if (alerts.size() > kLimits.max_alerts)
    return Status(Code::kTooLarge,
                  "more than " + std::to_string(kLimits.max_alerts) + " alerts in one request",
                  {{"/alerts", "too many alerts"}});
  std::vector<NormalizedAlert> out;
  out.reserve(alerts.size());
  for (size_t i = 0; i < alerts.size(); ++i) {
    auto a = ReadAlert(alerts[i], i, now);
    if (!a.ok()) return a.status();
    const json& st = alerts[i].contains("status") ? alerts[i]["status"] : json();
    if (st != "firing" && st != "resolved")
      return Bad(Path(i, "status"), "must be firing or resolved");
    a->firing = st == "firing";
    if (!a->firing && !a->ends_at) a->ends_at = now;
    if (extras) KLAXON_RETURN_IF_ERROR(extras(alerts[i], i, *a));
    out.push_back(std::move(a).value());
  }
  return out;
}

Result<std::vector<NormalizedAlert>> ParseAlertmanagerWebhook(std::string_view body, TimeMs now) {
  auto doc = ParseBody(body);
  if (!doc.ok()) return doc.status();
  if (!doc->is_object()) return Bad("/", "must be an Alertmanager webhook object");
  return internal::ParseWebhook(*doc, now, "4", nullptr);
}

Result<std::vector<NormalizedAlert>> internal::SlowPostableAlerts(std::string_view body,
                                                                  TimeMs now) {
  auto doc = ParseBody(body);
  if (!doc.ok()) return doc.status();
  if (!doc->is_array()) return Bad("/", "must be a JSON array of alerts");
  if (doc->size() > kLimits.max_alerts)
    return Status(Code::kTooLarge,
                  "more than " + std::to_string(kLimits.max_alerts) + " alerts in one request",
                  {{"/", "too many alerts"}});
  std::vector<NormalizedAlert> out;
  out.reserve(doc->size());
  for (size_t i = 0; i < doc->size(); ++i) {
    auto a = ReadAlert((*doc)[i], i, now);
    if (!a.ok()) {
      Status s = a.status();
      // Report paths as the array index ("/3/labels"), the body has no "alerts" key.
      std::vector<FieldError> fields = s.fields();
      for (auto& f : fields) f.field = f.field.substr(std::string_view("/alerts").size());
      std::string msg = fields.empty() ? s.message() : fields[0].field + ": " + fields[0].message;
      return Status(s.code(), msg, fields);
    }
    // An endsAt at or before now resolves; a later one is a lease while firing.
    a->firing = !a->ends_at || *a->ends_at > now;
    out.push_back(std::move(a).value());
  }
  return out;
}

namespace {

namespace dom = simdjson::dom;

// One string→string object of a postable alert into `out`, with ReadMap's checks; false
// for anything ReadMap would refuse or read differently (a repeated name: the last one
// wins there), so that the caller falls back to it.
bool FastMap(dom::element value, bool labels, Labels& out) {
  dom::object obj;
  if (value.get_object().get(obj) || obj.size() > kLimits.max_labels) return false;
  for (dom::key_value_pair kv : obj) {
    std::string_view v;
    if (kv.value.get_string().get(v) || kv.key.size() > kLimits.max_name) return false;
    if (labels && !ValidLabelName(kv.key)) return false;
    if (v.size() > (labels ? kLimits.max_label_value : kLimits.max_annotation)) return false;
    // An empty label value is an absent label, but its name still counts as seen.
    if (!out.emplace(std::string(kv.key), std::string(v)).second) return false;
  }
  if (labels) std::erase_if(out, [](const auto& kv) { return kv.second.empty(); });
  return true;
}

// startsAt / endsAt as ReadTime reads them; false where ReadTime would refuse.
bool FastTime(dom::element value, std::optional<TimeMs>& out) {
  if (value.is_null()) return true;
  std::string_view s;
  if (value.get_string().get(s)) return false;
  auto t = TimeFromString(s);
  if (!t) return false;
  out = *t;
  return true;
}

bool FastAlert(dom::element value, TimeMs now, NormalizedAlert& out) {
  dom::object obj;
  if (value.get_object().get(obj)) return false;
  enum Key : unsigned {
    kOther = 0,
    kLabels = 1,
    kAnnotations = 2,
    kStarts = 4,
    kEnds = 8,
    kUrl = 16
  };
  unsigned seen = 0;
  std::optional<TimeMs> starts, ends;
  for (dom::key_value_pair kv : obj) {
    const std::string_view key = kv.key;
    const Key bit = key == "labels"         ? kLabels
                    : key == "annotations"  ? kAnnotations
                    : key == "startsAt"     ? kStarts
                    : key == "endsAt"       ? kEnds
                    : key == "generatorURL" ? kUrl
                                            : kOther;
    if (bit == kOther || (seen & bit)) return false;  // other or repeated keys: the full parser
    seen |= bit;
    bool ok = true;
    switch (bit) {
      case kLabels:
        ok = FastMap(kv.value, true, out.labels);
        break;
      case kAnnotations:
        ok = kv.value.is_null() || FastMap(kv.value, false, out.annotations);
        break;
      case kStarts:
        ok = FastTime(kv.value, starts);
        break;
      case kEnds:
        ok = FastTime(kv.value, ends);
        break;
      case kUrl: {
        if (kv.value.is_null()) break;
        std::string_view url;
        ok = !kv.value.get_string().get(url) && url.size() <= kLimits.max_url;
        out.generator_url = url;
        break;
      }
      case kOther:
        return false;
    }
    if (!ok) return false;
  }
  if (out.labels.empty()) return false;
  out.ends_at = ends;
  out.starts_at = starts.value_or(ends.value_or(now));
  if (out.ends_at && *out.ends_at < out.starts_at) return false;
  out.fingerprint = Fingerprint(out.labels);
  out.firing = !out.ends_at || *out.ends_at > now;
  return true;
}

}  // namespace

std::optional<std::vector<NormalizedAlert>> internal::FastPostableAlerts(std::string_view body,
                                                                         TimeMs now) {
  if (body.size() > kFastPathMaxBody) return std::nullopt;
  // The DOM parser (not On-Demand): it checks the whole document, and the library picks
  // its SIMD kernels for this CPU at run time. A parser keeps its buffers (~15 bytes per
  // byte of body): each thread keeps one sized for the usual batch, and a larger body gets
  // a parser of its own, freed with it.
  thread_local dom::parser kept;
  dom::parser once;
  dom::parser& parser = body.size() <= kFastPathKeptBody ? kept : once;
  dom::element doc;
  dom::array alerts;
  if (parser.parse(body.data(), body.size()).get(doc) || doc.get_array().get(alerts) ||
      alerts.size() > kLimits.max_alerts)
    return std::nullopt;
  std::vector<NormalizedAlert> out;
  out.reserve(alerts.size());
  for (dom::element value : alerts)
    if (!FastAlert(value, now, out.emplace_back())) return std::nullopt;
  return out;
}

Result<std::vector<NormalizedAlert>> ParsePostableAlerts(std::string_view body, TimeMs now) {
  if (auto fast = internal::FastPostableAlerts(body, now)) return std::move(*fast);
  return internal::SlowPostableAlerts(body, now);
}

}  // namespace klaxon::intake
