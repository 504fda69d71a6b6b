// People as the pager sees them: a time zone, contact methods (email, chat webhooks,
// generic webhook) and personal notification rules ("chat at once, email after 2
// minutes"). Commands take the caller's write Tx and append their event; holds
// references only; thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "events/event.h"
#include "notify/channels.h"
#include "store/store.h"

namespace klaxon::paging {

struct UserRef {
  int64_t id = 0;
  std::string username;
  std::string name;
  nlohmann::json ToJson() const { return {{"id", id}, {"username", username}, {"name", name}}; }
};

struct ContactMethod {
  int64_t id = 0;
  int64_t user_id = 0;
  notify::ChannelKind kind = notify::ChannelKind::kEmail;
  std::string address;
  std::string label;
  std::string secret;  // webhook signing secret ("whsec_..."), empty for other kinds
  std::optional<TimeMs> verified_at;
  TimeMs created_at = 0;
  nlohmann::json ToJson(bool with_secret) const;
};

struct NotificationRule {
  int64_t id = 0;
  int64_t user_id = 0;
  int64_t contact_method_id = 0;
  int delay_minutes = 0;
  nlohmann::json ToJson() const {
    return {{"id", id}, {"contact_method", contact_method_id}, {"delay_minutes", delay_minutes}};
  }
};

struct Profile {
  UserRef user;
  std::string role;
  std::string time_zone;
  std::string ical_token;
  std::vector<ContactMethod> methods;
  std::vector<NotificationRule> rules;
};

inline constexpr int kMaxRuleDelayMinutes = 1440;

class People {
 public:
  People(const Clock& clock, events::EventLog& log) : clock_(clock), log_(log) {}

  // A numeric id or a username of an active user; NotFound otherwise (deactivated users
  // cannot be put on schedules, policies, roles or reviews).
  Result<UserRef> FindUser(store::Tx& tx, const std::string& id_or_name);
  Result<UserRef> GetUser(store::Tx& tx, int64_t id);
  Result<std::optional<int64_t>> UserByIcalToken(store::Tx& tx, const std::string& token);

  Result<Profile> GetProfile(store::Tx& tx, int64_t user_id);
  // Gives the user an iCalendar feed token if they have none (write Tx).
  Result<std::string> EnsureIcalToken(store::Tx& tx, int64_t user_id);
  Result<Profile> UpdateProfile(store::Tx& tx, int64_t user_id,
                                const std::optional<std::string>& name,
                                const std::optional<std::string>& time_zone,
                                const events::Actor& actor);

  Result<ContactMethod> AddContactMethod(store::Tx& tx, int64_t user_id, const std::string& kind,
                                         const std::string& address, const std::string& label,
                                         const events::Actor& actor);
  Status RemoveContactMethod(store::Tx& tx, int64_t user_id, int64_t id,
                             const events::Actor& actor);
  Result<ContactMethod> GetContactMethod(store::Tx& tx, int64_t user_id, int64_t id);
  // A fresh 6-digit verification code for the method (returned for the test message).
  Result<std::string> NewVerifyCode(store::Tx& tx, int64_t user_id, int64_t id);
  // `code` empty: verified by the signed link.
  Result<ContactMethod> Verify(store::Tx& tx, int64_t user_id, int64_t id, const std::string& code,
                               const events::Actor& actor);

  Result<NotificationRule> AddRule(store::Tx& tx, int64_t user_id, int64_t contact_method_id,
                                   int delay_minutes, const events::Actor& actor);
  Status RemoveRule(store::Tx& tx, int64_t user_id, int64_t rule_id, const events::Actor& actor);

  // How to page this user: (method, delay minutes) per rule; a user without rules gets
  // every method at once.
  Result<std::vector<std::pair<ContactMethod, int>>> PagePlan(store::Tx& tx, int64_t user_id);

 private:
  Result<std::vector<ContactMethod>> Methods(store::Tx& tx, int64_t user_id);
  const Clock& clock_;
  events::EventLog& log_;
};

// Checks an address for a channel kind: an email address, or an http(s) URL.
Status ValidateAddress(notify::ChannelKind kind, const std::string& address);

}  // namespace klaxon::paging
