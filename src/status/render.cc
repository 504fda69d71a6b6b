#include "status/render.h"

#include "core/utf8.h"

#include "notify/text.h"

#include <date/date.h>
#include <date/tz.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace klaxon::status {

namespace {

using json = nlohmann::json;
using std::chrono::milliseconds;

constexpr size_t kListCap = 50;                         // incidents.json, maintenances, feeds
constexpr TimeMs kMaxTime = 253402300799999;            // 9999-12-31T23:59:59.999Z
constexpr std::string_view kDefaultAccent = "#2563eb";  // PageSettings' default
constexpr int kUptimeDays = 90;
constexpr int kPastDays = 7;

constexpr const char* kMonthNames[] = {"January",   "February", "March",    "April",
                                       "May",       "June",     "July",     "August",
                                       "September", "October",  "November", "December"};
constexpr const char* kMonthShort[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr const char* kWeekdayShort[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

// ---------------------------------------------------------------------------------------
// Text

bool IsBidiControl(uint32_t cp) {
  return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

// Decodes UTF-8, replacing invalid sequences by U+FFFD; `strip` also drops the code
// points that do not belong in a page or an XML document (see CleanText).
std::string Utf8(std::string_view s, bool strip) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      if (strip && ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F)) continue;
      out += static_cast<char>(c);
      continue;
    }
    size_t len = 0;
    uint32_t cp = 0, min = 0;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2, cp = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3, cp = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4, cp = c & 0x07, min = 0x10000;
    }
    bool ok = len > 0 && i + len <= s.size();
    for (size_t k = 1; ok && k < len; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) ok = false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (ok && (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) ok = false;
    if (!ok) {
      AppendUtf8(out, 0xFFFD);
      ++i;
      continue;
    }
    i += len;
    if (strip && ((cp >= 0x80 && cp <= 0x9F) || IsBidiControl(cp) || cp == 0xFFFE || cp == 0xFFFF))
      continue;
    AppendUtf8(out, cp);
  }
  return out;
}

// Escaped, cleaned text for HTML attributes and XML (no <bdi> possible there).
std::string A(std::string_view s) { return EscapeHtml(CleanText(s)); }
// User text in HTML content: cleaned, escaped and isolated.
std::string T(std::string_view s) { return "<bdi>" + A(s) + "</bdi>"; }

// A path segment: everything but the unreserved characters percent-encoded.
std::string PathSegment(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (out == "." || out == "..") return "%2E" + out.substr(1);
  return out;
}

std::string IncidentPath(const Incident& i) {
  return "/status/incidents/" + PathSegment(i.public_id);
}

// ---------------------------------------------------------------------------------------
// Time in the page's zone

const date::time_zone* Zone(const std::string& name) {
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
  }
  try {
    return date::locate_zone("Etc/UTC");
  } catch (const std::exception&) {
    return nullptr;  // no tz database: plain UTC
  }
}

TimeMs Clamp(TimeMs t) { return std::clamp<TimeMs>(t, 0, kMaxTime); }

struct Local {
  date::local_time<milliseconds> t;
  int64_t offset_s = 0;
  std::string abbrev = "UTC";
};

Local ToLocal(const date::time_zone* z, TimeMs t) {
  auto sys = date::sys_time<milliseconds>(milliseconds(Clamp(t)));
  Local out{date::local_time<milliseconds>(sys.time_since_epoch())};
  if (z) {
    auto info = z->get_info(date::floor<std::chrono::seconds>(sys));
    out.offset_s = info.offset.count();
    out.abbrev = info.abbrev;
    out.t = date::local_time<milliseconds>(sys.time_since_epoch() + info.offset);
  }
  return out;
}

struct Civil {
  int y;
  unsigned m, d;
  int hh, mm, ss, ms;
  unsigned wd;  // 0 = Sunday
};

Civil CivilOf(date::local_time<milliseconds> t) {
  date::local_days day = date::floor<date::days>(t);
  date::year_month_day ymd{day};
  int64_t in_day = (t - day).count();
  return {static_cast<int>(ymd.year()),          static_cast<unsigned>(ymd.month()),
          static_cast<unsigned>(ymd.day()),      static_cast<int>(in_day / 3600000),
          static_cast<int>(in_day / 60000 % 60), static_cast<int>(in_day / 1000 % 60),
          static_cast<int>(in_day % 1000),       date::weekday(day).c_encoding()};
}

std::string DayKey(date::local_days d) {
  date::year_month_day ymd{d};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

// ---------------------------------------------------------------------------------------
// The rendering context: the snapshot with its zone, indexes and the page's base URL.

class Ctx {
 public:
  explicit Ctx(const Snapshot& snap) : s(snap), zone_(Zone(snap.page.time_zone)) {
    for (const auto& c : s.components) by_id_.emplace(c.id, &c);
    if (auto u = SafeHttpUrl(s.page.url)) {
      base = *u;
      while (!base.empty() && base.back() == '/') base.pop_back();
    }
    // Parents and 1-based positions within the parent (top level or group).
    std::map<int64_t, std::vector<const Component*>> siblings;  // parent row id (0: top)
    std::vector<int64_t> parents_order;
    for (const auto& c : s.components) {
      int64_t parent = 0;
      if (const Component* p = Parent(c)) parent = p->id;
      auto [it, inserted] = siblings.try_emplace(parent);
      if (inserted) parents_order.push_back(parent);
      it->second.push_back(&c);
    }
    for (auto& [parent, list] : siblings) {
      std::stable_sort(list.begin(), list.end(), [](const Component* a, const Component* b) {
        return a->position < b->position;
      });
      for (size_t k = 0; k < list.size(); ++k) position_[list[k]] = static_cast<int>(k + 1);
      children_[parent] = list;
    }
    for (const auto& h : s.history) history_[h.component_id].push_back(h);
  }

  const Snapshot& s;
  std::string base;  // the page's http(s) URL without a trailing slash, or ""

  const Component* Find(int64_t id) const {
    auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : it->second;
  }
  // The group a component belongs to (nullptr at top level; a group is never nested).
  const Component* Parent(const Component& c) const {
    if (c.is_group || !c.group_id) return nullptr;
    const Component* p = Find(*c.group_id);
    return p && p->is_group && p != &c ? p : nullptr;
  }
  int Position(const Component& c) const {
    auto it = position_.find(&c);
    return it == position_.end() ? 1 : it->second;
  }
  // Children of a group (0: the top level), ordered by position.
  const std::vector<const Component*>& Children(int64_t parent) const {
    static const std::vector<const Component*> kNone;
    auto it = children_.find(parent);
    return it == children_.end() ? kNone : it->second;
  }
  const std::vector<StatusChange>& History(int64_t component) const {
    static const std::vector<StatusChange> kNone;
    auto it = history_.find(component);
    return it == history_.end() ? kNone : it->second;
  }

  Local ToLocal(TimeMs t) const { return status::ToLocal(zone_, t); }
  date::local_days Day(TimeMs t) const { return date::floor<date::days>(ToLocal(t).t); }
  date::local_days Today() const { return Day(s.now); }

  // RFC 3339 with milliseconds and the page's offset ("Z" at UTC).
  std::string Rfc3339(TimeMs t) const {
    Local l = ToLocal(t);
    Civil c = CivilOf(l.t);
    char buf[48];
    int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03d", c.y, c.m, c.d,
                          c.hh, c.mm, c.ss, c.ms);
    std::string out(buf, static_cast<size_t>(n));
    if (l.offset_s == 0) return out + "Z";
    int64_t off = l.offset_s < 0 ? -l.offset_s : l.offset_s;
    std::snprintf(buf, sizeof buf, "%c%02d:%02d", l.offset_s < 0 ? '-' : '+',
                  static_cast<int>(off / 3600), static_cast<int>(off / 60 % 60));
    return out + buf;
  }
  // "May 1, 2024 10:15 CEST"
  std::string Human(TimeMs t) const {
    Local l = ToLocal(t);
    Civil c = CivilOf(l.t);
    char buf[48];
    std::snprintf(buf, sizeof buf, "%s %u, %04d %02d:%02d ", kMonthShort[c.m - 1], c.d, c.y, c.hh,
                  c.mm);
    return buf + CleanText(l.abbrev);
  }
  // "May 1, 2024"
  static std::string HumanDay(date::local_days d) {
    date::year_month_day ymd{d};
    char buf[32];
    std::snprintf(buf, sizeof buf, "%s %u, %04d",
                  kMonthShort[static_cast<unsigned>(ymd.month()) - 1],
                  static_cast<unsigned>(ymd.day()), static_cast<int>(ymd.year()));
    return buf;
  }
  // <time datetime="…">May 1, 2024 10:15 UTC</time>
  std::string TimeTag(TimeMs t) const {
    return "<time datetime=\"" + A(Rfc3339(t)) + "\">" + A(Human(t)) + "</time>";
  }

  std::string Shortlink(const Incident& i) const { return base + IncidentPath(i); }

 private:
  const date::time_zone* zone_;
  std::map<int64_t, const Component*> by_id_;
  std::map<const Component*, int> position_;
  std::map<int64_t, std::vector<const Component*>> children_;
  std::map<int64_t, std::vector<StatusChange>> history_;
};

