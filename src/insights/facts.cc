// Loads analytics facts from the store (see facts.h).
#include "insights/facts.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string_view>
#include <tuple>
#include <unordered_map>

namespace klaxon::insights {

namespace {

using analytics::IncidentFacts;
using analytics::PageFacts;

// The key moments are named as response::Response marks them (response::kMoments). The
// `kind = … OR …` term repeats the partial index's WHERE (migration 17) word for word:
// SQLite uses a partial index only when the query's WHERE has a term that is the same
// expression.
constexpr FactsQuery kQueries[] = {
    {"incidents",
     "SELECT id, title, severity, service_id, created_at, acknowledged_at, "
     "CASE WHEN status = 'resolved' THEN resolved_at END, drill, noise_reason IS NOT NULL "
     "FROM incidents WHERE created_at >= ? AND created_at < ?"},
    {"services", "SELECT id, name, owner FROM services"},
    {"incident_moments",
     "SELECT incident_id, CASE WHEN moment = 'mitigation_started' THEN 1 ELSE 0 END, at "
     "FROM incident_moments "
     "WHERE incident_id BETWEEN ? AND ? AND moment IN ('mitigation_started', 'service_restored')"},
    {"incident_clocks",
     "SELECT incident_id, ack_due_at, resolve_due_at, updates, review_due_at FROM incident_clocks "
     "WHERE incident_id BETWEEN ? AND ?"},
    {"reviews",
     "SELECT incident_id, due_at, published_at FROM reviews WHERE incident_id BETWEEN ? AND ?"},
    {"events",
     "SELECT incident_id, kind, COUNT(*), MIN(at) FROM events "
     "WHERE (kind = 'incident.acknowledged' OR kind = 'incident.reopened' OR "
     "kind = 'incident.update_late') AND incident_id BETWEEN ? AND ? GROUP BY incident_id, kind"},
    {"alerts",
     "SELECT incident_id, labels, noise_reason IS NOT NULL FROM alerts WHERE incident_id "
     "BETWEEN ? AND ? ORDER BY incident_id, first_seen, id"},
    {"action_items",
     "SELECT incident_id, "
     "SUM(CASE WHEN status IN ('open', 'in_progress') THEN 1 ELSE 0 END), "
     "SUM(CASE WHEN status IN ('open', 'in_progress') AND due_at < ? THEN 1 ELSE 0 END), "
     "SUM(CASE WHEN status = 'done' THEN 1 ELSE 0 END) "
     "FROM action_items WHERE incident_id BETWEEN ? AND ? GROUP BY incident_id"},
    {"pages",
     "SELECT incident_id, user_id, idem_key, created_at, "
     "CASE WHEN status = 'cancelled' THEN 0 ELSE 1 END FROM outbox "
     "WHERE kind = 'page' AND created_at >= ? AND created_at < ?"},
    {"drills", "SELECT id FROM incidents WHERE id BETWEEN ? AND ? AND drill = 1"},

    {"users", "SELECT id, username, time_zone FROM users"},
};

const char* Sql(std::string_view name) {
  for (const auto& q : kQueries)
    if (name == q.name) return q.sql;
  return "";
}

// The loaded incidents by id, and the range of their ids.
class IncidentIndex {
 public:
  explicit IncidentIndex(std::vector<IncidentFacts>& incidents) : incidents_(incidents) {
    by_id_.reserve(incidents.size());
    for (size_t i = 0; i < incidents.size(); ++i) {
      by_id_.emplace(incidents[i].id, i);
      first_ = std::min(first_, incidents[i].id);
      last_ = std::max(last_, incidents[i].id);
    }
  }
  // The incident with this id, or nullptr when it was not loaded.
  IncidentFacts* Find(int64_t id) {
    auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : &incidents_[it->second];
  }
  // Runs query `name` over the id range (after `before`) and calls fn(incident, row) for the
  // rows of loaded incidents (column 0 is the incident id).
  template <typename Fn>
  Status ForEach(store::Tx& tx, std::string_view name, Fn fn, store::Params before = {}) {
    before.push_back(first_);
    before.push_back(last_);
    auto rows = tx.Query(Sql(name), before);
    if (!rows.ok()) return rows.status();
    for (const store::Row& r : *rows)
      if (IncidentFacts* f = Find(r.Int(0))) fn(*f, r);
    return Status::Ok();
  }

