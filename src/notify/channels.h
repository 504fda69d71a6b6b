// Outgoing notifications as values: what a page or a message says (Message), how each
// channel carries it (an HTTP request for chat and webhooks, a MIME mail for email), how
// a channel's answer is judged (delivered / retry later / give up), and the signature
// on our webhooks (Standard Webhooks v1: HMAC-SHA256 over "id.timestamp.body").
//
// Bodies come from mustache templates (kainjow::mustache) with defaults per channel;
// user text is escaped for each target's markup (Slack mrkdwn, HTML in email, JSON).
// Pure functions; any thread.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"

namespace klaxon::notify {

enum class ChannelKind { kEmail, kSlack, kTeams, kDiscord, kMattermost, kWebhook };
// "email", "slack", "teams", "discord", "mattermost", "webhook".
std::string ChannelName(ChannelKind k);
std::optional<ChannelKind> ParseChannel(const std::string& name);

// Everything a template may use. `kind`: "page" (an incident needs you), "test" (contact
// method verification), "handoff" (you are now on call), "resolved" (informational).
// For "test", `ack_url` carries the signed verify link (templates see it as `verify_url`
// too); for "handoff", `title` is the headline ("You are now on call for Primary") and
// `summary` the open incidents, one a line (empty: "There are no open incidents."). Any
// other kind with an `incident_ref` (e.g. "role") is shown like a page.
// Status page subscribers get "status" (an incident or maintenance update: `title` the
// public incident's name, `status` the update's status label, `summary` the update's
// text, `console_url` the public incident page, `fields` the affected components) and
// "subscription" (confirm an email subscription: `confirm_url`; or, when `confirm_url` is
// empty, a reminder that the address is already subscribed with its `unsubscribe_url`).
// Both carry `page_name`; `unsubscribe_url` also becomes the mail's List-Unsubscribe
// (RFC 8058 one-click). For a webhook, a non-empty `payload` (JSON) is the whole body.
struct Message {
  std::string kind = "page";
  std::string incident_ref;    // "INC-42"
  std::string title;           // incident title
  std::string severity;        // "SEV-1"
  std::string status;          // "triggered"
  std::string service;         // may be empty
  std::string summary;         // free text (description / handoff list), may be empty
  std::string console_url;     // link to the incident in the console
  std::string ack_url;         // signed acknowledge link (empty for non-pages)
  std::string resolve_url;     // signed resolve link
  std::string runbook_url;     // may be empty
  std::string recipient_name;  // "Alice"
  std::string verify_code;     // for kind "test"
  std::vector<std::pair<std::string, std::string>> fields;  // extra facts (name, value)
  TimeMs at = 0;
  std::string page_name;        // status page messages
  std::string confirm_url;      // "subscription": the confirmation page
  std::string unsubscribe_url;  // status page messages: one-click unsubscribe
  std::string payload;          // webhook body (JSON text) instead of the envelope

