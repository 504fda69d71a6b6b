// The public status page (HTML, feeds, the compatible JSON) and its admin API.
//
// Public responses are rendered once per change: each is cached by path and rebuilt when
// the status service's generation moves (any committed status change) or the day turns
// (uptime bars, "past incidents"), with an ETag and Last-Modified for conditional GETs.
#include <sodium.h>

#include <ctime>

#include "api/api.h"
#include "core/numbers.h"
#include "core/time_format.h"
#include "status/render.h"

namespace klaxon::api {

using nlohmann::json;

namespace {

constexpr const char* kHtml = "text/html; charset=utf-8";
constexpr const char* kJson = "application/json; charset=utf-8";

std::string HttpDate(TimeMs t) {
  std::time_t secs = static_cast<std::time_t>(t / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

std::optional<TimeMs> ParseHttpDate(std::string_view s) {
  std::tm tm{};
  std::string str(s);
  const char* end = strptime(str.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end || *end != '\0') return std::nullopt;
  return static_cast<TimeMs>(timegm(&tm)) * 1000;
}

bool TagMatches(std::string_view header, std::string_view etag) {
  if (header.empty()) return false;
  if (header == "*") return true;
  while (!header.empty()) {
    size_t comma = header.find(',');
    std::string_view tag = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    while (!tag.empty() && tag.front() == ' ') tag.remove_prefix(1);
    while (!tag.empty() && tag.back() == ' ') tag.remove_suffix(1);
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == etag) return true;
  }
  return false;
}

json ComponentAdminJson(const status::Component& c, const std::vector<status::Component>& all) {
  json group = nullptr;
  for (const auto& g : all)
    if (c.group_id && g.id == *c.group_id) group = {{"id", g.id}, {"name", g.name}};
  return {{"id", c.id},
          {"public_id", c.public_id},
          {"name", c.name},
          {"description", c.description},
          {"group", group},
          {"is_group", c.is_group},
          {"position", c.position},
          {"status", std::string(status::Name(c.status))},
          {"showcase", c.showcase},
          {"only_show_if_degraded", c.only_show_if_degraded},
          {"services", c.service_ids},
          {"created_at", FormatTime(c.created_at)},
          {"updated_at", FormatTime(c.updated_at)}};
}

json OptTimeJson(const std::optional<TimeMs>& t) { return t ? json(FormatTime(*t)) : json(); }

json IncidentAdminJson(const status::Incident& i, const std::string& public_url) {
  json updates = json::array();
  for (const auto& u : i.updates) {
    json affected = json::array();
    for (const auto& a : u.affected)
      affected.push_back({{"code", a.code},
                          {"name", a.name},
                          {"old_status", a.old_status},
                          {"new_status", a.new_status}});
    updates.push_back({{"id", u.public_id},
                       {"status", u.status},
                       {"body", u.body},
                       {"created_at", FormatTime(u.created_at)},
                       {"affected_components", affected}});
  }
  return {{"id", i.id},
          {"public_id", i.public_id},
          {"kind", i.kind},
          {"name", i.name},
          {"status", i.status},
          {"impact", i.impact},
          {"incident", i.internal_incident_id ? json(*i.internal_incident_id) : json()},
          {"components", i.component_ids},
          {"started_at", FormatTime(i.started_at)},
          {"monitoring_at", OptTimeJson(i.monitoring_at)},
          {"resolved_at", OptTimeJson(i.resolved_at)},
          {"scheduled_for", OptTimeJson(i.scheduled_for)},
          {"scheduled_until", OptTimeJson(i.scheduled_until)},
          {"auto_transition", i.auto_transition},
          {"postmortem", i.postmortem},
          {"created_at", FormatTime(i.created_at)},
          {"updated_at", FormatTime(i.updated_at)},
          {"url", public_url + "/status/incidents/" + i.public_id},
          {"updates", updates}};
}

// `url` as stored ("" when unset); `public_url` where the page is actually served.
json PageAdminJson(const status::PageSettings& p, const std::string& public_url) {
  json links = json::array();
  for (const auto& l : p.links) links.push_back({{"label", l.label}, {"url", l.url}});
  return {{"name", p.name},
          {"url", p.url},
          {"time_zone", p.time_zone},
          {"logo_url", p.logo_url},
          {"accent_color", p.accent_color},
          {"links", links},
          {"about", p.about},
          {"public_url", (p.url.empty() ? public_url : p.url) + "/status"}};
}

void SecurityHeaders(http::Response& r, bool html) {
  r.Header("X-Content-Type-Options", "nosniff");
  r.Header("Referrer-Policy", "strict-origin-when-cross-origin");
  if (html) {
    r.Header("Content-Security-Policy",
             "default-src 'none'; style-src 'self'; img-src 'self' https: http: data:; "
             "base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
    r.Header("X-Frame-Options", "DENY");
  } else {
    r.Header("Access-Control-Allow-Origin", "*");
  }
}

}  // namespace

void Api::HandlePublic(http::Request& req, http::Reply reply) {
  if (req.path == "/healthz" || IsStatusPublicPath(req.path)) return Handle(req, std::move(reply));
  req.route = "unmatched";
  if (req.path == "/") {
    http::Response r;
    r.status = 302;
    r.Header("Location", "/status");
    return reply(std::move(r));
  }
  http::Response r = http::Response::Text(404, "Not found.\n");
  SecurityHeaders(r, false);
  reply(std::move(r));
}

bool Api::IsStatusPublicPath(const std::string& path) const {
  if (path == "/status" || path.starts_with("/status/")) return true;
  return path.starts_with("/api/v2/") && path.ends_with(".json");
}

void Api::StatusPublic(http::Request& req, http::Reply reply) {
  req.route = req.path.starts_with("/api/v2/") ? "/api/v2/*.json" : "/status";
  if (req.method != "GET" && req.method != "HEAD") {
    http::Response r = http::Response::Problem(
        Status(Code::kMethodNotAllowed, "the status page is read-only"), req.request_id);
    r.Header("Allow", "GET, HEAD");
    return reply(std::move(r));
  }
  std::string path = req.path;
  if (path.size() > 1 && path.back() == '/') path.pop_back();
  TimeMs now = d_.clock.Now();
  int64_t day = now / 86'400'000LL;
  uint64_t generation = d_.status_page.generation();

  std::shared_ptr<const CachedPage> page;
  {
    std::lock_guard lock(status_cache_mu_);
    auto it = status_cache_.find(path);
    if (it != status_cache_.end() && it->second->generation == generation && it->second->day == day)
      page = it->second;
  }
  if (!page) {
    // Render from one snapshot. Concurrent misses may render twice; both are correct.
    std::optional<status::Snapshot> snap;
    Status s = d_.store.Read([&](store::Tx& tx) -> Status {
      auto r = d_.status_page.Load(tx);
      if (!r.ok()) return r.status();
      snap = std::move(r).value();
      return Status::Ok();
    });
    if (!s.ok()) return reply(http::Response::Problem(s, req.request_id));
    if (snap->page.url.empty()) snap->page.url = d_.public_url;
    auto out = std::make_shared<CachedPage>();
    out->generation = generation;
    out->day = day;
    out->content_type = kJson;
    std::string_view p = path;
    if (p == "/api/v2/summary.json") {
      out->body = status::SummaryJson(*snap).dump();
    } else if (p == "/api/v2/status.json") {
      out->body = status::StatusJson(*snap).dump();
    } else if (p == "/api/v2/components.json") {
      out->body = status::ComponentsJson(*snap).dump();
    } else if (p == "/api/v2/incidents.json") {
      out->body = status::IncidentsJson(*snap, false).dump();
    } else if (p == "/api/v2/incidents/unresolved.json") {
      out->body = status::IncidentsJson(*snap, true).dump();
    } else if (p == "/api/v2/scheduled-maintenances.json") {
      out->body = status::MaintenancesJson(*snap, "all").dump();
    } else if (p == "/api/v2/scheduled-maintenances/upcoming.json") {
      out->body = status::MaintenancesJson(*snap, "upcoming").dump();
    } else if (p == "/api/v2/scheduled-maintenances/active.json") {
      out->body = status::MaintenancesJson(*snap, "active").dump();
    } else if (p == "/status") {
      out->content_type = kHtml;
      out->body = status::RenderHome(*snap);
    } else if (p == "/status/status.css") {
      out->content_type = "text/css; charset=utf-8";
      out->body = status::StatusCss(snap->page);
    } else if (p == "/status/feed.atom") {
      out->content_type = "application/atom+xml; charset=utf-8";
      out->body = status::RenderAtom(*snap);
    } else if (p == "/status/feed.rss") {
      out->content_type = "application/rss+xml; charset=utf-8";
      out->body = status::RenderRss(*snap);
    } else if (p == "/status/history") {
      out->content_type = kHtml;
      out->body = status::RenderHistory(*snap, "");
    } else if (p.starts_with("/status/history/") &&
               status::IsHistoryMonth(p.substr(std::string_view("/status/history/").size()))) {
      out->content_type = kHtml;
      out->body =
          status::RenderHistory(*snap, p.substr(std::string_view("/status/history/").size()));
    } else if (p.starts_with("/status/incidents/")) {
      std::string_view id = p.substr(std::string_view("/status/incidents/").size());
      const status::Incident* found = nullptr;
      for (const auto* list : {&snap->incidents, &snap->maintenances})
        for (const auto& i : *list)
          if (i.public_id == id) found = &i;
      if (!found) {
        // Older than the snapshot's window: load it alone.
        std::optional<status::Incident> one;
        Status ls = d_.store.Read([&](store::Tx& tx) -> Status {
          auto r = d_.status_page.GetIncident(tx, std::string(id));
          if (r.ok() && r->public_id == id) one = std::move(r).value();
          return r.ok() || r.status().code() == Code::kNotFound ? Status::Ok() : r.status();
        });
        if (!ls.ok()) return reply(http::Response::Problem(ls, req.request_id));
        if (one) {
          snap->incidents.push_back(std::move(*one));
          found = &snap->incidents.back();
        }
      }
      if (!found) {
        out->status = 404;
        out->content_type = "text/plain; charset=utf-8";
        out->body = "No such incident.\n";
      } else {
        out->content_type = kHtml;
        out->body = status::RenderIncident(*snap, *found);
      }
    } else {
      out->status = 404;
      out->content_type = "text/plain; charset=utf-8";
      out->body = "Not found.\n";
    }
    unsigned char hash[16];
    crypto_generichash(hash, sizeof hash, reinterpret_cast<const unsigned char*>(out->body.data()),
                       out->body.size(), nullptr, 0);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string tag = "\"";
    for (unsigned char b : hash) {
      tag += kHex[b >> 4];
      tag += kHex[b & 15];
    }
    out->etag = tag + "\"";
    out->last_modified = HttpDate(std::min(snap->updated_at, now));
    page = out;
    if (out->status == 200) {
      std::lock_guard lock(status_cache_mu_);
      if (status_cache_.size() > 500) status_cache_.clear();  // bounded: months, incidents
      status_cache_[path] = page;
    }
  }

  http::Response r;
  r.status = page->status;
  bool html = page->content_type == kHtml;
  if (page->status == 200) {
    bool not_modified = false;
    std::string_view inm = req.Header("if-none-match");
    if (!inm.empty()) {
      not_modified = TagMatches(inm, page->etag);
    } else if (auto since = ParseHttpDate(req.Header("if-modified-since"))) {
      auto modified = ParseHttpDate(page->last_modified);
      not_modified = modified && *modified <= *since;
    }
    if (not_modified) r.status = 304;
    r.Header("ETag", page->etag);
    r.Header("Last-Modified", page->last_modified);
    r.Header("Cache-Control", "public, no-cache");
  }
  if (r.status != 304) {
    r.Header("Content-Type", page->content_type);
    // The cached body is shared, not copied: a page is ~80 KB and read by the crowd.
    if (req.method != "HEAD") r.shared_body = std::shared_ptr<const std::string>(page, &page->body);
  }
  SecurityHeaders(r, html);
  reply(std::move(r));
}

// ---------------------------------------------------------------------------------------
// Admin API

std::optional<json> Api::RawBody(Call& c) {
  if (!Body(c)) return std::nullopt;               // content type, size, a JSON object, the schema
  return json::parse(c.req.body, nullptr, false);  // with its nulls: "group": null detaches
}

void Api::GetStatusPage(Call& c) {
  ReadJson(c, [this](store::Tx& tx) -> Result<json> {
    KLAXON_ASSIGN_OR_RETURN(auto p, d_.status_page.GetPage(tx));
    return PageAdminJson(p, d_.public_url);
  });
}

void Api::UpdateStatusPage(Call& c) {
  auto raw = RawBody(c);
  if (!raw) return;
  auto actor = c.principal.actor();
  WriteJson(c, 200, [this, raw = *raw, actor](store::Tx& tx) -> Result<json> {
    KLAXON_ASSIGN_OR_RETURN(auto p, d_.status_page.UpdatePage(tx, raw, actor));
    return PageAdminJson(p, d_.public_url);
  });
}

void Api::ListStatusComponents(Call& c) {
  ReadJson(c, [this](store::Tx& tx) -> Result<json> {
    KLAXON_ASSIGN_OR_RETURN(auto all, d_.status_page.ListComponents(tx));
    json items = json::array();
    for (const auto& comp : all) items.push_back(ComponentAdminJson(comp, all));
    return json{{"items", items}, {"next_cursor", nullptr}};
  });
}

void Api::CreateStatusComponent(Call& c) {
  auto raw = RawBody(c);
  if (!raw) return;
  auto actor = c.principal.actor();
  WriteJson(c, 201, [this, raw = *raw, actor](store::Tx& tx) -> Result<json> {
    KLAXON_ASSIGN_OR_RETURN(auto comp, d_.status_page.CreateComponent(tx, raw, actor));
    KLAXON_ASSIGN_OR_RETURN(auto all, d_.status_page.ListComponents(tx));
    return ComponentAdminJson(comp, all);
  });
}

void Api::UpdateStatusComponent(Call& c) {
  auto raw = RawBody(c);
  if (!raw) return;
  std::string key = c.req.params["id"];
  auto actor = c.principal.actor();
  bool admin = c.principal.role == auth::Role::kAdmin;
  WriteJson(c, 200, [this, raw = *raw, key, actor, admin](store::Tx& tx) -> Result<json> {
    // Responders set statuses during incidents; the rest of a component is the admin's.
    if (!admin)
      for (const auto& [k, v] : raw.items())
        if (k != "status")
          return PermissionDenied("only admins change more than a component's status");
    KLAXON_ASSIGN_OR_RETURN(auto comp, d_.status_page.UpdateComponent(tx, key, raw, actor));
    KLAXON_ASSIGN_OR_RETURN(auto all, d_.status_page.ListComponents(tx));
    return ComponentAdminJson(comp, all);
  });
}

void Api::DeleteStatusComponent(Call& c) {
  std::string key = c.req.params["id"];
  auto actor = c.principal.actor();
  WriteJson(c, 204, [this, key, actor](store::Tx& tx) -> Result<json> {
    KLAXON_RETURN_IF_ERROR(d_.status_page.DeleteComponent(tx, key, actor));
    return json();
  });
}

void Api::ListStatusIncidents(Call& c) {
  std::string kind = c.req.query.count("kind") ? c.req.query["kind"] : "";
  if (!kind.empty() && kind != "incident" && kind != "maintenance")
    return Fail(c, InvalidField("kind", "must be incident or maintenance"));
  ReadJson(c, [this, kind](store::Tx& tx) -> Result<json> {
    KLAXON_ASSIGN_OR_RETURN(auto list, d_.status_page.ListIncidents(tx, kind, 200));
    json items = json::array();
    for (const auto& i : list) items.push_back(IncidentAdminJson(i, d_.public_url));
    return json{{"items", items}, {"next_cursor", nullptr}};
  });
}

void Api::GetStatusIncident(Call& c) {
  std::string key = c.req.params["id"];
  ReadJson(c, [this, key](store::Tx& tx) -> Result<json> {
    KLAXON_ASSIGN_OR_RETURN(auto i, d_.status_page.GetIncident(tx, key));
    return IncidentAdminJson(i, d_.public_url);
  });
}

void Api::CreateStatusIncident(Call& c) {
  auto raw = RawBody(c);
  if (!raw) return;
  auto actor = c.principal.actor();
  WriteJson(c, 201, [this, raw = *raw, actor](store::Tx& tx) -> Result<json> {
    KLAXON_ASSIGN_OR_RETURN(auto i, d_.status_page.CreateIncident(tx, raw, actor));
    return IncidentAdminJson(i, d_.public_url);
  });
}

void Api::ScheduleStatusMaintenance(Call& c) {
  auto raw = RawBody(c);
  if (!raw) return;
  auto actor = c.principal.actor();
  WriteJson(c, 201, [this, raw = *raw, actor](store::Tx& tx) -> Result<json> {
    KLAXON_ASSIGN_OR_RETURN(auto i, d_.status_page.ScheduleMaintenance(tx, raw, actor));
    return IncidentAdminJson(i, d_.public_url);
  });
}

void Api::AddStatusUpdate(Call& c) {
  auto raw = RawBody(c);
  if (!raw) return;
  std::string key = c.req.params["id"];
  auto actor = c.principal.actor();
  WriteJson(c, 200, [this, raw = *raw, key, actor](store::Tx& tx) -> Result<json> {
    KLAXON_ASSIGN_OR_RETURN(auto i, d_.status_page.AddUpdate(tx, key, raw, actor));
    return IncidentAdminJson(i, d_.public_url);
  });
}

}  // namespace klaxon::api
