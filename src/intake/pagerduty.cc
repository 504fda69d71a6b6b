#include "intake/pagerduty.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/json_parse.h"
#include "core/time_format.h"

namespace klaxon::intake {

namespace {

using nlohmann::json;

constexpr std::string_view kSeverities[] = {"critical", "error", "warning", "info"};

bool Has(const json& obj, const char* name) {
  auto it = obj.find(name);
  return it != obj.end() && !it->is_null();
}

size_t Utf8Chars(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// Cuts `s` to at most `max` bytes on a character boundary, marking the cut with "…".
std::string Clip(std::string s, size_t max) {
  if (s.size() <= max) return s;
  size_t cut = max - 3;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  s.resize(cut);
  return s + "\xE2\x80\xA6";
}

// PagerDuty's own examples write offsets without a colon (`+0000`); RFC 3339 wants one.
std::optional<TimeMs> ParsePagerDutyTime(std::string s) {
  size_t n = s.size();
  if (n > 5 && (s[n - 5] == '+' || s[n - 5] == '-') &&
      s.find_first_not_of("0123456789", n - 4) == std::string::npos)
    s.insert(n - 2, ":");
  return ParseTime(s);
}

// Collects every problem of one event, as PagerDuty reports them all at once.
class Checker {
 public:
  void Add(std::string field, std::string message) {
    errors_.push_back({std::move(field), std::move(message)});
  }
  bool ok() const { return errors_.empty(); }
  Status ToStatus() const {
    return Status(Code::kInvalidArgument, errors_[0].field + ": " + errors_[0].message, errors_);
  }

  // The string at `obj[name]`, or nullopt when absent/null or of the wrong type (noted).
  std::optional<std::string> String(const json& obj, const char* name, const std::string& path,
                                    size_t max_bytes) {
    auto it = obj.find(name);
    if (it == obj.end() || it->is_null()) return std::nullopt;
    if (!it->is_string()) {
      Add(path, "must be a string");
      return std::nullopt;
    }
    const std::string& s = it->get_ref<const std::string&>();
    if (s.size() > max_bytes) {
      Add(path, "is longer than " + std::to_string(max_bytes) + " bytes");
      return std::nullopt;
    }
    return s;
  }

  // `links` ([{href, text?}]) or `images` ([{src, href?, alt?}]) as one JSON annotation.
  void Array(const json& doc, const char* name, const char* required, Labels& annotations) {
    auto it = doc.find(name);
    if (it == doc.end() || it->is_null()) return;
    std::string path = std::string("/") + name;
    if (!it->is_array()) return Add(path, "must be an array");
    for (size_t i = 0; i < it->size(); ++i) {
      const json& e = (*it)[i];
      std::string p = path + "/" + std::to_string(i);
      if (!e.is_object()) return Add(p, "must be an object");
      auto r = e.find(required);
      if (r == e.end() || !r->is_string() || r->get_ref<const std::string&>().empty())
        return Add(p + "/" + required, "is required and must be a string");
    }
    if (it->empty()) return;
    std::string text = it->dump();
    if (text.size() > kLimits.max_annotation)
      return Add(path, "is longer than " + std::to_string(kLimits.max_annotation) + " bytes");
    annotations[name] = std::move(text);
  }

  void CustomDetails(const json& details, Labels& annotations) {
    if (details.is_null()) return;
    if (!details.is_object()) {  // PagerDuty documents an object; keep anything else whole
      annotations["custom_details"] =
          Clip(details.is_string() ? details.get<std::string>() : details.dump(),
               kLimits.max_annotation);
      return;
    }
    if (details.size() > kLimits.max_labels - 8)  // room for summary, client, links, images
      return Add("/payload/custom_details",
                 "has more than " + std::to_string(kLimits.max_labels - 8) + " entries");
    for (auto it = details.begin(); it != details.end(); ++it) {
      if (it.key().empty() || it.key().size() > kLimits.max_name) {
        Add("/payload/custom_details/" + it.key(),
            "name must be 1-" + std::to_string(kLimits.max_name) + " bytes");
        continue;
      }
      // Senders build these from whole alert lists: a long value is cut, not refused.
      std::string v = it->is_string() ? it->get<std::string>() : it->dump();
      annotations[it.key()] = Clip(std::move(v), kLimits.max_annotation);
    }
  }

  void Payload(const json& p, bool trigger, PagerDutyEvent& ev) {
    NormalizedAlert& a = ev.alert;
    if (!p.is_object()) return Add("/payload", "must be an object");
    ev.has_payload = true;
    auto summary = String(p, "summary", "/payload/summary", 4 * kPagerDutyLimits.max_summary);
    if (summary && Utf8Chars(*summary) > kPagerDutyLimits.max_summary)
      Add("/payload/summary",
          "is longer than " + std::to_string(kPagerDutyLimits.max_summary) + " characters");
    else if (summary && !summary->empty())
      a.annotations["summary"] = *summary;
    else if (trigger && !Has(p, "summary"))
      Add("/payload/summary", "is required");
    else if (trigger && summary)
      Add("/payload/summary", "must not be empty");

    auto severity = String(p, "severity", "/payload/severity", 16);
    if (severity) {
      if (std::find(std::begin(kSeverities), std::end(kSeverities), *severity) ==
          std::end(kSeverities))
        Add("/payload/severity", "must be one of critical, error, warning, info");
      else
        a.labels["severity"] = *severity;
    } else if (trigger && !Has(p, "severity")) {
      Add("/payload/severity", "is required");
    }

    for (const char* name : {"source", "component", "group", "class"}) {
      std::string path = std::string("/payload/") + name;
      auto v = String(p, name, path, kLimits.max_label_value);
      if (v && !v->empty()) a.labels[name] = *v;
      if (trigger && std::string_view(name) == "source" && !Has(p, "source"))
        Add(path, "is required");
      else if (trigger && std::string_view(name) == "source" && v && v->empty())
        Add(path, "must not be empty");
    }

    if (auto ts = String(p, "timestamp", "/payload/timestamp", 64)) {
      auto t = ParsePagerDutyTime(*ts);
      if (!t)
        Add("/payload/timestamp", "is not an ISO 8601 time");
      else
        a.starts_at = *t;
    }
    if (Has(p, "custom_details")) CustomDetails(p["custom_details"], a.annotations);
  }

 private:
  std::vector<FieldError> errors_;
};

}  // namespace

std::string DedupKeyFingerprint(std::string_view dedup_key) {
  return Fingerprint({{"dedup_key", std::string(dedup_key)}});
}

Result<PagerDutyEvent> ParsePagerDutyEvent(std::string_view body, TimeMs now,
                                           std::string_view generated_dedup_key, bool key_in_url) {
  if (body.size() > kPagerDutyLimits.max_event)
    return Status(Code::kTooLarge, "event is larger than 512 KB",
                  {{"/", "event is larger than 512 KB"}});
  auto parsed = ParseJson(body);
  if (!parsed.ok()) return parsed.status();
  json doc = std::move(parsed).value();
  if (!doc.is_object())
    return Status(Code::kInvalidArgument, "/: must be a JSON object",
                  {{"/", "must be a JSON object"}});

  Checker check;
  PagerDutyEvent ev;
  ev.alert.starts_at = now;
  if (auto key = check.String(doc, "routing_key", "/routing_key", 1024)) {
    ev.routing_key = *key;
    if (!key_in_url && key->size() != kPagerDutyLimits.routing_key_size)
      check.Add("/routing_key", "must be 32 characters");
  } else if (!key_in_url && !Has(doc, "routing_key")) {
    check.Add("/routing_key", "is required");
  }

  auto action = check.String(doc, "event_action", "/event_action", 32);
  if (action == "trigger") {
    ev.action = PagerDutyAction::kTrigger;
  } else if (action == "acknowledge") {
    ev.action = PagerDutyAction::kAcknowledge;
  } else if (action == "resolve") {
    ev.action = PagerDutyAction::kResolve;
  } else if (action || !Has(doc, "event_action")) {
    check.Add("/event_action", action ? "must be trigger, acknowledge or resolve" : "is required");
  }
  bool trigger = action == "trigger";

  if (auto key = check.String(doc, "dedup_key", "/dedup_key", kPagerDutyLimits.max_dedup_key))
    ev.dedup_key = *key;
  if (ev.dedup_key.empty()) {
    if (trigger)
      ev.dedup_key = std::string(generated_dedup_key);
    else if (action && !Has(doc, "dedup_key"))
      check.Add("/dedup_key", "is required for " + *action);
    else if (action && doc["dedup_key"].is_string())  // a wrong type is already noted
      check.Add("/dedup_key", "must not be empty");
  }

  if (Has(doc, "payload"))
    check.Payload(doc["payload"], trigger, ev);
  else if (trigger)
    check.Add("/payload", "is required for trigger");

  if (auto client = check.String(doc, "client", "/client", kLimits.max_label_value))
    if (!client->empty()) ev.alert.annotations["client"] = *client;
  if (auto url = check.String(doc, "client_url", "/client_url", kLimits.max_url))
    ev.alert.generator_url = *url;
  check.Array(doc, "links", "href", ev.alert.annotations);
  check.Array(doc, "images", "src", ev.alert.annotations);
  if (!check.ok()) return check.ToStatus();

  ev.alert.labels["dedup_key"] = ev.dedup_key;
  ev.alert.fingerprint = DedupKeyFingerprint(ev.dedup_key);
  ev.alert.firing = ev.action != PagerDutyAction::kResolve;
  if (!ev.alert.firing) ev.alert.ends_at = std::max(now, ev.alert.starts_at);
  return ev;
}

}  // namespace klaxon::intake
