// Deadlines on the alert side, run by the engine's durable timers:
// - heartbeats: an integration of kind "heartbeat" expects a ping every interval; a
//   missed interval (+ grace) fires its "HeartbeatMissed" alert (which opens an incident
//   like any alert), and the next ping resolves it;
// - leases: Prometheus sends each firing alert with an endsAt a few evaluation intervals
//   ahead and re-sends it while it fires. An alert whose lease runs out without a refresh
//   resolves, as in Alertmanager (swept once a minute).
// Thread-safe; holds references only.
#pragma once

#include <cstdint>

#include "alerts/alert_service.h"
#include "engine/timers.h"

namespace klaxon::alerts {

class Deadlines {
 public:
  static constexpr TimeMs kLeaseSweepMs = 60'000;

  Deadlines(const Clock& clock, AlertService& alerts, engine::Timers& timers)
      : clock_(clock), alerts_(alerts), timers_(timers) {}

  // Registers the timer handlers and the integration-created hook; arms the lease sweep.
  Status Install(store::Store& store);

  // A ping from a heartbeat integration: resolves its missed alert, moves the deadline.
  // Returns the next deadline.
  Result<TimeMs> Ping(store::Tx& tx, const Integration& in);

  static intake::NormalizedAlert MissedAlert(const Integration& in, bool firing, TimeMs now);

 private:
  Status Arm(store::Tx& tx, const Integration& in, TimeMs from);
  Status OnHeartbeatTimer(store::Tx& tx, int64_t integration_id, TimeMs due);
  Status OnLeaseSweep(store::Tx& tx);

  const Clock& clock_;
  AlertService& alerts_;
  engine::Timers& timers_;
};

}  // namespace klaxon::alerts
