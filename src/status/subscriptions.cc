#include "status/subscriptions.h"

#include <arpa/inet.h>
#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "core/random.h"
#include "status/render.h"

namespace klaxon::status {

using nlohmann::json;

namespace {

constexpr const char* kColumns =
    "id, public_id, kind, email, url, components, state, token, created_at, requested_at, "
    "confirmed_at, unsubscribed_at";
constexpr size_t kMaxUrl = 2000;
constexpr size_t kMaxComponents = 200;

Subscriber FromRow(const store::Row& r) {
  Subscriber s;
  s.id = r.Int(0);
  s.public_id = r.Str(1);
  s.kind = r.Str(2);
  s.email = r.Str(3);
  s.url = r.Str(4);
  json comps = json::parse(r.Str(5), nullptr, false);
  if (comps.is_array())
    for (const auto& c : comps)
      if (c.is_number_integer()) s.component_ids.push_back(c.get<int64_t>());
  s.state = r.Str(6);
  s.token = r.Str(7);
  s.created_at = r.Int(8);
  s.requested_at = r.Int(9);
  s.confirmed_at = r.OptInt(10);
  s.unsubscribed_at = r.OptInt(11);
  return s;
}

bool ValidToken(const std::string& t) {
  if (t.empty() || t.size() > 100) return false;
  return std::all_of(t.begin(), t.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

}  // namespace

std::optional<std::string> NormalizeEmail(std::string_view email) {
  while (!email.empty() && (email.front() == ' ' || email.front() == '\t')) email.remove_prefix(1);
  while (!email.empty() && (email.back() == ' ' || email.back() == '\t')) email.remove_suffix(1);
  if (email.empty() || email.size() > 254) return std::nullopt;
  auto at = email.find('@');
  if (at == 0 || at == std::string_view::npos || at > 64) return std::nullopt;
  if (email.find('@', at + 1) != std::string_view::npos) return std::nullopt;
  std::string_view domain = email.substr(at + 1);
  if (domain.size() < 3 || domain.find('.') == std::string_view::npos || domain.front() == '.' ||
      domain.back() == '.' || domain.find("..") != std::string_view::npos)
    return std::nullopt;
  std::string out;
  for (char c : email) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7F || std::string_view("<>()[]\\,;:\"'`").find(c) != std::string::npos)
      return std::nullopt;
    out += static_cast<char>(std::tolower(u));
  }
  return out;
}

bool PublicWebhookUrl(std::string_view url) {
  std::string_view rest;
  if (url.starts_with("https://"))
    rest = url.substr(8);
  else if (url.starts_with("http://"))
    rest = url.substr(7);
  else
    return false;
  if (url.size() > kMaxUrl) return false;
  for (char c : url) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7F || c == '"' || c == '<' || c == '>' || c == '\\') return false;
  }
  std::string_view host = rest.substr(0, rest.find_first_of("/?#"));
  if (auto at = host.rfind('@'); at != std::string_view::npos) host = host.substr(at + 1);
  if (host.starts_with("[")) {
    auto end = host.find(']');
    if (end == std::string_view::npos) return false;
    std::string v6(host.substr(1, end - 1));
    unsigned char a[16];
    if (inet_pton(AF_INET6, v6.c_str(), a) != 1) return false;
    bool zero = std::all_of(a, a + 15, [](unsigned char b) { return b == 0; });
    if (zero && (a[15] == 0 || a[15] == 1)) return false;     // :: and ::1
    if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) return false;  // link-local
    if ((a[0] & 0xfe) == 0xfc) return false;                  // unique local
    bool mapped = std::all_of(a, a + 10, [](unsigned char b) { return b == 0; }) && a[10] == 0xff &&
                  a[11] == 0xff;
    if (mapped) return false;
    return true;
  }
  host = host.substr(0, host.find(':'));
  if (host.empty()) return false;
  std::string h(host);
  std::transform(h.begin(), h.end(), h.begin(), [](unsigned char c) { return std::tolower(c); });
  while (!h.empty() && h.back() == '.') h.pop_back();
  if (h == "localhost" || h.ends_with(".localhost")) return false;
  unsigned char a[4];
  if (inet_pton(AF_INET, h.c_str(), a) == 1) {
    if (a[0] == 0 || a[0] == 10 || a[0] == 127) return false;
    if (a[0] == 169 && a[1] == 254) return false;
    if (a[0] == 172 && (a[1] & 0xf0) == 16) return false;
    if (a[0] == 192 && a[1] == 168) return false;
    if (a[0] == 100 && (a[1] & 0xc0) == 64) return false;  // carrier-grade NAT
    if (a[0] >= 224) return false;                         // multicast, reserved
  }
  // Numeric forms inet_pton does not take ("2130706433", "0x7f.1") are not URLs we keep.
  if (std::all_of(h.begin(), h.end(),
                  [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || c == '.'; }) &&
      inet_pton(AF_INET, h.c_str(), a) != 1)
    return false;
  if (h.starts_with("0x")) return false;
  return true;
}

