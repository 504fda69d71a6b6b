// Status page subscriptions: the public pages (subscribe, confirm, choose components,
// unsubscribe, RFC 8058 one-click) and the admin API (/api/v1/status/subscribers).
//
// The public side takes HTML forms (application/x-www-form-urlencoded) and JSON; forms get
// pages back, JSON gets JSON (problem+json on errors). Nothing changes on GET. Subscribing
// is rate-limited per client address and answers the same whatever the address's state.
#include "api/api.h"
#include "core/time_format.h"
#include "status/render.h"

namespace klaxon::api {

using nlohmann::json;

namespace {

constexpr const char* kHtml = "text/html; charset=utf-8";
constexpr size_t kMaxFormBody = 16 * 1024;
constexpr int kSubscribeBurst = 10;                  // per client address …
constexpr TimeMs kSubscribeWindow = 10 * 60 * 1000;  // … in this window

std::string ClientOf(const std::string& remote) {
  size_t colon = remote.rfind(':');
  return colon == std::string::npos ? remote : remote.substr(0, colon);
}

// "a=1&b=2&b=3" → all pairs, decoded, in order.
std::vector<std::pair<std::string, std::string>> FormPairs(std::string_view body) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!body.empty()) {
    size_t amp = body.find('&');
    std::string_view part = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
    if (part.empty()) continue;
    size_t eq = part.find('=');
    out.emplace_back(http::PercentDecode(part.substr(0, eq), true),
                     eq == std::string_view::npos ? std::string()
                                                  : http::PercentDecode(part.substr(eq + 1), true));
  }
  return out;
}

void PublicHeaders(http::Response& r, bool html) {
  r.Header("X-Content-Type-Options", "nosniff");
  r.Header("Referrer-Policy", "no-referrer");  // the URL carries the subscriber's token
  r.Header("Cache-Control", "no-store");
  if (html) {
    r.Header("Content-Security-Policy",
             "default-src 'none'; style-src 'self'; img-src 'self' https: http: data:; "
             "base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
    r.Header("X-Frame-Options", "DENY");
  }
}

http::Response Page(int status, std::string body) {
  http::Response r = http::Response::Text(status, std::move(body), kHtml);
  PublicHeaders(r, true);
  return r;
}

json SubscriberJson(const status::Subscriber& s, const std::vector<status::Component>& comps) {
  json components = json::array();
  for (int64_t id : s.component_ids)
    for (const auto& c : comps)
      if (c.id == id)
        components.push_back({{"id", c.id}, {"public_id", c.public_id}, {"name", c.name}});
  auto opt = [](const std::optional<TimeMs>& t) { return t ? json(FormatTime(*t)) : json(); };
  return {{"id", s.public_id},
          {"kind", s.kind},
          {"email", s.email},
          {"webhook", s.url.empty() ? json() : json(s.url)},
          {"components", components},
          {"state", s.state},
          {"created_at", FormatTime(s.created_at)},
          {"confirmed_at", opt(s.confirmed_at)},
          {"unsubscribed_at", opt(s.unsubscribed_at)}};
}

}  // namespace

bool Api::IsSubscriptionPath(const std::string& path) const {
  return path == "/status/subscribe" || path == "/status/subscription" ||
         path == "/status/subscription/confirm" || path == "/status/subscription/components" ||
         path == "/status/unsubscribe";
}

bool Api::SubscribeAllowed(const std::string& client, TimeMs now, int64_t* retry_after_s) {
  std::lock_guard lock(subscribe_mu_);
  if (subscribe_hits_.size() > 100000) subscribe_hits_.clear();  // bounded memory
  auto& hits = subscribe_hits_[client];
  while (!hits.empty() && (now - hits.front() >= kSubscribeWindow || hits.front() > now))
    hits.pop_front();
  if (static_cast<int>(hits.size()) >= kSubscribeBurst) {
    *retry_after_s = std::max<int64_t>(1, (hits.front() + kSubscribeWindow - now + 999) / 1000);
    return false;
  }
  hits.push_back(now);
  return true;
}

