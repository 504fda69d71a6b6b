#include "auth/auth.h"

#include <sodium.h>

#include "core/random.h"
#include "core/time_format.h"

namespace klaxon::auth {

namespace {
constexpr const char* kUserColumns = "id, username, name, role, created_at, deactivated_at";
User UserFromRow(const store::Row& r) {
  User u;
  u.id = r.Int(0);
  u.username = r.Str(1);
  u.name = r.Str(2);
  u.role = ParseRole(r.Str(3)).value_or(Role::kViewer);
  u.created_at = r.Int(4);
  u.deactivated_at = r.OptInt(5);
  return u;
}
bool ValidUsername(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ||
          c == '@'))
      return false;
  return true;
}
}  // namespace

std::optional<Role> ParseRole(std::string_view s) {
  if (s == "viewer") return Role::kViewer;
  if (s == "responder") return Role::kResponder;
  if (s == "admin") return Role::kAdmin;
  return std::nullopt;
}

const char* RoleName(Role r) {
  switch (r) {
    case Role::kViewer:
      return "viewer";
    case Role::kResponder:
      return "responder";
    case Role::kAdmin:
      return "admin";
    case Role::kNone:
      return "none";
  }
  return "none";
}

nlohmann::json User::ToJson() const {
  return {{"id", id},
          {"username", username},
          {"name", name},
          {"role", RoleName(role)},
          {"created_at", FormatTime(created_at)},
          {"active", active()},
          {"deactivated_at",
           deactivated_at ? nlohmann::json(FormatTime(*deactivated_at)) : nlohmann::json()}};
}

nlohmann::json IssuedToken::ToJson() const {
  return {{"id", id},
          {"name", name},
          {"role", RoleName(role)},
          {"token", token},
          {"created_at", FormatTime(created_at)}};
}

events::Actor Principal::actor() const {
  events::Actor a;
  a.type = token_id ? "token" : "user";
  a.id = user.id;
  a.name = user.username;
  return a;
}

std::string HashPassword(std::string_view password) {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(),
                            crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE,
                            crypto_pwhash_ALG_ARGON2ID13) != 0)
    return {};
  return out;
}

bool VerifyPassword(std::string_view hash, std::string_view password) {
  std::string h(hash);
  return !h.empty() && crypto_pwhash_str_verify(h.c_str(), password.data(), password.size()) == 0;
}

Status AuthService::ValidateNewUser(const NewUser& u) const {
  std::vector<FieldError> errs;
  if (!ValidUsername(u.username))
    errs.push_back({"/username", "must be 1-64 letters, digits or . _ - @"});
  if (u.name.size() > 200) errs.push_back({"/name", "must be at most 200 characters"});
  if (u.password.size() < 8 || u.password.size() > 1024)
    errs.push_back({"/password", "must be 8-1024 characters"});
  if (u.role == Role::kNone) errs.push_back({"/role", "must be viewer, responder or admin"});
  if (!errs.empty()) return Invalid("invalid user", std::move(errs));
  return Status::Ok();
}

Result<User> AuthService::CreateUser(store::Tx& tx, const NewUser& u,
                                     const std::string& password_hash, const events::Actor& actor) {
  KLAXON_RETURN_IF_ERROR(ValidateNewUser(u));
  auto existing = FindUser(tx, u.username);
  if (!existing.ok()) return existing.status();
  if (*existing) return Conflict("username '" + u.username + "' is taken");
  TimeMs now = clock_.Now();
  auto row = tx.QueryOne(
      "INSERT INTO users(username, name, role, password_hash, created_at) VALUES (?,?,?,?,?) "
      "RETURNING id",
      {u.username, u.name.empty() ? u.username : u.name, std::string(RoleName(u.role)),
       password_hash, now});
  if (!row.ok()) return row.status();
  User out{(*row)->Int(0), u.username, u.name.empty() ? u.username : u.name,
           u.role,         now,        std::nullopt};
  auto seq = log_.Append(
      tx, events::Event::Of(
              "user.created", actor,
              {{"user_id", out.id}, {"username", out.username}, {"role", RoleName(out.role)}}));
  if (!seq.ok()) return seq.status();
  return out;
}

Result<std::optional<User>> AuthService::FindUser(store::Tx& tx, std::string_view username) {
  auto row = tx.QueryOne(std::string("SELECT ") + kUserColumns + " FROM users WHERE username = ?",
                         {std::string(username)});
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<User>();
  return std::optional<User>(UserFromRow(**row));
}

