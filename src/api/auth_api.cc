// Handlers for login, sessions, tokens and users.
#include "api/api.h"
#include "core/numbers.h"
#include "core/time_format.h"

namespace klaxon::api {

using nlohmann::json;

namespace {
std::string ClientAddress(const std::string& remote) {
  size_t colon = remote.rfind(':');
  return colon == std::string::npos ? remote : remote.substr(0, colon);
}
}  // namespace

bool Api::LoginAllowed(const std::string& remote, TimeMs now, int64_t* retry_after_s) {
  std::lock_guard lock(login_mu_);
  auto it = login_failures_.find(remote);
  if (it == login_failures_.end()) return true;
  auto& q = it->second;
  while (!q.empty() && q.front() <= now - kLoginWindowMs) q.pop_front();
  if (q.empty()) {
    login_failures_.erase(it);
    return true;
  }
  if (static_cast<int>(q.size()) < kMaxLoginFailures) return true;
  *retry_after_s = (q.front() + kLoginWindowMs - now) / 1000 + 1;
  return false;
}

void Api::NoteLoginFailure(const std::string& remote, TimeMs now) {
  std::lock_guard lock(login_mu_);
  if (login_failures_.size() > 100000) login_failures_.clear();  // bounded memory
  login_failures_[remote].push_back(now);
}

void Api::Login(Call& c) {
  auto body = Body(c);
  if (!body) return;
  std::string client = ClientAddress(c.req.remote);
  int64_t retry_after = 0;
  if (!LoginAllowed(client, d_.clock.Now(), &retry_after)) {
    http::Response r = http::Response::Problem(
        Status(Code::kRateLimited, "too many failed logins from this address; try again later"),
        c.req.request_id);
    r.Header("Retry-After", std::to_string(retry_after));
    return c.reply(std::move(r));
  }
  std::string username = (*body)["username"];
  std::string password = (*body)["password"];
  std::optional<std::string> token_name;
  if (body->contains("token_name")) token_name = (*body)["token_name"].get<std::string>();
  // argon2id takes a fraction of a second: off the HTTP workers, on the bounded hasher.
  bool queued = hasher_.Post([this, c, username, password, token_name, client]() mutable {
    FinishLogin(c, username, password, token_name, client);
  });
  if (!queued) Fail(c, Unavailable("too many logins in progress; try again"));
}

void Api::FinishLogin(Call& c, const std::string& username, const std::string& password,
                      const std::optional<std::string>& token_name, const std::string& client) {
  std::optional<auth::User> user;
  std::string hash;
  Status s = d_.store.Read([&](store::Tx& tx) -> Status {
    auto u = d_.auth.FindUser(tx, username);
    if (!u.ok()) return u.status();
    user = *u;
    if (!user) return Status::Ok();
    auto h = d_.auth.PasswordHashOf(tx, user->id);
    if (!h.ok()) return h.status();
    hash = *h;
    return Status::Ok();
  });
  if (!s.ok()) return Fail(c, s);
  // Verify even for unknown users so timing does not reveal which usernames exist.
  bool ok = auth::VerifyPassword(user ? hash : dummy_hash_, password) && user;
  if (!ok) {
    NoteLoginFailure(client, d_.clock.Now());
    return Fail(c, Unauthenticated("wrong username or password"));
  }
  if (!user->active()) return Fail(c, Unauthenticated("this account has been deactivated"));

  auth::User u = *user;
  if (token_name) {
    auth::Role role = u.role;
    WriteJson(c, 201, [this, u, role, name = *token_name](store::Tx& tx) -> Result<json> {
      auto t = d_.auth.CreateToken(tx, u.id, name, role, events::Actor{"user", u.id, u.username});
      if (!t.ok()) return t.status();
      return json{{"user", u.ToJson()}, {"token", t->token}, {"id", t->id}};
    });
    return;
  }
  auto session = std::make_shared<auth::IssuedSession>();
  std::string rid = c.req.request_id;
  bool secure = d_.secure_cookies;
  int64_t max_age = int64_t{d_.session_ttl_hours} * 3600;
  d_.store.Submit(
      [this, u, session](store::Tx& tx) -> Status {
        auto s = d_.auth.CreateSession(tx, u);
        if (!s.ok()) return s.status();
        *session = *s;
        return Status::Ok();
      },
      [reply = c.reply, session, u, rid, secure, max_age](const Status& st) {
        if (!st.ok()) return reply(http::Response::Problem(st, rid));
        http::Response r =
            http::Response::Json(200, {{"user", u.ToJson()}, {"csrf_token", session->csrf_token}});
        r.Header("Set-Cookie", "klaxon_session=" + session->secret +
                                   "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
                                   std::to_string(max_age) + (secure ? "; Secure" : ""));
        reply(std::move(r));
      });
}

void Api::Logout(Call& c) {
  auto body = Body(c);
  if (!body) return;
  auto session_id = c.principal.session_id;
  std::string rid = c.req.request_id;
  d_.store.Submit(
      [this, session_id](store::Tx& tx) -> Status {
        return session_id ? d_.auth.EndSession(tx, *session_id) : Status::Ok();
      },
      [reply = c.reply, rid](const Status& st) {
        if (!st.ok()) return reply(http::Response::Problem(st, rid));
        http::Response r = http::Response::NoContent();
        r.Header("Set-Cookie", "klaxon_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
        reply(std::move(r));
      });
}

void Api::Me(Call& c) {
  json user = c.principal.user.ToJson();
  user["role"] = auth::RoleName(c.principal.role);
  c.reply(http::Response::Json(
      200, {{"user", user},
            {"csrf_token", c.principal.session_id ? json(c.principal.csrf_token) : json()}}));
}

void Api::ListTokens(Call& c) {
  // Read through the writer queue so last_used_at updates queued before this request
  // (they are recorded asynchronously) are visible. A rare admin route; cheap enough.
  WriteJson(c, 200, [this](store::Tx& tx) -> Result<json> {
    auto items = d_.auth.ListTokens(tx);
    if (!items.ok()) return items.status();
    return json{{"items", *items}, {"next_cursor", nullptr}};
  });
}

void Api::CreateToken(Call& c) {
  auto body = Body(c);
  if (!body) return;
  auth::Role role = *auth::ParseRole((*body)["role"].get<std::string>());
  if (role > c.principal.role)
    return Fail(c, PermissionDenied("cannot issue a token with a higher role than your own"));
  auto actor = c.principal.actor();
  int64_t user_id = c.principal.user.id;
  WriteJson(c, 201,
            [this, actor, user_id, role,
             name = (*body)["name"].get<std::string>()](store::Tx& tx) -> Result<json> {
              auto t = d_.auth.CreateToken(tx, user_id, name, role, actor);
              if (!t.ok()) return t.status();
              return t->ToJson();
            });
}

void Api::RevokeToken(Call& c) {
  auto parsed = ParseInt64(c.req.params["id"], 1);
  if (!parsed) return Fail(c, NotFound("no token '" + c.req.params["id"] + "'"));
  int64_t id = *parsed;
  auto actor = c.principal.actor();
  WriteJson(c, 204, [this, id, actor](store::Tx& tx) -> Result<json> {
    KLAXON_RETURN_IF_ERROR(d_.auth.RevokeToken(tx, id, actor));
    return json();
  });
}

void Api::ListUsers(Call& c) {
  ReadJson(c, [this](store::Tx& tx) -> Result<json> {
    auto users = d_.auth.ListUsers(tx);
    if (!users.ok()) return users.status();
    json items = json::array();
    for (const auto& u : *users) items.push_back(u.ToJson());
    return json{{"items", items}, {"next_cursor", nullptr}};
  });
}

void Api::CreateUser(Call& c) {
  auto body = Body(c);
  if (!body) return;
  auth::NewUser u;
  u.username = (*body)["username"];
  u.name = body->value("name", "");
  u.role = *auth::ParseRole((*body)["role"].get<std::string>());
  u.password = (*body)["password"];
  Status valid = d_.auth.ValidateNewUser(u);
  if (!valid.ok()) return Fail(c, valid);
  bool queued = hasher_.Post([this, c, u]() mutable {
    std::string hash = auth::HashPassword(u.password);  // slow: outside the write transaction
    auto actor = c.principal.actor();
    WriteJson(c, 201, [this, u, hash, actor](store::Tx& tx) -> Result<json> {
      auto created = d_.auth.CreateUser(tx, u, hash, actor);
      if (!created.ok()) return created.status();
      return created->ToJson();
    });
  });
  if (!queued) Fail(c, Unavailable("too many password operations in progress; try again"));
}

}  // namespace klaxon::api