void Api::StatusSubscriptions(http::Request& req, http::Reply reply) {
  req.route = req.path;
  const std::string path = req.path;
  const bool post = req.method == "POST";
  if (!post && req.method != "GET" && req.method != "HEAD") {
    http::Response r = Page(405, "Method not allowed.\n");
    r.Header("Allow", "GET, HEAD, POST");
    return reply(std::move(r));
  }
  if ((path == "/status/subscription/confirm" || path == "/status/subscription/components") &&
      !post) {
    http::Response r = Page(405, "Open the link from your message.\n");
    r.Header("Allow", "POST");
    return reply(std::move(r));
  }

  // The request's fields: a form or a JSON object (POST), the query (GET, and the token
  // of a one-click unsubscribe, which mail clients post to the List-Unsubscribe URL).
  bool want_json = false;
  json fields = json::object();
  std::vector<std::string> components;
  for (const auto& [k, v] : req.query)
    if (k == "token") fields["token"] = v;
  if (post) {
    if (req.body.size() > kMaxFormBody)
      return reply(http::Response::Problem(
          Status(Code::kTooLarge, "the form is larger than 16 KiB"), req.request_id));
    std::string_view ct = req.Header("content-type");
    std::string type(ct.substr(0, ct.find(';')));
    std::transform(type.begin(), type.end(), type.begin(), ::tolower);
    while (!type.empty() && type.back() == ' ') type.pop_back();
    if (type == "application/json") {
      want_json = true;
      json body = json::parse(req.body, nullptr, false);
      if (!body.is_object())
        return reply(http::Response::Problem(
            Status(Code::kBadRequest, "the body must be a JSON object"), req.request_id));
      for (const auto& [k, v] : body.items()) fields[k] = v;
    } else if (type == "application/x-www-form-urlencoded" || (type.empty() && req.body.empty())) {
      for (const auto& [k, v] : FormPairs(req.body)) {
        if (k == "components")
          components.push_back(v);
        else if (k == "email" || k == "webhook" || k == "token")
          fields[k] = v;
        // Other form fields (List-Unsubscribe=One-Click, the button) carry no data.
      }
      fields["components"] = components;
    } else {
      return reply(http::Response::Problem(
          Status(Code::kUnsupportedMedia,
                 "send application/x-www-form-urlencoded or application/json"),
          req.request_id));
    }
  }
  std::string token = fields.contains("token") && fields["token"].is_string()
                          ? fields["token"].get<std::string>()
                          : std::string();
  auto snapshot = [this]() -> Result<status::Snapshot> {
    std::optional<status::Snapshot> snap;
    Status s = d_.store.Read([&](store::Tx& tx) -> Status {
      auto r = d_.status_page.Load(tx);
      if (!r.ok()) return r.status();
      snap = std::move(r).value();
      return Status::Ok();
    });
    if (!s.ok()) return s;
    snap->page.url = d_.subscriptions.BaseUrl(snap->page);
    return std::move(*snap);
  };
  auto fail = [&req](http::Reply& rep, const Status& s) {
    http::Response r = http::Response::Problem(s, req.request_id);
    PublicHeaders(r, false);
    rep(std::move(r));
  };

  // GET pages.
  if (!post) {
    auto snap = snapshot();
    if (!snap.ok()) return fail(reply, snap.status());
    if (path == "/status/subscribe") return reply(Page(200, status::RenderSubscribe(*snap, {})));
    if (path == "/status/unsubscribe") {
      if (token.empty())
        return reply(
            Page(404, status::RenderNotice(*snap, "Unknown link", "This link is not valid.")));
      return reply(Page(200, status::RenderUnsubscribe(*snap, token)));
    }
    // /status/subscription?token=
    std::optional<status::Subscriber> sub;
    Status s = d_.store.Read([&](store::Tx& tx) -> Status {
      auto r = d_.subscriptions.FindByToken(tx, token);
      if (!r.ok()) return r.status();
      sub = std::move(r).value();
      return Status::Ok();
    });
    if (!s.ok() && s.code() == Code::kNotFound)
      return reply(Page(404, status::RenderNotice(*snap, "Unknown link",
                                                  "This link is not valid. Subscribe again "
                                                  "from the status page.")));
    if (!s.ok()) return fail(reply, s);
    status::SubscriptionView v{token, sub->kind, sub->email, sub->url, sub->state, {}, ""};
    for (int64_t id : sub->component_ids)
      for (const auto& c : snap->components)
        if (c.id == id) v.components.push_back(c.public_id);
    return reply(Page(200, status::RenderSubscription(*snap, v)));
  }

  // POST /status/subscribe
  if (path == "/status/subscribe") {
    int64_t retry_after = 0;
    if (!SubscribeAllowed(ClientOf(req.remote), d_.clock.Now(), &retry_after)) {
      http::Response r = http::Response::Problem(
          Status(Code::kRateLimited, "too many subscription requests; try again later"),
          req.request_id);
      r.Header("Retry-After", std::to_string(retry_after));
      PublicHeaders(r, false);
      return reply(std::move(r));
    }
    json body = json::object();
    for (const char* k : {"email", "webhook", "components"})
      if (fields.contains(k)) body[k] = fields[k];
    if (want_json)
      for (const auto& [k, v] : fields.items())
        if (!body.contains(k)) body[k] = v;  // unknown fields are reported
    auto done = std::make_shared<http::Reply>(std::move(reply));
    d_.store.Submit(
        [this, body](store::Tx& tx) { return d_.subscriptions.Subscribe(tx, body); },
        [this, done, want_json, body, snapshot, request_id = req.request_id](const Status& s) {
          if (want_json) {
            if (!s.ok()) {
              http::Response r = http::Response::Problem(s, request_id);
              PublicHeaders(r, false);
              return (*done)(std::move(r));
            }
            http::Response r = http::Response::Json(
                202, {{"status", "pending"},
                      {"message",
                       "If the address can be subscribed, a confirmation link was sent to it."}});
            PublicHeaders(r, false);
            return (*done)(std::move(r));
          }
          auto snap = snapshot();
          if (!snap.ok()) return (*done)(Page(503, "Try again.\n"));
          if (!s.ok() && s.code() == Code::kInvalidArgument) {
            status::SubscribeForm form;
            if (body.contains("email") && body["email"].is_string())
              form.email = body["email"].get<std::string>();
            if (body.contains("webhook") && body["webhook"].is_string())
              form.webhook = body["webhook"].get<std::string>();
            if (body.contains("components") && body["components"].is_array())
              for (const auto& c : body["components"])
                if (c.is_string()) form.components.push_back(c.get<std::string>());
            std::string field = s.fields().empty() ? "" : s.fields()[0].field;
            form.error_field = field.starts_with("/webhook") ? "webhook" : "email";
            form.error = form.error_field == "webhook"
                             ? "Enter a public http(s) URL for the webhook, or leave it empty."
                         : field.starts_with("/components") ? "Choose components from the list."
                                                            : "Enter a valid email address.";
            return (*done)(Page(422, status::RenderSubscribe(*snap, form)));
          }
          if (!s.ok())
            return (*done)(Page(503, status::RenderNotice(*snap, "Try again",
                                                          "Klaxon could not record "
                                                          "this; try again.")));
          (*done)(Page(202, status::RenderNotice(
                                *snap, "Check your inbox",
                                "If the address can be subscribed, we sent a confirmation link "
                                "to it. Nothing is sent until you use that link.")));
        });
    return;
  }

  // POST with a token: confirm, components, unsubscribe.
  auto done = std::make_shared<http::Reply>(std::move(reply));
  auto result = std::make_shared<std::optional<status::Subscriber>>();
  d_.store.Submit(
      [this, path, token, components, fields, result](store::Tx& tx) -> Status {
        auto run = [&]() -> Result<status::Subscriber> {
          if (path == "/status/subscription/confirm") return d_.subscriptions.Confirm(tx, token);
          if (path == "/status/unsubscribe") return d_.subscriptions.Unsubscribe(tx, token);
          std::vector<std::string> chosen = components;
          if (fields.contains("components") && fields["components"].is_array()) {
            chosen.clear();
            for (const auto& c : fields["components"])
              chosen.push_back(c.is_string() ? c.get<std::string>() : c.dump());
          }
          return d_.subscriptions.SetComponents(tx, token, chosen);
        };
        auto r = run();
        if (!r.ok()) return r.status();
        *result = std::move(r).value();
        return Status::Ok();
      },
      [this, done, path, token, want_json, result, snapshot,
       request_id = req.request_id](const Status& s) {
        if (want_json) {
          if (!s.ok()) {
            http::Response r = http::Response::Problem(s, request_id);
            PublicHeaders(r, false);
            return (*done)(std::move(r));
          }
          http::Response r = http::Response::Json(200, {{"state", (*result)->state}});
          PublicHeaders(r, false);
          return (*done)(std::move(r));
        }
        auto snap = snapshot();
        if (!snap.ok()) return (*done)(Page(503, "Try again.\n"));
        if (s.code() == Code::kNotFound)
          return (*done)(Page(404, status::RenderNotice(*snap, "Unknown link",
                                                        "This link is not valid. Subscribe again "
                                                        "from the status page.")));
        if (s.code() == Code::kConflict)
          return (*done)(Page(410, status::RenderNotice(*snap, "Link expired",
                                                        "This confirmation link has expired. "
                                                        "Subscribe again from the status page.")));
        if (s.code() == Code::kInvalidArgument)
          return (*done)(Page(422, status::RenderNotice(*snap, "Unknown component",
                                                        "Choose components from the list.")));
        if (!s.ok())
          return (*done)(Page(503, status::RenderNotice(*snap, "Try again",
                                                        "Klaxon could not record this; try "
                                                        "again.")));
        const status::Subscriber& sub = **result;
        status::SubscriptionView v{token, sub.kind, sub.email, sub.url, sub.state, {}, ""};
        for (int64_t id : sub.component_ids)
          for (const auto& c : snap->components)
            if (c.id == id) v.components.push_back(c.public_id);
        v.notice = path == "/status/unsubscribe"            ? "You are unsubscribed."
                   : path == "/status/subscription/confirm" ? "Subscription confirmed."
                                                            : "Your choice is saved.";
        (*done)(Page(200, status::RenderSubscription(*snap, v)));
      });
}

