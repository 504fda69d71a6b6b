// Status page subscriptions: people (email, double opt-in) and machines (webhooks) who
// are told about every update of a public incident or maintenance through the
// notification outbox, optionally only for the components they chose.
//
// Each subscriber has a random token; the links in their messages carry it:
//   /status/subscription?token=T   the subscriber's page: confirm (while pending), choose
//                                  components, unsubscribe
//   /status/unsubscribe?token=T    unsubscribe (GET shows a button; POST, also the RFC 8058
//                                  one-click POST from mail clients, unsubscribes)
// Links never change anything on GET (mail scanners follow links).
//
// Subscribing is safe against enumeration: whatever the state of an address (unknown,
// pending, confirmed, unsubscribed) the caller sees the same answer; the address itself
// gets either a confirmation link or a note that it is already subscribed, at most one
// message per address every kMailInterval. Confirmation links expire after kConfirmTtl.
//
// Messages are queued through an Enqueue function (the pager's outbox in the server), in
// the same transaction as the update, so an update and its notices commit together.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "events/event.h"
#include "notify/channels.h"
#include "status/model.h"
#include "status/service.h"
#include "store/store.h"

namespace klaxon::status {

struct Subscriber {
  int64_t id = 0;
  std::string public_id;
  std::string kind;   // "email" | "webhook"
  std::string email;  // email: the address; webhook: the contact address (may be empty)
  std::string url;    // webhook
  std::vector<int64_t> component_ids;  // empty: everything
  std::string state;                   // "pending" | "active" | "unsubscribed"
  std::string token;
  TimeMs created_at = 0;
  TimeMs requested_at = 0;
  std::optional<TimeMs> confirmed_at;
  std::optional<TimeMs> unsubscribed_at;
};

// One message for one subscriber, to be put in the outbox.
struct SubscriberDelivery {
  std::string idem_key;
  std::string kind;  // "status" | "subscription"
  int64_t subscriber_id = 0;
  std::string channel;  // "email" | "webhook"
  std::string address;  // email address or URL
  std::string secret;   // webhook signing secret
  notify::Message message;
};

class Subscriptions {
 public:
  static constexpr TimeMs kMailInterval = 5 * 60 * 1000;         // per address
  static constexpr TimeMs kConfirmTtl = 7LL * 24 * 3600 * 1000;  // pending links
  using Enqueue = std::function<Status(store::Tx&, const SubscriberDelivery&)>;

  // `public_url`: where the server is reached when the page has no URL of its own.
  Subscriptions(const Clock& clock, events::EventLog& log, StatusService& status,
                std::string public_url)
      : clock_(clock), log_(log), status_(status), public_url_(std::move(public_url)) {}

  void SetEnqueue(Enqueue fn) { enqueue_ = std::move(fn); }
  // Hooks Notify into the status service's updates.
  void Install();

  // The public form. Body: email (required), components? [component public id],
  // webhook? (an http(s) URL; the email then only confirms it and hears about failures).
  // Errors only for malformed input (field named); the outcome is otherwise the same.
  Status Subscribe(store::Tx& tx, const nlohmann::json& body);

  // Admin. Body: email? / webhook?, components? [component id, public id or name],
  // confirmed? (default false: a confirmation is sent; webhooks without an email are
  // always confirmed). Returns the subscriber and, for a webhook, its signing secret.
  Result<std::pair<Subscriber, std::string>> Add(store::Tx& tx, const nlohmann::json& body,
                                                 const events::Actor& actor);
  // Everyone not unsubscribed (newest first), or everyone with `all`.
  Result<std::vector<Subscriber>> List(store::Tx& tx, bool all);
  // `key`: row id or public id.
  Status Remove(store::Tx& tx, const std::string& key, const events::Actor& actor);

  // By token (NotFound when unknown or malformed).
  Result<Subscriber> FindByToken(store::Tx& tx, const std::string& token);
  // pending → active; Conflict when the link expired (subscribe again).
  Result<Subscriber> Confirm(store::Tx& tx, const std::string& token);
  Result<Subscriber> Unsubscribe(store::Tx& tx, const std::string& token);
  // Component public ids; empty: everything.
  Result<Subscriber> SetComponents(store::Tx& tx, const std::string& token,
                                   const std::vector<std::string>& components);

  // Queues the newest update of `inc` for every active subscriber it concerns.
  Status Notify(store::Tx& tx, const Incident& inc);

  // The base URL of the public pages ("https://status.example.com"), no trailing slash.
  std::string BaseUrl(const PageSettings& page) const;

 private:
  Result<std::optional<Subscriber>> Find(store::Tx& tx, const std::string& where, store::Value arg);
  Status Mail(store::Tx& tx, const Subscriber& s, const PageSettings& page, bool confirm);
  Result<std::vector<int64_t>> ResolveComponents(store::Tx& tx, const nlohmann::json& list,
                                                 const std::string& pointer, bool names_too,
                                                 std::vector<FieldError>* errs);

  const Clock& clock_;
  events::EventLog& log_;
  StatusService& status_;
  std::string public_url_;
  Enqueue enqueue_;
};

// Checks an email address for subscriptions: one @, a dotted domain, no spaces, quotes,
// angle brackets or control characters, at most 254 bytes. Returns it lowercased.
std::optional<std::string> NormalizeEmail(std::string_view email);
// True when `url` is an http(s) URL whose host is not a literal loopback, private,
// link-local or unspecified address and not "localhost" (for webhooks the public may add).
bool PublicWebhookUrl(std::string_view url);

}  // namespace klaxon::status