void Subscriptions::Install() {
  status_.SetUpdateListener([this](store::Tx& tx, const Incident& inc) { return Notify(tx, inc); });
}

std::string Subscriptions::BaseUrl(const PageSettings& page) const {
  std::string base = page.url.empty() ? public_url_ : page.url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base;
}

Result<std::optional<Subscriber>> Subscriptions::Find(store::Tx& tx, const std::string& where,
                                                      store::Value arg) {
  auto row =
      tx.QueryOne(std::string("SELECT ") + kColumns + " FROM status_subscribers WHERE " + where,
                  {std::move(arg)});
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<Subscriber>();
  return std::optional<Subscriber>(FromRow(**row));
}

Result<std::vector<int64_t>> Subscriptions::ResolveComponents(store::Tx& tx, const json& list,
                                                              const std::string& pointer,
                                                              bool names_too,
                                                              std::vector<FieldError>* errs) {
  std::vector<int64_t> out;
  if (!list.is_array() || list.size() > kMaxComponents) {
    errs->push_back({pointer, "must be a list of components"});
    return out;
  }
  KLAXON_ASSIGN_OR_RETURN(auto all, status_.ListComponents(tx));
  for (size_t k = 0; k < list.size(); ++k) {
    const json& v = list[k];
    std::string key = v.is_string()           ? v.get<std::string>()
                      : v.is_number_integer() ? std::to_string(v.get<int64_t>())
                                              : std::string();
    const Component* found = nullptr;
    for (const auto& c : all)
      if (c.public_id == key || (names_too && (c.name == key || std::to_string(c.id) == key)))
        found = &c;
    if (!found) {
      errs->push_back({pointer + "/" + std::to_string(k), "unknown component"});
    } else if (std::find(out.begin(), out.end(), found->id) == out.end()) {
      out.push_back(found->id);
    }
  }
  return out;
}

Status Subscriptions::Mail(store::Tx& tx, const Subscriber& s, const PageSettings& page,
                           bool confirm) {
  if (!enqueue_ || s.email.empty()) return Status::Ok();
  TimeMs now = clock_.Now();
  std::string base = BaseUrl(page);
  SubscriberDelivery d;
  d.idem_key = "status-sub:" + s.public_id + ":" + std::to_string(now);
  d.kind = "subscription";
  d.subscriber_id = s.id;
  d.channel = "email";
  d.address = s.email;
  d.message.kind = "subscription";
  d.message.page_name = page.name;
  d.message.at = now;
  d.message.title = confirm ? "Confirm your subscription" : "Your subscription";
  if (confirm)
    d.message.confirm_url = base + "/status/subscription?token=" + s.token;
  else
    d.message.unsubscribe_url = base + "/status/unsubscribe?token=" + s.token;
  if (s.kind == "webhook") d.message.fields.emplace_back("Webhook", s.url);
  KLAXON_RETURN_IF_ERROR(enqueue_(tx, d));
  return tx.Exec("UPDATE status_subscribers SET last_mailed_at = ? WHERE id = ?", {now, s.id});
}