 private:
  std::vector<IncidentFacts>& incidents_;
  std::unordered_map<int64_t, size_t> by_id_;
  int64_t first_ = INT64_MAX, last_ = INT64_MIN;
};

// The value of `key` in `map`, or `otherwise`.
template <typename Map>
typename Map::mapped_type Lookup(const Map& map, const typename Map::key_type& key,
                                 typename Map::mapped_type otherwise) {
  auto it = map.find(key);
  return it == map.end() ? otherwise : it->second;
}

Result<std::vector<IncidentFacts>> LoadIncidents(store::Tx& tx, const LoadOptions& o) {
  auto services = tx.Query(Sql("services"));
  if (!services.ok()) return services.status();
  std::unordered_map<int64_t, std::pair<std::string, std::string>> service_by_id;  // name, owner
  for (const store::Row& r : *services)
    service_by_id.emplace(r.Int(0), std::pair(r.Str(1), r.Str(2)));
  auto rows = tx.Query(Sql("incidents"), {o.from, o.to});
  if (!rows.ok()) return rows.status();
  std::vector<IncidentFacts> out;
  out.reserve(rows->size());
  for (const store::Row& r : *rows) {
    IncidentFacts f;
    f.id = r.Int(0);
    f.ref = "INC-" + std::to_string(f.id);
    f.title = r.Str(1);
    f.severity = r.Str(2);
    f.severity_rank = Lookup(o.severity_rank, f.severity, kUnknownSeverityRank);
    std::string owner;
    if (!r.IsNull(3))
      if (auto s = service_by_id.find(r.Int(3)); s != service_by_id.end())
        std::tie(f.service, owner) = s->second;
    f.team = Lookup(o.team_by_service, f.service, owner);
    if (auto rto = o.rto_ms_by_service.find(f.service); rto != o.rto_ms_by_service.end())
      f.rto = rto->second;
    f.created_at = r.Int(4);
    f.acknowledged_at = r.OptInt(5);
    f.resolved_at = r.OptInt(6);
    f.drill = r.Int(7) != 0;
    f.noise = r.Int(8) != 0;
    out.push_back(std::move(f));
  }
  return out;
}

// Finds the string value of the top-level key "alertname" in a JSON object and stops
// there: labels are parsed once per alert, so no document is built.
class AlertnameFinder final : public nlohmann::json_sax<nlohmann::json> {
 public:
  std::string alertname;