Result<User> AuthService::UserById(store::Tx& tx, int64_t id) {
  auto row = tx.QueryOne(std::string("SELECT ") + kUserColumns + " FROM users WHERE id = ?", {id});
  if (!row.ok()) return row.status();
  if (!*row) return Unauthenticated("user no longer exists");
  User u = UserFromRow(**row);
  if (!u.active()) return Unauthenticated("this account has been deactivated");
  return u;
}

Result<std::string> AuthService::PasswordHashOf(store::Tx& tx, int64_t user_id) {
  auto row = tx.QueryOne("SELECT password_hash FROM users WHERE id = ?", {user_id});
  if (!row.ok()) return row.status();
  if (!*row) return NotFound("no such user");
  return (*row)->Str(0);
}

Result<std::vector<User>> AuthService::ListUsers(store::Tx& tx) {
  auto rows = tx.Query(std::string("SELECT ") + kUserColumns + " FROM users ORDER BY username");
  if (!rows.ok()) return rows.status();
  std::vector<User> out;
  for (const auto& r : *rows) out.push_back(UserFromRow(r));
  return out;
}

Result<int64_t> AuthService::CountUsers(store::Tx& tx) {
  auto row = tx.QueryOne("SELECT COUNT(*) FROM users");
  if (!row.ok()) return row.status();
  return (*row)->Int(0);
}

Status AuthService::SetPassword(store::Tx& tx, int64_t user_id, const std::string& password_hash,
                                const events::Actor& actor) {
  auto exists = tx.QueryOne("SELECT id FROM users WHERE id = ?", {user_id});
  if (!exists.ok()) return exists.status();
  if (!*exists) return NotFound("no user with id " + std::to_string(user_id));
  KLAXON_RETURN_IF_ERROR(
      tx.Exec("UPDATE users SET password_hash = ? WHERE id = ?", {password_hash, user_id}));
  // Existing console sessions end with a password change.
  KLAXON_RETURN_IF_ERROR(tx.Exec("DELETE FROM sessions WHERE user_id = ?", {user_id}));
  auto seq =
      log_.Append(tx, events::Event::Of("user.password_reset", actor, {{"user_id", user_id}}));
  return seq.ok() ? Status::Ok() : seq.status();
}

Result<IssuedSession> AuthService::CreateSession(store::Tx& tx, const User& u) {
  IssuedSession s{RandomToken(32), RandomToken(24), clock_.Now() + session_ttl_ms_};
  KLAXON_RETURN_IF_ERROR(
      tx.Exec("INSERT INTO sessions(user_id, token_hash, csrf_token, created_at, expires_at) "
              "VALUES (?,?,?,?,?)",
              {u.id, HashToken(s.secret), s.csrf_token, clock_.Now(), s.expires_at}));
  events::Actor a{"user", u.id, u.username};
  auto seq = log_.Append(tx, events::Event::Of("session.created", a, {{"user_id", u.id}}));
  if (!seq.ok()) return seq.status();
  return s;
}

Status AuthService::EndSession(store::Tx& tx, int64_t session_id) {
  return tx.Exec("DELETE FROM sessions WHERE id = ?", {session_id});
}

Result<IssuedToken> AuthService::CreateToken(store::Tx& tx, int64_t user_id, std::string name,
                                             Role role, const events::Actor& actor) {
  IssuedToken t;
  t.name = std::move(name);
  t.role = role;
  t.token = "kx_" + RandomToken(32);
  t.created_at = clock_.Now();
  auto row = tx.QueryOne(
      "INSERT INTO api_tokens(user_id, name, role, token_hash, created_at) VALUES (?,?,?,?,?) "
      "RETURNING id",
      {user_id, t.name, std::string(RoleName(role)), HashToken(t.token), t.created_at});
  if (!row.ok()) return row.status();
  t.id = (*row)->Int(0);
  auto seq = log_.Append(
      tx,
      events::Event::Of(
          "token.created", actor,
          {{"token_id", t.id}, {"name", t.name}, {"role", RoleName(role)}, {"user_id", user_id}}));
  if (!seq.ok()) return seq.status();
  return t;
}