Status Subscriptions::Subscribe(store::Tx& tx, const json& body) {
  std::vector<FieldError> errs;
  for (const auto& [k, v] : body.items())
    if (k != "email" && k != "components" && k != "webhook")
      errs.push_back({"/" + k, "unknown field"});
  std::optional<std::string> email;
  if (!body.contains("email") || !body["email"].is_string() ||
      !(email = NormalizeEmail(body["email"].get<std::string>())))
    errs.push_back({"/email", "must be an email address"});
  std::string url;
  if (body.contains("webhook") &&
      !(body["webhook"].is_string() && body["webhook"].get<std::string>().empty())) {
    if (!body["webhook"].is_string() || !PublicWebhookUrl(body["webhook"].get<std::string>()))
      errs.push_back({"/webhook", "must be a public http(s) URL"});
    else
      url = body["webhook"].get<std::string>();
  }
  std::vector<int64_t> comps;
  if (body.contains("components")) {
    KLAXON_ASSIGN_OR_RETURN(comps,
                            ResolveComponents(tx, body["components"], "/components", false, &errs));
  }
  if (!errs.empty()) return Invalid("invalid subscription", std::move(errs));

  TimeMs now = clock_.Now();
  std::string kind = url.empty() ? "email" : "webhook";
  KLAXON_ASSIGN_OR_RETURN(auto page, status_.GetPage(tx));
  auto existing = tx.QueryOne(
      std::string("SELECT ") + kColumns +
          ", COALESCE(last_mailed_at, 0) FROM status_subscribers WHERE kind = ? AND email = ? AND "
          "url = ?",
      {kind, *email, url});
  if (!existing.ok()) return existing.status();
  events::Actor actor{"system", std::nullopt, "status page"};
  if (!*existing) {
    Subscriber s;
    s.public_id = NewPublicId();
    s.kind = kind;
    s.email = *email;
    s.url = url;
    s.component_ids = comps;
    s.state = "pending";
    s.token = RandomToken(24);
    auto row = tx.QueryOne(
        "INSERT INTO status_subscribers(public_id, kind, email, url, secret, components, state, "
        "token, created_at, requested_at) VALUES (?,?,?,?,?,?,?,?,?,?) RETURNING id",
        {s.public_id, kind, s.email, url, kind == "webhook" ? notify::NewWebhookSecret() : "",
         json(comps).dump(), s.state, s.token, now, now});
    if (!row.ok()) return row.status();
    s.id = (*row)->Int(0);
    KLAXON_RETURN_IF_ERROR(log_.Append(tx, events::Event::Of("status.subscriber_added", actor,
                                                             {{"subscriber", s.public_id},
                                                              {"kind", kind},
                                                              {"state", "pending"},
                                                              {"source", "public"}}))
                               .status());
    return Mail(tx, s, page, true);
  }
  Subscriber s = FromRow(**existing);
  TimeMs last_mailed = (*existing)->Int(12);
  bool may_mail = now - last_mailed >= kMailInterval || last_mailed > now;
  if (s.state == "active") return may_mail ? Mail(tx, s, page, false) : Status::Ok();
  if (s.state == "unsubscribed") {
    s.token = RandomToken(24);
    s.state = "pending";
    s.component_ids = comps;
    KLAXON_RETURN_IF_ERROR(
        tx.Exec("UPDATE status_subscribers SET state = 'pending', token = ?, components = ?, "
                "requested_at = ?, unsubscribed_at = NULL, confirmed_at = NULL WHERE id = ?",
                {s.token, json(comps).dump(), now, s.id}));
    KLAXON_RETURN_IF_ERROR(log_.Append(tx, events::Event::Of("status.subscriber_added", actor,
                                                             {{"subscriber", s.public_id},
                                                              {"kind", kind},
                                                              {"state", "pending"},
                                                              {"source", "public"}}))
                               .status());
    return may_mail ? Mail(tx, s, page, true) : Status::Ok();
  }
  // Pending: a new request restarts the confirmation window with the choice made now.
  KLAXON_RETURN_IF_ERROR(
      tx.Exec("UPDATE status_subscribers SET components = ?, requested_at = ? WHERE id = ?",
              {json(comps).dump(), now, s.id}));
  return may_mail ? Mail(tx, s, page, true) : Status::Ok();
}

