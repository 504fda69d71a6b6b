#include "intake/grafana.h"

#include "intake/webhook_internal.h"

namespace klaxon::intake {

namespace {

using internal::Bad;
using nlohmann::json;

std::string AlertPath(size_t i, std::string_view field) {
  return "/alerts/" + std::to_string(i) + "/" + std::string(field);
}

// Copies the string field `name` of `a` (if present and not empty) to annotation `to`.
Status CopyString(const json& a, size_t i, const char* name, const char* to, size_t max,
                  NormalizedAlert& out) {
  auto it = a.find(name);
  if (it == a.end() || it->is_null()) return Status::Ok();
  if (!it->is_string()) return Bad(AlertPath(i, name), "must be a string");
  const std::string& v = it->get_ref<const std::string&>();
  if (v.size() > max)
    return Bad(AlertPath(i, name), "is longer than " + std::to_string(max) + " bytes");
  if (!v.empty()) out.annotations[to] = v;
  return Status::Ok();
}

Status GrafanaExtras(const json& a, size_t i, NormalizedAlert& out) {
  KLAXON_RETURN_IF_ERROR(CopyString(a, i, "silenceURL", "silence_url", kLimits.max_url, out));
  KLAXON_RETURN_IF_ERROR(CopyString(a, i, "dashboardURL", "dashboard_url", kLimits.max_url, out));
  KLAXON_RETURN_IF_ERROR(CopyString(a, i, "panelURL", "panel_url", kLimits.max_url, out));
  KLAXON_RETURN_IF_ERROR(CopyString(a, i, "imageURL", "image_url", kLimits.max_url, out));
  KLAXON_RETURN_IF_ERROR(CopyString(a, i, "ruleUID", "rule_uid", kLimits.max_name, out));
  KLAXON_RETURN_IF_ERROR(
      CopyString(a, i, "valueString", "value_string", kLimits.max_annotation, out));
  if (auto it = a.find("values"); it != a.end() && !it->is_null()) {
    if (!it->is_object()) return Bad(AlertPath(i, "values"), "must be an object of numbers");
    if (it->size() > kLimits.max_labels)
      return Bad(AlertPath(i, "values"),
                 "has more than " + std::to_string(kLimits.max_labels) + " entries");
    for (auto v = it->begin(); v != it->end(); ++v)
      if (!v->is_number() && !v->is_null())
        return Bad(AlertPath(i, "values") + "/" + v.key(), "must be a number");
    if (!it->empty()) out.annotations["values"] = it->dump();
  }
  if (auto it = a.find("orgId"); it != a.end() && !it->is_null() && !it->is_number_integer())
    return Bad(AlertPath(i, "orgId"), "must be an integer");
  return Status::Ok();
}

}  // namespace

Result<std::vector<NormalizedAlert>> ParseGrafanaWebhook(std::string_view body, TimeMs now) {
  auto doc = internal::ParseBody(body);
  if (!doc.ok()) return doc.status();
  if (!doc->is_object()) return Bad("/", "must be a Grafana webhook object");
  for (const char* name : {"title", "message", "receiver", "externalURL", "groupKey"}) {
    auto it = doc->find(name);
    if (it != doc->end() && !it->is_null() && !it->is_string())
      return Bad(std::string("/") + name, "must be a string");
  }
  if (auto it = doc->find("state"); it != doc->end() && !it->is_null() && !it->is_string())
    return Bad("/state", "must be a string (alerting or ok)");
  if (auto it = doc->find("orgId"); it != doc->end() && !it->is_null() && !it->is_number_integer())
    return Bad("/orgId", "must be an integer");
  return internal::ParseWebhook(*doc, now, "1", GrafanaExtras);
}

}  // namespace klaxon::intake
