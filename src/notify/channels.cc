// Chat and webhook requests, Standard Webhooks signatures, judging answers, backoff.
#include "notify/channels.h"

#include <sodium.h>
#include <strings.h>

#include <algorithm>
#include <cmath>

#include "core/random.h"
#include "core/time_format.h"
#include "notify/internal.h"
#include "notify/text.h"

namespace klaxon::notify {
namespace {

using Json = nlohmann::json;

struct ChannelInfo {
  ChannelKind kind;
  const char* name;
};
constexpr ChannelInfo kChannels[] = {
    {ChannelKind::kEmail, "email"},           {ChannelKind::kSlack, "slack"},
    {ChannelKind::kTeams, "teams"},           {ChannelKind::kDiscord, "discord"},
    {ChannelKind::kMattermost, "mattermost"}, {ChannelKind::kWebhook, "webhook"},
};

void EnsureSodium() {
  static const bool ready = (InitCrypto(), true);
  (void)ready;
}

std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

// The rendered title (one line, never empty) and body (trimmed) of a chat channel.
struct Parts {
  std::string title;
  std::string body;
};
Result<Parts> RenderParts(ChannelKind kind, const Templates& t, const Message& m) {
  const std::string name = ChannelName(kind);
  KLAXON_ASSIGN_OR_RETURN(std::string title, t.Render(name + ".title", m));
  KLAXON_ASSIGN_OR_RETURN(std::string body, t.Render(name + ".body", m));
  Parts p{Trim(OneLine(title)), Trim(body)};
  if (p.title.empty()) p.title = "Klaxon notification";
  return p;
}

// Facts shown as fields / a fact set: severity, status, service, then the extra fields.
std::vector<std::pair<std::string, std::string>> Facts(const Message& m) {
  std::vector<std::pair<std::string, std::string>> facts;
  if (m.kind != "test" && m.kind != "handoff") {
    if (!m.severity.empty()) facts.emplace_back("Severity", m.severity);
    if (!m.status.empty()) facts.emplace_back("Status", m.status);
    if (!m.service.empty()) facts.emplace_back("Service", m.service);
  }
  for (const auto& [name, value] : m.fields) {
    if (name.empty()) continue;
    facts.emplace_back(name, value.empty() ? "-" : value);
  }
  return facts;
}

// Buttons, most urgent first. `primary`: the one action the message asks for.
struct Link {
  std::string id;
  std::string label;
  std::string url;
  bool primary = false;
};
std::vector<Link> Links(const Message& m) {
  std::vector<Link> links;
  auto add = [&](const char* id, const char* label, const std::string& url, bool primary) {
    if (auto safe = SafeUrl(url); !safe.empty()) links.push_back({id, label, safe, primary});
  };
  if (m.kind == "test") {
    add("verify", "Verify", m.ack_url, true);
  } else {
    add("ack", "Acknowledge", m.ack_url, true);
    add("resolve", "Resolve", m.resolve_url, false);
  }
  add("open", "Open in Klaxon", m.console_url, false);
  add("runbook", "Runbook", m.runbook_url, false);
  return links;
}

Json SlackBody(const Message& m, const Parts& p) {
  Json blocks = Json::array();
  blocks.push_back({{"type", "header"},
                    {"text", {{"type", "plain_text"}, {"text", TruncateText(p.title, 150)}}}});
  if (!p.body.empty()) {
    blocks.push_back({{"type", "section"},
                      {"text", {{"type", "mrkdwn"}, {"text", TruncateText(p.body, 3000)}}}});
  }
  Json fields = Json::array();
  for (const auto& [name, value] : Facts(m)) {
    if (fields.size() == 10) break;
    fields.push_back(
        {{"type", "mrkdwn"},
         {"text",
          TruncateText("*" + EscapeMrkdwn(OneLine(name)) + "*\n" + EscapeMrkdwn(value), 2000)}});
  }
  if (!fields.empty()) blocks.push_back({{"type", "section"}, {"fields", fields}});
  Json buttons = Json::array();
  for (const auto& l : Links(m)) {
    Json b = {{"type", "button"},
              {"action_id", "klaxon_" + l.id},
              {"text", {{"type", "plain_text"}, {"text", l.label}}},
              {"url", l.url}};
    if (l.primary) b["style"] = "primary";
    buttons.push_back(std::move(b));
  }
  if (!buttons.empty()) blocks.push_back({{"type", "actions"}, {"elements", buttons}});
  std::string context = "Klaxon";
  if (m.at > 0) {
    // Slack shows the date in the reader's time zone; the ISO time is the fallback.
    context += " · <!date^" + std::to_string(m.at / 1000) + "^{date_short_pretty} {time}|" +
               FormatTime(m.at) + ">";
  }
  blocks.push_back({{"type", "context"}, {"elements", {{{"type", "mrkdwn"}, {"text", context}}}}});
  return {{"text", EscapeMrkdwn(p.title)},
          {"blocks", std::move(blocks)},
          {"unfurl_links", false},
          {"unfurl_media", false}};
}

Json MattermostBody(const Message& m, const Parts& p) {
  Json fields = Json::array();
  for (const auto& [name, value] : Facts(m)) {
    fields.push_back({{"title", OneLine(name)},
                      {"value", TruncateText(EscapeMattermost(value), 1000)},
                      {"short", true}});
  }
  Json att = {{"fallback", p.title}, {"color", HexColor(MessageColor(m))}, {"footer", "Klaxon"}};
  if (!p.body.empty()) att["text"] = TruncateText(p.body, 8000);
  if (!fields.empty()) att["fields"] = std::move(fields);
  return {{"text", EscapeMattermost(p.title)}, {"attachments", Json::array({std::move(att)})}};
}

Json TeamsBody(const Message& m, const Parts& p) {
  const uint32_t rgb = MessageColor(m);
  const char* color = rgb == 0xD13438   ? "Attention"
                      : rgb == 0x2EB67D ? "Good"
                      : rgb == 0x1D9BD1 ? "Accent"
                                        : "Warning";
  Json body = Json::array();
  body.push_back({{"type", "TextBlock"},
                  {"text", TruncateText(p.title, 500)},
                  {"weight", "Bolder"},
                  {"size", "Medium"},
                  {"wrap", true},
                  {"color", color}});
  if (!p.body.empty()) {
    body.push_back({{"type", "TextBlock"}, {"text", TruncateText(p.body, 8000)}, {"wrap", true}});
  }
  Json facts = Json::array();
  for (const auto& [name, value] : Facts(m)) {
    if (facts.size() == 20) break;
    facts.push_back(
        {{"title", TruncateText(OneLine(name), 100)}, {"value", TruncateText(value, 1000)}});
  }
  if (!facts.empty()) body.push_back({{"type", "FactSet"}, {"facts", std::move(facts)}});
  Json card = {{"$schema", "http://adaptivecards.io/schemas/adaptive-card.json"},
               {"type", "AdaptiveCard"},
               {"version", "1.4"},
               {"body", std::move(body)},
               {"msteams", {{"width", "Full"}}}};
  Json actions = Json::array();
  for (const auto& l : Links(m)) {
    Json a = {{"type", "Action.OpenUrl"}, {"title", l.label}, {"url", l.url}};
    if (l.primary) a["style"] = "positive";
    actions.push_back(std::move(a));
  }
  if (!actions.empty()) card["actions"] = std::move(actions);
  return {{"type", "message"},
          {"attachments",
           {{{"contentType", "application/vnd.microsoft.card.adaptive"},
             {"contentUrl", nullptr},
             {"content", std::move(card)}}}}};
}

Json DiscordBody(const Message& m, const Parts& p) {
  // Discord rejects an embed whose title, description, fields and footer exceed 6000
  // characters together.
  constexpr size_t kEmbedTotal = 6000;
  Json embed = {{"title", TruncateText(p.title, 256)},
                {"color", MessageColor(m)},
                {"footer", {{"text", "Klaxon"}}}};
  size_t used = TextUnits(embed["title"].get<std::string>()) + 6;
  if (auto url = SafeUrl(m.console_url); !url.empty()) embed["url"] = url;
  if (m.at > 0) embed["timestamp"] = FormatTime(m.at);
  Json fields = Json::array();
  for (const auto& [name, value] : Facts(m)) {
    if (fields.size() == 25) break;
    std::string n = TruncateText(OneLine(name), 256);
    std::string v = TruncateText(EscapeDiscord(value), 1024);
    if (used + TextUnits(n) + TextUnits(v) > kEmbedTotal - 100) break;
    used += TextUnits(n) + TextUnits(v);
    fields.push_back({{"name", n}, {"value", v}, {"inline", true}});
  }
  if (!p.body.empty()) {
    embed["description"] = TruncateText(p.body, std::min<size_t>(4096, kEmbedTotal - used));
  }
  if (!fields.empty()) embed["fields"] = std::move(fields);
  return {{"content", TruncateText(EscapeDiscord(p.title), 2000)},
          {"allowed_mentions", {{"parse", Json::array()}}},
          {"embeds", Json::array({std::move(embed)})}};
}

std::string EventType(const Message& m) {
  if (m.kind == "page") return "incident.page";
  if (m.kind == "resolved") return "incident.resolved";
  if (m.kind == "test") return "contact_method.test";
  if (m.kind == "handoff") return "oncall.handoff";
  if (m.kind == "role") return "incident.role_assigned";
  if (m.kind == "status") return "status.update";
  return "notification." + m.kind;
}

Status ValidMessageId(const std::string& id) {
  if (id.empty() || id.size() > 200) return InvalidField("/message_id", "1 to 200 characters");
  for (char c : id) {
    if (c == '.' || static_cast<unsigned char>(c) <= 0x20 ||
        static_cast<unsigned char>(c) >= 0x7F) {
      return InvalidField("/message_id", "printable ASCII without spaces or '.'");
    }
  }
  return Status::Ok();
}

Result<HttpRequest> WebhookRequest(const std::string& url, const Message& m, const Templates& t,
                                   const std::string& message_id, const std::string& webhook_secret,
                                   TimeMs now) {
  KLAXON_RETURN_IF_ERROR(ValidMessageId(message_id));
  const std::string type = EventType(m);
  HttpRequest req{url, {}, {}};
  if (!m.payload.empty()) {
    // A status page subscriber's notification: the body is the payload as given.
    Json payload = Json::parse(m.payload, nullptr, false);
    if (payload.is_discarded()) return InvalidField("/payload", "not JSON");
    req.body = Dump(payload);
  } else {
    KLAXON_ASSIGN_OR_RETURN(std::string text, t.Render("webhook.body", m));
    Json envelope = {{"type", type},
                     {"timestamp", FormatTime(m.at > 0 ? m.at : now)},
                     {"text", TruncateText(Trim(OneLine(text)), 2000)},
                     {"data", m.ToJson()}};
    req.body = Dump(envelope);
  }
  const int64_t ts = now / 1000;
  req.headers = {{"Content-Type", "application/json"},
                 {"User-Agent", "Klaxon/1"},
                 {"X-Klaxon-Event", type},
                 {"webhook-id", message_id},
                 {"webhook-timestamp", std::to_string(ts)}};
  if (!webhook_secret.empty()) {
    KLAXON_ASSIGN_OR_RETURN(std::string sig, SignWebhook(webhook_secret, message_id, ts, req.body));
    req.headers.emplace_back("webhook-signature", sig);
  }
  return req;
}

// A short reason from an error body: Discord {"message"}, Teams {"error":{"message"}},
// else the text itself.
std::string Snippet(const std::string& body) {
  std::string text = body;
  Json j = Json::parse(body, nullptr, false);
  if (j.is_object()) {
    if (auto it = j.find("message"); it != j.end() && it->is_string()) {
      text = it->get<std::string>();
    } else if (auto e = j.find("error"); e != j.end()) {
      if (e->is_string()) text = e->get<std::string>();
      if (e->is_object() && e->contains("message") && (*e)["message"].is_string()) {
        text = (*e)["message"].get<std::string>();
      }
    }
  }
  return TruncateText(Trim(OneLine(FixUtf8(text))), 200);
}

std::optional<int64_t> RetryAfterMs(
    ChannelKind kind, const std::string& body,
    const std::vector<std::pair<std::string, std::string>>& headers) {
  constexpr int64_t kMaxMs = 24 * 3600 * 1000LL;
  if (kind == ChannelKind::kDiscord) {
    Json j = Json::parse(body, nullptr, false);
    if (j.is_object() && j.contains("retry_after") && j["retry_after"].is_number()) {
      double s = j["retry_after"].get<double>();
      if (std::isfinite(s) && s >= 0) {
        return std::min<int64_t>(kMaxMs, static_cast<int64_t>(std::ceil(std::min(s, 1e9) * 1000)));
      }
    }
  }
  for (const auto& [name, value] : headers) {
    if (name.size() != 11 || strncasecmp(name.c_str(), "Retry-After", 11) != 0) continue;
    std::string v = Trim(value);
    // Delta-seconds only: an HTTP date would need the current time.
    if (v.empty() || v.size() > 9 ||
        !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }))
      continue;
    return std::min<int64_t>(kMaxMs, std::stoll(v) * 1000);
  }
  return std::nullopt;
}

}  // namespace

