// Message as JSON and as a mustache context, the default templates, and rendering with
// kainjow::mustache (escaping per target, no partials).
#include <kainjow/mustache.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <exception>
#include <map>
#include <utility>

#include "core/time_format.h"
#include "notify/channels.h"
#include "notify/internal.h"
#include "notify/mustache_data.h"
#include "notify/text.h"

namespace klaxon::notify {
namespace {

using Json = nlohmann::json;

// ---- default templates -----------------------------------------------------------------

// One line, plain text (each target escapes it where it lands).
constexpr const char* kTitle =
    "{{#is_incident}}{{#severity}}{{severity}} {{/severity}}{{incident_ref}}"
    "{{#status}} {{status}}{{/status}}: {{title}}{{/is_incident}}"
    "{{#is_test}}Klaxon test message{{#recipient_name}} for {{recipient_name}}"
    "{{/recipient_name}}{{/is_test}}"
    "{{#is_handoff}}{{#title}}{{title}}{{/title}}{{^title}}You are now on "
    "call{{/title}}{{/is_handoff}}";

constexpr const char* kEmailSubject =
    "{{#is_incident}}{{#severity}}[{{severity}}] {{/severity}}{{incident_ref}}"
    "{{#status}} {{status}}{{/status}}: {{title}}{{/is_incident}}"
    "{{#is_test}}Klaxon verification code: {{verify_code}}{{/is_test}}"
    "{{#is_handoff}}{{#title}}{{title}}{{/title}}{{^title}}You are now on "
    "call{{/title}}{{/is_handoff}}"
    "{{#is_status}}[{{page_name}}] {{title}}{{#status}}: {{status}}{{/status}}{{/is_status}}"
    "{{#is_subscription}}{{#confirm_url}}Confirm your subscription to {{page_name}}"
    "{{/confirm_url}}{{^confirm_url}}Your subscription to {{page_name}}{{/confirm_url}}"
    "{{/is_subscription}}";

constexpr const char* kEmailText = R"({{#is_incident}}
{{#severity}}[{{severity}}] {{/severity}}{{incident_ref}}: {{title}}
{{#ack_url}}

Acknowledge: {{ack_url}}
{{/ack_url}}
{{#resolve_url}}
Resolve:     {{resolve_url}}
{{/resolve_url}}

Status:      {{status}}
{{#service}}
Service:     {{service}}
{{/service}}
{{#fields}}
{{name}}: {{value}}
{{/fields}}
{{#summary}}

{{summary}}
{{/summary}}

{{#runbook_url}}
Runbook:     {{runbook_url}}
{{/runbook_url}}
{{#console_url}}
Open in Klaxon: {{console_url}}
{{/console_url}}
{{/is_incident}}
{{#is_test}}
Hello{{#recipient_name}} {{recipient_name}}{{/recipient_name}},

this is a test message from Klaxon. Your verification code is:

    {{verify_code}}
{{#verify_url}}

Or verify this contact method with one click: {{verify_url}}
{{/verify_url}}
{{/is_test}}
{{#is_handoff}}
Hello{{#recipient_name}} {{recipient_name}}{{/recipient_name}},

{{#title}}
{{title}}.
{{/title}}
{{^title}}
You are now on call.
{{/title}}

{{#summary}}
Open incidents:
{{summary}}

{{/summary}}
{{^summary}}
There are no open incidents.

{{/summary}}
{{#console_url}}
Schedule: {{console_url}}
{{/console_url}}
{{/is_handoff}}
{{#is_status}}
{{title}}
{{#status}}
Status: {{status}}
{{/status}}
{{#fields}}
{{name}}: {{value}}
{{/fields}}
{{#summary}}

{{summary}}
{{/summary}}
{{#console_url}}

Details: {{console_url}}
{{/console_url}}

You get this message because you subscribed to {{page_name}}.
{{#unsubscribe_url}}
Unsubscribe or choose components: {{unsubscribe_url}}
{{/unsubscribe_url}}
{{/is_status}}
{{#is_subscription}}
{{#confirm_url}}
Someone, hopefully you, asked to receive status updates from {{page_name}} at this
address. To confirm, open:

{{confirm_url}}

If it was not you, ignore this message: nothing will be sent unless you confirm.
{{/confirm_url}}
{{^confirm_url}}
This address is already subscribed to status updates from {{page_name}}.
{{#unsubscribe_url}}
Manage or unsubscribe: {{unsubscribe_url}}
{{/unsubscribe_url}}
{{/confirm_url}}
{{/is_subscription}}

-- 
{{#page_name}}{{page_name}}{{/page_name}}{{^page_name}}Klaxon{{/page_name}}{{#at_iso}}, {{at_iso}}{{/at_iso}}
)";

constexpr const char* kEmailHtml = R"(<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"></head>
<body style="margin:0;padding:16px;font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;font-size:15px;line-height:1.4;color:#1f2328">
{{#is_incident}}
<h2 style="margin:0 0 12px;font-size:20px;border-left:6px solid {{color}};padding-left:10px">{{#severity}}[{{severity}}] {{/severity}}{{incident_ref}}: {{title}}</h2>
{{#has_actions}}
<p style="margin:0 0 16px">{{#ack_url}}<a href="{{ack_url}}" style="display:inline-block;padding:10px 18px;margin:0 8px 8px 0;background:#1a7f37;color:#ffffff;text-decoration:none;border-radius:6px;font-weight:bold">Acknowledge</a>{{/ack_url}}{{#resolve_url}}<a href="{{resolve_url}}" style="display:inline-block;padding:10px 18px;margin:0 8px 8px 0;background:#0969da;color:#ffffff;text-decoration:none;border-radius:6px;font-weight:bold">Resolve</a>{{/resolve_url}}</p>
{{/has_actions}}
<table style="border-collapse:collapse;margin:0 0 16px">
<tr><td style="padding:2px 16px 2px 0;color:#59636e">Status</td><td style="padding:2px 0">{{status}}</td></tr>
{{#severity}}
<tr><td style="padding:2px 16px 2px 0;color:#59636e">Severity</td><td style="padding:2px 0">{{severity}}</td></tr>
{{/severity}}
{{#service}}
<tr><td style="padding:2px 16px 2px 0;color:#59636e">Service</td><td style="padding:2px 0">{{service}}</td></tr>
{{/service}}
{{#fields}}
<tr><td style="padding:2px 16px 2px 0;color:#59636e">{{name}}</td><td style="padding:2px 0">{{value}}</td></tr>
{{/fields}}
</table>
{{#summary}}
<div style="white-space:pre-wrap;margin:0 0 16px">{{summary}}</div>
{{/summary}}
<p style="margin:0 0 16px">{{#runbook_url}}<a href="{{runbook_url}}">Runbook</a> &middot; {{/runbook_url}}{{#console_url}}<a href="{{console_url}}">Open {{incident_ref}} in Klaxon</a>{{/console_url}}</p>
{{/is_incident}}
{{#is_test}}
<p>Hello{{#recipient_name}} {{recipient_name}}{{/recipient_name}},</p>
<p>this is a test message from Klaxon. Your verification code is:</p>
<p style="font-size:28px;font-weight:bold;letter-spacing:4px;font-family:monospace">{{verify_code}}</p>
{{#verify_url}}
<p><a href="{{verify_url}}" style="display:inline-block;padding:10px 18px;background:#1a7f37;color:#ffffff;text-decoration:none;border-radius:6px;font-weight:bold">Verify this contact method</a></p>
{{/verify_url}}
{{/is_test}}
{{#is_handoff}}
<p>Hello{{#recipient_name}} {{recipient_name}}{{/recipient_name}},</p>
<h2 style="margin:0 0 12px;font-size:20px;border-left:6px solid {{color}};padding-left:10px">{{#title}}{{title}}{{/title}}{{^title}}You are now on call{{/title}}</h2>
{{#summary}}
<p style="margin:0">Open incidents:</p>
<div style="white-space:pre-wrap;margin:0 0 16px">{{summary}}</div>
{{/summary}}
{{^summary}}
<p>There are no open incidents.</p>
{{/summary}}
{{#console_url}}
<p><a href="{{console_url}}">Open the schedule in Klaxon</a></p>
{{/console_url}}
{{/is_handoff}}
{{#is_status}}
<h2 style="margin:0 0 12px;font-size:20px">{{title}}</h2>
{{#status}}
<p style="margin:0 0 12px;font-weight:bold">{{status}}</p>
{{/status}}
{{#has_fields}}
<table style="border-collapse:collapse;margin:0 0 16px">
{{#fields}}
<tr><td style="padding:2px 16px 2px 0;color:#59636e">{{name}}</td><td style="padding:2px 0">{{value}}</td></tr>
{{/fields}}
</table>
{{/has_fields}}
{{#summary}}
<div style="white-space:pre-wrap;margin:0 0 16px">{{summary}}</div>
{{/summary}}
{{#console_url}}
<p style="margin:0 0 16px"><a href="{{console_url}}">View on the status page</a></p>
{{/console_url}}
<p style="color:#59636e;font-size:12px">You get this message because you subscribed to {{page_name}}.{{#unsubscribe_url}} <a href="{{unsubscribe_url}}">Unsubscribe or choose components</a>.{{/unsubscribe_url}}</p>
{{/is_status}}
{{#is_subscription}}
{{#confirm_url}}
<p>Someone, hopefully you, asked to receive status updates from {{page_name}} at this address.</p>
<p><a href="{{confirm_url}}" style="display:inline-block;padding:10px 18px;background:#1a7f37;color:#ffffff;text-decoration:none;border-radius:6px;font-weight:bold">Confirm subscription</a></p>
<p>If it was not you, ignore this message: nothing will be sent unless you confirm.</p>
{{/confirm_url}}
{{^confirm_url}}
<p>This address is already subscribed to status updates from {{page_name}}.</p>
{{#unsubscribe_url}}
<p><a href="{{unsubscribe_url}}">Manage or unsubscribe</a></p>
{{/unsubscribe_url}}
{{/confirm_url}}
{{/is_subscription}}
<p style="color:#59636e;font-size:12px">{{#page_name}}{{page_name}}{{/page_name}}{{^page_name}}Klaxon{{/page_name}}{{#at_iso}}, {{at_iso}}{{/at_iso}}</p>
</body>
</html>
)";

// Slack mrkdwn. Facts and buttons are blocks built in code.
constexpr const char* kSlackBody = R"({{#is_incident}}
{{#summary}}
{{summary}}
{{/summary}}
{{#runbook_url}}
:book: <{{runbook_url}}|Runbook>
{{/runbook_url}}
{{/is_incident}}
{{#is_test}}
This is a test message from Klaxon. Your verification code is *{{verify_code}}*.
{{/is_test}}
{{#is_handoff}}
{{#summary}}
*Open incidents:*
{{summary}}
{{/summary}}
{{^summary}}
There are no open incidents.
{{/summary}}
{{/is_handoff}}
)";

// Mattermost markdown; no buttons on incoming webhooks, so the links come first.
// Links are separated by an em space, which markdown does not collapse.
constexpr const char* kMattermostBody = R"({{#is_incident}}
{{#ack_url}}**[Acknowledge]({{{ack_url}}})** {{/ack_url}}{{#resolve_url}}**[Resolve]({{{resolve_url}}})** {{/resolve_url}}{{#console_url}}[Open in Klaxon]({{{console_url}}}){{/console_url}}
{{#summary}}

{{summary}}
{{/summary}}
{{#runbook_url}}

[Runbook]({{{runbook_url}}})
{{/runbook_url}}
{{/is_incident}}
{{#is_test}}
This is a test message from Klaxon. Your verification code is **{{verify_code}}**.
{{#verify_url}}
[Verify this contact method]({{{verify_url}}})
{{/verify_url}}
{{/is_test}}
{{#is_handoff}}
{{#summary}}
**Open incidents:**
{{summary}}
{{/summary}}
{{^summary}}
There are no open incidents.
{{/summary}}
{{/is_handoff}}
)";

// Adaptive Card TextBlock (a markdown subset). Facts and buttons are built in code.
constexpr const char* kTeamsBody = R"({{#is_incident}}
{{#summary}}
{{summary}}
{{/summary}}
{{/is_incident}}
{{#is_test}}
This is a test message from Klaxon. Your verification code is **{{verify_code}}**.
{{/is_test}}
{{#is_handoff}}
{{#summary}}
**Open incidents:**

{{summary}}
{{/summary}}
{{^summary}}
There are no open incidents.
{{/summary}}
{{/is_handoff}}
)";

// Discord embed description (markdown); webhooks cannot carry link buttons.
constexpr const char* kDiscordBody = R"({{#is_incident}}
{{#ack_url}}**[Acknowledge]({{{ack_url}}})** {{/ack_url}}{{#resolve_url}}**[Resolve]({{{resolve_url}}})** {{/resolve_url}}{{#console_url}}[Open in Klaxon]({{{console_url}}}){{/console_url}}
{{#summary}}

{{summary}}
{{/summary}}
{{#runbook_url}}

[Runbook]({{{runbook_url}}})
{{/runbook_url}}
{{/is_incident}}
{{#is_test}}
This is a test message from Klaxon. Your verification code is **{{verify_code}}**.
{{#verify_url}}
[Verify this contact method]({{{verify_url}}})
{{/verify_url}}
{{/is_test}}
{{#is_handoff}}
{{#summary}}
**Open incidents:**
{{summary}}
{{/summary}}
{{^summary}}
There are no open incidents.
{{/summary}}
{{/is_handoff}}
)";

// One plain line for SMS/voice gateways and the like.
constexpr const char* kWebhookBody =
    "{{#is_incident}}{{#severity}}{{severity}} {{/severity}}{{incident_ref}}"
    "{{#status}} {{status}}{{/status}}: {{title}}{{#ack_url}} Ack: {{ack_url}}{{/ack_url}}"
    "{{/is_incident}}"
    "{{#is_test}}Klaxon verification code: {{verify_code}}{{/is_test}}"
    "{{#is_handoff}}{{#title}}{{title}}{{/title}}{{^title}}You are now on "
    "call{{/title}}{{/is_handoff}}"
    "{{#is_status}}{{page_name}}: {{title}}{{#status}} ({{status}}){{/status}}{{/is_status}}";

enum class Escape { kNone, kHtml, kMrkdwn, kMattermost, kDiscord };

struct TemplateInfo {
  const char* key;
  const char* text;
  Escape escape;
};

// The one table of template keys.
constexpr TemplateInfo kTemplates[] = {
    {"email.subject", kEmailSubject, Escape::kNone},
    {"email.text", kEmailText, Escape::kNone},
    {"email.html", kEmailHtml, Escape::kHtml},
    {"slack.title", kTitle, Escape::kNone},
    {"slack.body", kSlackBody, Escape::kMrkdwn},
    {"mattermost.title", kTitle, Escape::kNone},
    {"mattermost.body", kMattermostBody, Escape::kMattermost},
    {"teams.title", kTitle, Escape::kNone},
    {"teams.body", kTeamsBody, Escape::kNone},
    {"discord.title", kTitle, Escape::kNone},
    {"discord.body", kDiscordBody, Escape::kDiscord},
    {"webhook.body", kWebhookBody, Escape::kNone},
};

constexpr size_t kMaxTemplateBytes = 32 * 1024;

const TemplateInfo* FindTemplate(const std::string& key) {
  for (const auto& t : kTemplates) {
    if (key == t.key) return &t;
  }
  return nullptr;
}

std::string EscapeFor(Escape e, const std::string& s) {
  switch (e) {
    case Escape::kHtml:
      return EscapeHtml(s);
    case Escape::kMrkdwn:
      return EscapeMrkdwn(s);
    case Escape::kMattermost:
      return EscapeMattermost(s);
    case Escape::kDiscord:
      return EscapeDiscord(s);
    case Escape::kNone:
      break;
  }
  return s;
}

// kainjow drops a line that holds only a section tag when the section renders, but keeps
// it (as an empty line) when the section is skipped. So that templates read the same
// either way, lines that hold only section, inverted-section, end or comment tags are
// joined to the next line (mustache's "standalone" rule), and empty lines get a marker
// that stops kainjow from dropping them; the marker is removed after rendering.
constexpr char kKeepLine = '\x1F';

bool StandaloneTags(std::string_view line) {
  size_t i = 0;
  int tags = 0;
  while (true) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i == line.size()) return tags > 0;
    if (line.compare(i, 2, "{{") != 0 || i + 2 >= line.size() ||
        std::string_view("#^/!").find(line[i + 2]) == std::string_view::npos) {
      return false;
    }
    auto end = line.find("}}", i + 3);
    if (end == std::string_view::npos) return false;
    i = end + 2;
    ++tags;
  }
}

std::string PrepareTemplate(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 64);
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    const bool last = nl == std::string_view::npos;
    std::string_view line = text.substr(pos, last ? std::string_view::npos : nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = last ? text.size() : nl + 1;
    if (StandaloneTags(line)) {
      auto first = line.find_first_not_of(" \t");
      auto final = line.find_last_not_of(" \t");
      out.append(line.substr(first, final - first + 1));
      continue;
    }
    if (line.find_first_not_of(" \t") == std::string_view::npos) out += kKeepLine;
    out.append(line);
    if (!last) out += '\n';
  }
  return out;
}

std::string WithoutMarker(std::string s) {
  s.erase(std::remove(s.begin(), s.end(), kKeepLine), s.end());
  return s;
}

Status TemplateError(const std::string& key, const std::string& message) {
  return InvalidField("/templates/" + key, "template " + key + ": " + message);
}

// Parsing a template costs about as much as rendering it, and pages render the same few
// templates over and over: each thread keeps the ones it compiled, by text and escaping.
// A template that fails is dropped again, so its error is reported afresh each time.
using CompiledKey = std::pair<std::string, Escape>;

std::map<CompiledKey, kainjow::mustache::mustache>& CompiledTemplates() {
  thread_local std::map<CompiledKey, kainjow::mustache::mustache> cache;
  return cache;
}

kainjow::mustache::mustache& Compiled(const CompiledKey& key) {
  constexpr size_t kMaxCompiled = 64;
  auto& cache = CompiledTemplates();
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  if (cache.size() >= kMaxCompiled) cache.clear();
  it = cache.emplace(key, kainjow::mustache::mustache{PrepareTemplate(key.first)}).first;
  const Escape escape = key.second;
  it->second.set_custom_escape([escape](const std::string& v) { return EscapeFor(escape, v); });
  return it->second;
}

Result<std::string> RenderText(const std::string& key, const std::string& text, Escape escape,
                               const Json& context) {
  const CompiledKey compiled_key{text, escape};
  try {
    kainjow::mustache::mustache& tmpl = Compiled(compiled_key);
    if (tmpl.is_valid()) {
      const auto data = ToMustacheData(context, kKeepLine);
      NoPartialsContext ctx{&data};
      std::string out = tmpl.render(ctx);
      if (tmpl.is_valid()) return WithoutMarker(std::move(out));
    }
    Status error = TemplateError(key, tmpl.error_message());
    CompiledTemplates().erase(compiled_key);
    return error;
  } catch (const std::exception& e) {
    CompiledTemplates().erase(compiled_key);
    return TemplateError(key, e.what());
  }
}

std::string Str(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

Result<std::string> RenderText(const std::string& text, const nlohmann::json& facts) {
  try {
    kainjow::mustache::mustache tmpl{text};
    if (!tmpl.is_valid()) return InvalidField("/template", tmpl.error_message());
    tmpl.set_custom_escape([](const std::string& v) { return v; });
    const auto data = ToMustacheData(facts);
    NoPartialsContext ctx{&data};
    std::string out = tmpl.render(ctx);
    if (!tmpl.is_valid()) return InvalidField("/template", tmpl.error_message());
    return out;
  } catch (const std::exception& e) {
    return InvalidField("/template", e.what());
  }
}

kainjow::mustache::data ToMustacheData(const nlohmann::json& j, char strip) {
  using kainjow::mustache::data;
  switch (j.type()) {
    case nlohmann::json::value_t::object: {
      data d{data::type::object};
      for (const auto& [k, v] : j.items()) d.set(k, ToMustacheData(v, strip));
      return d;
    }
    case nlohmann::json::value_t::array: {
      data d{data::type::list};
      for (const auto& v : j) d.push_back(ToMustacheData(v, strip));
      return d;
    }
    case nlohmann::json::value_t::string: {
      std::string s = j.get<std::string>();
      if (s.empty()) return data{false};
      if (strip != '\0') s.erase(std::remove(s.begin(), s.end(), strip), s.end());
      return data{s};
    }
    case nlohmann::json::value_t::boolean:
      return data{j.get<bool>()};
    case nlohmann::json::value_t::null:
    case nlohmann::json::value_t::discarded:
      return data{false};
    default:
      return data{j.dump()};
  }
}

// ---- Message ---------------------------------------------------------------------------

std::string SafeUrl(const std::string& url) {
  auto starts = [&](const char* p) { return url.rfind(p, 0) == 0; };
  if (!starts("https://") && !starts("http://")) return {};
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F) return {};
  }
  return url;
}

std::string HexColor(uint32_t rgb) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "#%06X", rgb & 0xFFFFFF);
  return buf;
}

uint32_t MessageColor(const Message& m) {
  constexpr uint32_t kRed = 0xD13438, kOrange = 0xE8912D, kAmber = 0xECB22E, kGreen = 0x2EB67D,
                     kBlue = 0x1D9BD1;
  if (m.kind == "resolved") return kGreen;
  if (m.kind != "page") return kBlue;
  std::string s;
  for (char c : m.severity) s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (char c : s) {
    if (c >= '0' && c <= '9') return c <= '1' ? kRed : c == '2' ? kOrange : kAmber;
  }
  if (s.find("crit") != std::string::npos) return kRed;
  if (s.find("high") != std::string::npos || s.find("major") != std::string::npos) return kOrange;
  if (s.find("warn") != std::string::npos || s.find("low") != std::string::npos ||
      s.find("minor") != std::string::npos || s.find("info") != std::string::npos) {
    return kAmber;
  }
  return kRed;  // an unknown severity on a page: urgent
}

nlohmann::json Message::ToJson() const {
  // Built in place: an initializer list copies every value once more (a page builds this
  // three times inside the transaction that decides it).
  Json j = Json::object();
  auto& o = j.get_ref<Json::object_t&>();
  auto put = [&o](const char* key, const std::string& value) { o.emplace(key, FixUtf8(value)); };
  put("kind", kind);
  put("incident_ref", incident_ref);
  put("title", title);
  put("severity", severity);
  put("status", status);
  put("service", service);
  put("summary", summary);
  put("console_url", console_url);
  put("ack_url", ack_url);
  put("resolve_url", resolve_url);
  put("runbook_url", runbook_url);
  put("recipient_name", recipient_name);
  put("verify_code", verify_code);
  Json f = Json::array();
  auto& a = f.get_ref<Json::array_t&>();
  a.reserve(fields.size());
  for (const auto& [name, value] : fields) {
    Json pair = Json::array();
    pair.get_ref<Json::array_t&>().emplace_back(FixUtf8(name));
    pair.get_ref<Json::array_t&>().emplace_back(FixUtf8(value));
    a.push_back(std::move(pair));
  }
  o.emplace("fields", std::move(f));
  o.emplace("at", at);
  put("page_name", page_name);
  put("confirm_url", confirm_url);
  put("unsubscribe_url", unsubscribe_url);
  put("payload", payload);
  return j;
}

Message Message::FromJson(const nlohmann::json& j) {
  Message m;
  if (!j.is_object()) return m;
  if (auto k = Str(j, "kind"); !k.empty()) m.kind = k;
  m.incident_ref = Str(j, "incident_ref");
  m.title = Str(j, "title");
  m.severity = Str(j, "severity");
  m.status = Str(j, "status");
  m.service = Str(j, "service");
  m.summary = Str(j, "summary");
  m.console_url = Str(j, "console_url");
  m.ack_url = Str(j, "ack_url");
  m.resolve_url = Str(j, "resolve_url");
  m.runbook_url = Str(j, "runbook_url");
  m.recipient_name = Str(j, "recipient_name");
  m.verify_code = Str(j, "verify_code");
  if (auto it = j.find("fields"); it != j.end() && it->is_array()) {
    for (const auto& f : *it) {
      if (f.is_array() && f.size() == 2 && f[0].is_string() && f[1].is_string()) {
        m.fields.emplace_back(f[0].get<std::string>(), f[1].get<std::string>());
      }
    }
  }
  if (auto it = j.find("at"); it != j.end() && it->is_number_integer()) m.at = it->get<TimeMs>();
  m.page_name = Str(j, "page_name");
  m.confirm_url = Str(j, "confirm_url");
  m.unsubscribe_url = Str(j, "unsubscribe_url");
  m.payload = Str(j, "payload");
  return m;
}

nlohmann::json Message::ToContext() const {
  Json c = ToJson();
  // Only http(s) links reach a template (no javascript: in a mail or a chat button).
  for (const char* k :
       {"console_url", "ack_url", "resolve_url", "runbook_url", "confirm_url", "unsubscribe_url"}) {
    c[k] = SafeUrl(c[k].get<std::string>());
  }
  // Templates put the summary on lines of its own; a trailing newline would add a blank one.
  std::string text = c["summary"].get<std::string>();
  text.erase(text.find_last_not_of(" \t\r\n") + 1);
  c["summary"] = text;
  Json f = Json::array();
  for (const auto& pair : c["fields"]) f.push_back({{"name", pair[0]}, {"value", pair[1]}});
  c["fields"] = std::move(f);
  c["has_fields"] = !fields.empty();
  c["is_page"] = kind == "page";
  c["is_test"] = kind == "test";
  c["is_handoff"] = kind == "handoff";
  c["is_resolved"] = kind == "resolved";
  c["is_status"] = kind == "status";
  c["is_subscription"] = kind == "subscription";
  // Pages, resolutions and other news about an incident (a role assigned, say).
  c["is_incident"] = kind == "page" || kind == "resolved" ||
                     (kind != "test" && kind != "handoff" && kind != "status" &&
                      kind != "subscription" && !incident_ref.empty());
  c.erase("payload");
  c["has_actions"] = kind != "test" && (!c["ack_url"].get<std::string>().empty() ||
                                        !c["resolve_url"].get<std::string>().empty());
  c["verify_url"] = kind == "test" ? c["ack_url"] : Json("");
  c["at_iso"] = at > 0 ? FormatTime(at) : "";
  c["color"] = HexColor(MessageColor(*this));
  return c;
}

// ---- Templates -------------------------------------------------------------------------

std::string DefaultTemplate(const std::string& key) {
  const auto* t = FindTemplate(key);
  return t ? t->text : "";
}

std::vector<std::string> TemplateKeys() {
  std::vector<std::string> keys;
  for (const auto& t : kTemplates) keys.emplace_back(t.key);
  return keys;
}

Result<std::string> Templates::Render(const std::string& key, const Message& m) const {
  const auto* info = FindTemplate(key);
  if (!info) return TemplateError(key, "unknown template key");
  auto it = overrides.find(key);
  const std::string text = it != overrides.end() ? it->second : std::string(info->text);
  if (text.size() > kMaxTemplateBytes) return TemplateError(key, "longer than 32 KiB");
  return RenderText(key, text, info->escape, m.ToContext());
}

Status ValidateTemplates(const Templates& t) {
  Message sample;
  for (const auto& [key, text] : t.overrides) {
    const auto* info = FindTemplate(key);
    if (!info) return TemplateError(key, "unknown template key");
    if (text.size() > kMaxTemplateBytes) return TemplateError(key, "longer than 32 KiB");
    auto r = RenderText(key, text, info->escape, sample.ToContext());
    if (!r.ok()) return r.status();
  }
  return Status::Ok();
}

}  // namespace klaxon::notify