// The status a maintenance has by the clock (it moves on time by itself).
std::string EffectiveStatus(const Ctx& ctx, const Incident& i) {
  return i.maintenance() ? MaintenanceStatusAt(i, ctx.s.now) : i.status;
}

bool IsUnresolvedIncident(std::string_view st) {
  return st == "investigating" || st == "identified" || st == "monitoring";
}
bool IsActiveMaintenance(std::string_view st) { return st == "in_progress" || st == "verifying"; }

// Newest first by created_at (stable: the snapshot's order breaks ties).
std::vector<const Incident*> NewestFirst(const std::vector<Incident>& list) {
  std::vector<const Incident*> out;
  out.reserve(list.size());
  for (const auto& i : list) out.push_back(&i);
  std::stable_sort(out.begin(), out.end(), [](const Incident* a, const Incident* b) {
    return a->created_at > b->created_at;
  });
  return out;
}

TimeMs DisplayAt(const Update& u) { return u.display_at ? u.display_at : u.created_at; }

std::vector<const Update*> UpdatesNewestFirst(const Incident& i) {
  std::vector<const Update*> out;
  out.reserve(i.updates.size());
  for (const auto& u : i.updates) out.push_back(&u);
  std::stable_sort(out.begin(), out.end(), [](const Update* a, const Update* b) {
    if (DisplayAt(*a) != DisplayAt(*b)) return DisplayAt(*a) > DisplayAt(*b);
    return a->created_at > b->created_at;
  });
  return out;
}

// The affected components (existing ones, each once, in the incident's order).
std::vector<const Component*> Affected(const Ctx& ctx, const Incident& i) {
  std::vector<const Component*> out;
  std::set<int64_t> seen;
  for (int64_t id : i.component_ids)
    if (const Component* c = ctx.Find(id); c && seen.insert(id).second) out.push_back(c);
  return out;
}

// When an incident started (a maintenance: its window), for day lists.
TimeMs StartOf(const Incident& i) {
  if (i.maintenance() && i.scheduled_for) return *i.scheduled_for;
  return i.started_at ? i.started_at : i.created_at;
}

// ---------------------------------------------------------------------------------------
// JSON

json Str(std::string_view s) { return Utf8(s, false); }
json StrOrNull(std::string_view s) { return s.empty() ? json(nullptr) : Str(s); }

json PageJson(const Ctx& ctx) {
  const PageSettings& p = ctx.s.page;
  return {{"id", Str(p.id)},
          {"name", Str(p.name)},
          {"url", Str(SafeHttpUrl(p.url).value_or(""))},
          {"time_zone", Str(p.time_zone)},
          {"updated_at", ctx.Rfc3339(ctx.s.updated_at)}};
}

json StatusObject(const Snapshot& s) {
  Indicator ind = Overall(s);
  return {{"indicator", ind.indicator}, {"description", Str(ind.description)}};
}

json ComponentJson(const Ctx& ctx, const Component& c) {
  const Component* parent = ctx.Parent(c);
  json j = {
      {"id", Str(c.public_id)},
      {"name", Str(c.name)},
      {"status", std::string(Name(c.status))},
      {"created_at", ctx.Rfc3339(c.created_at)},
      {"updated_at", ctx.Rfc3339(c.updated_at)},
      {"position", ctx.Position(c)},
      {"description", StrOrNull(c.description)},
      {"showcase", c.showcase && !c.is_group},
      {"start_date",
       c.is_group || c.created_at <= 0 ? json(nullptr) : json(DayKey(ctx.Day(c.created_at)))},
      {"group_id", parent ? Str(parent->public_id) : json(nullptr)},
      {"page_id", Str(ctx.s.page.id)},
      {"group", c.is_group},
      {"only_show_if_degraded", c.only_show_if_degraded},
  };
  if (c.is_group) {
    json children = json::array();
    for (const Component* child : ctx.Children(c.id)) children.push_back(Str(child->public_id));
    j["components"] = std::move(children);
  }
  return j;
}

json ComponentsArray(const Ctx& ctx) {
  json out = json::array();
  for (const auto& c : ctx.s.components) out.push_back(ComponentJson(ctx, c));
  return out;
}

json TimeOrNull(const Ctx& ctx, const std::optional<TimeMs>& t) {
  return t ? json(ctx.Rfc3339(*t)) : json(nullptr);
}

json IncidentJson(const Ctx& ctx, const Incident& i) {
  json updates = json::array();
  for (const Update* u : UpdatesNewestFirst(i)) {
    json affected = nullptr;
    if (!u->affected.empty()) {
      affected = json::array();
      for (const auto& a : u->affected)
        affected.push_back({{"code", Str(a.code)},
                            {"name", Str(a.name)},
                            {"old_status", Str(a.old_status)},
                            {"new_status", Str(a.new_status)}});
    }
    updates.push_back({{"id", Str(u->public_id)},
                       {"status", Str(u->status)},
                       {"body", Str(u->body)},
                       {"incident_id", Str(i.public_id)},
                       {"created_at", ctx.Rfc3339(u->created_at)},
                       {"updated_at", ctx.Rfc3339(u->created_at)},
                       {"display_at", ctx.Rfc3339(DisplayAt(*u))},
                       {"affected_components", std::move(affected)},
                       {"deliver_notifications", true},
                       {"custom_tweet", nullptr},
                       {"tweet_id", nullptr}});
  }
  json components = json::array();
  for (const Component* c : Affected(ctx, i)) components.push_back(ComponentJson(ctx, *c));
  std::string impact = i.impact;
  if (i.maintenance() && impact.empty()) impact = "maintenance";
  if (!i.maintenance() && !IsImpact(impact)) impact = "none";
  json j = {{"id", Str(i.public_id)},
            {"name", Str(i.name)},
            {"status", Str(EffectiveStatus(ctx, i))},
            {"impact", Str(impact)},
            {"created_at", ctx.Rfc3339(i.created_at)},
            {"updated_at", ctx.Rfc3339(i.updated_at)},
            {"started_at", ctx.Rfc3339(i.started_at ? i.started_at : i.created_at)},
            {"monitoring_at", TimeOrNull(ctx, i.monitoring_at)},
            {"resolved_at", TimeOrNull(ctx, i.resolved_at)},
            {"shortlink", Str(ctx.Shortlink(i))},
            {"page_id", Str(ctx.s.page.id)},
            {"incident_updates", std::move(updates)},
            {"components", std::move(components)}};
  if (!i.postmortem.empty()) j["postmortem_body"] = Str(i.postmortem);
  if (i.maintenance()) {
    j["scheduled_for"] = TimeOrNull(ctx, i.scheduled_for);
    j["scheduled_until"] = TimeOrNull(ctx, i.scheduled_until);
  }
  return j;
}

