#include "paging/people.h"

#include <sodium.h>

#include "core/numbers.h"
#include "core/random.h"
#include "core/time_format.h"
#include "oncall/rotation.h"

namespace klaxon::paging {

namespace {

constexpr size_t kMaxAddress = 2000;
constexpr size_t kMaxLabel = 100;
constexpr size_t kMaxMethodsPerUser = 20;
constexpr size_t kMaxRulesPerUser = 50;

const char* kMethodColumns =
    "id, user_id, kind, address, label, secret, verified_at, created_at FROM contact_methods";

ContactMethod MethodFromRow(const store::Row& r) {
  ContactMethod m;
  m.id = r.Int(0);
  m.user_id = r.Int(1);
  m.kind = notify::ParseChannel(r.Str(2)).value_or(notify::ChannelKind::kWebhook);
  m.address = r.Str(3);
  m.label = r.Str(4);
  m.secret = r.Str(5);
  m.verified_at = r.OptInt(6);
  m.created_at = r.Int(7);
  return m;
}

}  // namespace

nlohmann::json ContactMethod::ToJson(bool with_secret) const {
  nlohmann::json j = {{"id", id},
                      {"kind", notify::ChannelName(kind)},
                      {"address", address},
                      {"label", label},
                      {"verified", verified_at.has_value()},
                      {"created_at", FormatTime(created_at)}};
  if (with_secret && kind == notify::ChannelKind::kWebhook) j["webhook_secret"] = secret;
  return j;
}

Status ValidateAddress(notify::ChannelKind kind, const std::string& address) {
  if (address.empty()) return InvalidField("/address", "is required");
  if (address.size() > kMaxAddress) return InvalidField("/address", "is too long");
  for (unsigned char c : address)
    if (c <= 0x20 || c == 0x7f) return InvalidField("/address", "must not contain spaces");
  if (kind == notify::ChannelKind::kEmail) {
    auto at = address.find('@');
    if (at == std::string::npos || at == 0 || at + 1 >= address.size() ||
        address.find('@', at + 1) != std::string::npos ||
        address.find_first_of("<>,;\"()[]\\") != std::string::npos)
      return InvalidField("/address", "must be an email address");
    return Status::Ok();
  }
  if (!address.starts_with("https://") && !address.starts_with("http://"))
    return InvalidField("/address", "must be an http:// or https:// URL");
  auto host_start = address.find("//") + 2;
  if (host_start >= address.size() || address[host_start] == '/')
    return InvalidField("/address", "must name a host");
  return Status::Ok();
}

Result<UserRef> People::GetUser(store::Tx& tx, int64_t id) {
  auto row = tx.QueryOne("SELECT id, username, name FROM users WHERE id = ?", {id});
  if (!row.ok()) return row.status();
  if (!*row) return NotFound("no user " + std::to_string(id));
  return UserRef{(*row)->Int(0), (*row)->Str(1), (*row)->Str(2)};
}

Result<UserRef> People::FindUser(store::Tx& tx, const std::string& id_or_name) {
  if (auto id = ParseInt64(id_or_name)) {
    auto row = tx.QueryOne(
        "SELECT id, username, name FROM users WHERE id = ? AND deactivated_at IS NULL", {*id});
    if (!row.ok()) return row.status();
    if (*row) return UserRef{(*row)->Int(0), (*row)->Str(1), (*row)->Str(2)};
  }
  auto row = tx.QueryOne(
      "SELECT id, username, name FROM users WHERE username = ? AND deactivated_at IS NULL",
      {id_or_name});
  if (!row.ok()) return row.status();
  if (!*row) return NotFound("no user '" + id_or_name + "'");
  return UserRef{(*row)->Int(0), (*row)->Str(1), (*row)->Str(2)};
}

Result<std::optional<int64_t>> People::UserByIcalToken(store::Tx& tx, const std::string& token) {
  auto row =
      tx.QueryOne("SELECT id FROM users WHERE ical_token = ? AND deactivated_at IS NULL", {token});
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<int64_t>();
  return std::optional<int64_t>((*row)->Int(0));
}

Result<std::vector<ContactMethod>> People::Methods(store::Tx& tx, int64_t user_id) {
  auto rows = tx.Query(std::string("SELECT ") + kMethodColumns + " WHERE user_id = ? ORDER BY id",
                       {user_id});
  if (!rows.ok()) return rows.status();
  std::vector<ContactMethod> out;
  for (const auto& r : *rows) out.push_back(MethodFromRow(r));
  return out;
}

Result<Profile> People::GetProfile(store::Tx& tx, int64_t user_id) {
  auto row = tx.QueryOne(
      "SELECT id, username, name, role, time_zone, COALESCE(ical_token, '') FROM users WHERE id = "
      "?",
      {user_id});
  if (!row.ok()) return row.status();
  if (!*row) return NotFound("no user " + std::to_string(user_id));
  Profile p;
  p.user = {(*row)->Int(0), (*row)->Str(1), (*row)->Str(2)};
  p.role = (*row)->Str(3);
  p.time_zone = (*row)->Str(4);
  p.ical_token = (*row)->Str(5);
  KLAXON_ASSIGN_OR_RETURN(p.methods, Methods(tx, user_id));
  auto rules = tx.Query(
      "SELECT id, user_id, contact_method_id, delay_minutes FROM notification_rules "
      "WHERE user_id = ? ORDER BY delay_minutes, id",
      {user_id});
  if (!rules.ok()) return rules.status();
  for (const auto& r : *rules)
    p.rules.push_back({r.Int(0), r.Int(1), r.Int(2), static_cast<int>(r.Int(3))});
  return p;
}

Result<std::string> People::EnsureIcalToken(store::Tx& tx, int64_t user_id) {
  auto row = tx.QueryOne("SELECT COALESCE(ical_token, '') FROM users WHERE id = ?", {user_id});
  if (!row.ok()) return row.status();
  if (!*row) return NotFound("no user " + std::to_string(user_id));
  std::string token = (*row)->Str(0);
  if (!token.empty()) return token;
  token = RandomToken(24);
  KLAXON_RETURN_IF_ERROR(tx.Exec("UPDATE users SET ical_token = ? WHERE id = ?", {token, user_id}));
  return token;
}

Result<Profile> People::UpdateProfile(store::Tx& tx, int64_t user_id,
                                      const std::optional<std::string>& name,
                                      const std::optional<std::string>& time_zone,
                                      const events::Actor& actor) {
  KLAXON_ASSIGN_OR_RETURN(Profile p, GetProfile(tx, user_id));
  nlohmann::json changed = nlohmann::json::object();
  if (name) {
    if (name->empty() || name->size() > 200)
      return InvalidField("/name", "must be 1 to 200 characters");
    p.user.name = *name;
    changed["name"] = *name;
  }
  if (time_zone) {
    if (!oncall::IsValidTimeZone(*time_zone))
      return InvalidField("/time_zone", "unknown time zone '" + *time_zone + "'");
    p.time_zone = *time_zone;
    changed["time_zone"] = *time_zone;
  }
  KLAXON_RETURN_IF_ERROR(tx.Exec("UPDATE users SET name = ?, time_zone = ? WHERE id = ?",
                                 {p.user.name, p.time_zone, user_id}));
  changed["user"] = p.user.username;
  auto seq = log_.Append(tx, events::Event::Of("user.updated", actor, std::move(changed)));
  if (!seq.ok()) return seq.status();
  return p;
}

Result<ContactMethod> People::AddContactMethod(store::Tx& tx, int64_t user_id,
                                               const std::string& kind_name,
                                               const std::string& address, const std::string& label,
                                               const events::Actor& actor) {
  auto kind = notify::ParseChannel(kind_name);
  if (!kind)
    return InvalidField("/kind",
                        "must be one of email, slack, teams, discord, mattermost, webhook");
  KLAXON_RETURN_IF_ERROR(ValidateAddress(*kind, address));
  if (label.size() > kMaxLabel) return InvalidField("/label", "is too long");
  KLAXON_ASSIGN_OR_RETURN(UserRef user, GetUser(tx, user_id));
  KLAXON_ASSIGN_OR_RETURN(auto existing, Methods(tx, user_id));
  if (existing.size() >= kMaxMethodsPerUser)
    return Conflict("a user has at most " + std::to_string(kMaxMethodsPerUser) +
                    " contact methods");
  for (const auto& m : existing)
    if (m.kind == *kind && m.address == address)
      return Conflict("this contact method already exists");
  ContactMethod m;
  m.user_id = user_id;
  m.kind = *kind;
  m.address = address;
  m.label = label.empty() ? notify::ChannelName(*kind) : label;
  m.secret = *kind == notify::ChannelKind::kWebhook ? notify::NewWebhookSecret() : "";
  m.created_at = clock_.Now();
  auto row = tx.QueryOne(
      "INSERT INTO contact_methods(user_id, kind, address, label, secret, created_at) "
      "VALUES (?,?,?,?,?,?) RETURNING id",
      {user_id, notify::ChannelName(*kind), address, m.label, m.secret, m.created_at});
  if (!row.ok()) return row.status();
  m.id = (*row)->Int(0);
  auto seq = log_.Append(tx, events::Event::Of("contact_method.added", actor,
                                               {{"user", user.username},
                                                {"contact_method", m.id},
                                                {"kind", notify::ChannelName(*kind)},
                                                {"label", m.label}}));
  if (!seq.ok()) return seq.status();
  return m;
}

Result<ContactMethod> People::GetContactMethod(store::Tx& tx, int64_t user_id, int64_t id) {
  auto row = tx.QueryOne(std::string("SELECT ") + kMethodColumns + " WHERE id = ? AND user_id = ?",
                         {id, user_id});
  if (!row.ok()) return row.status();
  if (!*row) return NotFound("no contact method " + std::to_string(id) + " for this user");
  return MethodFromRow(**row);
}

Status People::RemoveContactMethod(store::Tx& tx, int64_t user_id, int64_t id,
                                   const events::Actor& actor) {
  KLAXON_ASSIGN_OR_RETURN(ContactMethod m, GetContactMethod(tx, user_id, id));
  KLAXON_ASSIGN_OR_RETURN(UserRef user, GetUser(tx, user_id));
  KLAXON_RETURN_IF_ERROR(
      tx.Exec("DELETE FROM notification_rules WHERE contact_method_id = ?", {id}));
  KLAXON_RETURN_IF_ERROR(tx.Exec("DELETE FROM contact_methods WHERE id = ?", {id}));
  auto seq = log_.Append(
      tx, events::Event::Of("contact_method.removed", actor,
                            {{"user", user.username}, {"contact_method", id}, {"label", m.label}}));
  return seq.status();
}

Result<std::string> People::NewVerifyCode(store::Tx& tx, int64_t user_id, int64_t id) {
  KLAXON_ASSIGN_OR_RETURN(ContactMethod m, GetContactMethod(tx, user_id, id));
  char code[8];
  std::snprintf(code, sizeof code, "%06u", randombytes_uniform(1'000'000));
  KLAXON_RETURN_IF_ERROR(tx.Exec("UPDATE contact_methods SET verify_code = ? WHERE id = ?",
                                 {std::string(code), m.id}));
  return std::string(code);
}

Result<ContactMethod> People::Verify(store::Tx& tx, int64_t user_id, int64_t id,
                                     const std::string& code, const events::Actor& actor) {
  KLAXON_ASSIGN_OR_RETURN(ContactMethod m, GetContactMethod(tx, user_id, id));
  if (!code.empty()) {
    auto row =
        tx.QueryOne("SELECT COALESCE(verify_code, '') FROM contact_methods WHERE id = ?", {id});
    if (!row.ok()) return row.status();
    std::string expected = *row ? (*row)->Str(0) : "";
    if (expected.empty()) return InvalidField("/code", "send a test message first");
    if (!ConstantTimeEqual(expected, code)) return InvalidField("/code", "does not match");
  }
  if (m.verified_at) return m;
  m.verified_at = clock_.Now();
  KLAXON_RETURN_IF_ERROR(
      tx.Exec("UPDATE contact_methods SET verified_at = ?, verify_code = NULL WHERE id = ?",
              {*m.verified_at, id}));
  KLAXON_ASSIGN_OR_RETURN(UserRef user, GetUser(tx, user_id));
  auto seq = log_.Append(tx, events::Event::Of("contact_method.verified", actor,
                                               {{"user", user.username}, {"contact_method", id}}));
  if (!seq.ok()) return seq.status();
  return m;
}

Result<NotificationRule> People::AddRule(store::Tx& tx, int64_t user_id, int64_t contact_method_id,
                                         int delay_minutes, const events::Actor& actor) {
  if (delay_minutes < 0 || delay_minutes > kMaxRuleDelayMinutes)
    return InvalidField("/delay_minutes", "must be 0 to 1440");
  auto m = GetContactMethod(tx, user_id, contact_method_id);
  if (!m.ok()) {
    if (m.status().code() == Code::kNotFound)
      return InvalidField("/contact_method", "no such contact method for this user");
    return m.status();
  }
  auto count = tx.QueryOne("SELECT COUNT(*) FROM notification_rules WHERE user_id = ?", {user_id});
  if (!count.ok()) return count.status();
  if ((*count)->Int(0) >= static_cast<int64_t>(kMaxRulesPerUser))
    return Conflict("a user has at most 50 notification rules");
  auto dup = tx.QueryOne(
      "SELECT id FROM notification_rules WHERE contact_method_id = ? AND delay_minutes = ?",
      {contact_method_id, delay_minutes});
  if (!dup.ok()) return dup.status();
  if (*dup) return Conflict("this rule already exists");
  auto row = tx.QueryOne(
      "INSERT INTO notification_rules(user_id, contact_method_id, delay_minutes, created_at) "
      "VALUES (?,?,?,?) RETURNING id",
      {user_id, contact_method_id, static_cast<int64_t>(delay_minutes), clock_.Now()});
  if (!row.ok()) return row.status();
  NotificationRule rule{(*row)->Int(0), user_id, contact_method_id, delay_minutes};
  KLAXON_ASSIGN_OR_RETURN(UserRef user, GetUser(tx, user_id));
  auto seq = log_.Append(tx, events::Event::Of("notification_rule.added", actor,
                                               {{"user", user.username},
                                                {"rule", rule.id},
                                                {"contact_method", contact_method_id},
                                                {"delay_minutes", delay_minutes}}));
  if (!seq.ok()) return seq.status();
  return rule;
}

Status People::RemoveRule(store::Tx& tx, int64_t user_id, int64_t rule_id,
                          const events::Actor& actor) {
  auto row = tx.QueryOne("SELECT id FROM notification_rules WHERE id = ? AND user_id = ?",
                         {rule_id, user_id});
  if (!row.ok()) return row.status();
  if (!*row) return NotFound("no notification rule " + std::to_string(rule_id) + " for this user");
  KLAXON_RETURN_IF_ERROR(tx.Exec("DELETE FROM notification_rules WHERE id = ?", {rule_id}));
  KLAXON_ASSIGN_OR_RETURN(UserRef user, GetUser(tx, user_id));
  return log_
      .Append(tx, events::Event::Of("notification_rule.removed", actor,
                                    {{"user", user.username}, {"rule", rule_id}}))
      .status();
}

Result<std::vector<std::pair<ContactMethod, int>>> People::PagePlan(store::Tx& tx,
                                                                    int64_t user_id) {
  // A deactivated user is told nothing (pages, reminders, notices).
  auto active = tx.QueryOne("SELECT deactivated_at IS NULL FROM users WHERE id = ?", {user_id});
  if (!active.ok()) return active.status();
  if (!*active || (*active)->Int(0) == 0) return std::vector<std::pair<ContactMethod, int>>();
  KLAXON_ASSIGN_OR_RETURN(auto methods, Methods(tx, user_id));
  auto rules = tx.Query(
      "SELECT contact_method_id, delay_minutes FROM notification_rules WHERE user_id = ? "
      "ORDER BY delay_minutes, id",
      {user_id});
  if (!rules.ok()) return rules.status();
  std::vector<std::pair<ContactMethod, int>> plan;
  for (const auto& r : *rules)
    for (const auto& m : methods)
      if (m.id == r.Int(0)) plan.emplace_back(m, static_cast<int>(r.Int(1)));
  if (rules->empty())
    for (const auto& m : methods) plan.emplace_back(m, 0);
  return plan;
}

}  // namespace klaxon::paging
