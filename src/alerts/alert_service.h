// Integrations (named intake endpoints with a secret key) and the alert index: dedup by
// fingerprint, grouping of alerts into one open incident, resolve when the source says
// so, auto-resolve of the incident when its last alert resolves, and flap re-attachment.
//
// Ingest runs in the caller's write transaction, so a batch is all-or-nothing and a 2xx
// means it is committed. A refresh of a known firing alert updates last_seen and a
// counter and appends no event. Holds references only; thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "alerts/fingerprint_index.h"
#include "alerts/suppression.h"
#include "core/clock.h"
#include "events/event.h"
#include "incidents/incident_service.h"
#include "intake/alert.h"
#include "store/store.h"

namespace klaxon::alerts {

struct Integration {
  int64_t id = 0;
  std::string name;
  // "alertmanager" (webhook), "prometheus" (API v2), "pagerduty" (Events API v2),
  // "grafana" (alerting webhook) or "heartbeat" (pinged by a job; silence alerts)
  std::string kind;
  std::string key;  // secret, in the intake URL or as the bearer token
  std::optional<int64_t> service_id;
  std::vector<std::string> group_by = {"alertname", "service"};
  bool auto_resolve = true;
  int64_t flap_window_s = 300;
  TimeMs created_at = 0;
  std::optional<TimeMs> revoked_at;
  // Kind-specific settings: heartbeat_interval_seconds, heartbeat_grace_seconds.
  nlohmann::json settings = nlohmann::json::object();

  events::Actor actor() const { return {"integration", id, name}; }
  // With the secret and the intake URLs under `public_url`.
  nlohmann::json ToJson(const std::string& public_url) const;
};

// The fields a PATCH may change; absent ones stay. `settings` holds the kind-specific
// ones given (heartbeat_interval_seconds, heartbeat_grace_seconds, mapping).
struct IntegrationPatch {
  std::optional<std::string> name;
  std::optional<std::optional<int64_t>> service_id;
  std::optional<std::vector<std::string>> group_by;
  std::optional<bool> auto_resolve;
  std::optional<int64_t> flap_window_s;
  nlohmann::json settings = nlohmann::json::object();
};

bool IsIntegrationKind(std::string_view kind);
// The group_by an integration of `kind` gets when none is given: alertname + service, but
// dedup_key for PagerDuty, whose every dedup_key is its own incident there.
std::vector<std::string> DefaultGroupBy(std::string_view kind);

struct IngestResult {
  size_t received = 0;
  size_t new_alerts = 0;
  size_t refreshed = 0;
  size_t resolved = 0;
  size_t silenced = 0;
  std::vector<int64_t> incidents_opened;
};

class AlertService {
 public:
  AlertService(const Clock& clock, events::EventLog& log, incidents::IncidentService& incidents)
      : clock_(clock), log_(log), incidents_(incidents), suppressions_(log) {}

  Result<Integration> CreateIntegration(store::Tx& tx, Integration spec,
                                        const events::Actor& actor);
  // Runs inside the creating Tx (heartbeats arm their first deadline).
  void SetCreatedHook(std::function<Status(store::Tx&, const Integration&)> fn) {
    on_created_ = std::move(fn);
  }
  // Chooses the severity (and names the rule) of an incident an alert opens; without one,
  // or when it returns nothing, the alert's `severity` label decides (a level's own name,
  // or critical/high/warning/info mapped onto the built-in SEV-1…SEV-4 when those
  // exist), else the least severe level. Set once at start.
  using Classifier = std::function<std::optional<std::pair<std::string, std::string>>(
      const intake::Labels& labels, const intake::Labels& annotations)>;
  void SetClassifier(Classifier fn) { classifier_ = std::move(fn); }
  // Sees every observation of an alert (new, refresh, resolve; silenced ones too), once per
  // intake batch, in its transaction after the alerts were stored (automation rules). Set
  // once at start.
  using Observer = std::function<Status(store::Tx& tx, const Integration& in,
                                        const std::vector<intake::NormalizedAlert>& batch)>;
  void SetObserver(Observer fn) { observer_ = std::move(fn); }
  // Lists and gets leave out the built-in drill integration (kind "drill"): drills
  // (drills::Drills) inject their alerts through it, and no one else can.
  Result<std::vector<Integration>> ListIntegrations(store::Tx& tx);
  // The built-in drill integration, made on first use: alerts grouped by their
  // `drill_run` label, each group opening an incident marked as a drill.
  Result<Integration> DrillIntegration(store::Tx& tx);
  Result<Integration> GetIntegration(store::Tx& tx, int64_t id);
  Status RevokeIntegration(store::Tx& tx, int64_t id, const events::Actor& actor);
  // Changes settings (kind and key stay); a new heartbeat interval counts from now.
  Result<Integration> UpdateIntegration(store::Tx& tx, int64_t id, const IntegrationPatch& patch,
                                        const events::Actor& actor);
  // A new key; the old one answers 401 from the commit on.
  Result<Integration> RotateIntegrationKey(store::Tx& tx, int64_t id, const events::Actor& actor);
  // The active integration with this key, or Unauthenticated.
  // Cached: call it first in a read transaction (its snapshot must not predate the lookup).
  Result<Integration> FindByKey(store::Tx& tx, std::string_view key);
  // The live integration with `key` if FindByKey cached it (no transaction needed).
  std::optional<Integration> CachedByKey(std::string_view key);

