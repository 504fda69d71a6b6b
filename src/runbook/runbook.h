// Runbooks on an incident: choosing the runbook that fits an incident's service and alert
// labels, rendering its Markdown to safe HTML, and the JSON the console and API show.
//
// Runbooks themselves are playbook entities (playbook::Runbook: per service, symptoms,
// diagnosis, body and steps in Markdown, a recovery time objective, label matchers). The
// checklist progress of an incident's steps is recorded by the caller on the incident's
// timeline; this module holds no state.
//
// Markdown is CommonMark with the GitHub extensions table, strikethrough, autolink and
// tasklist, rendered by cmark-gfm. The HTML is safe to put into a page as is: raw HTML in
// the Markdown is never passed through (it becomes an HTML comment), link and image URLs
// with a dangerous scheme are dropped (the link's text, or the image's alt text, stays as
// plain text), and every link carries rel="noopener noreferrer".
//
// Pure functions; any thread (the GFM extensions are registered once, on first use).
#pragma once

#include <cstddef>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "playbook/playbook.h"

namespace klaxon::runbook {

// Markdown beyond this many bytes is not rendered: cmark-gfm's worst cases are quadratic,
// so the rendered HTML ends with a note instead.
inline constexpr size_t kMaxMarkdownBytes = 64 * 1024;

// CommonMark + GFM extensions to HTML, safe as described above. A URL is dropped when its
// scheme (ignoring case, leading spaces and control characters, and tabs and newlines
// anywhere, as browsers do) is javascript:, vbscript:, file: or data:, except
// data:image/png, gif, jpeg and webp. Invalid UTF-8 becomes U+FFFD. Throws nothing but
// std::bad_alloc.
std::string RenderMarkdown(std::string_view markdown);

// The same for one line of text, such as a checklist step: a single paragraph is
// unwrapped ("Restart **web**" → "Restart <strong>web</strong>"); anything else is
// rendered as RenderMarkdown does.
std::string RenderMarkdownInline(std::string_view markdown);

// The runbook for an incident of `service` (its name; empty when it has none) whose alerts
// carry `labels` (one label set per alert; empty for a hand-declared incident).
//
// A runbook applies when its service is empty or equals `service`, and either its `match`
// is empty or some alert's label set satisfies all of its matchers (playbook::MatchesAll,
// one alert at a time, as Alertmanager routes; with no alerts, a runbook with matchers
// never applies). Among those that apply it prefers a service-specific runbook over an
// any-service one, then the one with more matchers, then the earlier in `runbooks`.
// nullptr when none applies; otherwise points into `runbooks`.
const playbook::Runbook* Select(const std::vector<playbook::Runbook>& runbooks,
                                const std::string& service,
                                const std::vector<std::map<std::string, std::string>>& labels);

// The runbook for the console and the API:
//   {"name", "service" (null for any service), "title",
//    "rto" (canonical duration string, "1h30m", or null), "rto_ms" (integer or null),
//    "symptoms_html", "diagnosis_html", "body_html" (RenderMarkdown; "" for empty text),
//    "steps": [{"index" (0-based), "text" (the Markdown), "text_html"
//               (RenderMarkdownInline), "action" (an action's name, or null)}],
//    "match": [{"name", "op", "value"}]}
nlohmann::json ToJson(const playbook::Runbook& rb);

}  // namespace klaxon::runbook