Result<std::pair<Subscriber, std::string>> Subscriptions::Add(store::Tx& tx, const json& body,
                                                              const events::Actor& actor) {
  std::vector<FieldError> errs;
  for (const auto& [k, v] : body.items())
    if (k != "email" && k != "components" && k != "webhook" && k != "confirmed")
      errs.push_back({"/" + k, "unknown field"});
  std::string email;
  if (body.contains("email")) {
    auto e =
        body["email"].is_string() ? NormalizeEmail(body["email"].get<std::string>()) : std::nullopt;
    if (!e)
      errs.push_back({"/email", "must be an email address"});
    else
      email = *e;
  }
  std::string url;
  if (body.contains("webhook")) {
    std::optional<std::string> u;
    if (body["webhook"].is_string()) u = SafeHttpUrl(body["webhook"].get<std::string>());
    if (!u || u->size() > kMaxUrl)
      errs.push_back({"/webhook", "must be an http(s) URL"});
    else
      url = *u;
  }
  if (!body.contains("email") && !body.contains("webhook"))
    errs.push_back({"/email", "an email address or a webhook URL is required"});
  bool confirmed = false;
  if (body.contains("confirmed")) {
    if (!body["confirmed"].is_boolean())
      errs.push_back({"/confirmed", "must be true or false"});
    else
      confirmed = body["confirmed"].get<bool>();
  }
  std::vector<int64_t> comps;
  if (body.contains("components")) {
    KLAXON_ASSIGN_OR_RETURN(comps,
                            ResolveComponents(tx, body["components"], "/components", true, &errs));
  }
  if (!errs.empty()) return Invalid("invalid subscriber", std::move(errs));

  std::string kind = url.empty() ? "email" : "webhook";
  if (kind == "webhook" && email.empty()) confirmed = true;  // nobody to ask
  TimeMs now = clock_.Now();
  auto row = tx.QueryOne(std::string("SELECT ") + kColumns +
                             " FROM status_subscribers WHERE kind = ? AND email = ? AND url = ?",
                         {kind, email, url});
  if (!row.ok()) return row.status();
  std::optional<Subscriber> found;
  if (*row) found = FromRow(**row);
  if (found && found->state != "unsubscribed")
    return Conflict("already subscribed (subscriber " + found->public_id + ")");
  Subscriber s;
  s.kind = kind;
  s.email = email;
  s.url = url;
  s.component_ids = comps;
  s.state = confirmed ? "active" : "pending";
  s.token = RandomToken(24);
  s.created_at = s.requested_at = now;
  if (confirmed) s.confirmed_at = now;
  std::string secret = kind == "webhook" ? notify::NewWebhookSecret() : "";
  if (found) {
    s.id = found->id;
    s.public_id = found->public_id;
    s.created_at = found->created_at;
    KLAXON_RETURN_IF_ERROR(tx.Exec(
        "UPDATE status_subscribers SET state = ?, token = ?, secret = ?, components = ?, "
        "requested_at = ?, confirmed_at = ?, unsubscribed_at = NULL WHERE id = ?",
        {s.state, s.token, secret, json(comps).dump(), now, store::Opt(s.confirmed_at), s.id}));
  } else {
    s.public_id = NewPublicId();
    auto inserted = tx.QueryOne(
        "INSERT INTO status_subscribers(public_id, kind, email, url, secret, components, state, "
        "token, created_at, requested_at, confirmed_at) VALUES (?,?,?,?,?,?,?,?,?,?,?) "
        "RETURNING id",
        {s.public_id, kind, email, url, secret, json(comps).dump(), s.state, s.token, now, now,
         store::Opt(s.confirmed_at)});
    if (!inserted.ok()) return inserted.status();
    s.id = (*inserted)->Int(0);
  }
  KLAXON_RETURN_IF_ERROR(log_.Append(tx, events::Event::Of("status.subscriber_added", actor,
                                                           {{"subscriber", s.public_id},
                                                            {"kind", kind},
                                                            {"state", s.state},
                                                            {"source", "admin"}}))
                             .status());
  if (!confirmed) {
    KLAXON_ASSIGN_OR_RETURN(auto page, status_.GetPage(tx));
    KLAXON_RETURN_IF_ERROR(Mail(tx, s, page, true));
  }
  return std::make_pair(std::move(s), std::move(secret));
}

