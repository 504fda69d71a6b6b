// Silences and maintenance windows: their storage, and the set in force for one ingest
// batch (read once and kept by SuppressionCache, then consulted per alert).
//
// SuppressionStore holds references only and is thread-safe; a Suppression is a value
// owned by the batch that loaded it.
#pragma once

#include <map>
#include <memory>
#include <mutex>
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
  // The silences and windows of these rows in force at `now` (SuppressionCache).
  static Result<Suppression> From(store::Tx& tx, const std::vector<Silence>& silences,
                                  const std::vector<MaintenanceWindow>& windows, TimeMs now);
  // True when an active silence matches the labels, or the alert's service (the
  // integration's, else the one its `service` label names) is in a maintenance window.
  bool Suppressed(const intake::Labels& labels, std::optional<int64_t> integration_service) const;

 private:
  std::vector<Silence> silences_;
  std::vector<int64_t> services_in_maintenance_;
  std::map<std::string, int64_t> service_ids_;
};

// The silences not yet expired and the maintenance windows not cancelled, kept between
// intake batches: reading and parsing them (and compiling a matcher's regex) for every
// batch was ~8 % of the writer's time per alert at batch 1. Every change to them appends a
// silence.* or maintenance.* event, which drops the rows at once (later commands of the
// change's own Tx read them again), again when its Tx commits, and again when it rolls
// back (rows read after the change, in its Tx, would hold it). Which rows are in force is
// decided per batch from the clock.
class SuppressionCache {
 public:
  explicit SuppressionCache(events::EventLog& log);
  SuppressionCache(const SuppressionCache&) = delete;
  SuppressionCache& operator=(const SuppressionCache&) = delete;

  Result<Suppression> Load(store::Tx& tx, TimeMs now);

 private:
  struct Rows {
    TimeMs read_at = 0;  // silences over by then are left out: read again if the clock
                         // goes back before it
    std::vector<Silence> silences;
    std::vector<MaintenanceWindow> windows;
  };
  // Shared with commit hooks, which may outlive the cache.
  struct State {
    std::mutex mu;
    std::shared_ptr<const Rows> rows;  // null: read them at the next Load
    uint64_t generation = 0;           // bumped by every Drop
    void Drop();
  };

  std::shared_ptr<State> state_ = std::make_shared<State>();
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

}  // namespace klaxon::alerts
