// Rendering of the public status page: pure functions from a Snapshot (status/model.h) to
// response bodies. The JSON is the hosted status service's public API v2 (see
// shared/specs/wire-formats.md §5); the HTML pages work without JavaScript and load their
// stylesheet from /status/status.css (no inline scripts or styles, so a strict CSP
// applies); the feeds are Atom 1.0 and RSS 2.0.
//
// Every user-provided string is escaped for its context: HTML text and attributes, XML
// text in the feeds, JSON through nlohmann. URLs (links, logo) are used only when they
// are http(s); bidi embedding/override/isolate controls are removed and user text is
// isolated in <bdi>; invalid UTF-8 is replaced by U+FFFD everywhere (also in the JSON, so
// that dump() cannot throw).
//
// Links: home /status, incident /status/incidents/{public_id}, history
// /status/history/YYYY-MM, feeds /status/feed.atom and /status/feed.rss, stylesheet
// /status/status.css. Dates are shown in the page's time zone (UTC when unknown).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "status/model.h"

namespace klaxon::status {

// ---------------------------------------------------------------------------------------
// Compatible JSON (/api/v2/…). Lists newest first (by created_at), updates newest first.

// summary.json: page, status, components, unresolved incidents, upcoming and active
// maintenances.
nlohmann::json SummaryJson(const Snapshot& s);
// status.json: page, status.
nlohmann::json StatusJson(const Snapshot& s);
// components.json: page, components (groups and children flat).
nlohmann::json ComponentsJson(const Snapshot& s);
// incidents.json (the 50 most recent, any status) or incidents/unresolved.json
// (investigating, identified, monitoring).
nlohmann::json IncidentsJson(const Snapshot& s, bool unresolved_only);
// scheduled-maintenances.json ("all": the 50 most recent), …/upcoming.json ("upcoming":
// scheduled), …/active.json ("active": in_progress, verifying). Statuses are those of
// MaintenanceStatusAt(m, s.now). An unknown filter is treated as "all".
nlohmann::json MaintenancesJson(const Snapshot& s, std::string_view filter);

// ---------------------------------------------------------------------------------------
// HTML pages (complete documents, UTF-8).

std::string RenderHome(const Snapshot& s);
std::string RenderIncident(const Snapshot& s, const Incident& incident);
// `month` is "YYYY-MM"; anything else (see ParseHistoryMonth) renders the current month.
std::string RenderHistory(const Snapshot& s, std::string_view month);
// True for "YYYY-MM" with a month 01-12 and a year 1970-9999 (for a 404 on bad paths).
bool IsHistoryMonth(std::string_view month);

// The static stylesheet (default accent color).
std::string_view StatusCss();
// The stylesheet with the page's accent color (only #rgb / #rrggbb are accepted; anything
// else gives the default). Serve this one at /status/status.css when branding is set.
std::string StatusCss(const PageSettings& page);

// ---------------------------------------------------------------------------------------
// Feeds of incidents and maintenances: the 50 most recently updated.

std::string RenderAtom(const Snapshot& s);
std::string RenderRss(const Snapshot& s);

// ---------------------------------------------------------------------------------------
// Subscriptions (status/subscriptions.h): the public pages and the webhook body.

struct SubscribeForm {
  std::string email;
  std::string webhook;
  std::vector<std::string> components;  // public ids, checked
  std::string error;                    // shown above the form
  std::string error_field;              // "email" | "webhook": marked aria-invalid
};
// /status/subscribe: the form (posts to /status/subscribe).
std::string RenderSubscribe(const Snapshot& s, const SubscribeForm& form);

struct SubscriptionView {
  std::string token;
  std::string kind;  // email | webhook
  std::string email;
  std::string url;
  std::string state;                    // pending | active | unsubscribed
  std::vector<std::string> components;  // public ids
  std::string notice;                   // "Subscription confirmed.", …
};
// /status/subscription?token=: confirm (pending), components and unsubscribe (active).
std::string RenderSubscription(const Snapshot& s, const SubscriptionView& v);
// /status/unsubscribe?token= (GET): a button that posts the unsubscription.
std::string RenderUnsubscribe(const Snapshot& s, const std::string& token);
// A short message page ("Check your inbox", "Link expired").
std::string RenderNotice(const Snapshot& s, std::string_view title, std::string_view text);
// The body posted to webhook subscribers, in the hosted status service's shape: meta
// (unsubscribe, documentation), page (id, status_indicator, status_description) and
// "incident" or "scheduled_maintenance" (the object of incidents.json).
nlohmann::json SubscriberPayload(const Snapshot& s, const Incident& i,
                                 const std::string& unsubscribe_url);
// "May 1, 2024 02:00 UTC – May 1, 2024 04:00 UTC" in the page's time zone.
std::string FormatWindow(const PageSettings& page, TimeMs from, TimeMs until);

// ---------------------------------------------------------------------------------------
// Building blocks (exposed for tests and for other pages that need the same rules).

// Escapes & < > " ' for HTML text and attribute values (also valid for XML).
std::string EscapeHtml(std::string_view s);
// Valid UTF-8 with invalid sequences replaced by U+FFFD, without C0/C1 controls (except
// tab, line feed, carriage return), U+FFFE/U+FFFF and the bidi embedding, override and
// isolate controls (U+202A–U+202E, U+2066–U+2069).
std::string CleanText(std::string_view s);
// The URL (trimmed) when it is an absolute http:// or https:// URL without whitespace,
// control characters, quotes, angle brackets or backslashes; nullopt otherwise.
std::optional<std::string> SafeHttpUrl(std::string_view url);
// "#rgb" or "#rrggbb" (lowercased) when valid, else nullopt.
std::optional<std::string> ValidColor(std::string_view color);

}  // namespace klaxon::status