Status AuthService::RevokeToken(store::Tx& tx, int64_t token_id, const events::Actor& actor) {
  auto row = tx.QueryOne("SELECT revoked_at FROM api_tokens WHERE id = ?", {token_id});
  if (!row.ok()) return row.status();
  if (!*row) return NotFound("no token with id " + std::to_string(token_id));
  if (!(*row)->IsNull(0))
    return Conflict("token " + std::to_string(token_id) + " is already revoked");
  KLAXON_RETURN_IF_ERROR(
      tx.Exec("UPDATE api_tokens SET revoked_at = ? WHERE id = ?", {clock_.Now(), token_id}));
  auto seq = log_.Append(tx, events::Event::Of("token.revoked", actor, {{"token_id", token_id}}));
  return seq.ok() ? Status::Ok() : seq.status();
}

Result<nlohmann::json> AuthService::ListTokens(store::Tx& tx) {
  auto rows = tx.Query(
      "SELECT t.id, t.name, t.role, u.username, t.created_at, t.last_used_at, t.revoked_at "
      "FROM api_tokens t JOIN users u ON u.id = t.user_id ORDER BY t.id");
  if (!rows.ok()) return rows.status();
  nlohmann::json items = nlohmann::json::array();
  auto opt_time = [](const store::Row& r, size_t i) {
    return r.IsNull(i) ? nlohmann::json() : nlohmann::json(FormatTime(r.Int(i)));
  };
  for (const auto& r : *rows)
    items.push_back({{"id", r.Int(0)},
                     {"name", r.Str(1)},
                     {"role", r.Str(2)},
                     {"user", r.Str(3)},
                     {"created_at", FormatTime(r.Int(4))},
                     {"last_used_at", opt_time(r, 5)},
                     {"revoked_at", opt_time(r, 6)}});
  return items;
}

Result<Principal> AuthService::AuthenticateToken(store::Tx& tx, std::string_view bearer) {
  if (!bearer.starts_with("kx_")) return Unauthenticated("invalid API token");
  auto row = tx.QueryOne(
      "SELECT id, user_id, role, revoked_at, last_used_at FROM api_tokens WHERE token_hash = ?",
      {HashToken(bearer)});
  if (!row.ok()) return row.status();
  if (!*row) return Unauthenticated("invalid API token");
  if (!(*row)->IsNull(3)) return Unauthenticated("API token has been revoked");
  auto user = UserById(tx, (*row)->Int(1));
  if (!user.ok()) return user.status();
  Principal p;
  p.user = *user;
  p.token_id = (*row)->Int(0);
  p.token_last_used_at = (*row)->OptInt(4);
  Role token_role = ParseRole((*row)->Str(2)).value_or(Role::kViewer);
  p.role = std::min(token_role, p.user.role);
  return p;
}

Result<Principal> AuthService::AuthenticateSession(store::Tx& tx, std::string_view cookie) {
  auto row =
      tx.QueryOne("SELECT id, user_id, csrf_token, expires_at FROM sessions WHERE token_hash = ?",
                  {HashToken(cookie)});
  if (!row.ok()) return row.status();
  if (!*row) return Unauthenticated("session is not valid; log in again");
  if ((*row)->Int(3) <= clock_.Now()) return Unauthenticated("session has expired; log in again");
  auto user = UserById(tx, (*row)->Int(1));
  if (!user.ok()) return user.status();
  Principal p;
  p.user = *user;
  p.role = p.user.role;
  p.session_id = (*row)->Int(0);
  p.csrf_token = (*row)->Str(2);
  return p;
}

Status AuthService::DeactivateUser(store::Tx& tx, const User& u, const events::Actor& actor) {
  if (!u.active()) return Status::Ok();
  TimeMs now = clock_.Now();
  KLAXON_RETURN_IF_ERROR(tx.Exec("UPDATE users SET deactivated_at = ? WHERE id = ?", {now, u.id}));
  KLAXON_RETURN_IF_ERROR(tx.Exec("DELETE FROM sessions WHERE user_id = ?", {u.id}));
  KLAXON_RETURN_IF_ERROR(
      tx.Exec("UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
              {now, u.id}));
  return log_
      .Append(tx, events::Event::Of("user.deactivated", actor,
                                    {{"user_id", u.id}, {"username", u.username}}))
      .status();
}

Status AuthService::ReactivateUser(store::Tx& tx, const User& u, const events::Actor& actor) {
  if (u.active()) return Status::Ok();
  KLAXON_RETURN_IF_ERROR(tx.Exec("UPDATE users SET deactivated_at = NULL WHERE id = ?", {u.id}));
  return log_
      .Append(tx, events::Event::Of("user.reactivated", actor,
                                    {{"user_id", u.id}, {"username", u.username}}))
      .status();
}

}  // namespace klaxon::auth
