#include "followup/webhooks.h"

#include <memory>

#include "core/time_format.h"
#include "notify/channels.h"

namespace klaxon::followup {

using nlohmann::json;

bool WebhookMatches(const std::string& pattern, const std::string& kind) {
  if (pattern == "*") return true;
  if (pattern.size() >= 2 && pattern.ends_with(".*"))
    return kind.starts_with(pattern.substr(0, pattern.size() - 1));
  return pattern == kind;
}

namespace {

Status CheckPattern(const std::string& p, size_t i) {
  std::string field = "/events/" + std::to_string(i);
  if (p == "*") return Status::Ok();
  if (p.ends_with(".*")) {
    std::string prefix = p.substr(0, p.size() - 1);
    for (const auto& k : events::EventKinds())
      if (std::string(k.name).starts_with(prefix)) return Status::Ok();
    return InvalidField(field, "no event kind starts with '" + prefix + "'");
  }
  if (!events::IsKnownKind(p))
    return InvalidField(field, "unknown event kind '" + p + "' (see docs/events.md)");
  return Status::Ok();
}

}  // namespace

void Webhooks::Changed(store::Tx& tx) {
  uncommitted_++;
  generation_++;
  // Settled at the commit, or when the hook is dropped unrun because the change rolled
  // back: a change left counted for good would keep every later event reading the
  // subscriptions again.
  struct Settle {
    Webhooks* self;
    std::atomic<bool> done{false};
    void operator()() {
      if (done.exchange(true)) return;
      self->generation_++;
      self->uncommitted_--;
    }
    ~Settle() { (*this)(); }
  };
  auto settle = std::make_shared<Settle>(this);
  tx.OnCommit([settle] { (*settle)(); });
}

void Webhooks::Install() {
  log_.AddTxHook([this](store::Tx& tx, const events::Event& e) { return OnEvent(tx, e); });
}

Result<json> Webhooks::Create(store::Tx& tx, const std::string& name, const std::string& url,
                              const std::vector<std::string>& patterns,
                              const events::Actor& actor) {
  if (name.find_first_not_of(" \t\r\n") == std::string::npos || name.size() > 100)
    return InvalidField("/name", "must be 1-100 characters, not only spaces");
  if (!url.starts_with("https://") && !url.starts_with("http://"))
    return InvalidField("/url", "must be an http:// or https:// URL");
  if (url.size() > 2000 || url.find_first_of(" \t\r\n\"<>") != std::string::npos)
    return InvalidField("/url", "must be at most 2000 characters, without spaces or quotes");
  size_t host = url.find("//") + 2;
  if (host >= url.size() || url[host] == '/' || url[host] == ':' || url[host] == '?')
    return InvalidField("/url", "must name a host");
  if (patterns.empty() || patterns.size() > 50)
    return InvalidField("/events", "must name 1-50 event kinds or patterns");
  for (size_t i = 0; i < patterns.size(); ++i) KLAXON_RETURN_IF_ERROR(CheckPattern(patterns[i], i));
  auto existing = tx.QueryOne("SELECT id FROM webhooks WHERE name = ?", {name});
  if (!existing.ok()) return existing.status();
  if (*existing) return Conflict("a webhook named '" + name + "' exists");
  std::string secret = notify::NewWebhookSecret();
  TimeMs now = clock_.Now();
  json events = patterns;
  auto row = tx.QueryOne(
      "INSERT INTO webhooks(name, url, secret, events, created_by, created_at) "
      "VALUES (?,?,?,?,?,?) RETURNING id",
      {name, url, secret, events.dump(), actor.name, now});
  if (!row.ok()) return row.status();
  int64_t id = (*row)->Int(0);
  Changed(tx);
  KLAXON_RETURN_IF_ERROR(
      log_.Append(tx, events::Event::Of("webhook.created", actor,
                                        {{"webhook_id", id}, {"name", name}, {"events", events}}))
          .status());
  return json{{"id", id},
              {"name", name},
              {"url", url},
              {"events", events},
              {"secret", secret},
              {"created_by", actor.name},
              {"created_at", FormatTime(now)}};
}

Result<json> Webhooks::List(store::Tx& tx) {
  auto rows =
      tx.Query("SELECT id, name, url, events, created_by, created_at FROM webhooks ORDER BY name");
  if (!rows.ok()) return rows.status();
  json items = json::array();
  for (const auto& r : *rows)
    items.push_back({{"id", r.Int(0)},
                     {"name", r.Str(1)},
                     {"url", r.Str(2)},
                     {"events", json::parse(r.Str(3), nullptr, false)},
                     {"created_by", r.Str(4)},
                     {"created_at", FormatTime(r.Int(5))}});
  return json{{"items", items}};
}

Status Webhooks::Delete(store::Tx& tx, int64_t id, const events::Actor& actor) {
  auto row = tx.QueryOne("SELECT name FROM webhooks WHERE id = ?", {id});
  if (!row.ok()) return row.status();
  if (!*row) return NotFound("no webhook " + std::to_string(id));
  std::string name = (*row)->Str(0);
  KLAXON_RETURN_IF_ERROR(tx.Exec("DELETE FROM webhooks WHERE id = ?", {id}));
  // Deliveries not yet made are dropped with the subscription.
  KLAXON_RETURN_IF_ERROR(tx.Exec(
      "UPDATE outbox SET status = 'cancelled' WHERE webhook_id = ? AND status = 'pending'", {id}));
  Changed(tx);
  return log_
      .Append(tx, events::Event::Of("webhook.deleted", actor, {{"webhook_id", id}, {"name", name}}))
      .status();
}

Status Webhooks::OnEvent(store::Tx& tx, const events::Event& e) {
  if (!enqueue_) return Status::Ok();
  std::vector<Hook> hooks;
  {
    std::lock_guard lock(mu_);
    int64_t gen = generation_.load();
    if (loaded_ != gen || uncommitted_.load() > 0) {
      auto rows = tx.Query("SELECT id, url, secret, events FROM webhooks ORDER BY id");
      if (!rows.ok()) return rows.status();
      hooks_.clear();
      for (const auto& r : *rows) {
        Hook h{r.Int(0), r.Str(1), r.Str(2), {}};
        json p = json::parse(r.Str(3), nullptr, false);
        if (p.is_array())
          for (const auto& x : p)
            if (x.is_string()) h.patterns.push_back(x.get<std::string>());
        hooks_.push_back(std::move(h));
      }
      loaded_ = gen;
    }
    if (hooks_.empty()) return Status::Ok();
    hooks = hooks_;
  }
  std::string payload;
  for (const auto& h : hooks) {
    bool match = false;
    for (const auto& p : h.patterns) match = match || WebhookMatches(p, e.kind);
    if (!match) continue;
    if (payload.empty()) {
      json data = e.data.is_object() ? e.data : json{{"value", e.data}};
      data["seq"] = e.seq;
      data["incident_id"] = e.incident_id ? json(*e.incident_id) : json();
      data["actor"] = e.actor.ToJson();
      payload = json{{"type", e.kind}, {"timestamp", FormatTime(e.at)}, {"data", data}}.dump(
          -1, ' ', false, json::error_handler_t::replace);
    }
    WebhookDelivery d;
    d.webhook_id = h.id;
    d.idem_key = "webhook:" + std::to_string(h.id) + ":" + std::to_string(e.seq);
    d.url = h.url;
    d.secret = h.secret;
    d.payload = payload;
    d.incident_id = e.incident_id;
    KLAXON_RETURN_IF_ERROR(enqueue_(tx, d));
  }
  return Status::Ok();
}

}  // namespace klaxon::followup