// filter: "all" (50 most recent), "unresolved", "upcoming", "active", "summary"
// (upcoming and active).
json IncidentList(const Ctx& ctx, const std::vector<Incident>& list, std::string_view filter) {
  json out = json::array();
  for (const Incident* i : NewestFirst(list)) {
    std::string st = EffectiveStatus(ctx, *i);
    bool keep = filter == "unresolved" ? IsUnresolvedIncident(st)
                : filter == "upcoming" ? st == "scheduled"
                : filter == "active"   ? IsActiveMaintenance(st)
                : filter == "summary"  ? st == "scheduled" || IsActiveMaintenance(st)
                                       : true;
    if (!keep) continue;
    if (filter == "all" && out.size() >= kListCap) break;
    out.push_back(IncidentJson(ctx, *i));
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// HTML pieces

std::string StatusLabelHtml(std::string_view st) {
  std::string_view l = StatusLabel(st);
  return l.empty() ? T(st) : std::string(l);
}

// A class name from a fixed set (user data never reaches class attributes).
std::string_view ImpactClass(const Incident& i) {
  if (i.maintenance()) return "maintenance";
  if (i.impact == "minor" || i.impact == "major" || i.impact == "critical") return i.impact;
  return "none";
}
std::string_view ImpactLabel(const Incident& i) {
  std::string_view c = ImpactClass(i);
  if (c == "maintenance") return "Maintenance";
  if (c == "minor") return "Minor impact";
  if (c == "major") return "Major impact";
  if (c == "critical") return "Critical impact";
  return "No impact";
}

int StatusRank(ComponentStatus s) {
  switch (s) {
    case ComponentStatus::kOperational:
      return 0;
    case ComponentStatus::kMaintenance:
      return 1;
    case ComponentStatus::kDegraded:
      return 2;
    case ComponentStatus::kPartialOutage:
      return 3;
    case ComponentStatus::kMajorOutage:
      return 4;
  }
  return 0;
}
std::string_view StatusIcon(ComponentStatus s) {
  switch (s) {
    case ComponentStatus::kOperational:
      return "\u2714";  // ✔
    case ComponentStatus::kDegraded:
      return "\u25B2";  // ▲
    case ComponentStatus::kPartialOutage:
      return "\u25C6";  // ◆
    case ComponentStatus::kMajorOutage:
      return "\u2716";  // ✖
    case ComponentStatus::kMaintenance:
      return "\u25CF";  // ●
  }
  return "";
}

std::string Head(const Ctx& ctx, std::string_view title) {
  const std::string name = A(ctx.s.page.name);
  std::string h =
      "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta name=\"color-scheme\" content=\"light dark\">\n<title>";
  h += title;
  h += "</title>\n<link rel=\"stylesheet\" href=\"/status/status.css\">\n";
  h += "<link rel=\"alternate\" type=\"application/atom+xml\" title=\"" + name +
       " (Atom)\" href=\"/status/feed.atom\">\n";
  h += "<link rel=\"alternate\" type=\"application/rss+xml\" title=\"" + name +
       " (RSS)\" href=\"/status/feed.rss\">\n";
  h += "</head>\n<body>\n<a class=\"skip-link\" href=\"#main\">Skip to content</a>\n";
  // Header: logo (http(s) only) or name, and the page's links.
  h += "<header class=\"site-header\">\n<div class=\"wrap header-row\">\n";
  h += "<a class=\"brand\" href=\"/status\">";
  if (auto logo = SafeHttpUrl(ctx.s.page.logo_url)) {
    h += "<img class=\"logo\" src=\"" + EscapeHtml(*logo) + "\" alt=\"" + name +
         "\" referrerpolicy=\"no-referrer\">";
  } else {
    h += T(ctx.s.page.name);
  }
  h += "</a>\n";
  std::string links;
  for (const auto& l : ctx.s.page.links) {
    auto url = SafeHttpUrl(l.url);
    if (!url) continue;
    std::string label = CleanText(l.label).empty() ? *url : l.label;
    links += "<li><a href=\"" + EscapeHtml(*url) + "\" rel=\"noopener noreferrer\">" + T(label) +
             "</a></li>\n";
  }
  if (!links.empty())
    h += "<nav class=\"header-links\" aria-label=\"Links\"><ul>\n" + links + "</ul></nav>\n";
  h += "</div>\n</header>\n<main id=\"main\" class=\"wrap\" tabindex=\"-1\">\n";
  return h;
}

std::string CurrentMonth(const Ctx& ctx) {
  date::year_month_day ymd{ctx.Today()};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()));
  return buf;
}

std::string Foot(const Ctx& ctx) {
  std::string f = "</main>\n<footer class=\"site-footer\">\n<div class=\"wrap\">\n";
  f += "<nav aria-label=\"More\"><ul>\n";
  f += "<li><a href=\"/status\">Current status</a></li>\n";
  f += "<li><a href=\"/status/history/" + CurrentMonth(ctx) + "\">Incident history</a></li>\n";
  f += "<li><a href=\"/status/feed.atom\" type=\"application/atom+xml\">Atom feed</a></li>\n";
  f += "<li><a href=\"/status/feed.rss\" type=\"application/rss+xml\">RSS feed</a></li>\n";
  f += "<li><a href=\"/status/subscribe\">Subscribe to updates</a></li>\n";
  f += "</ul></nav>\n<p class=\"powered\">Powered by "
       "Klaxon</p>\n</div>\n</footer>\n</body>\n</html>\n";
  return f;
}

std::string Body(std::string_view text) { return "<p class=\"body\">" + T(text) + "</p>"; }

std::string UpdatesHtml(const Ctx& ctx, const Incident& i, size_t limit) {
  auto updates = UpdatesNewestFirst(i);
  if (updates.empty()) return "";
  std::string h = "<ol class=\"updates\" aria-label=\"Updates, newest first\">\n";
  size_t n = 0;
  for (const Update* u : updates) {
    if (n++ >= limit) break;
    h += "<li class=\"update\"><p class=\"update-head\"><strong>" + StatusLabelHtml(u->status) +
         "</strong> <span class=\"sep\" aria-hidden=\"true\">\u00B7</span> " +
         ctx.TimeTag(DisplayAt(*u)) + "</p>";
    if (!u->body.empty()) h += Body(u->body);
    h += "</li>\n";
  }
  h += "</ol>\n";
  return h;
}

std::string AffectedHtml(const Ctx& ctx, const Incident& i) {
  auto list = Affected(ctx, i);
  if (list.empty()) return "";
  std::string h = "<p class=\"affected\">Affected: ";
  for (size_t k = 0; k < list.size(); ++k) {
    if (k) h += ", ";
    h += T(list[k]->name);
  }
  return h + "</p>\n";
}

std::string WindowHtml(const Ctx& ctx, const Incident& i) {
  if (!i.scheduled_for && !i.scheduled_until) return "";
  std::string h = "<p class=\"window\">Scheduled ";
  if (i.scheduled_for) h += "from " + ctx.TimeTag(*i.scheduled_for) + " ";
  if (i.scheduled_until) h += "until " + ctx.TimeTag(*i.scheduled_until);
  return h + "</p>\n";
}

// An incident or maintenance as an article (home page sections).
std::string IncidentArticle(const Ctx& ctx, const Incident& i, const std::string& heading_id,
                            size_t update_limit) {
  std::string h = "<article class=\"incident impact-" + std::string(ImpactClass(i)) +
                  "\" aria-labelledby=\"" + heading_id + "\">\n";
  h += "<h3 id=\"" + heading_id + "\"><a href=\"" + IncidentPath(i) + "\">" + T(i.name) +
       "</a></h3>\n";
  h += "<p class=\"meta\"><span class=\"badge impact-" + std::string(ImpactClass(i)) + "\">" +
       std::string(ImpactLabel(i)) + "</span> <span class=\"state\">" +
       StatusLabelHtml(EffectiveStatus(ctx, i)) + "</span></p>\n";
  if (i.maintenance()) h += WindowHtml(ctx, i);
  h += AffectedHtml(ctx, i);
  h += UpdatesHtml(ctx, i, update_limit);
  h += "</article>\n";
  return h;
}

// One line of a day list (past incidents, history).
std::string IncidentListItem(const Ctx& ctx, const Incident& i) {
  std::string h = "<li class=\"incident-item impact-" + std::string(ImpactClass(i)) + "\">";
  h += "<a class=\"incident-link\" href=\"" + IncidentPath(i) + "\">" + T(i.name) + "</a>";
  auto updates = UpdatesNewestFirst(i);
  if (!updates.empty()) {
    const Update& u = *updates.front();
    h += "<p class=\"update-head\"><strong>" + StatusLabelHtml(u.status) + "</strong></p>";
    if (!u.body.empty()) h += Body(u.body);
  }
  h += "<p class=\"meta\"><span class=\"badge impact-" + std::string(ImpactClass(i)) + "\">" +
       std::string(ImpactLabel(i)) + "</span> " + ctx.TimeTag(StartOf(i));
  if (i.resolved_at) h += " \u2013 " + ctx.TimeTag(*i.resolved_at);
  h += "</p></li>\n";
  return h;
}