  // What intake needs of a stored alert.
  struct KnownAlert {
    int64_t id = 0;
    bool firing = false;
    std::optional<int64_t> incident_id;
    std::optional<TimeMs> resolved_at;
    bool silenced = false;
  };
  // A new firing alert of a batch, waiting to be written with the others.
  struct PendingAlert {
    const intake::NormalizedAlert* alert;
    std::string group_key;
    int64_t incident;
    uint64_t index_key;  // FingerprintIndex::Key of the alert's integration and fingerprint
  };

  Result<IngestResult> Ingest(store::Tx& tx, const Integration& in,
                              const std::vector<intake::NormalizedAlert>& batch);

  // PagerDuty's acknowledge: acknowledges the incident of the firing alert `fingerprint`
  // if it is still triggered. False (nothing changed) when the alert is unknown, resolved
  // or its incident already acknowledged, as PagerDuty drops such events.
  Result<bool> AcknowledgeAlert(store::Tx& tx, const Integration& in, std::string_view fingerprint);
  // PagerDuty's resolve: resolves a known alert like Ingest (labels as stored); an unknown
  // fingerprint stores nothing and returns false.
  Result<bool> ResolveKnownAlert(store::Tx& tx, const Integration& in,
                                 const intake::NormalizedAlert& a, IngestResult& result);

  // The alerts attached to an incident, with labels, annotations, links and counts.
  Result<nlohmann::json> AlertsOfIncident(store::Tx& tx, int64_t incident_id);

  // The stored alert of `integration_id` with `fingerprint`: its row of `columns` (a
  // fixed list, e.g. "id, status"), or nullopt. Looks it up in the fingerprint index (in
  // a read transaction only once a write loaded it; serve loads it at start).
  Result<std::optional<store::Row>> FindAlert(store::Tx& tx, int64_t integration_id,
                                              std::string_view fingerprint,
                                              std::string_view columns);
  // Reads every stored alert into the fingerprint index, unless done already. Run in a
  // write transaction (the writer's view is complete, and nothing is written meanwhile);
  // serve does it before it listens, and every write that needs the index otherwise.
  Status LoadIndex(store::Tx& tx);
  size_t indexed_alerts() const { return index_.size(); }

 private:
  // One alert against its stored state (`known`, nullopt when new).
  Status IngestOne(store::Tx& tx, const Integration& in, const intake::NormalizedAlert& a,
                   const std::optional<KnownAlert>& known, const Suppression* suppression,
                   IngestResult& result);
  // Writes the batch's new firing alerts and their alert.fired events, a few statements for
  // all of them; empties `pending`.
  Status InsertNew(store::Tx& tx, const Integration& in, std::vector<PendingAlert>& pending);
  Result<int64_t> IncidentFor(store::Tx& tx, const Integration& in,
                              const intake::NormalizedAlert& a, const std::string& group_key,
                              IngestResult& result);
  Status MaybeAutoResolve(store::Tx& tx, const Integration& in, int64_t incident_id);
  // Drops the key cache now and again when `tx` commits (a reader between the two may
  // have cached the old row).
  void InvalidateKeys(store::Tx& tx);

  const Clock& clock_;
  events::EventLog& log_;
  incidents::IncidentService& incidents_;
  std::function<Status(store::Tx&, const Integration&)> on_created_;
  Classifier classifier_;
  Observer observer_;
  // The silences and maintenance windows each batch checks (suppression.h).
  SuppressionCache suppressions_;
  // Alert ids by (integration, fingerprint): see fingerprint_index.h. Loaded once.
  FingerprintIndex index_;
  std::mutex index_load_mu_;
  std::atomic<bool> index_loaded_{false};
  // FindByKey's cache of live integrations (every intake request looks its key up).
  std::mutex keys_mu_;
  std::unordered_map<std::string, Integration> keys_;
  uint64_t keys_generation_ = 0;  // bumped by every invalidation
};

// The severity level an alert's `severity` label maps to (critical → SEV-1 …).
std::string SeverityOf(const intake::Labels& labels);

}  // namespace klaxon::alerts
