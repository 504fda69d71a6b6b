#include "alerts/suppression.h"

#include <algorithm>

namespace klaxon::alerts {

using nlohmann::json;

namespace {

json SilenceMatchers(const Silence& s) {
  json ms = json::array();
  for (const auto& m : s.matchers) ms.push_back(m.ToJson());
  return ms;
}

json WindowSpec(const MaintenanceWindow& w) {
  json j = w.ToJson(0);
  for (const char* k : {"id", "service_id", "active", "next_start"}) j.erase(k);
  return j;
}

constexpr const char* kSilenceColumns =
    "SELECT id, matchers, starts_at, ends_at, created_by, comment, expired_at FROM silences ";

Result<std::vector<Silence>> SilenceRows(store::Tx& tx, const std::string& sql,
                                         const store::Params& params) {
  auto rows = tx.Query(sql, params);
  if (!rows.ok()) return rows.status();
  std::vector<Silence> out;
  for (const auto& r : *rows) {
    Silence s;
    s.id = r.Int(0);
    json ms = json::parse(r.Str(1), nullptr, false);
    for (size_t i = 0; ms.is_array() && i < ms.size(); ++i) {
      auto m = ParseMatcher(ms[i], "/matchers/" + std::to_string(i));
      if (m.ok()) s.matchers.push_back(std::move(m).value());
    }
    s.starts_at = r.Int(2);
    s.ends_at = r.Int(3);
    s.created_by = r.Str(4);
    s.comment = r.Str(5);
    s.expired_at = r.OptInt(6);
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::vector<MaintenanceWindow>> LoadWindows(store::Tx& tx) {
  auto rows = tx.Query(
      "SELECT id, service_id, spec FROM maintenance_windows WHERE deleted_at IS NULL ORDER BY id");
  if (!rows.ok()) return rows.status();
  std::vector<MaintenanceWindow> out;
  for (const auto& r : *rows) {
    auto w = ParseMaintenanceWindow(json::parse(r.Str(2), nullptr, false));
    if (!w.ok()) continue;
    w->id = r.Int(0);
    w->service_id = r.Int(1);
    out.push_back(std::move(w).value());
  }
  return out;
}

}  // namespace

Result<Suppression> Suppression::From(store::Tx& tx, const std::vector<Silence>& silences,
                                      const std::vector<MaintenanceWindow>& windows, TimeMs now) {
  Suppression s;
  for (const auto& silence : silences)
    if (!silence.expired_at && silence.starts_at <= now && now < silence.ends_at)
      s.silences_.push_back(silence);
  for (const auto& w : windows)
    if (w.ActiveAt(now)) s.services_in_maintenance_.push_back(w.service_id);
  if (!s.services_in_maintenance_.empty()) {
    auto rows = tx.Query("SELECT id, name FROM services");
    if (!rows.ok()) return rows.status();
    for (const auto& r : *rows) s.service_ids_[r.Str(1)] = r.Int(0);
  }
  return s;
}

SuppressionCache::SuppressionCache(events::EventLog& log) {
  log.AddTxHook([state = state_](store::Tx& tx, const events::Event& e) {
    if (e.kind.starts_with("silence.") || e.kind.starts_with("maintenance.")) {
      state->Drop();
      // Run at the commit; dropped unrun when the change rolls back: either way, drop.
      struct DropWhenDone {
        std::shared_ptr<State> state;
        ~DropWhenDone() { state->Drop(); }
      };
      tx.OnCommit([drop = std::make_shared<DropWhenDone>(state)] { drop->state->Drop(); });
    }
    return Status::Ok();
  });
}

void SuppressionCache::State::Drop() {
  std::lock_guard lock(mu);
  rows.reset();
  ++generation;
}

Result<Suppression> SuppressionCache::Load(store::Tx& tx, TimeMs now) {
  std::shared_ptr<const Rows> rows;
  uint64_t generation;
  {
    std::lock_guard lock(state_->mu);
    rows = state_->rows;
    generation = state_->generation;
  }
  if (!rows || now < rows->read_at) {
    auto fresh = std::make_shared<Rows>();
    fresh->read_at = now;
    // Those not over yet, ahead of their start too: the clock decides per batch.
    auto silences = SilenceRows(
        tx, std::string(kSilenceColumns) + "WHERE expired_at IS NULL AND ends_at > ? ORDER BY id",
        {now});
    if (!silences.ok()) return silences.status();
    fresh->silences = std::move(silences).value();
    auto windows = LoadWindows(tx);
    if (!windows.ok()) return windows.status();
    fresh->windows = std::move(windows).value();
    rows = fresh;
    std::lock_guard lock(state_->mu);
    if (generation == state_->generation) state_->rows = rows;  // not if a change came meanwhile
  }
  return Suppression::From(tx, rows->silences, rows->windows, now);
}

bool Suppression::Suppressed(const intake::Labels& labels,
                             std::optional<int64_t> integration_service) const {
  for (const auto& s : silences_)
    if (s.Matches(labels)) return true;
  if (services_in_maintenance_.empty()) return false;
  std::optional<int64_t> service = integration_service;
  if (!service) {
    auto l = labels.find("service");
    if (l != labels.end())
      if (auto it = service_ids_.find(l->second); it != service_ids_.end()) service = it->second;
  }
  return service && std::find(services_in_maintenance_.begin(), services_in_maintenance_.end(),
                              *service) != services_in_maintenance_.end();
}

Result<Silence> SuppressionStore::CreateSilence(store::Tx& tx, Silence s,
                                                const events::Actor& actor) {
  if (s.matchers.empty()) return InvalidField("/matchers", "needs at least one matcher");
  if (s.ends_at <= s.starts_at) return InvalidField("/ends_at", "must be after starts_at");
  s.created_by = actor.name;
  auto row = tx.QueryOne(
      "INSERT INTO silences(matchers, starts_at, ends_at, created_by, comment, created_at) VALUES "
      "(?,?,?,?,?,?) "
      "RETURNING id",
      {SilenceMatchers(s).dump(), s.starts_at, s.ends_at, s.created_by, s.comment, clock_.Now()});
  if (!row.ok()) return row.status();
  s.id = (*row)->Int(0);
  auto seq = log_.Append(
      tx, events::Event::Of(
              "silence.created", actor,
              {{"silence_id", s.id}, {"matchers", SilenceMatchers(s)}, {"comment", s.comment}}));
  if (!seq.ok()) return seq.status();
  return s;
}

Result<std::vector<Silence>> SuppressionStore::ListSilences(store::Tx& tx) {
  return SilenceRows(tx, std::string(kSilenceColumns) + "ORDER BY id DESC LIMIT 1000", {});
}

Status SuppressionStore::ExpireSilence(store::Tx& tx, int64_t id, const events::Actor& actor) {
  auto row = tx.QueryOne("SELECT expired_at, ends_at FROM silences WHERE id = ?", {id});
  if (!row.ok()) return row.status();
  if (!*row) return NotFound("no silence " + std::to_string(id));
  TimeMs now = clock_.Now();
  if (!(*row)->IsNull(0) || (*row)->Int(1) <= now)
    return Conflict("silence " + std::to_string(id) + " has expired");
  KLAXON_RETURN_IF_ERROR(tx.Exec("UPDATE silences SET expired_at = ? WHERE id = ?", {now, id}));
  auto seq = log_.Append(tx, events::Event::Of("silence.expired", actor, {{"silence_id", id}}));
  return seq.ok() ? Status::Ok() : seq.status();
}

Result<MaintenanceWindow> SuppressionStore::CreateWindow(store::Tx& tx, MaintenanceWindow w,
                                                         const events::Actor& actor) {
  auto row = tx.QueryOne(
      "INSERT INTO maintenance_windows(service_id, name, spec, created_by, created_at) VALUES "
      "(?,?,?,?,?) "
      "RETURNING id",
      {w.service_id, w.name, WindowSpec(w).dump(), actor.name, clock_.Now()});
  if (!row.ok()) return row.status();
  w.id = (*row)->Int(0);
  auto seq = log_.Append(
      tx, events::Event::Of(
              "maintenance.scheduled", actor,
              {{"window_id", w.id}, {"service_id", w.service_id}, {"window", WindowSpec(w)}}));
  if (!seq.ok()) return seq.status();
  return w;
}

Result<std::vector<MaintenanceWindow>> SuppressionStore::ListWindows(store::Tx& tx) {
  return LoadWindows(tx);
}

Status SuppressionStore::DeleteWindow(store::Tx& tx, int64_t id, const events::Actor& actor) {
  auto row =
      tx.QueryOne("SELECT id FROM maintenance_windows WHERE id = ? AND deleted_at IS NULL", {id});
  if (!row.ok()) return row.status();
  if (!*row) return NotFound("no maintenance window " + std::to_string(id));
  KLAXON_RETURN_IF_ERROR(
      tx.Exec("UPDATE maintenance_windows SET deleted_at = ? WHERE id = ?", {clock_.Now(), id}));
  auto seq =
      log_.Append(tx, events::Event::Of("maintenance.cancelled", actor, {{"window_id", id}}));
  return seq.ok() ? Status::Ok() : seq.status();
}

}  // namespace klaxon::alerts