std::string UptimePercent(double p) {
  p = std::clamp(p, 0.0, 100.0);
  double floored = std::floor(p * 100.0 + 1e-6) / 100.0;
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.2f", std::min(floored, 100.0));
  return buf;
}

std::string DayTitle(const DayUptime& d) {
  std::string t = d.date + ": ";
  if (d.minutes_known <= 0) return t + "no data";
  int64_t down = d.minutes_partial + d.minutes_major;
  std::vector<std::string> parts;
  if (d.minutes_major) parts.push_back(std::to_string(d.minutes_major) + " min major outage");
  if (d.minutes_partial) parts.push_back(std::to_string(d.minutes_partial) + " min partial outage");
  if (d.minutes_degraded) parts.push_back(std::to_string(d.minutes_degraded) + " min degraded");
  if (d.minutes_maintenance)
    parts.push_back(std::to_string(d.minutes_maintenance) + " min maintenance");
  t += std::to_string(down) + " minutes down";
  for (const auto& p : parts) t += ", " + p;
  return t;
}

std::string UptimeHtml(const Ctx& ctx, const Component& c) {
  Uptime up = ComputeUptime(c, ctx.History(c.id), ctx.s.now, ctx.s.page.time_zone, kUptimeDays);
  int bad_days = 0;
  for (const auto& d : up.days)
    if (d.minutes_known > 0 && d.worst != ComponentStatus::kOperational) ++bad_days;
  const std::string pct = UptimePercent(up.percent);
  std::string h = "<div class=\"uptime\">\n<div class=\"bar\" role=\"img\" aria-label=\"" +
                  A("Uptime of " + c.name + " over the past " + std::to_string(up.days.size()) +
                    " days: " + pct + " %, " + std::to_string(bad_days) +
                    (bad_days == 1 ? " day" : " days") + " with issues") +
                  "\">";
  for (const auto& d : up.days) {
    std::string cls = d.minutes_known <= 0 ? "nodata" : std::string(Name(d.worst));
    h += "<span class=\"day day-" + cls + "\" title=\"" + A(DayTitle(d)) + "\"></span>";
  }
  h += "</div>\n<p class=\"uptime-legend\"><span>" + std::to_string(up.days.size()) +
       " days ago</span><span class=\"pct\">" + pct + " % uptime</span><span>Today</span></p>\n";
  h += "</div>\n";
  return h;
}

bool Visible(const Component& c) {
  return !(c.only_show_if_degraded && c.status == ComponentStatus::kOperational);
}

std::string ComponentRow(const Component& c, ComponentStatus st, bool group) {
  std::string name = group ? "<h3 class=\"component-name\">" + T(c.name) + "</h3>"
                           : "<span class=\"component-name\">" + T(c.name) + "</span>";
  return "<div class=\"component-row\">" + name + "<span class=\"component-status st-" +
         std::string(Name(st)) + "\"><span class=\"icon\" aria-hidden=\"true\">" +
         std::string(StatusIcon(st)) + "</span> " + std::string(Label(st)) + "</span></div>\n";
}

std::string ComponentItem(const Ctx& ctx, const Component& c) {
  std::string h = "<li class=\"component\">\n" + ComponentRow(c, c.status, false);
  if (!c.description.empty()) h += "<p class=\"component-desc\">" + T(c.description) + "</p>\n";
  if (c.showcase) h += UptimeHtml(ctx, c);
  return h + "</li>\n";
}

std::string ComponentsHtml(const Ctx& ctx) {
  std::string items;
  for (const Component* c : ctx.Children(0)) {
    if (!c->is_group) {
      if (Visible(*c)) items += ComponentItem(ctx, *c);
      continue;
    }
    std::string children;
    ComponentStatus worst = c->status;
    for (const Component* child : ctx.Children(c->id)) {
      if (!Visible(*child)) continue;
      if (StatusRank(child->status) > StatusRank(worst)) worst = child->status;
      children += ComponentItem(ctx, *child);
    }
    if (children.empty()) continue;
    items += "<li class=\"group\">\n" + ComponentRow(*c, worst, true);
    if (!c->description.empty())
      items += "<p class=\"component-desc\">" + T(c->description) + "</p>\n";
    items += "<ul class=\"components children\">\n" + children + "</ul>\n</li>\n";
  }
  std::string h =
      "<section class=\"components-section\" aria-labelledby=\"components-title\">\n"
      "<h2 id=\"components-title\">Components</h2>\n";
  if (items.empty()) return h + "<p class=\"empty\">No components.</p>\n</section>\n";
  return h + "<ul class=\"components\">\n" + items + "</ul>\n</section>\n";
}

std::string_view OverallClass(const Ctx& ctx, const Indicator& ind) {
  if (ind.indicator == "minor" || ind.indicator == "major" || ind.indicator == "critical")
    return ind.indicator;
  bool maintenance = false;
  for (const auto& c : ctx.s.components)
    if (!c.is_group && c.status == ComponentStatus::kMaintenance) maintenance = true;
  for (const auto& m : ctx.s.maintenances)
    if (IsActiveMaintenance(EffectiveStatus(ctx, m))) maintenance = true;
  return maintenance ? "maintenance" : "none";
}

std::string_view OverallIcon(std::string_view cls) {
  if (cls == "none") return "\u2714";
  if (cls == "maintenance") return "\u25CF";
  return "!";
}

// Incidents and maintenances (past ones) grouped by local day, newest day first.
std::map<date::local_days, std::vector<const Incident*>, std::greater<>> ByDay(
    const Ctx& ctx, bool include_open, date::local_days from, date::local_days to) {
  std::map<date::local_days, std::vector<const Incident*>, std::greater<>> out;
  auto add = [&](const Incident& i) {
    date::local_days d = ctx.Day(StartOf(i));
    if (d < from || d > to) return;
    out[d].push_back(&i);
  };
  for (const auto& i : ctx.s.incidents) add(i);
  for (const auto& m : ctx.s.maintenances) {
    std::string st = EffectiveStatus(ctx, m);
    if (include_open || st == "completed") add(m);
  }
  for (auto& [day, list] : out)
    std::stable_sort(list.begin(), list.end(), [](const Incident* a, const Incident* b) {
      return StartOf(*a) > StartOf(*b);
    });
  return out;
}

// ---------------------------------------------------------------------------------------
// XML (feeds)

std::string X(std::string_view s) { return EscapeHtml(CleanText(s)); }

std::vector<const Incident*> FeedItems(const Snapshot& s) {
  std::vector<const Incident*> out;
  for (const auto& i : s.incidents) out.push_back(&i);
  for (const auto& m : s.maintenances) out.push_back(&m);
  std::stable_sort(out.begin(), out.end(), [](const Incident* a, const Incident* b) {
    if (a->updated_at != b->updated_at) return a->updated_at > b->updated_at;
    return a->created_at > b->created_at;
  });
  if (out.size() > kListCap) out.resize(kListCap);
  return out;
}

TimeMs FeedUpdated(const Snapshot& s, const std::vector<const Incident*>& items) {
  TimeMs t = s.updated_at;
  for (const Incident* i : items) t = std::max(t, i->updated_at);
  return t > 0 ? t : s.now;
}

// The entry's text: impact, window, affected components, postmortem, then the updates.
std::string EntryText(const Ctx& ctx, const Incident& i) {
  std::string t = std::string(ImpactLabel(i)) + " \u00B7 ";
  std::string_view label = StatusLabel(EffectiveStatus(ctx, i));
  t += label.empty() ? EffectiveStatus(ctx, i) : std::string(label);
  t += "\n";
  if (i.maintenance() && i.scheduled_for)
    t += "Scheduled from " + ctx.Human(*i.scheduled_for) +
         (i.scheduled_until ? " until " + ctx.Human(*i.scheduled_until) : "") + "\n";
  auto affected = Affected(ctx, i);
  if (!affected.empty()) {
    t += "Affected: ";
    for (size_t k = 0; k < affected.size(); ++k) t += (k ? ", " : "") + affected[k]->name;
    t += "\n";
  }
  if (!i.postmortem.empty()) t += "\nPostmortem\n" + i.postmortem + "\n";
  for (const Update* u : UpdatesNewestFirst(i)) {
    std::string_view l = StatusLabel(u->status);
    t += "\n" + (l.empty() ? u->status : std::string(l)) + " (" + ctx.Human(DisplayAt(*u)) + ")\n";
    t += u->body + "\n";
  }
  while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
  return CleanText(t);
}

