// Grafana Alerting webhook contact point (unified alerting, body `version` "1"): the
// Alertmanager webhook shape plus Grafana's extras.
//
// Alerts are read as for Alertmanager; the extras a person follows when paged become
// annotations: silenceURL → silence_url, dashboardURL → dashboard_url, panelURL →
// panel_url, imageURL → image_url, valueString → value_string, values → values (JSON
// text), ruleUID → rule_uid. The top-level title/message/state/orgId are checked for type
// and not stored (each alert carries its own). Grafana's `fingerprint` is computed by
// Grafana's own hash and is ignored: ours is Fingerprint(labels), as for Alertmanager, so
// the same label set is one alert whichever sender reports it.
// Pure function of (body, now); any thread.
#pragma once

#include <string_view>
#include <vector>

#include "intake/alert.h"

namespace klaxon::intake {

Result<std::vector<NormalizedAlert>> ParseGrafanaWebhook(std::string_view body, TimeMs now);

}  // namespace klaxon::intake