Result<std::vector<Subscriber>> Subscriptions::List(store::Tx& tx, bool all) {
  auto rows = tx.Query(std::string("SELECT ") + kColumns + " FROM status_subscribers" +
                           (all ? "" : " WHERE state != 'unsubscribed'") + " ORDER BY id DESC",
                       {});
  if (!rows.ok()) return rows.status();
  std::vector<Subscriber> out;
  for (const auto& r : *rows) out.push_back(FromRow(r));
  return out;
}

Status Subscriptions::Remove(store::Tx& tx, const std::string& key, const events::Actor& actor) {
  KLAXON_ASSIGN_OR_RETURN(auto s, Find(tx, "public_id = ?", key));
  if (!s) {
    int64_t id = 0;
    if (!key.empty() && std::all_of(key.begin(), key.end(), ::isdigit) && key.size() < 18)
      id = std::stoll(key);
    KLAXON_ASSIGN_OR_RETURN(s, Find(tx, "id = ?", id));
  }
  if (!s || s->state == "unsubscribed") return NotFound("no such subscriber");
  TimeMs now = clock_.Now();
  KLAXON_RETURN_IF_ERROR(tx.Exec(
      "UPDATE status_subscribers SET state = 'unsubscribed', unsubscribed_at = ? WHERE id = ?",
      {now, s->id}));
  KLAXON_RETURN_IF_ERROR(tx.Exec(
      "UPDATE outbox SET status = 'cancelled' WHERE subscriber_id = ? AND status = 'pending'",
      {s->id}));
  return log_
      .Append(tx, events::Event::Of("status.subscriber_removed", actor,
                                    {{"subscriber", s->public_id}, {"kind", s->kind}}))
      .status();
}

Result<Subscriber> Subscriptions::FindByToken(store::Tx& tx, const std::string& token) {
  if (!ValidToken(token)) return NotFound("unknown or expired link");
  KLAXON_ASSIGN_OR_RETURN(auto s, Find(tx, "token = ?", token));
  if (!s) return NotFound("unknown or expired link");
  return *s;
}

Result<Subscriber> Subscriptions::Confirm(store::Tx& tx, const std::string& token) {
  KLAXON_ASSIGN_OR_RETURN(Subscriber s, FindByToken(tx, token));
  if (s.state == "active") return s;
  if (s.state != "pending") return NotFound("unknown or expired link");
  TimeMs now = clock_.Now();
  if (now - s.requested_at > kConfirmTtl)
    return Status(Code::kConflict, "this confirmation link has expired; subscribe again");
  s.state = "active";
  s.confirmed_at = now;
  KLAXON_RETURN_IF_ERROR(
      tx.Exec("UPDATE status_subscribers SET state = 'active', confirmed_at = ? WHERE id = ?",
              {now, s.id}));
  KLAXON_RETURN_IF_ERROR(
      log_.Append(tx, events::Event::Of("status.subscriber_confirmed",
                                        events::Actor{"system", std::nullopt, "status page"},
                                        {{"subscriber", s.public_id}, {"kind", s.kind}}))
          .status());
  return s;
}

Result<Subscriber> Subscriptions::Unsubscribe(store::Tx& tx, const std::string& token) {
  KLAXON_ASSIGN_OR_RETURN(Subscriber s, FindByToken(tx, token));
  if (s.state == "unsubscribed") return s;
  KLAXON_RETURN_IF_ERROR(
      Remove(tx, s.public_id, events::Actor{"system", std::nullopt, "status page subscriber"}));
  s.state = "unsubscribed";
  s.unsubscribed_at = clock_.Now();
  return s;
}

