// Users, roles, password hashes (argon2id), API tokens and console sessions.
//
// Secrets (tokens, session ids) are random 256-bit strings, shown once and stored only as
// hashes. Password hashing is deliberately slow, so it runs outside write transactions.
// AuthService holds references only; thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/status.h"
#include "events/event.h"
#include "store/store.h"

namespace klaxon::auth {

enum class Role { kNone = 0, kViewer = 1, kResponder = 2, kAdmin = 3 };
std::optional<Role> ParseRole(std::string_view s);
const char* RoleName(Role r);

struct User {
  int64_t id = 0;
  std::string username;
  std::string name;
  Role role = Role::kViewer;
  TimeMs created_at = 0;
  std::optional<TimeMs> deactivated_at;  // set: cannot log in, holds no session or token
  bool active() const { return !deactivated_at; }
  nlohmann::json ToJson() const;
};

// Who is making a request, and with what effective role.
struct Principal {
  User user;
  Role role = Role::kNone;          // a token's role can be lower than its user's
  std::optional<int64_t> token_id;  // set for API tokens
  std::optional<TimeMs> token_last_used_at;
  std::optional<int64_t> session_id;
  std::string csrf_token;  // sessions only
  events::Actor actor() const;
};

std::string HashPassword(std::string_view password);
bool VerifyPassword(std::string_view hash, std::string_view password);

struct NewUser {
  std::string username;
  std::string name;
  Role role = Role::kViewer;
  std::string password;
};

struct IssuedToken {
  int64_t id = 0;
  std::string name;
  Role role = Role::kViewer;
  std::string token;  // the secret, shown once
  TimeMs created_at = 0;
  nlohmann::json ToJson() const;
};

struct IssuedSession {
  std::string secret;  // the cookie value
  std::string csrf_token;
  TimeMs expires_at = 0;
};

class AuthService {
 public:
  AuthService(const Clock& clock, events::EventLog& log, int session_ttl_hours)
      : clock_(clock), log_(log), session_ttl_ms_(int64_t{session_ttl_hours} * 3600 * 1000) {}

  // Validates and inserts; `password_hash` comes from HashPassword (computed outside).
  Result<User> CreateUser(store::Tx& tx, const NewUser& u, const std::string& password_hash,
                          const events::Actor& actor);
  Status ValidateNewUser(const NewUser& u) const;
  Result<std::optional<User>> FindUser(store::Tx& tx, std::string_view username);
  Result<std::string> PasswordHashOf(store::Tx& tx, int64_t user_id);
  Result<std::vector<User>> ListUsers(store::Tx& tx);
  Result<int64_t> CountUsers(store::Tx& tx);
  Status SetPassword(store::Tx& tx, int64_t user_id, const std::string& password_hash,
                     const events::Actor& actor);

  Result<IssuedSession> CreateSession(store::Tx& tx, const User& u);
  Status EndSession(store::Tx& tx, int64_t session_id);
  Result<IssuedToken> CreateToken(store::Tx& tx, int64_t user_id, std::string name, Role role,
                                  const events::Actor& actor);
  Status RevokeToken(store::Tx& tx, int64_t token_id, const events::Actor& actor);
  Result<nlohmann::json> ListTokens(store::Tx& tx);

  // Deactivation keeps the user's history (incidents, events, reviews name them) but ends
  // their sessions, revokes their tokens and refuses their credentials. The caller checks
  // they are no longer on a schedule or escalation policy (paging::Catalog::UserReferences).
  // Reactivating gives them back their account, with no session or token.
  Status DeactivateUser(store::Tx& tx, const User& u, const events::Actor& actor);
  Status ReactivateUser(store::Tx& tx, const User& u, const events::Actor& actor);

  // Resolve credentials (read transactions). Unauthenticated when unknown, revoked or expired.
  Result<Principal> AuthenticateToken(store::Tx& tx, std::string_view bearer);
  Result<Principal> AuthenticateSession(store::Tx& tx, std::string_view cookie);

 private:
  Result<User> UserById(store::Tx& tx, int64_t id);
  const Clock& clock_;
  events::EventLog& log_;
  int64_t session_ttl_ms_;
};

}  // namespace klaxon::auth