std::string ChannelName(ChannelKind k) {
  for (const auto& c : kChannels) {
    if (c.kind == k) return c.name;
  }
  return "unknown";
}

std::optional<ChannelKind> ParseChannel(const std::string& name) {
  for (const auto& c : kChannels) {
    if (name == c.name) return c.kind;
  }
  return std::nullopt;
}

Result<HttpRequest> BuildChatRequest(ChannelKind kind, const std::string& url, const Message& m,
                                     const Templates& t, const std::string& message_id,
                                     const std::string& webhook_secret, TimeMs now) {
  if (SafeUrl(url).empty()) return InvalidField("/url", "must be an http(s) URL");
  if (kind == ChannelKind::kWebhook) {
    return WebhookRequest(url, m, t, message_id, webhook_secret, now);
  }
  if (kind == ChannelKind::kEmail) return Invalid("email is sent with BuildMail");
  KLAXON_ASSIGN_OR_RETURN(Parts parts, RenderParts(kind, t, m));
  Json body;
  switch (kind) {
    case ChannelKind::kSlack:
      body = SlackBody(m, parts);
      break;
    case ChannelKind::kMattermost:
      body = MattermostBody(m, parts);
      break;
    case ChannelKind::kTeams:
      body = TeamsBody(m, parts);
      break;
    case ChannelKind::kDiscord:
      body = DiscordBody(m, parts);
      break;
    default:
      return Invalid("unknown channel");
  }
  return HttpRequest{
      url, {{"Content-Type", "application/json"}, {"User-Agent", "Klaxon/1"}}, Dump(body)};
}