Result<Subscriber> Subscriptions::SetComponents(store::Tx& tx, const std::string& token,
                                                const std::vector<std::string>& components) {
  KLAXON_ASSIGN_OR_RETURN(Subscriber s, FindByToken(tx, token));
  if (s.state == "unsubscribed") return NotFound("unknown or expired link");
  std::vector<FieldError> errs;
  KLAXON_ASSIGN_OR_RETURN(auto comps,
                          ResolveComponents(tx, json(components), "/components", false, &errs));
  if (!errs.empty()) return Invalid("invalid components", std::move(errs));
  s.component_ids = comps;
  KLAXON_RETURN_IF_ERROR(tx.Exec("UPDATE status_subscribers SET components = ? WHERE id = ?",
                                 {json(comps).dump(), s.id}));
  KLAXON_RETURN_IF_ERROR(
      log_.Append(tx,
                  events::Event::Of("status.subscriber_updated",
                                    events::Actor{"system", std::nullopt, "status page"},
                                    {{"subscriber", s.public_id}, {"components", comps.size()}}))
          .status());
  return s;
}

Status Subscriptions::Notify(store::Tx& tx, const Incident& inc) {
  if (!enqueue_ || inc.updates.empty()) return Status::Ok();
  const Update& u = inc.updates.front();
  auto rows = tx.Query(std::string("SELECT ") + kColumns +
                           ", secret FROM status_subscribers WHERE state = 'active' ORDER BY id",
                       {});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return Status::Ok();

  KLAXON_ASSIGN_OR_RETURN(auto comps, status_.ListComponents(tx));
  // The incident's components and the groups they belong to.
  std::set<int64_t> touched(inc.component_ids.begin(), inc.component_ids.end());
  for (const auto& c : comps)
    if (touched.count(c.id) && c.group_id) touched.insert(*c.group_id);
  bool any_webhook = false;
  for (const auto& r : *rows) any_webhook = any_webhook || r.Str(2) == "webhook";
  std::optional<Snapshot> snap;
  PageSettings page;
  if (any_webhook) {
    KLAXON_ASSIGN_OR_RETURN(snap, status_.Load(tx));
    page = snap->page;
  } else {
    KLAXON_ASSIGN_OR_RETURN(page, status_.GetPage(tx));
  }
  std::string base = BaseUrl(page);
  if (snap) snap->page.url = base;

  notify::Message m;
  m.kind = "status";
  m.page_name = page.name;
  m.title = inc.maintenance() ? "Maintenance: " + inc.name : inc.name;
  m.status = StatusLabel(u.status).empty() ? u.status : std::string(StatusLabel(u.status));
  m.summary = u.body;
  m.console_url = base + "/status/incidents/" + inc.public_id;
  m.at = u.created_at;
  std::string affected;
  for (int64_t id : inc.component_ids)
    for (const auto& c : comps)
      if (c.id == id) affected += (affected.empty() ? "" : ", ") + c.name;
  if (!affected.empty()) m.fields.emplace_back("Affected", affected);
  if (inc.maintenance() && inc.scheduled_for && inc.scheduled_until)
    m.fields.emplace_back("Window", FormatWindow(page, *inc.scheduled_for, *inc.scheduled_until));

  int64_t count = 0;
  for (const auto& r : *rows) {
    Subscriber s = FromRow(r);
    if (!s.component_ids.empty() && !touched.empty()) {
      bool wanted = false;
      for (int64_t id : s.component_ids) wanted = wanted || touched.count(id) > 0;
      if (!wanted) continue;
    }
    SubscriberDelivery d;
    d.idem_key = "status-update:" + u.public_id + ":" + s.public_id;
    d.kind = "status";
    d.subscriber_id = s.id;
    d.message = m;
    d.message.unsubscribe_url = base + "/status/unsubscribe?token=" + s.token;
    if (s.kind == "webhook") {
      d.channel = "webhook";
      d.address = s.url;
      d.secret = r.Str(12);
      d.message.payload = SubscriberPayload(*snap, inc, d.message.unsubscribe_url).dump();
    } else {
      d.channel = "email";
      d.address = s.email;
    }
    KLAXON_RETURN_IF_ERROR(enqueue_(tx, d));
    ++count;
  }
  if (count == 0) return Status::Ok();
  return log_
      .Append(
          tx,
          events::Event::Of(
              "status.subscribers_notified", events::Actor{"system", std::nullopt, "status page"},
              {{"status_incident", inc.public_id}, {"update", u.public_id}, {"count", count}}))
      .status();
}

}  // namespace klaxon::status