// ---------------------------------------------------------------------------------------
// Admin API

void Api::ListStatusSubscribers(Call& c) {
  bool all = c.req.query.count("all") && c.req.query["all"] == "true";
  ReadJson(c, [this, all](store::Tx& tx) -> Result<json> {
    KLAXON_ASSIGN_OR_RETURN(auto list, d_.subscriptions.List(tx, all));
    KLAXON_ASSIGN_OR_RETURN(auto comps, d_.status_page.ListComponents(tx));
    json items = json::array();
    for (const auto& s : list) items.push_back(SubscriberJson(s, comps));
    return json{{"items", items}, {"next_cursor", nullptr}};
  });
}

void Api::AddStatusSubscriber(Call& c) {
  auto raw = RawBody(c);
  if (!raw) return;
  auto actor = c.principal.actor();
  WriteJson(c, 201, [this, raw = *raw, actor](store::Tx& tx) -> Result<json> {
    KLAXON_ASSIGN_OR_RETURN(auto added, d_.subscriptions.Add(tx, raw, actor));
    KLAXON_ASSIGN_OR_RETURN(auto comps, d_.status_page.ListComponents(tx));
    json out = SubscriberJson(added.first, comps);
    if (!added.second.empty()) out["webhook_secret"] = added.second;  // shown once
    return out;
  });
}

void Api::RemoveStatusSubscriber(Call& c) {
  std::string key = c.req.params["id"];
  auto actor = c.principal.actor();
  WriteJson(c, 204, [this, key, actor](store::Tx& tx) -> Result<json> {
    KLAXON_RETURN_IF_ERROR(d_.subscriptions.Remove(tx, key, actor));
    return json();
  });
}

}  // namespace klaxon::api