  // The mustache context: every field above by name, plus "is_page", "is_test", etc.
  nlohmann::json ToContext() const;
  nlohmann::json ToJson() const;  // stored in the outbox; FromJson(ToJson()) == *this
  static Message FromJson(const nlohmann::json& j);
  friend bool operator==(const Message&, const Message&) = default;
};

struct HttpRequest {
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct Mail {
  std::string from;
  std::vector<std::string> to;
  std::string subject;
  std::string text;  // the complete RFC 5322 message: headers (From, To, Subject, Date,
                     // Message-ID, MIME-Version, multipart/alternative text+html), body
};

// Templates: optional overrides per channel and part ("subject", "text", "html", "body"),
// mustache syntax. Missing parts use the defaults below.
//
// Keys: email.subject, email.text, email.html; slack.title, slack.body; mattermost.title,
// mattermost.body; teams.title, teams.body; discord.title, discord.body; webhook.body.
// A "title" is one plain line (Slack header and fallback text, Teams card heading, Discord
// content and embed title, Mattermost text); a chat "body" is the prose part, while the
// JSON around it (facts, buttons, colours) is built in code so it is always valid.
// webhook.body is the envelope's "text" (one line, e.g. for an SMS gateway).
// {{x}} escapes for the key's target: HTML in email.html, & < > in slack.* bodies (and
// "@" too in mattermost.body), markdown characters in discord.body, nothing elsewhere;
// {{{x}}} inserts the value as is (use it for URLs in markdown links). Empty strings are
// false in sections. Partials are not available.
struct Templates {
  std::map<std::string, std::string> overrides;  // key "slack.body", "email.subject", ...
  // Renders template `key` (override or default) with `m`. Errors name the key.
  Result<std::string> Render(const std::string& key, const Message& m) const;
};
// The default template text for a key (for docs and the console), empty if unknown.
std::string DefaultTemplate(const std::string& key);
// Every template key, in the order listed above.
std::vector<std::string> TemplateKeys();
// Every override names a known key, parses, and is at most 32 KiB; errors name the key as
// field "/templates/<key>".
Status ValidateTemplates(const Templates& t);

// The request that posts `m` to a chat/webhook `url` of `kind` (not kEmail).
// Slack: text + blocks (header, section, actions with Acknowledge/Resolve/Open buttons);
// Mattermost: Slack-compatible text + attachments; Teams: Adaptive Card envelope
// (version 1.4) with Action.OpenUrl buttons; Discord: content + one embed, integer color,
// allowed_mentions {"parse": []}; Webhook: {"type": "incident.page", "timestamp", "data":
// m.ToJson()} signed with `webhook_secret` ("whsec_..."), headers webhook-id =
// `message_id`, webhook-timestamp = `now` seconds, webhook-signature "v1,<base64>",
// plus Content-Type, User-Agent "Klaxon/1", X-Klaxon-Event.
// The webhook envelope also carries "text" (webhook.body); "type" follows the kind:
// incident.page, incident.resolved, contact_method.test, oncall.handoff; "timestamp" is
// `m.at` (or `now` when unset). An empty `webhook_secret` sends no webhook-signature.
Result<HttpRequest> BuildChatRequest(ChannelKind kind, const std::string& url, const Message& m,
                                     const Templates& t, const std::string& message_id,
                                     const std::string& webhook_secret, TimeMs now);

// The mail for `m` to `to` (subject "[SEV-1] INC-42 triggered: title" by default).
Result<Mail> BuildMail(const std::string& from, const std::string& to, const Message& m,
                       const Templates& t, const std::string& message_id, TimeMs now);

// Standard Webhooks v1 signature: "v1," + base64(HMAC-SHA256(key, id + "." + ts + "." + body))
// where key = base64-decoded bytes after "whsec_". Error if the secret is malformed.
Result<std::string> SignWebhook(const std::string& secret, const std::string& id,
                                int64_t timestamp_s, const std::string& body);
// A new "whsec_" + base64(32 random bytes).
std::string NewWebhookSecret();

// How a channel's answer is judged.
enum class Outcome { kDelivered, kRetry, kGiveUp };
struct Verdict {
  Outcome outcome = Outcome::kRetry;
  std::optional<int64_t> retry_after_ms;  // from Retry-After / Discord retry_after
  std::string detail;                     // short, for the outbox's last_error
};
// Slack/Mattermost: 200 (body "ok") delivered (any 2xx is taken as delivered); Teams: 200 with body
// "1" or any 2xx other than a 200 with a different body; Discord/webhook: any 2xx. 429, 408 and 5xx
// → retry (honour Retry-After seconds); 410 and Slack 404 no_service → give up; other 4xx → give
// up; 3xx → give up. `status` 0 = transport error (connect refused, timeout) → retry.
// A Teams 200 with another body is the connector's error report: retry when it reports a
// 429 or 5xx, else give up. Retry-After is read as delta-seconds (an HTTP date is ignored).
Verdict Judge(ChannelKind kind, int status, const std::string& body,
              const std::vector<std::pair<std::string, std::string>>& headers);

// Exponential backoff with full jitter: min(cap, base * 2^attempt) * random[0.5, 1.0].
// `attempt` counts from 0. `unit` in [0,1) is the jitter draw (tests pass a fixed value).
int64_t BackoffMs(int attempt, int64_t base_ms, int64_t cap_ms, double unit);

}  // namespace klaxon::notify
