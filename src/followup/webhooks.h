// Event webhooks: an organization subscribes a URL to event kinds (say every
// `action_item.*` event, to mirror action items into its tracker), and each matching event
// is delivered to it through the notification outbox — retried with backoff, signed with
// Standard Webhooks headers (webhook-id, webhook-timestamp, webhook-signature; see
// ../shared/specs) with the subscription's secret, shown once when it is created.
//
// The body is {"type": kind, "timestamp": the event's time (RFC 3339), "data": the
// event's data plus "seq", "incident_id" and "actor"}. A subscription names event kinds
// exactly ("action_item.created") or by prefix ("action_item.*"); "*" alone is every
// kind. Deliveries are queued in the transaction that appends the event, so none is lost
// and none is sent for a change that rolled back (idempotency key webhook:<id>:<seq>).
//
// Thread-safe. The subscriptions are cached and reloaded after a change.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/clock.h"
#include "events/event.h"
#include "store/store.h"

namespace klaxon::followup {

// One delivery for the outbox (the app turns it into a paging::OutboxItem).
struct WebhookDelivery {
  int64_t webhook_id = 0;
  std::string idem_key;
  std::string url;
  std::string secret;
  std::string payload;  // the JSON body
  std::optional<int64_t> incident_id;
};

// Whether `pattern` ("kind", "prefix.*" or "*") matches `kind`.
bool WebhookMatches(const std::string& pattern, const std::string& kind);

class Webhooks {
 public:
  using EnqueueFn = std::function<Status(store::Tx&, const WebhookDelivery&)>;

  Webhooks(const Clock& clock, events::EventLog& log) : clock_(clock), log_(log) {}
  void SetEnqueue(EnqueueFn fn) { enqueue_ = std::move(fn); }
  // The tx hook that queues deliveries.
  void Install();

  // {name, url, events: [pattern]} → the subscription with its "secret" (shown once).
  Result<nlohmann::json> Create(store::Tx& tx, const std::string& name, const std::string& url,
                                const std::vector<std::string>& patterns,
                                const events::Actor& actor);
  Result<nlohmann::json> List(store::Tx& tx);
  Status Delete(store::Tx& tx, int64_t id, const events::Actor& actor);

  Status OnEvent(store::Tx& tx, const events::Event& e);

 private:
  struct Hook {
    int64_t id = 0;
    std::string url, secret;
    std::vector<std::string> patterns;
  };
  const Clock& clock_;
  events::EventLog& log_;
  EnqueueFn enqueue_;
  std::mutex mu_;
  std::vector<Hook> hooks_;
  std::atomic<int64_t> generation_{1};
  // Changes not yet committed (or rolled back): while any, the cache is not trusted.
  std::atomic<int64_t> uncommitted_{0};
  void Changed(store::Tx& tx);
  int64_t loaded_ = 0;  // guarded by mu_
};

}  // namespace klaxon::followup