  bool null() override { return Value(); }
  bool boolean(bool) override { return Value(); }
  bool number_integer(number_integer_t) override { return Value(); }
  bool number_unsigned(number_unsigned_t) override { return Value(); }
  bool number_float(number_float_t, const string_t&) override { return Value(); }
  bool binary(binary_t&) override { return Value(); }
  bool string(string_t& s) override {
    if (!wanted_) return Value();
    alertname = std::move(s);
    return false;  // found: stop
  }
  bool key(string_t& k) override {
    wanted_ = depth_ == 1 && k == "alertname";
    return true;
  }
  bool start_object(std::size_t) override { return Open(); }
  bool end_object() override { return Close(); }
  bool start_array(std::size_t) override { return depth_ > 0 && Open(); }  // a top-level array
  bool end_array() override { return Close(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  bool Value() {
    wanted_ = false;
    return depth_ > 0;  // a top-level scalar is no object
  }
  bool Open() {
    wanted_ = false;
    ++depth_;
    return true;
  }
  bool Close() {
    --depth_;
    return true;
  }
  int depth_ = 0;
  bool wanted_ = false;
};

// The `alertname` label of an alert's labels (a JSON object), or "".
std::string Alertname(const std::string& labels) {
  AlertnameFinder finder;
  nlohmann::json::sax_parse(labels, &finder, nlohmann::json::input_format_t::json, false);
  return std::move(finder.alertname);
}

Status LoadIncidentDetails(store::Tx& tx, const LoadOptions& o, IncidentIndex& index) {
  KLAXON_RETURN_IF_ERROR(
      index.ForEach(tx, "incident_moments", [](IncidentFacts& f, const store::Row& r) {
        (r.Int(1) ? f.mitigated_at : f.restored_at) = r.Int(2);
      }));
  KLAXON_RETURN_IF_ERROR(
      index.ForEach(tx, "incident_clocks", [](IncidentFacts& f, const store::Row& r) {
        if (!r.IsNull(1)) f.ack_target = r.Int(1) - f.created_at;
        if (!r.IsNull(2)) f.resolve_target = r.Int(2) - f.created_at;
        f.updates_posted = static_cast<int>(r.Int(3));
        // A review (below) replaces this deadline.
        f.review_due_at = r.OptInt(4);
      }));
  KLAXON_RETURN_IF_ERROR(index.ForEach(tx, "reviews", [](IncidentFacts& f, const store::Row& r) {
    f.review_due_at = r.OptInt(1);
    f.review_published_at = r.OptInt(2);
  }));
  KLAXON_RETURN_IF_ERROR(index.ForEach(tx, "events", [](IncidentFacts& f, const store::Row& r) {
    std::string kind = r.Str(1);
    int n = static_cast<int>(r.Int(2));
    if (kind == "incident.update_late") f.updates_late = n;
    if (kind == "incident.reopened") f.reopened = n;
    // The first acknowledgement: reopening clears the incident's acknowledged_at.
    if (kind == "incident.acknowledged") f.acknowledged_at = r.Int(3);
  }));
  // Rows arrive by incident, then first seen: alertnames keep that order.
  KLAXON_RETURN_IF_ERROR(index.ForEach(tx, "alerts", [](IncidentFacts& f, const store::Row& r) {
    std::string name = Alertname(r.Str(1));
    if (name.empty()) return;
    auto add = [&](std::vector<std::string>& names) {
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    };
    add(f.alertnames);
    if (r.Int(2) != 0) add(f.noise_alertnames);  // marked noise on its own
  }));
  return index.ForEach(tx, "action_items",
                       [](IncidentFacts& f, const store::Row& r) {
                         f.action_items_open = static_cast<int>(r.Int(1));
                         f.action_items_overdue = static_cast<int>(r.Int(2));
                         f.action_items_done = static_cast<int>(r.Int(3));
                       },
                       {o.now});
}

// The part of an idem_key that names the firing and the person: without the last two
// fields (contact method, delay). The whole key when it has fewer than three ':'.
std::string_view PageKey(std::string_view idem_key) {
  size_t last = idem_key.rfind(':');
  if (last == std::string_view::npos || last == 0) return idem_key;
  size_t method = idem_key.rfind(':', last - 1);
  if (method == std::string_view::npos || method == 0) return idem_key;
  if (idem_key.rfind(':', method - 1) == std::string_view::npos) return idem_key;
  return idem_key.substr(0, method);
}

// Sets the pages' drill flags: from `incidents` (the loaded ones), else from the store.
Status MarkDrillPages(store::Tx& tx, const std::vector<IncidentFacts>& incidents,
                      std::vector<PageFacts>& pages) {
  std::unordered_map<int64_t, bool> drill;
  for (const IncidentFacts& f : incidents) drill.emplace(f.id, f.drill);
  int64_t first = INT64_MAX, last = INT64_MIN;
  for (const PageFacts& p : pages) {
    if (p.incident_id == 0 || drill.contains(p.incident_id)) continue;
    first = std::min(first, p.incident_id);
    last = std::max(last, p.incident_id);
  }
  if (first <= last) {
    auto rows = tx.Query(Sql("drills"), {first, last});
    if (!rows.ok()) return rows.status();
    for (const store::Row& r : *rows) drill.emplace(r.Int(0), true);
  }
  for (PageFacts& p : pages) p.drill = Lookup(drill, p.incident_id, false);
  return Status::Ok();
}

Result<std::vector<PageFacts>> LoadPages(store::Tx& tx, const LoadOptions& o,
                                         const std::vector<IncidentFacts>& incidents) {
  auto users = tx.Query(Sql("users"));
  if (!users.ok()) return users.status();
  std::unordered_map<int64_t, const store::Row*> user_by_id;
  for (const store::Row& u : *users) user_by_id.emplace(u.Int(0), &u);
  auto rows = tx.Query(Sql("pages"), {o.pages_from, o.pages_to});
  if (!rows.ok()) return rows.status();

  struct Page {
    PageFacts facts;
    bool reached = false;  // some row was not cancelled
  };
  std::vector<Page> pages;
  std::unordered_map<std::string, size_t> by_key;  // incident id, '\n', PageKey -> pages
  std::string key;
  for (const store::Row& r : *rows) {
    if (r.IsNull(1)) continue;
    auto user = user_by_id.find(r.Int(1));
    if (user == user_by_id.end()) continue;
    int64_t incident_id = r.IsNull(0) ? 0 : r.Int(0);
    std::string idem_key = r.Str(2);
    key = std::to_string(incident_id);
    key += '\n';
    key += PageKey(idem_key);
    auto [it, added] = by_key.try_emplace(key, pages.size());
    if (added) {
      Page p;
      p.facts.username = user->second->Str(1);
      p.facts.at = r.Int(3);
      p.facts.time_zone = user->second->Str(2);
      p.facts.incident_id = incident_id;
      pages.push_back(std::move(p));
    }
    Page& p = pages[it->second];
    p.facts.at = std::min(p.facts.at, r.Int(3));
    if (r.Int(4) != 0) p.reached = true;
  }

  std::vector<PageFacts> out;
  out.reserve(pages.size());
  for (Page& p : pages)
    if (p.reached) out.push_back(std::move(p.facts));
  KLAXON_RETURN_IF_ERROR(MarkDrillPages(tx, incidents, out));
  std::sort(out.begin(), out.end(), [](const PageFacts& a, const PageFacts& b) {
    return std::tie(a.at, a.incident_id, a.username) < std::tie(b.at, b.incident_id, b.username);
  });
  return out;
}

}  // namespace

std::span<const FactsQuery> FactsQueries() { return kQueries; }

Result<Facts> LoadFacts(store::Tx& tx, const LoadOptions& o) {
  Facts facts;
  KLAXON_ASSIGN_OR_RETURN(facts.incidents, LoadIncidents(tx, o));
  if (!facts.incidents.empty()) {
    IncidentIndex index(facts.incidents);
    KLAXON_RETURN_IF_ERROR(LoadIncidentDetails(tx, o, index));
  }
  std::sort(facts.incidents.begin(), facts.incidents.end(),
            [](const IncidentFacts& a, const IncidentFacts& b) {
              return std::tie(a.created_at, a.id) < std::tie(b.created_at, b.id);
            });
  KLAXON_ASSIGN_OR_RETURN(facts.pages, LoadPages(tx, o, facts.incidents));
  return facts;
}

}  // namespace klaxon::insights
