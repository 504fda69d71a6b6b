#include "api/api.h"

#include "api/event_streams.h"
#include "api/schema.h"
#include "core/log.h"
#include "core/numbers.h"
#include "core/random.h"
#include "core/time_format.h"
#include "web/assets.h"

#include <algorithm>
#include <thread>

namespace klaxon::api {

using nlohmann::json;

namespace {

constexpr std::string_view kSessionCookie = "klaxon_session";

void AddSecurityHeaders(http::Response& r, bool html) {
  r.Header("X-Content-Type-Options", "nosniff");
  r.Header("Referrer-Policy", "no-referrer");
  if (html) {
    r.Header("Content-Security-Policy",
             "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
             "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
    r.Header("X-Frame-Options", "DENY");
  }
}

bool IsJsonContentType(std::string_view ct) {
  size_t semi = ct.find(';');
  std::string_view base = ct.substr(0, semi);
  while (!base.empty() && base.back() == ' ') base.remove_suffix(1);
  std::string lower(base);
  for (auto& ch : lower) ch = static_cast<char>(std::tolower(ch));
  return lower == "application/json" ||
         (lower.starts_with("application/") && lower.ends_with("+json"));
}

// If-None-Match: "*", one tag or a list, weak tags compared weakly.
bool EtagMatches(std::string_view header, std::string_view etag) {
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

}  // namespace

namespace {
// As many handler threads as cores, two to three: the store has four reader connections
// and one must stay free for the HTTP threads' reads (intake's, /readyz, the status page).
size_t HandlerThreads() { return std::clamp<size_t>(std::thread::hardware_concurrency(), 2, 3); }
}  // namespace

Api::Api(ApiDeps deps)
    : d_(std::move(deps)),
      streams_(std::make_unique<EventStreams>(d_.store, d_.log, d_.bus)),
      handlers_(HandlerThreads(), 1024, "klaxon-api") {
  BuildRoutes();
  dummy_hash_ = auth::HashPassword("not-a-real-password");
  d_.metrics.Describe("klaxon_http_requests_total", "counter",
                      "HTTP requests by route, method and status");
  d_.metrics.Describe("klaxon_http_request_duration_seconds", "histogram",
                      "HTTP request duration by route");
  d_.metrics.Describe("klaxon_store_commit_duration_seconds", "histogram",
                      "Duration of each store commit (a group of commands)");
  d_.metrics.Describe("klaxon_store_commands_total", "counter", "Write commands committed");
  d_.metrics.Describe("klaxon_events_appended_total", "counter",
                      "Events appended to the log, by kind");
  d_.metrics.Describe("klaxon_incidents_open", "gauge", "Open incidents by severity");
  d_.metrics.Describe("klaxon_event_stream_clients", "gauge", "Connected live event streams");
}

Api::~Api() { Shutdown(); }

void Api::Shutdown() { streams_->Shutdown(); }

void Api::StopHandlers() {
  handlers_.Stop();  // first: its handlers may still hand work to the others
  hasher_.Stop();
  actions_.Stop();
  settler_.Stop();
}

void Api::Fail(Call& c, const Status& s) { c.reply(http::Response::Problem(s, c.req.request_id)); }

void Api::Handle(http::Request& req, http::Reply reply) {
  const std::string& path = req.path;
  if (path == "/healthz") {
    req.route = path;
    return reply(http::Response::Text(200, "ok\n"));
  }
  if (path == "/readyz") {
    req.route = path;
    Status s = d_.store.Ready();
    if (s.ok()) s = d_.store.Read([](store::Tx& tx) { return tx.Exec("SELECT 1"); });
    return reply(
        s.ok() ? http::Response::Text(200, "ready\n")
               : http::Response::Problem(Unavailable("not ready: " + s.message()), req.request_id));
  }
  if (path == "/metrics") {
    req.route = path;
    return OffThread(req, std::move(reply),
                     [this](http::Request&, http::Reply r) { Metrics(std::move(r)); });
  }
  if (IsIntakePath(path)) return Intake(req, std::move(reply));
  if (IsSubscriptionPath(path)) return StatusSubscriptions(req, std::move(reply));
  if (IsStatusPublicPath(path)) return StatusPublic(req, std::move(reply));
  if (IsPagingPublicPath(path)) return PagingPublic(req, std::move(reply));
  if (!path.starts_with("/api/")) return ServeStatic(req, reply);

  bool path_known = false;
  auto match = router_.Find(req.method, path, &path_known);
  if (!match) {
    req.route = "unmatched";
    Status s = path_known ? Status(Code::kMethodNotAllowed,
                                   "method " + req.method + " is not allowed on " + path)
                          : NotFound("no route " + req.method + " " + path);
    http::Response r = http::Response::Problem(s, req.request_id);
    if (path_known) r.Header("Allow", router_.AllowedMethods(path));
    return reply(std::move(r));
  }
  req.params = std::move(match->params);
  req.route = routes_[match->index].path;
  const Route* route = &routes_[match->index];
  OffThread(req, std::move(reply), [this, route](http::Request& r, http::Reply rep) {
    Dispatch(r, std::move(rep), *route);
  });
}

// The handler gets its own copy of the request: once it has replied, the session may read
// the connection's next request into its own while the handler is still unwinding. The
// copy lives as long as the reply does: a handler that answers later (after a password
// hash on another pool, after a write commits) still reads it through its Call.
void Api::OffThread(http::Request& req, http::Reply reply,
                    std::function<void(http::Request&, http::Reply)> handler) {
  auto copy = std::make_shared<http::Request>(req);
  http::Reply held = [copy, reply](http::Response r) { reply(std::move(r)); };
  auto run = [copy, held, handler = std::move(handler)]() mutable {
    const std::string request_id = copy->request_id;
    try {
      handler(*copy, held);
    } catch (const std::exception& e) {
      LogError("handler failed", {{"request_id", request_id}, {"error", e.what()}});
      held(http::Response::Problem(Internal("internal error; request id " + request_id),
                                   request_id));
    }
  };
  if (handlers_.Post(run)) return;
  http::Response r = http::Response::Problem(
      Unavailable("the server is busy with other requests; retry shortly"), req.request_id);
  r.Header("Retry-After", "1");
  reply(std::move(r));
}

void Api::Metrics(http::Reply reply) {
  (void)d_.store.Read([&](store::Tx& tx) -> Status {
    auto r = d_.incidents.CountOpenBySeverity(tx);
    if (!r.ok()) return r.status();
    for (const auto& [sev, n] : *r)
      d_.metrics.Set("klaxon_incidents_open", {{"severity", sev}}, static_cast<double>(n));
    return Status::Ok();
  });
  d_.metrics.Set("klaxon_event_stream_clients", {}, static_cast<double>(streams_->clients()));
  reply(http::Response::Text(200, d_.metrics.Render(), "text/plain; version=0.0.4; charset=utf-8"));
}

void Api::Dispatch(http::Request& req, http::Reply reply, const Route& route) {
  req.route = route.path;
  Call c{req, {}, [reply = std::move(reply)](http::Response r) {
           AddSecurityHeaders(r, false);
           r.Header("Cache-Control", "no-store");
           reply(std::move(r));
         }};
  c.request_schema = &route.request_schema;
  if (route.role != auth::Role::kNone) {
    std::string_view authz = req.Header("authorization");
    std::optional<std::string> cookie = req.Cookie(kSessionCookie);
    Result<auth::Principal> p =
        Unauthenticated("authentication required: send Authorization: Bearer <token> or log in");
    if (!authz.empty()) {
      if (!authz.starts_with("Bearer ") && !authz.starts_with("bearer ")) {
        p = Unauthenticated("unsupported Authorization scheme; use Bearer");
      } else {
        std::string token(authz.substr(7));
        Status s = d_.store.Read([&](store::Tx& tx) {
          p = d_.auth.AuthenticateToken(tx, token);
          return Status::Ok();
        });
        if (!s.ok()) p = s;
      }
    } else if (cookie) {
      Status s = d_.store.Read([&](store::Tx& tx) {
        p = d_.auth.AuthenticateSession(tx, *cookie);
        return Status::Ok();
      });
      if (!s.ok()) p = s;
    }
    if (!p.ok()) {
      http::Response r = http::Response::Problem(p.status(), req.request_id);
      r.Header("WWW-Authenticate", "Bearer realm=\"klaxon\"");
      return c.reply(std::move(r));
    }
    c.principal = std::move(p).value();
    NoteTokenUse(c.principal);
    if (c.principal.session_id && req.method != "GET" && req.method != "HEAD") {
      std::string_view csrf = req.Header("x-csrf-token");
      if (csrf.empty() || !ConstantTimeEqual(csrf, c.principal.csrf_token))
        return Fail(c,
                    PermissionDenied("missing or wrong X-CSRF-Token header for a console session"));
    }
    if (c.principal.role < route.role)
      return Fail(c, PermissionDenied(std::string("this needs the ") + auth::RoleName(route.role) +
                                      " role; you have " + auth::RoleName(c.principal.role)));
  }
  if (!route.request_schema.is_null() && !req.body.empty() &&
      !IsJsonContentType(req.Header("content-type")))
    return Fail(c, Status(Code::kUnsupportedMedia, "request body must be application/json",
                          {{"content-type", "must be application/json"}}));
  try {
    (this->*route.handler)(c);
  } catch (const std::exception& e) {
    LogError("handler failed", {{"request_id", req.request_id}, {"error", e.what()}});
    Fail(c, Internal("internal error; request id " + req.request_id));
  }
}

void Api::NoteTokenUse(const auth::Principal& p) {
  // Recorded at most once a minute per token, off the request's path.
  if (!p.token_id) return;
  TimeMs now = d_.clock.Now();
  if (p.token_last_used_at && now - *p.token_last_used_at < 60'000) return;
  int64_t id = *p.token_id;
  d_.store.Submit(
      [id, now](store::Tx& tx) {
        return tx.Exec("UPDATE api_tokens SET last_used_at = ? WHERE id = ?", {now, id});
      },
      [](const Status&) {});
}

std::optional<json> Api::Body(Call& c) {
  const json& schema = *c.request_schema;
  bool required = schema.contains("required") && !schema["required"].empty();
  auto body = ParseJsonBody(c.req.body, !required);
  if (!body.ok()) {
    Fail(c, body.status());
    return std::nullopt;
  }
  Status s = ValidateBody(schema, *body);
  if (!s.ok()) {
    Fail(c, s);
    return std::nullopt;
  }
  // An optional field given as null means "not given"; handlers never see nulls.
  for (auto it = body->begin(); it != body->end();)
    it = it->is_null() ? body->erase(it) : std::next(it);
  return std::move(body).value();
}

std::optional<int64_t> Api::IncidentId(Call& c) {
  auto id = incidents::ParseIncidentId(c.req.params["id"]);
  if (!id) Fail(c, NotFound("no incident '" + c.req.params["id"] + "'"));
  return id;
}

void Api::WriteJson(Call& c, int status, std::function<Result<json>(store::Tx&)> fn) {
  struct Outcome {
    json body;
    int status;
    bool replayed = false;
  };
  auto out = std::make_shared<Outcome>(Outcome{json(), status});
  std::string rid = c.req.request_id;
  // Idempotency-Key: the response is stored in the same transaction as the change, so a
  // retried request (even across a crash) gets the first answer and changes nothing.
  std::string key(c.req.Header("idempotency-key"));
  if (key.size() > 200)
    return Fail(c, InvalidField("Idempotency-Key", "must be at most 200 characters"));
  std::string scope = std::to_string(c.principal.user.id) + " " + c.req.method + " " + c.req.path;
  std::string request_hash = HashToken(c.req.body);
  TimeMs now = d_.clock.Now();
  d_.store.Submit(
      [fn = std::move(fn), out, key, scope, request_hash, now](store::Tx& tx) -> Status {
        if (!key.empty()) {
          auto prior = tx.QueryOne(
              "SELECT request_hash, status, body FROM idempotency_keys WHERE scope = ? AND key = ?",
              {scope, key});
          if (!prior.ok()) return prior.status();
          if (*prior) {
            if ((*prior)->Str(0) != request_hash)
              return Status(Code::kConflict,
                            "Idempotency-Key was used before with a different request",
                            {{"Idempotency-Key", "reused with a different body"}});
            out->status = static_cast<int>((*prior)->Int(1));
            out->body = json::parse((*prior)->Str(2), nullptr, false);
            out->replayed = true;
            return Status::Ok();
          }
        }
        auto r = fn(tx);
        if (!r.ok()) return r.status();
        out->body = std::move(r).value();
        if (key.empty()) return Status::Ok();
        return tx.Exec(
            "INSERT INTO idempotency_keys(scope, key, request_hash, status, body, created_at) "
            "VALUES (?,?,?,?,?,?)",
            {scope, key, request_hash, int64_t{out->status}, out->body.dump(), now});
      },
      [reply = c.reply, out, rid](const Status& s) {
        if (!s.ok()) return reply(http::Response::Problem(s, rid));
        http::Response r = out->status == 204 ? http::Response::NoContent()
                                              : http::Response::Json(out->status, out->body);
        if (out->replayed) r.Header("Idempotent-Replayed", "true");
        reply(std::move(r));
      });
}

void Api::ReadJson(Call& c, std::function<Result<json>(store::Tx&)> fn) {
  json out;
  Status s = d_.store.Read([&](store::Tx& tx) -> Status {
    auto r = fn(tx);
    if (!r.ok()) return r.status();
    out = std::move(r).value();
    return Status::Ok();
  });
  if (!s.ok()) return Fail(c, s);
  c.reply(http::Response::Json(200, out));
}

void Api::ServeStatic(http::Request& req, http::Reply& reply) {
  req.route = "static";
  if (req.method != "GET" && req.method != "HEAD")
    return reply(http::Response::Problem(NotFound("no route " + req.method + " " + req.path),
                                         req.request_id));
  std::string path = req.path;
  if (path == "/" || path == "/ui" || path.starts_with("/ui/")) path = "/index.html";
  const web::Asset* a = web::FindAsset(path);
  if (!a) return reply(http::Response::Problem(NotFound("no page " + req.path), req.request_id));
  http::Response r;
  if (EtagMatches(req.Header("if-none-match"), a->etag)) {
    r.status = 304;
  } else {
    r.status = 200;
    if (req.method != "HEAD") r.body = std::string(a->body);
    r.Header("Content-Type", std::string(a->content_type));
  }
  r.Header("ETag", std::string(a->etag));
  // Asset names are fixed, so browsers revalidate each time (a 304 costs no body).
  r.Header("Cache-Control", "no-cache");
  AddSecurityHeaders(r, true);
  reply(std::move(r));
}

void Api::GetOpenApi(Call& c) { c.reply(http::Response::Json(200, OpenApi())); }

void Api::StreamEvents(Call& c) {
  std::optional<int64_t> after;
  std::string last = std::string(c.req.Header("last-event-id"));
  if (last.empty() && c.req.query.count("after")) last = c.req.query["after"];
  if (!last.empty()) {
    after = ParseInt64(last, 0);
    if (!after)
      return Fail(c, Status(Code::kBadRequest, "Last-Event-ID must be an event seq",
                            {{"Last-Event-ID", "must be a non-negative integer"}}));
  }
  if (streams_->clients() >= EventStreams::kMaxClients)
    return Fail(c, Status(Code::kRateLimited, "too many live event streams"));
  http::Response r;
  r.status = 200;
  r.Header("Content-Type", "text/event-stream");
  r.Header("X-Accel-Buffering", "no");
  r.stream = [this, after](std::shared_ptr<http::StreamSink> sink) {
    streams_->Attach(sink, after);
  };
  c.reply(std::move(r));
}

void Api::GetClock(Call& c) {
  c.reply(http::Response::Json(
      200, {{"now", FormatTime(d_.clock.Now())}, {"mode", d_.manual_clock ? "manual" : "system"}}));
}

void Api::AdvanceClock(Call& c) {
  auto body = Body(c);
  if (!body) return;
  if (!d_.manual_clock)
    return Fail(c,
                Conflict("the clock can only be moved when the server runs with --clock manual"));
  int64_t secs = (*body)["seconds"].get<int64_t>();
  ManualClock* clock = d_.manual_clock;
  auto actor = c.principal.actor();
  auto reply = std::make_shared<http::Reply>(std::move(c.reply));
  std::string request_id = c.req.request_id;
  d_.store.Submit(
      [this, clock, secs, actor](store::Tx& tx) -> Status {
        auto seq =
            d_.log.Append(tx, events::Event::Of("clock.advanced", actor, {{"seconds", secs}}));
        if (!seq.ok()) return seq.status();
        // Time moves only once the event is committed.
        tx.OnCommit([clock, secs] { clock->Advance(secs * 1000); });
        return Status::Ok();
      },
      [this, reply, request_id, clock](const Status& s) {
        if (!s.ok()) return (*reply)(http::Response::Problem(s, request_id));
        // Answer once the engine has handled every timer now due (off the writer thread,
        // which the handlers need).
        bool posted = settler_.Post([this, reply, clock] {
          d_.timers.Settle(10'000);
          d_.dispatcher.Poke();
          (*reply)(
              http::Response::Json(200, {{"now", FormatTime(clock->Now())}, {"mode", "manual"}}));
        });
        if (!posted)
          (*reply)(http::Response::Problem(
              Status(Code::kRateLimited, "too many clock moves at once"), request_id));
      });
}

}  // namespace klaxon::api
