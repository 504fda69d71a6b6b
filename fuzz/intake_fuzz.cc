// libFuzzer target for the intake parsers: any bytes must give alerts or a Status,
// never a crash, a sanitizer report, or an alert that breaks the parser's own limits.
// KLAXON_FUZZ_PARSER selects the adapter (see scripts/run-fuzz).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

#include "intake/alert.h"
#include "intake/generic.h"
#include "intake/grafana.h"
#include "intake/pagerduty.h"
#include "intake/webhook_internal.h"

namespace {
using klaxon::intake::kLimits;

void Check(const klaxon::Result<std::vector<klaxon::intake::NormalizedAlert>>& r) {
  if (!r.ok()) return;
  if (r->size() > kLimits.max_alerts) std::abort();
  for (const auto& a : r.value()) {
    if (a.labels.empty() || a.labels.size() > kLimits.max_labels) std::abort();
    if (a.fingerprint.size() != 16) std::abort();
    if (a.ends_at && *a.ends_at < a.starts_at && a.firing) std::abort();
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  constexpr klaxon::TimeMs kNow = 1'795'000'000'000;
#if KLAXON_FUZZ_PARSER == 1
  Check(klaxon::intake::ParseAlertmanagerWebhook(body, kNow));
#elif KLAXON_FUZZ_PARSER == 2
  Check(klaxon::intake::ParsePostableAlerts(body, kNow));
  // The fast path takes only what the full parser reads the same way.
  if (auto fast = klaxon::intake::internal::FastPostableAlerts(body, kNow)) {
    auto slow = klaxon::intake::internal::SlowPostableAlerts(body, kNow);
    if (!slow.ok() || slow->size() != fast->size()) std::abort();
    for (size_t i = 0; i < fast->size(); ++i) {
      const auto &f = (*fast)[i], &s = (*slow)[i];
      if (f.fingerprint != s.fingerprint || f.firing != s.firing || f.labels != s.labels ||
          f.annotations != s.annotations || f.starts_at != s.starts_at || f.ends_at != s.ends_at ||
          f.generator_url != s.generator_url)
        std::abort();
    }
  }
#elif KLAXON_FUZZ_PARSER == 3
  auto e = klaxon::intake::ParsePagerDutyEvent(body, kNow, "0123456789abcdef0123456789abcdef",
                                               size % 2 == 0);
  if (e.ok() && e.value().alert.labels.empty()) std::abort();
#elif KLAXON_FUZZ_PARSER == 4
  Check(klaxon::intake::ParseGrafanaWebhook(body, kNow));
#elif KLAXON_FUZZ_PARSER == 5
  // The body under the default mapping, or one that reads a nested array of events (by the
  // size's parity); then the bytes as a mapping, which, if accepted, must read a body.
  using klaxon::intake::GenericMapping;
  static const GenericMapping kDefault;
  static const GenericMapping kNested = [] {
    GenericMapping m;
    m.events = "/items";
    m.title = "/name";
    m.dedup_key = "/id";
    m.status = "/state";
    m.severity = "/level";
    m.labels = "/tags";
    m.resolved_values = {"done", "0"};
    return m;
  }();
  Check(klaxon::intake::ParseGenericWebhook(body, size % 2 ? kNested : kDefault, kNow));
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_discarded()) {
    auto m = GenericMapping::FromJson(j);
    if (m.ok())
      Check(klaxon::intake::ParseGenericWebhook(
          R"([{"title":"t","dedup_key":"k","status":"ok","labels":{"a":"b"},"x":{"y":[1]}}])", *m,
          kNow));
  }
#else
#error "define KLAXON_FUZZ_PARSER"
#endif
  return 0;
}