std::string EntryLink(const Ctx& ctx, const Incident& i) { return ctx.Shortlink(i); }

std::string EntryId(const Ctx& ctx, const Incident& i) {
  if (!ctx.base.empty()) return ctx.Shortlink(i);
  return "urn:klaxon-status:" + PathSegment(ctx.s.page.id) + ":" + PathSegment(i.public_id);
}

std::string Rfc822(TimeMs t) {
  Civil c = CivilOf(date::local_time<milliseconds>(milliseconds(Clamp(t))));
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s, %02u %s %04d %02d:%02d:%02d +0000", kWeekdayShort[c.wd], c.d,
                kMonthShort[c.m - 1], c.y, c.hh, c.mm, c.ss);
  return buf;
}

// ---------------------------------------------------------------------------------------
// CSS

constexpr std::string_view kCss =
    R"css(/* Klaxon status page. Mobile first; light and dark from prefers-color-scheme. */
:root {
  color-scheme: light dark;
  --bg: #f6f7f9;
  --surface: #ffffff;
  --text: #1b1f24;
  --muted: #57606a;
  --border: #d0d7de;
  --link: #0a58ca;
  --accent: #2563eb;
  --accent-text: #ffffff;
  --focus: #0a58ca;
  --operational: #1a7f37;
  --degraded: #9a6700;
  --partial: #bc4c00;
  --major: #cf222e;
  --maintenance: #0969da;
  --nodata: #d0d7de;
  --radius: 8px;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117;
    --surface: #161b22;
    --text: #e6edf3;
    --muted: #9da7b3;
    --border: #30363d;
    --link: #79b8ff;
    --focus: #79b8ff;
    --operational: #3fb950;
    --degraded: #d29922;
    --partial: #f0883e;
    --major: #ff7b72;
    --maintenance: #58a6ff;
    --nodata: #30363d;
  }
}
*, *::before, *::after { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0;
  background: var(--bg);
  color: var(--text);
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif;
  overflow-wrap: anywhere;
  word-break: break-word;
}
a { color: var(--link); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
main:focus { outline: none; }
bdi { unicode-bidi: isolate; }
img { max-width: 100%; }
.wrap { width: 100%; max-width: 56rem; margin: 0 auto; padding: 0 1rem; }
.skip-link {
  position: absolute; left: 0.5rem; top: -3rem; z-index: 10;
  background: var(--surface); color: var(--link); padding: 0.5rem 0.75rem; border-radius: var(--radius);
}
.skip-link:focus { top: 0.5rem; }
.site-header { background: var(--accent); color: var(--accent-text); padding: 0.75rem 0; }
.header-row { display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: 0.5rem 1rem; }
.brand { color: var(--accent-text); font-weight: 700; font-size: 1.15rem; text-decoration: none; min-width: 0; }
.brand .logo { display: block; max-height: 2.5rem; width: auto; }
.site-header a { color: var(--accent-text); }
.header-links ul, .site-footer ul { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: 0.25rem 1rem; }
main { padding-top: 1.25rem; padding-bottom: 2rem; }
h1 { font-size: 1.5rem; line-height: 1.25; margin: 0 0 0.5rem; }
h2 { font-size: 1.2rem; margin: 1.75rem 0 0.75rem; }
h3 { font-size: 1rem; margin: 0 0 0.25rem; }
.about { color: var(--muted); margin: 0 0 1rem; white-space: pre-line; }
.overall {
  border-radius: var(--radius); padding: 1rem; margin: 1rem 0; color: #ffffff;
}
.overall h2 { margin: 0; font-size: 1.25rem; }
.overall p { margin: 0.25rem 0 0; }
.overall-none { background: #1a7f37; }
.overall-minor { background: #8a5a00; }
.overall-major { background: #b34100; }
.overall-critical { background: #b91c1c; }
.overall-maintenance { background: #0a58ca; }
.incident, .maintenance-item {
  background: var(--surface); border: 1px solid var(--border); border-left-width: 6px;
  border-radius: var(--radius); padding: 0.75rem 1rem; margin: 0 0 1rem;
}
.incident-item { border-left: 4px solid var(--border); padding: 0.25rem 0 0.25rem 0.75rem; margin: 0.5rem 0; }
.impact-none { border-left-color: var(--muted); }
.impact-minor { border-left-color: var(--degraded); }
.impact-major { border-left-color: var(--partial); }
.impact-critical { border-left-color: var(--major); }
.impact-maintenance { border-left-color: var(--maintenance); }
.badge {
  display: inline-block; font-size: 0.8rem; font-weight: 600; padding: 0 0.4rem;
  border: 1px solid currentColor; border-radius: 999px;
}
.badge.impact-none { color: var(--muted); }
.badge.impact-minor { color: var(--degraded); }
.badge.impact-major { color: var(--partial); }
.badge.impact-critical { color: var(--major); }
.badge.impact-maintenance { color: var(--maintenance); }
.meta, .window, .affected, .update-head { color: var(--muted); font-size: 0.9rem; margin: 0.25rem 0; }
.update-head strong { color: var(--text); }
.updates { list-style: none; margin: 0.5rem 0 0; padding: 0; }
.update { border-top: 1px solid var(--border); padding: 0.5rem 0; }
.body { margin: 0.25rem 0; white-space: pre-line; }
.components { list-style: none; margin: 0; padding: 0; background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius); }
.components > li { padding: 0.75rem 1rem; border-top: 1px solid var(--border); min-width: 0; }
.components > li:first-child { border-top: 0; }
.components.children { border: 0; border-left: 3px solid var(--border); border-radius: 0; margin: 0.5rem 0 0; }
.components.children > li { padding: 0.5rem 0 0.5rem 0.75rem; }
.component-row { display: flex; flex-wrap: wrap; justify-content: space-between; align-items: baseline; gap: 0.25rem 1rem; }
.component-name { font-weight: 600; min-width: 0; margin: 0; font-size: 1rem; }
.component-desc { color: var(--muted); font-size: 0.9rem; margin: 0.125rem 0 0; }
.component-status { font-weight: 600; font-size: 0.9rem; white-space: nowrap; }
.st-operational { color: var(--operational); }
.st-degraded_performance { color: var(--degraded); }
.st-partial_outage { color: var(--partial); }
.st-major_outage { color: var(--major); }
.st-under_maintenance { color: var(--maintenance); }
.uptime { margin-top: 0.5rem; }
.bar { display: flex; gap: 1px; height: 2rem; }
.day { flex: 1 1 0; min-width: 1px; border-radius: 1px; background: var(--operational); }
.day-degraded_performance { background: var(--degraded); }
.day-partial_outage { background: var(--partial); }
.day-major_outage { background: var(--major); }
.day-under_maintenance { background: var(--maintenance); }
.day-nodata { background: var(--nodata); }
.uptime-legend { display: flex; justify-content: space-between; gap: 0.5rem; color: var(--muted); font-size: 0.8rem; margin: 0.25rem 0 0; }
.days, .incident-list { list-style: none; margin: 0; padding: 0; }
.days > li { margin: 0 0 1rem; }
.days h3 { border-bottom: 1px solid var(--border); padding-bottom: 0.25rem; }
.incident-link { font-weight: 600; }
.empty { color: var(--muted); margin: 0.25rem 0; }
.month-nav { display: flex; justify-content: space-between; gap: 1rem; margin: 1rem 0; }
.postmortem { background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius); padding: 0.75rem 1rem; }
.site-footer { border-top: 1px solid var(--border); padding: 1rem 0 2rem; color: var(--muted); font-size: 0.9rem; }
.powered { margin: 0.5rem 0 0; }
.form { background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius); padding: 1rem; margin: 1rem 0; }
.form label { display: block; font-weight: 600; margin: 0.75rem 0 0.25rem; }
.form input[type=email], .form input[type=url] {
  width: 100%; font: inherit; padding: 0.5rem; border: 1px solid var(--border); border-radius: 6px;
  background: var(--bg); color: var(--text);
}
.form fieldset { border: 1px solid var(--border); border-radius: 6px; margin: 0.75rem 0; padding: 0.5rem 0.75rem; }
.form legend { font-weight: 600; padding: 0 0.25rem; }
.form .check { display: flex; gap: 0.5rem; align-items: baseline; font-weight: normal; margin: 0.25rem 0; }
.form .check.child { margin-left: 1.5rem; }
.form .hint { color: var(--muted); font-size: 0.9rem; margin: 0.25rem 0; }
.button {
  display: inline-block; font: inherit; font-weight: 600; margin: 0.75rem 0.5rem 0 0; padding: 0.5rem 1rem;
  border: 0; border-radius: 6px; background: var(--accent); color: var(--accent-text); cursor: pointer;
}
.button.secondary { background: var(--muted); }
.error { color: var(--major); font-weight: 600; }
.notice { background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius); padding: 1rem; margin: 1rem 0; }
@media (min-width: 40rem) {
  h1 { font-size: 1.75rem; }
  .wrap { padding: 0 1.5rem; }
  .bar { height: 2.25rem; gap: 2px; }
}
@media (prefers-reduced-motion: reduce) { * { transition: none !important; animation: none !important; } }
@media print { .site-header { background: none; color: #000; } .skip-link { display: none; } }
)css";

// WCAG relative luminance of "#rrggbb".
double Luminance(const std::string& hex) {
  auto channel = [&](size_t pos) {
    double v = std::stoi(hex.substr(pos, 2), nullptr, 16) / 255.0;
    return v <= 0.03928 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4);
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Building blocks

std::string EscapeHtml(std::string_view s) { return notify::EscapeHtml(s); }

std::string CleanText(std::string_view s) { return Utf8(s, true); }

std::optional<std::string> SafeHttpUrl(std::string_view url) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; };
  while (!url.empty() && space(url.front())) url.remove_prefix(1);
  while (!url.empty() && space(url.back())) url.remove_suffix(1);
  auto starts_with_ci = [&](std::string_view prefix) {
    if (url.size() < prefix.size()) return false;
    for (size_t k = 0; k < prefix.size(); ++k)
      if (std::tolower(static_cast<unsigned char>(url[k])) != prefix[k]) return false;
    return true;
  };
  size_t rest;
  if (starts_with_ci("http://")) {
    rest = 7;
  } else if (starts_with_ci("https://")) {
    rest = 8;
  } else {
    return std::nullopt;
  }
  if (url.size() <= rest || url[rest] == '/' || url[rest] == '\\' || url.size() > 2048)
    return std::nullopt;
  for (char ch : url) {
    auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7F || ch == '"' || ch == '\'' || ch == '<' || ch == '>' || ch == '\\' ||
        ch == '`')
      return std::nullopt;
  }
  // Non-ASCII must be clean UTF-8 (no bidi controls, no C1 controls).
  if (CleanText(url) != url) return std::nullopt;
  std::string out(url);
  for (size_t k = 0; k < rest; ++k) out[k] = static_cast<char>(std::tolower(out[k]));
  return out;
}

std::optional<std::string> ValidColor(std::string_view color) {
  if (color.size() != 4 && color.size() != 7) return std::nullopt;
  if (color[0] != '#') return std::nullopt;
  std::string out = "#";
  for (size_t k = 1; k < color.size(); ++k) {
    auto c = static_cast<unsigned char>(color[k]);
    if (!std::isxdigit(c)) return std::nullopt;
    out += static_cast<char>(std::tolower(c));
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// JSON

nlohmann::json SummaryJson(const Snapshot& s) {
  Ctx ctx(s);
  return {{"page", PageJson(ctx)},
          {"status", StatusObject(s)},
          {"components", ComponentsArray(ctx)},
          {"incidents", IncidentList(ctx, s.incidents, "unresolved")},
          {"scheduled_maintenances", IncidentList(ctx, s.maintenances, "summary")}};
}

nlohmann::json StatusJson(const Snapshot& s) {
  Ctx ctx(s);
  return {{"page", PageJson(ctx)}, {"status", StatusObject(s)}};
}

nlohmann::json ComponentsJson(const Snapshot& s) {
  Ctx ctx(s);
  return {{"page", PageJson(ctx)}, {"components", ComponentsArray(ctx)}};
}

nlohmann::json IncidentsJson(const Snapshot& s, bool unresolved_only) {
  Ctx ctx(s);
  return {{"page", PageJson(ctx)},
          {"incidents", IncidentList(ctx, s.incidents, unresolved_only ? "unresolved" : "all")}};
}

nlohmann::json MaintenancesJson(const Snapshot& s, std::string_view filter) {
  Ctx ctx(s);
  std::string_view f = filter == "upcoming" || filter == "active" ? filter : "all";
  return {{"page", PageJson(ctx)},
          {"scheduled_maintenances", IncidentList(ctx, s.maintenances, f)}};
}

// ---------------------------------------------------------------------------------------
// HTML

std::string RenderHome(const Snapshot& s) {
  Ctx ctx(s);
  std::string h = Head(ctx, A(s.page.name));
  h += "<h1>" + T(s.page.name) + "</h1>\n";
  if (!s.page.about.empty()) h += "<p class=\"about\">" + T(s.page.about) + "</p>\n";

  Indicator ind = Overall(s);
  std::string_view cls = OverallClass(ctx, ind);
  h += "<section class=\"overall overall-" + std::string(cls) +
       "\" aria-labelledby=\"overall-title\">\n<h2 id=\"overall-title\"><span class=\"icon\" "
       "aria-hidden=\"true\">" +
       std::string(OverallIcon(cls)) + "</span> " + A(ind.description) + "</h2>\n";
  h += "<p>Updated " + ctx.TimeTag(s.updated_at ? s.updated_at : s.now) + "</p>\n</section>\n";

  // Active incidents with their updates.
  std::string active;
  int n = 0;
  for (const Incident* i : NewestFirst(s.incidents))
    if (IsUnresolvedIncident(i->status))
      active += IncidentArticle(ctx, *i, "active-" + std::to_string(++n), SIZE_MAX);
  if (!active.empty())
    h += "<section class=\"active-incidents\" aria-labelledby=\"active-title\">\n"
         "<h2 id=\"active-title\">Active incidents</h2>\n" +
         active + "</section>\n";

  // Maintenance in progress, then upcoming (soonest first).
  std::string running, upcoming;
  std::vector<const Incident*> scheduled;
  for (const Incident* m : NewestFirst(s.maintenances)) {
    std::string st = EffectiveStatus(ctx, *m);
    if (IsActiveMaintenance(st))
      running += IncidentArticle(ctx, *m, "maintenance-" + std::to_string(++n), SIZE_MAX);
    else if (st == "scheduled")
      scheduled.push_back(m);
  }
  std::stable_sort(scheduled.begin(), scheduled.end(),
                   [](const Incident* a, const Incident* b) { return StartOf(*a) < StartOf(*b); });
  for (const Incident* m : scheduled)
    upcoming += IncidentArticle(ctx, *m, "maintenance-" + std::to_string(++n), 1);
  if (!running.empty())
    h += "<section class=\"maintenance-now\" aria-labelledby=\"maintenance-now-title\">\n"
         "<h2 id=\"maintenance-now-title\">Maintenance in progress</h2>\n" +
         running + "</section>\n";
  if (!upcoming.empty())
    h += "<section class=\"maintenance-upcoming\" aria-labelledby=\"maintenance-upcoming-title\">\n"
         "<h2 id=\"maintenance-upcoming-title\">Scheduled maintenance</h2>\n" +
         upcoming + "</section>\n";

  h += ComponentsHtml(ctx);

  // Past incidents: the last 7 days, one entry per day.
  date::local_days today = ctx.Today();
  auto days = ByDay(ctx, false, today - date::days{kPastDays - 1}, today);
  h += "<section class=\"past\" aria-labelledby=\"past-title\">\n"
       "<h2 id=\"past-title\">Past incidents</h2>\n<ul class=\"days\">\n";
  for (int k = 0; k < kPastDays; ++k) {
    date::local_days d = today - date::days{k};
    h += "<li><h3>" + Ctx::HumanDay(d) + "</h3>\n";
    auto it = days.find(d);
    if (it == days.end()) {
      h += "<p class=\"empty\">No incidents reported.</p>\n";
    } else {
      h += "<ul class=\"incident-list\">\n";
      for (const Incident* i : it->second) h += IncidentListItem(ctx, *i);
      h += "</ul>\n";
    }
    h += "</li>\n";
  }
  h += "</ul>\n<p><a href=\"/status/history/" + CurrentMonth(ctx) +
       "\">Incident history</a></p>\n</section>\n";
  h += Foot(ctx);
  return h;
}

std::string RenderIncident(const Snapshot& s, const Incident& i) {
  Ctx ctx(s);
  std::string h = Head(ctx, A(i.name) + " \u00B7 " + A(s.page.name));
  h += "<p class=\"back\"><a href=\"/status\">\u2190 Current status</a></p>\n";
  h += "<article class=\"incident impact-" + std::string(ImpactClass(i)) +
       "\" aria-labelledby=\"incident-title\">\n";
  h += "<h1 id=\"incident-title\">" + T(i.name) + "</h1>\n";
  h += "<p class=\"meta\"><span class=\"badge impact-" + std::string(ImpactClass(i)) + "\">" +
       std::string(ImpactLabel(i)) + "</span> <span class=\"state\">" +
       StatusLabelHtml(EffectiveStatus(ctx, i)) + "</span></p>\n";
  if (i.maintenance()) h += WindowHtml(ctx, i);
  h += AffectedHtml(ctx, i);
  h += "<section aria-labelledby=\"updates-title\">\n<h2 id=\"updates-title\">Updates</h2>\n";
  std::string updates = UpdatesHtml(ctx, i, SIZE_MAX);
  h += updates.empty() ? "<p class=\"empty\">No updates yet.</p>\n" : updates;
  h += "</section>\n";
  if (!i.postmortem.empty())
    h += "<section class=\"postmortem\" aria-labelledby=\"postmortem-title\">\n"
         "<h2 id=\"postmortem-title\">Postmortem</h2>\n" +
         Body(i.postmortem) + "\n</section>\n";
  h += "</article>\n";
  h += Foot(ctx);
  return h;
}

bool IsHistoryMonth(std::string_view month) {
  if (month.size() != 7 || month[4] != '-') return false;
  for (size_t k : {0, 1, 2, 3, 5, 6})
    if (month[k] < '0' || month[k] > '9') return false;
  int y = std::stoi(std::string(month.substr(0, 4)));
  int m = std::stoi(std::string(month.substr(5, 2)));
  return y >= 1970 && y <= 9999 && m >= 1 && m <= 12;
}

std::string RenderHistory(const Snapshot& s, std::string_view month) {
  Ctx ctx(s);
  std::string key = IsHistoryMonth(month) ? std::string(month) : CurrentMonth(ctx);
  int y = std::stoi(key.substr(0, 4));
  unsigned m = static_cast<unsigned>(std::stoi(key.substr(5, 2)));
  date::year_month ym{date::year(y), date::month(m)};
  date::local_days first{ym / 1};
  date::local_days last{ym / date::last};
  auto month_key = [](date::year_month v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02u", static_cast<int>(v.year()),
                  static_cast<unsigned>(v.month()));
    return std::string(buf);
  };
  auto month_title = [](date::year_month v) {
    return std::string(kMonthNames[static_cast<unsigned>(v.month()) - 1]) + " " +
           std::to_string(static_cast<int>(v.year()));
  };
  const std::string title = month_title(ym);
  std::string h =
      Head(ctx, "Incident history \u00B7 " + EscapeHtml(title) + " \u00B7 " + A(s.page.name));
  h += "<h1>Incident history</h1>\n<h2 id=\"month-title\">" + title + "</h2>\n";
  date::year_month prev = ym - date::months{1};
  date::year_month next = ym + date::months{1};
  h += "<nav class=\"month-nav\" aria-label=\"Months\">";
  if (prev.year() >= date::year{1970})
    h += "<a rel=\"prev\" href=\"/status/history/" + month_key(prev) + "\">\u2190 " +
         month_title(prev) + "</a>";
  else
    h += "<span></span>";
  if (month_key(next) <= CurrentMonth(ctx))
    h += "<a rel=\"next\" href=\"/status/history/" + month_key(next) + "\">" + month_title(next) +
         " \u2192</a>";
  h += "</nav>\n";
  auto days = ByDay(ctx, true, first, last);
  h += "<section aria-labelledby=\"month-title\">\n";
  if (days.empty()) {
    h += "<p class=\"empty\">No incidents reported this month.</p>\n";
  } else {
    h += "<ul class=\"days\">\n";
    for (const auto& [d, list] : days) {
      h += "<li><h3>" + Ctx::HumanDay(d) + "</h3>\n<ul class=\"incident-list\">\n";
      for (const Incident* i : list) h += IncidentListItem(ctx, *i);
      h += "</ul>\n</li>\n";
    }
    h += "</ul>\n";
  }
  h += "</section>\n";
  h += Foot(ctx);
  return h;
}

std::string_view StatusCss() { return kCss; }

std::string StatusCss(const PageSettings& page) {
  std::string accent = ValidColor(page.accent_color).value_or(std::string(kDefaultAccent));
  if (accent.size() == 4)
    accent = {'#', accent[1], accent[1], accent[2], accent[2], accent[3], accent[3]};
  // Text on the accent: whichever of white and black has the higher contrast.
  double l = Luminance(accent);
  double white = 1.05 / (l + 0.05), black = (l + 0.05) / 0.05;
  std::string css(kCss);
  css += ":root { --accent: " + accent +
         "; --accent-text: " + (white >= black ? "#ffffff" : "#000000") + "; }\n";
  return css;
}

// ---------------------------------------------------------------------------------------
// Feeds

std::string RenderAtom(const Snapshot& s) {
  Ctx ctx(s);
  auto items = FeedItems(s);
  const std::string home = ctx.base + "/status";
  std::string x =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n";
  x += "<title>" + X(s.page.name) + "</title>\n";
  x += "<subtitle>Incidents and scheduled maintenance</subtitle>\n";
  x += "<id>" + X(ctx.base.empty() ? "urn:klaxon-status:" + PathSegment(s.page.id) : home) +
       "</id>\n";
  x += "<link rel=\"alternate\" type=\"text/html\" href=\"" + X(home) + "\"/>\n";
  x += "<link rel=\"self\" type=\"application/atom+xml\" href=\"" + X(home + "/feed.atom") +
       "\"/>\n";
  x += "<updated>" + ctx.Rfc3339(FeedUpdated(s, items)) + "</updated>\n";
  x += "<author><name>" + X(s.page.name) + "</name></author>\n";
  for (const Incident* i : items) {
    x += "<entry>\n<title>" + X(i->name) + "</title>\n";
    x += "<link rel=\"alternate\" type=\"text/html\" href=\"" + X(EntryLink(ctx, *i)) + "\"/>\n";
    x += "<id>" + X(EntryId(ctx, *i)) + "</id>\n";
    x += "<published>" + ctx.Rfc3339(i->created_at) + "</published>\n";
    x += "<updated>" + ctx.Rfc3339(i->updated_at ? i->updated_at : i->created_at) + "</updated>\n";
    x +=
        "<category term=\"" + std::string(i->maintenance() ? "maintenance" : "incident") + "\"/>\n";
    x += "<content type=\"text\">" + EscapeHtml(EntryText(ctx, *i)) + "</content>\n</entry>\n";
  }
  x += "</feed>\n";
  return x;
}

std::string RenderRss(const Snapshot& s) {
  Ctx ctx(s);
  auto items = FeedItems(s);
  const std::string home = ctx.base + "/status";
  std::string x =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\" "
      "xmlns:atom=\"http://www.w3.org/2005/Atom\">\n<channel>\n";
  x += "<title>" + X(s.page.name) + "</title>\n";
  x += "<link>" + X(home) + "</link>\n";
  x += "<description>" + X(s.page.name) + ": incidents and scheduled maintenance</description>\n";
  x += "<atom:link rel=\"self\" type=\"application/rss+xml\" href=\"" + X(home + "/feed.rss") +
       "\"/>\n";
  x += "<lastBuildDate>" + Rfc822(FeedUpdated(s, items)) + "</lastBuildDate>\n";
  for (const Incident* i : items) {
    x += "<item>\n<title>" + X(i->name) + "</title>\n";
    x += "<link>" + X(EntryLink(ctx, *i)) + "</link>\n";
    x += std::string("<guid isPermaLink=\"") + (ctx.base.empty() ? "false" : "true") + "\">" +
         X(EntryId(ctx, *i)) + "</guid>\n";
    x += "<pubDate>" + Rfc822(i->updated_at ? i->updated_at : i->created_at) + "</pubDate>\n";
    x +=
        "<category>" + std::string(i->maintenance() ? "maintenance" : "incident") + "</category>\n";
    // Readers render the description as HTML: the text is escaped as HTML (line breaks
    // as <br>), and that HTML escaped again as XML text.
    const std::string text = EntryText(ctx, *i);
    std::string html;
    for (size_t pos = 0;;) {
      size_t nl = text.find('\n', pos);
      if (pos) html += "<br>";
      html +=
          EscapeHtml(std::string_view(text).substr(pos, nl == std::string::npos ? nl : nl - pos));
      if (nl == std::string::npos) break;
      pos = nl + 1;
    }
    x += "<description>" + EscapeHtml(html) + "</description>\n</item>\n";
  }
  x += "</channel>\n</rss>\n";
  return x;
}

}  // namespace klaxon::status

namespace klaxon::status {

// ---------------------------------------------------------------------------------------
// Subscriptions

namespace {

// Checkboxes for the components (groups with their children); `chosen` by public id.
std::string ComponentChoices(const Ctx& ctx, const std::vector<std::string>& chosen) {
  auto checked = [&](const Component& c) {
    return std::find(chosen.begin(), chosen.end(), c.public_id) != chosen.end() ? " checked" : "";
  };
  std::string h;
  for (const Component* c : ctx.Children(0)) {
    if (!Visible(*c) && !c->is_group) continue;
    std::string id = "c-" + A(c->public_id);
    h += "<label class=\"check\" for=\"" + id + "\"><input type=\"checkbox\" id=\"" + id +
         "\" name=\"components\" value=\"" + A(c->public_id) + "\"" + checked(*c) + "> " +
         T(c->name) + "</label>\n";
    if (!c->is_group) continue;
    for (const Component* child : ctx.Children(c->id)) {
      std::string cid = "c-" + A(child->public_id);
      h += "<label class=\"check child\" for=\"" + cid + "\"><input type=\"checkbox\" id=\"" + cid +
           "\" name=\"components\" value=\"" + A(child->public_id) + "\"" + checked(*child) + "> " +
           T(child->name) + "</label>\n";
    }
  }
  if (h.empty()) return "";
  return "<fieldset>\n<legend>Components</legend>\n<p class=\"hint\">Choose none to hear about "
         "everything.</p>\n" +
         h + "</fieldset>\n";
}

}  // namespace

std::string RenderSubscribe(const Snapshot& s, const SubscribeForm& form) {
  Ctx ctx(s);
  std::string h = Head(ctx, "Subscribe \u00B7 " + A(s.page.name));
  h += "<p class=\"back\"><a href=\"/status\">\u2190 Current status</a></p>\n";
  h += "<h1>Subscribe to updates</h1>\n";
  h += "<p>Get an email when " + T(s.page.name) +
       " publishes an incident or a maintenance, and with each of its updates.</p>\n";
  if (!form.error.empty())
    h += "<p class=\"error\" role=\"alert\" id=\"form-error\">" + T(form.error) + "</p>\n";
  h += "<form class=\"form\" method=\"post\" action=\"/status/subscribe\">\n";
  h += "<label for=\"email\">Email address</label>\n<input type=\"email\" id=\"email\" "
       "name=\"email\" required maxlength=\"254\" autocomplete=\"email\" value=\"" +
       A(form.email) + "\"" + (form.error_field == "email" ? " aria-invalid=\"true\"" : "") + ">\n";
  h += "<label for=\"webhook\">Webhook URL (optional)</label>\n<input type=\"url\" id=\"webhook\" "
       "name=\"webhook\" maxlength=\"2000\" value=\"" +
       A(form.webhook) + "\"" + (form.error_field == "webhook" ? " aria-invalid=\"true\"" : "") +
       ">\n<p class=\"hint\">With a URL, updates are posted there as JSON; the email address "
       "confirms it.</p>\n";
  h += ComponentChoices(ctx, form.components);
  h += "<button class=\"button\" type=\"submit\">Subscribe</button>\n</form>\n";
  h += "<p class=\"hint\">We send a confirmation link first; nothing else is sent until you "
       "use it. Every message has a link to unsubscribe.</p>\n";
  h += Foot(ctx);
  return h;
}

std::string RenderSubscription(const Snapshot& s, const SubscriptionView& v) {
  Ctx ctx(s);
  std::string h = Head(ctx, "Your subscription \u00B7 " + A(s.page.name));
  h += "<p class=\"back\"><a href=\"/status\">\u2190 Current status</a></p>\n";
  h += "<h1>Your subscription</h1>\n";
  if (!v.notice.empty())
    h += "<p class=\"notice\" role=\"status\" id=\"notice\">" + T(v.notice) + "</p>\n";
  std::string who = v.kind == "webhook" ? "The webhook " + v.url : v.email;
  if (v.state == "unsubscribed") {
    h += "<p id=\"state\">" + T(who) + " is unsubscribed from " + T(s.page.name) +
         ". <a href=\"/status/subscribe\">Subscribe again</a></p>\n";
    return h + Foot(ctx);
  }
  const std::string token = "<input type=\"hidden\" name=\"token\" value=\"" + A(v.token) + "\">\n";
  if (v.state == "pending") {
    h += "<p id=\"state\">Confirm that " + T(who) + " should receive updates from " +
         T(s.page.name) + ".</p>\n";
    h += "<form class=\"form\" method=\"post\" action=\"/status/subscription/confirm\">\n" + token +
         "<button class=\"button\" type=\"submit\">Confirm subscription</button>\n</form>\n";
    return h + Foot(ctx);
  }
  h += "<p id=\"state\">" + T(who) + " receives updates from " + T(s.page.name) +
       (v.components.empty() ? " about everything." : " about the components chosen below.") +
       "</p>\n";
  std::string choices = ComponentChoices(ctx, v.components);
  if (!choices.empty())
    h += "<form class=\"form\" method=\"post\" action=\"/status/subscription/components\">\n" +
         token + choices + "<button class=\"button\" type=\"submit\">Save</button>\n</form>\n";
  h += "<form class=\"form\" method=\"post\" action=\"/status/unsubscribe\">\n" + token +
       "<button class=\"button secondary\" type=\"submit\">Unsubscribe</button>\n</form>\n";
  return h + Foot(ctx);
}

std::string RenderUnsubscribe(const Snapshot& s, const std::string& token) {
  Ctx ctx(s);
  std::string h = Head(ctx, "Unsubscribe \u00B7 " + A(s.page.name));
  h += "<h1>Unsubscribe</h1>\n<p>Stop receiving updates from " + T(s.page.name) + "?</p>\n";
  h += "<form class=\"form\" method=\"post\" action=\"/status/unsubscribe\">\n"
       "<input type=\"hidden\" name=\"token\" value=\"" +
       A(token) +
       "\">\n<button class=\"button\" type=\"submit\">Unsubscribe</button>\n</form>\n"
       "<p><a href=\"/status/subscription?token=" +
       A(token) + "\">Choose components instead</a></p>\n";
  return h + Foot(ctx);
}

std::string RenderNotice(const Snapshot& s, std::string_view title, std::string_view text) {
  Ctx ctx(s);
  std::string h = Head(ctx, A(title) + " \u00B7 " + A(s.page.name));
  h += "<h1>" + T(title) + "</h1>\n<p class=\"notice\" role=\"status\" id=\"notice\">" + T(text) +
       "</p>\n<p><a href=\"/status\">\u2190 Current status</a></p>\n";
  return h + Foot(ctx);
}

nlohmann::json SubscriberPayload(const Snapshot& s, const Incident& i,
                                 const std::string& unsubscribe_url) {
  Ctx ctx(s);
  Indicator ind = Overall(s);
  json j = {{"meta",
             {{"unsubscribe", Str(unsubscribe_url)},
              {"documentation", Str(ctx.base + "/status")},
              {"generated_at", ctx.Rfc3339(s.now)}}},
            {"page",
             {{"id", Str(s.page.id)},
              {"status_indicator", ind.indicator},
              {"status_description", ind.description}}}};
  j[i.maintenance() ? "scheduled_maintenance" : "incident"] = IncidentJson(ctx, i);
  return j;
}

std::string FormatWindow(const PageSettings& page, TimeMs from, TimeMs until) {
  Snapshot snap;
  snap.page = page;
  Ctx ctx(snap);
  return ctx.Human(from) + " \u2013 " + ctx.Human(until);
}

}  // namespace klaxon::status
