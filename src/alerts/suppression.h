// Silences and maintenance windows: their storage, and the set in force for one ingest
// batch (loaded once per batch, then consulted per alert).
//
// SuppressionStore holds references only and is thread-safe; a Suppression is a value
// owned by the batch that loaded it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "alerts/maintenance.h"
#include "alerts/silence.h"
#include "events/event.h"
#include "store/store.h"

namespace klaxon::alerts {

class Suppression {
 public:
  static Result<Suppression> Load(store::Tx& tx, TimeMs now);
  // True when an active silence matches the labels, or the alert's service (the
  // integration's, else the one its `service` label names) is in a maintenance window.
  bool Suppressed(const intake::Labels& labels, std::optional<int64_t> integration_service) const;

 private:
  std::vector<Silence> silences_;
  std::vector<int64_t> services_in_maintenance_;
  std::map<std::string, int64_t> service_ids_;
};

class SuppressionStore {
 public:
  SuppressionStore(const Clock& clock, events::EventLog& log) : clock_(clock), log_(log) {}

  Result<Silence> CreateSilence(store::Tx& tx, Silence s, const events::Actor& actor);
  Result<std::vector<Silence>> ListSilences(store::Tx& tx);
  Status ExpireSilence(store::Tx& tx, int64_t id, const events::Actor& actor);

  Result<MaintenanceWindow> CreateWindow(store::Tx& tx, MaintenanceWindow w,
                                         const events::Actor& actor);
  Result<std::vector<MaintenanceWindow>> ListWindows(store::Tx& tx);
  Status DeleteWindow(store::Tx& tx, int64_t id, const events::Actor& actor);

  const Clock& clock() const { return clock_; }

 private:
  const Clock& clock_;
  events::EventLog& log_;
};

// Rows → values, shared by the store and Suppression::Load.
Result<std::vector<Silence>> LoadSilences(store::Tx& tx, bool active_only, TimeMs now);
Result<std::vector<MaintenanceWindow>> LoadWindows(store::Tx& tx);

}  // namespace klaxon::alerts