Result<std::string> SignWebhook(const std::string& secret, const std::string& id,
                                int64_t timestamp_s, const std::string& body) {
  constexpr std::string_view kPrefix = "whsec_";
  if (secret.rfind(kPrefix, 0) != 0) return InvalidField("/webhook_secret", "must start whsec_");
  std::string b64 = secret.substr(kPrefix.size());
  while (b64.size() % 4 != 0) b64 += '=';  // tolerate a secret pasted without padding
  auto key = Base64Decode(b64);
  if (!key || key->empty()) return InvalidField("/webhook_secret", "not base64 after whsec_");
  KLAXON_RETURN_IF_ERROR(ValidMessageId(id));
  const std::string content = id + "." + std::to_string(timestamp_s) + "." + body;
  std::string mac = HmacSha256(*key, content);
  sodium_memzero(key->data(), key->size());
  return "v1," + Base64Encode(mac);
}

std::string NewWebhookSecret() {
  EnsureSodium();
  std::string bytes(32, '\0');
  randombytes_buf(bytes.data(), bytes.size());
  return "whsec_" + Base64Encode(bytes);
}

Verdict Judge(ChannelKind kind, int status, const std::string& body,
              const std::vector<std::pair<std::string, std::string>>& headers) {
  Verdict v;
  const std::string snippet = Snippet(body);
  const std::string http = "HTTP " + std::to_string(status);
  auto with_snippet = [&](std::string d) { return snippet.empty() ? d : d + ": " + snippet; };
  if (status == 0) {
    v.outcome = Outcome::kRetry;
    v.detail = with_snippet("no answer");
    return v;
  }
  if (status >= 200 && status < 300) {
    // The Teams connector reports failures inside a 200 with a body other than "1".
    if (kind == ChannelKind::kTeams && status == 200 && Trim(body) != "1") {
      const bool transient = body.find("HTTP error 429") != std::string::npos ||
                             body.find("HTTP error 5") != std::string::npos;
      v.outcome = transient ? Outcome::kRetry : Outcome::kGiveUp;
      v.detail = with_snippet(http);
      return v;
    }
    v.outcome = Outcome::kDelivered;
    v.detail = http;
    return v;
  }
  if (status == 408 || status == 429 || (status >= 500 && status < 600)) {
    v.outcome = Outcome::kRetry;
    v.retry_after_ms = RetryAfterMs(kind, body, headers);
  } else if (status >= 300 && status < 400) {
    v.outcome = Outcome::kGiveUp;
    v.detail = http + ": redirect not followed";
    return v;
  } else if (status >= 400 && status < 500) {
    // 410 Gone and Slack's 404 no_service mean the destination was removed; every other
    // 4xx is a request that will not get better by sending it again.
    v.outcome = Outcome::kGiveUp;
  } else {
    v.outcome = Outcome::kRetry;  // 1xx or nonsense: try again later
  }
  v.detail = with_snippet(http);
  return v;
}

int64_t BackoffMs(int attempt, int64_t base_ms, int64_t cap_ms, double unit) {
  if (base_ms <= 0 || cap_ms <= 0) return 0;
  double delay = static_cast<double>(std::min(base_ms, cap_ms));
  for (int i = 0; i < attempt && delay < static_cast<double>(cap_ms); ++i) delay *= 2;
  delay = std::min(delay, static_cast<double>(cap_ms));
  if (!(unit >= 0)) unit = 0;  // also NaN
  if (unit >= 1) unit = std::nextafter(1.0, 0.0);
  return static_cast<int64_t>(delay * (0.5 + 0.5 * unit));
}

}  // namespace klaxon::notify
