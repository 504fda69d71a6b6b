#include "alerts/heartbeats.h"

#include "core/time_format.h"

namespace klaxon::alerts {

namespace {
constexpr const char* kHeartbeatTimer = "heartbeat";
constexpr const char* kLeaseTimer = "alert_leases";
constexpr size_t kMaxExpiredPerSweep = 1000;

TimeMs Window(const Integration& in) {
  return (in.settings.value("heartbeat_interval_seconds", int64_t{60}) +
          in.settings.value("heartbeat_grace_seconds", int64_t{0})) *
         1000;
}
}  // namespace

intake::NormalizedAlert Deadlines::MissedAlert(const Integration& in, bool firing, TimeMs now) {
  intake::NormalizedAlert a;
  a.firing = firing;
  a.labels = {{"alertname", "HeartbeatMissed"},
              {"heartbeat", in.name},
              {"severity", in.settings.value("severity", std::string("critical"))}};
  a.annotations = {{"summary", "No heartbeat from " + in.name + " within " +
                                   std::to_string(Window(in) / 1000) + " s"}};
  a.fingerprint = intake::Fingerprint(a.labels);
  a.starts_at = now;
  if (!firing) a.ends_at = now;
  return a;
}

Status Deadlines::Install(store::Store& store) {
  timers_.On(kHeartbeatTimer, [this](store::Tx& tx, int64_t id, TimeMs due) {
    return OnHeartbeatTimer(tx, id, due);
  });
  timers_.On(kLeaseTimer, [this](store::Tx& tx, int64_t, TimeMs) { return OnLeaseSweep(tx); });
  alerts_.SetCreatedHook([this](store::Tx& tx, const Integration& in) -> Status {
    return in.kind == "heartbeat" ? Arm(tx, in, clock_.Now()) : Status::Ok();
  });
  return store.Write([this](store::Tx& tx) -> Status {
    KLAXON_ASSIGN_OR_RETURN(auto due, timers_.DueAt(tx, kLeaseTimer, 0));
    if (due) return Status::Ok();
    return timers_.Set(tx, kLeaseTimer, 0, clock_.Now() + kLeaseSweepMs);
  });
}

Status Deadlines::Arm(store::Tx& tx, const Integration& in, TimeMs from) {
  return timers_.Set(tx, kHeartbeatTimer, in.id, from + Window(in));
}

Result<TimeMs> Deadlines::Ping(store::Tx& tx, const Integration& in) {
  TimeMs now = clock_.Now();
  IngestResult result;
  KLAXON_RETURN_IF_ERROR(
      alerts_.ResolveKnownAlert(tx, in, MissedAlert(in, false, now), result).status());
  KLAXON_RETURN_IF_ERROR(Arm(tx, in, now));
  return now + Window(in);
}

Status Deadlines::OnHeartbeatTimer(store::Tx& tx, int64_t integration_id, TimeMs /*due*/) {
  auto in = alerts_.GetIntegration(tx, integration_id);
  if (!in.ok()) return in.status().code() == Code::kNotFound ? Status::Ok() : in.status();
  if (in->revoked_at || in->kind != "heartbeat") return Status::Ok();
  // Fires the missed alert; the next ping resolves it and arms the deadline again.
  return alerts_.Ingest(tx, *in, {MissedAlert(*in, true, clock_.Now())}).status();
}

Status Deadlines::OnLeaseSweep(store::Tx& tx) {
  TimeMs now = clock_.Now();
  auto rows = tx.Query(
      "SELECT a.integration_id, a.fingerprint FROM alerts a JOIN integrations i ON i.id = "
      "a.integration_id WHERE a.status = 'firing' AND a.ends_at IS NOT NULL AND a.ends_at <= ? "
      "AND i.kind = 'prometheus' LIMIT ?",
      {now, static_cast<int64_t>(kMaxExpiredPerSweep)});
  if (!rows.ok()) return rows.status();
  for (const auto& r : *rows) {
    auto in = alerts_.GetIntegration(tx, r.Int(0));
    if (!in.ok()) return in.status();
    intake::NormalizedAlert a;
    a.fingerprint = r.Str(1);
    a.firing = false;
    a.starts_at = now;
    a.ends_at = now;
    IngestResult result;
    KLAXON_RETURN_IF_ERROR(alerts_.ResolveKnownAlert(tx, *in, a, result).status());
  }
  // More left: come back at once; else in a minute.
  TimeMs next = rows->size() == kMaxExpiredPerSweep ? now : now + kLeaseSweepMs;
  return timers_.Set(tx, kLeaseTimer, 0, next);
}

}  // namespace klaxon::alerts
